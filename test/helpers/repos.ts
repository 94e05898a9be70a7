// Real git in temp folders: a swarm folder with its bare upstream, and clones of it, the
// way agents have them. Everything is removed after the test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { main } from '../../harness/cli.js';
import { captureIo } from './io.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The built executable, as npm links it (package.json "bin"). */
export const HARNESS_BIN = path.join(ROOT, 'dist/harness.js');

/** An environment with a fixed git identity and nothing from the user's git config. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    ...extra,
  };
}

export function tempDir(prefix = 'harness-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface Captured {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `harness` in-process with a captured Io: fast, for everything but races and exits. */
export async function harness(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Captured> {
  const { io, out, err } = captureIo(gitEnv(env), cwd);
  const code = await main(args, io);
  return { code, out, err };
}

/** Runs the real `harness` executable, as an agent would. */
export async function harnessProcess(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = await execa('node', [HARNESS_BIN, ...args], { cwd, env: gitEnv(env), extendEnv: false, reject: false });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface Swarm {
  root: string;
  upstream: string;
  clone: (name: string) => string;
  cleanup: () => void;
}

export async function makeSwarm(opts: { from?: string } = {}): Promise<Swarm> {
  const t = tempDir();
  const r = await harness(t.dir, ['init', ...(opts.from ? ['--from', opts.from] : [])]);
  if (r.code !== 0) throw new Error(`init failed: ${r.err.join('\n')}`);
  const upstream = path.join(t.dir, '.swarm/upstream.git');
  return {
    root: t.dir,
    upstream,
    clone: (name) => {
      const dir = path.join(t.dir, name);
      git(t.dir, 'clone', '-q', upstream, dir);
      return dir;
    },
    cleanup: t.cleanup,
  };
}

/** The lock files on upstream main. */
export function upstreamLocks(upstream: string): string[] {
  return git(upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/')
    .split('\n')
    .filter((f) => f.endsWith('.txt'))
    .map((f) => path.basename(f, '.txt'))
    .sort();
}
