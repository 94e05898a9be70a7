// Lock removals the supervisor owes: a session's claims when it ends, a dead run's claims
// at takeover, stale claims past the TTL. Pure: which claims on main each removal still
// covers, and how they group into commits. A removal only ever takes the claim it names:
// a lock that has changed hands since (same task, new owner) is left alone.
import type { Claim, TaskStatus } from './claims.js';

export type RemovalTarget =
  /** every claim of one ended session */
  | { kind: 'session'; agent: string; session: string; run: string | null }
  /** every claim made under a run that is dead */
  | { kind: 'run'; run: string }
  /** exactly this claim (a stale one, seen with this owner) */
  | { kind: 'claim'; task: string; agent: string | null; session: string | null; run: string | null };

export interface Removal {
  id: string;
  status: Extract<TaskStatus, 'abandoned' | 'reaped'>;
  targets: RemovalTarget[];
  /** one line for the commit body: why these go */
  reason: string;
}

export function covers(t: RemovalTarget, c: Claim): boolean {
  switch (t.kind) {
    case 'session':
      // a claim without a Run: header (made by hand, or by an older harness) matches on agent and session
      return c.agent === t.agent && c.session === t.session && (c.run === null || t.run === null || c.run === t.run);
    case 'run':
      return c.run === t.run;
    case 'claim':
      return c.task === t.task && c.agent === t.agent && c.session === t.session && c.run === t.run;
  }
}

export interface RemovalPlan {
  /** the claims to delete, grouped by the status their commit records, each with the removals it serves */
  groups: { status: Removal['status']; claims: Claim[]; reasons: string[] }[];
  /** per removal, the tasks it removes in this plan (empty: nothing left to do, it is finished) */
  tasksOf: Map<string, string[]>;
}

/** Plans one batch over the claims on main now: every pending removal in as few commits as there are statuses. */
export function planRemovals(removals: Removal[], claims: Claim[]): RemovalPlan {
  const groups = new Map<Removal['status'], { status: Removal['status']; claims: Claim[]; reasons: string[] }>();
  const taken = new Set<string>();
  const tasksOf = new Map<string, string[]>();
  for (const r of removals) {
    const mine = claims.filter((c) => r.targets.some((t) => covers(t, c)));
    tasksOf.set(r.id, mine.map((c) => c.task));
    const fresh = mine.filter((c) => !taken.has(c.task));
    if (fresh.length === 0) continue;
    let g = groups.get(r.status);
    if (!g) groups.set(r.status, (g = { status: r.status, claims: [], reasons: [] }));
    for (const c of fresh) taken.add(c.task);
    g.claims.push(...fresh);
    g.reasons.push(r.reason);
  }
  return { groups: [...groups.values()], tasksOf };
}
