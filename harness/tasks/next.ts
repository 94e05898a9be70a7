// `harness task next`: failing tests become work. Reads the oracle's latest recorded
// results on upstream main (git notes) and the claims there, and proposes an unclaimed
// failing test, ranked per agent so agents asking at once spread over different failures.
import { HeldError } from '../errors.js';
import { fetchUpstream, trackingRef } from '../git/sync.js';
import { fetchNotes, proposeFailingTest, readLatestResults, type FailingTestProposal } from '../../test-oracle/index.js';
import { claimTask, type TaskCtx } from './ops.js';
import { readClaims } from './read.js';

export type NextResult =
  | { kind: 'none'; why: 'no-results' | 'all-claimed' | 'all-pass'; failing: number }
  | { kind: 'proposed'; proposal: FailingTestProposal; resultsCommit: string }
  | { kind: 'claimed'; proposal: FailingTestProposal; resultsCommit: string; commit: string | null };

/** Tries a few proposals when claiming: another agent may take the first one first. */
const MAX_CLAIM_TRIES = 5;

export async function nextTask(ctx: TaskCtx, opts: { claim: boolean; env: NodeJS.ProcessEnv }): Promise<NextResult> {
  const head = (await fetchUpstream(ctx.git, ctx.upstream)) ?? trackingRef(ctx.upstream);
  await fetchNotes(ctx.git.dir, ctx.upstream.remote, { env: opts.env });
  const results = await readLatestResults(ctx.git.dir, head, { env: opts.env });
  if (!results) return { kind: 'none', why: 'no-results', failing: 0 };
  const taken = new Set((await readClaims(ctx.git, head)).map((c) => c.task));
  for (let i = 0; i < MAX_CLAIM_TRIES; i++) {
    const p = proposeFailingTest(results.tests, taken, ctx.me.agent);
    if (!p) {
      const failing = [...results.tests.values()].filter((o) => o.result !== 'pass').length;
      return { kind: 'none', why: failing ? 'all-claimed' : 'all-pass', failing };
    }
    if (!opts.claim) return { kind: 'proposed', proposal: p, resultsCommit: results.commit };
    try {
      const note = `Failing test ${p.testId} (${p.result}): ${p.reason}\nRerun it: test-oracle run --filter '${escapeRegex(p.testId)}'`;
      const r = await claimTask(ctx, p.task, note);
      return { kind: 'claimed', proposal: p, resultsCommit: results.commit, commit: r.commit };
    } catch (e) {
      if (!(e instanceof HeldError) || e.code !== 'TASK_HELD') throw e;
      taken.add(p.task);
    }
  }
  throw new HeldError('CONTENDED', `other agents took the first ${MAX_CLAIM_TRIES} proposals first; run harness task next --claim again`);
}

function escapeRegex(s: string): string {
  return '^' + s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
}
