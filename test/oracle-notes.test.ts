// Results travel with git: two clones record runs on the same commit and push their
// notes to one bare remote; nobody's run is lost, whoever pushes first.
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it, type Upstream } from './helpers/fixtures.js';
import { readLatestResults, fetchNotes, syncNotes, readRecords } from '../test-oracle/index.js';
import { commitAll, git, oracle, writeFiles } from './oracle-helpers.js';

/** Clone a holds a 30-test suite pushed to the upstream; clone b is cloned after it. */
async function setup({ dir: d, bare: up, clone }: Upstream) {
  const a = clone('a');
  writeFiles(a, {
    'test-oracle.json': JSON.stringify({ tests: 't', command: 'sh {test}' }),
    ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t/t${i}.sh`, i % 5 ? 'exit 0\n' : 'exit 1\n'])),
  });
  const c = await commitAll(a, 'suite');
  await git(a, 'push', '-q', 'origin', 'main');
  const b = clone('b');
  return { d, up, a, b, c };
}

describe('notes shared through a bare remote', () => {
  it('merges two agents\' runs on the same commit instead of overwriting', async ({ upstream }) => {
    const { up, a, b, c } = await setup(upstream);
    await oracle(a, ['run', '--fast=50', '--seed=agent-a'], { HARNESS_AGENT: 'agent-a' });
    await oracle(b, ['run', '--fast=50', '--seed=agent-b'], { HARNESS_AGENT: 'agent-b' });
    expect(await syncNotes(a)).toEqual({ pushed: true, attempts: 1 });
    // b's notes ref does not descend from a's: its first push is refused, then merged.
    expect((await syncNotes(b)).pushed).toBe(true);
    const seeds = (await readRecords(up, process.env, c)).map((r) => r.seed).sort();
    expect(seeds).toEqual(['agent-a', 'agent-b']);
    await fetchNotes(a);
    expect((await readRecords(a, process.env, c)).length).toBe(2);
  });

  it('loses nothing when both push at once, again and again', async ({ upstream }) => {
    const { up, a, b, c } = await setup(upstream);
    for (let round = 0; round < 3; round++) {
      await oracle(a, ['run', '--fast=30', `--seed=a${round}`]);
      await oracle(b, ['run', '--fast=30', `--seed=b${round}`]);
      await Promise.all([syncNotes(a), syncNotes(b)]);
    }
    const seeds = (await readRecords(up, process.env, c)).map((r) => r.seed).sort();
    expect(seeds).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
  });

  it('reads the latest results for a commit in a fresh clone, merged per test', async ({ upstream }) => {
    const { d, up, a, c } = await setup(upstream);
    await oracle(a, ['run']);
    const r = await oracle(a, ['notes-sync']);
    expect(r.out).toEqual(['notes synced with origin']);
    const fresh = join(d, 'fresh');
    await git(d, 'clone', '-q', up, fresh);
    expect(await readLatestResults(fresh)).toBeNull();
    await fetchNotes(fresh);
    const latest = (await readLatestResults(fresh, 'origin/main'))!;
    expect(latest.commit).toBe(c);
    expect(latest.distance).toBe(0);
    expect(latest.tests.size).toBe(30);
    expect(latest.tests.get('t/t5.sh')).toMatchObject({ result: 'fail', reason: 'exit 1' });
    const h = await oracle(fresh, ['history']);
    expect(h.out[1]).toMatch(/80\.0% +24\/30 full +suite$/);
  });
});
