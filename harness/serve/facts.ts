// What a push to main changes, read from the repo with the pushed objects still in git's
// quarantine (the hook hands the server its object-directory variables).
import { parseLock } from '../tasks/lockfile.js';
import { LOCK_DIR, taskOfFile } from '../kit/task-name.js';
import { Git } from '../kit/git.js';
import { converse, parseTree, type RawObject, type TreeEntry } from '../git/objects.js';
import { isProtected, protectedPrefixes, ZERO, type LockChange, type MainFacts } from './policy.js';

export interface QuarantineEnv {
  GIT_QUARANTINE_PATH?: string;
  GIT_OBJECT_DIRECTORY?: string;
  GIT_ALTERNATE_OBJECT_DIRECTORIES?: string;
}

/**
 * One conversation (`objects`, else a `cat-file --batch` of this push) reads both tips,
 * the suite's config at the old tip, the trees that differ (compared here, level by level:
 * equal subtrees are never opened) and every lock touched. merge-base runs only when the
 * new tip is not a child of the old one. Each process is a wait for a CPU on a busy
 * machine, and this runs inside every push while main's race window is open.
 */
export async function mainFacts(git: Git, q: QuarantineEnv, old: string, neu: string, extraProtected: string[], objects?: Ask): Promise<MainFacts> {
  const env = quarantineEnv(q);
  const base = old === ZERO ? null : old;
  const suiteSpec = `${base}:test-oracle.json`;
  const reading = async (ask: Ask) => {
    const [newCommit, oldCommit, suiteObj] = await ask([neu, ...(base ? [base, suiteSpec] : [])]);
    if (newCommit?.type !== 'commit') throw new Error(`the pushed tip ${neu} is not a commit`);
    if (base && oldCommit?.type !== 'commit') throw new Error(`main's tip ${base} cannot be read`);
    // Net change from the old tip: what main holds before and after this push.
    const changes = (await treeDiff(ask, base ? treeOf(oldCommit!.data) : null, treeOf(newCommit.data))).map((c) => ({ ...c, task: lockTask(c.path) }));
    const lockBlobs = [...new Set(changes.flatMap((c) => (c.task ? [c.before, c.after].filter((b): b is string => b !== null) : [])))];
    const blobs = new Map(lockBlobs.map((b, i) => [b, i]));
    const got = await ask(lockBlobs);
    return { newCommit, suiteObj, changes, blob: (sha: string | null) => (sha === null ? null : (got[blobs.get(sha)!]?.data ?? Buffer.alloc(0))) };
  };
  const read = objects ? await reading(objects) : await converse(git, env, reading);
  const fastForward = base === null || parentsOf(read.newCommit.data).includes(base) || (await git.run(['merge-base', '--is-ancestor', base, neu], { env })).code === 0;
  const suite = read.suiteObj?.type === 'blob' ? jsonObject(read.suiteObj.data) : null;
  const prefixes = protectedPrefixes(suite, extraProtected);
  const lockOf = (blob: string | null) => (blob ? parseLock(read.blob(blob) ?? Buffer.alloc(0)) : null);
  const locks: LockChange[] = [];
  const protectedChanged: string[] = [];
  for (const c of read.changes) {
    if (base && isProtected(c.path, prefixes)) protectedChanged.push(c.path);
    if (!c.task) continue;
    const before = lockOf(c.before);
    const after = lockOf(c.after);
    locks.push({ task: c.task, kind: before && after ? 'modified' : after ? 'added' : 'deleted', before, after, ...(c.after ? { blob: c.after } : {}) });
  }
  return { fastForward, locks, protectedChanged };
}

/** The variables a push's git needs to see its quarantined objects (those the hook was given). */
export function quarantineEnv(q: QuarantineEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v)) as Record<string, string>;
}

export type Ask = (specs: string[]) => Promise<(RawObject | null)[]>;

/**
 * What `git diff-tree -r --no-renames` lists between two trees (null: empty): every
 * non-tree entry added, deleted, or changed in content or mode, with its full path. One
 * round of questions per level of folders that differ.
 */
export async function treeDiff(ask: Ask, a: string | null, b: string | null): Promise<Change[]> {
  const out: Change[] = [];
  let level: { prefix: string; a: string | null; b: string | null }[] = [{ prefix: '', a, b }];
  while (level.length) {
    const shas = [...new Set(level.flatMap((p) => [p.a, p.b].filter((x): x is string => x !== null)))];
    const objs = new Map((await ask(shas)).map((o, i) => [shas[i]!, o]));
    const entries = (sha: string | null) => {
      if (sha === null) return new Map<string, TreeEntry>();
      const o = objs.get(sha);
      if (o?.type !== 'tree') throw new Error(`tree ${sha} cannot be read`);
      return new Map(parseTree(o.data).map((e) => [e.name, e]));
    };
    const next: typeof level = [];
    for (const p of level) {
      const ea = entries(p.a);
      const eb = entries(p.b);
      for (const name of new Set([...ea.keys(), ...eb.keys()])) {
        const x = ea.get(name);
        const y = eb.get(name);
        if (x && y && x.sha === y.sha && x.mode === y.mode) continue;
        const xt = x?.type === 'tree' ? x.sha : null;
        const yt = y?.type === 'tree' ? y.sha : null;
        if (xt || yt) next.push({ prefix: `${p.prefix}${name}/`, a: xt, b: yt });
        const xf = x && x.type !== 'tree' ? x.sha : null;
        const yf = y && y.type !== 'tree' ? y.sha : null;
        if (xf !== null || yf !== null) out.push({ path: p.prefix + name, before: xf, after: yf });
      }
    }
    level = next;
  }
  return out;
}

/** The tree a raw commit object names. */
function treeOf(commit: Buffer): string {
  const m = /^tree ([0-9a-f]{40,64})\n/.exec(commit.subarray(0, 80).toString('latin1'));
  if (!m) throw new Error('a commit without a tree');
  return m[1]!;
}

/** The task of a lock file directly in current_tasks/, else null. */
function lockTask(file: string): string | null {
  if (file.slice(0, LOCK_DIR.length + 1) !== LOCK_DIR + '/') return null;
  const name = file.slice(LOCK_DIR.length + 1);
  return name.includes('/') ? null : taskOfFile(name);
}

/** The parents named in a raw commit object's header. */
function parentsOf(commit: Buffer | undefined): string[] {
  if (!commit) return [];
  const head = commit.subarray(0, Math.max(0, commit.indexOf('\n\n'))).toString('latin1');
  return head.split('\n').filter((l) => l.startsWith('parent ')).map((l) => l.slice(7).trim());
}

export interface Change {
  path: string;
  before: string | null;
  after: string | null;
}

/** A JSON object from a blob: null when the blob is missing, {} when it is not an object. */
function jsonObject(data: Buffer | undefined): Record<string, unknown> | null {
  if (!data) return null;
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
