// The lock protocol's I/O shell: read upstream, ask the pure decisions in claims.ts, write
// one commit on top of upstream main and land it. Claim, release, done and reap never
// touch the agent's working tree or local commits; only `done` with work commits locally.
import { HeldError, UsageError } from '../errors.js';
import { type Git } from '../git/git.js';
import { commitTree, editTree, Snapshot, type FileEdit } from '../git/objects.js';
import { landOnUpstream, trackingRef, type RetryPolicy, type Upstream } from '../git/sync.js';
import {
  decideClaim,
  decideRelease,
  holderText,
  ageMs,
  staleClaims,
  taskCommitMessage,
  type Claim,
  type ClaimDecision,
  type ReleaseDecision,
  type TaskStatus,
} from './claims.js';
import { backlogPath } from './backlog.js';
import { claimGate, gateError } from './backlog-ops.js';
import { type Identity } from './identity.js';
import { formatLock } from './lockfile.js';
import { LOCK_DIR, lockPath, validateTaskName } from './name.js';
import { claimIn, readClaims } from './read.js';
import { formatAge } from '../duration.js';

export interface TaskCtx {
  git: Git;
  upstream: Upstream;
  me: Identity;
  now: () => Date;
  retry: RetryPolicy;
}

export interface OpResult {
  /** the commit that landed on upstream, if any */
  commit: string | null;
  attempts: number;
}

export type ClaimResult = OpResult & { outcome: 'claimed' | 'already-mine' };

export async function claimTask(ctx: TaskCtx, rawTask: string, note = ''): Promise<ClaimResult> {
  const task = validateTaskName(rawTask);
  const landed = await landOnUpstream<ClaimDecision>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    const snap = await Snapshot.load(ctx.git, base, { files: [lockPath(task), backlogPath(task)] });
    const decision = decideClaim(await claimIn(ctx.git, snap, task), ctx.me);
    if (decision.kind !== 'free') return { stop: decision };
    const gate = await claimGate(ctx.git, snap, task);
    if (gate.kind !== 'ok') throw gateError(task, gate);
    const content = formatLock({ task, agent: ctx.me.agent, session: ctx.me.session, claimed: ctx.now(), host: ctx.me.host }, note);
    const msg = taskCommitMessage({ subject: `Claim ${task}`, tasks: [task], status: 'claimed', who: ctx.me, body: note });
    return { commit: await commitOn(ctx, snap, [{ path: lockPath(task), content }], msg), value: decision };
  });
  const d = landed.value;
  if (d.kind === 'held') throw heldError(ctx, task, d.claim);
  if (landed.commit) await fastForwardLocal(ctx);
  return { outcome: d.kind === 'mine' ? 'already-mine' : 'claimed', commit: landed.commit, attempts: landed.attempts };
}

export type ReleaseResult = OpResult & { outcome: 'released' | 'not-claimed'; previous: Claim | null };

/** Deletes the lock on upstream as `done` (work landed elsewhere) or `abandoned`. */
export async function releaseTask(
  ctx: TaskCtx,
  rawTask: string,
  opts: { status: Extract<TaskStatus, 'done' | 'abandoned'>; force?: boolean; body?: string },
): Promise<ReleaseResult> {
  const task = validateTaskName(rawTask);
  const landed = await landOnUpstream<ReleaseDecision>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    const snap = await Snapshot.load(ctx.git, base, { files: [lockPath(task)] });
    const decision = decideRelease(await claimIn(ctx.git, snap, task), ctx.me, !!opts.force);
    if (decision.kind !== 'ok') return { stop: decision };
    const subject = `${opts.status === 'done' ? 'Done' : 'Release'} ${task}`;
    const msg = taskCommitMessage({ subject, tasks: [task], status: opts.status, who: ctx.me, body: opts.body });
    return { commit: await commitOn(ctx, snap, [{ path: lockPath(task), content: null }], msg), value: decision };
  });
  const d = landed.value;
  if (d.kind === 'held') throw heldError(ctx, task, d.claim, `; pass --force to ${opts.status === 'done' ? 'finish' : 'release'} it anyway`);
  if (landed.commit) await fastForwardLocal(ctx);
  return {
    outcome: d.kind === 'absent' ? 'not-claimed' : 'released',
    previous: d.kind === 'ok' ? d.claim : null,
    commit: landed.commit,
    attempts: landed.attempts,
  };
}

export type ReapResult = OpResult & { reaped: Claim[] };

/** Removes, in one commit, every claim older than the TTL whose owner is not live. */
export async function reapTasks(
  ctx: TaskCtx,
  opts: { ttlMs: number; isLive: (c: Claim) => boolean; dryRun?: boolean },
): Promise<ReapResult> {
  return reapWhere(ctx, (claims) => staleClaims(claims, ctx.now(), opts.ttlMs, opts.isLive), opts);
}

/**
 * Removes, in one commit, the claims `pick` chooses from upstream main's. The supervisor
 * uses it to reap a dead run's claims by owner, whatever their age.
 */
export async function reapWhere(ctx: TaskCtx, pick: (claims: Claim[]) => Claim[], opts: { dryRun?: boolean } = {}): Promise<ReapResult> {
  const landed = await landOnUpstream<Claim[]>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    const stale = pick(await readClaims(ctx.git, base));
    if (stale.length === 0 || opts.dryRun) return { stop: stale };
    const body = stale.map((c) => `- ${c.task}: held by ${holderText(c)} for ${formatAge(ageMs(c, ctx.now()) ?? 0)}`).join('\n');
    const msg = taskCommitMessage({
      subject: `Reap ${stale.length} stale claim${stale.length > 1 ? 's' : ''}: ${stale.map((c) => c.task).join(', ')}`.slice(0, 200),
      tasks: stale.map((c) => c.task),
      status: 'reaped',
      who: ctx.me,
      body,
    });
    const edits = stale.map((c) => ({ path: c.path, content: null }));
    const snap = await Snapshot.load(ctx.git, base, { dirs: [LOCK_DIR] });
    return { commit: await commitOn(ctx, snap, edits, msg), value: stale };
  });
  if (landed.commit) await fastForwardLocal(ctx);
  return { reaped: landed.value, commit: landed.commit, attempts: landed.attempts };
}

export async function commitOn(ctx: TaskCtx, snap: Snapshot, edits: FileEdit[], message: string): Promise<string> {
  const tree = await editTree(ctx.git, snap, edits);
  return commitTree(ctx.git, tree, snap.commit ? [snap.commit] : [], message, ctx.me.agent);
}

function heldError(ctx: TaskCtx, task: string, c: Claim, extra = ''): HeldError {
  const age = ageMs(c, ctx.now());
  const since = age === null ? '' : `, claimed ${formatAge(age)} ago`;
  return new HeldError('TASK_HELD', `task "${task}" is held by ${holderText(c)}${since}${extra || '; pick another task (harness task list)'}`);
}

/**
 * Brings a claim into the local checkout when that is a plain fast-forward of `main`.
 * A diverged or dirty-conflicting checkout is left alone: its owner rebases when ready.
 */
async function fastForwardLocal(ctx: TaskCtx): Promise<boolean> {
  const head = await ctx.git.run(['symbolic-ref', '--quiet', 'HEAD']);
  if (head.code !== 0 || head.stdout.trim() !== `refs/heads/${ctx.upstream.branch}`) return false;
  const r = await ctx.git.run(['merge', '--ff-only', '--quiet', trackingRef(ctx.upstream)]);
  return r.code === 0;
}

export function requireTask(raw: string | undefined): string {
  if (raw === undefined) throw new UsageError('NO_TASK', 'say which task, e.g. harness task claim fix-parser-crash');
  return validateTaskName(raw);
}
