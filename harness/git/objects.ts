// Reading and writing git objects directly, so a commit can be built on top of upstream
// main without touching anybody's working tree, index or local commits. Works the same in
// a clone and in a bare repo. Claims are contended, so the cost per attempt matters: one
// `cat-file --batch` reads every tree and file an edit needs, and new blobs and trees are
// written in-process as loose objects instead of one git process each (and without
// loading a git library: a claim is a short-lived process, its start-up counts); so is
// the commit on top of them (commit.ts).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { Git, GitFailure } from '../kit/git.js';
import { discoverRepo, type Discovered } from './discover.js';

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  name: string;
}

export interface RawObject {
  type: string;
  sha: string;
  data: Buffer;
}

/**
 * Reads many objects by name (`sha`, `rev:path`) in one process; missing ones are absent.
 * `env`: more of git's environment (the object directories of a push in quarantine).
 */
export async function readObjects(git: Git, specs: string[], env?: Record<string, string>): Promise<Map<string, RawObject>> {
  const out = new Map<string, RawObject>();
  if (specs.length === 0) return out;
  const r = await git.run(['cat-file', '--batch'], { input: specs.join('\n') + '\n', ...(env ? { env } : {}) });
  if (r.code !== 0) throw new GitFailure(['cat-file', '--batch'], r);
  const buf = r.raw; // blobs may be binary garbage: keep the bytes, not a decoded string
  let pos = 0;
  for (const spec of specs) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    const header = buf.subarray(pos, nl).toString('utf8').split(' ');
    pos = nl + 1;
    if (header.length < 3 || header[1] === 'missing' || header[1] === 'ambiguous') continue;
    const size = Number(header[2]);
    out.set(spec, { sha: header[0]!, type: header[1]!, data: buf.subarray(pos, pos + size) });
    pos += size + 1;
  }
  return out;
}

/** Parses a raw tree object: entries of `mode SP name NUL sha20`. */
export function parseTree(data: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    const nul = data.indexOf(0, sp);
    const mode = data.subarray(pos, sp).toString('latin1');
    const name = data.subarray(sp + 1, nul).toString('utf8');
    const sha = data.subarray(nul + 1, nul + 21).toString('hex');
    const type = mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    entries.push({ mode: mode === '40000' ? '040000' : mode, type, sha, name });
    pos = nul + 21;
  }
  return entries;
}

export async function lsTree(git: Git, treeish: string): Promise<TreeEntry[]> {
  const obj = (await readObjects(git, [treeish])).get(treeish);
  return obj && obj.type === 'tree' ? parseTree(obj.data) : [];
}

/**
 * The files of one folder at `rev` that `keep` chooses, with their bytes: the folder and
 * then its files asked of one `cat-file --batch` in two rounds (one git process, not two;
 * `task list`, the backlog and the inbox all read a folder whole).
 */
export async function readFolder(git: Git, rev: string, dir: string, keep: (e: TreeEntry) => boolean): Promise<{ entry: TreeEntry; data: Buffer }[]> {
  return converse(git, undefined, async (ask) => {
    const [tree] = await ask([`${rev}:${dir}`]);
    if (!tree || tree.type !== 'tree') return [];
    const entries = parseTree(tree.data).filter((e) => e.type === 'blob' && keep(e));
    const blobs = await ask(entries.map((e) => e.sha));
    return entries.flatMap((entry, i) => (blobs[i] ? [{ entry, data: blobs[i]!.data }] : []));
  });
}

/**
 * One `cat-file --batch` for a whole conversation: `ask` sends names and returns their
 * objects in order (null: missing), so a caller can read a tree, then the subtrees it
 * names, round after round, in one git process. `env`: as for readObjects.
 */
export async function converse<T>(git: Git, env: Record<string, string> | undefined, f: (ask: (specs: string[]) => Promise<(RawObject | null)[]>) => Promise<T>): Promise<T> {
  let result: { value: T } | null = null;
  const r = await git.run(['cat-file', '--batch'], {
    ...(env ? { env } : {}),
    talk: async (stdin, stdout) => {
      const answers = batchAnswers(stdout);
      const ask = async (specs: string[]) => {
        if (specs.length === 0) return [];
        stdin.write(specs.join('\n') + '\n');
        const out: (RawObject | null)[] = [];
        for (let i = 0; i < specs.length; i++) out.push(await answers.next());
        return out;
      };
      result = { value: await f(ask) };
    },
  });
  if (r.code !== 0 || !result) throw new GitFailure(['cat-file', '--batch'], r);
  return (result as { value: T }).value;
}

/** Reads `cat-file --batch` answers one at a time as they arrive; null for a missing object. */
export function batchAnswers(stdout: NodeJS.ReadableStream): { next: () => Promise<RawObject | null> } {
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  stdout.on('data', (b: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, b]) : b;
    wake?.();
  });
  stdout.on('end', () => {
    ended = true;
    wake?.();
  });
  const more = () => new Promise<void>((r) => (wake = r));
  return {
    next: async () => {
      for (;;) {
        const nl = buf.indexOf(0x0a);
        if (nl >= 0) {
          const header = buf.subarray(0, nl).toString('utf8').split(' ');
          if (header.length < 3) {
            buf = buf.subarray(nl + 1);
            return null; // `<name> missing` / `<name> ambiguous`
          }
          const size = Number(header[2]);
          if (buf.length >= nl + 1 + size + 1) {
            const data = Buffer.from(buf.subarray(nl + 1, nl + 1 + size));
            buf = buf.subarray(nl + 1 + size + 1);
            return { sha: header[0]!, type: header[1]!, data };
          }
        }
        if (ended) throw new Error('git cat-file --batch ended before answering');
        await more();
        wake = null;
      }
    },
  };
}

/**
 * The object directory new objects go to: the common dir's for linked worktrees, or
 * GIT_OBJECT_DIRECTORY when git set one (a pre-receive hook's quarantine).
 */
export async function objectDir(git: Git): Promise<string> {
  const quarantine = git.envValue('GIT_OBJECT_DIRECTORY');
  return quarantine ? path.resolve(git.dir, quarantine) : path.join((await repoFacts(git)).commonDir, 'objects');
}

export type RepoFacts = Discovered;

/** Where the repo keeps its objects and which branch is checked out: read from its files when the layout is plain, else one git call; cached. */
export function repoFacts(git: Git): Promise<RepoFacts> {
  return git.memo('facts', async () => {
    const found = discoverRepo(git.dir, (name) => git.envValue(name));
    if (found) return found;
    const r = await git.run(['rev-parse', '--path-format=absolute', '--git-common-dir', '--symbolic-full-name', 'HEAD']);
    const [commonDir, head] = r.stdout.split('\n');
    if (r.code === 0 && commonDir) return { commonDir, headRef: head?.startsWith('refs/heads/') ? head : null };
    // An unborn HEAD (a clone of an empty repo) makes the pair fail: ask for the dir alone.
    return { commonDir: await git.must(['rev-parse', '--path-format=absolute', '--git-common-dir']), headRef: null };
  });
}

type LooseType = 'blob' | 'tree' | 'commit';

/** A loose object's bytes before compression, and its name. */
export function encodeObject(type: LooseType, data: Buffer): { oid: string; body: Buffer } {
  const body = Buffer.concat([Buffer.from(`${type} ${data.length}\0`), data]);
  return { oid: createHash('sha1').update(body).digest('hex'), body };
}

/** A tree object's content: entries in git's order (a folder sorts as if its name ended in '/'). */
export function encodeTree(entries: TreeEntry[]): Buffer {
  const key = (e: TreeEntry) => Buffer.from(e.type === 'tree' ? `${e.name}/` : e.name);
  const sorted = entries.slice().sort((a, b) => Buffer.compare(key(a), key(b)));
  return Buffer.concat(
    sorted.flatMap((e) => [Buffer.from(`${e.type === 'tree' ? '40000' : e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex')]),
  );
}

/**
 * Writes a loose object the way git does: compressed into a temporary file beside it,
 * then linked to its name, so a reader never sees half an object and two writers of the
 * same object both succeed.
 */
export function writeLooseObject(objects: string, type: LooseType, data: Buffer): string {
  const { oid, body } = encodeObject(type, data);
  const dir = path.join(objects, oid.slice(0, 2));
  const file = path.join(dir, oid.slice(2));
  if (existsSync(file)) return oid;
  // The fan-out folder only, never its parents: a repository moved away meanwhile must not
  // come back as a ghost holding one commit (the endurance bench's outage found one).
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const tmp = path.join(dir, `tmp_obj_${process.pid}_${randomBytes(4).toString('hex')}`);
  writeFileSync(tmp, deflateSync(body), { mode: 0o444 });
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  return oid;
}

/** A change to one file: new content, or null to delete it. */
export interface FileEdit {
  path: string;
  content: string | null;
}

/** A commit's trees along some paths, and some files, read in one go. */
export class Snapshot {
  private constructor(
    /** the resolved commit, or null when the rev does not exist */
    readonly commit: string | null,
    private readonly rev: string,
    private readonly objects: Map<string, RawObject>,
  ) {}

  /** Loads from `rev` (a sha or a ref name, resolved here in the same git call). */
  static async load(git: Git, rev: string | null, paths: { dirs?: string[]; files?: string[] }): Promise<Snapshot> {
    if (!rev) return new Snapshot(null, '', new Map());
    const dirs = new Set(['']);
    for (const p of [...(paths.dirs ?? []), ...(paths.files ?? []).map(parentDir)]) {
      const parts = p.split('/').filter(Boolean);
      for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    const specs = [`${rev}^{commit}`, ...[...dirs].map((d) => spec(rev, d)), ...(paths.files ?? []).map((f) => spec(rev, f))];
    const objects = await readObjects(git, specs);
    return new Snapshot(objects.get(specs[0]!)?.sha ?? null, rev, objects);
  }

  /** The entries of a folder, or null if there is none. */
  tree(dir: string): TreeEntry[] | null {
    const o = this.objects.get(spec(this.rev, dir));
    return o && o.type === 'tree' ? parseTree(o.data) : null;
  }

  file(path: string): Buffer | null {
    const o = this.objects.get(spec(this.rev, path));
    return o && o.type === 'blob' ? o.data : null;
  }
}

function spec(commit: string, path: string): string {
  return path === '' ? `${commit}^{tree}` : `${commit}:${path}`;
}

function parentDir(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * Applies edits on top of a snapshot and writes the new trees bottom-up. Only folders on
 * the edited paths are rewritten, so the cost does not grow with the size of the repo.
 * The snapshot must have been loaded with every edited path.
 */
export async function editTree(git: Git, snap: Snapshot, edits: FileEdit[]): Promise<string> {
  const objects = await objectDir(git);
  const write = async (dir: string, sub: FileEdit[]): Promise<string | null> => {
    const byName = new Map((snap.tree(dir) ?? []).map((e) => [e.name, e]));
    const groups = new Map<string, FileEdit[]>();
    for (const ed of sub) {
      const slash = ed.path.indexOf('/');
      if (slash >= 0) {
        const name = ed.path.slice(0, slash);
        groups.set(name, [...(groups.get(name) ?? []), { path: ed.path.slice(slash + 1), content: ed.content }]);
      } else if (ed.content === null) byName.delete(ed.path);
      else {
        const oid = writeLooseObject(objects, 'blob', Buffer.from(ed.content));
        byName.set(ed.path, { mode: '100644', type: 'blob', sha: oid, name: ed.path });
      }
    }
    for (const [name, list] of groups) {
      const oid = await write(dir ? `${dir}/${name}` : name, list);
      if (oid === null) byName.delete(name);
      else byName.set(name, { mode: '040000', type: 'tree', sha: oid, name });
    }
    if (byName.size === 0 && dir !== '') return null; // git has no empty folders
    return writeLooseObject(objects, 'tree', encodeTree([...byName.values()]));
  };
  return (await write('', edits))!;
}

const MAX_LOOSE = 16 << 20;

/** A loose object by its full id in an objects folder; null when it is not there as a file. */
export function readLoose(objectsDir: string, spec: string): RawObject | null {
  if (!/^[0-9a-f]{40}$/.test(spec)) return null;
  let raw: Buffer;
  try {
    // Bounded: a small pushed object that inflates hugely would stall the server's loop
    // (over the bound it is read by git instead).
    raw = inflateSync(readFileSync(path.join(objectsDir, spec.slice(0, 2), spec.slice(2))), { maxOutputLength: MAX_LOOSE });
  } catch {
    return null;
  }
  const nul = raw.indexOf(0);
  const [type, size] = raw.subarray(0, nul).toString('latin1').split(' ');
  const data = raw.subarray(nul + 1);
  if (!type || Number(size) !== data.length) return null;
  return { sha: spec, type, data };
}
