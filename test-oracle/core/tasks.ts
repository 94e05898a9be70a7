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
  /** task name to claim in current_tasks/ */
  task: string;
  result: Result;
  reason: string;
  /** failures nobody has claimed, including this one */
  unclaimed: number;
  /** all failures in the results */
  failing: number;
}

/**
 * Proposes one unclaimed failing test for `agent`. Each agent ranks the unclaimed
 * failures by hash(agent, test) and takes its lowest, so agents asking at the same
 * moment mostly pick different tests without talking to each other, while each agent's
 * pick is stable between calls. Returns null when every failure is claimed (or none).
 */
export function proposeFailingTest(
  tests: ReadonlyMap<string, Pick<RecordedOutcome, 'result' | 'reason'>>,
  claimedTasks: Iterable<string>,
  agent: string,
): FailingTestProposal | null {
  const claimed = new Set(claimedTasks);
  let best: { id: string; h: number; task: string } | null = null;
  let failing = 0;
  let unclaimed = 0;
  for (const [id, o] of tests) {
    if (o.result === 'pass') continue;
    failing++;
    const task = taskNameForTest(id);
    if (claimed.has(task)) continue;
    unclaimed++;
    const h = sampleHash32(agent, id);
    if (!best || h < best.h || (h === best.h && id < best.id)) best = { id, h, task };
  }
  if (!best) return null;
  const o = tests.get(best.id)!;
  return { testId: best.id, task: best.task, result: o.result, reason: o.reason, unclaimed, failing };
}
