// What the rest of the harness uses from the oracle (`harness init --gate`,
// `harness task next`): stable entry points, so callers never reach into the modules.
export { installGateHook, type GateHookOptions } from './gate/hook.js';
export { proposeFailingTest, taskNameForTest, TASK_NAME, type FailingTestProposal } from './core/tasks.js';
export { readLatestResults, fetchNotes, syncNotes, readRecords, recordsAlongHistory, type CommitRecords } from './git/notes.js';
export { NOTES_REF, latestPerTest, toolOf, type LatestResults, type RecordedOutcome, type RunRecord } from './core/records.js';
export { inSample, samplePoint } from '../harness/kit/hash.js';
export type { Result, TestOutcome } from './core/types.js';
