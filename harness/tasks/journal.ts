// The journal of what the supervisor owes the upstream (DIR/pending/): lock removals (a
// session's claims when it ends, a dead run's claims, stale claims) and wip pushes (an
// ended session's leftover work, held meanwhile in the supervisor's own clone). Each is
// written to disk before the first attempt and removed only once it landed, so a crash
// loses none: the next run finishes it.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Removal } from './removals.js';

export interface PendingEntry extends Removal {
  /** when it became owed (a session's end), ISO: latency is measured from here */
  since: string;
  /** the run that journaled it */
  run: string;
}

/** Leftover work of an ended session, to push to wip/<agent>/<session> on upstream. */
export interface WipEntry {
  id: string;
  kind: 'wip';
  agent: string;
  session: string;
  /** the wip commit, held in the supervisor's clone under holdRef(commit) until it lands */
  commit: string;
  /** its tree and parents: the same work salvaged again (the reset failed) is not journaled twice */
  tree: string;
  parents: string[];
  /** what it saved, for the event and the printed line */
  files: number;
  unpushedCommits: number;
  /** when the work was saved, ISO */
  since: string;
  run: string;
}

/**
 * Leftover work on a remote host (ssh, Slurm) whose push to wip/ failed. It stays in that
 * host's workspace, which is never reset before it lands, and the slot's next session
 * pushes it; journaled so `harness status` shows it. One per slot: the first failure's time.
 */
export interface RemoteWipEntry {
  id: string;
  kind: 'remote-wip';
  agent: string;
  error: string;
  since: string;
  run: string;
}

/** Where a pending wip commit is kept, in the supervisor's clone: out of every sandbox's reach. */
export function holdRef(commit: string): string {
  return `refs/harness/wip/${commit}`;
}

export class PendingJournal {
  private n = 0;
  constructor(readonly dir: string) {}

  /** Journals a removal; it is on disk before this returns. */
  add(e: Omit<PendingEntry, 'id'>): PendingEntry {
    return this.write({ ...e, id: this.newId(e.since) });
  }

  addWip(e: Omit<WipEntry, 'id' | 'kind'>): WipEntry {
    return this.write({ ...e, kind: 'wip' as const, id: this.newId(e.since) });
  }

  /** A remote slot could not push its leftover work: owed until its host reports it saved. */
  owesRemote(e: Omit<RemoteWipEntry, 'id' | 'kind'>): RemoteWipEntry {
    const id = remoteId(e.agent);
    const earlier = readRemoteWips(this.dir).find((r) => r.id === id);
    return this.write({ ...e, since: earlier?.since ?? e.since, kind: 'remote-wip' as const, id });
  }

  /** The slot's host saved its workspace (pushed the work, or found nothing to push). */
  settledRemote(agent: string): void {
    this.remove(remoteId(agent));
  }

  private newId(since: string): string {
    return `${since.replace(/[-:.]/g, '')}-${process.pid}-${++this.n}`;
  }

  private write<T extends { id: string }>(entry: T): T {
    mkdirSync(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${entry.id}.tmp`);
    writeFileSync(tmp, JSON.stringify(entry) + '\n');
    renameSync(tmp, path.join(this.dir, `${entry.id}.json`)); // never a torn entry
    return entry;
  }

  /** The lock removals owed. */
  list(): PendingEntry[] {
    return readPending(this.dir);
  }

  /** The wip pushes owed. */
  wips(): WipEntry[] {
    return readWips(this.dir);
  }

  remove(id: string): void {
    rmSync(path.join(this.dir, `${id}.json`), { force: true });
  }
}

function readAll(dir: string): unknown[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const n of names.sort()) {
    try {
      out.push(JSON.parse(readFileSync(path.join(dir, n), 'utf8')));
    } catch {
      /* removed while we read it */
    }
  }
  return out;
}

export function readPending(dir: string): PendingEntry[] {
  return readAll(dir).filter((e): e is PendingEntry => !!e && typeof (e as PendingEntry).id === 'string' && Array.isArray((e as PendingEntry).targets));
}

export function readWips(dir: string): WipEntry[] {
  return readAll(dir).filter((e): e is WipEntry => !!e && (e as WipEntry).kind === 'wip' && typeof (e as WipEntry).id === 'string' && /^[0-9a-f]{40,64}$/.test(String((e as WipEntry).commit)));
}

export function readRemoteWips(dir: string): RemoteWipEntry[] {
  return readAll(dir).filter((e): e is RemoteWipEntry => !!e && (e as RemoteWipEntry).kind === 'remote-wip' && typeof (e as RemoteWipEntry).agent === 'string');
}

const remoteId = (agent: string) => `remote-wip-${agent.replace(/[^A-Za-z0-9._-]/g, '_')}`;

export interface PendingSummary {
  /** lock removals owed, and the oldest's age */
  count: number;
  oldestMs: number | null;
  /** wip pushes owed, and the oldest's age */
  wips: number;
  wipOldestMs: number | null;
  /** remote slots whose leftover work could not be pushed yet (it waits in their host's workspace) */
  remoteWips?: number;
  remoteWipOldestMs?: number | null;
}

/** For `harness status`: how many removals and wip pushes are owed and since when. */
export function pendingSummary(dir: string, now: number): PendingSummary {
  const age = (all: { since: string }[]) => {
    const oldest = Math.min(...all.map((e) => Date.parse(e.since)).filter(Number.isFinite));
    return all.length && Number.isFinite(oldest) ? Math.max(0, now - oldest) : null;
  };
  const removals = readPending(dir);
  const wips = readWips(dir);
  const remote = readRemoteWips(dir);
  return { count: removals.length, oldestMs: age(removals), wips: wips.length, wipOldestMs: age(wips), remoteWips: remote.length, remoteWipOldestMs: age(remote) };
}
