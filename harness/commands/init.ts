// `harness init`: make the swarm folder's shared bare repo, seeded with the lock protocol.
import path from 'node:path';
import { defineCommand, type Io, type Register } from '../kit/cli-kit.js';
import { initUpstream, seedFiles } from '../git/upstream.js';
import { packageFile } from '../kit/paths.js';
import { parseDuration } from '../kit/duration.js';
import { UsageError } from '../kit/errors.js';
import { installGateHook } from '../../test-oracle/index.js';
import { shq } from '../kit/shell.js';

/**
 * The hook runs in the pusher's git environment, where `test-oracle` and `harness` are
 * rarely on PATH: name this installation's executables by absolute path instead.
 */
export function resolveGateCommand(cmd: string): string {
  const m = /^\s*(test-oracle|harness)(\s|$)/.exec(cmd);
  if (!m) return cmd.trim();
  return `${shq(process.execPath)} ${shq(packageFile(`dist/${m[1]}.js`))}${cmd.trim().slice(m[1]!.length)}`;
}

interface InitArgs {
  from?: string;
  dir: string;
  gate?: string;
  gateTimeout: string;
}

export function initCommand(io: Io, setResult: Register) {
  return defineCommand<InitArgs>(io, setResult, {
    command: 'init',
    describe: 'Create the swarm folder and its shared bare repo (DIR/upstream.git)',
    builder: (y) =>
      y
        .option('from', { type: 'string', describe: 'path or URL of the project whose history seeds the upstream (default: an empty repo)' })
        .option('dir', { type: 'string', default: '.swarm', describe: 'the swarm folder' })
        .option('gate', { type: 'string', describe: 'install a pre-receive hook on the upstream that runs this command on every push to main and refuses regressions, e.g. "test-oracle gate --fast=20"' })
        .option('gate-timeout', { type: 'string', default: '5m', describe: 'a gate slower than this lets the push through with a warning' })
        .example('harness init --from ~/src/mycc --gate "test-oracle gate"', 'refuse pushes that break a passing test')
        .example('harness init --from ~/src/mycc', 'a swarm on an existing project')
        .example('harness init --dir /srv/swarm', 'an empty project in another folder') as never,
    run: async (args, io) => {
      const gateTimeoutSec = parseDuration(args.gateTimeout, '--gate-timeout') / 1000;
      if (args.gate !== undefined && !args.gate.trim()) throw new UsageError('BAD_GATE_CMD', '--gate needs a command, e.g. --gate "test-oracle gate --fast=20"');
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
      const gate = () => {
        if (args.gate === undefined) return;
        const cmd = resolveGateCommand(args.gate);
        installGateHook(out.upstream, cmd, { timeoutSec: gateTimeoutSec });
        io.out(`gate: pushes to main run \`${cmd}\` (limit ${args.gateTimeout}); a regression is refused with one ERROR line`);
      };
      if (out.kind === 'exists') {
        io.out(`already initialised: ${rel} (main at ${out.head?.slice(0, 7) ?? 'no commits'})${args.gate === undefined ? '; nothing changed' : ''}`);
        gate();
        return;
      }
      io.out(`initialised ${rel}${args.from ? ` from ${args.from}` : ''}: main at ${out.head.slice(0, 7)}, ${out.commits} commit${out.commits === 1 ? '' : 's'}`);
      if (out.added.length) io.out(`added ${out.added.join(', ')}`);
      gate();
      io.out(`next: git clone ${rel} work && cd work && harness task claim <task>`);
    },
  });
}
