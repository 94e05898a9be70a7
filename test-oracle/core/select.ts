// Which tests run, and in what order. Pure: the I/O shell discovers ids and loads the
// last results and timings, then asks these functions.
import { inSample } from './hash.js';

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
  mode: RunMode;
}

export function selectTests(ids: readonly string[], o: SelectOptions): Selection {
  const sampling = o.fastPct !== undefined && o.fastPct < 100;
  const selected: string[] = [];
  let skipped = 0;
  for (const id of ids) {
    if (o.skip?.(id)) {
      skipped++;
      continue;
    }
    if (o.filter && !o.filter.test(id)) continue;
    if (o.only && !o.only.has(id)) continue;
    if (sampling && !inSample(o.seed, id, o.fastPct!)) continue;
    selected.push(id);
  }
  const mode: RunMode = o.filter || o.only ? 'partial' : sampling ? 'sample' : 'full';
  return { selected, total: ids.length - skipped, skipped, mode };
}

export interface OrderHints {
  /** ids that did not pass last time: they run first, so a fix is confirmed soonest */
  failedBefore?: ReadonlySet<string>;
  /** last known duration per id: slowest first keeps -j busy to the end */
  timings?: ReadonlyMap<string, number>;
}

export function orderTests(ids: readonly string[], h: OrderHints = {}): string[] {
  const failed = h.failedBefore ?? new Set<string>();
  const t = h.timings ?? new Map<string, number>();
  // Unknown tests may be slow; starting them early is the safe guess for the makespan.
  const cost = (id: string) => t.get(id) ?? Number.POSITIVE_INFINITY;
  return [...ids].sort((a, b) => {
    const fa = failed.has(a) ? 0 : 1;
    const fb = failed.has(b) ? 0 : 1;
    if (fa !== fb) return fa - fb;
    const ca = cost(a);
    const cb = cost(b);
    if (ca !== cb) return ca > cb ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
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
