// `harness init`: make the swarm folder's shared bare repo, seeded with the lock protocol.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defineCommand, type Io, type Register } from '../cli-kit.js';
import { initUpstream, type SeedFile } from '../git/upstream.js';
import { packageFile } from '../paths.js';

/**
 * What every upstream starts with when it lacks them: the lock protocol for agents and
 * people, and a starter prompt for the agents (theirs to edit; the supervisor reads it
 * from the workspace at the start of every session).
 */
export function seedFiles(): SeedFile[] {
  return [
    { path: 'current_tasks/README.md', content: readFileSync(packageFile('current_tasks/README.md'), 'utf8') },
    { path: 'AGENT_PROMPT.md', content: readFileSync(packageFile('templates/AGENT_PROMPT.md'), 'utf8') },
  ];
}

interface InitArgs {
  from?: string;
  dir: string;
}

export function initCommand(io: Io, setResult: Register) {
  return defineCommand<InitArgs>(io, setResult, {
    command: 'init',
    describe: 'Create the swarm folder and its shared bare repo (DIR/upstream.git)',
    builder: (y) =>
      y
        .option('from', { type: 'string', describe: 'path or URL of the project whose history seeds the upstream (default: an empty repo)' })
        .option('dir', { type: 'string', default: '.swarm', describe: 'the swarm folder' })
        .example('harness init --from ~/src/mycc', 'a swarm on an existing project')
        .example('harness init --dir /srv/swarm', 'an empty project in another folder') as never,
    run: async (args, io) => {
      const out = await initUpstream({
        dir: args.dir,
        from: args.from,
        cwd: io.cwd,
        env: io.env,
        seed: seedFiles(),
        author: 'harness',
      });
      const relative = path.relative(io.cwd, out.upstream);
      const rel = relative && !relative.startsWith('..') ? relative : out.upstream;
      if (out.kind === 'exists') {
        io.out(`already initialised: ${rel} (main at ${out.head?.slice(0, 7) ?? 'no commits'}); nothing changed`);
        return;
      }
      io.out(`initialised ${rel}${args.from ? ` from ${args.from}` : ''}: main at ${out.head.slice(0, 7)}, ${out.commits} commit${out.commits === 1 ? '' : 's'}`);
      if (out.added.length) io.out(`added ${out.added.join(', ')}`);
      io.out(`next: git clone ${rel} work && cd work && harness task claim <task>`);
    },
  });
}
