// Finds a checkout's git dir and branch by reading the files git itself reads, so the
// commands agents run dozens of times per session spend no process on `git rev-parse`.
// Only the plain layouts are read here: a `.git` folder, or a `.git` file pointing at a
// linked worktree's folder, with loose or packed refs. Anything else (GIT_DIR and friends
// set, a bare repo, reftable, a symlinked HEAD) returns null and the caller asks git.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Discovered {
  /** the common git dir (shared by linked worktrees), absolute */
  commonDir: string;
  /** the branch HEAD is on (refs/heads/...), or null when detached or unborn */
  headRef: string | null;
}

/** Variables that change where git looks; with any of them set, only git itself knows. */
const STEERING = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM', 'GIT_OBJECT_DIRECTORY'];

export function discoverRepo(start: string, env: (name: string) => string | undefined): Discovered | null {
  if (STEERING.some((v) => env(v) !== undefined)) return null;
  const gitDir = findGitDir(path.resolve(start));
  if (!gitDir) return null;
  const commonDir = readCommonDir(gitDir);
  if (!commonDir || isFolder(path.join(commonDir, 'reftable'))) return null;
  const head = readText(path.join(gitDir, 'HEAD'));
  if (head === null) return null;
  const m = /^ref: (refs\/\S+)\n?$/.exec(head);
  if (!m) return /^[0-9a-f]{40,64}\n?$/.test(head) ? { commonDir, headRef: null } : null;
  const ref = m[1]!;
  if (!ref.startsWith('refs/heads/')) return null;
  return { commonDir, headRef: refExists(commonDir, ref) ? ref : null };
}

function findGitDir(dir: string): string | null {
  for (;;) {
    const dotGit = path.join(dir, '.git');
    if (isFolder(dotGit)) return isFile(path.join(dotGit, 'HEAD')) ? dotGit : null;
    const link = readText(dotGit);
    if (link !== null) {
      const m = /^gitdir: (.+?)\r?\n?$/.exec(link);
      return m ? path.resolve(dir, m[1]!) : null;
    }
    // A bare repo (the folder itself holds HEAD) is left to git: it has more rules.
    if (isFile(path.join(dir, 'HEAD')) && isFolder(path.join(dir, 'objects'))) return null;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function readCommonDir(gitDir: string): string | null {
  const link = readText(path.join(gitDir, 'commondir'));
  const dir = link === null ? gitDir : path.resolve(gitDir, link.trim());
  return isFolder(path.join(dir, 'objects')) ? dir : null;
}

function refExists(commonDir: string, ref: string): boolean {
  if (isFile(path.join(commonDir, ref))) return true;
  const packed = readText(path.join(commonDir, 'packed-refs'));
  return packed !== null && packed.split('\n').some((l) => l.endsWith(` ${ref}`) && !l.startsWith('^'));
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function isFolder(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isFile(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}
