// Processes by id: is one alive, is a group, signal a group. Every caller that asks these
// questions asks them here, so "alive" means the same thing to the run lock, status,
// takeover and the sandboxes.
import { readdirSync, readFileSync } from 'node:fs';

/** What identifies a running process beyond its pid, which the kernel reuses. */
export interface ProcessIdentity {
  pid: number;
  /** clock ticks after boot at which it started (/proc/PID/stat field 22) */
  start: string | null;
  /** the kernel's boot id: after a reboot no recorded process can still run */
  boot: string | null;
}

export function processIdentity(pid: number): ProcessIdentity {
  return { pid, start: startTime(pid), boot: bootId() };
}

/**
 * Whether the process running as `rec.pid` now (if any) can be the one recorded: the same
 * boot and start time. A part the record lacks (an older record) is not held against it.
 * A busy machine reuses pids within seconds (pid_max is often 32768).
 */
export function sameProcess(rec: Pick<ProcessIdentity, 'pid'> & Partial<ProcessIdentity>): boolean {
  return Number.isInteger(rec.pid) && rec.pid > 1 && (rec.boot == null || rec.boot === bootId()) && (rec.start == null || rec.start === startTime(rec.pid));
}

/**
 * The fields of /proc/PID/stat after the command name, state first (ppid [1], pgrp [2],
 * start time [19]); null when the process is gone. The name may hold spaces and
 * parentheses, so the fields start after the last ')'.
 */
export function procStat(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function startTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

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
    const f = procStat(name); // null: gone meanwhile
    if (f && Number(f[2]) === pgid && f[0] !== 'Z') return true;
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
