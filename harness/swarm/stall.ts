// The stall guard, `--stall-after DURATION`: a swarm that for that long has landed no
// `Task-Status: done` commit on upstream main and not raised the pass rate of the latest
// full run of the oracle's suite (samples and filtered runs do not count) is spending
// money going nowhere; stop it (or only warn). Judging is pure over observations; reading
// progress fetches main into the supervisor's clone.
import type { Git } from '../kit/git.js';
import { fetchUpstream } from '../git/sync.js';
import { fetchNotes, readLatestResults } from '../../test-oracle/index.js';
import { failingOf } from './done.js';

export interface Progress {
  /** `Task-Status: done` commits on upstream main */
  doneTasks: number;
  /** passing / recorded tests in the latest full run on main, or null when there is none */
  passRate: number | null;
}

export interface StallState {
  /** when progress was last seen (or the guard started) */
  since: number;
  best: Progress | null;
}

export function startStall(now: number): StallState {
  return { since: now, best: null };
}

/** Folds in one observation: more tasks done or a higher pass rate is progress, and restarts the clock. */
export function observe(s: StallState, p: Progress, now: number): StallState {
  if (!s.best) return { since: s.since, best: p }; // the baseline: what this run started from
  const moreDone = p.doneTasks > s.best.doneTasks;
  const better = p.passRate !== null && (s.best.passRate === null || p.passRate > s.best.passRate);
  if (!moreDone && !better) return s;
  return { since: now, best: { doneTasks: Math.max(p.doneTasks, s.best.doneTasks), passRate: better ? p.passRate : s.best.passRate } };
}

export function isStalled(s: StallState, now: number, afterMs: number): boolean {
  return now - s.since >= afterMs;
}

/** How often to look: a quarter of the window, between 250 ms and a minute. */
export function stallCheckMs(afterMs: number): number {
  return Math.max(250, Math.min(60_000, Math.floor(afterMs / 4)));
}

export async function readProgress(git: Git, env: NodeJS.ProcessEnv): Promise<Progress> {
  const head = await fetchUpstream(git, { remote: 'origin', branch: 'main' });
  if (!head) return { doneTasks: 0, passRate: null };
  const log = await git.run(['log', '--format=%H', '--grep=^Task-Status: done', head]);
  const doneTasks = log.stdout.split('\n').filter(Boolean).length;
  await fetchNotes(git.dir, 'origin', { env });
  // Full runs only: samples with different seeds cover different slices, so their pass rate
  // rises and falls by chance, and a lucky sample must not pass for progress.
  const latest = await readLatestResults(git.dir, head, { env, where: (r) => r.mode === 'full' });
  if (!latest) return { doneTasks, passRate: null };
  const { tests, failing } = failingOf(latest.runs);
  return { doneTasks, passRate: tests ? (tests - failing.length) / tests : null };
}

/**
 * Runs the guard on a timer. `onStall` is called once per stalled window: with `warn` the
 * clock restarts, so a swarm that stays stuck is told again one window later.
 */
export function armStallGuard(o: { afterMs: number; now: () => number; read: () => Promise<Progress>; onStall: (sinceMs: number) => 'stop' | 'warn'; onError: (e: Error) => void }): { cancel: () => void } {
  let s = startStall(o.now());
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      s = observe(s, await o.read(), o.now());
      const now = o.now();
      if (isStalled(s, now, o.afterMs) && o.onStall(now - s.since) === 'warn') s = { ...s, since: now };
    } catch (e) {
      o.onError(e as Error);
    } finally {
      busy = false;
    }
  };
  const t = setInterval(() => void tick(), stallCheckMs(o.afterMs));
  void tick();
  return { cancel: () => clearInterval(t) };
}
