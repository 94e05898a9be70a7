// The journal of lock removals the supervisor owes (DIR/pending/): a session's claims when
// it ends, a dead run's claims, stale claims. Each is written to disk before the first
// attempt and removed only once it landed, so a crash loses none: the next run finishes it.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Removal } from './removals.js';

export interface PendingEntry extends Removal {
  /** when it became owed (a session's end), ISO: latency is measured from here */
  since: string;
  /** the run that journaled it */
  run: string;
}

export class PendingJournal {
  private n = 0;
  constructor(readonly dir: string) {}

  /** Journals a removal; it is on disk before this returns. */
  add(e: Omit<PendingEntry, 'id'>): PendingEntry {
    mkdirSync(this.dir, { recursive: true });
    const id = `${e.since.replace(/[-:.]/g, '')}-${process.pid}-${++this.n}`;
    const entry = { ...e, id };
    const tmp = path.join(this.dir, `.${id}.tmp`);
    writeFileSync(tmp, JSON.stringify(entry) + '\n');
    renameSync(tmp, path.join(this.dir, `${id}.json`)); // never a torn entry
    return entry;
  }

  list(): PendingEntry[] {
    return readPending(this.dir);
  }

  remove(id: string): void {
    rmSync(path.join(this.dir, `${id}.json`), { force: true });
  }
}

export function readPending(dir: string): PendingEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
  const out: PendingEntry[] = [];
  for (const n of names.sort()) {
    try {
      const e = JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as PendingEntry;
      if (e && typeof e.id === 'string' && Array.isArray(e.targets)) out.push(e);
    } catch {
      /* removed while we read it */
    }
  }
  return out;
}

/** For `harness status`: how many removals are owed and since when. */
export function pendingSummary(dir: string, now: number): { count: number; oldestMs: number | null } {
  const all = readPending(dir);
  const oldest = Math.min(...all.map((e) => Date.parse(e.since)).filter(Number.isFinite));
  return { count: all.length, oldestMs: all.length && Number.isFinite(oldest) ? Math.max(0, now - oldest) : null };
}
