// The lock protocol's I/O shell: read upstream, ask the pure decisions in claims.ts, write
// one commit on top of upstream main and land it. Claim, release, done and reap never
// touch the agent's working tree or local commits; only `done` with work commits locally.
import { HeldError, UsageError } from '../kit/errors.js';
import { type Git } from '../kit/git.js';
import { commitTree } from '../git/commit.js';
import { editTree, repoFacts, Snapshot, type FileEdit } from '../git/objects.js';
import { landInPlace, landOnce, landOnUpstream, trackingRef, type Attempt, type BuildResult, type RetryPolicy, type Upstream } from '../git/sync.js';
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
import { earlierAttempts, type Attempt as TaskAttempt } from './history.js';
import { formatLock } from './lockfile.js';
import { planRemovals, type Removal } from './removals.js';
import { LOCK_DIR, lockPath, validateTaskName } from '../kit/task-name.js';
import { claimIn, readClaims } from './read.js';
import { formatAge } from '../kit/duration.js';

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

type Earlier = (TaskAttempt & { wip: string | null })[];

export type ClaimResult = OpResult & { outcome: 'claimed' | 'already-mine'; earlier: Earlier };

function storyOf(ctx: TaskCtx, rev: string, task: string): Promise<Earlier> {
  return earlierAttempts(ctx.git, rev, task, ctx.upstream.remote).catch(() => []);
}

export async function claimTask(ctx: TaskCtx, rawTask: string, note = ''): Promise<ClaimResult> {
  const task = validateTaskName(rawTask);
  warmRepoFacts(ctx);
  // The next agent starts from the earlier attempts: who, why they stopped, where their work
  // is. Only ended attempts count, so the claim's base tells the same story as the claim:
  // the first attempt reads it while its push runs, and a later landing reads it afresh.
  let bases = 0;
  let firstStory: Promise<Earlier> = Promise.resolve([]);
  const landed = await landOnUpstream<ClaimDecision>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    bases++;
    const snap = await Snapshot.load(ctx.git, base, { files: [lockPath(task), backlogPath(task)] });
    const decision = decideClaim(await claimIn(ctx.git, snap, task), ctx.me);
    if (decision.kind !== 'free') return { stop: decision };
    const gate = await claimGate(ctx.git, snap, task);
    if (gate.kind !== 'ok') throw gateError(task, gate);
    const content = formatLock({ task, agent: ctx.me.agent, session: ctx.me.session, run: ctx.me.run ?? null, claimed: ctx.now(), host: ctx.me.host }, note);
    const msg = taskCommitMessage({ subject: `Claim ${task}`, tasks: [task], status: 'claimed', who: ctx.me, body: note });
    const commit = await commitOn(ctx, snap, [{ path: lockPath(task), content }], msg);
    if (bases === 1 && base) firstStory = storyOf(ctx, base, task);
    return { commit, value: decision };
  }, { fromLastFetch: true });
  const d = landed.value;
  if (d.kind === 'held') throw heldError(ctx, task, d.claim);
  const [, earlier] = landed.commit
    ? await Promise.all([fastForwardLocal(ctx), bases === 1 ? firstStory : storyOf(ctx, landed.commit, task)])
    : [false, []];
  return { outcome: d.kind === 'mine' ? 'already-mine' : 'claimed', commit: landed.commit, attempts: landed.attempts, earlier };
}

export type ReleaseResult = OpResult & { outcome: 'released' | 'not-claimed'; previous: Claim | null };

/** Deletes the lock on upstream as `done` (work landed elsewhere) or `abandoned`. */
export async function releaseTask(
  ctx: TaskCtx,
  rawTask: string,
  opts: { status: Extract<TaskStatus, 'done' | 'abandoned'>; force?: boolean; body?: string },
): Promise<ReleaseResult> {
  const task = validateTaskName(rawTask);
  warmRepoFacts(ctx);
  const landed = await landOnUpstream<ReleaseDecision>(ctx.git, ctx.upstream, ctx.retry, async (base) => {
    const snap = await Snapshot.load(ctx.git, base, { files: [lockPath(task)] });
    const decision = decideRelease(await claimIn(ctx.git, snap, task), ctx.me, !!opts.force);
    if (decision.kind !== 'ok') return { stop: decision };
    const subject = `${opts.status === 'done' ? 'Done' : 'Release'} ${task}`;
    const msg = taskCommitMessage({ subject, tasks: [task], status: opts.status, who: ctx.me, body: opts.body });
    return { commit: await commitOn(ctx, snap, [{ path: lockPath(task), content: null }], msg), value: decision };
  }, { fromLastFetch: true });
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

/**
 * One attempt at landing every pending removal in one push: a commit per status (usually
 * one), chained, on top of upstream main. Resolves `stale` when main moved first; the
 * caller retries. `inPlace`: ctx.git is the bare upstream itself (landInPlace). The value maps each removal to the tasks it removed (empty: nothing of
 * it was left on main, so it is finished too).
 */
export async function removeOnce(ctx: Pick<TaskCtx, 'git' | 'upstream' | 'me'>, removals: Removal[], inPlace = false): Promise<Attempt<Map<string, string[]>>> {
  type Tasks = Map<string, string[]>;
  const land = (build: (base: string | null) => Promise<BuildResult<Tasks>>) => (inPlace ? landInPlace(ctx.git, ctx.upstream.branch, build) : landOnce(ctx.git, ctx.upstream, build));
  return land(async (base) => {
    const plan = planRemovals(removals, await readClaims(ctx.git, base));
    if (plan.groups.length === 0) return { stop: plan.tasksOf };
    const snap = await Snapshot.load(ctx.git, base, { dirs: [LOCK_DIR] });
    let parent = snap.commit;
    const edits: FileEdit[] = [];
    for (const g of plan.groups) {
      const tasks = g.claims.map((c) => c.task);
      const verb = g.status === 'reaped' ? 'Reap' : 'Release';
      const body = [...new Set(g.reasons)].join('\n') + '\n\n' + g.claims.map((c) => `- ${c.task}: held by ${holderText(c)}`).join('\n');
      const msg = taskCommitMessage({ subject: `${verb} ${tasks.length} claim${tasks.length > 1 ? 's' : ''}: ${tasks.join(', ')}`.slice(0, 200), tasks, status: g.status, who: ctx.me, body });
      edits.push(...g.claims.map((c) => ({ path: c.path, content: null }))); // each commit's tree: the snapshot less every removal so far
      parent = await commitTree(ctx.git, await editTree(ctx.git, snap, edits), parent ? [parent] : [], msg, ctx.me.agent);
    }
    return { commit: parent!, value: plan.tasksOf };
  });
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
 * Asks git where the objects go and which branch is checked out while the fetch runs:
 * the commit needs the one, the fast-forward after the push the other. A failure here is
 * left to whoever awaits the answer (the fetch fails first in a folder that is no clone).
 */
function warmRepoFacts(ctx: TaskCtx): void {
  repoFacts(ctx.git).catch(() => {});
}

/**
 * Brings a claim into the local checkout when that is a plain fast-forward of `main`.
 * A diverged or dirty-conflicting checkout is left alone: its owner rebases when ready.
 */
async function fastForwardLocal(ctx: TaskCtx): Promise<boolean> {
  if ((await repoFacts(ctx.git)).headRef !== `refs/heads/${ctx.upstream.branch}`) return false;
  // No auto-maintenance on an agent's every claim: its own commits run it (git commit does).
  const r = await ctx.git.run(['-c', 'maintenance.auto=false', 'merge', '--ff-only', '--quiet', trackingRef(ctx.upstream)]);
  return r.code === 0;
}

export function requireTask(raw: string | undefined): string {
  if (raw === undefined) throw new UsageError('NO_TASK', 'say which task, e.g. harness task claim fix-parser-crash');
  return validateTaskName(raw);
}
