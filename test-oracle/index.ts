// What the rest of the harness uses from the oracle (`harness init --gate`,
// `harness task next`): stable entry points, so callers never reach into the modules.
export { installGateHook, type GateHookOptions } from './gate/hook.js';
export { contentKey } from './gate/cache.js';
export { proposeFailingTest, rerunTestCommand, taskNameForTest, TASK_NAME, type FailingTestProposal } from './core/tasks.js';
export { readLatestResults, readLatestResultsByTool, fetchNotes, syncNotes, readRecords, recordsAlongHistory, type CommitRecords } from './git/notes.js';
export { NOTES_REF, latestPerTest, toolLabel, toolOf, type LatestResults, type RecordedOutcome, type RunRecord } from './core/records.js';
export { inSample, samplePoint } from '../harness/kit/hash.js';
export type { Result, TestOutcome } from './core/types.js';
