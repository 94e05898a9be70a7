// The `process` sandbox: the agent runs as a plain child process in its workspace. No
// isolation at all: for development, tests and the demo's simulator, never for real agents
// you do not trust. It still runs in its own process group, so stopping a session stops
// everything it started.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { RunningSession, Sandbox, SessionExit, SessionSpec } from './types.js';
import { EnvError } from '../kit/errors.js';
import { groupAlive, signalGroup, transientSpawnFailure } from '../kit/proc.js';

export function processSandbox(): Sandbox {
  return {
    kind: 'process',
    check: async () => {},
    start: async (spec) => startProcess(niced(spec.argv, spec.limits.nice), spec.cwd, { ...spec.env, ...spec.secrets }, spec),
  };
}

/**
 * Starts argv at a lower CPU priority (nice execs it: same pid, and everything it starts
 * inherits the priority). On one machine the sessions are the parallel work and the upstream
 * server and its test gate the serial part every push waits on: starved by a dozen agents, a
 * gate of half a CPU-second took seconds, and landings queued behind it.
 */
export function niced(argv: string[], nice: number | undefined): string[] {
  return nice ? ['nice', '-n', String(nice), ...argv] : argv;
}

/** Spawns argv in its own process group with output to the session's log fd. */
export async function startProcess(argv: string[], cwd: string, env: Record<string, string>, spec: Pick<SessionSpec, 'stdin' | 'outputFd'>): Promise<RunningSession> {
  const { child, exited } = await spawnSession(argv, cwd, env, spec);
  return { pid: child.pid!, exited, stop: (graceMs) => stopGroup(child.pid!, exited, graceMs) };
}

export interface Spawned {
  child: ChildProcess;
  exited: Promise<SessionExit>;
}

/**
 * The spawn shared by every sandbox: own process group, output to the log fd, stdin written
 * then closed. `extraPipe` opens fd 3 as a pipe back to us (bwrap reports its child's pid there).
 */
export function spawnSession(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  spec: Pick<SessionSpec, 'stdin' | 'outputFd'>,
  opts: { extraPipe?: boolean } = {},
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = [spec.stdin === undefined ? 'ignore' : 'pipe', spec.outputFd, spec.outputFd];
    if (opts.extraPipe) stdio.push('pipe');
    const failed = (e: unknown) => {
      const t = transientSpawnFailure(e);
      reject(t ? new EnvError('SPAWN_FAILED', `could not start the session's ${argv[0]} (${t.code}: ${t.message}); the slot retries after a backoff`) : e);
    };
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio });
    } catch (e) {
      return failed(e); // some failures (ETXTBSY) are thrown, not emitted
    }
    const exited = new Promise<SessionExit>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    child.once('error', failed);
    child.once('spawn', () => {
      if (spec.stdin !== undefined && child.stdin) {
        child.stdin.on('error', () => {}); // an agent that never reads its stdin is not an error
        child.stdin.end(spec.stdin);
      }
      resolve({ child, exited });
    });
  });
}

/**
 * SIGTERM to the whole group, SIGKILL after the grace period. The grace is the group's, not
 * the leader's: `sh -c` dies of SIGTERM at once while the agent it started may trap it and
 * still be saving its work, so we wait for the group to empty before killing what is left.
 */
export async function stopGroup(pid: number, exited: Promise<SessionExit>, graceMs: number): Promise<SessionExit> {
  const signal = (sig: NodeJS.Signals) => signalGroup(pid, sig);
  const deadline = Date.now() + graceMs;
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  try {
    const exit = await exited;
    while (Date.now() < deadline && groupAlive(pid)) await new Promise((r) => setTimeout(r, 100));
    return exit;
  } finally {
    clearTimeout(timer);
    signal('SIGKILL'); // what outlived the grace period
  }
}
