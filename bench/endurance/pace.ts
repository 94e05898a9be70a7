// How the session rate changed over the run: a full run slows as it goes (its project's
// tests get heavier, its history longer), and one average hides that. Pure.

import type { Window } from './checks.js';

/**
 * Sessions started per minute in each of `parts` equal slices of [start, end), counting only
 * the time outside `outages` (no session can start while the upstream is away, and those
 * minutes say nothing about the pace). A slice wholly inside an outage is null.
 */
export function paceByPart(starts: readonly number[], start: number, end: number, outages: readonly Window[], parts = 4): (number | null)[] {
  const span = (end - start) / parts;
  return Array.from({ length: parts }, (_, i) => {
    const from = start + i * span;
    const to = i === parts - 1 ? end : from + span;
    const away = outages.reduce((ms, o) => ms + Math.max(0, Math.min(to, o.to) - Math.max(from, o.from)), 0);
    const open = to - from - away;
    if (open <= 0) return null;
    const n = starts.filter((t) => t >= from && (t < to || (t === end && to === end))).length;
    return n / (open / 60_000);
  });
}
