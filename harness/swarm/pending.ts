// The drainer of the pending journal (tasks/journal.ts): retried with backoff for as long
// as the run lives, and what is left is finished by the next run, so a release or a wip
// push is never dropped. It lands every pending removal in one push (removeOnce), so a
// burst of session ends costs one commit, not one lost race each; wip pushes go to refs of
// their own and never race, and one that fails never holds up the removals.
import type { Attempt } from '../git/sync.js';
import type { PendingEntry, PendingJournal, WipEntry } from '../tasks/journal.js';

export interface DrainerDeps {
  journal: PendingJournal;
  /** one attempt at landing these removals together (removeOnce) */
  attempt: (entries: PendingEntry[]) => Promise<Attempt<Map<string, string[]>>>;
  /** a removal is finished: these tasks left main (none: nothing of it was left) */
  finished: (e: PendingEntry, tasks: string[], latencyMs: number, tries: number) => void;
  /** an attempt failed for a reason other than losing a race (upstream down, a timeout) */
  failed: (message: string, entries: number) => void;
  /** pushes one wip commit to upstream; resolves with the ref it landed on */
  pushWip?: (e: WipEntry) => Promise<string>;
  /** a wip push landed */
  wipLanded?: (e: WipEntry, ref: string, latencyMs: number) => void;
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
    return this.d.journal.list().length + (this.d.pushWip ? this.d.journal.wips().length : 0);
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
    let tries = 0;
    while (!this.closed) {
      const batch = this.d.journal.list();
      const wips = this.d.pushWip ? this.d.journal.wips() : [];
      if (batch.length === 0 && wips.length === 0) {
        await this.wait(60_000);
        continue;
      }
      let failure: { msg: string; n: number } | null = null;
      let raced = false;
      if (batch.length) {
        this.attempts++;
        tries++;
        try {
          const a = await this.track(this.d.attempt(batch));
          if (a.kind === 'stale') {
            lost++;
            raced = true;
          } else {
            lost = 0;
            for (const e of batch) {
              this.d.journal.remove(e.id);
              this.d.finished(e, a.value.get(e.id) ?? [], this.d.now() - Date.parse(e.since), tries);
            }
            tries = 0;
          }
        } catch (e) {
          failure = { msg: (e as Error).message, n: batch.length };
        }
      }
      for (const w of wips) {
        if (this.closed) break;
        try {
          const ref = await this.track(this.d.pushWip!(w));
          this.d.journal.remove(w.id);
          this.d.wipLanded?.(w, ref, this.d.now() - Date.parse(w.since));
        } catch (e) {
          failure ??= { msg: (e as Error).message, n: wips.length };
        }
      }
      if (failure) {
        errors++;
        if (failure.msg !== this.lastError) this.d.failed(failure.msg, failure.n);
        this.lastError = failure.msg;
        await this.wait(Math.min(15_000, 250 * 2 ** Math.min(errors, 6)));
        continue;
      }
      errors = 0;
      this.lastError = null;
      // The winner's push just landed, so the next window is likely free: retry at once, lightly jittered.
      if (raced) await this.wait(Math.floor(random() * Math.min(200, 10 * 2 ** Math.min(lost, 5))));
    }
  }

  /** Keeps the attempt in flight visible to close(), which never waits on a hung one past its deadline. */
  private async track<T>(p: Promise<T>): Promise<T> {
    this.current = p;
    try {
      return await p;
    } finally {
      this.current = null;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
