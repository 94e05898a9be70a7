// Liveness across hosts, the pure part: how a reader times other runs' heartbeats with its
// own clock, and which claims a reaper takes (its TTL ones, never a live run's, a dead
// run's at once).
import { describe, expect, it } from 'vitest';
import { FIRST_SIGHT_FACTOR, liveness, observe, reapable } from '../harness/swarm/heartbeat.js';
import type { Claim } from '../harness/tasks/claims.js';

const claim = (task: string, run: string | null, agent = 'agent-1', session = '1', ageS = 100, now = 1_000_000): Claim => ({
  task, path: `current_tasks/${task}.txt`, readable: true, agent, session, run, host: null, claimedAt: new Date(now - ageS * 1000), committedAt: null, note: '',
});

describe('heartbeats', () => {
  const stale = 2000;
  it('a heartbeat that moves is live; one that stops moving is dead after staleMs of the reader\'s clock, whatever the writer\'s clock says', () => {
    let seen = observe(new Map(), new Map([['A', { sha: 'a1', stamp: 0 /* a writer whose clock is far behind */ + 10_000_000 }]]), 10_000_000, stale);
    expect(liveness(seen, 10_000_000, stale).get('A')).toBe('live');
    seen = observe(seen, new Map([['A', { sha: 'a1', stamp: 10_000_000 }]]), 10_001_500, stale);
    expect(liveness(seen, 10_001_500, stale).get('A')).toBe('live');
    seen = observe(seen, new Map([['A', { sha: 'a1', stamp: 10_000_000 }]]), 10_002_500, stale);
    expect(liveness(seen, 10_002_500, stale).get('A')).toBe('dead');
    seen = observe(seen, new Map([['A', { sha: 'a2', stamp: 5 }]]), 10_003_000, stale); // it beats again: live again
    expect(liveness(seen, 10_003_000, stale).get('A')).toBe('live');
  });
  it('at first sight a heartbeat is trusted to be old only when it is very old (clock skew between hosts)', () => {
    const now = 100_000_000;
    const skewed = observe(new Map(), new Map([['A', { sha: 'a', stamp: now - 5 * stale }]]), now, stale);
    expect(liveness(skewed, now, stale).get('A')).toBe('live');
    const ancient = observe(new Map(), new Map([['A', { sha: 'a', stamp: now - (FIRST_SIGHT_FACTOR + 1) * stale }]]), now, stale);
    expect(liveness(ancient, now, stale).get('A')).toBe('dead');
    expect(observe(ancient, new Map(), now, stale).size).toBe(0); // a removed ref is forgotten
  });
});

describe('reapable', () => {
  const now = new Date(1_000_000);
  const runs = new Map([['live-run', 'live' as const], ['dead-run', 'dead' as const]]);
  const o = { me: 'me', now, ttlMs: 10_000, isLive: (c: Claim) => c.agent === 'agent-9', runs };
  it("never takes a live run's claim, however old; takes a dead run's at once, however young", () => {
    const r = reapable([claim('old-live', 'live-run', 'agent-2', '4', 1000), claim('young-dead', 'dead-run', 'agent-2', '4', 1)], o);
    expect(r.ttl).toEqual([]);
    expect(r.dead.map((c) => c.task)).toEqual(['young-dead']);
  });
  it('falls back to the TTL for its own run, claims without a run and runs without a heartbeat', () => {
    const r = reapable([claim('mine-old', 'me', 'agent-1', '1', 100), claim('mine-running', 'me', 'agent-9', '1', 100), claim('norun', null, 'agent-1', '1', 100), claim('unknown-run', 'other', 'agent-1', '1', 100), claim('young', null, 'agent-1', '1', 1)], o);
    expect(r.ttl.map((c) => c.task)).toEqual(['mine-old', 'norun', 'unknown-run']);
    expect(r.dead).toEqual([]);
  });
});
