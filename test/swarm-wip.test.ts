// Wip pushes are journaled like releases, with real git and real processes: an ended
// session's leftover work is kept in the supervisor's clone and written to pending/ before
// the first push; an upstream outage during the push leaves it pending (shown by `harness
// status`), and it lands once the upstream is back, in the same run or, after a kill -9, in
// the next one, never twice and never lost.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { readWips } from '../harness/tasks/journal.js';
import { git, harness } from './helpers/repos.js';
import { alive, events, FAST, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

/** Session 1 leaves a draft and takes the upstream away (an outage right at its end); later sessions do nothing. */
function outageAgent(up: string): string {
  return `if [ "$HARNESS_SESSION" = 1 ]; then echo draft > draft.txt; echo more >> README.md; mv ${up} ${up}.away; fi`;
}

const wipRefs = (up: string) => git(up, 'for-each-ref', '--format=%(refname)', 'refs/heads/wip/').split('\n').filter(Boolean);

describe('wip pushes are journaled', () => {
  it('an upstream outage during the wip push: pending (status says so), nothing lost, lands once the upstream is back, in the same run', async ({ tmp }) => {
    makeProject(tmp);
    const swarm = path.join(tmp, '.swarm');
    const up = path.join(swarm, 'upstream.git');
    const p = spawnHarness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', outageAgent(up), '--from', 'proj', '--until', '90s', ...FAST]);
    const wips = await waitFor('a journaled wip push', () => {
      const w = readWips(path.join(swarm, 'pending'));
      return w.length ? w : null;
    });
    expect(wips).toHaveLength(1);
    expect(wips[0]).toMatchObject({ kind: 'wip', agent: 'agent-1', session: '1', files: 2 });
    // held where no sandbox reaches, with the work in it
    const clone = path.join(swarm, 'supervisor/clone');
    expect(git(clone, 'show', `refs/harness/wip/${wips[0]!.commit}:draft.txt`)).toBe('draft');
    // the slot retries its reset (salvaging the same work again) while the drainer tries and fails
    await waitFor('the slot to retry its reset', () => events(tmp).filter((e) => e.type === 'wip_error').length >= 2);
    expect(existsSync(up), 'the outage lasts').toBe(false);
    expect(readWips(path.join(swarm, 'pending')), 'one entry however often the slot retried').toHaveLength(1);
    const st = await harness(tmp, ['status']);
    expect(st.out.join('\n')).toMatch(/wip pushes pending 1 \(oldest \d+s\)/);
    expect(st.out[0], 'status still answers during the outage, and says what it cannot read').toMatch(/^warning: cannot read the upstream/);
    renameSync(`${up}.away`, up);
    const back = Date.now();
    await waitFor('the wip branch on upstream', () => wipRefs(up).length > 0, 30_000);
    const landedMs = Date.now() - back;
    expect(wipRefs(up)).toEqual(['refs/heads/wip/agent-1/1']);
    expect(git(up, 'show', 'wip/agent-1/1:draft.txt')).toBe('draft');
    expect(git(up, 'show', 'wip/agent-1/1:README.md')).toContain('more');
    await waitFor('the journal emptied', () => readWips(path.join(swarm, 'pending')).length === 0);
    expect(git(clone, 'for-each-ref', 'refs/harness/'), 'the held copy goes once it landed').toBe('');
    process.kill(p.pid!, 'SIGINT');
    const r = await p;
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/pending push(es)? to upstream not landed yet/);
    expect(landedMs, 'within the error backoff (15 s at most) of the upstream coming back').toBeLessThan(20_000);
    const saved = events(tmp).filter((e) => e.type === 'wip_saved');
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ agent: 'agent-1', session: '1', ref: 'refs/heads/wip/agent-1/1' });
    expect((await harness(tmp, ['status'])).out.join('\n')).not.toMatch(/wip pushes pending/);
  }, 120_000);

  it('a run killed -9 with a wip push pending: the next run pushes it (once), and only then is the workspace clean', async ({ tmp }) => {
    makeProject(tmp);
    const swarm = path.join(tmp, '.swarm');
    const up = path.join(swarm, 'upstream.git');
    const p = spawnHarness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', outageAgent(up), '--from', 'proj', '--until', '90s', ...FAST]);
    await waitFor('a journaled wip push', () => readWips(path.join(swarm, 'pending')).length === 1);
    // Killed as soon as the reset has failed: the next run's drainer may then land the journaled
    // wip before its takeover salvages the workspace, which must still know that work (it pushed
    // the same work twice in about 1 run of 5 before the janitor remembered landed wips).
    await waitFor('the reset refused while the upstream is gone', () => events(tmp).some((e) => e.type === 'wip_error'));
    process.kill(p.pid!, 'SIGKILL');
    await p;
    expect(alive(p.pid!)).toBe(false);
    const ws = path.join(swarm, 'agents/agent-1/workspace');
    expect(readFileSync(path.join(ws, 'draft.txt'), 'utf8'), 'not reset: the upstream was gone').toBe('draft\n');
    renameSync(`${up}.away`, up);
    const r = await spawnHarness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', 'true', '--max-sessions', '1', ...FAST]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(wipRefs(up), 'pushed once: the takeover found the same work already pending').toEqual(['refs/heads/wip/agent-1/1']);
    expect(git(up, 'show', 'wip/agent-1/1:draft.txt')).toBe('draft');
    expect(readWips(path.join(swarm, 'pending'))).toEqual([]);
    expect(existsSync(path.join(ws, 'draft.txt')), 'reset once the work was kept and journaled').toBe(false);
    expect(events(tmp).filter((e) => e.type === 'wip_saved')).toHaveLength(1);
  }, 120_000);
});
