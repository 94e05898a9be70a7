// `harness serve [--dir DIR] [--listen HOST:PORT]`: the swarm's upstream over git's smart
// HTTP, alone (harness run starts and stops its own). For other hosts and tools: it writes
// the supervisor's token to DIR/serve/supervisor.token (mode 0600), never to its output.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineCommand, type Io, type Register } from '../kit/cli-kit.js';
import { parseListen } from '../serve/listen.js';
import { serveSwarm } from '../serve/service.js';

interface ServeArgs {
  dir: string;
  listen: string;
  allowTestEdits?: boolean;
  protect?: string[];
}

export { parseListen };

export function serveCommand(io: Io, setResult: Register, stopped: () => Promise<void> = untilSignal) {
  return defineCommand<ServeArgs>(io, setResult, {
    command: 'serve',
    describe: "Serve the swarm's upstream over git's smart HTTP with the pre-receive policy (harness run does this itself)",
    builder: (y) =>
      y
        .option('dir', { type: 'string', default: '.swarm', describe: 'the swarm folder: DIR/upstream.git is served' })
        .option('listen', { type: 'string', default: '127.0.0.1:0', describe: 'HOST:PORT to listen on (port 0: any free port); bind a non-loopback address only on a network you trust' })
        .option('allow-test-edits', { type: 'boolean', describe: 'agents may change the protected test files' })
        .option('protect', { type: 'string', array: true, describe: 'another path agents may not change on main (repeatable)' })
        .example('harness serve --dir .swarm --listen 127.0.0.1:8417', 'serve a swarm for other hosts') as never,
    run: async (args, io) => {
      const listen = parseListen(args.listen);
      const dir = path.resolve(io.cwd, args.dir);
      const s = await serveSwarm({ repo: path.join(dir, 'upstream.git'), stateDir: path.join(dir, 'serve'), env: io.env, allowTestEdits: !!args.allowTestEdits, protect: args.protect ?? [], allowHost: [], ...listen });
      const tokenFile = path.join(dir, 'serve', 'supervisor.token');
      writeFileSync(tokenFile, s.supervisorToken + '\n', { mode: 0o600 });
      io.out(`serving ${path.join(dir, 'upstream.git')} at ${s.url}`);
      io.out(`the supervisor's token is in ${tokenFile} (send it as "Authorization: Bearer TOKEN", e.g. git -c http.extraHeader=...); Ctrl-C stops`);
      try {
        await stopped();
      } finally {
        await s.close();
      }
      io.out('stopped');
    },
  });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const f = () => {
      process.off('SIGINT', f);
      process.off('SIGTERM', f);
      resolve();
    };
    process.on('SIGINT', f);
    process.on('SIGTERM', f);
  });
}
