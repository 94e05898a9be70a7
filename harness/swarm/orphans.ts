// Sessions left running by a supervisor that was killed.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sandboxFor } from '../sandbox/index.js';
import type { SandboxKind } from '../sandbox/types.js';
import { defaultDockerHost } from './sandbox.js';
import { groupAlive, processIdentity, procStat, sameProcess, signalGroup, type ProcessIdentity } from '../kit/proc.js';

/** Written when a session starts: what a takeover must kill. */
export function recordProcess(file: string, pid: number): void {
  writeFileSync(file, JSON.stringify(processIdentity(pid)) + '\n');
}

/**
 * A session whose supervisor was kill -9'd keeps running in its own process group. The run
 * that takes over kills it before anything else, and only if it is the same process (pid,
 * start time, boot id: a reused pid is someone else's). The record goes only once the
 * kill is confirmed, so a crash in between leaves it for the next run. Resolves false when
 * the process would not die.
 */
export async function killOrphan(file: string): Promise<boolean> {
  let rec: ProcessIdentity;
  try {
    const text = readFileSync(file, 'utf8').trim();
    rec = /^\d+$/.test(text) ? { pid: Number(text), start: null, boot: null } : (JSON.parse(text) as ProcessIdentity);
  } catch {
    rmSync(file, { force: true }); // none, or torn: nothing to act on
    return true;
  }
  const pid = rec.pid;
  const alive = () => groupAlive(pid);
  if (sameProcess(rec) && alive()) {
    signalGroup(pid, 'SIGKILL');
    for (let i = 0; i < 250 && alive() && !zombie(pid); i++) await new Promise((r) => setTimeout(r, 20));
    if (alive() && !zombie(pid)) return false;
  }
  rmSync(file, { force: true });
  return true;
}

function zombie(pid: number): boolean {
  const f = procStat(pid);
  return !f || f[0] === 'Z';
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
