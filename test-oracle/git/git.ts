// The oracle's door to git: the harness's one git seam (harness/kit/git.ts),
// adapted to the `raw(args)` shape the oracle's modules use. Every function takes the repo
// folder and the environment explicitly; inside a pre-receive hook git's quarantine
// variables (GIT_DIR, GIT_QUARANTINE_PATH, ...) are in that environment and pass through.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvError } from '../../harness/kit/errors.js';
import { Git, GitFailure } from '../../harness/kit/git.js';

export interface RawGit {
  /** stdout of git; a non-zero exit throws */
  raw(args: string[]): Promise<string>;
}

export function git(dir: string, env: NodeJS.ProcessEnv): RawGit {
  const g = new Git(dir, env);
  return {
    raw: async (args) => {
      const r = await g.run(args);
      if (r.code !== 0) throw new GitFailure(args, r);
      return r.stdout;
    },
  };
}

export async function tryRaw(g: RawGit, args: string[]): Promise<string | null> {
  try {
    return await g.raw(args);
  } catch {
    return null;
  }
}

/** `git ls-tree` of `rev`'s root folder, or null when git cannot list it. */
export async function lsRoot(dir: string, env: NodeJS.ProcessEnv, rev: string): Promise<string | null> {
  return tryRaw(git(dir, env), ['ls-tree', rev]);
}

/** Full sha of `rev`, or null when it does not name a commit. */
export async function resolveCommit(dir: string, env: NodeJS.ProcessEnv, rev: string): Promise<string | null> {
  const out = await tryRaw(git(dir, env), ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return out ? out.trim() : null;
}

export interface WorkTreeInfo extends WorkTreeStatus {
  head: string | null;
  /** the repo's common git dir, absolute (where the notes lock lives) */
  commonDir: string;
}

export interface WorkTreeStatus {
  /** no changes to tracked files: results then describe the commit */
  clean: boolean;
  /** tracked files with changes, and untracked files (not ignored), as git names them */
  changed: string[];
  untracked: string[];
}

export async function workTreeInfo(dir: string, env: NodeJS.ProcessEnv): Promise<WorkTreeInfo | null> {
  // One process for the three questions (every agent runs this often): an unborn HEAD
  // exits 1 after printing the first two answers.
  const r = await new Git(dir, env).run(['rev-parse', '--is-inside-work-tree', '--path-format=absolute', '--git-common-dir', '--verify', '--quiet', 'HEAD^{commit}']);
  const [inside, commonDir, sha] = r.stdout.split('\n');
  if ((r.code !== 0 && r.code !== 1) || inside !== 'true' || !commonDir) return null;
  const head = r.code === 0 && sha ? sha : null;
  return { head, commonDir, ...(await workTreeStatus(dir, env)) };
}

/** What `git status` says of the work tree: one process. */
export async function workTreeStatus(dir: string, env: NodeJS.ProcessEnv): Promise<WorkTreeStatus> {
  const status = await tryRaw(git(dir, env), ['status', '--porcelain', '-z', '--untracked-files=normal']);
  const changed: string[] = [];
  const untracked: string[] = [];
  const entries = (status ?? '').split('\0');
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.length < 4) continue;
    if (e.startsWith('??')) untracked.push(e.slice(3));
    else {
      changed.push(e.slice(3));
      // A rename or copy is followed by its source path.
      if (/^[RC]/.test(e)) i++;
    }
  }
  return { clean: status !== null && changed.length === 0, changed, untracked };
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

const TAR_TIMEOUT_MS = 120_000;

/** Writes the tree of `rev` (or only `paths` of it) into `dest`, which must exist, without touching any ref. */
export async function extractTree(dir: string, env: NodeJS.ProcessEnv, rev: string, dest: string, paths: string[] = []): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'test-oracle-tar-'));
  try {
    const tar = join(tmp, 'tree.tar');
    // `archive` reads objects only, so it also works on pushed objects still in quarantine.
    await git(dir, env).raw(['archive', '--format=tar', '-o', tar, rev, ...(paths.length ? ['--', ...paths] : [])]);
    await new Promise<void>((done, fail) =>
      execFile('tar', ['-xf', tar, '-C', dest], { timeout: TAR_TIMEOUT_MS }, (e, _out, err) => (e ? fail(new EnvError('TAR_FAILED', `could not unpack ${rev} into ${dest}: ${String(err).trim() || e.message}`)) : done())),
    );
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
