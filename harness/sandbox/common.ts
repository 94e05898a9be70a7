// What the real sandboxes (bwrap, docker/podman) share: which paths a session sees and in
// which order they are mounted, and running a sandbox tool to find out whether it works.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { UsageError } from '../kit/errors.js';
import type { Mount, SessionSpec } from './types.js';

/**
 * The session's binds: its workspace (always rw) and the spec's mounts, parents before
 * children so that a read-only tests folder inside a writable one stays read-only. A path
 * listed twice keeps its most restrictive mode, except the workspace, which the contract
 * makes writable.
 */
export function sessionMounts(spec: Pick<SessionSpec, 'cwd' | 'mounts'>, extra: Mount[] = []): Mount[] {
  const byPath = new Map<string, Mount>();
  const cwd = absolute(spec.cwd, 'the workspace (cwd)');
  for (const m of [...extra, ...spec.mounts]) {
    const p = absolute(m.path, 'a mount');
    const seen = byPath.get(p);
    byPath.set(p, { path: p, mode: seen?.mode === 'ro' || m.mode === 'ro' ? 'ro' : 'rw' });
  }
  byPath.set(cwd, { path: cwd, mode: 'rw' });
  return [...byPath.values()].sort((a, b) => depth(a.path) - depth(b.path) || a.path.localeCompare(b.path));
}

/**
 * Where the session gets a private, empty, writable HOME: its HOME, unless that is (inside)
 * one of its mounts. Agents write their settings and caches there; giving them the host's
 * HOME would let one session read another's credentials and history.
 */
export function privateHome(spec: Pick<SessionSpec, 'env'>, mounts: Mount[]): string | undefined {
  const home = spec.env.HOME;
  if (!home || !path.isAbsolute(home) || path.resolve(home) === '/') return undefined;
  const h = path.resolve(home);
  return mounts.some((m) => within(h, m.path)) ? undefined : h;
}

export function within(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function depth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

function absolute(p: string, what: string): string {
  if (!path.isAbsolute(p)) throw new UsageError('SANDBOX_BAD_MOUNT', `${what} must be an absolute path, got "${p}"`);
  return path.resolve(p);
}

/** Names and values an environment (file) can carry; anything else is refused before start. */
export function checkEnv(env: Record<string, string>, what: string): void {
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UsageError('SANDBOX_BAD_ENV', `${what} name "${k}" is not a valid environment variable name`);
    if (v.includes('\0')) throw new UsageError('SANDBOX_BAD_ENV', `${what} ${k} contains a NUL byte`);
  }
}

export interface ToolResult {
  /** the binary was not found */
  missing: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a sandbox tool to completion; never throws, so callers can turn failures into EnvErrors. */
export function runTool(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      const missing = e?.code === 'ENOENT' || e?.code === 'EACCES';
      resolve({ missing, code: e ? (typeof e.code === 'number' ? e.code : missing ? null : 1) : 0, stdout, stderr: stderr || (missing ? '' : (e?.message ?? '')) });
    });
  });
}

/** The last non-empty line of a tool's stderr, for an error message. */
export function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}
