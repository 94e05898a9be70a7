// Running builds and tests: output to a log file, a time limit that kills the whole
// process group (a test that forks must not outlive its probe), and a small pool.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { signalGroup } from '../../harness/kit/proc.js';

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** could not start at all (ENOENT, EACCES) */
  spawnError?: string;
}

export interface ProcOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr go here (appended) */
  log: string;
  timeoutMs?: number;
}

const killGroup = (pid: number | undefined) => signalGroup(pid, 'SIGKILL');

/** Runs argv (no shell). Use ['sh', '-c', cmd] for a shell command. */
export function runProc(argv: string[], o: ProcOptions): Promise<ProcResult> {
  return new Promise((resolve) => {
    const fd = openSync(o.log, 'a');
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    let settled = false;
    const done = (r: ProcResult) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      closeSync(fd);
      // Leftover children of a finished command are killed with it.
      killGroup(child.pid);
      resolve(r);
    };
    child.on('error', (e: NodeJS.ErrnoException) => done({ code: null, signal: null, timedOut: false, spawnError: e.code ?? e.message }));
    child.on('exit', (code, signal) => done({ code, signal, timedOut }));
    if (o.timeoutMs && o.timeoutMs > 0)
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, o.timeoutMs);
  });
}

export function describeProc(r: ProcResult): string {
  if (r.spawnError) return `could not start (${r.spawnError})`;
  if (r.timedOut) return 'timed out';
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.code}`;
}

/** Runs `fn` over items with at most `limit` at once; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
