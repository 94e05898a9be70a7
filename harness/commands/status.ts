// `harness status [--dir D] [--watch] [--json]`: what a swarm is doing, from any terminal,
// while it runs or after. Reads only; never takes the swarm's lock.
import { defineCommand, stdoutClosed, type Io, type Register } from '../kit/cli-kit.js';
import { UsageError } from '../kit/errors.js';
import { loadSwarm, resolveSwarmDir, statusOf } from '../events/load.js';
import { statusJson, statusLines } from '../events/status-lines.js';
import { demoProfile, recordedConflictCounter } from '../swarm/profile.js';

interface StatusArgs {
  dir?: string;
  watch?: boolean;
  json?: boolean;
  interval?: string;
}

export interface WatchDeps {
  isTTY: boolean;
  write: (s: string) => void;
  /** resolves when the user wants to stop (Ctrl-C) */
  stopped: Promise<void>;
  /** terminal width: a wrapped line would push the frame down and leave old lines behind */
  columns?: () => number;
}

function processWatch(): WatchDeps {
  return {
    isTTY: !!process.stdout.isTTY,
    write: (s) => process.stdout.write(s),
    columns: () => process.stdout.columns || 200,
    // Ctrl-C, or the reader of a pipe left (`status --watch | head`)
    stopped: Promise.race([new Promise<void>((res) => process.once('SIGINT', () => res())), stdoutClosed()]),
  };
}

export async function statusText(dir: string, io: Io, json: boolean): Promise<string[]> {
  const d = await loadSwarm(dir, io.env, io.hostname(), { pass: 'ends', conflicts: recordedConflictCounter });
  if (d.runJson?.demo === true && !d.upstreamProblem) await (await demoProfile()).fillPass(d.facts, d.upstream, io.env, 2);
  const s = statusOf(d, io.now().getTime());
  if (json) return [d.upstreamProblem ? JSON.stringify({ ...JSON.parse(statusJson(s, dir)), upstreamProblem: d.upstreamProblem }) : statusJson(s, dir)];
  return [...(d.upstreamProblem ? [`warning: ${d.upstreamProblem}; claims, commits and pass rate below are missing`] : []), ...statusLines(s, dir)];
}

/**
 * --watch on a terminal: home the cursor and overwrite each line, clearing only what is
 * left over (no full-screen clear, so no flicker). On a pipe: the lines again each time
 * they change, under a time stamp.
 */
export async function watch(dir: string, io: Io, intervalMs: number, deps: WatchDeps): Promise<void> {
  let last = '';
  let stop = false;
  void deps.stopped.then(() => (stop = true));
  if (deps.isTTY) deps.write('\x1b[?25l\x1b[2J');
  try {
    while (!stop) {
      const lines = await statusText(dir, io, false);
      const text = lines.join('\n');
      if (deps.isTTY) {
        const w = Math.max(20, (deps.columns?.() ?? 200) - 1);
        deps.write('\x1b[H' + lines.map((l) => l.slice(0, w) + '\x1b[K').join('\n') + '\n\x1b[J');
      }
      else if (text !== last) deps.write(`--- ${io.now().toISOString()}\n${text}\n`);
      last = text;
      await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), deps.stopped]);
    }
  } finally {
    if (deps.isTTY) deps.write('\x1b[?25h');
  }
}

export function statusCommand(io: Io, setResult: Register, deps: () => WatchDeps = processWatch) {
  return defineCommand<StatusArgs>(io, setResult, {
    command: 'status',
    describe: 'What a swarm is doing: agents, sessions, claims, commits, pass rate, spend (works while it runs or after)',
    builder: (y) =>
      y
        .option('dir', { type: 'string', describe: 'the swarm folder (default .swarm if it exists, else .swarm-demo)' })
        .option('watch', { type: 'boolean', describe: 'redraw every few seconds until Ctrl-C (plain lines when not a terminal)' })
        .option('json', { type: 'boolean', describe: 'the status as JSON' })
        .option('interval', { type: 'string', describe: 'with --watch: seconds between redraws (default 2)' }) as never,
    run: async (args, io) => {
      const dir = resolveSwarmDir(io.cwd, args.dir);
      if (args.watch && args.json) throw new UsageError('USAGE', '--watch and --json do not go together; poll status --json instead');
      if (args.watch) {
        const s = Number(args.interval ?? 2);
        if (!(s > 0)) throw new UsageError('USAGE', `--interval: "${args.interval}" is not a positive number of seconds`);
        await watch(dir, io, s * 1000, deps());
        return;
      }
      (await statusText(dir, io, !!args.json)).forEach(io.out);
    },
  });
}
