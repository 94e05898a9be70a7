// One supervisor per swarm folder: proper-lockfile on DIR/harness.lock. The file itself
// says who holds it (pid, host, since), for the message a second supervisor prints.
// proper-lockfile only calls a lock stale after its holder stops refreshing it for a while;
// a holder that was kill -9'd on this host is known dead at once, so its lock is taken over
// immediately instead of making the user wait. Dead means its pid is gone or is another
// process now: the line records the holder's start time and boot id too, as a busy machine
// hands a dead supervisor's pid to another process within seconds.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { HeldError } from '../kit/errors.js';
import { pidAlive, processIdentity, sameProcess } from '../kit/proc.js';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  /** the holder's start time and boot id (processIdentity); absent in older lock files */
  start?: string | null;
  boot?: string | null;
}

export interface HeldLock {
  /** the previous holder was found dead and its lock taken over */
  tookOver: LockOwner | null;
  release(): Promise<void>;
}

export async function acquireSwarmLock(file: string, me: LockOwner, onCompromised: (e: Error) => void): Promise<HeldLock> {
  if (!existsSync(file)) writeFileSync(file, '');
  const previous = readOwner(file);
  const opts = { stale: 30_000, update: 10_000, realpath: false, onCompromised };
  let tookOver: LockOwner | null = null;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, opts);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    if (!previous || previous.host !== me.host || alive(previous)) {
      const who = previous ? `pid ${previous.pid} on ${previous.host}, since ${previous.since}` : 'another process';
      throw new HeldError('SWARM_BUSY', `another harness run (${who}) is supervising ${file.replace(/\/harness\.lock$/, '')}; stop it first (Ctrl-C in its terminal, or kill -INT ${previous?.pid ?? '<pid>'}) or use another --dir`);
    }
    rmSync(`${file}.lock`, { recursive: true, force: true });
    release = await lockfile.lock(file, opts);
    tookOver = previous;
  }
  // A previous run that died without unlocking left its owner line: that is a takeover too.
  if (!tookOver && previous && previous.pid !== me.pid) tookOver = previous;
  const { start, boot } = processIdentity(me.pid);
  writeFileSync(file, JSON.stringify({ ...me, start, boot }) + '\n');
  return {
    tookOver,
    release: async () => {
      writeFileSync(file, '');
      await release().catch(() => {});
    },
  };
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

const alive = (o: LockOwner) => pidAlive(o.pid) && sameProcess(o);
