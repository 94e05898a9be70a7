// The status model and the report model: plain data in, numbers out.
import { describe, expect, it } from 'vitest';
import type { GitFacts } from '../harness/events/facts.js';
import { parseLog, passByTool, LOG_FORMAT } from '../harness/events/facts.js';
import type { RunRecord } from '../test-oracle/index.js';
import type { LoggedEvent } from '../harness/events/log.js';
import { budgetOf, buildStatus, openMessages, spend } from '../harness/events/status.js';
import type { Message } from '../harness/tasks/messages.js';
import { statusLines } from '../harness/events/status-lines.js';
import { buildReport, stalls } from '../harness/report/model.js';
import { renderReport } from '../harness/report/html.js';

const T0 = Date.UTC(2026, 0, 1, 20, 0, 0);
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();
const usage = (costUsd: number) => ({ costUsd, inputTokens: 1000, outputTokens: 100, cacheReadTokens: null, cacheCreationTokens: null, numTurns: 1, isError: false, subtype: null });
const end = (min: number, agent: string, session: string, exit: number, cost: number) =>
  ({ ts: at(min), type: 'session_end', run: 'r', agent, session, exit, signal: null, durationMs: 60_000, timedOut: false, stopped: false, usage: usage(cost) }) as LoggedEvent;

const events: LoggedEvent[] = [
  { ts: at(0), type: 'run_start', run: 'r', agents: 2, agent: 'sim', sandbox: 'process', upstream: 'u', takeover: false },
  { ts: at(1), type: 'session_start', run: 'r', agent: 'agent-1', session: '1', log: 'l', head: null },
  { ts: at(1), type: 'session_start', run: 'r', agent: 'agent-2', session: '1', log: 'l', head: null },
  end(10, 'agent-2', '1', 1, 2),
  { ts: at(10), type: 'claims_released', run: 'r', agent: 'agent-2', session: '1', tasks: ['b'] },
  { ts: at(10), type: 'backoff', run: 'r', agent: 'agent-2', streak: 1, delayMs: 1_200_000 },
  end(20, 'agent-1', '1', 0, 1),
  { ts: at(21), type: 'session_start', run: 'r', agent: 'agent-1', session: '2', log: 'l', head: null },
  { ts: at(22), type: 'claims_reaped', run: 'r', tasks: ['old'], why: 'ttl' },
];

const facts: GitFacts = {
  commits: [
    { sha: 'seed', t: T0 - 3_600_000, author: 'me', task: null, status: null, agent: null },
    { sha: 'c1', t: T0 + 2 * 60_000, author: 'agent-1 (sim)', task: 'a', status: 'claimed', agent: 'agent-1' },
    { sha: 'c2', t: T0 + 15 * 60_000, author: 'agent-1 (sim)', task: 'a', status: 'done', agent: 'agent-1' },
    { sha: 'c3', t: T0 + 21 * 60_000, author: 'agent-1 (sim)', task: 'c', status: 'claimed', agent: 'agent-1' },
  ],
  claims: [{ task: 'c', agent: 'agent-1', session: '2', since: T0 + 21 * 60_000 }],
  wipBranches: 1,
  pass: [
    { sha: 'seed', index: 0, t: T0 - 3_600_000, pass: 1, total: 4 },
    { sha: 'c2', index: 2, t: T0 + 15 * 60_000, pass: 3, total: 4 },
  ],
};

describe('status model', () => {
  const s = buildStatus({ events, facts, budget: { maxCostUsd: 13, maxTokens: null }, now: T0 + 25 * 60_000 });

  it('gives each agent its state, sessions, claim, last commit and exit', () => {
    const [a1, a2] = s.agents;
    expect(a1).toMatchObject({ agent: 'agent-1', state: 'running', sessions: 2, session: '2', claim: 'c', lastCommit: { sha: 'c3' }, lastExit: 'exit 0', costUsd: 1 });
    expect(a2).toMatchObject({ agent: 'agent-2', state: 'backing off', sessions: 1, claim: null, lastCommit: null, lastExit: 'exit 1', costUsd: 2 });
    expect(a2!.until).toBe(T0 + 30 * 60_000);
  });

  it('shows a slot waiting for a reported rate-limit reset, until that time', () => {
    const reset = new Date(T0 + 40 * 60_000).toISOString();
    const limited = [...events, { ts: at(11), type: 'rate_limited' as const, run: 'r', agent: 'agent-2', until: reset, reported: true, message: 'usage limit' }];
    const during = buildStatus({ events: limited, facts, budget: { maxCostUsd: null, maxTokens: null }, now: T0 + 25 * 60_000 });
    expect(during.agents[1]).toMatchObject({ state: 'rate-limited', until: T0 + 40 * 60_000 });
    const after = buildStatus({ events: limited, facts, budget: { maxCostUsd: null, maxTokens: null }, now: T0 + 41 * 60_000 });
    expect(after.agents[1]!.state).toBe('running');
  });

  it('totals sessions, commits since the start, tasks, churn and pass rate at start and now', () => {
    expect(s.live).toBe(true);
    expect(s.totals).toMatchObject({ sessions: 3, crashed: 1, commits: 3, tasksDone: 1, claimedNow: 1, reaped: 1, released: 1, wipBranches: 1 });
    expect(s.passStart).toMatchObject({ pass: 1, total: 4 });
    expect(s.passNow).toMatchObject({ pass: 3, total: 4 });
  });

  it('projects when the budget runs out at the current rate', () => {
    // $3 in the 25 minutes the run is old: $7.20/h; $10 left: 83 minutes.
    expect(s.spend.costUsd).toBe(3);
    expect(s.spend.costPerHour).toBeCloseTo(7.2);
    expect(s.spend.exhaustedInMs! / 60_000).toBeCloseTo(83.33, 1);
    expect(spend([], { maxCostUsd: null, maxTokens: null }, T0, T0).exhaustedInMs).toBeNull();
  });

  it('stops every slot when the run ended or its supervisor is gone', () => {
    const gone = buildStatus({ events, facts, budget: budgetOf({}), now: T0 + 25 * 60_000, supervisorAlive: false });
    expect(gone.live).toBe(false);
    expect(gone.agents.map((a) => a.state)).toEqual(['stopped', 'stopped']);
  });

  it('prints one line per agent and says "no budget" when there is none', () => {
    const lines = statusLines(buildStatus({ events, facts, budget: budgetOf({ maxTokens: 'x' }), now: T0 + 25 * 60_000 }), '.swarm');
    expect(lines.filter((l) => /^agent-\d/.test(l))).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/pass rate 75\.0% \(3\/4\) now, 25\.0% \(1\/4\) at start/);
    expect(lines.at(-1)).toMatch(/no budget$/);
  });
});

describe('pass rate per tool', () => {
  // One commit, run under gcc (all pass) and then tcc (one fails): pooled, the newest result
  // per test would say 3/4 or 4/4 depending on order; per tool it is 4/4 and 3/4.
  const rec = (tool: string | undefined, at: string, results: string[]): RunRecord =>
    ({ at, v: 1, commit: 'c2', seed: 's', pct: 100, mode: 'full', tool, total: 4, selected: 4, counts: {}, tests: results.map((r, i) => [`t${i}`, r, 1]) }) as unknown as RunRecord;
  const records = [rec('gcc', at(14), ['pass', 'pass', 'pass', 'pass']), rec('tcc', at(15), ['pass', 'fail', 'pass', 'pass'])];
  const twoTools: GitFacts = {
    ...facts,
    pass: [
      { sha: 'seed', index: 0, t: T0 - 3_600_000, tool: 'gcc', pass: 2, total: 4 },
      { sha: 'seed', index: 0, t: T0 - 3_600_000, tool: 'tcc', pass: 1, total: 4 },
      ...passByTool(records).map((p) => ({ sha: 'c2', index: 2, ...p })),
    ],
  };

  it('counts each tool on its own, as test-oracle history does', () => {
    expect(passByTool(records).map(({ tool, pass, total }) => [tool, pass, total])).toEqual([['gcc', 4, 4], ['tcc', 3, 4]]);
    expect(passByTool([rec(undefined, at(1), ['fail', 'pass'])]).map((p) => [p.tool, p.pass, p.total])).toEqual([['', 1, 2]]);
  });

  it('gives status one pass-rate line per tool, and open failing tests summed over tools', () => {
    const st = buildStatus({ events, facts: twoTools, budget: budgetOf({}), now: T0 + 25 * 60_000 });
    expect(st.passByTool.map((p) => [p.tool, p.start.pass, p.now.pass, p.now.total])).toEqual([['gcc', 2, 4, 4], ['tcc', 1, 3, 4]]);
    expect(st.passNow).toBeNull(); // no pooled number across tools
    const lines = statusLines(st, '.swarm');
    expect(lines.filter((l) => l.startsWith('pass rate'))).toEqual([
      'pass rate 100.0% (4/4) now, 50.0% (2/4) at start (tool gcc)',
      'pass rate 75.0% (3/4) now, 25.0% (1/4) at start (tool tcc)',
    ]);
    expect(lines.join('\n')).toMatch(/open \(failing tests\) 1,/);
  });

  it('gives the report one series per tool', () => {
    const rep = buildReport({ title: 't', events, facts: twoTools, budget: budgetOf({}), now: T0 + 25 * 60_000 });
    expect(rep.passTools).toEqual(['gcc', 'tcc']);
    expect(rep.passByCommit).toEqual([{ index: 0, rate: 0.5, tool: 0 }, { index: 0, rate: 0.25, tool: 1 }, { index: 2, rate: 1, tool: 0 }, { index: 2, rate: 0.75, tool: 1 }]);
    const html = renderReport(rep);
    expect([...html.matchAll(/<svg class="chart" data-chart="pass-by-commit"[^]*?<\/svg>/g)][0]![0].match(/<polyline class="series s\d" data-points="2"/g)).toHaveLength(2);
    expect(html).toContain('pass rate (tool tcc), start → now');
  });
});

describe('report model', () => {
  const r = buildReport({ title: 't', events, facts, budget: budgetOf({}), now: T0 + 25 * 60_000 });

  it('builds the session timeline, the hourly buckets, the slowest tasks and the churn', () => {
    expect(r.sessions.map((x) => [x.agent, x.session, x.exit, x.crashed])).toEqual([
      ['agent-1', '1', 'exit 0', false],
      ['agent-2', '1', 'exit 1', true],
      ['agent-1', '2', 'running', false],
    ]);
    expect(r.perHour).toEqual([{ t: T0, commits: 3, tasksDone: 1 }]);
    expect(r.slowest).toEqual([{ task: 'a', ms: 13 * 60_000, agent: 'agent-1' }]);
    expect(r.churn).toEqual({ claims: 2, done: 1, abandoned: 0, reaped: 0, released: 1, lostRaces: 0 });
    expect(r.costPerTask).toBe(3);
    expect(r.costPerCommit).toBe(1);
    expect(r.passByCommit).toEqual([{ index: 0, rate: 0.25, tool: 0 }, { index: 2, rate: 0.75, tool: 0 }]);
  });

  it('finds the stretches where the pass rate did not move', () => {
    const pts = [0, 10, 20, 30, 40].map((m, i) => ({ t: m, rate: [0.1, 0.1, 0.1, 0.5, 0.5][i]! }));
    expect(stalls(pts, 100)).toEqual([
      { from: 30, to: 100, points: 2, rate: 0.5 },
      { from: 0, to: 30, points: 3, rate: 0.1 },
    ]);
  });
});

describe('git log parsing', () => {
  it('reads trailers, oldest first', () => {
    const out = `\x1eccc\x1f30\x1fagent-2\x1f\x1f\x1f\x1facked\n\x1ebbb\x1f20\x1fagent-1 (sim)\x1ft1\x1fdone\x1fagent-1\x1f\n\x1eaaa\x1f10\x1fme\x1f\x1f\x1f\n`;
    expect(LOG_FORMAT).toContain('Task-Status');
    expect(LOG_FORMAT).toContain('Msg-Status');
    expect(parseLog(out)).toEqual([
      { sha: 'aaa', t: 10_000, author: 'me', task: null, status: null, agent: null },
      { sha: 'bbb', t: 20_000, author: 'agent-1 (sim)', task: 't1', status: 'done', agent: 'agent-1' },
      { sha: 'ccc', t: 30_000, author: 'agent-2', task: null, status: null, agent: null, message: true },
    ]);
  });
});

describe('commits landed by the swarm', () => {
  // init's commit in the same second the run started: by time alone it would count
  const sameSecond: GitFacts = {
    ...facts,
    commits: [
      { sha: 'init', t: T0, author: 'me', task: null, status: null, agent: null },
      { sha: 'm', t: T0, author: 'alice', task: null, status: null, agent: null, message: true },
      { sha: 'w1', t: T0 + 60_000, author: 'agent-1', task: null, status: null, agent: null },
    ],
  };
  const started = (head: string | null): LoggedEvent[] => [
    { ts: new Date(T0 + 500).toISOString(), type: 'run_start', run: 'r', agents: 1, agent: 'cmd', sandbox: 'process', upstream: 'u', takeover: false },
    { ts: new Date(T0 + 900).toISOString(), type: 'session_start', run: 'r', agent: 'agent-1', session: '1', log: 'l', head },
  ];

  it('counts the commits after the tip the first session started from, in status and the report alike', () => {
    const st = buildStatus({ events: started('m'), facts: sameSecond, budget: budgetOf({}), now: T0 + 120_000 });
    expect(st.totals.commits).toBe(1);
    const rep = buildReport({ title: 't', events: started('m'), facts: sameSecond, budget: budgetOf({}), now: T0 + 120_000 });
    expect(rep.perHour.reduce((n, h) => n + h.commits, 0)).toBe(1);
  });

  it('without that tip in the history, counts by time from a second before the start (whole-second commit times)', () => {
    expect(buildStatus({ events: started(null), facts: sameSecond, budget: budgetOf({}), now: T0 + 120_000 }).totals.commits).toBe(2);
    expect(buildStatus({ events: started('gone'), facts: sameSecond, budget: budgetOf({}), now: T0 + 120_000 }).totals.commits).toBe(2);
  });
});

describe('message commits and open messages', () => {
  it('a message sent or acknowledged is no landed commit and no "last commit"', () => {
    const withMsgs: GitFacts = { ...facts, commits: [...facts.commits, { sha: 'm1', t: T0 + 23 * 60_000, author: 'agent-2', task: null, status: null, agent: null, message: true }] };
    const st = buildStatus({ events, facts: withMsgs, budget: budgetOf({}), now: T0 + 25 * 60_000 });
    expect(st.totals.commits).toBe(3);
    expect(st.agents[1]!.lastCommit).toBeNull();
    const rep = buildReport({ title: 't', events, facts: withMsgs, budget: budgetOf({}), now: T0 + 25 * 60_000 });
    expect(rep.perHour).toEqual([{ t: T0, commits: 3, tasksDone: 1 }]);
    expect(rep.costPerCommit).toBe(1);
  });

  it('a message is open while an agent it is for has not read it, or none has come yet', () => {
    const m = (id: string, to: string, ackedBy: string[], from = 'alice'): Message => ({ id, from, to, sent: null, ackedBy, text: id });
    const readers = [{ agent: 'agent-1', role: 'docs' }, { agent: 'agent-2', role: null }];
    const box = [
      m('read-by-all', 'all', ['agent-1', 'agent-2']),
      m('half-read', 'all', ['agent-1']),
      m('own-broadcast-read', 'all', ['agent-2'], 'agent-1'),
      m('role-read', 'role:docs', ['agent-1']),
      m('role-nobody-has', 'role:perf', []),
      m('direct-later', 'agent-7', []),
    ];
    expect(openMessages(box, readers).map((x) => x.id)).toEqual(['half-read', 'role-nobody-has', 'direct-later']);
    expect(openMessages(box, []).map((x) => x.id)).toEqual(box.map((x) => x.id)); // no agent has come: all wait
    const co = { messages: box, backlog: { ready: 0, blocked: 0, held: 0, done: 0, cycles: 0, unknown: 0 }, hot: [], flags: [] };
    const lines = statusLines(buildStatus({ events, facts: { ...facts, coordination: co }, budget: budgetOf({}), now: T0 + 25 * 60_000 }), '.swarm');
    expect(lines).toContain('messages 4 open on main; unread: agent-2 1 (harness msg inbox)'); // these agents have no role: role:docs waits too
  });
});

describe('tokens with cache reads and writes', () => {
  it('status, the per-agent line, the report and --max-tokens all count every token the same way', async () => {
    const { newTally, addUsage } = await import('../harness/swarm/budget.js');
    const claude = { costUsd: 0.5, inputTokens: 100, outputTokens: 20, cacheReadTokens: 6000, cacheCreationTokens: 400, numTurns: 3, isError: false, subtype: null };
    const codex = { costUsd: null, inputTokens: 5000, outputTokens: 30, cacheReadTokens: 4000, cacheCreationTokens: null, inputIncludesCache: true, numTurns: 2, isError: false, subtype: null };
    const evs: LoggedEvent[] = [
      { ts: at(0), type: 'run_start', run: 'r', agents: 1, agent: 'claude', sandbox: 'process', upstream: 'u', takeover: false },
      { ts: at(1), type: 'session_start', run: 'r', agent: 'agent-1', session: '1', log: 'l', head: null },
      { ...(end(5, 'agent-1', '1', 0, 0) as object), usage: claude } as LoggedEvent,
      { ts: at(6), type: 'session_start', run: 'r', agent: 'agent-1', session: '2', log: 'l', head: null },
      { ...(end(9, 'agent-1', '2', 0, 0) as object), usage: codex } as LoggedEvent,
    ];
    const tally = newTally();
    addUsage(tally, 'agent-1', claude as never);
    addUsage(tally, 'agent-1', codex as never);
    const want = 100 + 20 + 6000 + 400 + (5000 + 30); // Codex's input already holds its cached tokens
    expect(tally.total.tokens).toBe(want);
    const s = buildStatus({ events: evs, facts, budget: { maxCostUsd: null, maxTokens: 20_000 }, now: T0 + 10 * 60_000 });
    expect(s.spend.tokens).toBe(want);
    expect(s.agents[0]!.tokens).toBe(want);
    expect(buildReport({ events: evs, facts, budget: { maxCostUsd: null, maxTokens: 20_000 }, now: T0 + 10 * 60_000, title: 't' }).agents[0]!.tokens).toBe(want);
  });
});
