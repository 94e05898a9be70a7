// `--until done` for a real project: the swarm is done when nobody holds a task on upstream
// main and a full run of the oracle's suite (not a `--fast` sample, not a `--filter` or
// `--failed` run) at main's head passes. Samples cover a slice each, so a passing sample
// says nothing about the rest; with only samples (or results of an older commit) the
// supervisor runs the full suite itself (verify.ts) and judges that. Judging is pure;
// reading the state fetches main and the oracle's notes into the supervisor's clone.
import type { Git } from '../kit/git.js';
import { fetchUpstream } from '../git/sync.js';
import { readClaims } from '../tasks/read.js';
import { fetchNotes, latestPerTest, readLatestResults, toolOf, type RunRecord } from '../../test-oracle/index.js';

export interface DoneState {
  /** upstream main's head, or null when main does not exist */
  head: string | null;
  /** tasks with a lock file in current_tasks/ on main */
  claimed: string[];
  /** full runs recorded on the head itself, or null when there are none */
  full: { tests: number; failing: string[] } | null;
  /** the nearest recorded results of any kind (sample, partial, full), or null when none */
  latest: { commit: string; tests: number; failing: string[]; tools: string[] } | null;
}

export type DoneWhy = 'claimed' | 'failing' | 'no-results' | 'unverified';
export type DoneVerdict = { done: true } | { done: false; why: DoneWhy };

export function judgeDone(s: DoneState): DoneVerdict {
  if (s.claimed.length) return { done: false, why: 'claimed' };
  if (s.full && s.full.tests > 0) return s.full.failing.length ? { done: false, why: 'failing' } : { done: true };
  // No results is not "nothing fails": nobody has run the tests yet.
  if (!s.latest || s.latest.tests === 0) return { done: false, why: 'no-results' };
  // A sample at the head that fails already proves the head is not done: no full run needed.
  if (s.latest.commit === s.head && s.latest.failing.length) return { done: false, why: 'failing' };
  return { done: false, why: 'unverified' };
}

/** Failing tests of these runs, judged per tool: runs under different tools never mix. */
export function failingOf(runs: readonly RunRecord[]): { tests: number; failing: string[] } {
  const failing = new Set<string>();
  let tests = 0;
  for (const tool of new Set(runs.map(toolOf))) {
    const latest = latestPerTest(runs.filter((r) => toolOf(r) === tool));
    tests += latest.size;
    for (const [id, o] of latest) if (o.result !== 'pass') failing.add(id);
  }
  return { tests, failing: [...failing].sort() };
}

export async function readDoneState(git: Git, env: NodeJS.ProcessEnv): Promise<DoneState> {
  const upstream = { remote: 'origin', branch: 'main' };
  const ref = await fetchUpstream(git, upstream);
  const head = ref ? await git.revParse(ref) : null;
  if (!head) return { head: null, claimed: [], full: null, latest: null };
  const claimed = (await readClaims(git, head)).map((c) => c.task);
  await fetchNotes(git.dir, upstream.remote, { env });
  const latest = await readLatestResults(git.dir, head, { env });
  if (!latest) return { head, claimed, full: null, latest: null };
  const fullRuns = latest.distance === 0 ? latest.runs.filter((r) => r.mode === 'full') : [];
  return {
    head,
    claimed,
    full: fullRuns.length ? failingOf(fullRuns) : null,
    latest: { commit: latest.commit, ...failingOf(latest.runs), tools: [...new Set(latest.runs.map(toolOf))].sort() },
  };
}

/** Runs the full suite at upstream main's head (under each of `tools`) and shares the results; see verify.ts. */
export type FullSuiteRun = (tools: string[]) => Promise<{ commit: string; log: string; recorded: boolean }>;

/**
 * The supervisor's isDone hook. Says once when there are no results to judge by; runs the
 * full suite when only samples (or an older commit's results) say the head passes, at most
 * once per head, one at a time (every slot asks after each of its sessions).
 */
export function untilDone(git: Git, env: NodeJS.ProcessEnv, say: (line: string) => void): (runFull?: FullSuiteRun) => Promise<boolean> {
  let told = false;
  const tried = new Set<string>();
  let busy: Promise<boolean> | null = null;
  const check = async (runFull?: FullSuiteRun): Promise<boolean> => {
    const s = await readDoneState(git, env);
    const v = judgeDone(s);
    if (v.done) return true;
    if (v.why === 'no-results' && !told) {
      told = true;
      say('until done: test-oracle has recorded no results on upstream main yet, so the swarm is not done (agents record them with `test-oracle run`)');
    }
    if (v.why !== 'unverified' || !runFull || !s.head || tried.has(s.head)) return false;
    tried.add(s.head);
    say(`until done: no claims on main and no full run of the suite at ${s.head.slice(0, 12)} (only samples or older results); running the full suite (test-oracle run) before stopping`);
    const r = await runFull(s.latest!.tools);
    tried.add(r.commit);
    const after = judgeDone(await readDoneState(git, env));
    if (!r.recorded) say(`until done: the full run at ${r.commit.slice(0, 12)} recorded no results (see ${r.log}); not done`);
    else if (!after.done) say(`until done: the full run at ${r.commit.slice(0, 12)} says not done (${after.why}); see ${r.log}`);
    return after.done;
  };
  return (runFull) => (busy ??= check(runFull).finally(() => (busy = null)));
}
