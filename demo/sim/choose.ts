// The sim's decisions, as pure functions of what it saw: which task to try first, and
// which finished task a regression breaks. Randomness comes in as a function so tests
// can fix it.
import { mulberry32, sampleHash32 } from '../../harness/kit/hash.js';

/**
 * Open, unclaimed tasks in the order this agent tries them: by hash(agent, task), so
 * agents that look at the same moment mostly start on different tasks, and an agent's
 * order is the same from one session to the next.
 */
export function rankTasks(open: readonly string[], claimed: ReadonlySet<string>, agent: string): string[] {
  return open
    .filter((t) => !claimed.has(t))
    .map((t) => ({ t, h: sampleHash32(agent, t) }))
    .sort((a, b) => a.h - b.h || (a.t < b.t ? -1 : 1))
    .map((x) => x.t);
}

/** A finished task (not `mine`) that has a known way to break, or null. */
export function pickRegressionTarget(done: readonly string[], breakable: ReadonlySet<string>, mine: string, random: () => number): string | null {
  const pool = done.filter((t) => t !== mine && breakable.has(t)).sort();
  if (pool.length === 0) return null;
  return pool[Math.floor(random() * pool.length)]!;
}

/** A seeded generator, so a seeded session repeats its choices. */
export function seededRandom(seed: string): () => number {
  return mulberry32(sampleHash32('sim', seed));
}
