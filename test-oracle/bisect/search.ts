// The bisection search as a pure state machine: `nextQuery(state)` says which set of units
// to compile with the candidate next, `advance(state, query, outcome)` folds the answer in.
// No I/O: the benchmark drives it with synthetic oracles, the CLI with real builds, and the
// scheduler forks states to plan parallel rounds (states are never mutated).
//
// Method (adaptive group testing with prefix splits). Units stay in one search order R.
//  1. Baselines: nothing by the candidate must pass; everything must fail.
//  2. Binary-search the smallest prefix R[0..k) that fails with the fixed set F (at first
//     empty). Its last unit x belongs to a culprit set; add x to F.
//  3. Probe F alone. Fails: F is a culprit set. Passes: the rest of the set lies in
//     R[0..k-1); go to 2 with that shorter list (so pairs and triples fall out naturally).
//  4. Check the set minimal (dropping any member must pass), report it, put it back on the
//     reference, probe the rest; if the rest still fails, go to 2 reusing the known-passing
//     prefix.
// Every answer is checked against the log: a failing set inside a passing one is
// NONMONOTONE and stops the search rather than mis-bisecting. A probe whose repeats
// disagree is FLAKY; the search treats it as a failure (a failure was seen) and says so.
import { bitsKey, bitsMinus, bitsOf, hasBit, isSubset, type Bits } from './bits.js';

export type Outcome = 'pass' | 'fail' | 'flaky';
export type Purpose = 'baseline-reference' | 'baseline-candidate' | 'split' | 'alone' | 'minimal' | 'rest';

export interface Query {
  key: string;
  bits: Bits;
  purpose: Purpose;
}

export interface Answer {
  id: number;
  key: string;
  bits: Bits;
  outcome: Outcome;
  purpose: Purpose;
}

type Log = { head: Answer; tail: Log } | null;

export interface Finding {
  /** unit indices in the order found (the last-found first) */
  units: number[];
  /** the probe in which exactly these units were compiled by the candidate, and it failed */
  proof: number;
  /** for each member, the probe showing that dropping it passes (exact or a superset) */
  minimal: { dropped: number; probe: number }[];
  flaky: boolean;
}

export type Anomaly =
  | { kind: 'FLAKY'; probe: number; purpose: Purpose }
  | { kind: 'NONMONOTONE'; failProbe: number; passProbe: number; extra: number[] };

export type StopCode =
  | 'BASELINE_REFERENCE_FAILS'
  | 'BASELINE_REFERENCE_FLAKY'
  | 'BASELINE_CANDIDATE_PASSES'
  | 'NONMONOTONE';

export type Phase = 'base-ref' | 'base-cand' | 'split' | 'alone' | 'minimal' | 'rest' | 'done';

export interface SearchOptions {
  /**
   * 'probe' (default): each "set minus one member" is probed unless that exact set was.
   *   Catches a member that fails alone but passed inside a larger set (NONMONOTONE).
   * 'log': a passing probe that holds the set minus the member is the proof (monotone
   *   inference); saves about one probe per member of a multi-unit set.
   */
  minimality?: 'probe' | 'log';
}

export interface SearchState {
  readonly n: number;
  readonly universe: readonly number[];
  readonly opts: Required<SearchOptions>;
  readonly phase: Phase;
  readonly log: Log;
  readonly probes: number;
  /** R: units still compiled by the candidate in the search, in search order */
  readonly rest: readonly number[];
  /** F: members of the culprit set found so far, last-found first */
  readonly fixed: readonly number[];
  /** the prefix search runs over R[0..cLen); F ∪ R[0..lo) passes, F ∪ R[0..hi) fails */
  readonly cLen: number;
  readonly lo: number;
  readonly hi: number;
  readonly hiProof: number;
  readonly hiFlaky: boolean;
  /** hi of the first stage (F empty), to reuse the passing prefix after removal */
  readonly firstHi: number;
  readonly pendingMin: readonly number[];
  readonly minimal: readonly { dropped: number; probe: number }[];
  readonly findings: readonly Finding[];
  readonly anomalies: readonly Anomaly[];
  readonly stop: { code: StopCode; message: string } | null;
}

export function initSearch(n: number, universe?: readonly number[], opts: SearchOptions = {}): SearchState {
  const u = universe ?? Array.from({ length: n }, (_, i) => i);
  return {
    n,
    universe: u,
    opts: { minimality: opts.minimality ?? 'probe' },
    phase: 'base-ref',
    log: null,
    probes: 0,
    rest: u,
    fixed: [],
    cLen: u.length,
    lo: 0,
    hi: u.length,
    hiProof: -1,
    hiFlaky: false,
    firstHi: u.length,
    pendingMin: [],
    minimal: [],
    findings: [],
    anomalies: [],
    stop: null,
  };
}

function query(s: SearchState, units: Iterable<number>, purpose: Purpose): Query {
  const bits = bitsOf(s.n, units);
  return { key: bitsKey(bits), bits, purpose };
}

function prefixWithFixed(s: SearchState, len: number): number[] {
  return [...s.fixed, ...s.rest.slice(0, len)];
}

/** The next probe the search needs, or null when it is finished (see `stop`, `findings`). */
export function nextQuery(s: SearchState): Query | null {
  switch (s.phase) {
    case 'base-ref':
      return query(s, [], 'baseline-reference');
    case 'base-cand':
      return query(s, s.universe, 'baseline-candidate');
    case 'split':
      return query(s, prefixWithFixed(s, s.lo + ((s.hi - s.lo) >> 1)), 'split');
    case 'alone':
      return query(s, s.fixed, 'alone');
    case 'minimal':
      return query(s, s.fixed.filter((u) => u !== s.pendingMin[0]), 'minimal');
    case 'rest':
      return query(s, s.rest, 'rest');
    case 'done':
      return null;
  }
}

function findInLog(log: Log, pred: (a: Answer) => boolean): Answer | null {
  for (let l = log; l; l = l.tail) if (pred(l.head)) return l.head;
  return null;
}

/** Folds one answer into the state. `id` numbers the probe for reports (-1 if hypothetical). */
export function advance(s0: SearchState, q: Query, outcome: Outcome, id = -1): SearchState {
  const a: Answer = { id, key: q.key, bits: q.bits, outcome, purpose: q.purpose };
  let s: SearchState = { ...s0, log: { head: a, tail: s0.log }, probes: s0.probes + 1 };
  if (outcome === 'flaky') s = { ...s, anomalies: [...s.anomalies, { kind: 'FLAKY', probe: id, purpose: q.purpose }] };
  else {
    const clash = findInLog(s0.log, (b) =>
      outcome === 'fail' ? b.outcome === 'pass' && isSubset(q.bits, b.bits) : b.outcome === 'fail' && isSubset(b.bits, q.bits),
    );
    if (clash) {
      const [f, p] = outcome === 'fail' ? [a, clash] : [clash, a];
      const extra = bitsMinus(p.bits, f.bits);
      return stopWith(
        { ...s, anomalies: [...s.anomalies, { kind: 'NONMONOTONE', failProbe: f.id, passProbe: p.id, extra }] },
        'NONMONOTONE',
        `probe #${f.id} fails but probe #${p.id}, which has ${extra.length} more candidate unit(s), passes`,
      );
    }
  }
  const failed = outcome !== 'pass';
  switch (s.phase) {
    case 'base-ref':
      if (outcome === 'pass') return { ...s, phase: 'base-cand' };
      return stopWith(
        s,
        outcome === 'flaky' ? 'BASELINE_REFERENCE_FLAKY' : 'BASELINE_REFERENCE_FAILS',
        outcome === 'flaky'
          ? 'the all-reference build passes only sometimes: the test is flaky without the candidate'
          : 'the all-reference build fails: fix the link/test command or the reference first',
      );
    case 'base-cand':
      if (!failed)
        return stopWith(s, 'BASELINE_CANDIDATE_PASSES', 'the all-candidate build passes: nothing to bisect');
      return settle({ ...s, phase: 'split', lo: 0, hi: s.rest.length, cLen: s.rest.length, hiProof: id, hiFlaky: outcome === 'flaky' });
    case 'split': {
      const mid = s.lo + ((s.hi - s.lo) >> 1);
      return settle(failed ? { ...s, hi: mid, hiProof: id, hiFlaky: outcome === 'flaky' } : { ...s, lo: mid });
    }
    case 'alone':
      if (failed) return startMinimal({ ...s, hiProof: id, hiFlaky: outcome === 'flaky' });
      return settle({ ...s, phase: 'split', lo: 0, hi: s.cLen });
    case 'minimal': {
      const [dropped, ...pending] = s.pendingMin;
      if (outcome === 'fail')
        return stopWith(s, 'NONMONOTONE', `the found set still fails without unit ${dropped} (probe #${id})`);
      return settleMinimal({
        ...s,
        pendingMin: pending,
        minimal: [...s.minimal, { dropped: dropped!, probe: id }],
        hiFlaky: s.hiFlaky || outcome === 'flaky',
      });
    }
    case 'rest':
      if (!failed) return { ...s, phase: 'done' };
      // R[0..firstHi') is known to pass (see finishSet); search the rest of the list.
      return settle({ ...s, phase: 'split', fixed: [], cLen: s.rest.length, lo: s.lo, hi: s.rest.length, hiProof: id, hiFlaky: outcome === 'flaky' });
    case 'done':
      return s;
  }
}

function stopWith(s: SearchState, code: StopCode, message: string): SearchState {
  return { ...s, phase: 'done', stop: { code, message } };
}

/** Applies the transitions that need no probe. */
function settle(s: SearchState): SearchState {
  if (s.phase !== 'split' || s.hi - s.lo > 1) return s;
  // F ∪ R[0..hi-1) passes and F ∪ R[0..hi) fails: R[hi-1] is in the culprit set.
  const x = s.rest[s.hi - 1]!;
  const firstHi = s.fixed.length === 0 ? s.hi : s.firstHi;
  const t: SearchState = { ...s, fixed: [x, ...s.fixed], cLen: s.hi - 1, firstHi };
  // With nothing left before x, F ∪ {x} is exactly the failing probe that set hi.
  if (t.cLen === 0) return startMinimal(t);
  return { ...t, phase: 'alone' };
}

function startMinimal(s: SearchState): SearchState {
  return settleMinimal({ ...s, phase: 'minimal', pendingMin: s.fixed.length > 1 ? [...s.fixed] : [], minimal: [] });
}

/** Skips members whose removal is already proven; finishes the set when none is left. */
function settleMinimal(s: SearchState): SearchState {
  let t = s;
  while (t.pendingMin.length > 0) {
    const [m, ...pending] = t.pendingMin;
    const without = bitsOf(t.n, t.fixed.filter((u) => u !== m));
    const key = bitsKey(without);
    const proof =
      findInLog(t.log, (b) => b.outcome === 'pass' && b.key === key) ??
      (t.opts.minimality === 'log' ? findInLog(t.log, (b) => b.outcome === 'pass' && isSubset(without, b.bits)) : null);
    if (!proof) return t;
    t = { ...t, pendingMin: pending, minimal: [...t.minimal, { dropped: m!, probe: proof.id }] };
  }
  return finishSet(t);
}

function finishSet(s: SearchState): SearchState {
  const set = bitsOf(s.n, s.fixed);
  // A single unit: dropping it is the all-reference baseline.
  const base0 = findInLog(s.log, (b) => b.purpose === 'baseline-reference');
  const minimal = s.fixed.length === 1 ? [{ dropped: s.fixed[0]!, probe: base0?.id ?? -1 }] : s.minimal;
  // A set that always fails makes every superset fail: a flaky superset means it does not.
  const flaky = s.hiFlaky || findInLog(s.log, (b) => b.outcome === 'flaky' && isSubset(set, b.bits)) !== null;
  const finding: Finding = { units: [...s.fixed], proof: s.hiProof, minimal: [...minimal], flaky };
  const rest = s.rest.filter((u) => !hasBit(set, u));
  // R[0..firstHi) \ S ⊆ R[0..firstHi-1), which passed: the first firstHi-|S| units of the
  // new list pass together, so the next search starts above them.
  const lo = Math.max(0, s.firstHi - s.fixed.length);
  const base = { ...s, findings: [...s.findings, finding], rest, fixed: [], pendingMin: [], minimal: [], lo, hiFlaky: false };
  if (rest.length === 0 || lo >= rest.length) return { ...base, phase: 'done' };
  return { ...base, phase: 'rest' };
}

/** True when the search ended with every culprit found and the rest passing. */
export function isComplete(s: SearchState): boolean {
  return s.phase === 'done' && s.stop === null;
}

export function answers(s: SearchState): Answer[] {
  const out: Answer[] = [];
  for (let l = s.log; l; l = l.tail) out.push(l.head);
  return out.reverse();
}
