// Drives the pure search: each round, pick up to `width` probes to run at once, run them,
// fold the answers in. With width 1 this is the plain sequential search. With width P the
// planner expands the search's decision tree breadth-first from the current state (each
// unknown probe has two hypothetical answers) and takes the first P distinct probes: for a
// binary search that is a (P+1)-ary search, and the cheap follow-ups (the "alone" check, the
// rest check) get run speculatively in the same round.
import { advance, nextQuery, type Outcome, type Query, type SearchState } from './search.js';

export interface Known {
  outcome: Outcome;
  id: number;
}

/** Advances through every probe whose real answer is already known. */
export function catchUp(s: SearchState, known: ReadonlyMap<string, Known>): SearchState {
  for (;;) {
    const q = nextQuery(s);
    const k = q && known.get(q.key);
    if (!q || !k) return s;
    s = advance(s, q, k.outcome, k.id);
  }
}

export function planRound(state: SearchState, width: number, known: ReadonlyMap<string, Known>): Query[] {
  const chosen = new Map<string, Query>();
  const queue: SearchState[] = [state];
  let expanded = 0;
  while (queue.length > 0 && chosen.size < width && expanded < width * 16) {
    const s = catchUp(queue.shift()!, known);
    const q = nextQuery(s);
    if (!q) continue;
    expanded++;
    if (!chosen.has(q.key)) chosen.set(q.key, q);
    if (width > 1) queue.push(advance(s, q, 'pass'), advance(s, q, 'fail'));
  }
  return [...chosen.values()];
}

export interface RoundReport {
  round: number;
  probes: { id: number; query: Query; outcome: Outcome }[];
  state: SearchState;
}

export interface DriveResult {
  state: SearchState;
  rounds: number;
  probes: number;
  known: Map<string, Known>;
}

/**
 * Runs the search to the end. `evaluate` gets the round's probes (with their ids) and
 * returns one outcome per probe; it may run them in parallel.
 */
export async function drive(
  start: SearchState,
  width: number,
  evaluate: (batch: { id: number; query: Query }[]) => Promise<Outcome[]> | Outcome[],
  onRound?: (r: RoundReport) => void,
): Promise<DriveResult> {
  const known = new Map<string, Known>();
  let state = start;
  let rounds = 0;
  let nextId = 1;
  for (;;) {
    state = catchUp(state, known);
    if (!nextQuery(state)) break;
    const batch = planRound(state, Math.max(1, width), known).map((query) => ({ id: nextId++, query }));
    const outcomes = await evaluate(batch);
    rounds++;
    batch.forEach((b, i) => known.set(b.query.key, { outcome: outcomes[i]!, id: b.id }));
    state = catchUp(state, known);
    onRound?.({ round: rounds, probes: batch.map((b, i) => ({ ...b, outcome: outcomes[i]! })), state });
  }
  return { state, rounds, probes: nextId - 1, known };
}
