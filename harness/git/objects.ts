// Reading and writing git objects directly (ls-tree, cat-file, mktree, commit-tree), so a
// commit can be built on top of upstream main without touching anybody's working tree,
// index or local commits. Works the same in a clone and in a bare repo.
import { Git, GitFailure } from './git.js';

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  name: string;
}

export async function lsTree(git: Git, treeish: string): Promise<TreeEntry[]> {
  const r = await git.run(['ls-tree', '-z', treeish]);
  if (r.code !== 0) {
    if (/Not a valid object name|not a tree object/.test(r.stderr)) return [];
    throw new GitFailure(['ls-tree', treeish], r);
  }
  return r.stdout
    .split('\0')
    .filter(Boolean)
    .map((rec) => {
      const tab = rec.indexOf('\t');
      const [mode, type, sha] = rec.slice(0, tab).split(' ');
      return { mode: mode!, type: type as TreeEntry['type'], sha: sha!, name: rec.slice(tab + 1) };
    });
}

/** Reads several blobs in one `cat-file --batch` call. */
export async function readBlobs(git: Git, shas: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (shas.length === 0) return out;
  const r = await catFileBatch(git, shas);
  let pos = 0;
  while (pos < r.length) {
    const nl = r.indexOf(0x0a, pos);
    if (nl < 0) break;
    const header = r.subarray(pos, nl).toString('utf8').split(' ');
    pos = nl + 1;
    if (header[1] === 'missing') continue;
    const size = Number(header[2]);
    out.set(header[0]!, r.subarray(pos, pos + size));
    pos += size + 1;
  }
  return out;
}

async function catFileBatch(git: Git, shas: string[]): Promise<Buffer> {
  const r = await git.run(['cat-file', '--batch'], { input: shas.join('\n') + '\n' });
  if (r.code !== 0) throw new GitFailure(['cat-file', '--batch'], r);
  return r.raw; // blobs may be binary garbage: keep the bytes, not a decoded string
}

export async function hashBlob(git: Git, content: string): Promise<string> {
  return git.must(['hash-object', '-w', '--stdin'], { input: content });
}

export async function mktree(git: Git, entries: TreeEntry[]): Promise<string> {
  const input = entries.map((e) => `${e.mode} ${e.type} ${e.sha}\t${e.name}`).join('\0') + (entries.length ? '\0' : '');
  return git.must(['mktree', '-z'], { input });
}

/** A change to one file: new content, or null to delete it. */
export interface FileEdit {
  path: string;
  content: string | null;
}

/**
 * Applies edits to a tree and writes the new trees bottom-up. Only the directories on
 * the edited paths are read and rewritten, so the cost does not grow with repo size.
 */
export async function editTree(git: Git, tree: string | null, edits: FileEdit[]): Promise<string> {
  const entries = tree ? await lsTree(git, tree) : [];
  const byName = new Map(entries.map((e) => [e.name, e]));
  const groups = new Map<string, FileEdit[]>();
  for (const ed of edits) {
    const slash = ed.path.indexOf('/');
    if (slash < 0) {
      if (ed.content === null) byName.delete(ed.path);
      else byName.set(ed.path, { mode: '100644', type: 'blob', sha: await hashBlob(git, ed.content), name: ed.path });
    } else {
      const dir = ed.path.slice(0, slash);
      const list = groups.get(dir) ?? [];
      list.push({ path: ed.path.slice(slash + 1), content: ed.content });
      groups.set(dir, list);
    }
  }
  for (const [dir, sub] of groups) {
    const existing = byName.get(dir);
    const subTree = await editTree(git, existing?.type === 'tree' ? existing.sha : null, sub);
    const empty = (await lsTree(git, subTree)).length === 0;
    if (empty) byName.delete(dir);
    else byName.set(dir, { mode: '040000', type: 'tree', sha: subTree, name: dir });
  }
  return mktree(git, [...byName.values()]);
}

/** Commits a tree with the given parents, as the configured user or else as `fallbackName`. */
export async function commitTree(git: Git, tree: string, parents: string[], message: string, fallbackName: string): Promise<string> {
  return git.mustAs(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], { input: message }, fallbackName);
}
