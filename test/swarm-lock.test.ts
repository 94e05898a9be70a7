// The swarm folder's run lock against a reused pid: a supervisor that was kill -9'd leaves
// its owner line and its lock, and a busy machine soon hands its pid to another process.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireSwarmLock } from '../harness/swarm/lock.js';
import { processIdentity } from '../harness/kit/proc.js';
import { tempDir } from './helpers/repos.js';

const t = tempDir('swarm-lock-');
const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));
afterAll(() => t.cleanup());

/** A live process to stand in for whatever now holds the dead supervisor's pid. */
function liveProcess(): number {
  const p = spawn('sleep', ['60'], { stdio: 'ignore' });
  stops.push(() => p.kill('SIGKILL'));
  return p.pid!;
}

/** What a kill -9'd supervisor leaves: its owner line, and proper-lockfile's lock, fresh. */
function deadHolder(dir: string, owner: object): string {
  const file = path.join(dir, 'harness.lock');
  writeFileSync(file, JSON.stringify(owner) + '\n');
  mkdirSync(`${file}.lock`);
  return file;
}

const me = (host: string) => ({ pid: process.pid, host, since: new Date().toISOString() });

describe('the swarm run lock', () => {
  it('takes over from a dead holder whose pid another process has since been given', async () => {
    const dir = path.join(t.dir, 'reused');
    mkdirSync(dir);
    const pid = liveProcess();
    const holder = { pid, host: 'h', since: '2026-01-01T00:00:00.000Z', start: '1', boot: processIdentity(pid).boot };
    const lock = await acquireSwarmLock(deadHolder(dir, holder), me('h'), () => {});
    expect(lock.tookOver).toMatchObject({ pid, start: '1' });
    expect(JSON.parse(readFileSync(path.join(dir, 'harness.lock'), 'utf8'))).toMatchObject({ pid: process.pid, start: processIdentity(process.pid).start });
    await lock.release();
  });

  it('still refuses while the recorded holder itself runs, or when an older owner line has no start time', async () => {
    for (const [name, holder] of [
      ['same', (pid: number) => ({ ...processIdentity(pid), host: 'h', since: '2026-01-01T00:00:00.000Z' })],
      ['older', (pid: number) => ({ pid, host: 'h', since: '2026-01-01T00:00:00.000Z' })],
    ] as const) {
      const dir = path.join(t.dir, name);
      mkdirSync(dir);
      const pid = liveProcess();
      await expect(acquireSwarmLock(deadHolder(dir, holder(pid)), me('h'), () => {})).rejects.toThrow(new RegExp(`another harness run \\(pid ${pid} on h`));
    }
  });
});
