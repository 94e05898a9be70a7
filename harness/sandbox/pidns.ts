// A session in its own PID namespace is stopped from outside: the agent may have left its
// process group (setsid, daemons), but it cannot leave the namespace, and when the
// namespace's init dies the kernel kills every process in it.
import { readdirSync, readlinkSync } from 'node:fs';

/** The namespace a process lives in, as `pid:[inode]`, or undefined when it is gone. */
export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Host pids of the processes whose own namespace is `ns` (members of namespaces nested in it are not listed; they die with it). */
export function membersOf(ns: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (pidNamespaceOf(Number(name)) === ns) pids.push(Number(name));
  }
  return pids;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
