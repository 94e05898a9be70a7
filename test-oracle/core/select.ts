// Which tests run, and in what order. Pure: the I/O shell discovers ids and loads the
// last results and timings, then asks these functions.
import { inSample } from '../../harness/kit/hash.js';

export interface SelectOptions {
  /** percentage in (0, 100]; absent = no sampling */
  fastPct?: number;
  seed: string;
  filter?: RegExp;
  /** only these ids (e.g. what failed last time) */
  only?: ReadonlySet<string>;
  /** ids excluded by the suite's skip lists */
  skip?: (id: string) => boolean;
}

export type RunMode = 'full' | 'sample' | 'partial';

export interface Selection {
  selected: string[];
  /** tests in the suite, skipped ones excluded */
  total: number;
  skipped: number;
  /** skipped tests this selection would otherwise have run: reports list them as skipped */
  skippedHere: string[];
  mode: RunMode;
}

export function selectTests(ids: readonly string[], o: SelectOptions): Selection {
  const sampling = o.fastPct !== undefined && o.fastPct < 100;
  const selected: string[] = [];
  const skippedHere: string[] = [];
  let skipped = 0;
  for (const id of ids) {
    const skip = o.skip?.(id) ?? false;
    if (skip) skipped++;
    if (o.filter && !o.filter.test(id)) continue;
    if (o.only && !o.only.has(id)) continue;
    if (sampling && !inSample(o.seed, id, o.fastPct!)) continue;
    (skip ? skippedHere : selected).push(id);
  }
  const mode: RunMode = o.filter || o.only ? 'partial' : sampling ? 'sample' : 'full';
  return { selected, total: ids.length - skipped, skipped, skippedHere, mode };
}

export interface OrderHints {
  /** ids that did not pass last time: they run first, so a fix is confirmed soonest */
  failedBefore?: ReadonlySet<string>;
  /** last known duration per id: slowest first keeps -j busy to the end */
  timings?: ReadonlyMap<string, number>;
}

export function orderTests(ids: readonly string[], h: OrderHints = {}): string[] {
  const failed = h.failedBefore;
  const t = h.timings;
  // Keys computed once, not in the comparator: 100k ids sort in tens of milliseconds.
  const n = ids.length;
  const first = new Uint8Array(n);
  const cost = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    first[i] = failed?.has(id) ? 1 : 0;
    // Unknown tests may be slow; starting them early is the safe guess for the makespan.
    cost[i] = t?.get(id) ?? Number.POSITIVE_INFINITY;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    if (first[a] !== first[b]) return first[b]! - first[a]!;
    const ca = cost[a]!;
    const cb = cost[b]!;
    if (ca !== cb) return ca > cb ? -1 : 1;
    return a - b;
  });
  // Ties keep input order: callers pass ids sorted, so ties end up sorted by id.
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = ids[order[i]!]!;
  return out;
}

export interface SelectionLabel {
  fastPct?: number;
  seed: string;
  filter?: string;
  failedOnly?: boolean;
  tool?: string;
}

/** The first line of every run: what ran, out of what, and why that subset. */
export function describeSelection(sel: Selection, l: SelectionLabel): string {
  const why: string[] = [];
  if (l.fastPct !== undefined && l.fastPct < 100) why.push(`${formatPct(l.fastPct)}, seed=${l.seed}`);
  if (l.failedOnly) why.push('failed last time');
  if (l.filter) why.push(`filter=${l.filter}`);
  if (why.length === 0) why.push('full suite');
  if (sel.skipped) why.push(`${sel.skipped} skipped${l.tool ? ` for ${l.tool}` : ''}`);
  return `ran ${sel.selected.length}/${sel.total} (${why.join(', ')})`;
}

export function formatPct(p: number): string {
  return `${Number.isInteger(p) ? p : Number(p.toPrecision(3))}%`;
}
