// The supervisor's pure core: configuration layering, backoff, session numbering,
// scheduling decisions and the summary's arithmetic.
import { describe, expect, it } from 'vitest';
import { backoffDelay, isFastFailure, nextStreak } from '../harness/swarm/backoff.js';
import { checkConfigFile, resolveConfig, type RawSettings } from '../harness/swarm/config.js';
import { logName, nextSessionNumber, wipRef } from '../harness/swarm/numbering.js';
import { decideNext, reapIntervalMs } from '../harness/swarm/schedule.js';
import { summarize, summaryLines } from '../harness/swarm/summary.js';
import type { LoggedEvent } from '../harness/events/log.js';

const resolve = (flags: RawSettings, file: RawSettings | null = null, hasProject = true) =>
  resolveConfig({ flags, file, cwd: '/p', now: 1_000_000, hasProject });

describe('config', () => {
  it('defaults for a project: claude, bwrap sandbox, .swarm, runs forever', () => {
    const c = resolve({});
    expect(c).toMatchObject({ agents: 1, agent: 'claude', sandbox: 'bwrap', sandboxDefaulted: true, dir: '/p/.swarm', demo: false, until: { kind: 'forever' }, sessionTimeoutMs: 7_200_000 });
  });
  it('no agent and no project is the demo: sim, .swarm-demo, until done, 10% crashes', () => {
    const c = resolve({ agents: 16 }, null, false);
    expect(c).toMatchObject({ agents: 16, agent: 'sim', demo: true, dir: '/p/.swarm-demo', until: { kind: 'done' }, sim: { crash: 0.1 } });
    expect(resolve({ agent: 'claude' }, null, false).demo).toBe(false);
    expect(resolve({ from: 'x' }, null, false).demo).toBe(false);
  });
  it('the config file fills in, flags win', () => {
    const c = resolve({ agents: 3, model: 'opus' }, { agents: 8, agent: 'codex', lockTtl: '30m', model: 'x', maxSessions: 5 });
    expect(c).toMatchObject({ agents: 3, agent: 'codex', lockTtlMs: 1_800_000, model: 'opus', maxSessions: 5 });
  });
  it('until: a duration from now, a time, done', () => {
    expect(resolve({ until: '1h' }).until).toEqual({ kind: 'time', at: 1_000_000 + 3_600_000 });
    expect(resolve({ until: '2026-01-05T09:00:00Z' }).until).toEqual({ kind: 'time', at: Date.parse('2026-01-05T09:00:00Z') });
    expect(resolve({ until: 'done' }).until).toEqual({ kind: 'done' });
  });
  it.each<[RawSettings, RegExp]>([
    [{ agents: 0 }, /--agents: 0 is not a whole number/],
    [{ agents: 'many' }, /--agents: "many"/],
    [{ agent: 'gpt' }, /one of claude, codex, sim, cmd/],
    [{ sandbox: 'vm' }, /one of process, bwrap, docker, podman/],
    [{ sessionTimeout: 'soon' }, /not a duration/],
    [{ until: 'tomorrow' }, /--until: "tomorrow"/],
    [{ agent: 'cmd' }, /needs --agent-cmd/],
    [{ simCrash: 2 }, /probability/],
  ])('refuses %j in one line', (flags, re) => {
    let err: Error | undefined;
    try {
      resolve(flags);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(re);
    expect(err?.message.split('\n')).toHaveLength(1);
    expect((err as { exitCode?: number }).exitCode).toBe(2);
  });
  it('names the config file and the key in its errors; unknown keys refused', () => {
    expect(() => resolveConfig({ flags: {}, file: { agents: -1 }, fileName: 'harness.config.json', cwd: '/p', now: 0, hasProject: true })).toThrow(/harness.config.json "agents"/);
    expect(() => checkConfigFile({ agentz: 3 }, 'harness.config.json')).toThrow(/unknown setting "agentz"/);
    expect(() => checkConfigFile([1], 'harness.config.json')).toThrow(/must be a JSON object/);
  });
});

describe('backoff', () => {
  const p = { baseMs: 10_000, capMs: 600_000, fastMs: 120_000 };
  it('doubles from the base up to the cap, and only after fast failures', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 50, 5000].map((k) => backoffDelay(k, p))).toEqual([0, 10_000, 20_000, 40_000, 80_000, 600_000, 600_000, 600_000, 600_000]);
  });
  it('a fast failure extends the streak; a success or a long session resets it', () => {
    expect(isFastFailure({ code: 1, durationMs: 500 }, p)).toBe(true);
    expect(isFastFailure({ code: null, durationMs: 500 }, p)).toBe(true);
    expect(isFastFailure({ code: 0, durationMs: 500 }, p)).toBe(false);
    expect(isFastFailure({ code: 1, durationMs: 300_000 }, p)).toBe(false);
    let s = 0;
    for (const o of [{ code: 1, durationMs: 1 }, { code: 2, durationMs: 1 }, { code: 1, durationMs: 1 }]) s = nextStreak(s, o, p);
    expect(s).toBe(3);
    expect(nextStreak(s, { code: 0, durationMs: 1 }, p)).toBe(0);
  });
});

describe('session numbering', () => {
  it('continues after the highest log number, whatever the sha, ignoring other files', () => {
    expect(nextSessionNumber([])).toBe(1);
    expect(nextSessionNumber(['1-abc1234.log', '7-abc1234.log', '3-0000000.log', 'notes.txt', '9x-1.log'])).toBe(8);
    expect(nextSessionNumber(['2-a.log'], 10)).toBe(10);
  });
  it('names logs and wip refs', () => {
    expect(logName(12, 'abcdef0123456789')).toBe('12-abcdef0.log');
    expect(logName(1, null)).toBe('1-empty.log');
    expect(wipRef('agent-3', '17')).toBe('refs/heads/wip/agent-3/17');
    expect(wipRef('agent-3', '17', 2)).toBe('refs/heads/wip/agent-3/17-2');
  });
});

describe('scheduling', () => {
  const base = { stopping: false, started: 0, maxSessions: null, until: { kind: 'forever' as const }, now: 0, done: false };
  it('starts unless stopping, out of sessions, past the deadline or done', () => {
    expect(decideNext(base)).toEqual({ start: true });
    expect(decideNext({ ...base, stopping: true })).toEqual({ start: false, why: 'stopping' });
    expect(decideNext({ ...base, maxSessions: 3, started: 3 })).toEqual({ start: false, why: 'max-sessions' });
    expect(decideNext({ ...base, maxSessions: 3, started: 2 })).toEqual({ start: true });
    expect(decideNext({ ...base, until: { kind: 'time', at: 5 }, now: 5 })).toEqual({ start: false, why: 'until-time' });
    expect(decideNext({ ...base, until: { kind: 'done' }, done: true })).toEqual({ start: false, why: 'done' });
    expect(decideNext({ ...base, until: { kind: 'forever' }, done: true })).toEqual({ start: true });
  });
  it('reaps every quarter TTL, between 1 s and 1 min', () => {
    expect(reapIntervalMs(7_200_000)).toBe(60_000);
    expect(reapIntervalMs(40_000)).toBe(10_000);
    expect(reapIntervalMs(100)).toBe(1000);
  });
});

describe('summary', () => {
  const ev = (e: object): LoggedEvent => ({ ts: '', run: 'r1', ...e }) as LoggedEvent;
  const end = (agent: string, exit: number | null, extra: object = {}) =>
    ev({ type: 'session_end', agent, session: '1', exit, signal: null, durationMs: 1, timedOut: false, stopped: false, usage: null, ...extra });
  it('counts sessions, crashes, recoveries, claims, wip and cost to the cent', () => {
    const usage = (c: number) => ({ costUsd: c, inputTokens: 10, outputTokens: 5, cacheReadTokens: null, cacheCreationTokens: null, numTurns: 1, isError: false, subtype: 'success' });
    const events = [
      ev({ type: 'session_start', agent: 'a' }), end('a', 1),
      ev({ type: 'session_start', agent: 'a' }), end('a', 0, { usage: usage(0.1234) }),
      ev({ type: 'session_start', agent: 'b' }), end('b', null, { timedOut: true, usage: usage(1.005) }),
      ev({ type: 'session_start', agent: 'b' }), end('b', null, { stopped: true, signal: 'SIGTERM' }),
      ev({ type: 'claims_released', tasks: ['x', 'y'] }), ev({ type: 'claims_reaped', tasks: ['z'] }),
      ev({ type: 'wip_saved' }), ev({ type: 'wip_saved' }),
      { ...ev({ type: 'session_start', agent: 'c' }), run: 'other' },
    ];
    const s = summarize(events, 'r1', 61_000);
    expect(s).toMatchObject({ sessions: 4, ok: 1, crashed: 2, recovered: 2, timedOut: 1, claimsReleased: 2, claimsReaped: 1, wipSaved: 2, costed: 2, inputTokens: 20 });
    expect(s.costUsd).toBeCloseTo(1.1284, 6);
    const lines = summaryLines(s);
    expect(lines[0]).toBe('summary: 4 sessions in 1m (1 ok, 2 crashed, 2 recovered, 1 timed out)');
    expect(lines.join('\n')).toContain('cost $1.13');
  });
});
