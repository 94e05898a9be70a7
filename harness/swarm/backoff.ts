// Backoff between sessions of one agent slot. A broken agent command (bad key, missing
// binary, rate limit) fails in seconds; restarting it at once would spin and, for a paid
// API, burn money on every retry. Pure: the loop keeps the streak and asks for the delay.

export interface BackoffPolicy {
  /** the first delay after a fast failure */
  baseMs: number;
  /** no delay is ever longer than this */
  capMs: number;
  /** a failed session shorter than this counts as a fast failure */
  fastMs: number;
}

export interface SessionOutcome {
  /** exit code, or null when killed by a signal */
  code: number | null;
  durationMs: number;
}

/** A failure that ended quickly: what a broken command or a rate limit looks like. */
export function isFastFailure(o: SessionOutcome, p: BackoffPolicy): boolean {
  return o.code !== 0 && o.durationMs < p.fastMs;
}

/** The streak of consecutive fast failures after this outcome; anything else resets it. */
export function nextStreak(streak: number, o: SessionOutcome, p: BackoffPolicy): number {
  return isFastFailure(o, p) ? streak + 1 : 0;
}

/** How long to wait before the next session: 0, then base, 2x base, 4x base ... up to the cap. */
export function backoffDelay(streak: number, p: Pick<BackoffPolicy, 'baseMs' | 'capMs'>): number {
  if (streak <= 0) return 0;
  // 2 ** 40 is past any cap; the min keeps the arithmetic finite for absurd streaks.
  return Math.min(p.capMs, p.baseMs * 2 ** Math.min(streak - 1, 40));
}
