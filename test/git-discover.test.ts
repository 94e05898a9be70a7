// Reading the repo's layout from its files must agree with `git rev-parse` wherever it
// answers at all, and step aside (null) wherever git has rules it does not copy.
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverRepo } from '../harness/git/discover.js';
import { git, tempDir } from './helpers/repos.js';

let root: string;
let cleanup: () => void;
const noEnv = () => undefined;

/** What git says: the common dir and the checked-out branch (null when detached or unborn). */
function byGit(dir: string): { commonDir: string; headRef: string | null } {
  const commonDir = git(dir, 'rev-parse', '--path-format=absolute', '--git-common-dir');
  let headRef: string | null = null;
  try {
    const h = git(dir, 'rev-parse', '--symbolic-full-name', 'HEAD');
    headRef = h.startsWith('refs/heads/') ? h : null;
  } catch {
    headRef = null; // unborn
  }
  return { commonDir: realpathSync(commonDir), headRef };
}

function clone(name: string): string {
  const dir = path.join(root, name);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'first');
  return dir;
}

beforeAll(() => {
  ({ dir: root, cleanup } = tempDir('git-discover-'));
  root = realpathSync(root);
});
afterAll(() => cleanup());

describe('discoverRepo agrees with git rev-parse', () => {
  it('a checkout, from its top and from a subfolder', () => {
    const dir = clone('plain');
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    for (const at of [dir, path.join(dir, 'a', 'b')]) expect(discoverRepo(at, noEnv)).toEqual(byGit(at));
    expect(discoverRepo(dir, noEnv)?.headRef).toBe('refs/heads/main');
  });

  it('a linked worktree: the common dir is the main checkout\'s', () => {
    const dir = clone('linked-main');
    const wt = path.join(root, 'linked-wt');
    git(dir, 'worktree', 'add', '-q', '-b', 'side', wt);
    const found = discoverRepo(wt, noEnv);
    expect(found).toEqual(byGit(wt));
    expect(found?.commonDir).toBe(path.join(dir, '.git'));
    expect(found?.headRef).toBe('refs/heads/side');
  });

  it('a detached HEAD, packed refs and an unborn branch', () => {
    const detached = clone('detached');
    git(detached, 'checkout', '-q', '--detach');
    expect(discoverRepo(detached, noEnv)).toEqual(byGit(detached));
    expect(discoverRepo(detached, noEnv)?.headRef).toBeNull();

    const packed = clone('packed');
    git(packed, 'pack-refs', '--all');
    expect(discoverRepo(packed, noEnv)).toEqual(byGit(packed));
    expect(discoverRepo(packed, noEnv)?.headRef).toBe('refs/heads/main');

    const unborn = path.join(root, 'unborn');
    execFileSync('git', ['init', '-q', '-b', 'main', unborn]);
    expect(discoverRepo(unborn, noEnv)).toEqual(byGit(unborn));
    expect(discoverRepo(unborn, noEnv)?.headRef).toBeNull();
  });

  it('steps aside for a bare repo, GIT_DIR, a broken .git file and no repo at all', () => {
    const bare = path.join(root, 'bare.git');
    execFileSync('git', ['init', '-q', '--bare', bare]);
    expect(discoverRepo(bare, noEnv)).toBeNull();

    const dir = clone('steered');
    expect(discoverRepo(dir, (n) => (n === 'GIT_DIR' ? path.join(dir, '.git') : undefined))).toBeNull();

    const broken = path.join(root, 'broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, '.git'), 'not a link\n');
    expect(discoverRepo(broken, noEnv)).toBeNull();

    // The temp folder's parents hold no repo on a test machine; git agrees there is none.
    const none = path.join(root, 'none');
    mkdirSync(none);
    expect(discoverRepo(none, noEnv)).toBeNull();
    expect(() => git(none, 'rev-parse', '--git-dir')).toThrow();
  });
});
