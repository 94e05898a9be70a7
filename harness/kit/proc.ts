// Processes by id: is one alive, is a group, signal a group. Every caller that asks these
// questions asks them here, so "alive" means the same thing to the run lock, status,
// takeover and the sandboxes.
import { readdirSync, readFileSync } from 'node:fs';

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether group `pgid` has a member that is not a zombie. Zombies count as gone: a child
 * orphaned to an init that does not reap (as in some VMs and containers) stays one forever.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false; // the common case, answered without reading /proc
  }
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      /* gone meanwhile */
    }
  }
  return false;
}

/** Sends `sig` to every process of group `pgid`; a group already gone is no error. */
export function signalGroup(pgid: number | undefined, sig: NodeJS.Signals): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * A spawn that failed for a reason of the moment: the machine out of processes (EAGAIN),
 * memory or file handles, or the program being rewritten as it started (ETXTBSY: an agent
 * CLI upgraded mid-run). Such a failure is the session's, retried after a backoff; before,
 * it reached the supervisor as a bug and stopped a whole unattended run.
 */
const TRANSIENT_SPAWN_CODES: ReadonlySet<string> = new Set(['EAGAIN', 'ENOMEM', 'EMFILE', 'ENFILE', 'ETXTBSY']);

export function transientSpawnFailure(e: unknown): { code: string; message: string } | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && TRANSIENT_SPAWN_CODES.has(code) ? { code, message: (e as Error).message } : null;
}
