// Looking around at the start of a session, as an agent would: which tasks the project
// has (tasks.json), which pass right now (the project's tools/status.mjs, every test in
// one process), and which are claimed (current_tasks/ as of the last fetch).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CheckFailedError, UsageError } from '../../harness/kit/errors.js';
import { readJson } from './workspace.js';

const run = promisify(execFile);

export interface ProjectStatus {
  tests: Record<string, { pass: boolean; reason?: string }>;
  tasks: Record<string, boolean>;
  passed: number;
  total: number;
}

export interface View {
  status: ProjectStatus;
  open: string[];
  done: string[];
  claimed: Set<string>;
}

/** `only`: just these tests (a task's own, as an agent checks its work); tasks they do not cover are left out. */
export async function projectStatus(cwd: string, env: NodeJS.ProcessEnv, only?: readonly string[]): Promise<ProjectStatus> {
  if (!existsSync(path.join(cwd, 'tools/status.mjs')) || !existsSync(path.join(cwd, 'tasks.json'))) {
    throw new UsageError('NOT_THE_DEMO', `${cwd} is not a clone of the demo project (no tools/status.mjs or tasks.json); the sim only works on the demo`);
  }
  try {
    const lib = await statusLibrary(cwd);
    if (lib) return lib(cwd, only ?? null);
    const { stdout } = await run(process.execPath, ['tools/status.mjs', '--json', ...(only ? ['--only', ...only] : [])], { cwd, env, timeout: 60_000, maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as ProjectStatus;
  } catch (e) {
    throw new CheckFailedError('STATUS_FAILED', `node tools/status.mjs failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

type StatusFn = (root: string, only: readonly string[] | null) => ProjectStatus;

/**
 * A project whose status tool is also a library (tools/status-lib.mjs, the endurance
 * project's) is asked in this process: a node start per look was the sim's largest cost
 * after its own. The library judges the files on disk at each call (its tests run in a
 * child), so loading it once per session is safe; the demo's status.mjs imports the code
 * under test, which a cached import would keep stale, so it always runs in a child.
 */
async function statusLibrary(cwd: string): Promise<StatusFn | null> {
  const file = path.join(cwd, 'tools/status-lib.mjs');
  if (!existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as { projectStatus?: StatusFn };
  return typeof mod.projectStatus === 'function' ? mod.projectStatus : null;
}

export function claimsOnDisk(cwd: string): Set<string> {
  const dir = path.join(cwd, 'current_tasks');
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4)));
}

export async function look(cwd: string, env: NodeJS.ProcessEnv): Promise<View> {
  const names = readJson<{ tasks: { name: string }[] }>(path.join(cwd, 'tasks.json')).tasks.map((t) => t.name);
  const status = await projectStatus(cwd, env);
  return {
    status,
    open: names.filter((t) => status.tasks[t] !== true),
    done: names.filter((t) => status.tasks[t] === true),
    claimed: claimsOnDisk(cwd),
  };
}
