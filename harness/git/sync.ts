// Landing one commit on upstream main when many clones push at once. Git's atomic ref
// update is the only mutex: build the commit on the latest upstream main, push it, and
// on a rejected push fetch and build again. Backoff is jittered so racers spread out.
import { CheckFailedError, EnvError, HeldError } from '../errors.js';
import { Git, gitReason, type GitResult } from './git.js';

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

/**
 * Fetches upstream's branch into its tracking ref and returns that ref's name, or null if
 * upstream has no such branch yet. Callers resolve the ref in their own next git call.
 */
export async function fetchUpstream(git: Git, u: Upstream): Promise<string | null> {
  const r = await git.run(['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', u.remote, `+refs/heads/${u.branch}:${trackingRef(u)}`]);
  if (r.code !== 0) {
    if (/couldn't find remote ref/i.test(r.stderr)) return null;
    throw unreachable(u, r);
  }
  return trackingRef(u);
}

export type PushOutcome = { kind: 'ok' } | { kind: 'stale' } | { kind: 'declined'; reason: string };

/** Pushes `src` to upstream's branch. `stale` means someone else moved it first. */
export async function pushTo(git: Git, u: Upstream, src: string): Promise<PushOutcome> {
  const r = await git.run(['push', '--porcelain', u.remote, `${src}:refs/heads/${u.branch}`]);
  if (r.code === 0) return { kind: 'ok' };
  const text = r.stdout + '\n' + r.stderr;
  if (/\[rejected\]|non-fast-forward|fetch first|stale info|failed to update ref|cannot lock ref|incorrect old value/i.test(text)) {
    return { kind: 'stale' };
  }
  if (/\[remote rejected\]|hook declined/i.test(text)) {
    const remoteLines = text
      .split('\n')
      .filter((l) => l.startsWith('remote: '))
      .map((l) => l.slice(8).trim())
      .filter(Boolean);
    const errs = remoteLines.filter((l) => /^ERROR\b/.test(l));
    return { kind: 'declined', reason: (errs.length ? errs : remoteLines).slice(0, 5).join('; ') || gitReason(r) };
  }
  throw unreachable(u, r);
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
): Promise<Landed<T>> {
  const start = policy.now();
  for (let attempt = 1; ; attempt++) {
    const base = await fetchUpstream(git, u);
    const built = await build(base);
    if ('stop' in built) return { value: built.stop, commit: null, attempts: attempt };
    const pushed = await pushTo(git, u, built.commit);
    if (pushed.kind === 'ok') return { value: built.value, commit: built.commit, attempts: attempt };
    if (pushed.kind === 'declined') {
      throw new CheckFailedError('PUSH_DECLINED', `upstream refused the push: ${pushed.reason}`);
    }
    const waited = policy.now() - start;
    if (waited > policy.deadlineMs) {
      throw new HeldError('CONTENDED', `upstream ${u.branch} kept moving: gave up after ${attempt} attempts in ${Math.round(waited / 1000)}s; try again`);
    }
    await policy.sleep(backoffMs(attempt, policy.random));
  }
}

/**
 * Full-jitter exponential backoff: 20 ms doubling to a 2.5 s cap. Every rejected push is
 * a wasted fetch, build and push, and on a small machine that CPU is what the winner
 * needs, so losers spread out rather than retry in step.
 */
export function backoffMs(attempt: number, random: () => number): number {
  const cap = Math.min(10_240, 20 * 2 ** Math.min(attempt, 10));
  return Math.floor(random() * cap);
}
