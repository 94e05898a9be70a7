// Small helpers shared by the benchmarks (the leading _ keeps this file off the bench list).

export function median(xs: number[]): number {
  return percentile(xs, 50);
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

/** `--flag 1,4,16` from an argument list, or the default. */
export function parseList(args: string[], flag: string, dflt: number[]): number[] {
  const i = args.indexOf(flag);
  if (i < 0 || !args[i + 1]) return dflt;
  const xs = args[i + 1]!.split(',').map(Number);
  if (xs.some((x) => !Number.isFinite(x) || x <= 0)) throw new Error(`${flag}: expected positive numbers like 1,4,16`);
  return xs;
}

export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padStart(w[i]!)).join('  ')).join('\n');
}
