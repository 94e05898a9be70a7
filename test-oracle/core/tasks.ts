// Failing tests as work items for `harness task next`. Pure: the caller reads the latest
// recorded results and the claimed task names, and claims what this proposes.
import { fnv1a64, sampleHash32 } from '../../harness/kit/hash.js';
import type { RecordedOutcome } from './records.js';
import type { Result } from './types.js';

/** The lock protocol's task name grammar, from its one definition. */
export { TASK_NAME_RE as TASK_NAME } from '../../harness/kit/task-name.js';

/**
 * `tests/Foo Bar.c` -> `test-tests-foo-bar.c-1a2b3c`. Lowercased, anything outside the
 * grammar becomes `-`. When that loses information (case, odd characters) or the name is
 * cut to 80 characters, a 6-hex suffix of the id's hash keeps distinct tests distinct.
 * `/` alone maps to `-` without a suffix, so plain paths give readable names.
 */
export function taskNameForTest(id: string): string {
  const lowered = id.toLowerCase();
  let slug = lowered.replace(/[^a-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-._]+|-+$/g, '');
  const lossy = lowered !== id || /[^a-z0-9._\-/]/.test(lowered) || /\/{2,}|^\/|\/$|--/.test(id) || slug === '';
  let name = `test-${slug}`;
  if (lossy || name.length > 80) {
    const { lo } = fnv1a64(id);
    const suffix = (lo >>> 8).toString(16).padStart(6, '0');
    slug = slug.slice(0, 80 - 'test-'.length - 7).replace(/[-._]+$/, '');
    name = `test-${slug}${slug ? '-' : ''}${suffix}`;
  }
  return name;
}

export interface FailingTestProposal {
  testId: string;
  /** the tool whose results show the failure ('' for runs with no tool) */
  tool: string;
  /** task name to claim in current_tasks/ */
  task: string;
  result: Result;
  reason: string;
  /** failures nobody has claimed, including this one (a test failing under two tools counts twice) */
  unclaimed: number;
  /** all failures in the results, over every tool */
  failing: number;
}

type Outcomes = ReadonlyMap<string, Pick<RecordedOutcome, 'result' | 'reason'>>;

/**
 * Proposes one unclaimed failing test for `agent`, from each tool's own latest results
 * (tool -> test -> outcome; a plain map is one tool-less kind). Each agent ranks the
 * unclaimed failures by hash(agent, test) and takes its lowest, so agents asking at the
 * same moment mostly pick different tests without talking to each other, while each
 * agent's pick is stable between calls. The task is named by the test alone: claiming it
 * covers its failure under every tool. Returns null when every failure is claimed (or none).
 */
export function proposeFailingTest(results: Outcomes | ReadonlyMap<string, Outcomes>, claimedTasks: Iterable<string>, agent: string): FailingTestProposal | null {
  const byTool = isByTool(results) ? results : new Map([['', results]]);
  const claimed = new Set(claimedTasks);
  let best: { id: string; tool: string; h: number; task: string } | null = null;
  let failing = 0;
  let unclaimed = 0;
  for (const [tool, tests] of byTool) {
    for (const [id, o] of tests) {
      if (o.result === 'pass') continue;
      failing++;
      const task = taskNameForTest(id);
      if (claimed.has(task)) continue;
      unclaimed++;
      const h = sampleHash32(agent, id);
      if (!best || h < best.h || (h === best.h && (id < best.id || (id === best.id && tool < best.tool)))) best = { id, tool, h, task };
    }
  }
  if (!best) return null;
  const o = byTool.get(best.tool)!.get(best.id)!;
  return { testId: best.id, tool: best.tool, task: best.task, result: o.result, reason: o.reason, unclaimed, failing };
}

function isByTool(m: Outcomes | ReadonlyMap<string, Outcomes>): m is ReadonlyMap<string, Outcomes> {
  for (const v of m.values()) return v instanceof Map;
  return false;
}

/** The command that reruns one failing test under the tool that failed it. */
export function rerunTestCommand(testId: string, tool: string, shq: (s: string) => string): string {
  const re = '^' + testId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
  return `test-oracle run${tool ? ` --tool=${shq(tool)}` : ''} --filter ${shq(re)}`;
}
