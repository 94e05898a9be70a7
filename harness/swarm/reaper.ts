// The reaper: claims older than the lock TTL whose owner is not a running session, and
// claims of runs whose heartbeat stopped, are journaled for removal (the janitor's drainer
// lands them). One sweep at a time; a failed sweep is reported and the next one tries again.
import { fetchUpstream } from '../git/sync.js';
import { liveMatcher, type Claim } from '../tasks/claims.js';
import type { PendingJournal } from '../tasks/journal.js';
import { readClaims } from '../tasks/read.js';
import type { RemovalTarget } from '../tasks/removals.js';
import type { RunBus } from './bus.js';
import { HEARTBEAT_PREFIX, reapable, type Heartbeat } from './heartbeat.js';
import type { LockGit } from './run-deps.js';

/** How a dead-run reap's reason begins (the commit says why; the event names it). */
export const DEAD_RUN = "Their run's";

export interface ReaperDeps {
  lock: LockGit;
  runId: string;
  lockTtlMs: number;
  now: () => Date;
  /** null: no heartbeats read, the TTL alone judges */
  heartbeat: Heartbeat | null;
  journal: Pick<PendingJournal, 'list'>;
  owe: (status: 'reaped', targets: RemovalTarget[], reason: string) => void;
  /** `agent/session` of every session running now */
  live: () => string[];
  bus: RunBus;
}

export class Reaper {
  private sweeping: Promise<void> | null = null;

  constructor(private readonly d: ReaperDeps) {}

  /** The sweep under way, if any (the run waits for it before it ends). */
  get current(): Promise<void> | null {
    return this.sweeping;
  }

  sweep(): Promise<void> {
    this.sweeping ??= this.once().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async once(): Promise<void> {
    const { lock, heartbeat, now } = this.d;
    try {
      const head = lock.inPlace ? 'refs/heads/main' : await fetchUpstream(lock.git, { remote: 'origin', branch: 'main' });
      // Other runs (other hosts, other folders) are judged by their heartbeat on the upstream, never by host names.
      const runs = heartbeat ? await heartbeat.runs(now().getTime()) : new Map();
      const { ttl, dead } = reapable(await readClaims(lock.git, head), { me: this.d.runId, now: now(), ttlMs: this.d.lockTtlMs, isLive: liveMatcher(this.d.live()), runs });
      const owed = new Set(this.d.journal.list().flatMap((e) => e.targets.map((t) => (t.kind === 'claim' ? t.task : ''))));
      const target = (c: Claim) => ({ kind: 'claim' as const, task: c.task, agent: c.agent, session: c.session, run: c.run });
      const freshTtl = ttl.filter((c) => !owed.has(c.task));
      const freshDead = dead.filter((c) => !owed.has(c.task));
      if (freshTtl.length) this.d.owe('reaped', freshTtl.map(target), `Older than the lock TTL (${Math.round(this.d.lockTtlMs / 1000)}s) with no running owner.`);
      if (freshDead.length) this.d.owe('reaped', freshDead.map(target), `${DEAD_RUN} heartbeat (${HEARTBEAT_PREFIX}<run>) stopped more than ${Math.round(heartbeat!.staleMs / 1000)}s ago: its supervisor is gone.`);
    } catch (e) {
      this.d.bus.note(`looking for stale claims failed: ${(e as Error).message}`);
    }
  }
}
