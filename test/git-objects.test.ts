// Objects written in-process (loose blobs and trees) against git's own: the same names,
// readable by git, and a repository that passes `git fsck` after edits at every depth.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Git, gitProcessCount } from '../harness/kit/git.js';
import { commitTree } from '../harness/git/commit.js';
import { editTree, encodeTree, parseTree, readFolder, Snapshot, writeLooseObject } from '../harness/git/objects.js';
import { appendReflog, backoffMs } from '../harness/git/sync.js';
import { git, gitEnv, tempDir } from './helpers/repos.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('git-objects-'));
  git(dir, 'init', '-q', '--bare');
});
afterEach(() => cleanup());

const gitIn = (input: string | Buffer, ...args: string[]) =>
  execFileSync('git', args, { cwd: dir, env: gitEnv(), input }).toString().trim();

it('names and writes blobs and trees exactly as git does', () => {
  for (const content of ['', 'hello\n', Buffer.from([0, 1, 2, 255])]) {
    const oid = writeLooseObject(`${dir}/objects`, 'blob', Buffer.from(content));
    expect(oid).toBe(gitIn(content, 'hash-object', '--stdin'));
    expect(Buffer.from(execFileSync('git', ['cat-file', 'blob', oid], { cwd: dir })).equals(Buffer.from(content))).toBe(true);
  }
  const blob = writeLooseObject(`${dir}/objects`, 'blob', Buffer.from('x'));
  const sub = writeLooseObject(`${dir}/objects`, 'tree', encodeTree([{ mode: '100644', type: 'blob', sha: blob, name: 'f' }]));
  // 'a.b' < 'a/' < 'a0' in git's order: a folder sorts as if its name ended in '/'.
  const entries = [
    { mode: '100755', type: 'blob' as const, sha: blob, name: 'a0' },
    { mode: '040000', type: 'tree' as const, sha: sub, name: 'a' },
    { mode: '100644', type: 'blob' as const, sha: blob, name: 'a.b' },
  ];
  const tree = writeLooseObject(`${dir}/objects`, 'tree', encodeTree(entries));
  const mktree = gitIn(`100755 blob ${blob}\ta0\n040000 tree ${sub}\ta\n100644 blob ${blob}\ta.b\n`, 'mktree');
  expect(tree).toBe(mktree);
  expect(parseTree(execFileSync('git', ['cat-file', 'tree', tree], { cwd: dir })).map((e) => e.name)).toEqual(['a.b', 'a', 'a0']);
  // Writing an object that exists already is a no-op, not an error.
  expect(writeLooseObject(`${dir}/objects`, 'tree', encodeTree(entries))).toBe(tree);
});

it('edits nested paths on top of a commit, and git fsck finds nothing wrong', async () => {
  const g = new Git(dir, gitEnv());
  let head: string | null = null;
  const steps = [
    [{ path: 'current_tasks/a.txt', content: 'A\n' }, { path: 'deep/x/y/z.txt', content: 'Z\n' }, { path: 'top', content: 'T' }],
    [{ path: 'current_tasks/b.txt', content: 'B\n' }, { path: 'deep/x/y/z.txt', content: null }],
    [{ path: 'current_tasks/a.txt', content: null }, { path: 'current_tasks/b.txt', content: null }],
  ];
  for (const edits of steps) {
    const snap = await Snapshot.load(g, head, { files: edits.map((e) => e.path) });
    const tree = await editTree(g, snap, edits);
    head = await commitTree(g, tree, head ? [head] : [], 'step\n', 'test');
  }
  expect(git(dir, 'ls-tree', '-r', '--name-only', head!).split('\n')).toEqual(['top']);
  expect(git(dir, 'fsck', '--strict', '--no-dangling', head!)).toBe('');
});

it('reads a folder and its files, binary and large ones too, through one git process', async () => {
  const objects = `${dir}/objects`;
  const big = Buffer.alloc(300_000, 'y'); // more than one pipe read: the answer arrives in pieces
  const files = { 'a.txt': Buffer.from('first\n'), 'b.bin': Buffer.from([0, 10, 255, 10]), 'c.txt': big, 'skip.me': Buffer.from('no') };
  const entries = Object.entries(files).map(([name, data]) => ({ mode: '100644', type: 'blob' as const, sha: writeLooseObject(objects, 'blob', data), name }));
  const sub = writeLooseObject(objects, 'tree', encodeTree(entries));
  const root = writeLooseObject(objects, 'tree', encodeTree([{ mode: '040000', type: 'tree', sha: sub, name: 'dir' }]));
  const commit = gitIn('c\n', 'commit-tree', root);
  const g = new Git(dir, gitEnv());
  const before = gitProcessCount();
  const got = await readFolder(g, commit, 'dir', (e) => e.name !== 'skip.me');
  expect(gitProcessCount() - before).toBe(1);
  expect(got.map((f) => f.entry.name)).toEqual(['a.txt', 'b.bin', 'c.txt']);
  for (const f of got) expect(f.data.equals(files[f.entry.name as keyof typeof files])).toBe(true);
  expect(await readFolder(g, commit, 'no-such-dir', () => true)).toEqual([]);
  expect(await readFolder(g, commit, 'dir', () => false)).toEqual([]);
});

it('a reflog line for a repository moved away meanwhile leaves no ghost folder at its old path', () => {
  appendReflog(dir, 'refs/heads/main', null, 'a'.repeat(40));
  expect(readFileSync(path.join(dir, 'logs/refs/heads/main'), 'utf8')).toContain('supervisor lock removal');
  renameSync(dir, `${dir}.away`);
  try {
    appendReflog(dir, 'refs/heads/main', 'a'.repeat(40), 'b'.repeat(40));
    expect(existsSync(dir)).toBe(false);
  } finally {
    renameSync(`${dir}.away`, dir);
  }
});

it('an object written for a repository moved away meanwhile fails, and leaves no ghost folder at its old path', () => {
  const objects = path.join(dir, 'objects');
  writeLooseObject(objects, 'blob', Buffer.from('before\n'));
  renameSync(dir, `${dir}.away`);
  try {
    expect(() => writeLooseObject(objects, 'blob', Buffer.from('during the outage\n'))).toThrow(/ENOENT/);
    expect(existsSync(dir)).toBe(false);
  } finally {
    renameSync(`${dir}.away`, dir);
  }
});

it('backs off on the scale of the attempt that lost: a slow landing spreads its losers wider', () => {
  const top = () => 0.999_999;
  expect(backoffMs(1, top)).toBe(39); // 20 ms doubled, as before, for an instant loss
  expect(backoffMs(1, top, 300)).toBe(599); // a 300 ms attempt: 600 ms
  expect(backoffMs(3, top, 300)).toBe(2399);
  expect(backoffMs(9, top, 300)).toBe(10_239); // the cap holds
  expect(backoffMs(2, () => 0, 5000)).toBe(0); // full jitter: from zero
  expect(backoffMs(1, top, 30_000)).toBe(1999); // an attempt that sat in a queue counts as 1 s
});
