// A hung upstream does not wedge a run (real git, real processes): the upstream's own
// pre-receive hook hangs for as long as a flag file exists, far longer than the network
// timeout (HARNESS_GIT_TIMEOUT_NETWORK, shortened here). A push that arrives during the hang
// waits it out and is then refused (its client gave up long ago), so what lands afterwards
// is the supervisor's own retry, not a late leftover.
// - Served upstream (the default): releases land in place on the bare repo the run serves,
//   so the hang cannot hold them at all; the wip push (over HTTP) times out, stays
//   journaled, and lands once the upstream answers.
// - A remote upstream (--upstream URL, here file://): the release itself times out, stays
//   journaled, and lands once the upstream answers.
// In both, sessions go on meanwhile and Ctrl-C is not blocked.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPending, readWips } from '../harness/tasks/journal.js';
import { git, makeSwarm, tempDir, upstreamLocks } from './helpers/repos.js';
import { events, FAST, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

const TIMEOUT = { HARNESS_GIT_TIMEOUT_NETWORK: '4s' };

function hangHook(up: string, flag: string): void {
  writeFileSync(path.join(up, 'hooks/pre-receive'), `#!/bin/sh\ncat >/dev/null\n[ -e ${flag} ] || exit 0\nwhile [ -e ${flag} ]; do sleep 0.2; done\nexit 1\n`, { mode: 0o755 });
}

/** Stops the run (if a test failed midway) and removes the folder once the hang's receive-packs are done writing. */
async function cleanup(p: ReturnType<typeof spawnHarness> | null, flag: string, remove: () => void): Promise<void> {
  rmSync(flag, { force: true });
  if (p && p.exitCode === null) {
    p.kill('SIGKILL');
    await p;
  }
  for (let i = 0; ; i++) {
    try {
      return remove();
    } catch (e) {
      if (i > 20) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** What the run printed so far: the test waits on its words, not on a guessed time. */
function printed(p: ReturnType<typeof spawnHarness>): () => string {
  let out = '';
  p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  return () => out;
}

/** the drainer's note that an attempt (a wip push, a release) hit the network timeout */
const TIMED_OUT = /pending push(es)? to upstream not landed yet \(.*took longer than 4s and was killed/;

async function stopRun(p: ReturnType<typeof spawnHarness>) {
  const t0 = Date.now();
  process.kill(p.pid!, 'SIGINT');
  const r = await p;
  expect(r.exitCode, r.stderr + r.stdout).toBe(0);
  expect(Date.now() - t0, 'Ctrl-C is not blocked').toBeLessThan(20_000);
  return r;
}

describe('a hung upstream', () => {
  it('served: the release lands in place despite the hang; the wip push times out, stays journaled, and lands once the upstream answers', async () => {
    const t = tempDir();
    const flag = path.join(t.dir, 'hang');
    let p: ReturnType<typeof spawnHarness> | null = null;
    try {
      makeProject(t.dir);
      const swarm = path.join(t.dir, '.swarm');
      const up = path.join(swarm, 'upstream.git');
      const agent = `if [ "$HARNESS_SESSION" = 1 ]; then harness task claim t1 --note "then the upstream hangs" && echo draft > draft.txt && touch ${flag}; fi`;
      p = spawnHarness(t.dir, ['run', '--agent', 'cmd', '--agent-cmd', agent, '--from', 'proj', '--until', '100s', ...FAST], TIMEOUT);
      const out = printed(p);
      await waitFor('the upstream', () => existsSync(path.join(up, 'hooks')), 30_000);
      hangHook(up, flag);
      await waitFor('the claim, then the hang', () => existsSync(flag), 30_000);
      const hungAt = Date.now();
      await waitFor('the release, in place', () => upstreamLocks(up).length === 0, 60_000); // the bound: 60 s after the session's end
      const ended = () => events(t.dir).filter((e) => e.type === 'session_end' && Date.parse(e.ts) > hungAt).length;
      await waitFor('a wip push timed out, sessions going on', () => TIMED_OUT.test(out()) && ended() > 1, 60_000);
      expect(readWips(path.join(swarm, 'pending')).map((w) => `${w.agent}/${w.session}`), 'the wip push stays journaled while the upstream hangs').toEqual(['agent-1/1']);
      const during = events(t.dir).filter((e) => e.type === 'session_end' && Date.parse(e.ts) > hungAt).length;
      expect(during, 'sessions kept running while the upstream hung').toBeGreaterThan(1);
      rmSync(flag);
      const back = Date.now();
      await waitFor('the wip branch', () => git(up, 'for-each-ref', 'refs/heads/wip/') !== '', 60_000);
      const landedMs = Date.now() - back;
      expect(git(up, 'show', 'wip/agent-1/1:draft.txt')).toBe('draft');
      const r = await stopRun(p);
      expect(r.stdout, 'the git timeout fired').toMatch(/took longer than 4s and was killed/);
      expect(landedMs, 'landed within 60 s of the upstream answering again').toBeLessThan(60_000);
      console.log(`hung served upstream: wip landed ${(landedMs / 1000).toFixed(1)} s after the upstream answered again; ${during} sessions ended during the hang`);
    } finally {
      await cleanup(p, flag, t.cleanup);
    }
  }, 150_000);

  it('a remote upstream (--upstream file://): the release times out, stays journaled, sessions go on, and it lands once the upstream answers', async () => {
    const s = await makeSwarm();
    const flag = path.join(s.root, 'hang');
    let p: ReturnType<typeof spawnHarness> | null = null;
    try {
      hangHook(s.upstream, flag);
      const agent = `if [ "$HARNESS_SESSION" = 1 ]; then harness task claim t1 --note "then the upstream hangs" && touch ${flag}; fi`;
      p = spawnHarness(s.root, ['run', '--dir', '.run', '--upstream', `file://${s.upstream}`, '--agent', 'cmd', '--agent-cmd', agent, '--until', '100s', ...FAST], TIMEOUT);
      const out = printed(p);
      await waitFor('the claim, then the hang', () => existsSync(flag), 30_000);
      expect(upstreamLocks(s.upstream)).toEqual(['t1']);
      const hungAt = Date.now();
      const ended = () => events(s.root, '.run').filter((e) => e.type === 'session_end' && Date.parse(e.ts) > hungAt).length;
      await waitFor('the release timed out, sessions going on', () => TIMED_OUT.test(out()) && ended() > 1, 60_000);
      const pending = readPending(path.join(s.root, '.run/pending'));
      expect(pending.some((e) => e.targets.some((x) => x.kind === 'session' && x.agent === 'agent-1' && x.session === '1')), 'the release stays journaled while the upstream hangs').toBe(true);
      expect(upstreamLocks(s.upstream)).toEqual(['t1']);
      const during = events(s.root, '.run').filter((e) => e.type === 'session_end' && Date.parse(e.ts) > hungAt).length;
      expect(during, 'sessions kept running while the upstream hung').toBeGreaterThan(1);
      rmSync(flag);
      const back = Date.now();
      await waitFor('the release on upstream main', () => upstreamLocks(s.upstream).length === 0, 60_000);
      const landedMs = Date.now() - back;
      const rel = await waitFor('the release event', () => events(s.root, '.run').find((e) => e.type === 'claims_released' && e.tasks.includes('t1')), 10_000);
      expect(rel.type === 'claims_released' && rel.attempts, 'attempts timed out and were retried').toBeGreaterThan(1);
      const r = await stopRun(p);
      expect(r.stdout, 'the git timeout fired').toMatch(/took longer than 4s and was killed/);
      expect(r.stdout).toMatch(/pending push(es)? to upstream not landed yet/);
      expect(landedMs, 'landed within 60 s of the upstream answering again').toBeLessThan(60_000);
      console.log(`hung remote upstream: release landed ${(landedMs / 1000).toFixed(1)} s after the upstream answered again; ${during} sessions ended during the hang`);
    } finally {
      await cleanup(p, flag, s.cleanup);
    }
  }, 150_000);
});
