// An Io that records what a command prints, for running the CLIs in-process in tests.
import type { Io } from '../../harness/kit/cli-kit.js';

export interface Captured {
  io: Io;
  out: string[];
  err: string[];
}

/** With `merged`, stderr lines land in `out` too, in the order they were printed. */
export function captureIo(env: NodeJS.ProcessEnv, cwd: string, opts: { merged?: boolean } = {}): Captured {
  const out: string[] = [];
  const err = opts.merged ? out : [];
  const io: Io = { env, cwd, now: () => new Date(), hostname: () => 'testhost', out: (l) => out.push(l), err: (l) => err.push(l) };
  return { io, out, err };
}
