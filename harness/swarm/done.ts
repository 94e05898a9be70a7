// `--until done` for a real project: the swarm is done when nobody holds a task on upstream
// main and the oracle's latest recorded results there have no failing test. Judging is
// pure; reading the state fetches main and the oracle's notes into the supervisor's clone.
import type { Git } from '../git/git.js';
import { fetchUpstream } from '../git/sync.js';
import { readClaims } from '../tasks/read.js';
import { fetchNotes, readLatestResults } from '../../test-oracle/index.js';

export interface DoneState {
  /** tasks with a lock file in current_tasks/ on main */
  claimed: string[];
  /** the latest recorded results on main, or null when the oracle recorded none */
  results: { commit: string; tests: number; failing: string[] } | null;
}

export type DoneVerdict = { done: true } | { done: false; why: 'claimed' | 'failing' | 'no-results' };

export function judgeDone(s: DoneState): DoneVerdict {
  if (s.claimed.length) return { done: false, why: 'claimed' };
  // No results is not "nothing fails": nobody has run the tests yet.
  if (!s.results || s.results.tests === 0) return { done: false, why: 'no-results' };
  if (s.results.failing.length) return { done: false, why: 'failing' };
  return { done: true };
}

export async function readDoneState(git: Git, env: NodeJS.ProcessEnv): Promise<DoneState> {
  const upstream = { remote: 'origin', branch: 'main' };
  const head = await fetchUpstream(git, upstream);
  if (!head) return { claimed: [], results: null };
  const claimed = (await readClaims(git, head)).map((c) => c.task);
  await fetchNotes(git.dir, upstream.remote, { env });
  const latest = await readLatestResults(git.dir, head, { env });
  if (!latest) return { claimed, results: null };
  const failing = [...latest.tests].filter(([, o]) => o.result !== 'pass').map(([id]) => id).sort();
  return { claimed, results: { commit: latest.commit, tests: latest.tests.size, failing } };
}

/** The supervisor's isDone hook; says once when there are no results to judge by. */
export function untilDone(git: Git, env: NodeJS.ProcessEnv, say: (line: string) => void): () => Promise<boolean> {
  let told = false;
  return async () => {
    const v = judgeDone(await readDoneState(git, env));
    if (!v.done && v.why === 'no-results' && !told) {
      told = true;
      say('until done: test-oracle has recorded no results on upstream main yet, so the swarm is not done (agents record them with `test-oracle run`)');
    }
    return v.done;
  };
}
