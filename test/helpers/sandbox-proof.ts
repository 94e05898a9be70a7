// What a sandboxed session proves about where it ran, written into the work it lands and
// checked on the host: its pid namespace's init, a file planted on the host outside its
// workspace (readable there, unseen inside), a port of the host (reachable there, blocked
// inside). Shared by the remote-executor sandbox tests (ssh, Slurm).
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** A node one-liner printing `reached` or `blocked` for 127.0.0.1:port. */
export const reach = (port: number) => `const s=require("net").connect(${port},"127.0.0.1");s.on("connect",()=>{console.log("reached");process.exit(0)});s.on("error",()=>{console.log("blocked");process.exit(0)})`;

/** The shell tail of a work line: the user, pid 1's name, the process count, the planted file, the port. */
export const probeTail = (planted: string, hostPort: number) =>
  `as $(id -un) pid1=$(cat /proc/1/comm) procs=$(ls -d /proc/[0-9]* | wc -l) planted=$(cat ${planted} 2>/dev/null || echo unseen) net=$(node -e '${reach(hostPort)}')`;

/**
 * Plants a world-readable file in `root` and checks the controls: outside a sandbox, `user`
 * (the one the sessions run as) reads it and reaches `hostPort`, so only the sandbox can hide them.
 */
export function plantFile(root: string, user: string, hostPort: number): string {
  const planted = path.join(root, 'planted.txt');
  writeFileSync(planted, 'PLANTED-ON-THE-HOST\n', { mode: 0o644 });
  chmodSync(planted, 0o644);
  const as = (argv: string[]) => execFileSync('runuser', ['-u', user, '--', ...argv], { encoding: 'utf8' });
  expect(as(['cat', planted])).toContain('PLANTED-ON-THE-HOST');
  expect(as(['node', '-e', reach(hostPort)]).trim()).toBe('reached');
  return planted;
}

/** Every landed work text says: its own pid namespace with `init` as pid 1, the planted file unseen, the host's port unreachable. */
export function expectIsolated(work: Map<string, string>, init: RegExp, atLeast: number) {
  expect(work.size).toBeGreaterThanOrEqual(atLeast);
  const hostInit = readFileSync('/proc/1/comm', 'utf8').trim();
  for (const [f, text] of work) {
    expect(text, f).toMatch(init);
    expect(text, f).not.toContain(`pid1=${hostInit} `);
    expect(Number(/procs=(\d+)/.exec(text)![1]), f).toBeLessThan(20); // the host has hundreds
    expect(text, f).toContain('planted=unseen');
    expect(text, f).toContain('net=blocked');
  }
}
