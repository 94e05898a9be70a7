// The supervisor: N agent slots, each running sessions back to back until the run stops.
// Between sessions a slot saves leftover work, resets its workspace to upstream main and
// releases the claims its last session still held; fast failures back off. A timer reaps
// claims older than the lock TTL whose owner is not a running session.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { AgentAdapter } from '../agents/types.js';
import { EnvError, HarnessError } from '../kit/errors.js';
import { EventLog, type SwarmEvent } from '../events/log.js';
import { Git, GitFailure } from '../kit/git.js';
import { liveMatcher, type Claim } from '../tasks/claims.js';
import { removeOnce } from '../tasks/ops.js';
import { readClaims } from '../tasks/read.js';
import { readMessages } from '../tasks/message-ops.js';
import { promptHeader, unread, type Message } from '../tasks/messages.js';
import { roleOfSlot, type RoleSpec } from './roles.js';
import type { RemovalTarget } from '../tasks/removals.js';
import { fetchUpstream, removeDeadRefLock } from '../git/sync.js';
import { readEvents } from '../events/log.js';
import { isUrl } from './config.js';
import { Drainer } from './pending.js';
import { holdRef, PendingJournal, type PendingEntry } from '../tasks/journal.js';
import type { Forward, Mount, Sandbox } from '../sandbox/types.js';
import type { SessionCredential } from '../serve/service.js';
import { withCost } from '../events/prices.js';
import type { RateLimit } from '../events/log.js';
import { backoffDelay, nextStreak } from './backoff.js';
import { armStallGuard, type Progress } from './stall.js';
import { addStart, addUsage, agentCapHit, newTally, swarmCapHit, type CapHit, type Tally } from './budget.js';
import type { RunConfig } from './config.js';
import { agentId } from './numbering.js';
import { killOrphan, recordContainer, recordProcess, removeOrphanContainer } from './orphans.js';
import type { Printer } from './printer.js';
import { decideNext, reapIntervalMs } from './schedule.js';
import { openSessionLog, Session, sessionName, type SessionResult } from './session.js';
import type { Executor } from '../executors/types.js';
import { remoteSlot } from './remote-slot.js';
import { Heartbeat, HEARTBEAT_PREFIX, reapable, STALE_BEATS } from './heartbeat.js';
import type { FullSuiteRun } from './done.js';
import { FullSuiteRunner } from './verify.js';
import { ensureWorkspace, followUpstream, markSession, pushWip, resetToMain, safeGitEnv, salvage, type WorkspaceCtx } from './workspace.js';

export interface SupervisorDeps {
  config: RunConfig;
  runId: string;
  /** the upstream as clones reach it: DIR/upstream.git or a URL */
  upstream: string;
  /** the bare repo behind `upstream` when this run serves it (DIR/upstream.git), else null */
  servedRepo?: string | null;
  sandbox: Sandbox;
  adapter: AgentAdapter;
  events: EventLog;
  printer: Printer;
  env: NodeJS.ProcessEnv;
  hostname: string;
  now: () => Date;
  /** the session environment, without HARNESS_AGENT/HARNESS_SESSION */
  sessionEnv: Record<string, string>;
  secrets: Record<string, string>;
  mounts: Mount[];
  fallbackPrompt: string;
  /** sessions run as root (the supervisor's uid): agents that care (Claude Code) adapt */
  root: boolean;
  /** for `--until done`: the work is finished (checked after each session); may ask for a full run of the suite */
  isDone?: (runFull: FullSuiteRun) => Promise<boolean>;
  /** the docker/podman daemon sessions run on, recorded so a takeover can remove their containers */
  dockerHost?: string;
  /** for --stall-after: tasks done and pass rate on upstream main */
  progress?: () => Promise<Progress>;
  /** how sessions reach the upstream: a credential per session, the network they get */
  access: SessionAccess;
  /** ssh hosts or Slurm: sessions run there and prepare and save their workspace themselves; null/absent: this machine */
  executor?: Executor | null;
}

export interface SessionAccess {
  /** a credential for one session, revoked when it ends; null: the upstream needs none (a URL of the user's own) */
  issue: ((agent: string, session: string) => SessionCredential) | null;
  network: boolean;
  forwards: Forward[];
  hostsFile: string | null;
  /** before each session: the upstream server answers (restarting it if it died) */
  ensureAlive?: () => Promise<unknown>;
}

interface Slot {
  agent: string;
  ws: WorkspaceCtx;
  streak: number;
  session: Session | null;
  wake: (() => void) | null;
  /** the per-agent cap this slot reached; it starts no more sessions */
  capped: CapHit | null;
  /** sessions in a row that found nothing to do (no commit landed, no claim made) */
  idle?: number;
  /** the slot's standing role (--role), or null */
  role: RoleSpec | null;
}

export type StopReason = 'signal' | 'max-sessions' | 'until-time' | 'done' | 'stopping' | 'error' | 'budget' | 'stalled' | 'failed';

export class Supervisor {
  private stopping = false;
  private immediate = false;
  private started = 0;
  private done = false;
  private reason: StopReason | null = null;
  private slots: Slot[] = [];
  private reaping: Promise<void> | null = null;
  private heartbeat: Heartbeat | null = null;
  private supervisorGit: Git | null = null;
  /** where lock removals land: the bare upstream itself when it is local, else the supervisor's clone */
  private lockGit: { git: Git; inPlace: boolean } | null = null;
  private readonly journal: PendingJournal;
  private drainer: Drainer | null = null;
  private verifier: FullSuiteRunner | null = null;
  private stopNow: () => void = () => {};
  private readonly tally: Tally = newTally();
  /** the cap that ended the run (swarm-wide, or the last slot's own) */
  capHit: CapHit | null = null;
  /** what broke when the run stops on its own fault (a slot threw, the event log cannot be written) */
  failure: string | null = null;
  /** a usage limit is per account, and every slot shares the credentials: nobody starts before this */
  private pausedUntil = 0;

  /** tells this swarm's containers from other swarms' on a shared daemon */
  private readonly swarmTag: string;

  constructor(private readonly d: SupervisorDeps) {
    this.swarmTag = createHash('sha256').update(d.config.dir).digest('hex').slice(0, 8);
    this.journal = new PendingJournal(path.join(d.config.dir, 'pending'));
  }

  private emit(e: SwarmEvent): void {
    this.d.events.append(e);
  }

  private wsCtx(agent: string): WorkspaceCtx {
    const base = path.join(this.d.config.dir, 'agents', agent);
    return { paths: { dir: path.join(base, 'workspace'), stateDir: path.join(base, 'state') }, upstream: this.d.upstream, env: this.d.env, agent, now: this.d.now };
  }

  /** Runs until stopped; resolves with why it stopped. */
  async run(takeover: boolean): Promise<StopReason> {
    const c = this.d.config;
    this.emit({ type: 'run_start', run: this.d.runId, agents: c.agents, agent: c.agent, sandbox: c.sandbox, upstream: this.d.upstream, takeover });
    await this.killOrphans(); // before anything else: a dead run's sessions must stop writing and pushing
    this.supervisorGit = await this.supervisorClone();
    // The bare repo this run serves is its own: removals land there in place, under git's
    // own lock on main, and so never lose a race to agents pushing over HTTP (a round of
    // fetch-build-push through the server lost every race with 64 agents pushing).
    const bare = this.d.servedRepo ?? (this.localUpstream() ? this.d.upstream : null);
    this.lockGit = bare ? { git: new Git(bare, safeGitEnv(this.d.env)), inPlace: true } : { git: this.supervisorGit, inPlace: false };
    if (bare && removeDeadRefLock(bare, 'main')) this.d.printer.line('removed a lock on main left by a process that died holding it');
    this.journalDeadRuns();
    this.startDrainer();
    await this.salvageAll();
    const beats = this.startHeartbeat();
    const timer = setInterval(() => void this.reapStale(), reapIntervalMs(c.lockTtlMs));
    const untilTimer = this.armUntil();
    const stallTimer = this.armStall();
    try {
      this.slots = Array.from({ length: c.agents }, (_, i) => ({ agent: agentId(i + 1), ws: this.wsCtx(agentId(i + 1)), streak: 0, session: null, wake: null, capped: null, role: roleOfSlot(c.roles, i) }));
      const all = Promise.all(this.slots.map((s) => this.slotLoop(s).catch((e: Error) => this.fail(`${s.agent}: ${e.message}`))));
      await Promise.race([all, new Promise<void>((r) => (this.stopNow = r))]);
      // every slot reached its own cap: the run ends on a budget
      if (!this.reason && this.slots.every((s) => s.capped)) {
        this.reason = 'budget';
        this.capHit ??= this.slots.map((s) => s.capped!).find((h) => !h.cap.startsWith('max-sessions')) ?? this.slots[0]!.capped;
      }
    } finally {
      clearInterval(timer);
      beats.cancel();
      untilTimer.cancel();
      stallTimer.cancel();
    }
    if (!this.immediate) await this.reaping;
    await this.d.executor?.close?.();
    const left = await this.drainer!.close(this.immediate ? 0 : Math.max(5_000, c.graceMs));
    // Nothing of ours left on main: other runs may forget us. Else our heartbeat goes stale and they reap what is left.
    if (!left) await beats.stopped.then(() => this.heartbeat?.end()).catch(() => {});
    if (left) this.d.printer.line(`${left} lock removal${left > 1 ? 's or wip pushes' : ' or wip push'} still pending (${path.join(c.dir, 'pending')}); the next harness run on this folder finishes ${left > 1 ? 'them' : 'it'}`);
    const reason = this.reason ?? 'stopping';
    this.emit({ type: 'run_end', run: this.d.runId, reason: this.immediate ? 'immediate' : reason, sessions: this.started });
    return reason;
  }

  /**
   * `--until TIME`: at that time no new session starts, and the running ones get the grace
   * period, then are stopped and their work saved, as on Ctrl-C. A timer, so that the run
   * ends on time even while every slot is in a long session.
   */
  private armUntil(): { cancel: () => void } {
    const u = this.d.config.until;
    let t: NodeJS.Timeout | undefined;
    const arm = () => {
      if (u.kind !== 'time') return;
      const left = u.at - this.d.now().getTime();
      if (left <= 0) return this.stop('graceful', 'until-time');
      t = setTimeout(arm, Math.min(left, 2 ** 31 - 1)); // setTimeout's longest wait is ~24.8 days
    };
    arm();
    return { cancel: () => clearTimeout(t) };
  }

  /** --stall-after: stop (or warn) when no task is done and the pass rate has not risen for that long. */
  private armStall(): { cancel: () => void } {
    const c = this.d.config;
    const read = this.d.progress;
    if (c.stallAfterMs === null || !read) return { cancel: () => {} };
    return armStallGuard({
      afterMs: c.stallAfterMs,
      now: () => this.d.now().getTime(),
      read,
      onError: (e) => this.d.printer.line(`stall guard: could not read progress: ${e.message}`),
      onStall: (sinceMs) => {
        if (this.stopping) return 'stop';
        this.emit({ type: 'stalled', run: this.d.runId, sinceMs, action: c.stallAction });
        const what = `no task done and the pass rate not rising for ${Math.round(sinceMs / 1000)}s (--stall-after)`;
        if (c.stallAction === 'warn') {
          this.d.printer.line(`warning: ${what}`);
          return 'warn';
        }
        this.d.printer.line(`stalled: ${what}; no new sessions`);
        this.stop(c.hard ? 'graceful' : 'drain', 'stalled');
        return 'stop';
      },
    });
  }

  /**
   * `drain`: no new sessions, running ones finish on their own (a budget cap without --hard).
   * `graceful` (first Ctrl-C): no new sessions, running ones get the grace period. `now`: kill everything.
   */
  stop(mode: 'drain' | 'graceful' | 'now', reason: StopReason = 'signal'): void {
    this.reason ??= reason;
    this.stopping = true;
    for (const s of this.slots) s.wake?.();
    if (mode === 'drain') return;
    this.verifier?.stop(mode === 'now' ? 0 : this.d.config.graceMs);
    if (mode === 'now') {
      this.immediate = true;
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
    this.d.printer.line(`stopping: ${cause}`);
    this.reason = 'failed';
    this.stop('graceful', 'failed');
  }

  private shouldStart(): boolean {
    const c = this.d.config;
    const d = decideNext({ stopping: this.stopping, started: this.started, maxSessions: c.maxSessions, until: c.until, now: this.d.now().getTime(), done: this.done });
    if (!d.start) {
      this.reason ??= d.why as StopReason;
      if (d.why === 'until-time') this.stop('graceful', 'until-time');
    }
    return d.start;
  }

  /** Whether this slot may start another: the swarm may, and the slot is under its own caps. */
  private slotMayStart(slot: Slot): boolean {
    if (!this.shouldStart()) return false;
    const hit = agentCapHit(this.tally, this.d.config, slot.agent);
    if (hit) {
      slot.capped = hit;
      this.emit({ type: 'budget_reached', run: this.d.runId, agent: slot.agent, cap: hit.cap, limit: hit.limit, used: hit.used });
      this.d.printer.line(`${slot.agent}: reached --${hit.cap} (${hit.used} of ${hit.limit}); this slot starts no more sessions`);
      return false;
    }
    return true;
  }

  private sleep(slot: Slot, ms: number): Promise<void> {
    return new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      slot.wake = () => (clearTimeout(t), r());
    }).finally(() => (slot.wake = null));
  }

  private async slotLoop(slot: Slot): Promise<void> {
    while (!this.immediate && this.slotMayStart(slot)) {
      const delay = backoffDelay(slot.streak, this.d.config.backoff);
      if (delay > 0) {
        this.emit({ type: 'backoff', run: this.d.runId, agent: slot.agent, streak: slot.streak, delayMs: delay });
        this.d.printer.backoff(slot.agent, delay, slot.streak);
        await this.sleep(slot, delay);
        if (!this.slotMayStart(slot)) break;
      }
      if (delay === 0 && (slot.idle ?? 0) > 0) await this.idleWait(slot);
      if (!this.slotMayStart(slot)) break;
      // a usage limit reported by any slot holds every slot until its reset
      while (!this.stopping && this.pausedUntil > this.d.now().getTime()) await this.sleep(slot, this.pausedUntil - this.d.now().getTime());
      if (!this.slotMayStart(slot)) break;
      this.started++;
      addStart(this.tally, slot.agent);
      const r = await this.oneSession(slot).catch((e: Error) => {
        // The supervisor's own fault (its files, a bug) stops the run; a session that could not run (upstream down, a timeout) backs off.
        if (!(e instanceof HarnessError) && !(e instanceof GitFailure)) throw e;
        this.emit({ type: 'session_error', run: this.d.runId, agent: slot.agent, session: slot.session?.id ?? null, error: e.message });
        this.d.printer.line(`${slot.agent}: ${e.message}`);
        return null;
      });
      slot.session = null;
      slot.streak = nextStreak(slot.streak, r ?? { code: null, durationMs: 0 }, this.d.config.backoff);
      slot.idle = r?.idle && slot.streak === 0 ? (slot.idle ?? 0) + 1 : 0;
      if (r?.rateLimit) this.rateLimited(slot, r.rateLimit);
      this.checkSwarmCaps();
      if (this.d.config.until.kind === 'done' && !this.done && !this.stopping && this.d.isDone) {
        this.done = await this.d.isDone(this.fullRun).catch((e: Error) => {
          this.d.printer.line(`until done: could not judge: ${e.message}`);
          return false;
        });
        if (this.done) this.stop('graceful', 'done');
      }
    }
    if (!this.immediate) await this.afterSession(slot).catch(() => {}); // Ctrl-C or the end: leave nothing unsaved
  }

  /**
   * No paid empty loops: after sessions that found nothing to do the slot waits, doubling
   * to a cap, and wakes as soon as upstream main moves (new work may be there).
   */
  private async idleWait(slot: Slot): Promise<void> {
    const p = this.d.config.idle;
    const delay = Math.min(p.capMs, p.baseMs * 2 ** Math.min((slot.idle ?? 1) - 1, 30));
    this.emit({ type: 'idle', run: this.d.runId, agent: slot.agent, streak: slot.idle ?? 1, delayMs: delay });
    this.d.printer.line(`${slot.agent}: idle (${slot.idle} session${slot.idle === 1 ? '' : 's'} with nothing to do); next session in ${Math.round(delay / 1000)}s or when main moves`);
    const start = await this.mainHead().catch(() => null);
    const end = this.d.now().getTime() + delay;
    while (!this.stopping && this.d.now().getTime() < end) {
      await this.sleep(slot, Math.min(2000, end - this.d.now().getTime()));
      const now = await this.mainHead().catch(() => null);
      if (start !== null && now !== null && now !== start) return;
    }
  }

  private async mainHead(): Promise<string | null> {
    const lg = this.lockGit!;
    if (lg.inPlace) return lg.git.revParse('refs/heads/main');
    const r = await lg.git.run(['ls-remote', 'origin', 'refs/heads/main']);
    return r.code === 0 ? r.stdout.split('\t')[0] || null : null;
  }

  /** Whether a session did anything on upstream main: a commit in its agent's name since `head` (claims included). */
  private async didWork(slot: Slot, head: string, view?: { git: Git; ref: string }): Promise<boolean> {
    const g = view?.git ?? new Git(slot.ws.paths.dir, safeGitEnv(this.d.env));
    const r = await g.run(['log', '--format=%an%x1f%(trailers:key=Task-Agent,valueonly,separator=%x2c)', `${head}..${view?.ref ?? 'refs/remotes/origin/main'}`]);
    if (r.code !== 0) return true; // cannot tell: never idle a slot on a guess
    return r.stdout.split('\n').some((l) => {
      const [author, agents] = l.split('\x1f');
      return author === slot.agent || author?.startsWith(`${slot.agent} (`) || (agents ?? '').split(',').includes(slot.agent);
    });
  }

  /** Waits out the reset the agent reported, or, when it gave none, the backoff of its streak. */
  private rateLimited(slot: Slot, rl: RateLimit): void {
    const now = this.d.now().getTime();
    const reported = rl.until !== null && rl.until > now;
    const until = reported ? rl.until! : now + backoffDelay(Math.max(1, slot.streak), this.d.config.backoff);
    if (reported) slot.streak = 0; // the wait replaces the backoff; after the reset, start afresh
    this.pausedUntil = Math.max(this.pausedUntil, until);
    this.emit({ type: 'rate_limited', run: this.d.runId, agent: slot.agent, until: new Date(until).toISOString(), reported, message: rl.message });
    this.d.printer.line(`${slot.agent}: hit a usage/rate limit; no session starts before ${new Date(until).toISOString()}${reported ? ' (its reported reset)' : ' (backing off; it gave no reset time)'}`);
  }

  /** After each session: a swarm-wide cost or token cap ends the run (sessions are decideNext's). */
  private checkSwarmCaps(): void {
    const c = this.d.config;
    const hit = swarmCapHit(this.tally, { ...c, maxSessions: null });
    if (!hit || this.capHit || this.stopping) return;
    this.capHit = hit;
    this.emit({ type: 'budget_reached', run: this.d.runId, agent: null, cap: hit.cap, limit: hit.limit, used: hit.used });
    this.d.printer.line(`reached --${hit.cap}: no new sessions; ${c.hard ? `running ones get ${Math.round(c.graceMs / 1000)}s, then are stopped (--hard)` : 'running ones finish'}`);
    this.stop(c.hard ? 'graceful' : 'drain', 'budget');
  }

  private async oneSession(slot: Slot): Promise<{ code: number | null; durationMs: number; rateLimit: RateLimit | null; idle: boolean }> {
    await this.d.access.ensureAlive?.();
    // Remote: the session's entrypoint prepares and saves its workspace where it runs.
    const remote = this.d.executor ? remoteSlot(this.d.executor, this.supervisorGit!, path.join(this.d.config.dir, 'remote'), slot.agent) : null;
    if (!remote) await ensureWorkspace(slot.ws);
    else mkdirSync(slot.ws.paths.stateDir, { recursive: true }); // the pid of its ssh/srun, for a takeover
    const { head } = remote ? { head: await remote.head() } : await this.cleanSlot(slot); // leftovers of a session this run did not see end (kill -9, an error)
    const logDir = path.join(this.d.config.dir, 'agent_logs', slot.agent);
    const log = openSessionLog(logDir, head);
    const id = String(log.n);
    if (!remote) markSession(slot.ws, id);
    mkdirSync(slotHome(slot), { recursive: true, mode: 0o700 });
    const c = this.d.config;
    // This session's own upstream token: it dies with the session, so leftovers cannot push.
    const cred = this.d.access.issue?.(slot.agent, id) ?? null;
    const waiting = await this.waitingMessages(slot, remote?.view);
    const role = slot.role ? { name: slot.role.name, text: slot.role.text ?? '' } : null; // read once at start
    const session = new Session(
      {
        agent: slot.agent, workspace: slot.ws.paths.dir, sessionDir: path.join(c.dir, 'agents', slot.agent, 'session'), root: this.d.root, logDir, head, adapter: this.d.adapter,
        sandbox: remote ? remote.sandbox({ agent: slot.agent, session: id, run: this.d.runId, gitEnv: cred?.salvage ?? {}, onReport: (rep) => remote.report(rep, (e) => this.emit({ run: this.d.runId, agent: slot.agent, session: id, ...e } as SwarmEvent), this.d.printer) }) : this.d.sandbox,
        promptFile: c.prompt ?? (remote ? await remote.prompt() : null), fallbackPrompt: this.d.fallbackPrompt, model: c.model, image: c.image, promptHeader: promptHeader(waiting), role,
        env: { ...this.d.sessionEnv, ...(role ? { HARNESS_ROLE: role.name } : {}), HOME: slotHome(slot), HARNESS_AGENT: slot.agent, GIT_AUTHOR_NAME: slot.agent, GIT_COMMITTER_NAME: slot.agent, GIT_AUTHOR_EMAIL: `${slot.agent}@harness.invalid`, GIT_COMMITTER_EMAIL: `${slot.agent}@harness.invalid` },
        secrets: { ...this.d.secrets, ...cred?.secrets }, mounts: [...this.d.mounts, { path: slotHome(slot), mode: 'rw' }], timeoutMs: c.sessionTimeoutMs, graceMs: c.graceMs, now: () => this.d.now().getTime(),
        name: sessionName(slot.agent, id, this.swarmTag), limits: c.limits,
        network: this.d.access.network, forwards: this.d.access.forwards, hostsFile: this.d.access.hostsFile,
        onStart: (pid, name) => {
          recordProcess(pidFile(slot), pid);
          if (!remote && this.d.sandbox.removeLeftover) recordContainer(containerFile(slot), { kind: this.d.sandbox.kind, name, host: this.d.dockerHost ?? null });
        },
      },
      id,
      log,
    );
    slot.session = session;
    if (this.stopping) session.stopped = true;
    const rel = path.relative(c.dir, log.file);
    this.emit({ type: 'session_start', run: this.d.runId, agent: slot.agent, session: id, log: rel, head, ...(this.d.executor ? { host: this.d.executor.placeOf(slot.agent) } : {}), ...(role ? { role: role.name } : {}), ...(waiting.length ? { messages: waiting.length } : {}) });
    this.d.printer.sessionStarted(slot.agent, id, rel);
    let r: SessionResult;
    try {
      r = await session.run();
    } catch (e) {
      r = { exit: null, signal: null, durationMs: 0, timedOut: false, stopped: session.stopped, usage: null, rateLimit: null };
      this.emit({ type: 'session_error', run: this.d.runId, agent: slot.agent, session: id, error: (e as Error).message });
      this.d.printer.line(`${slot.agent} session ${id} could not start: ${(e as Error).message}`);
    }
    cred?.revoke();
    rmSync(pidFile(slot), { force: true });
    rmSync(containerFile(slot), { force: true });
    r.usage = withCost(r.usage, c.model, c.prices);
    addUsage(this.tally, slot.agent, r.usage);
    this.emit({ type: 'session_end', run: this.d.runId, agent: slot.agent, session: id, exit: r.exit, signal: r.signal, durationMs: r.durationMs, timedOut: r.timedOut, stopped: r.stopped, usage: r.usage, ...(r.rateLimit ? { rateLimit: r.rateLimit } : {}) });
    this.d.printer.sessionEnded(slot.agent, id, r);
    this.owe('abandoned', [{ kind: 'session', agent: slot.agent, session: id, run: this.d.runId }], `Session ${id} of ${slot.agent} ended; its claims are released by the supervisor.`);
    let saved = false;
    if (!this.immediate) saved = remote ? await remote.settle() : await this.afterSession(slot);
    const idle = !this.immediate && !saved && !(await this.didWork(slot, head, remote?.view));
    return { code: r.timedOut ? null : r.exit, durationMs: r.durationMs, rateLimit: r.rateLimit ?? null, idle };
  }

  /** `--until done` with only samples recorded: the full suite, in the run's sandbox, at main's head. */
  private readonly fullRun: FullSuiteRun = (tools) => {
    const c = this.d.config;
    this.verifier ??= new FullSuiteRunner({
      sandbox: this.d.sandbox,
      ws: { ...this.wsCtx('supervisor'), paths: { dir: path.join(c.dir, 'supervisor', 'verify'), stateDir: path.join(c.dir, 'supervisor', 'verify-state') } },
      mounts: this.d.mounts, env: this.d.sessionEnv, limits: c.limits, image: c.image, timeoutMs: c.sessionTimeoutMs, graceMs: c.graceMs,
      logDir: path.join(c.dir, 'supervisor', 'logs'), name: sessionName('supervisor', 'verify', this.swarmTag),
      onPid: (pid) => (pid === null ? rmSync(this.verifyPidFile(), { force: true }) : recordProcess(this.verifyPidFile(), pid)),
    });
    return this.verifier.run(tools);
  };

  private verifyPidFile(): string {
    return path.join(this.d.config.dir, 'supervisor', 'verify-state', 'session.pid');
  }

  /** Messages on upstream main (just fetched by the reset) that this slot has not acknowledged. */
  private async waitingMessages(slot: Slot, view?: { git: Git; ref: string }): Promise<Message[]> {
    const git = view?.git ?? new Git(slot.ws.paths.dir, safeGitEnv(this.d.env));
    try {
      return unread(await readMessages(git, await git.revParse(view?.ref ?? 'refs/remotes/origin/main')), { agent: slot.agent, role: slot.role?.name ?? null });
    } catch (e) {
      this.d.printer.line(`${slot.agent}: could not read its messages: ${(e as Error).message}`);
      return [];
    }
  }

  /** Saves leftover work and resets to main (the ended session's claims are already owed, in pending/); true when work was saved. */
  private async afterSession(slot: Slot): Promise<boolean> {
    if (!existsSync(path.join(slot.ws.paths.dir, '.git'))) return false;
    return (await this.cleanSlot(slot)).saved;
  }

  /** Saves leftover work to a wip branch, then resets to upstream main; returns the new HEAD. */
  private async cleanSlot(slot: Slot): Promise<{ head: string; saved: boolean }> {
    if (!(await killOrphan(pidFile(slot)))) throw new EnvError('ORPHAN_ALIVE', `${slot.agent}: a session of a previous run would not die; its workspace is left as it is until it does`);
    const gone = await removeOrphanContainer(containerFile(slot), this.d.env).catch((e: Error) => {
      this.d.printer.line(`${slot.agent}: could not remove the container of a dead run: ${e.message}`);
      return null;
    });
    if (gone) {
      this.emit({ type: 'orphan_removed', run: this.d.runId, agent: slot.agent, container: gone });
      this.d.printer.line(`${slot.agent}: removed container ${gone}, left running by a previous run`);
    }
    try {
      await followUpstream(slot.ws);
      // Kept in the supervisor's clone and journaled before the reset; the drainer pushes it to upstream.
      const saved = await salvage(slot.ws, {
        repo: this.supervisorGit!.dir,
        known: (session, tree, parents) => this.journal.wips().find((w) => w.agent === slot.agent && w.session === session && w.tree === tree && w.parents.join() === parents.join())?.commit ?? null,
      });
      if (saved && !saved.known) {
        const { commit, tree, parents, files, unpushedCommits, session } = saved;
        this.journal.addWip({ agent: slot.agent, session, commit, tree, parents, files, unpushedCommits, since: this.d.now().toISOString(), run: this.d.runId });
        this.drainer?.kick();
      }
      return { head: await resetToMain(slot.ws), saved: saved !== null };
    } catch (e) {
      this.emit({ type: 'wip_error', run: this.d.runId, agent: slot.agent, error: (e as Error).message });
      this.d.printer.line(`${slot.agent}: ${(e as Error).message}`);
      throw e; // never start a session over work that is not saved
    }
  }

  /** Journals a removal, then lets the drainer land it (with whatever else is pending). */
  private owe(status: 'abandoned' | 'reaped', targets: RemovalTarget[], reason: string): void {
    this.journal.add({ status, targets, reason, since: this.d.now().toISOString(), run: this.d.runId });
    this.drainer?.kick();
  }

  private startDrainer(): void {
    const lg = this.lockGit!;
    const me = { agent: 'harness', session: null, host: this.d.hostname, run: this.d.runId };
    this.drainer = new Drainer({
      journal: this.journal,
      now: () => this.d.now().getTime(),
      attempt: (entries) => removeOnce({ git: lg.git, upstream: { remote: 'origin', branch: 'main' }, me }, entries, lg.inPlace),
      finished: (e, tasks, latencyMs, tries) => this.removed(e, tasks, latencyMs, tries),
      failed: (msg, n) => this.d.printer.line(`${n} pending push${n > 1 ? 'es' : ''} to upstream not landed yet (${msg}); retrying`),
      pushWip: async (w) => {
        const hold = this.supervisorGit!;
        const ref = await pushWip(hold, w.agent, w.session, w.commit);
        await hold.run(['update-ref', '-d', holdRef(w.commit)]);
        return ref;
      },
      wipLanded: (w, ref, latencyMs) => {
        this.emit({ type: 'wip_saved', run: this.d.runId, agent: w.agent, session: w.session, ref, commit: w.commit, files: w.files, latencyMs });
        this.d.printer.wipSaved(w.agent, ref, w.files, w.unpushedCommits);
      },
    });
    this.drainer.start();
  }

  private removed(e: PendingEntry, tasks: string[], latencyMs: number, attempts: number): void {
    if (tasks.length === 0) return;
    const t = e.targets[0]!;
    if (e.status === 'abandoned' && t.kind === 'session') {
      this.emit({ type: 'claims_released', run: this.d.runId, agent: t.agent, session: t.session, tasks, latencyMs, attempts });
      this.d.printer.released(t.agent, tasks);
    } else this.reaped(tasks, t.kind === 'run' ? 'takeover' : e.reason.startsWith(DEAD_RUN) ? 'heartbeat' : 'ttl', latencyMs, attempts);
  }

  private localUpstream(): boolean {
    return !isUrl(this.d.upstream) && existsSync(path.join(this.d.upstream, 'HEAD'));
  }

  /** A clone for the supervisor's own lock commits (reaping), out of every sandbox's reach. */
  private async supervisorClone(): Promise<Git> {
    const ws = { ...this.wsCtx('supervisor'), paths: { dir: path.join(this.d.config.dir, 'supervisor', 'clone'), stateDir: path.join(this.d.config.dir, 'supervisor', 'state') } };
    await ensureWorkspace(ws);
    return new Git(ws.paths.dir, safeGitEnv(this.d.env));
  }

  /** Every workspace of this folder, including slots beyond today's --agents. */
  private async salvageAll(): Promise<void> {
    const dir = path.join(this.d.config.dir, 'agents');
    mkdirSync(dir, { recursive: true });
    for (const agent of readdirSync(dir)) {
      const slot: Slot = { agent, ws: this.wsCtx(agent), streak: 0, session: null, wake: null, capped: null, role: null };
      if (!existsSync(path.join(slot.ws.paths.stateDir, 'git-config'))) continue;
      await this.afterSession(slot).catch(() => {}); // reported; the slot retries before its next session
    }
  }

  /**
   * Runs of this folder that started and never ended are dead (this run holds the folder's
   * lock): their claims go, found by their `Run:` header wherever they were made.
   */
  private journalDeadRuns(): void {
    const evs = readEvents(this.d.events.file);
    const ended = new Set(evs.filter((e) => e.type === 'run_end').map((e) => e.run));
    const owed = new Set(this.journal.list().flatMap((e) => e.targets.filter((t) => t.kind === 'run').map((t) => (t as { run: string }).run)));
    const dead = [...new Set(evs.filter((e) => e.type === 'run_start' && e.run !== this.d.runId).map((e) => e.run))].filter((r) => !ended.has(r) && !owed.has(r));
    for (const run of dead) this.owe('reaped', [{ kind: 'run', run }], `Run ${run} of this swarm folder died; its claims are reaped by run ${this.d.runId}.`);
  }

  /** Kills every session a dead supervisor left running, before any salvage or reaping. */
  private async killOrphans(): Promise<void> {
    const dir = path.join(this.d.config.dir, 'agents');
    const agents = existsSync(dir) ? readdirSync(dir) : [];
    const files = [...agents.map((agent) => path.join(this.wsCtx(agent).paths.stateDir, 'session.pid')), this.verifyPidFile()];
    const killed = await Promise.all(files.map((f) => killOrphan(f)));
    if (killed.includes(false)) this.d.printer.line('a session left by the previous run would not die (kill -9 failed); its record is kept and tried again');
  }

  private reapStale(): Promise<void> {
    this.reaping ??= (async () => {
      try {
        const lg = this.lockGit!;
        const head = lg.inPlace ? 'refs/heads/main' : await fetchUpstream(lg.git, { remote: 'origin', branch: 'main' });
        const live = this.slots.filter((s) => s.session).map((s) => `${s.agent}/${s.session!.id}`);
        // Other runs (other hosts, other folders) are judged by their heartbeat on the upstream, never by host names.
        const runs = this.heartbeat ? await this.heartbeat.runs(this.d.now().getTime()) : new Map();
        const { ttl, dead } = reapable(await readClaims(lg.git, head), { me: this.d.runId, now: this.d.now(), ttlMs: this.d.config.lockTtlMs, isLive: liveMatcher(live), runs });
        const owed = new Set(this.journal.list().flatMap((e) => e.targets.map((t) => (t.kind === 'claim' ? t.task : ''))));
        const target = (c: Claim) => ({ kind: 'claim' as const, task: c.task, agent: c.agent, session: c.session, run: c.run });
        const freshTtl = ttl.filter((c) => !owed.has(c.task));
        const freshDead = dead.filter((c) => !owed.has(c.task));
        if (freshTtl.length) this.owe('reaped', freshTtl.map(target), `Older than the lock TTL (${Math.round(this.d.config.lockTtlMs / 1000)}s) with no running owner.`);
        if (freshDead.length) this.owe('reaped', freshDead.map(target), `${DEAD_RUN} heartbeat (${HEARTBEAT_PREFIX}<run>) stopped more than ${Math.round(this.heartbeat!.staleMs / 1000)}s ago: its supervisor is gone.`);
      } catch (e) {
        this.d.printer.line(`looking for stale claims failed: ${(e as Error).message}`);
      } finally {
        this.reaping = null;
      }
    })();
    return this.reaping;
  }

  /** This run's heartbeat on the upstream, now and every --heartbeat; a failure is reported, never fatal (others then fall back to the TTL). */
  private startHeartbeat(): { cancel: () => void; stopped: Promise<void> } {
    const lg = this.lockGit!;
    const c = this.d.config;
    this.heartbeat = new Heartbeat(lg.git, lg.inPlace, this.d.runId, this.d.hostname, STALE_BEATS * c.heartbeatMs);
    let inFlight: Promise<void> | null = null;
    const beat = () => {
      inFlight ??= this.heartbeat!.beat(this.d.now())
        .catch((e: Error) => this.d.printer.line(`heartbeat: ${e.message}`))
        .finally(() => (inFlight = null));
    };
    beat();
    const timer = setInterval(beat, c.heartbeatMs);
    let done: () => void = () => {};
    const stopped = new Promise<void>((r) => (done = r));
    // a beat still on its way must land before the ref is removed, or it would bring it back
    return { cancel: () => (clearInterval(timer), void (inFlight ?? Promise.resolve()).then(() => done())), stopped };
  }

  private reaped(tasks: string[], why: 'ttl' | 'takeover' | 'heartbeat', latencyMs: number, attempts: number): void {
    this.emit({ type: 'claims_reaped', run: this.d.runId, tasks, why, latencyMs, attempts });
    this.d.printer.reaped(tasks, why);
  }
}

/**
 * The slot's own HOME, kept across its sessions (agents keep settings and caches there) and
 * never the user's: no session sees another slot's history or the user's credentials.
 */
/** How a dead-run reap's reason begins (the commit says why; the event names it). */
const DEAD_RUN = "Their run's";
const slotHome = (slot: Slot) => path.join(path.dirname(slot.ws.paths.dir), 'home');
const pidFile = (slot: Slot) => path.join(slot.ws.paths.stateDir, 'session.pid');
const containerFile = (slot: Slot) => path.join(slot.ws.paths.stateDir, 'session.container.json');

