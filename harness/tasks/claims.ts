// Pure decisions over claims read from a tree: what a claim attempt means given what is on
// upstream main, who may release, which claims are stale. No I/O here.
import { describeIdentity, type Identity } from './identity.js';
import { parseLock } from './lockfile.js';
import { lockPath } from '../kit/task-name.js';

export interface Claim {
  task: string;
  path: string;
  readable: boolean;
  /** why an unreadable lock could not be read */
  problem?: string;
  agent: string | null;
  session: string | null;
  /** the supervisor run that made the claim (`Run:` header), or null */
  run: string | null;
  host: string | null;
  /** from the `Claimed:` header when present and valid */
  claimedAt: Date | null;
  /** when the commit that added the file was made; filled in only where needed */
  committedAt: Date | null;
  note: string;
}

export function claimFromFile(task: string, data: Uint8Array | string, committedAt: Date | null = null): Claim {
  const p = parseLock(data);
  const base = { task, path: lockPath(task), committedAt };
  if (!p.readable) {
    return { ...base, readable: false, problem: p.problem, agent: null, session: null, run: null, host: null, claimedAt: null, note: '' };
  }
  const h = p.headers;
  const claimed = h.Claimed ? new Date(h.Claimed) : null;
  return {
    ...base,
    readable: true,
    agent: h.Agent || null,
    session: h.Session || null,
    run: h.Run || null,
    host: h.Host || null,
    claimedAt: claimed && !Number.isNaN(claimed.getTime()) ? claimed : null,
    note: p.note,
  };
}

/** A claim whose age must come from git history: it says nothing of when it was made. */
export function needsCommitTime(c: Claim): boolean {
  return c.claimedAt === null;
}

export function claimTime(c: Claim): Date | null {
  return c.claimedAt ?? c.committedAt;
}

export function ageMs(c: Claim, now: Date): number | null {
  const t = claimTime(c);
  return t ? now.getTime() - t.getTime() : null;
}

export function ownerKnown(c: Claim): boolean {
  return c.readable && c.agent !== null;
}

export function holderText(c: Claim): string {
  if (!c.readable) return `an unreadable lock file (${c.problem})`;
  return describeIdentity(c);
}

export function isMine(c: Claim, me: Identity): boolean {
  return ownerKnown(c) && c.agent === me.agent && (c.session ?? null) === (me.session ?? null);
}

export type ClaimDecision = { kind: 'free' } | { kind: 'mine'; claim: Claim } | { kind: 'held'; claim: Claim };

/** What the lock file found on upstream main means for `me` trying to claim its task. */
export function decideClaim(existing: Claim | null, me: Identity): ClaimDecision {
  if (!existing) return { kind: 'free' };
  return isMine(existing, me) ? { kind: 'mine', claim: existing } : { kind: 'held', claim: existing };
}

export type ReleaseDecision = { kind: 'absent' } | { kind: 'ok'; claim: Claim } | { kind: 'held'; claim: Claim };

/**
 * Whether `me` owns a claim: the same agent, and the same session and run wherever both
 * sides name one. Another session of the same agent is someone else: a session left running
 * by a dead supervisor must not finish what a newer session claimed since.
 */
export function ownedBy(c: Claim, me: Identity): boolean {
  if (!ownerKnown(c) || c.agent !== me.agent) return false;
  if (c.session !== null && me.session && c.session !== me.session) return false;
  if (c.run !== null && me.run && c.run !== me.run) return false;
  return true;
}

/**
 * Who may finish or abandon a claim: its owner (ownedBy), or anyone with `force`. A claim
 * whose owner is unknown needs `force` too: nobody can tell it is yours.
 */
export function decideRelease(existing: Claim | null, me: Identity, force: boolean): ReleaseDecision {
  if (!existing) return { kind: 'absent' };
  if (force || ownedBy(existing, me)) return { kind: 'ok', claim: existing };
  return { kind: 'held', claim: existing };
}

/**
 * Claims to reap: older than the TTL and not held by a live session. A claim with no
 * known age is never reaped (we cannot tell it is old).
 */
export function staleClaims(claims: Claim[], now: Date, ttlMs: number, isLive: (c: Claim) => boolean): Claim[] {
  return claims.filter((c) => {
    const age = ageMs(c, now);
    return age !== null && age > ttlMs && !(ownerKnown(c) && isLive(c));
  });
}

/** A set of live owners as `agent` or `agent/session`; an agent entry covers all its sessions. */
export function liveMatcher(live: Iterable<string>): (c: Claim) => boolean {
  const set = new Set(live);
  return (c) => c.agent !== null && (set.has(c.agent) || (c.session !== null && set.has(`${c.agent}/${c.session}`)));
}

export type TaskStatus = 'claimed' | 'done' | 'abandoned' | 'reaped';
/** Statuses of commits that change the coordination files but no lock: a backlog entry added. */
export type OtherStatus = 'added';

/** A commit message whose trailers let the history answer who did what. */
export function taskCommitMessage(opts: {
  subject: string;
  tasks: string[];
  status: TaskStatus | OtherStatus;
  who: Identity;
  body?: string;
}): string {
  const trailers = [
    ...opts.tasks.map((t) => `Task: ${t}`),
    `Task-Status: ${opts.status}`,
    `Task-Agent: ${opts.who.agent}`,
    ...(opts.who.session ? [`Task-Session: ${opts.who.session}`] : []),
    ...(opts.who.run ? [`Task-Run: ${opts.who.run}`] : []),
  ];
  // The trailers are always the last paragraph, so nothing in the subject or body can add
  // one; every value in them is a validated task or identity name (no newline can get in).
  const subject = opts.subject.trim() || 'Task update';
  const body = opts.body?.trim();
  return [subject, '', ...(body ? [body, ''] : []), ...trailers, ''].join('\n');
}
