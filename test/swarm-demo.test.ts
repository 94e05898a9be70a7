// The main job end to end: `harness --agents N` with nothing configured runs the embedded
// demo (simulated agents, declared as such) to completion through the real supervisor,
// the real lock protocol and the real test oracle.
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { git, gitEnv, HARNESS_BIN, tempDir, upstreamLocks } from './helpers/repos.js';

const slow = !!process.env.HARNESS_SLOW_TESTS;
let cleanup = () => {};
afterEach(() => cleanup());

describe.skipIf(!slow)('the demo swarm (slow: HARNESS_SLOW_TESTS=1)', () => {
  it('runs every task to done with crashes recovered, then a second run starts a fresh demo and keeps the old one', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const r = await execa('node', [HARNESS_BIN, '--agents', '6', '--sim-crash', '0.2'], { cwd: t.dir, env: gitEnv(), extendEnv: false, reject: false, timeout: 600_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^running the demo: 6 simulated agents/);
    expect(r.stdout).toMatch(/demo: tasks done 51\/51/);
    expect(r.stdout).toMatch(/every task done, suite fully passing/);
    expect(r.stdout).toMatch(/stopped: all work done/);
    const upstream = path.join(t.dir, '.swarm-demo/upstream.git');
    expect(upstreamLocks(upstream)).toEqual([]);
    // every crash left a claim that was released and work that was saved on a wip branch
    const crashed = Number(/(\d+) crashed/.exec(r.stdout)![1]);
    const wip = git(upstream, 'for-each-ref', '--format=%(refname)', 'refs/heads/wip/').split('\n').filter(Boolean);
    expect(wip.length).toBeGreaterThanOrEqual(crashed);
    expect(git(upstream, 'log', '--format=%B', 'main')).toMatch(/Task-Status: abandoned/);

    const again = await execa('node', [HARNESS_BIN, '--agents', '1', '--max-sessions', '1'], { cwd: t.dir, env: gitEnv(), extendEnv: false, reject: false, timeout: 300_000 });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/had finished; it is kept in \.swarm-demo-\d{8}T\d{6}/);
  }, 900_000);

  it('the 16-agent demo finishes three times in a row, every ended session\'s claims released', async () => {
    for (let i = 1; i <= 3; i++) {
      const t = tempDir();
      cleanup = t.cleanup;
      const r = await execa('node', [HARNESS_BIN, '--agents', '16'], { cwd: t.dir, env: gitEnv({ HARNESS_PLAIN: '1' }), extendEnv: false, reject: false, timeout: 900_000 });
      expect(r.exitCode, `run ${i}: ${r.stderr}`).toBe(0);
      expect(r.stdout, `run ${i}`).toMatch(/every task done, suite fully passing/);
      expect(upstreamLocks(path.join(t.dir, '.swarm-demo/upstream.git'))).toEqual([]);
      t.cleanup();
    }
  }, 2_700_000);
});
