// A swarm-shaped folder for sandbox tests: this agent's workspace, another agent's, the
// upstream, the tests, the logs. A session gets a spec over it the way the supervisor will
// build one, and its log is a real file behind an fd.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SessionSpec } from '../../harness/sandbox/types.js';
import { tempDir } from './repos.js';

export interface Fixture {
  root: string;
  ws: string;
  upstream: string;
  tests: string;
  other: string;
  logs: string;
  logFile: string;
  fd: number;
  spec: (over?: Partial<SessionSpec>) => SessionSpec;
  log: () => string;
  cleanup: () => void;
}

export const PATH = '/usr/local/bin:/usr/bin:/bin';

export function makeFixture(): Fixture {
  const t = tempDir('harness-sbx-');
  const root = t.dir;
  const ws = path.join(root, 'agents/a/workspace');
  const other = path.join(root, 'agents/b/workspace');
  const upstream = path.join(root, 'upstream.git');
  const tests = path.join(root, 'tests');
  const logs = path.join(root, 'agent_logs/a');
  for (const d of [ws, other, upstream, tests, logs]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(other, 'notes.txt'), 'b-private\n');
  writeFileSync(path.join(tests, 'check.sh'), 'exit 0\n');
  const logFile = path.join(logs, '1-abc123.log');
  const fd = openSync(logFile, 'a');
  return {
    root,
    ws,
    upstream,
    tests,
    other,
    logs,
    logFile,
    fd,
    spec: (over = {}) => ({
      name: `t-${randomBytes(4).toString('hex')}`,
      cwd: ws,
      mounts: [
        { path: upstream, mode: 'rw' },
        { path: tests, mode: 'ro' },
      ],
      argv: ['true'],
      env: { PATH },
      secrets: {},
      outputFd: fd,
      network: true,
      limits: {},
      ...over,
    }),
    log: () => readFileSync(logFile, 'utf8'),
    cleanup: () => {
      closeSync(fd);
      t.cleanup();
    },
  };
}

/** A unique number to find a session's processes by their argv (`sleep 7123456`). */
export function token(): number {
  return 7_000_000 + Math.floor(Math.random() * 1_000_000);
}

export async function waitFor(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Host pids whose argv contains `needle`: proof that something is (not) running or (not) exposed. */
export function pidsWithArgv(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) found.push(Number(name));
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** The agent side of a handshake: say ready, then wait for the test to let go. */
export const HANDSHAKE = 'touch .ready; while [ ! -e .go ]; do sleep 0.05; done';
