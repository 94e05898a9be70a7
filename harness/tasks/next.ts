// `harness task next`: the backlog and failing tests become work. Reads upstream main's
// backlog (current_tasks/backlog/), its lock history and claims, and the oracle's latest
// recorded results (git notes), and proposes the highest-priority task nobody holds whose
// dependencies are done; failing tests count as priority 0 (a backlog task of equal
// priority goes first: a person or agent wrote it down on purpose). Ties are ranked per
// agent so agents asking at once spread over different tasks.
import { HeldError } from '../kit/errors.js';
import { fetchUpstream, trackingRef } from '../git/sync.js';
import { fetchNotes, proposeFailingTest, readLatestResultsByTool, rerunTestCommand, type FailingTestProposal } from '../../test-oracle/index.js';
import { shq } from '../kit/shell.js';
import { sampleHash32 } from '../kit/hash.js';
import { pickReady, type BacklogPlan } from './backlog.js';
import { backlogView } from './backlog-ops.js';
import { claimTask, type ClaimResult, type TaskCtx } from './ops.js';

export interface BacklogProposal {
  source: 'backlog';
  task: string;
  priority: number;
  depends: string[];
  note: string;
  /** ready backlog tasks nobody holds, this one included */
  ready: number;
}

/** `rerun`: the oracle command that reruns just this test under the tool that failed it */
export type Proposal = (FailingTestProposal & { source: 'failing-test'; priority: 0; rerun: string }) | BacklogProposal;

export interface BacklogSummary {
  ready: number;
  blocked: number;
  held: number;
  done: number;
  cycles: string[][];
  unknown: { task: string; dep: string }[];
}

export type NextResult =
  | { kind: 'none'; why: 'no-results' | 'all-claimed' | 'all-pass'; failing: number; backlog: BacklogSummary }
  | { kind: 'proposed'; proposal: Proposal; resultsCommit: string | null; backlog: BacklogSummary }
  | { kind: 'claimed'; proposal: Proposal; resultsCommit: string | null; commit: string | null; claim: ClaimResult; backlog: BacklogSummary };

/** Tries a few proposals when claiming: another agent may take the first one first. */
const MAX_CLAIM_TRIES = 5;

export function summarize(plan: BacklogPlan): BacklogSummary {
  return { ready: plan.ready.length, blocked: plan.blocked.length, held: plan.held.length, done: plan.done.length, cycles: plan.cycles, unknown: plan.unknown };
}

/** The choice between the best backlog task and the best failing test. Pure. */
export function chooseProposal(plan: BacklogPlan, failing: FailingTestProposal | null, skip: ReadonlySet<string>, agent: string): Proposal | null {
  const item = pickReady(plan.ready, skip, (t) => sampleHash32(agent, t));
  if (item && (item.priority >= 0 || !failing)) {
    const ready = plan.ready.filter((i) => !skip.has(i.task)).length;
    return { source: 'backlog', task: item.task, priority: item.priority, depends: item.depends, note: item.note, ready };
  }
  return failing ? { ...failing, source: 'failing-test', priority: 0, rerun: rerunTestCommand(failing.testId, failing.tool, shq) } : null;
}

export async function nextTask(ctx: TaskCtx, opts: { claim: boolean; env: NodeJS.ProcessEnv }): Promise<NextResult> {
  const head = (await fetchUpstream(ctx.git, ctx.upstream)) ?? trackingRef(ctx.upstream);
  await fetchNotes(ctx.git.dir, ctx.upstream.remote, { env: opts.env });
  // Each tool's own newest results: a later gcc run must not hide a tcc failure.
  const [byTool, view] = await Promise.all([readLatestResultsByTool(ctx.git.dir, head, { env: opts.env }), backlogView(ctx.git, await ctx.git.revParse(head))]);
  const tests = new Map([...byTool].map(([tool, r]) => [tool, r.tests]));
  const backlog = summarize(view.plan);
  const taken = new Set(view.held);
  for (let i = 0; i < MAX_CLAIM_TRIES; i++) {
    const failing = byTool.size ? proposeFailingTest(tests, taken, ctx.me.agent) : null;
    const p = chooseProposal(view.plan, failing, taken, ctx.me.agent);
    if (!p) {
      if (!byTool.size) return { kind: 'none', why: 'no-results', failing: 0, backlog };
      const nFailing = [...tests.values()].flatMap((t) => [...t.values()]).filter((o) => o.result !== 'pass').length;
      return { kind: 'none', why: nFailing ? 'all-claimed' : 'all-pass', failing: nFailing, backlog };
    }
    const resultsCommit = p.source === 'failing-test' ? (byTool.get(p.tool)?.commit ?? null) : null;
    if (!opts.claim) return { kind: 'proposed', proposal: p, resultsCommit, backlog };
    try {
      const note =
        p.source === 'backlog'
          ? `Backlog task (priority ${p.priority}${p.depends.length ? `, after ${p.depends.join(', ')}` : ''}): ${p.note}`
          : `Failing test ${p.testId} (${p.result}${p.tool ? ` under ${p.tool}` : ''}): ${p.reason}\nRerun it: ${p.rerun}`;
      const r = await claimTask(ctx, p.task, note);
      return { kind: 'claimed', proposal: p, resultsCommit, commit: r.commit, claim: r, backlog };
    } catch (e) {
      if (!(e instanceof HeldError) || !['TASK_HELD', 'DEPS_NOT_DONE', 'TASK_DONE'].includes(e.code)) throw e;
      taken.add(p.task);
    }
  }
  throw new HeldError('CONTENDED', `other agents took the first ${MAX_CLAIM_TRIES} proposals first; run harness task next --claim again`);
}
