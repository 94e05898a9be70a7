// The policy's tree diff (read through one cat-file conversation instead of a diff-tree
// process per push) against git's own `diff-tree -r --no-renames` on the same commits.
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Git } from '../harness/kit/git.js';
import { converse } from '../harness/git/objects.js';
import { treeDiff } from '../harness/serve/facts.js';
import { git, gitEnv, tempDir } from './helpers/repos.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

function gitDiff(dir: string, a: string | null, b: string): string[] {
  const raw = a ? git(dir, 'diff-tree', '-r', '-z', '--no-renames', '--raw', a, b) : git(dir, 'ls-tree', '-r', '-z', '--full-tree', b);
  const parts = raw.split('\0').filter(Boolean);
  const out: string[] = [];
  if (!a) for (const rec of parts) out.push(`${rec.split('\t')[1]} - ${rec.split('\t')[0]!.split(' ')[2]}`);
  else for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i]!.split(' ');
    const z = (s: string) => (/^0+$/.test(s) ? '-' : s);
    out.push(`${parts[i + 1]} ${z(meta[2]!)} ${z(meta[3]!)}`);
  }
  return out.sort();
}

describe('treeDiff', () => {
  it('lists what git diff-tree -r --no-renames lists: adds, deletes, edits, mode changes, a folder turned file and back, symlinks, nested folders', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const d = t.dir;
    git(d, 'init', '-q', '-b', 'main');
    const w = (f: string, s: string) => (mkdirSync(path.dirname(path.join(d, f)), { recursive: true }), writeFileSync(path.join(d, f), s));
    const commit = (m: string) => (git(d, 'add', '-A'), git(d, 'commit', '-qm', m, '--allow-empty'), git(d, 'rev-parse', 'HEAD'));
    w('a.txt', 'a\n');
    w('current_tasks/t1.txt', 'Task: t1\n');
    w('deep/x/y/z.c', 'z\n');
    w('deep/x/keep.c', 'k\n');
    w('becomes-file/inner.txt', 'i\n');
    w('tests/a.sh', 'exit 0\n');
    const c1 = commit('one');
    w('a.txt', 'a changed\n');
    rmSync(path.join(d, 'current_tasks/t1.txt'));
    w('current_tasks/t2.txt', 'Task: t2\n');
    w('deep/x/y/new.c', 'n\n');
    chmodSync(path.join(d, 'tests/a.sh'), 0o755);
    rmSync(path.join(d, 'becomes-file'), { recursive: true });
    w('becomes-file', 'now a file\n');
    symlinkSync('a.txt', path.join(d, 'link'));
    const c2 = commit('two');
    rmSync(path.join(d, 'becomes-file'));
    w('becomes-file/again.txt', 'a folder again\n');
    rmSync(path.join(d, 'deep'), { recursive: true });
    const c3 = commit('three');
    const g = new Git(d, gitEnv());
    const tree = (c: string) => git(d, 'rev-parse', `${c}^{tree}`);
    const mine = async (a: string | null, b: string) =>
      (await converse(g, undefined, (ask) => treeDiff(ask, a ? tree(a) : null, tree(b)))).map((c) => `${c.path} ${c.before ?? '-'} ${c.after ?? '-'}`).sort();
    for (const [a, b] of [[c1, c2], [c2, c3], [c1, c3], [c3, c1], [c2, c2], [null, c2]] as const) {
      const expected = gitDiff(d, a, b);
      if (a !== b) expect(expected.length).toBeGreaterThan(0);
      expect(await mine(a, b)).toEqual(expected);
    }
  });
});
