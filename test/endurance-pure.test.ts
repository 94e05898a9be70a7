// The endurance benchmark's pure parts: the fault plan drawn from a seed, the verdicts
// (lost commits, claims held by ended sessions, pass-count drops), the sim's fault file
// and the generated project's plan.
import { describe, expect, it } from 'vitest';
import { parseFaultFile, faultFor } from '../demo/sim/faults.js';
import { makePlan, FULL } from '../bench/endurance/plan.js';
import { checks, heldByEnded, lostCommits, passDrops, type Verdict } from '../bench/endurance/checks.js';
import { bankEntry, evaluate, planTasks } from '../demo/endurance/generate.js';
import { parseArgs } from '../bench/endurance.js';
import { paceByPart } from '../bench/endurance/pace.js';
import type { CommitRecord } from '../demo/sim/commits.js';

describe('the fault plan', () => {
  it('is the same for the same seed, different for another, with the issue\'s counts', () => {
    const a = makePlan({ seed: 's', agents: 16, sessions: 2000, scale: 1 });
    expect(makePlan({ seed: 's', agents: 16, sessions: 2000, scale: 1 })).toEqual(a);
    expect(makePlan({ seed: 't', agents: 16, sessions: 2000, scale: 1 }).faults).not.toEqual(a.faults);
    expect(a.counts).toEqual({ crash: 200, regress: 100, hang: 20, ratelimit: 1 });
    const kinds = Object.values(a.faults.sessions).map((f) => f.kind);
    expect(kinds.filter((k) => k === 'crash')).toHaveLength(200);
    expect(a.events.map((e) => e.kind).sort()).toEqual(['outage', 'outage', 'sigkill', 'sigkill', 'sigkill', 'sigterm']);
    // one event per band, in order, all inside 10%..90% of the run
    const at = a.events.map((e) => e.atSession);
    expect(at).toEqual([...at].sort((x, y) => x - y));
    expect(Math.min(...at)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...at)).toBeLessThanOrEqual(1800);
    expect(a.durations).toEqual(FULL);
  });

  it('scales durations, and its fault file is one the sim accepts', () => {
    const p = makePlan({ seed: '1', agents: 16, sessions: 200, scale: 0.25 });
    expect(p.durations.outageMs).toBe(30_000);
    expect(p.durations.sessionTimeoutMs).toBe(90_000); // never below the floor
    expect(p.counts).toEqual({ crash: 20, regress: 10, hang: 2, ratelimit: 1 });
    const f = parseFaultFile(JSON.parse(JSON.stringify(p.faults)), 'faults.json');
    const rl = Object.entries(f.sessions).find(([, x]) => x.kind === 'ratelimit')!;
    const [agent, session] = rl[0].split('/');
    expect(faultFor(f, agent!, session!)).toEqual({ kind: 'ratelimit', resetInMs: 15_000 });
    expect(faultFor(f, 'agent-99', '1')).toBeNull();
  });

  it('refuses a bad fault file with one line', () => {
    expect(() => parseFaultFile({ v: 1, sessions: { 'agent-1/2': { kind: 'explode' } } }, 'f.json')).toThrow(/agent-1\/2: kind must be one of/);
    expect(() => parseFaultFile({ v: 1, sessions: { 'x y': { kind: 'crash' } } }, 'f.json')).toThrow(/not AGENT\/SESSION/);
    expect(() => parseFaultFile({ v: 1, sessions: { 'a/1': { kind: 'ratelimit' } } }, 'f.json')).toThrow(/resetInMs/);
    expect(() => parseFaultFile([], 'f.json')).toThrow(/not a version 1/);
  });
});

describe('the verdicts', () => {
  const rec = (r: Partial<CommitRecord> & { kind: CommitRecord['kind']; sha: string }): CommitRecord => ({ at: '', agent: 'agent-1', session: '1', ...r }) as CommitRecord;

  it('a commit is safe on main or wip/, or rewritten into safe commits; anything else is lost', () => {
    const records = [
      rec({ kind: 'commit', sha: 'a' }),
      rec({ kind: 'commit', sha: 'b' }),
      rec({ kind: 'rewritten', sha: 'b', by: ['b2'] }),
      rec({ kind: 'commit', sha: 'b2' }),
      rec({ kind: 'commit', sha: 'c' }),
      rec({ kind: 'rewritten', sha: 'c', by: ['c2'] }), // c2 never reached upstream
      rec({ kind: 'commit', sha: 'd' }),
      rec({ kind: 'rewritten', sha: 'd', by: [] }), // landed as a rebased commit the sim did not see
      rec({ kind: 'commit', sha: 'e' }),
    ];
    expect(lostCommits(records, new Set(['a', 'b2']))).toEqual({ logged: 6, safe: 2, rewritten: 1, lost: ['c', 'd', 'e'] });
    // found afterwards: d is the same change as d2, on main
    expect(lostCommits(records, new Set(['a', 'b2', 'd2']), new Map([['d', 'd2'], ['e', 'nowhere']]))).toEqual({ logged: 6, safe: 2, rewritten: 2, lost: ['c', 'e'] });
  });

  it('a claim counts from its session\'s end (or its landing, if later) to its removal, minus outages', () => {
    const ends = new Map([['agent-1/1', 1000], ['agent-2/1', 5000]]);
    const r = heldByEnded(
      [
        { task: 't1', agent: 'agent-1', session: '1', from: 0, to: 31_000 }, // 30 s after the end, 10 s of it in an outage
        { task: 't2', agent: 'agent-2', session: '1', from: 0, to: 4000 }, // removed before its session ended
        { task: 't3', agent: 'agent-2', session: '1', from: 6000, to: null }, // landed after the end, never removed
        { task: 't4', agent: 'agent-3', session: '9', from: 0, to: 10 },
      ],
      ends,
      [{ from: 10_000, to: 20_000 }],
      100_000,
    );
    expect(r.held).toEqual([20_000, 94_000 - 10_000]);
    expect(r.heldRaw).toEqual([30_000, 94_000]);
    expect(r.unknownEnd).toBe(1);
    expect(r.worst).toMatchObject({ task: 't3', ms: 84_000 });
  });

  it('finds every drop of the pass count between landed tips', () => {
    const tip = (passed: number, sha = String(passed)) => ({ sha, at: 0, passed, total: 10 });
    expect(passDrops([tip(1), tip(2), tip(2), tip(5)])).toEqual([]);
    const d = passDrops([tip(1), tip(4), tip(3, 'x'), tip(5)]);
    expect(d).toHaveLength(1);
    expect(d[0]!.to.sha).toBe('x');
  });

  it('each check can fail, and all hold on a clean run', () => {
    const clean: Verdict = {
      tasks: { done: 5, total: 5, allDone: true },
      lost: { logged: 9, safe: 9, rewritten: 0, lost: [] },
      staleClaims: [], pending: 0,
      held: { spans: 2, held: [1000, 59_000], heldRaw: [1000, 59_000], unknownEnd: 0, worst: null },
      heldLimitMs: 60_000, gate: true, drops: [], tipsJudged: 4, orphans: [], humanTouches: [],
    };
    expect(checks(clean).every((c) => c.ok)).toBe(true);
    const bad: Partial<Verdict>[] = [
      { tasks: { done: 4, total: 5, allDone: false } },
      { lost: { ...clean.lost, lost: ['abc'] } },
      { lost: { ...clean.lost, logged: 0, safe: 0 } }, // nothing logged proves nothing
      { staleClaims: ['t1'] },
      { pending: 1 },
      { held: { ...clean.held, held: [61_000] } },
      { held: { ...clean.held, unknownEnd: 1 } },
      { drops: [{ from: { sha: 'a', at: 0, passed: 3, total: 5 }, to: { sha: 'b', at: 1, passed: 2, total: 5 } }] },
      { gate: false },
      { tipsJudged: 0 },
      { orphans: ['pid 1: x'] },
      { humanTouches: ['restarted'] },
    ];
    for (const b of bad) expect(checks({ ...clean, ...b }).filter((c) => !c.ok), JSON.stringify(b)).toHaveLength(1);
  });
});

describe('the endurance project plan', () => {
  it('spreads tasks over the tables; a task\'s regress line is a different formula on the same key', () => {
    const ts = planTasks({ tasks: 100, tables: 7, seed: 'x' });
    expect(ts).toHaveLength(100);
    expect(new Set(ts.map((t) => t.table)).size).toBe(7);
    const e = bankEntry(ts[0]!);
    expect(e.regress![0]!.key).toBe(e.edits[0]!.key);
    expect(e.regress![0]!.line).not.toBe(e.edits[0]!.line);
    expect(evaluate([2, 3, 4, 100], 10, 20)).toBe(84);
    expect(() => planTasks({ tasks: 0, tables: 1, seed: 'x' })).toThrow(/tasks must be/);
  });

  it('bench arguments: defaults from --sessions, bad values refused', () => {
    const a = parseArgs(['--sessions', '200', '--scale', '0.25']);
    expect(a).toMatchObject({ agents: 16, sessions: 200, tasks: 150, scale: 0.25, gatePct: 100 });
    expect(parseArgs(['--no-gate']).gatePct).toBeNull();
    expect(() => parseArgs(['--agents', '0'])).toThrow(/--agents/);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/unknown argument/);
    expect(() => parseArgs(['--seed', 'a b'])).toThrow(/--seed/);
  });
});

describe('the pace figure', () => {
  it('counts sessions per minute in each quarter, leaving outage minutes out', () => {
    const min = 60_000;
    // 8 minutes: 10 starts in the first two, 6 in the next two, none in an outage of minutes 4-6, 2 in the last two
    const starts = [...Array.from({ length: 10 }, (_, i) => i * 0.2 * min), ...Array.from({ length: 6 }, (_, i) => 2 * min + i * 0.3 * min), 6.5 * min, 8 * min];
    expect(paceByPart(starts, 0, 8 * min, [{ from: 4 * min, to: 6 * min }])).toEqual([5, 3, null, 1]);
    // half a quarter away: its rate is over the minute left
    expect(paceByPart([0, 0.5 * min], 0, 4 * min, [{ from: 0.5 * min, to: 1 * min }], 4)).toEqual([4, 0, 0, 0]);
  });
});
