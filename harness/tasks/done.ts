// `harness task done TASK -m MSG`: the work and the lock's removal land in one commit, as
// the protocol prefers. Unlike the other operations this one commits in the agent's own
// checkout and rebases it on a rejected push; a real conflict stops and is reported with
// the work kept in the local commit, never forced.
import { CheckFailedError, HeldError, UsageError } from '../kit/errors.js';
import { backoffMs, fetchUpstream, pushTo, trackingRef } from '../git/sync.js';
import { decideRelease, holderText, taskCommitMessage, type Claim } from './claims.js';
import { lockPath, validateTaskName } from '../kit/task-name.js';
import { type TaskCtx } from './ops.js';
import { readClaim } from './read.js';

export interface DoneWorkResult {
  commit: string;
  attempts: number;
  previous: Claim | null;
  rebased: boolean;
}

export async function doneWithWork(
  ctx: TaskCtx,
  rawTask: string,
  opts: { message: string; all?: boolean; force?: boolean },
): Promise<DoneWorkResult> {
  const task = validateTaskName(rawTask);
  const { git, upstream: u } = ctx;
  const path = lockPath(task);

  const base = await fetchUpstream(git, u);
  const decision = decideRelease(await readClaim(git, base, task), ctx.me, !!opts.force);
  if (decision.kind === 'held') {
    throw new HeldError('TASK_HELD', `task "${task}" is held by ${holderText(decision.claim)}; pass --force to finish it anyway`);
  }

  if (opts.all) await git.must(['add', '--all']);
  await git.must(['rm', '--cached', '--quiet', '--ignore-unmatch', '--', path]);
  await git.run(['clean', '--quiet', '--force', '--', path]);
  const staged = await git.run(['diff', '--cached', '--quiet']);
  if (staged.code === 0 && decision.kind === 'absent') {
    throw new UsageError('NOTHING_TO_COMMIT', `nothing is staged and "${task}" is not claimed upstream; stage your work with git add (or pass --all)`);
  }
  const msg = taskCommitMessage({ subject: opts.message, tasks: [task], status: 'done', who: ctx.me });
  await commitLocal(ctx, ['commit', '--quiet', '--allow-empty', '--no-verify', '-F', '-'], msg);

  let rebased = false;
  const start = ctx.retry.now();
  for (let attempt = 1, began = ctx.retry.now(); ; attempt++) {
    const pushed = await pushTo(git, u, 'HEAD');
    if (pushed.kind === 'ok') {
      if (pushed.landedAs) await takeReplayed(ctx, pushed.landedAs);
      return { commit: pushed.landedAs ?? (await git.must(['rev-parse', 'HEAD'])), attempts: attempt, previous: decision.kind === 'ok' ? decision.claim : null, rebased: rebased || !!pushed.landedAs };
    }
    if (pushed.kind === 'declined') throw new CheckFailedError('PUSH_DECLINED', `upstream refused the push: ${pushed.reason}; your commit is kept locally`);
    if (ctx.retry.now() - start > ctx.retry.deadlineMs) {
      throw new HeldError('CONTENDED', `upstream ${u.branch} kept moving: gave up after ${attempt} attempts; your commit is kept locally, run the command again to retry`);
    }
    // Wait before fetching, never between the rebase and the push: a rebased commit goes out
    // at once, while its base is still main. Sleeping after the rebase made every retry push
    // onto a main seconds old, and a done lost to busier agents for minutes (the demo's
    // slowest task waited 194 s here).
    await ctx.retry.sleep(backoffMs(attempt, ctx.retry.random, ctx.retry.now() - began));
    began = ctx.retry.now();
    const tip = await fetchUpstream(git, u);
    await stillMine(ctx, tip, task, !!opts.force); // before rebasing: another owner's lock would conflict with our removal
    await rebaseOnto(ctx, trackingRef(u));
    rebased = true;
    // The claim may have reached upstream after this checkout last synced: remove it again,
    // but only while it is still ours (checked again on what the rebase brought in).
    if ((await git.run(['cat-file', '-e', `HEAD:${path}`])).code === 0) {
      await stillMine(ctx, 'HEAD', task, !!opts.force);
      await git.must(['rm', '--quiet', '--', path]);
      await commitLocal(ctx, ['commit', '--quiet', '--amend', '--no-edit', '--no-verify'], undefined);
    }
  }
}

/**
 * Whoever removes a lock checks, after every fetch and rebase, that it is still theirs: the
 * claim may have been force-released and taken by someone else meanwhile. Exit 3 naming the
 * holder; the local commit stays (it is HEAD), only not pushed.
 */
async function stillMine(ctx: TaskCtx, rev: string | null, task: string, force: boolean): Promise<void> {
  const d = decideRelease(await readClaim(ctx.git, rev, task), ctx.me, force);
  if (d.kind === 'held') {
    throw new HeldError('TASK_HELD', `task "${task}" is now held by ${holderText(d.claim)}; your commit is kept locally (not pushed): git log -1 shows it; pick another task or ask the holder`);
  }
}

/**
 * The upstream replayed the local commit onto a newer main: the checkout moves to what
 * landed, so the next commit does not carry this one again. `reset --keep` moves HEAD and
 * the files that differ, and refuses (leaving everything as it was) where a file that
 * differs has local changes; then the local commit stays, its change already on main.
 */
async function takeReplayed(ctx: TaskCtx, landed: string): Promise<void> {
  await fetchUpstream(ctx.git, ctx.upstream).catch(() => null);
  await ctx.git.run(['reset', '--quiet', '--keep', landed]);
}

async function rebaseOnto(ctx: TaskCtx, onto: string): Promise<void> {
  const r = await ctx.git.run(['rebase', '--autostash', '--quiet', onto]);
  if (r.code === 0) return;
  const conflicted = (await ctx.git.run(['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean);
  await ctx.git.run(['rebase', '--abort']);
  throw new CheckFailedError(
    'CONFLICT',
    `your commit conflicts with upstream in ${conflicted.join(', ') || 'some files'}; it is kept locally: run git pull --rebase, resolve, then push (the claim stays until it lands)`,
  );
}

async function commitLocal(ctx: TaskCtx, args: string[], message: string | undefined): Promise<void> {
  await ctx.git.mustAs(args, message === undefined ? {} : { input: message }, ctx.me.agent);
}
