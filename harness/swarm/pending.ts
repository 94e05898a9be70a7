// The journal of lock removals the supervisor owes (DIR/pending/): a session's claims when
// it ends, a dead run's claims, stale claims. Each is written to disk before the first
// attempt, retried with backoff for as long as the run lives, and finished by the next run
// if this one dies: a release is never dropped. One drainer lands everything pending in one
// push (removeOnce), so a burst of session ends costs one commit, not one race each.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Attempt } from '../git/sync.js';
import type { Removal } from '../tasks/removals.js';

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

export interface DrainerDeps {
  journal: PendingJournal;
  /** one attempt at landing these removals together (removeOnce) */
  attempt: (entries: PendingEntry[]) => Promise<Attempt<Map<string, string[]>>>;
  /** a removal is finished: these tasks left main (none: nothing of it was left) */
  finished: (e: PendingEntry, tasks: string[], latencyMs: number) => void;
  /** an attempt failed for a reason other than losing a race (upstream down, a timeout) */
  failed: (message: string, entries: number) => void;
  now: () => number;
  random?: () => number;
}

/**
 * Retries forever while the run lives: after a lost race a short jittered wait (the next
 * attempt should come while the winner's push is fresh), after an error an exponential wait
 * to 15 s, so an upstream that comes back is noticed within seconds.
 */
export class Drainer {
  private closed = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private current: Promise<unknown> | null = null;
  lastError: string | null = null;
  attempts = 0;

  constructor(private readonly d: DrainerDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Something was journaled: try now rather than after the current wait. */
  kick(): void {
    this.wakeUp?.();
  }

  pending(): number {
    return this.d.journal.list().length;
  }

  /**
   * At the end of a run: keeps trying until nothing is pending or `ms` have passed, then
   * stops; what is left stays journaled for the next run. Never waits on a hung attempt
   * longer than `ms`. Resolves with the number left.
   */
  async close(ms: number): Promise<number> {
    const deadline = this.d.now() + ms;
    while (this.pending() > 0 && this.d.now() < deadline && this.loop) {
      this.kick();
      await Promise.race([this.settled(), sleep(Math.min(200, Math.max(0, deadline - this.d.now())))]);
    }
    this.closed = true;
    this.kick();
    if (this.current) await Promise.race([this.current.catch(() => {}), sleep(Math.max(0, deadline - this.d.now()))]);
    return this.pending();
  }

  private settled(): Promise<unknown> {
    return this.current ? this.current.catch(() => {}) : sleep(50);
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      this.wakeUp = () => (clearTimeout(t), r());
    }).finally(() => (this.wakeUp = null));
  }

  private async run(): Promise<void> {
    const random = this.d.random ?? Math.random;
    let lost = 0;
    let errors = 0;
    while (!this.closed) {
      const batch = this.d.journal.list();
      if (batch.length === 0) {
        await this.wait(60_000);
        continue;
      }
      this.attempts++;
      try {
        const p = this.d.attempt(batch);
        this.current = p;
        const a = await p;
        if (a.kind === 'stale') {
          lost++;
          await this.wait(Math.floor(random() * Math.min(1000, 25 * 2 ** Math.min(lost, 6))));
          continue;
        }
        lost = 0;
        errors = 0;
        this.lastError = null;
        for (const e of batch) {
          this.d.journal.remove(e.id);
          this.d.finished(e, a.value.get(e.id) ?? [], this.d.now() - Date.parse(e.since));
        }
      } catch (e) {
        errors++;
        const msg = (e as Error).message;
        if (msg !== this.lastError) this.d.failed(msg, batch.length);
        this.lastError = msg;
        await this.wait(Math.min(15_000, 250 * 2 ** Math.min(errors, 6)));
      } finally {
        this.current = null;
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
