// A hung upstream does not wedge a run (real git, the served upstream, real processes): the
// upstream's own pre-receive hook sleeps for as long as a flag file exists, far longer than
// the network timeout (HARNESS_GIT_TIMEOUT_NETWORK, shortened here). The supervisor's push
// of a release is killed at the timeout, the release stays journaled, sessions keep
// running, and once the upstream answers again the release lands well within the issue's
// bound (60 s); Ctrl-C is not blocked either.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPending } from '../harness/tasks/journal.js';
import { tempDir, upstreamLocks } from './helpers/repos.js';
import { events, FAST, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

describe('a hung upstream', () => {
  it('a pre-receive hook that hangs: git times out, the release stays journaled, sessions go on, it lands once the upstream answers', async () => {
    const t = tempDir();
    const flag = path.join(t.dir, 'hang');
    let p: ReturnType<typeof spawnHarness> | null = null;
    try {
      makeProject(t.dir);
      const swarm = path.join(t.dir, '.swarm');
      const up = path.join(swarm, 'upstream.git');
      // Session 1 claims a task, then makes the upstream hang on every push from now on.
      const agent = `if [ "$HARNESS_SESSION" = 1 ]; then harness task claim t1 --note "then the upstream hangs" && touch ${flag}; fi`;
      p = spawnHarness(t.dir, ['run', '--agent', 'cmd', '--agent-cmd', agent, '--from', 'proj', '--until', '100s', ...FAST], { HARNESS_GIT_TIMEOUT_NETWORK: '4s' });
      await waitFor('the upstream', () => existsSync(path.join(up, 'hooks')), 30_000);
      // A push that arrives during the hang waits it out and is then refused (its client gave up
      // long ago), so what lands afterwards is the drainer's own retry, not a late leftover.
      writeFileSync(path.join(up, 'hooks/pre-receive'), `#!/bin/sh\ncat >/dev/null\n[ -e ${flag} ] || exit 0\nwhile [ -e ${flag} ]; do sleep 0.2; done\nexit 1\n`, { mode: 0o755 });
      await waitFor('the claim, then the hang', () => existsSync(flag), 30_000);
      expect(upstreamLocks(up)).toEqual(['t1']);
      // Long enough for a push to time out and be retried; sessions keep ending meanwhile.
      const hungAt = Date.now();
      await new Promise((r) => setTimeout(r, 12_000));
      const pending = readPending(path.join(swarm, 'pending'));
      // every ended session owes a release; session 1's (the one holding t1) among them, all to land as one push
      expect(pending.some((e) => e.targets.some((x) => x.kind === 'session' && x.agent === 'agent-1' && x.session === '1')), 'the release stays journaled while the upstream hangs').toBe(true);
      expect(upstreamLocks(up)).toEqual(['t1']);
      const during = events(t.dir).filter((e) => e.type === 'session_end' && Date.parse(e.ts) > hungAt).length;
      expect(during, 'sessions kept running while the upstream hung').toBeGreaterThan(1);
      rmSync(flag); // the upstream answers again
      const back = Date.now();
      await waitFor('the release on upstream main', () => upstreamLocks(up).length === 0, 60_000);
      const landedMs = Date.now() - back;
      const rel = await waitFor('the release event', () => events(t.dir).find((e) => e.type === 'claims_released' && e.tasks.includes('t1')), 10_000);
      expect(rel.type === 'claims_released' && rel.attempts, 'attempts timed out and were retried').toBeGreaterThan(1);
      await waitFor('the journal emptied', () => readPending(path.join(swarm, 'pending')).length === 0, 30_000);
      const stopAt = Date.now();
      process.kill(p.pid!, 'SIGINT');
      const r = await p;
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
      expect(Date.now() - stopAt, 'Ctrl-C is not blocked').toBeLessThan(20_000);
      expect(r.stdout, 'the git timeout fired').toMatch(/took longer than 4s and was killed/);
      expect(r.stdout).toMatch(/pending push(es)? to upstream not landed yet/);
      expect(landedMs, 'landed within 60 s of the upstream answering again').toBeLessThan(60_000);
      console.log(`hung upstream: release landed ${(landedMs / 1000).toFixed(1)} s after the upstream answered again; ${during} sessions ended during the hang`);
    } finally {
      rmSync(flag, { force: true });
      if (p && p.exitCode === null) {
        p.kill('SIGKILL');
        await p;
      }
      // receive-packs the hang held finish their writes once the flag is gone
      for (let i = 0; ; i++) {
        try {
          t.cleanup();
          break;
        } catch (e) {
          if (i > 20) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  }, 150_000);
});
