// What a push to main changes, read from the repo with the pushed objects still in git's
// quarantine (the hook hands the server its object-directory variables).
import { parseLock } from '../tasks/lockfile.js';
import { LOCK_DIR, taskOfFile } from '../tasks/name.js';
import { Git } from '../git/git.js';
import { isProtected, protectedPrefixes, ZERO, type LockChange, type MainFacts } from './policy.js';

export interface QuarantineEnv {
  GIT_QUARANTINE_PATH?: string;
  GIT_OBJECT_DIRECTORY?: string;
  GIT_ALTERNATE_OBJECT_DIRECTORIES?: string;
}

export async function mainFacts(git: Git, q: QuarantineEnv, old: string, neu: string, extraProtected: string[]): Promise<MainFacts> {
  const env = Object.fromEntries(Object.entries(q).filter(([, v]) => v)) as Record<string, string>;
  const base = old === ZERO ? null : old;
  const fastForward = base === null || (await git.run(['merge-base', '--is-ancestor', base, neu], { env })).code === 0;
  // Net change from the old tip: what main holds before and after this push.
  const args = base ? ['diff-tree', '-r', '-z', '--no-renames', '--raw', base, neu] : ['ls-tree', '-r', '-z', '--full-tree', neu];
  const raw = await git.must(args, { env });
  const changes = base ? parseRaw(raw) : parseLsTree(raw);
  const suite = base ? await readJson(git, env, `${base}:test-oracle.json`) : null;
  const prefixes = protectedPrefixes(suite, extraProtected);
  const locks: LockChange[] = [];
  const protectedChanged: string[] = [];
  for (const c of changes) {
    if (base && isProtected(c.path, prefixes)) protectedChanged.push(c.path);
    const dir = c.path.slice(0, LOCK_DIR.length + 1);
    const task = dir === LOCK_DIR + '/' && !c.path.slice(LOCK_DIR.length + 1).includes('/') ? taskOfFile(c.path.slice(LOCK_DIR.length + 1)) : null;
    if (!task) continue;
    const before = c.before ? parseLock((await git.run(['cat-file', 'blob', c.before], { env })).raw) : null;
    const after = c.after ? parseLock((await git.run(['cat-file', 'blob', c.after], { env })).raw) : null;
    locks.push({ task, kind: before && after ? "modified" : after ? "added" : "deleted", before, after, ...(c.after ? { blob: c.after } : {}) });
  }
  return { fastForward, locks, protectedChanged };
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

async function readJson(git: Git, env: Record<string, string>, spec: string): Promise<Record<string, unknown> | null> {
  const r = await git.run(['cat-file', 'blob', spec], { env });
  if (r.code !== 0) return null;
  try {
    const v = JSON.parse(r.stdout) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
