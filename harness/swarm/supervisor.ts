// The supervisor: N agent slots, each running sessions back to back until the run stops.
// Between sessions a slot saves leftover work, resets its workspace to upstream main and
// releases the claims its last session still held; fast failures back off. A timer reaps
// claims older than the lock TTL whose owner is not a running session.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentAdapter } from '../agents/types.js';
import { EventLog, type SwarmEvent } from '../events/log.js';
import { Git } from '../git/git.js';
import { defaultRetry } from '../git/sync.js';
import { liveMatcher, type Claim } from '../tasks/claims.js';
import { reapTasks, reapWhere, releaseTask, type TaskCtx } from '../tasks/ops.js';
import { readClaims } from '../tasks/read.js';
import type { Mount, Sandbox } from '../sandbox/types.js';
import { backoffDelay, nextStreak } from './backoff.js';
import type { RunConfig } from './config.js';
import { agentId } from './numbering.js';
import { killOrphan } from './orphans.js';
import type { Printer } from './printer.js';
import { decideNext, reapIntervalMs } from './schedule.js';
import { openSessionLog, Session, type SessionResult } from './session.js';
import { ensureWorkspace, markSession, resetToMain, safeGitEnv, salvage, type WorkspaceCtx } from './workspace.js';

export interface SupervisorDeps {
  config: RunConfig;
  runId: string;
  /** the upstream as clones reach it: DIR/upstream.git or a URL */
  upstream: string;
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
  /** for `--until done`: the work is finished (checked after each session) */
  isDone?: () => Promise<boolean>;
}

interface Slot {
  agent: string;
  ws: WorkspaceCtx;
  streak: number;
  session: Session | null;
  wake: (() => void) | null;
}

export type StopReason = 'signal' | 'max-sessions' | 'until-time' | 'done' | 'stopping' | 'error';

export class Supervisor {
  private stopping = false;
  private immediate = false;
  private started = 0;
  private done = false;
  private reason: StopReason | null = null;
  private slots: Slot[] = [];
  private reaping: Promise<void> | null = null;
  private supervisorGit: Git | null = null;
  private stopNow: () => void = () => {};

  constructor(private readonly d: SupervisorDeps) {}

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
    this.supervisorGit = await this.supervisorClone();
    await this.salvageAll();
    await this.reapDeadRun();
    const timer = setInterval(() => void this.reapStale(), reapIntervalMs(c.lockTtlMs));
    try {
      this.slots = Array.from({ length: c.agents }, (_, i) => ({ agent: agentId(i + 1), ws: this.wsCtx(agentId(i + 1)), streak: 0, session: null, wake: null }));
      const all = Promise.all(this.slots.map((s) => this.slotLoop(s)));
      await Promise.race([all, new Promise<void>((r) => (this.stopNow = r))]);
    } finally {
      clearInterval(timer);
    }
    if (!this.immediate) await this.reaping;
    const reason = this.reason ?? 'stopping';
    this.emit({ type: 'run_end', run: this.d.runId, reason: this.immediate ? 'immediate' : reason, sessions: this.started });
    return reason;
  }

  /** First call: no new sessions, running ones get the grace period. Second: kill everything now. */
  stop(mode: 'graceful' | 'now', reason: StopReason = 'signal'): void {
    this.reason ??= reason;
    this.stopping = true;
    for (const s of this.slots) s.wake?.();
    if (mode === 'now') {
      this.immediate = true;
      for (const s of this.slots) void s.session?.stop(0);
      this.stopNow();
      return;
    }
    for (const s of this.slots) void s.session?.stop(this.d.config.graceMs);
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

  private async slotLoop(slot: Slot): Promise<void> {
    while (!this.immediate && this.shouldStart()) {
      const delay = backoffDelay(slot.streak, this.d.config.backoff);
      if (delay > 0) {
        this.emit({ type: 'backoff', run: this.d.runId, agent: slot.agent, streak: slot.streak, delayMs: delay });
        this.d.printer.backoff(slot.agent, delay, slot.streak);
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          slot.wake = () => (clearTimeout(t), r());
        });
        slot.wake = null;
        if (!this.shouldStart()) break;
      }
      this.started++;
      const r = await this.oneSession(slot).catch((e: Error) => {
        this.emit({ type: 'session_error', run: this.d.runId, agent: slot.agent, session: slot.session?.id ?? null, error: e.message });
        this.d.printer.line(`${slot.agent}: ${e.message}`);
        return null;
      });
      slot.session = null;
      slot.streak = nextStreak(slot.streak, r ?? { code: null, durationMs: 0 }, this.d.config.backoff);
      if (this.d.config.until.kind === 'done' && !this.done && !this.stopping && this.d.isDone) {
        this.done = await this.d.isDone().catch(() => false);
        if (this.done) this.stop('graceful', 'done');
      }
    }
    if (!this.immediate) await this.afterSession(slot, null).catch(() => {}); // Ctrl-C or the end: leave nothing unsaved
  }

  private async oneSession(slot: Slot): Promise<{ code: number | null; durationMs: number }> {
    await ensureWorkspace(slot.ws);
    const head = await this.cleanSlot(slot); // leftovers of a session this run did not see end (kill -9, an error)
    const logDir = path.join(this.d.config.dir, 'agent_logs', slot.agent);
    const log = openSessionLog(logDir, head);
    const id = String(log.n);
    markSession(slot.ws, id);
    const c = this.d.config;
    const session = new Session(
      {
        agent: slot.agent, workspace: slot.ws.paths.dir, logDir, head, sandbox: this.d.sandbox, adapter: this.d.adapter,
        promptFile: c.prompt, fallbackPrompt: this.d.fallbackPrompt, model: c.model, image: c.image,
        env: { ...this.d.sessionEnv, HARNESS_AGENT: slot.agent, GIT_AUTHOR_NAME: slot.agent, GIT_COMMITTER_NAME: slot.agent, GIT_AUTHOR_EMAIL: `${slot.agent}@harness.invalid`, GIT_COMMITTER_EMAIL: `${slot.agent}@harness.invalid` },
        secrets: this.d.secrets, mounts: this.d.mounts, timeoutMs: c.sessionTimeoutMs, graceMs: c.graceMs, now: () => this.d.now().getTime(),
        onStart: (pid) => writeFileSync(pidFile(slot), String(pid)),
      },
      id,
      log,
    );
    slot.session = session;
    if (this.stopping) session.stopped = true;
    const rel = path.relative(c.dir, log.file);
    this.emit({ type: 'session_start', run: this.d.runId, agent: slot.agent, session: id, log: rel, head });
    this.d.printer.sessionStarted(slot.agent, id, rel);
    let r: SessionResult;
    try {
      r = await session.run();
    } catch (e) {
      r = { exit: null, signal: null, durationMs: 0, timedOut: false, stopped: session.stopped, usage: null };
      this.emit({ type: 'session_error', run: this.d.runId, agent: slot.agent, session: id, error: (e as Error).message });
      this.d.printer.line(`${slot.agent} session ${id} could not start: ${(e as Error).message}`);
    }
    rmSync(pidFile(slot), { force: true });
    this.emit({ type: 'session_end', run: this.d.runId, agent: slot.agent, session: id, exit: r.exit, signal: r.signal, durationMs: r.durationMs, timedOut: r.timedOut, stopped: r.stopped, usage: r.usage });
    this.d.printer.sessionEnded(slot.agent, id, r);
    if (!this.immediate) await this.afterSession(slot, id);
    return { code: r.timedOut ? null : r.exit, durationMs: r.durationMs };
  }

  /** Saves leftover work, resets to main, releases the ended session's claims. */
  private async afterSession(slot: Slot, session: string | null): Promise<void> {
    if (!existsSync(path.join(slot.ws.paths.dir, '.git'))) return;
    await this.cleanSlot(slot);
    if (session !== null) await this.releaseOwn(slot, session);
  }

  /** Saves leftover work to a wip branch, then resets to upstream main; returns the new HEAD. */
  private async cleanSlot(slot: Slot): Promise<string> {
    await killOrphan(pidFile(slot));
    try {
      const saved = await salvage(slot.ws);
      if (saved) {
        this.emit({ type: 'wip_saved', run: this.d.runId, agent: slot.agent, session: saved.session, ref: saved.ref, commit: saved.commit, files: saved.files });
        this.d.printer.wipSaved(slot.agent, saved.ref, saved.files, saved.unpushedCommits);
      }
      return await resetToMain(slot.ws);
    } catch (e) {
      this.emit({ type: 'wip_error', run: this.d.runId, agent: slot.agent, error: (e as Error).message });
      this.d.printer.line(`${slot.agent}: ${(e as Error).message}`);
      throw e; // never start a session over work that is not saved
    }
  }

  private ctx(git: Git, agent: string, session: string | null): TaskCtx {
    return { git, upstream: { remote: 'origin', branch: 'main' }, me: { agent, session, host: this.d.hostname }, now: this.d.now, retry: defaultRetry({ deadlineMs: 120_000 }) };
  }

  private async releaseOwn(slot: Slot, session: string): Promise<void> {
    const git = new Git(slot.ws.paths.dir, safeGitEnv(this.d.env));
    const claims = (await readClaims(git, 'refs/remotes/origin/main')).filter((cl) => cl.agent === slot.agent && cl.session === session);
    const released: string[] = [];
    for (const cl of claims) {
      const r = await releaseTask(this.ctx(git, slot.agent, session), cl.task, { status: 'abandoned', force: true, body: `Session ${session} of ${slot.agent} ended without finishing it; released by the supervisor.` });
      if (r.outcome === 'released') released.push(cl.task);
    }
    if (released.length) {
      this.emit({ type: 'claims_released', run: this.d.runId, agent: slot.agent, session, tasks: released });
      this.d.printer.released(slot.agent, released);
    }
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
      const slot: Slot = { agent, ws: this.wsCtx(agent), streak: 0, session: null, wake: null };
      if (!existsSync(path.join(slot.ws.paths.stateDir, 'git-config'))) continue;
      await this.afterSession(slot, null).catch(() => {}); // reported; the slot retries before its next session
    }
  }

  /** Claims held by this folder's agents on this host: their sessions died with the previous run. */
  private async reapDeadRun(): Promise<void> {
    const mine = (cl: Claim) => cl.agent !== null && /^agent-\d+$/.test(cl.agent) && (cl.host === null || cl.host === this.d.hostname);
    const r = await reapWhere(this.ctx(this.supervisorGit!, 'harness', null), (claims) => claims.filter(mine));
    if (r.reaped.length) this.reaped(r.reaped.map((cl) => cl.task), 'takeover');
  }

  private reapStale(): Promise<void> {
    this.reaping ??= (async () => {
      try {
        const live = this.slots.filter((s) => s.session).map((s) => `${s.agent}/${s.session!.id}`);
        const r = await reapTasks(this.ctx(this.supervisorGit!, 'harness', null), { ttlMs: this.d.config.lockTtlMs, isLive: liveMatcher(live) });
        if (r.reaped.length) this.reaped(r.reaped.map((cl) => cl.task), 'ttl');
      } catch (e) {
        this.d.printer.line(`reaping stale claims failed: ${(e as Error).message}`);
      } finally {
        this.reaping = null;
      }
    })();
    return this.reaping;
  }

  private reaped(tasks: string[], why: 'ttl' | 'takeover'): void {
    this.emit({ type: 'claims_reaped', run: this.d.runId, tasks, why });
    this.d.printer.reaped(tasks, why);
  }
}

const pidFile = (slot: Slot) => path.join(slot.ws.paths.stateDir, 'session.pid');

