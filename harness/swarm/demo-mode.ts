// The embedded demo: simulated agents (`sim`) on a small generated project, so that
// `harness --agents 16` shows a real swarm on a machine with nothing configured.
//
// The simulator and the demo project are written on branch `demo`:
//   harness/agents/sim/index.ts  simAgentArgv({ crash, regress, thinkMs, bank }): string[]
//   demo/index.ts                prepareDemo(dir): Promise<{ project, bank, tasks }>
// Until that branch is merged they are loaded by path at run time, and a clear error says
// they are missing. After the merge the lead can replace `load` with static imports.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { claudeUsage } from '../agents/claude.js';
import type { AgentAdapter } from '../agents/types.js';
import { EnvError } from '../errors.js';
import type { Git } from '../git/git.js';
import { PACKAGE_ROOT } from '../paths.js';
import { readClaims } from '../tasks/read.js';
import type { RunConfig } from './config.js';

export interface DemoProject {
  project: string;
  bank: string;
  tasks: string[];
}

async function load<T>(rel: string): Promise<T> {
  const file = ['.ts', '.js'].map((x) => path.join(PACKAGE_ROOT, rel + x)).find((f) => existsSync(f));
  if (!file) throw new EnvError('DEMO_MISSING', `the demo's ${rel} is not in this build; pass --agent claude|codex|cmd and a project (--from PATH), or update the harness`);
  return (await import(file)) as T;
}

/** Writes the demo project (to seed the upstream) and the simulator's solution bank under `dir`. */
export async function prepareDemoProject(dir: string): Promise<DemoProject> {
  const mod = await load<{ prepareDemo: (d: string) => Promise<DemoProject> }>('demo/index');
  return mod.prepareDemo(dir);
}

/** `--agent sim`: one simulated session per sandbox; it reads HARNESS_* from its environment. */
export async function simAdapter(sim: RunConfig['sim'], bank: string): Promise<AgentAdapter> {
  const mod = await load<{ simAgentArgv: (o: { crash: number; regress: number; thinkMs: number; bank: string }) => string[] }>('harness/agents/sim/index');
  const argv = mod.simAgentArgv({ crash: sim.crash, regress: sim.regress, thinkMs: sim.thinkMs, bank });
  // The simulator may print claude-style `result` events; when it does, they count.
  return { kind: 'sim', invocation: () => ({ argv }), usage: claudeUsage };
}

/** `--until done` in the demo: no lock files on main, and every demo task finished (a `Task-Status: done` commit). */
export async function demoDone(git: Git, tasks: string[]): Promise<boolean> {
  const f = await git.run(['fetch', '--no-tags', '--verbose', 'origin', '+refs/heads/main:refs/remotes/origin/main']);
  if (f.code !== 0) return false;
  if ((await readClaims(git, 'refs/remotes/origin/main')).length > 0) return false;
  const log = await git.must(['log', '--format=%(trailers:key=Task,valueonly)%x00%(trailers:key=Task-Status,valueonly)%x01', 'refs/remotes/origin/main']);
  const finished = new Set<string>();
  for (const rec of log.split('\x01')) {
    const [t, st] = rec.split('\x00');
    if (st?.trim().split('\n').includes('done')) t?.trim().split('\n').forEach((x) => finished.add(x.trim()));
  }
  return tasks.every((t) => finished.has(t));
}
