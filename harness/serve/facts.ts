// What a push to main changes, read from the repo with the pushed objects still in git's
// quarantine (the hook hands the server its object-directory variables).
import { parseLock } from '../tasks/lockfile.js';
import { LOCK_DIR, taskOfFile } from '../kit/task-name.js';
import { Git } from '../kit/git.js';
import { readObjects } from '../git/objects.js';
import { isProtected, protectedPrefixes, ZERO, type LockChange, type MainFacts } from './policy.js';

export interface QuarantineEnv {
  GIT_QUARANTINE_PATH?: string;
  GIT_OBJECT_DIRECTORY?: string;
  GIT_ALTERNATE_OBJECT_DIRECTORIES?: string;
}

/**
 * Two git processes for the usual push (a diff-tree, then one cat-file --batch for the new
 * tip, the suite's config at the old tip and every lock touched); a third, merge-base, only
 * when the new tip is not a child of the old one. Each process is a wait for a CPU on a
 * busy machine, and this runs inside every push while main's race window is open.
 */
export async function mainFacts(git: Git, q: QuarantineEnv, old: string, neu: string, extraProtected: string[]): Promise<MainFacts> {
  const env = Object.fromEntries(Object.entries(q).filter(([, v]) => v)) as Record<string, string>;
  const base = old === ZERO ? null : old;
  // Net change from the old tip: what main holds before and after this push.
  const args = base ? ['diff-tree', '-r', '-z', '--no-renames', '--raw', base, neu] : ['ls-tree', '-r', '-z', '--full-tree', neu];
  const raw = await git.must(args, { env });
  const changes = (base ? parseRaw(raw) : parseLsTree(raw)).map((c) => ({ ...c, task: lockTask(c.path) }));
  const lockBlobs = changes.flatMap((c) => (c.task ? [c.before, c.after].filter((b): b is string => b !== null) : []));
  const suiteSpec = `${base}:test-oracle.json`;
  const objs = await readObjects(git, [neu, ...(base ? [suiteSpec] : []), ...lockBlobs], env);
  const fastForward = base === null || parentsOf(objs.get(neu)?.data).includes(base) || (await git.run(['merge-base', '--is-ancestor', base, neu], { env })).code === 0;
  const suiteObj = base ? objs.get(suiteSpec) : undefined;
  const suite = suiteObj?.type === 'blob' ? jsonObject(suiteObj.data) : null;
  const prefixes = protectedPrefixes(suite, extraProtected);
  const lockOf = (blob: string | null) => (blob ? parseLock(objs.get(blob)?.data ?? Buffer.alloc(0)) : null);
  const locks: LockChange[] = [];
  const protectedChanged: string[] = [];
  for (const c of changes) {
    if (base && isProtected(c.path, prefixes)) protectedChanged.push(c.path);
    if (!c.task) continue;
    const before = lockOf(c.before);
    const after = lockOf(c.after);
    locks.push({ task: c.task, kind: before && after ? 'modified' : after ? 'added' : 'deleted', before, after, ...(c.after ? { blob: c.after } : {}) });
  }
  return { fastForward, locks, protectedChanged };
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

interface Change {
  path: string;
  before: string | null;
  after: string | null;
}

/** `:100644 100644 <a> <b> M\0path\0` records. */
function parseRaw(raw: string): Change[] {
  const parts = raw.split('\0');
  const out: Change[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i]!.replace(/^\n/, '').split(' ');
    const p = parts[i + 1]!;
    if (meta.length < 5) continue;
    const a = meta[2]!;
    const b = meta[3]!;
    out.push({ path: p, before: /^0+$/.test(a) ? null : a, after: /^0+$/.test(b) ? null : b });
  }
  return out;
}

function parseLsTree(raw: string): Change[] {
  return raw.split('\0').filter(Boolean).map((rec) => {
    const [meta, p] = rec.split('\t') as [string, string];
    return { path: p, before: null, after: meta.split(' ')[2]! };
  });
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
