// The status model: what a swarm is doing and has done, from its event log and the git
// facts (facts.ts). Pure: the same inputs give the same answer, so `harness status`, the
// live view and the report agree, and the tests need no swarm.
import type { PendingSummary } from '../tasks/journal.js';
import type { LoggedEvent } from './log.js';
import { totalTokens } from './prices.js';
import { crashed, exitText } from './outcome.js';
import type { CommitFact, GitFacts, PassPoint } from './facts.js';
import { emptyCoordination, type Coordination, type HotTask } from './coordination.js';
import { unread, type Message, type Reader } from '../tasks/messages.js';

export type AgentState = 'running' | 'backing off' | 'idle' | 'rate-limited' | 'stopped';

export interface AgentStatus {
  agent: string;
  /** its standing role (--role), from its latest session; null: none */
  role: string | null;
  /** messages on main it has not acknowledged */
  unread: number;
  state: AgentState;
  /** when backing off: when the next session may start, ms */
  until: number | null;
  sessions: number;
  /** the running session, else the last one */
  session: string | null;
  /** where that session runs or ran: the ssh host, the Slurm node and job; null on this machine */
  host: string | null;
  claim: string | null;
  lastCommit: { sha: string; t: number } | null;
  /** 'exit 0', 'exit 1', 'timed out', 'killed by SIGTERM', 'stopped'; null before any end */
  lastExit: string | null;
  inputTokens: number;
  outputTokens: number;
  /** every token, cache reads and writes included: what --max-tokens and the summary count */
  tokens: number;
  costUsd: number;
}

export interface Budget {
  maxCostUsd: number | null;
  maxTokens: number | null;
}

export interface Spend {
  costUsd: number;
  tokens: number;
  /** spend per hour over the last hour of sessions (or the run so far, if shorter) */
  costPerHour: number;
  tokensPerHour: number;
  /** ms until the first budget runs out at that rate; null with no budget or no spending */
  exhaustedInMs: number | null;
  budget: Budget;
}

export interface ToolPass {
  /** '' for runs with no tool */
  tool: string;
  start: PassRate;
  now: PassRate;
}

export interface PassRate {
  pass: number;
  total: number;
  sha: string;
}

export interface SwarmStatus {
  now: number;
  /** a run is going on: started, not ended, supervisor alive (when known) */
  live: boolean;
  startedAt: number | null;
  /** main's tip when the swarm's first session started (landedBy) */
  firstHead: string | null;
  agents: AgentStatus[];
  totals: {
    sessions: number;
    crashed: number;
    commits: number;
    tasksDone: number;
    claimedNow: number;
    reaped: number;
    released: number;
    /** merge conflicts resolved, from the session logs */
    conflicts: number;
    /** claims lost to another agent, from the session logs */
    lostRaces: number;
    wipSaved: number;
    wipBranches: number;
  };
  /** with results of one tool (or none) only: its pass rate at the start and now; null with several (see passByTool) */
  passStart: PassRate | null;
  passNow: PassRate | null;
  /** the pass rate at the start and now, per tool (runs of different tools never pool) */
  passByTool: ToolPass[];
  spend: Spend;
  /** lock removals and wip pushes owed (DIR/pending/): how many, and the oldest's age */
  pending: PendingSummary;
  coordination: CoordinationStatus;
}

export interface CoordinationStatus {
  messagesOpen: number;
  backlog: Coordination['backlog'];
  hot: HotTask[];
  flags: string[];
}

export interface StatusInput {
  events: LoggedEvent[];
  facts: GitFacts;
  budget: Budget;
  now: number;
  /** false when the run's supervisor is known to be gone without writing run_end */
  supervisorAlive?: boolean | null;
  /** merge conflicts resolved and claims lost, as counted from session logs (optional) */
  conflicts?: number;
  lostRaces?: number;
  pending?: PendingSummary;
}

export const HOUR = 3_600_000;

/** A commit belongs to an agent by its Task-Agent trailer, or an author named `agent` or `agent (...)`. */
export function commitAgent(c: { author: string; agent: string | null }): string {
  return c.agent ?? c.author.replace(/ \(.*\)$/, '');
}

export function buildStatus(inp: StatusInput): SwarmStatus {
  const { events, facts, now } = inp;
  const agents = new Map<string, AgentStatus>();
  const slot = (a: string) => {
    let s = agents.get(a);
    if (!s) agents.set(a, (s = { agent: a, role: null, unread: 0, state: 'stopped', until: null, sessions: 0, session: null, host: null, claim: null, lastCommit: null, lastExit: null, inputTokens: 0, outputTokens: 0, tokens: 0, costUsd: 0 }));
    return s;
  };
  let startedAt: number | null = null;
  let firstHead: string | null = null;
  let runOpen = false;
  const t = { sessions: 0, crashed: 0, commits: 0, tasksDone: 0, claimedNow: facts.claims.length, reaped: 0, released: 0, conflicts: inp.conflicts ?? 0, lostRaces: inp.lostRaces ?? 0, wipSaved: 0, wipBranches: facts.wipBranches };
  const ends: { t: number; cost: number; tokens: number }[] = [];
  for (const e of events) {
    const ts = Date.parse(e.ts);
    switch (e.type) {
      case 'run_start':
        startedAt ??= ts;
        runOpen = true;
        // A new run takes over: slots of the old one are no longer running.
        for (const s of agents.values()) s.state = 'stopped';
        for (let i = 1; i <= e.agents; i++) slot(`agent-${i}`);
        break;
      case 'run_end':
        runOpen = false;
        for (const s of agents.values()) s.state = 'stopped';
        break;
      case 'session_start': {
        firstHead ??= e.head;
        const s = slot(e.agent);
        s.sessions++;
        s.session = e.session;
        s.role = e.role ?? null;
        s.host = e.host ?? null;
        s.state = 'running';
        s.until = null;
        t.sessions++;
        break;
      }
      case 'session_placed': {
        // a Slurm job names its node once it runs; an ssh session keeps its host's name as given
        const s = slot(e.agent);
        if (e.job && s.session === e.session) s.host = `${e.host} (job ${e.job})`;
        break;
      }
      case 'session_end': {
        const s = slot(e.agent);
        s.lastExit = exitText(e);
        // Between sessions a live slot is still working (preparing the next one).
        s.state = runOpen ? 'running' : 'stopped';
        if (crashed(e)) t.crashed++;
        const cost = e.usage?.costUsd ?? 0;
        const tokens = totalTokens(e.usage);
        s.tokens += tokens;
        s.costUsd += cost;
        s.inputTokens += e.usage?.inputTokens ?? 0;
        s.outputTokens += e.usage?.outputTokens ?? 0;
        ends.push({ t: ts, cost, tokens });
        break;
      }
      case 'backoff': {
        const s = slot(e.agent);
        s.state = 'backing off';
        s.until = ts + e.delayMs;
        break;
      }
      case 'idle': {
        // its sessions found nothing to do: it waits, or until upstream main moves
        const s = slot(e.agent);
        s.state = 'idle';
        s.until = ts + e.delayMs;
        break;
      }
      case 'rate_limited': {
        // the agent reported a usage or rate limit: its slot waits for the reset it gave
        const s = slot(e.agent);
        s.state = 'rate-limited';
        s.until = Date.parse(e.until);
        break;
      }
      case 'claims_released':
        t.released += e.tasks.length;
        break;
      case 'claims_reaped':
        t.reaped += e.tasks.length;
        break;
      case 'wip_saved':
        t.wipSaved++;
        break;
    }
  }
  const live = runOpen && inp.supervisorAlive !== false;
  if (!live) for (const s of agents.values()) s.state = 'stopped';
  for (const s of agents.values()) if ((s.state === 'backing off' || s.state === 'idle' || s.state === 'rate-limited') && s.until !== null && s.until <= now) s.state = 'running';

  const done = new Set<string>();
  const landed = landedBy(facts.commits, startedAt, firstHead);
  for (const [i, c] of facts.commits.entries()) {
    if (c.message) continue; // sending or reading a message lands no work
    if (landed(c, i)) t.commits++;
    if (c.status === 'done' && c.task) done.add(c.task);
    const a = agents.get(commitAgent(c));
    if (a) a.lastCommit = { sha: c.sha, t: c.t };
  }
  t.tasksDone = done.size;
  for (const c of facts.claims) {
    const a = c.agent ? agents.get(c.agent) : undefined;
    if (a) a.claim = a.claim ? `${a.claim}, ${c.task}` : c.task;
  }

  const co = facts.coordination ?? emptyCoordination();
  for (const a of agents.values()) a.unread = unread(co.messages, { agent: a.agent, role: a.role }).length;
  const passByTool = passEndsByTool(facts.pass, startedAt);
  const one = passByTool.length === 1 ? passByTool[0]! : null;
  return {
    now,
    live,
    startedAt,
    firstHead,
    // grouped by role (slots without one last), then by number
    agents: [...agents.values()].sort((a, b) => (a.role ?? '\uffff').localeCompare(b.role ?? '\uffff') || a.agent.localeCompare(b.agent, 'en', { numeric: true })),
    totals: t,
    passStart: one?.start ?? null,
    passNow: one?.now ?? null,
    passByTool,
    spend: spend(ends, inp.budget, now, startedAt),
    pending: inp.pending ?? { count: 0, oldestMs: null, wips: 0, wipOldestMs: null },
    coordination: { messagesOpen: openMessages(co.messages, [...agents.values()]).length, backlog: co.backlog, hot: co.hot, flags: co.flags },
  };
}

/** passEnds for each tool's points on their own, tools in name order. */
export function passEndsByTool(points: PassPoint[], startedAt: number | null): ToolPass[] {
  const byTool = new Map<string, PassPoint[]>();
  for (const p of points) byTool.set(p.tool ?? '', [...(byTool.get(p.tool ?? '') ?? []), p]);
  return [...byTool]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([tool, pts]) => {
      const e = passEnds(pts, startedAt);
      return { tool, start: e.passStart!, now: e.passNow! };
    });
}

/** The pass rate when the swarm started (the last record at or before it, else the first) and now. */
export function passEnds(points: PassPoint[], startedAt: number | null): { passStart: PassRate | null; passNow: PassRate | null } {
  if (points.length === 0) return { passStart: null, passNow: null };
  let start = points[0]!;
  if (startedAt !== null) for (const p of points) if (p.t <= startedAt) start = p;
  const last = points.at(-1)!;
  const pr = (p: PassPoint): PassRate => ({ pass: p.pass, total: p.total, sha: p.sha });
  return { passStart: pr(start), passNow: pr(last) };
}

export function spend(ends: { t: number; cost: number; tokens: number }[], budget: Budget, now: number, startedAt: number | null): Spend {
  let costUsd = 0;
  let tokens = 0;
  let recentCost = 0;
  let recentTokens = 0;
  for (const e of ends) {
    costUsd += e.cost;
    tokens += e.tokens;
    if (e.t > now - HOUR) {
      recentCost += e.cost;
      recentTokens += e.tokens;
    }
  }
  // The window is the last hour, or the run so far when it is younger than that.
  const window = Math.max(60_000, Math.min(HOUR, startedAt === null ? HOUR : now - startedAt));
  const costPerHour = (recentCost * HOUR) / window;
  const tokensPerHour = (recentTokens * HOUR) / window;
  const left: number[] = [];
  if (budget.maxCostUsd !== null && costPerHour > 0) left.push((Math.max(0, budget.maxCostUsd - costUsd) / costPerHour) * HOUR);
  if (budget.maxTokens !== null && tokensPerHour > 0) left.push((Math.max(0, budget.maxTokens - tokens) / tokensPerHour) * HOUR);
  return { costUsd, tokens, costPerHour, tokensPerHour, exhaustedInMs: left.length ? Math.min(...left) : null, budget };
}

/** Budgets from run.json (`maxCostUsd`, `maxTokens`), when the run set them. */
export function budgetOf(runJson: unknown): Budget {
  const r = (runJson ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  return { maxCostUsd: num(r.maxCostUsd), maxTokens: num(r.maxTokens) };
}

/**
 * Messages still waiting: some agent of the run has not acknowledged it, or no agent it is
 * for has come yet. A broadcast every agent has read is history, not open.
 */
export function openMessages(messages: Message[], readers: Reader[]): Message[] {
  return messages.filter((m) => {
    const waiting = readers.filter((r) => unread([m], r).length > 0);
    return waiting.length > 0 || !readers.some((r) => r.agent !== m.from && unread([{ ...m, ackedBy: [] }], r).length > 0);
  });
}

/**
 * Main's commits (oldest first) that this swarm's runs landed: those after the tip its first
 * session started from. Without that tip in the history (no session yet, an older log, a
 * rewritten main) it falls back to time, from one second before the start, since commit
 * times are whole seconds; that can count a commit made in the second before the run.
 * A message sent or read lands no work.
 */
export function landedBy(commits: CommitFact[], startedAt: number | null, firstHead: string | null): (c: CommitFact, index: number) => boolean {
  const after = firstHead === null ? -1 : commits.findIndex((c) => c.sha === firstHead);
  if (after >= 0) return (c, i) => i > after && !c.message;
  return (c) => startedAt !== null && c.t >= startedAt - 1000 && !c.message;
}
