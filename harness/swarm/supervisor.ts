// The supervisor: N agent slots, each running sessions back to back until the run stops.
// This file is the run's lifecycle: it sets the stages up in order (orphans killed, clones,
// journal, salvage, timers), runs the slots, and takes everything down; stop() and fail()
// are how anything ends it. The stages: slot-loop (with its pure slot-next), launch,
// janitor (salvage, release), reaper, clock (until, stall, heartbeat); the printer hears
// everything through the bus.
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { removeDeadRefLock } from '../git/sync.js';
import { Git } from '../kit/git.js';
import { newTally } from './budget.js';
import { RunBus } from './bus.js';
import { armStall, armUntil, beatEvery, every } from './clock.js';
import { isUrl } from './config.js';
import type { FullSuiteRun } from './done.js';
import { Heartbeat, STALE_BEATS } from './heartbeat.js';
import { Janitor, killOrphans } from './janitor.js';
import { launch } from './launch.js';
import { agentId } from './numbering.js';
import { recordProcess } from './orphans.js';
import { printEvents } from './printer.js';
import { Reaper } from './reaper.js';
import { roleOfSlot } from './roles.js';
import { newSlot, verifyPidFile, wsCtx, type LockGit, type RunFlags, type Slot, type StopMode, type StopReason, type SupervisorDeps } from './run-deps.js';
import { reapIntervalMs } from './schedule.js';
import { sessionName } from './session.js';
import { runSlot } from './slot-loop.js';
import { FullSuiteRunner } from './verify.js';
import { ensureWorkspace, safeGitEnv } from './workspace.js';

export type { SessionAccess, StopReason, SupervisorDeps } from './run-deps.js';

export class Supervisor {
  private readonly flags: RunFlags = { immediate: false, stopping: false, started: 0, done: false, pausedUntil: 0, tally: newTally(), reason: null, capHit: null };
  private slots: Slot[] = [];
  private verifier: FullSuiteRunner | null = null;
  private stopNow: () => void = () => {};
  private readonly bus: RunBus;
  /** what broke when the run stops on its own fault (a slot threw, the event log cannot be written) */
  failure: string | null = null;
  /** tells this swarm's containers from other swarms' on a shared daemon */
  private readonly swarmTag: string;

  constructor(private readonly d: SupervisorDeps) {
    this.swarmTag = createHash('sha256').update(d.config.dir).digest('hex').slice(0, 8);
    this.bus = new RunBus(d.events);
    this.bus.subscribe(printEvents(d.printer, d.config));
  }

  /** the cap that ended the run (swarm-wide, or the last slot's own) */
  get capHit() {
    return this.flags.capHit;
  }

  /** Runs until stopped; resolves with why it stopped. */
  async run(takeover: boolean): Promise<StopReason> {
    const { d, bus, flags } = this;
    const c = d.config;
    bus.emit({ type: 'run_start', run: d.runId, agents: c.agents, agent: c.agent, sandbox: c.sandbox, upstream: d.upstream, takeover });
    await killOrphans(d, bus); // before anything else: a dead run's sessions must stop writing and pushing
    const hold = await this.supervisorClone();
    // The bare repo this run serves is its own: removals land there in place, under git's
    // own lock on main, and so never lose a race to agents pushing over HTTP (a round of
    // fetch-build-push through the server lost every race with 64 agents pushing).
    const bare = d.servedRepo ?? (this.localUpstream() ? d.upstream : null);
    const lock: LockGit = bare ? { git: new Git(bare, safeGitEnv(d.env)), inPlace: true } : { git: hold, inPlace: false };
    if (bare && removeDeadRefLock(bare, 'main')) bus.note('removed a lock on main left by a process that died holding it');
    const janitor = new Janitor(d, bus, hold, lock);
    janitor.journalDeadRuns();
    janitor.startDrainer();
    await janitor.salvageAll();
    const heartbeat = new Heartbeat(lock.git, lock.inPlace, d.runId, d.hostname, STALE_BEATS * c.heartbeatMs);
    const beats = beatEvery(heartbeat, c.heartbeatMs, d.now, bus);
    const live = () => this.slots.filter((s) => s.session).map((s) => `${s.agent}/${s.session!.id}`);
    const reaper = new Reaper({ lock, runId: d.runId, lockTtlMs: c.lockTtlMs, now: d.now, heartbeat, journal: janitor.journal, owe: (st, t, why) => janitor.owe(st, t, why), live, bus });
    const now = () => d.now().getTime();
    const timers = [
      beats,
      every(reapIntervalMs(c.lockTtlMs), () => void reaper.sweep()),
      armUntil(c.until, now, () => this.stop('graceful', 'until-time')),
      armStall({ afterMs: c.stallAfterMs, action: c.stallAction, read: d.progress, now, bus, runId: d.runId, stopping: () => flags.stopping, onStop: () => this.stop(c.hard ? 'graceful' : 'drain', 'stalled') }),
    ];
    try {
      this.slots = Array.from({ length: c.agents }, (_, i) => newSlot(d, agentId(i + 1), roleOfSlot(c.roles, i)));
      const loop = { d, bus, flags, lock, launch: (s: Slot) => launch({ d, bus, janitor, hold, tally: flags.tally, swarmTag: this.swarmTag, flags }, s), save: (s: Slot) => janitor.afterSession(s), stop: (m: StopMode, r: StopReason) => this.stop(m, r), fullRun: this.fullRun };
      const all = Promise.all(this.slots.map((s) => runSlot(loop, s).catch((e: Error) => this.fail(`${s.agent}: ${e.message}`))));
      await Promise.race([all, new Promise<void>((r) => (this.stopNow = r))]);
      // every slot reached its own cap: the run ends on a budget
      if (!flags.reason && this.slots.every((s) => s.capped)) {
        flags.reason = 'budget';
        flags.capHit ??= this.slots.map((s) => s.capped!).find((h) => !h.cap.startsWith('max-sessions')) ?? this.slots[0]!.capped;
      }
    } finally {
      for (const t of timers) t.cancel();
    }
    if (!flags.immediate) await reaper.current;
    await d.executor?.close?.();
    const left = await janitor.closeDrainer(flags.immediate ? 0 : Math.max(5_000, c.graceMs));
    // Nothing of ours left on main: other runs may forget us. Else our heartbeat goes stale and they reap what is left.
    if (!left) await beats.stopped.then(() => heartbeat.end()).catch(() => {});
    if (left) bus.note(`${left} lock removal${left > 1 ? 's or wip pushes' : ' or wip push'} still pending (${path.join(c.dir, 'pending')}); the next harness run on this folder finishes ${left > 1 ? 'them' : 'it'}`);
    const reason = flags.reason ?? 'stopping';
    bus.emit({ type: 'run_end', run: d.runId, reason: flags.immediate ? 'immediate' : reason, sessions: flags.started });
    return reason;
  }

  /**
   * `drain`: no new sessions, running ones finish on their own (a budget cap without --hard).
   * `graceful` (first Ctrl-C): no new sessions, running ones get the grace period. `now`: kill everything.
   */
  stop(mode: StopMode, reason: StopReason = 'signal'): void {
    this.flags.reason ??= reason;
    this.flags.stopping = true;
    for (const s of this.slots) s.wake?.();
    if (mode === 'drain') return;
    this.verifier?.stop(mode === 'now' ? 0 : this.d.config.graceMs);
    if (mode === 'now') {
      this.flags.immediate = true;
      for (const s of this.slots) void s.session?.stop(0);
      this.stopNow();
      return;
    }
    for (const s of this.slots) void s.session?.stop(this.d.config.graceMs);
  }

  /**
   * A fault of the supervisor itself (a slot threw, events.jsonl cannot be written): the
   * whole run stops as on Ctrl-C (no new sessions, grace for running ones, work saved),
   * and exits 4 naming the cause.
   */
  fail(cause: string): void {
    if (this.failure) return;
    this.failure = cause;
    this.bus.note(`stopping: ${cause}`);
    this.flags.reason = 'failed';
    this.stop('graceful', 'failed');
  }

  /** `--until done` with only samples recorded: the full suite, in the run's sandbox, at main's head. */
  private readonly fullRun: FullSuiteRun = (tools) => {
    const c = this.d.config;
    const pid = verifyPidFile(c.dir);
    this.verifier ??= new FullSuiteRunner({
      sandbox: this.d.sandbox,
      ws: { ...wsCtx(this.d, 'supervisor'), paths: { dir: path.join(c.dir, 'supervisor', 'verify'), stateDir: path.join(c.dir, 'supervisor', 'verify-state') } },
      mounts: this.d.mounts, env: this.d.sessionEnv, limits: c.limits, image: c.image, timeoutMs: c.sessionTimeoutMs, graceMs: c.graceMs,
      logDir: path.join(c.dir, 'supervisor', 'logs'), name: sessionName('supervisor', 'verify', this.swarmTag),
      onPid: (p) => (p === null ? rmSync(pid, { force: true }) : recordProcess(pid, p)),
    });
    return this.verifier.run(tools);
  };

  private localUpstream(): boolean {
    return !isUrl(this.d.upstream) && existsSync(path.join(this.d.upstream, 'HEAD'));
  }

  /** A clone for the supervisor's own lock commits (reaping), out of every sandbox's reach. */
  private async supervisorClone(): Promise<Git> {
    const ws = { ...wsCtx(this.d, 'supervisor'), paths: { dir: path.join(this.d.config.dir, 'supervisor', 'clone'), stateDir: path.join(this.d.config.dir, 'supervisor', 'state') } };
    await ensureWorkspace(ws);
    return new Git(ws.paths.dir, safeGitEnv(this.d.env));
  }
}
