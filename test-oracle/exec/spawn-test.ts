// Running one test as its own process group, with output going straight to files (no
// pipes through Node: megabytes of output cost nothing here, and a leftover grandchild
// holding a pipe open cannot make the runner wait). When the test ends, or its time is
// up, the whole group is killed, so a test that forks cannot outlive it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

export interface RunOneSpec {
  /** run directly when set (no shell); otherwise `sh -c command` */
  argv: string[] | null;
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** the log: stdout, and stderr too unless `stderrPath` is given */
  logPath: string;
  stderrPath?: string;
  header: string;
}

export interface RunOneResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  ms: number;
  spawnError?: string;
  /** bytes of header before the test's own output in the log */
  headerBytes: number;
}

/** Process groups still running, so an interrupted runner can take them all down. */
const live = new Set<number>();

export function killAllRunning(): void {
  for (const pgid of live) killGroup(pgid);
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone, which is the point.
  }
}

export function runOne(s: RunOneSpec): Promise<RunOneResult> {
  const fd = openSync(s.logPath, 'w');
  const headerBytes = s.header ? writeSync(fd, s.header) : 0;
  const efd = s.stderrPath ? openSync(s.stderrPath, 'w') : fd;
  const start = performance.now();
  const [file, args] = s.argv ? [s.argv[0]!, s.argv.slice(1)] : ['/bin/sh', ['-c', s.command]];
  return new Promise<RunOneResult>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let settled = false;
    const finish = (r: Omit<RunOneResult, 'ms' | 'headerBytes' | 'timedOut'>, pgid?: number) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (pgid !== undefined) {
        killGroup(pgid);
        live.delete(pgid);
      }
      resolve({ ...r, timedOut, ms: performance.now() - start, headerBytes });
    };
    let child;
    try {
      // detached = setsid(): the test leads a new process group we can kill as one.
      child = spawn(file, args, { cwd: s.cwd, env: s.env, stdio: ['ignore', fd, efd], detached: true });
    } catch (e) {
      finish({ code: null, signal: null, spawnError: describeSpawnError(e, file) });
      return;
    } finally {
      // The child holds its own copies; ours would only leak.
      closeSync(fd);
      if (efd !== fd) closeSync(efd);
    }
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    child.on('error', (e) => finish({ code: null, signal: null, spawnError: describeSpawnError(e, file) }, pid));
    child.on('exit', (code, signal) => finish({ code, signal }, pid));
    timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, s.timeoutMs);
  });
}

function describeSpawnError(e: unknown, file: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${file} not found (check "command" and the working directory)`;
  if (code === 'EACCES') return `${file} is not executable (chmod +x it)`;
  return (e as Error).message;
}
