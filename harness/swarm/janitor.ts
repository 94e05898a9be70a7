// The janitor: nothing a session leaves behind is lost or left in the way. Before a session
// it kills a dead run's leftovers, saves unsaved work to the journal (pending/) and resets
// the workspace to upstream main; it journals the claims of ended sessions and of dead runs;
// the drainer lands the journal on upstream, retrying until it does.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readEvents } from '../events/log.js';
import { EnvError } from '../kit/errors.js';
import type { Git } from '../kit/git.js';
import { holdRef, PendingJournal, type PendingEntry, type WipEntry } from '../tasks/journal.js';
import { removeOnce } from '../tasks/ops.js';
import type { RemovalTarget } from '../tasks/removals.js';
import type { RunBus } from './bus.js';
import { killOrphan, removeOrphanContainer } from './orphans.js';
import { Drainer } from './pending.js';
import { DEAD_RUN } from './reaper.js';
import { containerFile, newSlot, pidFile, verifyPidFile, wsCtx, type LockGit, type Slot, type SupervisorDeps } from './run-deps.js';
import { followUpstream, pushWip, refreshToMain, resetToMain, salvage } from './workspace.js';

type Deps = Pick<SupervisorDeps, 'config' | 'upstream' | 'env' | 'now' | 'runId' | 'hostname' | 'events'>;

/** Kills every session a dead supervisor left running; before any salvage or reaping, so none still writes or pushes. */
export async function killOrphans(d: Deps, bus: RunBus): Promise<void> {
  const dir = path.join(d.config.dir, 'agents');
  const agents = existsSync(dir) ? readdirSync(dir) : [];
  const killed = await Promise.all([...agents.map((agent) => pidFile({ ws: wsCtx(d, agent) })), verifyPidFile(d.config.dir)].map((f) => killOrphan(f)));
  if (killed.includes(false)) bus.note('a session left by the previous run would not die (kill -9 failed); its record is kept and tried again');
}

export class Janitor {
  readonly journal: PendingJournal;
  private drainer: Drainer | null = null;
  /** wip pushes this run landed: salvage must know them as well as the pending ones */
  private readonly landedWips: WipEntry[] = [];

  constructor(
    private readonly d: Deps,
    private readonly bus: RunBus,
    /** the supervisor's own clone: wip commits are held there until pushed */
    private readonly hold: Git,
    private readonly lock: LockGit,
  ) {
    this.journal = new PendingJournal(path.join(d.config.dir, 'pending'));
  }

  /** Journals a removal, then lets the drainer land it (with whatever else is pending). */
  owe(status: 'abandoned' | 'reaped', targets: RemovalTarget[], reason: string): void {
    this.journal.add({ status, targets, reason, since: this.d.now().toISOString(), run: this.d.runId });
    this.drainer?.kick();
  }

  /**
   * Runs of this folder that started and never ended are dead (this run holds the folder's
   * lock): their claims go, found by their `Run:` header wherever they were made.
   */
  journalDeadRuns(): void {
    const evs = readEvents(this.d.events.file);
    const ended = new Set(evs.filter((e) => e.type === 'run_end').map((e) => e.run));
    const owed = new Set(this.journal.list().flatMap((e) => e.targets.filter((t) => t.kind === 'run').map((t) => (t as { run: string }).run)));
    const dead = [...new Set(evs.filter((e) => e.type === 'run_start' && e.run !== this.d.runId).map((e) => e.run))].filter((r) => !ended.has(r) && !owed.has(r));
    for (const run of dead) this.owe('reaped', [{ kind: 'run', run }], `Run ${run} of this swarm folder died; its claims are reaped by run ${this.d.runId}.`);
  }

  startDrainer(): void {
    const lg = this.lock;
    const me = { agent: 'harness', session: null, host: this.d.hostname, run: this.d.runId };
    this.drainer = new Drainer({
      journal: this.journal,
      now: () => this.d.now().getTime(),
      attempt: (entries) => removeOnce({ git: lg.git, upstream: { remote: 'origin', branch: 'main' }, me }, entries, lg.inPlace),
      finished: (e, tasks, latencyMs, tries) => this.removed(e, tasks, latencyMs, tries),
      failed: (msg, n) => this.bus.note(`${n} pending push${n > 1 ? 'es' : ''} to upstream not landed yet (${msg}); retrying`),
      pushWip: async (w) => {
        const ref = await pushWip(this.hold, w.agent, w.session, w.commit);
        await this.hold.run(['update-ref', '-d', holdRef(w.commit)]);
        return ref;
      },
      wipLanded: (w, ref, latencyMs) => {
        this.landedWips.push(w);
        if (this.landedWips.length > 200) this.landedWips.shift();
        this.bus.emit({ type: 'wip_saved', run: this.d.runId, agent: w.agent, session: w.session, ref, commit: w.commit, files: w.files, commits: w.unpushedCommits, latencyMs });
      },
    });
    this.drainer.start();
  }

  /** At the end of the run: lands what it can within `ms`; resolves with the number left for the next run. */
  closeDrainer(ms: number): Promise<number> {
    return this.drainer!.close(ms);
  }

  private removed(e: PendingEntry, tasks: string[], latencyMs: number, attempts: number): void {
    if (tasks.length === 0) return;
    const t = e.targets[0]!;
    if (e.status === 'abandoned' && t.kind === 'session') this.bus.emit({ type: 'claims_released', run: this.d.runId, agent: t.agent, session: t.session, tasks, latencyMs, attempts });
    else {
      const why = t.kind === 'run' ? 'takeover' : e.reason.startsWith(DEAD_RUN) ? 'heartbeat' : 'ttl';
      this.bus.emit({ type: 'claims_reaped', run: this.d.runId, tasks, why, latencyMs, attempts });
    }
  }

  /** Every workspace of this folder, including slots beyond today's --agents. */
  async salvageAll(): Promise<void> {
    const dir = path.join(this.d.config.dir, 'agents');
    mkdirSync(dir, { recursive: true });
    for (const agent of readdirSync(dir)) {
      const slot = newSlot(this.d, agent, null);
      if (!existsSync(path.join(slot.ws.paths.stateDir, 'git-config'))) continue;
      await this.afterSession(slot).catch(() => {}); // reported; the slot retries before its next session
    }
  }

  /** Saves leftover work and resets to main (the ended session's claims are already owed, in pending/); true when work was saved. */
  async afterSession(slot: Slot): Promise<boolean> {
    if (!existsSync(path.join(slot.ws.paths.dir, '.git'))) return false;
    const { saved } = await this.cleanSlot(slot);
    slot.cleaned = true;
    return saved;
  }

  /** Saves leftover work to a wip branch, then resets to upstream main; returns the new HEAD. */
  async cleanSlot(slot: Slot): Promise<{ head: string; saved: boolean }> {
    if (!(await killOrphan(pidFile(slot)))) throw new EnvError('ORPHAN_ALIVE', `${slot.agent}: a session of a previous run would not die; its workspace is left as it is until it does`);
    const gone = await removeOrphanContainer(containerFile(slot), this.d.env).catch((e: Error) => {
      this.bus.note(`${slot.agent}: could not remove the container of a dead run: ${e.message}`);
      return null;
    });
    if (gone) this.bus.emit({ type: 'orphan_removed', run: this.d.runId, agent: slot.agent, container: gone });
    try {
      // Saved and reset after its last session: all that is left is to catch up with main.
      if (slot.cleaned) return { head: await refreshToMain(slot.ws), saved: false };
      await followUpstream(slot.ws);
      // Kept in the supervisor's clone and journaled before the reset; the drainer pushes it to upstream.
      const saved = await salvage(slot.ws, {
        repo: this.hold.dir,
        // Pending, or landed by this run's drainer meanwhile (a takeover's drainer can push a
        // dead run's journaled wip before the salvage of that workspace gets there).
        known: (session, tree, parents) => [...this.journal.wips(), ...this.landedWips].find((w) => w.agent === slot.agent && w.session === session && w.tree === tree && w.parents.join() === parents.join())?.commit ?? null,
      });
      if (saved && !saved.known) {
        const { commit, tree, parents, files, unpushedCommits, session } = saved;
        this.journal.addWip({ agent: slot.agent, session, commit, tree, parents, files, unpushedCommits, since: this.d.now().toISOString(), run: this.d.runId });
        this.drainer?.kick();
      }
      return { head: await resetToMain(slot.ws), saved: saved !== null };
    } catch (e) {
      this.bus.emit({ type: 'wip_error', run: this.d.runId, agent: slot.agent, error: (e as Error).message });
      throw e; // never start a session over work that is not saved
    }
  }
}
