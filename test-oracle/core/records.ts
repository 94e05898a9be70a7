// What a run leaves in git: one JSON line per run inside the commit's note under
// refs/notes/test-oracle. One line per run is what makes notes mergeable without loss:
// `git notes merge -s cat_sort_uniq` keeps every line from both sides. `at` is written
// first so the sorted lines also read in time order.
import { RESULTS, isResult, type Result, type TestOutcome } from './types.js';
import type { RunMode } from './select.js';

export const NOTES_REF = 'refs/notes/test-oracle';

/** One test in a record: [id, result, ms] or [id, result, ms, reason]. */
export type RecordedTest = [string, Result, number] | [string, Result, number, string];

export interface RunRecord {
  at: string;
  v: 1;
  commit: string;
  agent?: string;
  host?: string;
  seed: string;
  /** 100 for an unsampled run */
  pct: number;
  mode: RunMode;
  filter?: string;
  tool?: string;
  total: number;
  selected: number;
  counts: Record<Result, number>;
  tests: RecordedTest[];
}

/**
 * Runs under different tools (compilers) are different experiments: a test may pass under
 * one and fail under the other. Comparisons, history and the gate only ever look at runs
 * of one kind; a run with no tool is a kind of its own ('').
 */
export function toolOf(r: { tool?: string }): string {
  return r.tool ?? '';
}

/** How a kind is named to people. */
export function toolLabel(tool: string): string {
  return tool === '' ? 'no tool' : `tool ${tool}`;
}

export function countResults(outcomes: readonly { result: Result }[]): Record<Result, number> {
  const c = Object.fromEntries(RESULTS.map((r) => [r, 0])) as Record<Result, number>;
  for (const o of outcomes) c[o.result]++;
  return c;
}

export function toRecordedTests(outcomes: readonly TestOutcome[]): RecordedTest[] {
  return outcomes.map((o) =>
    o.result === 'pass' ? [o.id, o.result, Math.round(o.ms)] : [o.id, o.result, Math.round(o.ms), o.reason.slice(0, 200)],
  );
}

export function serializeRecord(r: RunRecord): string {
  const { at, v, ...rest } = r;
  return JSON.stringify({ at, v, ...rest });
}

/** Every well-formed run line in a note, oldest first; anything else is ignored. */
export function parseNote(text: string): RunRecord[] {
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const r = JSON.parse(t) as RunRecord;
      if (r && r.v === 1 && typeof r.at === 'string' && Array.isArray(r.tests)) {
        r.tests = r.tests.filter((x) => Array.isArray(x) && typeof x[0] === 'string' && isResult(x[1]));
        out.push(r);
      }
    } catch {
      // A line another tool or a newer version wrote; not ours to judge.
    }
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

export interface RecordedOutcome {
  result: Result;
  ms: number;
  reason: string;
  /** when the run that produced it started */
  at: string;
}

/** The newest result of every test any of these runs selected. */
export function latestPerTest(records: readonly RunRecord[]): Map<string, RecordedOutcome> {
  const m = new Map<string, RecordedOutcome>();
  const sorted = [...records].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const r of sorted) {
    for (const [id, result, ms, reason] of r.tests) m.set(id, { result, ms, reason: reason ?? '', at: r.at });
  }
  return m;
}

/** The latest recorded results found on a branch, as `readLatestResults` returns them. */
export interface LatestResults {
  /** the commit the results were recorded on */
  commit: string;
  /** how many first-parent steps back from where the search started (0 = that commit) */
  distance: number;
  runs: RunRecord[];
  tests: Map<string, RecordedOutcome>;
}

export interface Comparison {
  /** ids both sides have a result for */
  common: number;
  /** ids that do not pass now and have no result on the other side */
  uncompared: number;
  basePass: number;
  nowPass: number;
  /** passed at the baseline, do not pass now */
  regressions: { id: string; now: { result: Result; reason: string } }[];
  /** did not pass at the baseline, pass now */
  fixed: string[];
}

type Outcomeish = { result: Result; reason: string };

export function compareResults(
  base: ReadonlyMap<string, Outcomeish>,
  now: ReadonlyMap<string, Outcomeish> | readonly (Outcomeish & { id: string })[],
): Comparison {
  const entries: [string, Outcomeish][] = Array.isArray(now)
    ? (now as (Outcomeish & { id: string })[]).map((o) => [o.id, o])
    : [...(now as ReadonlyMap<string, Outcomeish>)];
  const c: Comparison = { common: 0, uncompared: 0, basePass: 0, nowPass: 0, regressions: [], fixed: [] };
  for (const [id, o] of entries) {
    const b = base.get(id);
    if (!b) {
      if (o.result !== 'pass') c.uncompared++;
      continue;
    }
    c.common++;
    if (b.result === 'pass') c.basePass++;
    if (o.result === 'pass') c.nowPass++;
    if (b.result === 'pass' && o.result !== 'pass') c.regressions.push({ id, now: { result: o.result, reason: o.reason } });
    if (b.result !== 'pass' && o.result === 'pass') c.fixed.push(id);
  }
  c.regressions.sort((x, y) => (x.id < y.id ? -1 : 1));
  c.fixed.sort();
  return c;
}
