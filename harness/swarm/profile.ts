// A run profile: what one kind of project plugs into a run without the core knowing it.
// The embedded demo (demo/profile.ts) is the profile there is: it writes its project,
// brings the simulator, judges "done" and the pass rate by running its own tests, and adds
// its lines to the summary. The core holds only this interface and loads the demo's module
// by its path in the package when a run, `status` or `report` needs it, so nothing in
// harness/ imports demo/ (DESIGN.md's layering; scripts/layers.mjs checks it).
import { pathToFileURL } from 'node:url';
import type { AgentAdapter } from '../agents/types.js';
import type { GitFacts } from '../events/facts.js';
import type { ConflictCounter } from '../events/load.js';
import type { LoggedEvent } from '../events/log.js';
import { packageFile } from '../kit/paths.js';
import type { RunConfig } from './config.js';

export interface ProfileProject {
  /** the folder that seeds a new upstream */
  project: string;
  /** what the profile's agent reads beside the project (the simulator's known solutions) */
  bank: string;
}

export interface RunProfile<Start = unknown> {
  /** writes the project under `dir` */
  prepare(dir: string): Promise<ProfileProject>;
  /** a finished earlier run in `dir` is moved aside (never deleted); returns where, or null */
  setAsideFinished(dir: string, env: NodeJS.ProcessEnv, stamp: string): Promise<string | null>;
  /** the adapter of the profile's own agent (`--agent sim`) */
  agent(sim: RunConfig['sim'], bank: string): AgentAdapter;
  /** `--until done`, judged by the project's own tests */
  isDone(upstream: string, env: NodeJS.ProcessEnv): Promise<boolean>;
  /** what the summary compares against at the end */
  start(upstream: string, env: NodeJS.ProcessEnv): Promise<Start>;
  summary(upstream: string, env: NodeJS.ProcessEnv, start: Start, events: LoggedEvent[], runId: string, swarmDir: string): Promise<string[]>;
  /** fills pass-rate points for `status` and `report` from up to `samples` commits, where no oracle notes exist */
  fillPass(facts: GitFacts, upstream: string, env: NodeJS.ProcessEnv, samples: number): Promise<void>;
  /** the merge conflicts one session log of the profile's agent says it resolved */
  conflictsIn: ConflictCounter;
}

// From the TypeScript sources (tests) this module is a .ts file and loads the demo's
// source; from the build it loads the demo's built entry, which shares dist/'s chunks, so
// both sides see one copy of the error classes.
const DEMO = import.meta.url.endsWith('.ts') ? 'demo/profile.ts' : 'dist/demo-profile.js';

let loaded: Promise<RunProfile> | undefined;

/** The embedded demo's profile, loaded once, on first use. */
export function demoProfile(): Promise<RunProfile> {
  loaded ??= import(pathToFileURL(packageFile(DEMO)).href).then((m: { profile: RunProfile }) => m.profile);
  return loaded;
}

/** Whether a run used the demo's profile: the demo, or the simulator on any project (start.ts's rule). */
export function usesDemoProfile(c: { demo?: unknown; agent?: unknown } | null): boolean {
  return c?.demo === true || c?.agent === 'sim';
}

/** The conflict counter of the profile a recorded run used (its run.json, or any run_start in its events), or null. */
export async function recordedConflictCounter(runJson: Record<string, unknown> | null, events: LoggedEvent[]): Promise<ConflictCounter | null> {
  const used = usesDemoProfile(runJson) || events.some((e) => e.type === 'run_start' && usesDemoProfile(e));
  return used ? (await demoProfile()).conflictsIn : null;
}
