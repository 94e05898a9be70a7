// The embedded demo: simulated agents (`sim`) on a small compiler-flavoured project
// (demo/), so that `harness --agents 16` shows a real swarm on a machine with nothing
// configured. Everything the simulator does goes through the real protocol; only the
// "thinking" is simulated, and every session log says so.
import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { claimsAt, demoStatus, prepareDemo, type DemoStatus } from './index.js';
import { simAgentArgv } from './sim/index.js';
import { claudeRateLimitOf, claudeUsage } from '../harness/agents/claude.js';
import type { AgentAdapter } from '../harness/agents/types.js';
import { countFromLogs } from '../harness/events/load.js';
import type { LoggedEvent } from '../harness/events/log.js';
import { Git } from '../harness/kit/git.js';
import type { RunConfig } from '../harness/swarm/config.js';
import type { RunProfile } from '../harness/swarm/profile.js';
import { fillDemoPass } from './pass.js';

/**
 * A demo folder whose swarm already finished is moved aside (never deleted), so running
 * the demo again shows a new swarm instead of stopping at once; an unfinished one resumes.
 */
export async function setAsideFinishedDemo(dir: string, env: NodeJS.ProcessEnv, stamp: string): Promise<string | null> {
  const upstream = path.join(dir, 'upstream.git');
  if (!existsSync(upstream)) return null;
  const st = await demoStatus(upstream, { env }).catch(() => null);
  if (!st || !st.allDone || st.claims.length > 0) return null;
  const aside = `${dir}-${stamp}`;
  renameSync(dir, aside);
  return aside;
}

/** `--agent sim`: one simulated session per sandbox; it reads HARNESS_* from its environment. */
export function simAdapter(sim: RunConfig['sim'], bank: string): AgentAdapter {
  // idleMs: with nothing to claim the simulator leaves at once; its slot's idle wait (woken when main moves) does the waiting
  const argv = simAgentArgv({ crash: sim.crash, regress: sim.regress, thinkMs: sim.thinkMs, bank, idleMs: 1000, ...(sim.faults ? { faults: sim.faults } : {}), ...(sim.commitLog ? { commitLog: sim.commitLog } : {}) });
  // a planned rate limit (--sim-faults) is reported in Claude Code's words, so Claude's reader applies
  return { kind: 'sim', invocation: () => ({ argv }), usage: claudeUsage, rateLimit: claudeRateLimitOf };
}

/** `--until done` in the demo: no lock files on main, every task's tests and the core tests pass. */
export async function demoDone(upstream: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  // While a claim is on main the swarm is not done, whatever the tests say: no test run needed.
  const git = new Git(upstream, env);
  const head = await git.revParse('main');
  if (head && (await claimsAt(git, head)).length > 0) return false;
  const st = await demoStatus(upstream, { env });
  return st.allDone && st.claims.length === 0;
}

export interface DemoStart {
  status: DemoStatus;
}

export async function demoStart(upstream: string, env: NodeJS.ProcessEnv): Promise<DemoStart> {
  return { status: await demoStatus(upstream, { env }) };
}

/** The demo's part of the summary: what the swarm achieved, from git and the session logs. */
export async function demoSummary(upstream: string, env: NodeJS.ProcessEnv, start: DemoStart, events: LoggedEvent[], runId: string, swarmDir: string): Promise<string[]> {
  const end = await demoStatus(upstream, { env });
  const git = new Git(upstream, env);
  const range = `${start.status.commit}..${end.commit}`;
  const commits = Number(await git.must(['rev-list', '--count', range]));
  const trailers = await git.must(['log', '--format=%(trailers:key=Task-Status,valueonly)', range]);
  const doneCommits = trailers.split('\n').filter((l) => l.trim() === 'done').length;
  const { conflicts } = countFromLogs(swarmDir, events.filter((e) => e.type === 'session_start' && e.run === runId), simConflicts);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `demo: tasks done ${end.tasksDone}/${end.tasksTotal} (${doneCommits} done commits this run), ${commits} commits landed, ${conflicts} merge conflicts resolved`,
    `demo: pass rate ${pct(start.status.passRate)} at start -> ${pct(end.passRate)} at end (${end.testsPassed}/${end.testsTotal} tests)${end.allDone ? '; every task done, suite fully passing' : `; open: ${end.openTasks.slice(0, 8).join(', ')}${end.openTasks.length > 8 ? ', ...' : ''}`}`,
  ];
}

/** The simulator's word for what it merged: `FINISHED <task> in <s> s: <n> conflicts resolved`. */
export function simConflicts(logText: string): number {
  let n = 0;
  for (const m of logText.matchAll(/FINISHED \S+ in [\d.]+ s: (\d+) conflicts? resolved/g)) n += Number(m[1]);
  return n;
}

/** The demo as a run profile (harness/swarm/profile.ts): the only way the core reaches it. */
export const profile: RunProfile<DemoStart> = {
  prepare: (dir) => prepareDemo(dir),
  setAsideFinished: setAsideFinishedDemo,
  agent: simAdapter,
  isDone: demoDone,
  start: demoStart,
  summary: demoSummary,
  fillPass: fillDemoPass,
  conflictsIn: simConflicts,
};
