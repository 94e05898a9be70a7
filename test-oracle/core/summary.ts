// The few lines an agent reads after a run. At most ~40 however many tests fail: the
// counts, the trend, then one grep-able `ERROR <id>: <reason> (log: <path>)` per failure,
// most informative first, then where the rest is.
import { toolLabel, type Comparison, type RunRecord } from './records.js';
import { RESULTS, type Result, type TestOutcome } from './types.js';
import { formatPct } from './select.js';

/** Wrong output first (points at the bug), timeouts last (say least). */
const KIND_RANK: Record<Result, number> = { fail: 0, crash: 1, error: 2, timeout: 3, pass: 4 };

export function rankFailures(outcomes: readonly TestOutcome[], newlyFailing: ReadonlySet<string> = new Set()): TestOutcome[] {
  return outcomes
    .filter((o) => o.result !== 'pass')
    .sort((a, b) => {
      const na = newlyFailing.has(a.id) ? 0 : 1;
      const nb = newlyFailing.has(b.id) ? 0 : 1;
      if (na !== nb) return na - nb;
      if (KIND_RANK[a.result] !== KIND_RANK[b.result]) return KIND_RANK[a.result] - KIND_RANK[b.result];
      // The quickest failing test is the cheapest to iterate on.
      if (a.ms !== b.ms) return a.ms - b.ms;
      return a.id < b.id ? -1 : 1;
    });
}

const MAX_LINE = 300;

export function errorLine(o: TestOutcome): string {
  const log = o.log ? ` (log: ${o.log})` : '';
  let reason = o.reason || o.result;
  const room = MAX_LINE - `ERROR ${o.id}: `.length - log.length;
  if (reason.length > room) reason = reason.slice(0, Math.max(20, room - 1)) + '…';
  return `ERROR ${o.id}: ${reason}${log}`;
}

export function passRate(pass: number, n: number): string {
  if (n === 0) return 'n/a';
  return `${((100 * pass) / n).toFixed(1)}%`;
}

export interface Trend {
  /** short sha the comparison is against */
  against: string;
  /** first-parent steps from HEAD; 0 = an earlier run on this same commit */
  distance: number;
  /** what the results compared with are, e.g. "full run, tool gcc" */
  basis: string;
  cmp: Comparison;
}

/** What earlier results are, in words: "full run, tool gcc", "3 samples". */
export function basisOf(runs: readonly Pick<RunRecord, 'mode' | 'pct'>[], tool: string): string {
  const modes = new Set(runs.map((r) => r.mode));
  const n = runs.length;
  let what: string;
  if (modes.size === 1 && modes.has('full')) what = n === 1 ? 'full run' : `${n} full runs`;
  else if (modes.size === 1 && modes.has('sample')) what = n === 1 ? `${formatPct(runs[0]!.pct)} sample` : `${n} samples`;
  else what = plural(n, 'recorded run');
  return tool ? `${what}, ${toolLabel(tool)}` : what;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function countsLine(outcomes: readonly TestOutcome[], wallMs: number): string {
  const c = new Map<Result, number>();
  for (const o of outcomes) c.set(o.result, (c.get(o.result) ?? 0) + 1);
  const parts = RESULTS.filter((r) => c.get(r)).map((r) => `${c.get(r)} ${r}`);
  const pass = c.get('pass') ?? 0;
  const n = outcomes.length;
  return `${plural(n, 'test')} in ${formatDuration(wallMs)}: ${parts.join(', ') || 'nothing ran'}; pass rate ${passRate(pass, n)}`;
}

/**
 * The change against earlier results. Every failure is accounted for: new, failing before
 * too, or without an earlier result; "0 newly failing" never stands alone beside ERRORs.
 * `none` names what was looked for when nothing was found.
 */
export function trendLine(t: Trend | null | undefined, none = 'result'): string {
  if (!t) return `no earlier recorded ${none} on this branch to compare with`;
  const where = t.distance === 0 ? 'an earlier run on this commit' : `${plural(t.distance, 'commit')} back`;
  const { cmp } = t;
  const head = `vs ${t.against} (${t.basis}, ${where}`;
  const uncompared = cmp.uncompared ? `; ${plural(cmp.uncompared, 'failing test')} with no earlier result` : '';
  if (cmp.common === 0) return `${head}): no tests in common${uncompared}`;
  const newly = cmp.regressions.length;
  const still = cmp.common - cmp.nowPass - newly;
  return (
    `${head}, ${plural(cmp.common, 'test')} in common): ` +
    `${passRate(cmp.basePass, cmp.common)} -> ${passRate(cmp.nowPass, cmp.common)}, ` +
    `${newly} newly failing${still ? `, ${still} failing before too` : ''}, ${cmp.fixed.length} fixed${uncompared}`
  );
}

export interface ReportInput {
  outcomes: readonly TestOutcome[];
  wallMs: number;
  trend?: Trend | null;
  /** what an absent trend was looking for, e.g. "full run of tool gcc" */
  trendNone?: string;
  /** at most this many ERROR lines */
  maxErrors: number;
  /** file listing every failure, for the `… and N more` line */
  failuresFile: string;
  /** commands to rerun this selection and the whole suite (absent when identical) */
  rerunSame?: string;
  rerunFull: string;
  /** e.g. where the results were recorded */
  footer?: string[];
}

export function formatReport(r: ReportInput): string[] {
  const newly = new Set(r.trend?.cmp.regressions.map((x) => x.id) ?? []);
  const failures = rankFailures(r.outcomes, newly);
  const lines = [countsLine(r.outcomes, r.wallMs), trendLine(r.trend, r.trendNone)];
  for (const o of failures.slice(0, r.maxErrors)) lines.push(errorLine(o));
  if (failures.length > r.maxErrors) {
    lines.push(`… and ${failures.length - r.maxErrors} more (see ${r.failuresFile})`);
  }
  if (r.rerunSame) lines.push(`rerun this selection: ${r.rerunSame}`);
  lines.push(`run the full suite: ${r.rerunFull}`);
  for (const f of r.footer ?? []) lines.push(f);
  return lines;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}

export function progressLine(done: number, total: number, failing: number, elapsedMs: number): string {
  return `… ${done}/${total} done, ${failing} not passing, ${formatDuration(elapsedMs)} elapsed`;
}

export interface RerunArgs {
  prog: string;
  fastPct?: number;
  seed?: string;
  filter?: string;
  failed?: boolean;
  /** options that define the suite (config, tool...), repeated in both commands */
  suiteArgs: string[];
  /** `NAME=value` words the command needs in front (variables the suite's command reads) */
  env?: string[];
}

export function rerunCommand(a: RerunArgs, shq: (s: string) => string): string {
  const parts = [...(a.env ?? []), a.prog, 'run', ...a.suiteArgs];
  if (a.fastPct !== undefined && a.fastPct < 100) parts.push(`--fast=${formatPct(a.fastPct).slice(0, -1)}`, `--seed=${shq(a.seed ?? '')}`);
  if (a.filter) parts.push(`--filter=${shq(a.filter)}`);
  if (a.failed) parts.push('--failed');
  return parts.join(' ');
}
