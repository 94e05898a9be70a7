// Synthetic oracles (no compiler): a probe fails when it holds every unit of some culprit
// set. Used by the benchmark and the search-core tests.
import { bitsOf, isSubset, type Bits } from './bits.js';
import type { Outcome } from './search.js';

/** mulberry32: small seeded PRNG, so instances are reproducible from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct units out of n. */
export function pick(n: number, k: number, rand: () => number): number[] {
  const got = new Set<number>();
  while (got.size < k) got.add(Math.floor(rand() * n));
  return [...got];
}

export type Scenario = 'single' | 'two' | 'pair';

export function culpritSets(scenario: Scenario, n: number, rand: () => number): number[][] {
  const [a, b] = pick(n, scenario === 'single' ? 1 : 2, rand);
  if (scenario === 'single') return [[a!]];
  if (scenario === 'two') return [[a!], [b!]];
  return [[a!, b!]];
}

export function monotoneOracle(n: number, sets: number[][]): (bits: Bits) => Outcome {
  const masks = sets.map((s) => bitsOf(n, s));
  return (bits) => (masks.some((m) => isSubset(m, bits)) ? 'fail' : 'pass');
}
