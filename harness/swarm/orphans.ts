// Sessions left running by a supervisor that was killed.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sandboxFor } from '../sandbox/index.js';
import type { SandboxKind } from '../sandbox/types.js';
import { defaultDockerHost } from './sandbox.js';

/**
 * A session whose supervisor was kill -9'd keeps running in its own process group. Before
 * its workspace is saved and reset, the new supervisor ends it, so nothing writes there
 * while it is being saved. (A container outlives its killed client: see the docker sandbox.)
 */
export async function killOrphan(file: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return;
  }
  rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
}

export interface ContainerRecord {
  kind: SandboxKind;
  name: string;
  /** the daemon it runs on (DOCKER_HOST / CONTAINER_HOST), or null: the client's default */
  host: string | null;
}

/** Written when a container session starts, removed when it ends: what a takeover must clean up. */
export function recordContainer(file: string, rec: ContainerRecord): void {
  writeFileSync(file, JSON.stringify(rec) + '\n');
}

/**
 * A container whose supervisor was kill -9'd keeps running after its client is gone (the
 * daemon owns it). Its record names it and its daemon, so the run that takes over removes
 * it before saving the workspace, even when that run uses another sandbox. Resolves with
 * the name of what was removed, or null.
 */
export async function removeOrphanContainer(file: string, env: NodeJS.ProcessEnv, sandbox = sandboxFor): Promise<string | null> {
  let rec: ContainerRecord;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as ContainerRecord;
  } catch {
    rmSync(file, { force: true }); // none, or torn by the crash: nothing we could act on
    return null;
  }
  const sb = sandbox(rec.kind, { host: rec.host ?? defaultDockerHost(rec.kind, env) });
  const removed = (await sb.removeLeftover?.(rec.name)) ?? false;
  rmSync(file, { force: true });
  return removed ? rec.name : null;
}
