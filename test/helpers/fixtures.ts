// The scaffold most tests stand on, as vitest fixtures (`test.extend`): a test names what it
// needs in its arguments (`async ({ tmp }) => ...`), gets it fresh, and it is removed after
// the test whether it passed or not, so no test writes its own try/finally or afterEach.
// Fixtures are lazy: a test that does not name one does not pay for it.
import path from 'node:path';
import { test as base } from 'vitest';
import { git, makeSwarm, tempDir, type Swarm } from './repos.js';

/** A bare upstream (branch main) in a temp folder, and clones of it that commit with a fixed identity. */
export interface Upstream {
  /** the temp folder holding the bare repo and the clones */
  dir: string;
  /** the bare repo, `dir/up.git` */
  bare: string;
  /** clones the upstream into `dir/name`, with user.name/user.email set; returns its path */
  clone: (name: string) => string;
}

export interface Fixtures {
  /** an empty temp folder */
  tmp: string;
  /** `harness init` in a temp folder: the swarm folder with its bare upstream */
  swarm: Swarm;
  upstream: Upstream;
}

export const test = base.extend<Fixtures>({
  // vitest reads what a fixture depends on from this pattern: `{}` is nothing
  tmp: async ({}, use) => {
    const t = tempDir();
    try {
      await use(t.dir);
    } finally {
      t.cleanup();
    }
  },
  swarm: async ({}, use) => {
    const s = await makeSwarm();
    try {
      await use(s);
    } finally {
      s.cleanup();
    }
  },
  upstream: async ({ tmp }, use) => {
    const bare = path.join(tmp, 'up.git');
    git(tmp, 'init', '-q', '--bare', '-b', 'main', bare);
    await use({
      dir: tmp,
      bare,
      clone: (name) => {
        const dir = path.join(tmp, name);
        git(tmp, 'clone', '-q', bare, dir);
        git(dir, 'config', 'user.name', 'Test');
        git(dir, 'config', 'user.email', 'test@example.invalid');
        return dir;
      },
    });
  },
});

export const it = test;
