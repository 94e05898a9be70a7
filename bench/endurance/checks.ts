// The endurance run's verdict, as pure functions over what was collected: commits lost,
// how long ended sessions' claims stayed on main, whether main's pass count ever went
// down, and the list of checks the benchmark prints and exits on.
import type { CommitRecord } from '../../demo/sim/commits.js';
import { percentile } from '../_stats.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface LostReport {
  logged: number;
  /** reachable from main or a wip/ ref */
  safe: number;
  /** rewritten by a rebase into commits that are all safe */
  rewritten: number;
  lost: string[];
}

/**
 * Every logged commit must be reachable (main or wip/), or rewritten into commits that are:
 * as the sim logged it, or as found afterwards (`rewrittenAs`: a rebase the sim could not
 * log because it was killed first, matched by author, author date, subject and change).
 */
export function lostCommits(records: CommitRecord[], reachable: ReadonlySet<string>, rewrittenAs: ReadonlyMap<string, string> = new Map()): LostReport {
  const by = new Map<string, string[]>();
  for (const r of records) if (r.kind === 'rewritten') by.set(r.sha, r.by);
  const commits = [...new Set(records.filter((r) => r.kind === 'commit').map((r) => r.sha))];
  const memo = new Map<string, boolean>();
  const safe = (sha: string, depth: number): boolean => {
    if (reachable.has(sha)) return true;
    if (depth > 50) return false;
    const found = rewrittenAs.get(sha);
    if (found !== undefined && reachable.has(found)) return true;
    const next = by.get(sha);
    if (!next || next.length === 0) return false;
    const cached = memo.get(sha);
    if (cached !== undefined) return cached;
    const ok = next.every((n) => safe(n, depth + 1));
    memo.set(sha, ok);
    return ok;
  };
  const out: LostReport = { logged: commits.length, safe: 0, rewritten: 0, lost: [] };
  for (const c of commits) {
    if (reachable.has(c)) out.safe++;
    else if (safe(c, 0)) out.rewritten++;
    else out.lost.push(c);
  }
  return out;
}

export interface ClaimSpan {
  task: string;
  agent: string;
  session: string;
  /** when the claim landed on main (ms) */
  from: number;
  /** when its removal landed on main (ms); null: still there at the end */
  to: number | null;
}

export interface Window {
  from: number;
  to: number;
}

export interface HeldReport {
  /** claims whose session ended while the claim was on main */
  spans: number;
  /** per such claim: ms on main after its session ended, outage windows not counted */
  held: number[];
  /** the same with outage time counted */
  heldRaw: number[];
  /** claims of sessions with no known end (no session_end and no supervisor kill after their start) */
  unknownEnd: number;
  worst: { task: string; agent: string; session: string; ms: number } | null;
}

function overlap(a: Window, b: Window): number {
  return Math.max(0, Math.min(a.to, b.to) - Math.max(a.from, b.from));
}

/**
 * How long each claim stayed on main after its session ended. `ends` maps `agent/session`
 * to its end (ms); `end` is the end of the run (a claim still there counts until then).
 */
export function heldByEnded(spans: ClaimSpan[], ends: ReadonlyMap<string, number>, outages: Window[], end: number): HeldReport {
  const out: HeldReport = { spans: 0, held: [], heldRaw: [], unknownEnd: 0, worst: null };
  for (const s of spans) {
    const ended = ends.get(`${s.agent}/${s.session}`);
    if (ended === undefined) {
      out.unknownEnd++;
      continue;
    }
    const w = { from: Math.max(ended, s.from), to: s.to ?? end };
    if (w.to <= w.from) continue;
    out.spans++;
    const raw = w.to - w.from;
    const ms = raw - outages.reduce((t, o) => t + overlap(w, o), 0);
    out.heldRaw.push(raw);
    out.held.push(ms);
    if (!out.worst || ms > out.worst.ms) out.worst = { task: s.task, agent: s.agent, session: s.session, ms };
  }
  return out;
}

export interface Tip {
  sha: string;
  at: number;
  passed: number;
  total: number;
}

/** Each time main's passing-test count went down from one landed tip to the next. */
export function passDrops(tips: Tip[]): { from: Tip; to: Tip }[] {
  const out: { from: Tip; to: Tip }[] = [];
  for (let i = 1; i < tips.length; i++) if (tips[i]!.passed < tips[i - 1]!.passed) out.push({ from: tips[i - 1]!, to: tips[i]! });
  return out;
}

export interface Verdict {
  tasks: { done: number; total: number; allDone: boolean };
  lost: LostReport;
  staleClaims: string[];
  pending: number;
  held: HeldReport;
  heldLimitMs: number;
  gate: boolean;
  drops: { from: Tip; to: Tip }[];
  tipsJudged: number;
  orphans: string[];
  humanTouches: string[];
}

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function checks(v: Verdict): Check[] {
  const maxHeld = v.held.held.length ? Math.max(...v.held.held) : 0;
  const p99 = v.held.held.length ? percentile(v.held.held, 99) : 0;
  const maxRaw = v.held.heldRaw.length ? Math.max(...v.held.heldRaw) : 0;
  return [
    { name: 'every task done', ok: v.tasks.allDone, detail: `${v.tasks.done}/${v.tasks.total} tasks done on main` },
    {
      name: '0 commits lost',
      ok: v.lost.lost.length === 0 && v.lost.logged > 0,
      detail: `${v.lost.logged} commits logged by the sim: ${v.lost.safe} on main or wip/, ${v.lost.rewritten} rewritten by rebases into commits that are, ${v.lost.lost.length} lost${v.lost.lost.length ? ` (${v.lost.lost.slice(0, 5).map((c) => c.slice(0, 10)).join(', ')}${v.lost.lost.length > 5 ? ', ...' : ''})` : ''}`,
    },
    { name: '0 stale claims', ok: v.staleClaims.length === 0 && v.pending === 0, detail: `${v.staleClaims.length} lock files on main${v.staleClaims.length ? ` (${v.staleClaims.slice(0, 8).join(', ')})` : ''}; ${v.pending} entries left in pending/` },
    {
      name: `no claim held by an ended session > ${v.heldLimitMs / 1000} s`,
      ok: maxHeld <= v.heldLimitMs && v.held.unknownEnd === 0,
      detail: `${v.held.spans} claims outlived their session: max ${s1(maxHeld)}, p99 ${s1(p99)} (outage windows excluded; with them max ${s1(maxRaw)})${v.held.worst ? `; worst ${v.held.worst.task} of ${v.held.worst.agent}/${v.held.worst.session}` : ''}${v.held.unknownEnd ? `; ${v.held.unknownEnd} claims of sessions with no known end` : ''}`,
    },
    {
      name: 'pass rate at the gate never went down',
      ok: v.gate && v.drops.length === 0 && v.tipsJudged > 0,
      detail: !v.gate
        ? 'no gate installed (--no-gate): regressions land and are repaired later; this check needs the gate'
        : `${v.tipsJudged} landed tips of main judged in order: ${v.drops.length} drops${v.drops.length ? ` (first: ${v.drops[0]!.from.passed} -> ${v.drops[0]!.to.passed} at ${v.drops[0]!.to.sha.slice(0, 10)})` : ''}`,
    },
    { name: '0 orphan processes', ok: v.orphans.length === 0, detail: v.orphans.length ? v.orphans.slice(0, 5).join('; ') : 'none left under the run folder' },
    { name: '0 human touches', ok: v.humanTouches.length === 0, detail: v.humanTouches.length ? v.humanTouches.join('; ') : 'the swarm ran to done with only the planned faults' },
  ];
}
