// Synthetic oracles (no compiler): a probe fails when it holds every unit of some culprit
// set. Used by the benchmark and the search-core tests.
import { mulberry32 } from '../../harness/kit/hash.js';
import { bitsOf, isSubset, type Bits } from './bits.js';
import type { Outcome } from './search.js';

/** Instances are reproducible from their seed. */
export const rng = (seed: number): (() => number) => mulberry32(seed);

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
