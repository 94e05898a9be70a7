// Landing one commit on upstream main when many clones push at once. Git's atomic ref
// update is the only mutex: build the commit on the latest upstream main, push it, and
// on a rejected push fetch and build again. Backoff is jittered so racers spread out.
import { CheckFailedError, EnvError, HeldError, UsageError } from '../kit/errors.js';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync, appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Git, gitReason, type GitResult } from '../kit/git.js';
import { pushOverHttp } from './http-push.js';
import { ZERO_OID } from './receive-pack.js';

export interface Upstream {
  remote: string;
  branch: string;
}

export interface RetryPolicy {
  /** give up after this long, as one contended failure */
  deadlineMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const defaultRetry = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  deadlineMs: 300_000,
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: Math.random,
  ...over,
});

export function trackingRef(u: Upstream): string {
  return `refs/remotes/${u.remote}/${u.branch}`;
}

const FETCH_RACE_RETRIES = 30;
const TRACKING_RACE = /cannot lock ref|but expected|unable to update local ref/i;

/**
 * Fetches upstream's branch into its tracking ref and returns that ref's name, or null if
 * upstream has no such branch yet. Callers resolve the ref in their own next git call.
 * No auto-maintenance here: the commit or merge that follows runs it, and an agent's
 * claim should not pay for a second check. A failed fetch says whether the folder is no
 * clone or has no such remote; only then is that asked (a claim is not slowed by it).
 */
export async function fetchUpstream(git: Git, u: Upstream): Promise<string | null> {
  let r: GitResult;
  // Fetches into one clone at once (every `msg send --dir` shares the people clone) race on
  // the tracking ref: the loser's compare-and-swap fails ("cannot lock ref ... but
  // expected"). The winner moved it to a main at least as new, and every push is checked
  // against upstream anyway, so fetching again is all it takes.
  for (let i = 0; ; i++) {
    r = await git.run(['fetch', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--quiet', u.remote, `+refs/heads/${u.branch}:${trackingRef(u)}`]);
    if (r.code === 0 || i >= FETCH_RACE_RETRIES || !TRACKING_RACE.test(r.stderr)) break;
    await new Promise((res) => setTimeout(res, backoffMs(i + 1, Math.random)));
  }
  if (r.code !== 0) {
    if (/couldn't find remote ref/i.test(r.stderr)) return null;
    throw (await cloneProblem(git, u.remote)) ?? unreachable(u, r);
  }
  return trackingRef(u);
}

/** What makes `git.dir` no place to reach `remote` from (not a clone; no such remote), or null. One git call. */
export async function cloneProblem(git: Git, remote: string): Promise<UsageError | null> {
  const r = await git.run(['remote', 'get-url', remote]);
  if (r.code === 0) return null;
  if (/not a git repository/i.test(r.stderr)) {
    return new UsageError('NOT_A_CLONE', `${git.dir} is not inside a git clone; run this in a clone of the upstream (git clone .swarm/upstream.git) or pass --repo DIR`);
  }
  return new UsageError('NO_REMOTE', `this clone has no remote "${remote}"; add the upstream with: git remote add ${remote} <path-or-url>, or pass --remote NAME`);
}

/**
 * `landedAs`: upstream moved while the push waited in its gate's queue, and the gate
 * replayed the pushed commit onto it (test-oracle's hook): that commit, not `src`, is on
 * the branch now, and this clone has not got it yet.
 */
export type PushOutcome = { kind: 'ok'; landedAs?: string } | { kind: 'stale' } | { kind: 'declined'; reason: string };

/** Pushes `src` to upstream's branch. `stale` means someone else moved it first. */
export async function pushTo(git: Git, u: Upstream, src: string): Promise<PushOutcome> {
  const ref = `refs/heads/${u.branch}`;
  const fast = await pushOverHttp(git, u.remote, src, ref, trackingRef(u));
  if (fast) return fast.ok ? { kind: 'ok' } : (judgePush(fast.out, fast.out.split('\n').pop()!.trim()) ?? { kind: 'declined', reason: fast.out });
  const r = await git.run(['push', '--porcelain', u.remote, `${src}:${ref}`]);
  if (r.code === 0) return { kind: 'ok' };
  const judged = judgePush(r.stdout + '\n' + r.stderr, gitReason(r));
  if (judged) return judged;
  throw unreachable(u, r);
}

/** A failed push's output, git's or pushOverHttp's: a lost race, a refusal, or null (neither: git could not reach upstream). */
function judgePush(text: string, fallbackReason = 'refused'): PushOutcome | null {
  const replayed = /^(?:remote: )?LANDED ([0-9a-f]{40,64}) on /m.exec(text);
  if (replayed) return { kind: 'ok', landedAs: replayed[1]! };
  if (/\[rejected\]|non-fast-forward|fetch first|stale info|failed to update ref|cannot lock ref|incorrect old value/i.test(text)) {
    return { kind: 'stale' };
  }
  if (!/\[remote rejected\]|hook declined/i.test(text)) return null;
  const remoteLines = text
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => l.slice(8).trim())
    .filter(Boolean);
  const errs = remoteLines.filter((l) => /^ERROR\b/.test(l));
  return { kind: 'declined', reason: (errs.length ? errs : remoteLines).slice(0, 5).join('; ') || fallbackReason };
}

function unreachable(u: Upstream, r: GitResult): EnvError {
  return new EnvError('UPSTREAM_UNREACHABLE', `cannot reach upstream "${u.remote}": ${gitReason(r)}; check the remote with: git remote -v`);
}

export type BuildResult<T> = { commit: string; value: T } | { stop: T };

export interface Landed<T> {
  value: T;
  /** the commit that landed, or null when build chose to stop */
  commit: string | null;
  attempts: number;
}

export type Attempt<T> = { kind: 'landed'; value: T; commit: string } | { kind: 'stopped'; value: T } | { kind: 'stale' };

/**
 * One attempt: fetch, let `build` decide on the latest upstream main and make a commit on
 * it, push. `stale` means someone moved main first; a refused push or an unreachable
 * upstream throws. Callers that must never give up (the supervisor's pending removals) loop
 * on this with their own policy.
 */
export async function landOnce<T>(git: Git, u: Upstream, build: (base: string | null) => Promise<BuildResult<T>>): Promise<Attempt<T>> {
  return landFrom(git, u, await fetchUpstream(git, u), build);
}

async function landFrom<T>(git: Git, u: Upstream, base: string | null, build: (base: string | null) => Promise<BuildResult<T>>): Promise<Attempt<T>> {
  const built = await build(base);
  if ('stop' in built) return { kind: 'stopped', value: built.stop };
  const pushed = await pushTo(git, u, built.commit);
  if (pushed.kind === 'ok' && pushed.landedAs) {
    // What follows (a fast-forward of the checkout, the claim's story) reads the commit that landed.
    await fetchUpstream(git, u).catch(() => null);
    return { kind: 'landed', value: built.value, commit: pushed.landedAs };
  }
  if (pushed.kind === 'ok') return { kind: 'landed', value: built.value, commit: built.commit };
  if (pushed.kind === 'declined') throw new CheckFailedError('PUSH_DECLINED', `upstream refused the push: ${pushed.reason}`);
  return { kind: 'stale' };
}

/**
 * The same attempt made inside the bare upstream itself, for the supervisor of a local
 * upstream. It takes git's own lock on the branch (`refs/heads/<branch>.lock`, created
 * exclusively, as every git that moves the ref does) before reading it, builds on it, and
 * moves the ref by renaming the lock into place, as git does, with a reflog line. While the
 * lock is held a push fails with "cannot lock ref" and its pusher retries, so the supervisor
 * cannot lose: a fetch-build-push round on a busy machine takes seconds and used to lose to
 * every agent that pushed meanwhile, for minutes. Falls back to a compare-and-swap
 * `update-ref` when refs are not plain files (reftable).
 */
export async function landInPlace<T>(bare: Git, branch: string, build: (base: string | null) => Promise<BuildResult<T>>): Promise<Attempt<T>> {
  const ref = `refs/heads/${branch}`;
  const refFile = path.join(bare.dir, ref);
  if (!existsSync(path.join(bare.dir, 'refs', 'heads')) || existsSync(path.join(bare.dir, 'reftable'))) return casInPlace(bare, ref, build);
  let fd: number;
  try {
    fd = openSync(`${refFile}.lock`, 'wx');
  } catch (e) {
    // a push is moving it right now, or a dead process left it (then the next attempt gets it)
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return (removeDeadRefLock(bare.dir, branch), { kind: 'stale' });
    throw new EnvError('UPSTREAM_UNWRITABLE', `cannot lock ${ref} in ${bare.dir}: ${(e as Error).message}`);
  }
  let locked = true;
  try {
    const base = await bare.revParse(ref);
    const built = await build(base);
    if ('stop' in built) return { kind: 'stopped', value: built.stop };
    writeSync(fd, `${built.commit}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(`${refFile}.lock`, refFile);
    locked = false;
    appendReflog(bare.dir, ref, base, built.commit);
    return { kind: 'landed', value: built.value, commit: built.commit };
  } finally {
    if (fd >= 0) closeSync(fd);
    if (locked) rmSync(`${refFile}.lock`, { force: true });
  }
}

/**
 * A branch lock older than DEAD_REF_LOCK_MS was left by a process that died holding it: git
 * holds one for milliseconds, landInPlace for one build. Checked at start and again wherever
 * the lock stops work (each push the server takes, each in-place landing that finds it).
 */
export const DEAD_REF_LOCK_MS = 30_000;

export function removeDeadRefLock(bareDir: string, branch: string, olderThanMs = DEAD_REF_LOCK_MS, now = Date.now()): boolean {
  const lock = path.join(bareDir, 'refs', 'heads', `${branch}.lock`);
  try {
    if (now - statSync(lock).mtimeMs < olderThanMs) return false;
    rmSync(lock, { force: true });
    return true;
  } catch {
    return false;
  }
}

export function appendReflog(dir: string, ref: string, from: string | null, to: string): void {
  try {
    const log = path.join(dir, 'logs', ref);
    // Level by level, never recursive: a repository moved away meanwhile must not come back
    // as a ghost folder of logs at its old path (the endurance bench's outage found one).
    const parts = path.relative(dir, path.dirname(log)).split(path.sep);
    for (let i = 1; i <= parts.length; i++) {
      try {
        mkdirSync(path.join(dir, ...parts.slice(0, i)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    const secs = Math.floor(Date.now() / 1000);
    appendFileSync(log, `${from ?? ZERO_OID} ${to} harness <harness@harness.invalid> ${secs} +0000\tharness: supervisor lock removal\n`);
  } catch {
    /* the reflog is a record, not the ref: the move stands */
  }
}

async function casInPlace<T>(bare: Git, ref: string, build: (base: string | null) => Promise<BuildResult<T>>): Promise<Attempt<T>> {
  const base = await bare.revParse(ref);
  const built = await build(base);
  if ('stop' in built) return { kind: 'stopped', value: built.stop };
  const r = await bare.run(['update-ref', '-m', 'harness: supervisor lock removal', ref, built.commit, base ?? ZERO_OID]);
  if (r.code === 0) return { kind: 'landed', value: built.value, commit: built.commit };
  if (/cannot lock ref|but expected|is at .* but|unable to resolve/i.test(r.stderr)) return { kind: 'stale' };
  throw new EnvError('UPSTREAM_UNWRITABLE', `cannot move ${ref} in ${bare.dir}: ${gitReason(r)}`);
}

/**
 * Fetches, lets `build` decide on the latest upstream main and make a commit on it, pushes,
 * and repeats on a rejected push. `build` runs again on every attempt, so its decision
 * always reflects what is upstream now.
 */
export async function landOnUpstream<T>(
  git: Git,
  u: Upstream,
  policy: RetryPolicy,
  build: (base: string | null) => Promise<BuildResult<T>>,
  opts: { fromLastFetch?: boolean } = {},
): Promise<Landed<T>> {
  const start = policy.now();
  if (opts.fromLastFetch) {
    // The push is a compare-and-swap on main: a commit built on the last fetch lands only
    // if main is still there, so deciding on it is safe, and a clone that is up to date
    // (an agent that just synced) saves the fetch. Only a commit goes out this way: a
    // "stop" (held, say) may be stale and is decided again after a fetch.
    const a = await landFrom(git, u, trackingRef(u), build).catch(() => null);
    if (a?.kind === 'landed') return { value: a.value, commit: a.commit, attempts: 1 };
  }
  for (let attempt = 1; ; attempt++) {
    const began = policy.now();
    const a = await landOnce(git, u, build);
    if (a.kind === 'stopped') return { value: a.value, commit: null, attempts: attempt };
    if (a.kind === 'landed') return { value: a.value, commit: a.commit, attempts: attempt };
    const waited = policy.now() - start;
    if (waited > policy.deadlineMs) {
      throw new HeldError('CONTENDED', `upstream ${u.branch} kept moving: gave up after ${attempt} attempts in ${Math.round(waited / 1000)}s; try again`);
    }
    await policy.sleep(backoffMs(attempt, policy.random, policy.now() - began));
  }
}

/**
 * Full-jitter exponential backoff on the scale of the attempt that just lost (`lostMs`,
 * from 20 ms to 1 s: longer than that, the attempt measured a queue such as the gate's, not
 * the race), doubling to a 10.24 s cap. Every rejected push is a wasted fetch, build
 * and push, and on a small machine that CPU is what the winner needs. Losers must spread
 * over several attempt-lengths to stop colliding; starting from 20 ms whatever an attempt
 * cost, they did not (claims bench, 16 contenders: 2.23 retries per claim, 1.27 with the scale).
 */
export function backoffMs(attempt: number, random: () => number, lostMs = 0): number {
  const cap = Math.min(10_240, Math.min(1000, Math.max(20, lostMs)) * 2 ** Math.min(attempt, 9));
  return Math.floor(random() * cap);
}
