// The slot's next action as a table on injected time: every decision the slot loop acts
// on, and how a session's end moves the slot (streak, idle, a usage limit's pause).
import { describe, expect, it } from 'vitest';
import { addStart, addUsage, newTally, type Tally } from '../harness/swarm/budget.js';
import { nextAction, settle, type Ended, type RunState, type SlotAction, type SlotPolicy, type SlotState } from '../harness/swarm/slot-next.js';

const S = 1000;
const policy: SlotPolicy = {
  maxCostUsd: null, maxTokens: null, maxSessions: null, maxCostPerAgentUsd: null, maxTokensPerAgent: null, maxSessionsPerAgent: null,
  until: { kind: 'forever' },
  backoff: { baseMs: 10 * S, capMs: 600 * S, fastMs: 30 * S },
  idle: { baseMs: 30 * S, capMs: 1800 * S },
};
const slot = (o: Partial<SlotState> = {}): SlotState => ({ agent: 'agent-1', streak: 0, idle: 0, rested: false, ...o });
const run = (o: Partial<RunState> = {}): RunState => ({ immediate: false, stopping: false, started: 0, done: false, pausedUntil: 0, tally: newTally(), capHit: null, ...o });
const spent = (agent: string, sessions: number, tokens = 0): Tally => {
  const t = newTally();
  for (let i = 0; i < sessions; i++) addStart(t, agent);
  addUsage(t, agent, { costUsd: null, inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, numTurns: null, isError: null, subtype: null });
  return t;
};
const T0 = 1_800_000_000_000;

describe('nextAction', () => {
  const rows: [string, SlotState, RunState, Partial<SlotPolicy>, number, SlotAction][] = [
    ['a fresh slot starts', slot(), run(), {}, T0, { do: 'start' }],
    ['a second Ctrl-C: exit, before anything else', slot({ streak: 3 }), run({ immediate: true, stopping: true }), {}, T0, { do: 'exit' }],
    ['stopping: the run starts nothing more', slot(), run({ stopping: true }), {}, T0, { do: 'end', why: 'stopping' }],
    ['--max-sessions reached over all slots', slot(), run({ started: 5 }), { maxSessions: 5 }, T0, { do: 'end', why: 'max-sessions' }],
    ['--max-sessions not yet reached', slot(), run({ started: 4 }), { maxSessions: 5 }, T0, { do: 'start' }],
    ['--until TIME one ms before', slot(), run(), { until: { kind: 'time', at: T0 + 1 } }, T0, { do: 'start' }],
    ['--until TIME at the instant', slot(), run(), { until: { kind: 'time', at: T0 } }, T0, { do: 'end', why: 'until-time' }],
    ['--until done, work finished', slot(), run({ done: true }), { until: { kind: 'done' } }, T0, { do: 'end', why: 'done' }],
    ['the run ends before a slot cap is looked at', slot(), run({ stopping: true, tally: spent('agent-1', 2) }), { maxSessionsPerAgent: 2 }, T0, { do: 'end', why: 'stopping' }],
    ['a per-agent session cap', slot(), run({ tally: spent('agent-1', 2) }), { maxSessionsPerAgent: 2 }, T0, { do: 'cap', hit: { cap: 'max-sessions-per-agent', agent: 'agent-1', limit: 2, used: 2 } }],
    ["another slot's spending is not this slot's cap", slot(), run({ tally: spent('agent-2', 2) }), { maxSessionsPerAgent: 2 }, T0, { do: 'start' }],
    ['a per-agent token cap', slot(), run({ tally: spent('agent-1', 1, 500) }), { maxTokensPerAgent: 500 }, T0, { do: 'cap', hit: { cap: 'max-tokens-per-agent', agent: 'agent-1', limit: 500, used: 500 } }],
    ['one fast failure: the base backoff', slot({ streak: 1 }), run(), {}, T0, { do: 'backoff', delayMs: 10 * S, streak: 1 }],
    ['four in a row: 8x base', slot({ streak: 4 }), run(), {}, T0, { do: 'backoff', delayMs: 80 * S, streak: 4 }],
    ['a long streak stops at the cap', slot({ streak: 50 }), run(), {}, T0, { do: 'backoff', delayMs: 600 * S, streak: 50 }],
    ['the backoff is behind it: start', slot({ streak: 4, rested: true }), run(), {}, T0, { do: 'start' }],
    ['a zero base means no backoff', slot({ streak: 2 }), run(), { backoff: { baseMs: 0, capMs: 0, fastMs: 30 * S } }, T0, { do: 'start' }],
    ['one idle session: the idle base', slot({ idle: 1 }), run(), {}, T0, { do: 'idle', delayMs: 30 * S, streak: 1 }],
    ['three idle sessions: 4x base', slot({ idle: 3 }), run(), {}, T0, { do: 'idle', delayMs: 120 * S, streak: 3 }],
    ['many idle sessions stop at the idle cap', slot({ idle: 40 }), run(), {}, T0, { do: 'idle', delayMs: 1800 * S, streak: 40 }],
    ['the idle wait is behind it: start', slot({ idle: 3, rested: true }), run(), {}, T0, { do: 'start' }],
    ['a usage limit holds every slot until its reset', slot(), run({ pausedUntil: T0 + 90 * S }), {}, T0, { do: 'wait', ms: 90 * S }],
    ['the reset passed: start', slot(), run({ pausedUntil: T0 }), {}, T0, { do: 'start' }],
    ['the backoff comes first, the reset after it', slot({ streak: 1 }), run({ pausedUntil: T0 + 90 * S }), {}, T0, { do: 'backoff', delayMs: 10 * S, streak: 1 }],
    ['rested, still before the reset', slot({ streak: 1, rested: true }), run({ pausedUntil: T0 + 90 * S }), {}, T0 + 10 * S, { do: 'wait', ms: 80 * S }],
    ['--until passes during a pause: end, not wait', slot(), run({ pausedUntil: T0 + 90 * S }), { until: { kind: 'time', at: T0 + 60 * S } }, T0 + 60 * S, { do: 'end', why: 'until-time' }],
  ];
  it.each(rows)('%s', (_name, s, r, p, now, want) => {
    expect(nextAction(s, r, { ...policy, ...p }, now)).toEqual(want);
  });

  it('a slot walked through a night: fail fast twice, rate-limited, then idle, on injected time', () => {
    let s = slot();
    const r = run();
    let now = T0;
    const steps: string[] = [];
    const end = (e: Ended | null) => {
      const x = settle(s, e, r, policy, now);
      s = x.slot;
      if (x.pause) r.pausedUntil = Math.max(r.pausedUntil, x.pause.until);
    };
    const act = () => {
      const a = nextAction(s, r, policy, now);
      steps.push(a.do === 'backoff' || a.do === 'idle' ? `${a.do} ${a.delayMs / S}s` : a.do === 'wait' ? `wait ${a.ms / S}s` : a.do);
      if (a.do === 'backoff' || a.do === 'idle') (now += a.delayMs), (s = { ...s, rested: true });
      if (a.do === 'wait') now += a.ms;
      if (a.do === 'start') r.started++;
      return a.do;
    };
    // each session: act until one starts, then end it so
    const sessions: ((now: number) => Ended)[] = [
      () => ({ code: 1, durationMs: 2 * S, rateLimit: null, idle: false }),
      () => ({ code: 1, durationMs: 2 * S, rateLimit: null, idle: false }),
      (t) => ({ code: 1, durationMs: 1 * S, rateLimit: { until: t + 300 * S, message: 'limit' }, idle: false }),
      () => ({ code: 0, durationMs: 60 * S, rateLimit: null, idle: true }),
      () => ({ code: 0, durationMs: 60 * S, rateLimit: null, idle: true }),
    ];
    for (const session of sessions) {
      while (act() !== 'start');
      end(session(now));
    }
    act();
    expect(steps).toEqual(['start', 'backoff 10s', 'start', 'backoff 20s', 'start', 'wait 300s', 'start', 'idle 30s', 'start', 'idle 60s']);
    expect(r.started).toBe(5);
  });
});

describe('settle', () => {
  const go = (s: SlotState, e: Ended | null, r = run(), p: Partial<SlotPolicy> = {}) => settle(s, e, r, { ...policy, ...p }, T0);
  it('a fast failure grows the streak; a success or a slow failure resets it', () => {
    expect(go(slot({ streak: 2, rested: true }), { code: 1, durationMs: 5 * S, rateLimit: null, idle: false }).slot).toEqual(slot({ streak: 3 }));
    expect(go(slot({ streak: 2 }), { code: 0, durationMs: 5 * S, rateLimit: null, idle: false }).slot).toEqual(slot());
    expect(go(slot({ streak: 2 }), { code: 1, durationMs: 40 * S, rateLimit: null, idle: false }).slot).toEqual(slot());
  });
  it('a session that could not run counts as a fast failure', () => {
    expect(go(slot(), null)).toEqual({ slot: slot({ streak: 1 }), pause: null, cap: null, judgeDone: false });
  });
  it('idle counts only sessions that did not fail fast', () => {
    expect(go(slot({ idle: 2 }), { code: 0, durationMs: 60 * S, rateLimit: null, idle: true }).slot.idle).toBe(3);
    expect(go(slot({ idle: 2 }), { code: 1, durationMs: 1 * S, rateLimit: null, idle: true }).slot).toEqual(slot({ streak: 1, idle: 0 }));
    expect(go(slot({ idle: 2 }), { code: 0, durationMs: 60 * S, rateLimit: null, idle: false }).slot.idle).toBe(0);
  });
  it('a reported reset becomes the pause and clears the streak', () => {
    const x = go(slot({ streak: 3 }), { code: 1, durationMs: 1 * S, rateLimit: { until: T0 + 3600 * S, message: 'resets at 5pm' }, idle: false });
    expect(x).toMatchObject({ slot: slot(), pause: { until: T0 + 3600 * S, reported: true, message: 'resets at 5pm' } });
  });
  it('no reset (or one already past): the pause is the backoff of the streak, which stays', () => {
    const none = go(slot({ streak: 1 }), { code: 1, durationMs: 1 * S, rateLimit: { until: null, message: '429' }, idle: false });
    expect(none).toMatchObject({ slot: slot({ streak: 2 }), pause: { until: T0 + 20 * S, reported: false, message: '429' } });
    const past = go(slot(), { code: 0, durationMs: 60 * S, rateLimit: { until: T0 - 1, message: 'x' }, idle: false });
    expect(past.pause).toEqual({ until: T0 + 10 * S, reported: false, message: 'x' });
  });
  const ok: Ended = { code: 0, durationMs: 60 * S, rateLimit: null, idle: false };
  it('a swarm-wide cost or token cap reached: once, and not while stopping; --max-sessions is not its to judge', () => {
    const t = spent('agent-2', 3, 1000);
    expect(go(slot(), ok, run({ tally: t }), { maxTokens: 1000 }).cap).toEqual({ cap: 'max-tokens', agent: null, limit: 1000, used: 1000 });
    expect(go(slot(), ok, run({ tally: t }), { maxTokens: 1001 }).cap).toBeNull();
    expect(go(slot(), ok, run({ tally: t, capHit: { cap: 'max-tokens', agent: null, limit: 1000, used: 1000 } }), { maxTokens: 1000 }).cap).toBeNull();
    expect(go(slot(), ok, run({ tally: t, stopping: true }), { maxTokens: 1000 }).cap).toBeNull();
    expect(go(slot(), ok, run({ tally: t }), { maxSessions: 3 }).cap).toBeNull();
  });
  it('--until done: ask whether the work is done after each session, unless stopping, done, or a cap just stopped the run', () => {
    const done = { until: { kind: 'done' } } as const;
    expect(go(slot(), ok, run(), done).judgeDone).toBe(true);
    expect(go(slot(), null, run(), done).judgeDone).toBe(true);
    expect(go(slot(), ok, run(), {}).judgeDone).toBe(false);
    expect(go(slot(), ok, run({ done: true }), done).judgeDone).toBe(false);
    expect(go(slot(), ok, run({ stopping: true }), done).judgeDone).toBe(false);
    expect(go(slot(), ok, run({ tally: spent('agent-1', 1, 10) }), { ...done, maxTokens: 10 }).judgeDone).toBe(false);
  });
});
