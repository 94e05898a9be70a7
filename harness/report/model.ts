// The morning report's numbers: pure arithmetic over the event log and the git facts, so
// the HTML (html.ts) only lays them out, and the tests check numbers, not markup.
import { buildStatus, commitAgent, HOUR, landedBy, type SwarmStatus, type StatusInput } from '../events/status.js';
import { crashed, exitText } from '../events/outcome.js';

export interface SessionBar {
  agent: string;
  session: string;
  start: number;
  /** null: still running at `now` */
  end: number | null;
  exit: string;
  crashed: boolean;
  costUsd: number;
  /** the ssh host or Slurm node (and job) it ran on; null on the supervisor's machine */
  host: string | null;
}

export interface HourBucket {
  t: number;
  commits: number;
  tasksDone: number;
}

export interface AgentCost {
  agent: string;
  sessions: number;
  commits: number;
  costUsd: number;
  tokens: number;
}

export interface Stall {
  from: number;
  to: number;
  /** recorded commits in the stretch */
  points: number;
  rate: number;
}

export interface ReportData {
  title: string;
  now: number;
  /** the end of the charts' time axes: now while the swarm runs, else its last event or commit */
  end: number;
  status: SwarmStatus;
  /** the tools with recorded results, in name order ('' = runs with no tool); one series each */
  passTools: string[];
  /** `tool`: an index into passTools */
  passByCommit: { index: number; rate: number; tool: number }[];
  passByTime: { t: number; rate: number; tool: number }[];
  perHour: HourBucket[];
  sessions: SessionBar[];
  reaps: { t: number; tasks: string[] }[];
  agents: AgentCost[];
  costPerTask: number | null;
  costPerCommit: number | null;
  slowest: { task: string; ms: number; agent: string | null }[];
  churn: { claims: number; done: number; abandoned: number; reaped: number; released: number; lostRaces: number };
  stalls: Stall[];
}

export interface ReportInput extends StatusInput {
  title: string;
}

export function buildReport(inp: ReportInput): ReportData {
  const { events, facts, now } = inp;
  const lostRaces = inp.lostRaces ?? 0;
  const status = buildStatus({ events, facts, budget: inp.budget, now, supervisorAlive: inp.supervisorAlive, conflicts: inp.conflicts ?? 0, lostRaces });
  const since = status.startedAt ?? facts.commits[0]?.t ?? now;

  const sessions: SessionBar[] = [];
  const open = new Map<string, SessionBar>();
  const reaps: { t: number; tasks: string[] }[] = [];
  let released = 0;
  for (const e of events) {
    const ts = Date.parse(e.ts);
    if (e.type === 'session_start') {
      const bar: SessionBar = { agent: e.agent, session: e.session, start: ts, end: null, exit: 'running', crashed: false, costUsd: 0, host: e.host ?? null };
      sessions.push(bar);
      open.set(`${e.agent}/${e.session}`, bar);
    } else if (e.type === 'session_end') {
      const bar = open.get(`${e.agent}/${e.session}`);
      if (!bar) continue;
      open.delete(`${e.agent}/${e.session}`);
      bar.end = ts;
      bar.exit = exitText(e);
      bar.crashed = crashed(e);
      bar.costUsd = e.usage?.costUsd ?? 0;
    } else if (e.type === 'session_placed') {
      const bar = open.get(`${e.agent}/${e.session}`);
      if (bar && e.job) bar.host = `${e.host} (job ${e.job})`;
    } else if (e.type === 'claims_reaped') reaps.push({ t: ts, tasks: e.tasks });
    else if (e.type === 'claims_released') released += e.tasks.length;
    else if (e.type === 'run_end') {
      // Sessions still open when their run ended were cut off with it.
      for (const bar of open.values()) {
        bar.end = ts;
        bar.exit = 'lost at run end';
      }
      open.clear();
    }
  }

  // Commits and tasks done per hour, from the swarm's start.
  const perHour: HourBucket[] = [];
  const claimedAt = new Map<string, { t: number; agent: string | null }>();
  const slow: { task: string; ms: number; agent: string | null }[] = [];
  const churn = { claims: 0, done: 0, abandoned: 0, reaped: 0, released, lostRaces };
  const commitsBy = new Map<string, number>();
  let landed = 0;
  const isLanded = landedBy(facts.commits, status.startedAt, status.firstHead);
  for (const [i, c] of facts.commits.entries()) {
    if (c.status === 'claimed') churn.claims++;
    else if (c.status === 'done') churn.done++;
    else if (c.status === 'abandoned') churn.abandoned++;
    else if (c.status === 'reaped') churn.reaped++;
    if (c.task && c.status === 'claimed') claimedAt.set(c.task, { t: c.t, agent: commitAgent(c) });
    if (c.task && c.status === 'done') {
      const from = claimedAt.get(c.task);
      if (from) slow.push({ task: c.task, ms: c.t - from.t, agent: from.agent });
      claimedAt.delete(c.task);
    }
    if (!isLanded(c, i)) continue;
    landed++;
    commitsBy.set(commitAgent(c), (commitsBy.get(commitAgent(c)) ?? 0) + 1);
    const h = Math.max(0, Math.floor((c.t - since) / HOUR));
    while (perHour.length <= h) perHour.push({ t: since + perHour.length * HOUR, commits: 0, tasksDone: 0 });
    perHour[h]!.commits++;
    if (c.status === 'done') perHour[h]!.tasksDone++;
  }
  slow.sort((a, b) => b.ms - a.ms);

  const agents: AgentCost[] = status.agents.map((a) => ({
    agent: a.agent,
    sessions: a.sessions,
    commits: commitsBy.get(a.agent) ?? 0,
    costUsd: a.costUsd,
    tokens: a.tokens,
  }));
  const cost = status.spend.costUsd;
  const rate = (p: { pass: number; total: number }) => p.pass / p.total;
  const passTools = [...new Set(facts.pass.map((p) => p.tool ?? ''))].sort();
  const toolIndex = (p: { tool?: string }) => passTools.indexOf(p.tool ?? '');
  const lastEvent = events.length ? Date.parse(events.at(-1)!.ts) : 0;
  const end = status.live ? now : Math.max(lastEvent, facts.commits.at(-1)?.t ?? 0, ...facts.pass.map((p) => p.t)) || now;
  return {
    title: inp.title,
    now,
    end,
    status,
    passTools,
    passByCommit: facts.pass.filter((p) => p.index >= 0).map((p) => ({ index: p.index, rate: rate(p), tool: toolIndex(p) })),
    passByTime: facts.pass.map((p) => ({ t: p.t, rate: rate(p), tool: toolIndex(p) })).sort((a, b) => a.t - b.t),
    perHour,
    sessions,
    reaps,
    agents,
    costPerTask: status.totals.tasksDone ? cost / status.totals.tasksDone : null,
    costPerCommit: landed ? cost / landed : null,
    slowest: slow.slice(0, 10),
    churn,
    // per tool: one tool's rate standing still says nothing about another's
    stalls: passTools
      .flatMap((tool) => stalls(facts.pass.filter((p) => (p.tool ?? '') === tool).map((p) => ({ t: p.t, rate: rate(p) })), end))
      .sort((a, b) => b.to - b.from - (a.to - a.from))
      .slice(0, 5),
  };
}

/**
 * Stretches where the recorded pass rate did not move: consecutive records with the same
 * rate, from the first of them until the record that changed it (or the end). The longest
 * five, longest first; a single record is a stall only if it is the last one.
 */
export function stalls(points: { t: number; rate: number }[], now: number, keep = 5): Stall[] {
  const out: Stall[] = [];
  let i = 0;
  while (i < points.length) {
    let j = i;
    while (j + 1 < points.length && Math.abs(points[j + 1]!.rate - points[i]!.rate) < 1e-9) j++;
    const to = j + 1 < points.length ? points[j + 1]!.t : now;
    if (j > i || j === points.length - 1) out.push({ from: points[i]!.t, to, points: j - i + 1, rate: points[i]!.rate });
    i = j + 1;
  }
  return out.filter((s) => s.to > s.from).sort((a, b) => b.to - b.from - (a.to - a.from)).slice(0, keep);
}
