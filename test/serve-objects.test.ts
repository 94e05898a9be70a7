// The objects a push's policy check reads: the quarantine's loose files, the repo through
// the server's kept cat-file, and a push's own pack through a cat-file of that push.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Git } from '../harness/kit/git.js';
import { ServerObjects } from '../harness/serve/objects.js';
import { readLoose } from '../harness/git/objects.js';
import { git, gitEnv, tempDir } from './helpers/repos.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/**
 * A repo holding commit A, and a quarantine as receive-pack leaves it: B's objects loose,
 * C's in a pack (git keeps a large push's pack as it came).
 */
function pushInQuarantine() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const repo = path.join(t.dir, 'up.git');
  const w = path.join(t.dir, 'w');
  const q = path.join(t.dir, 'incoming');
  git(t.dir, 'init', '-q', '--bare', '-b', 'main', repo);
  git(t.dir, 'init', '-q', '-b', 'main', w);
  const commit = (file: string, text: string) => {
    writeFileSync(path.join(w, file), text);
    git(w, 'add', file);
    git(w, 'commit', '-q', '-m', file);
    return git(w, 'rev-parse', 'HEAD');
  };
  const a = commit('a.txt', 'ay\n');
  git(w, 'push', '-q', repo, 'main');
  const b = commit('b.txt', 'bee\n');
  const c = commit('c.txt', 'sea\n');
  mkdirSync(path.join(q, 'pack'), { recursive: true });
  const pack = (revs: string) => execFileSync('sh', ['-c', `git rev-list --objects ${revs} | git pack-objects --stdout`], { cwd: w, env: gitEnv() });
  execFileSync('git', ['unpack-objects', '-q'], { cwd: w, input: pack(`${b} ^${a}`), env: { ...gitEnv(), GIT_OBJECT_DIRECTORY: q } });
  execFileSync('git', ['index-pack', '--stdin', path.join(q, 'pack/pack-c.pack')], { cwd: w, input: pack(`${c} ^${b}`), env: gitEnv() });
  return { repo, q, a, b, c };
}

describe('objects for the policy check', () => {
  it('reads loose, kept and packed objects alike, and a missing one as null', async () => {
    const { repo, q, a, b, c } = pushInQuarantine();
    expect(readLoose(q, b)?.type).toBe('commit');
    expect(readLoose(q, c)).toBeNull(); // in the quarantine's pack
    expect(readLoose(q, a)).toBeNull(); // in the repo

    const objects = new ServerObjects(new Git(repo, gitEnv()));
    cleanups.push(() => objects.close());
    const ask = objects.forPush({ GIT_QUARANTINE_PATH: q, GIT_OBJECT_DIRECTORY: q, GIT_ALTERNATE_OBJECT_DIRECTORIES: path.join(repo, 'objects') });
    const got = await ask([b, a, c, `${a}:a.txt`, 'f'.repeat(40), `${b}:b.txt`, `${a}:none.json`, `${c}:c.txt`]);
    expect(got.map((o) => o?.type ?? null)).toEqual(['commit', 'commit', 'commit', 'blob', null, 'blob', null, 'blob']);
    expect(got.map((o) => o?.sha ?? null).slice(0, 3)).toEqual([b, a, c]);
    expect(got[3]!.data.toString()).toBe('ay\n');
    expect(got[5]!.data.toString()).toBe('bee\n');

    // The kept process answers question after question, and again after a recycle.
    expect((await ask([a]))[0]?.sha).toBe(a);
    objects.recycle();
    const again = await Promise.all([ask([`${a}:a.txt`]), ask([a, b])]);
    expect(again[0][0]?.data.toString()).toBe('ay\n');
    expect(again[1].map((o) => o?.sha)).toEqual([a, b]);
  });
});
