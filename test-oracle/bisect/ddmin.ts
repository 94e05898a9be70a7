// Classic ddmin (Zeller & Hildebrandt 2002) as a plain function, for the benchmark's
// side-by-side comparison. `fails(set)` answers one probe; results are memoized like in
// the usual implementations, so a repeated configuration costs nothing.

export function ddmin(units: readonly number[], fails: (set: readonly number[]) => boolean): number[] {
  let c = [...units];
  let n = 2;
  while (c.length >= 2) {
    const chunks = split(c, n);
    let reduced = false;
    for (const d of chunks) {
      if (fails(d)) {
        c = d;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (let i = 0; i < chunks.length; i++) {
        const comp = chunks.filter((_, j) => j !== i).flat();
        if (fails(comp)) {
          c = comp;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= c.length) break;
      n = Math.min(c.length, 2 * n);
    }
  }
  return c;
}

function split<T>(c: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((c.length - start) / (n - i));
    out.push(c.slice(start, end));
    start = end;
  }
  return out;
}

/**
 * Every culprit with ddmin: find one 1-minimal failing set, put it back on the reference,
 * probe the rest, repeat until the rest passes. Returns the sets and the number of distinct
 * probes, the two baselines (nothing, everything) not counted.
 */
export function ddminAll(n: number, failsSet: (set: readonly number[]) => boolean): { sets: number[][]; probes: number } {
  const seen = new Map<string, boolean>();
  const all = Array.from({ length: n }, (_, i) => i);
  const fails = (set: readonly number[]): boolean => {
    const key = [...set].sort((a, b) => a - b).join(',');
    let r = seen.get(key);
    if (r === undefined) {
      r = failsSet(set);
      seen.set(key, r);
    }
    return r;
  };
  fails([]);
  let rest = all;
  const sets: number[][] = [];
  while (rest.length > 0 && fails(rest)) {
    const s = ddmin(rest, fails);
    sets.push(s);
    const drop = new Set(s);
    rest = rest.filter((u) => !drop.has(u));
  }
  const baselines = 1 + (seen.has(all.join(',')) ? 1 : 0);
  return { sets, probes: seen.size - baselines };
}
