// The one door to git for the oracle (simple-git). Every function takes the repo folder
// and the environment explicitly. Inside a pre-receive hook git's quarantine variables
// must reach the child git, so they are let through simple-git's environment guard.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { EnvError } from '../../harness/errors.js';

const PASS_THROUGH = ['GIT_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH'];
/** simple-git refuses these when passed explicitly (GIT_* and a few editors/pagers). */
const GUARDED = new Set(['editor', 'pager', 'prefix', 'ssh_askpass', 'visual']);

export function git(dir: string, env: NodeJS.ProcessEnv): SimpleGit {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    const lk = k.toLowerCase();
    if ((lk.startsWith('git_') || GUARDED.has(lk)) && !PASS_THROUGH.includes(k)) continue;
    clean[k] = v;
  }
  return simpleGit({ baseDir: dir, allowEnvironment: PASS_THROUGH }).env(clean);
}

export async function tryRaw(g: SimpleGit, args: string[]): Promise<string | null> {
  try {
    return await g.raw(args);
  } catch {
    return null;
  }
}

/** Full sha of `rev`, or null when it does not name a commit. */
export async function resolveCommit(dir: string, env: NodeJS.ProcessEnv, rev: string): Promise<string | null> {
  const out = await tryRaw(git(dir, env), ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return out ? out.trim() : null;
}

export interface WorkTreeInfo {
  head: string | null;
  /** no changes to tracked files: results then describe the commit */
  clean: boolean;
}

export async function workTreeInfo(dir: string, env: NodeJS.ProcessEnv): Promise<WorkTreeInfo | null> {
  const g = git(dir, env);
  const inside = await tryRaw(g, ['rev-parse', '--is-inside-work-tree']);
  if (inside?.trim() !== 'true') return null;
  const head = await resolveCommit(dir, env, 'HEAD');
  const status = await tryRaw(g, ['status', '--porcelain', '--untracked-files=no']);
  return { head, clean: status !== null && status.trim() === '' };
}

export async function gitCommonDir(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const out = await tryRaw(git(dir, env), ['rev-parse', '--git-common-dir']);
  if (!out) throw new EnvError('NOT_A_REPO', `${dir} is not inside a git repository; run from a clone or pass --no-record`);
  return resolve(dir, out.trim());
}

/** Path of the suite root inside the repo ('' at the top). */
export async function repoPrefix(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const out = await tryRaw(git(dir, env), ['rev-parse', '--show-prefix']);
  return (out ?? '').trim().replace(/\/$/, '');
}

/** Writes the tree of `rev` into `dest` (which must exist), without touching any ref. */
export async function extractTree(dir: string, env: NodeJS.ProcessEnv, rev: string, dest: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'test-oracle-tar-'));
  try {
    const tar = join(tmp, 'tree.tar');
    // `archive` reads objects only, so it also works on pushed objects still in quarantine.
    await git(dir, env).raw(['archive', '--format=tar', '-o', tar, rev]);
    const { execa } = await import('execa');
    await execa('tar', ['-xf', tar, '-C', dest]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function writeTempFile(content: string): { path: string; dispose: () => void } {
  const d = mkdtempSync(join(tmpdir(), 'test-oracle-'));
  const path = join(d, 'note');
  writeFileSync(path, content);
  return { path, dispose: () => rmSync(d, { recursive: true, force: true }) };
}
