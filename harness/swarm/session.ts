// One session of one agent slot: a fresh sandbox over the slot's workspace, its output in a
// log file of its own, a time limit, and afterwards its exit, duration and usage.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { AgentAdapter } from '../agents/types.js';
import type { SessionResult } from '../events/log.js';
import type { Forward, Mount, RunningSession, Sandbox, SessionExit } from '../sandbox/types.js';
import type { Limits } from './limits.js';
import { logName, nextSessionNumber } from './numbering.js';
import { composePrompt } from './roles.js';

export interface SessionPlan {
  agent: string;
  workspace: string;
  /** the session's private folder (AgentSessionInput.sessionDir): made empty before, removed after */
  sessionDir: string;
  /** the agent runs as root (the supervisor's uid) */
  root: boolean;
  logDir: string;
  head: string;
  sandbox: Sandbox;
  adapter: AgentAdapter;
  /** the prompt file given with --prompt, else null: AGENT_PROMPT.md in the workspace, else `fallbackPrompt` */
  promptFile: string | null;
  fallbackPrompt: string;
  /** added before the prompt: the messages waiting for this agent */
  promptHeader?: string;
  /** the slot's standing role, whose prompt follows the agent prompt */
  role?: { name: string; text: string } | null;
  model: string | null;
  image: string | null;
  /** the sandbox's name for this session (container name): unique on the host, see sessionName */
  name: string;
  limits: Limits;
  env: Record<string, string>;
  secrets: Record<string, string>;
  mounts: Mount[];
  /** false: no network but `forwards` (the upstream server, allowed hosts) */
  network: boolean;
  forwards: Forward[];
  hostsFile: string | null;
  timeoutMs: number;
  graceMs: number;
  now: () => number;
  /** told the host pid once the session runs (the supervisor records it for a later takeover) */
  onStart?: (pid: number, name: string) => void;
}

export type { SessionResult };

/** Picks the session number and opens its log exclusively: an existing log is never reused. */
export function openSessionLog(logDir: string, head: string | null, atLeast = 1): { n: number; file: string; fd: number } {
  mkdirSync(logDir, { recursive: true });
  let n = nextSessionNumber(readdirSync(logDir), atLeast);
  for (;;) {
    const file = path.join(logDir, logName(n, head));
    try {
      return { n, file, fd: openSync(file, 'wx') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      n++;
    }
  }
}

/**
 * `agent-3-s17-1a2b3c4d`: the slot and session, then a tag of the swarm folder, because one
 * docker daemon may serve several swarms on a host and each has an agent-3 with a session
 * 17; container names must not collide, and a takeover must remove only its own.
 */
export function sessionName(agent: string, session: string, swarmTag: string): string {
  return `${agent}-s${session}-${swarmTag}`;
}

export function promptFor(plan: Pick<SessionPlan, 'promptFile' | 'workspace' | 'fallbackPrompt'>): { text: string; file: string } {
  const file = plan.promptFile ?? path.join(plan.workspace, 'AGENT_PROMPT.md');
  if (existsSync(file)) return { text: readFileSync(file, 'utf8'), file };
  return { text: readFileSync(plan.fallbackPrompt, 'utf8'), file: plan.fallbackPrompt };
}

/** An empty private folder with a tmp/ and the adapter's files; a previous session's leftovers go first. */
export function prepareSessionDir(dir: string, files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  for (const [rel, text] of Object.entries(files)) {
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep)) throw new Error(`adapter file ${rel} is outside the session folder`);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode: 0o600 });
  }
}

export class Session {
  private running: RunningSession | null = null;
  private stopRequested: Promise<SessionExit> | null = null;
  timedOut = false;
  stopped = false;

  constructor(
    readonly plan: SessionPlan,
    readonly id: string,
    readonly log: { file: string; fd: number },
  ) {}

  /** Runs to the end. Throws only when the sandbox could not start it at all. */
  async run(): Promise<SessionResult> {
    const p = this.plan;
    const prompt = promptFor(p);
    const text = composePrompt({ header: p.promptHeader, base: prompt.text, role: p.role });
    const started = p.now();
    writeSync(this.log.fd, `# harness: ${p.agent} session ${this.id} on ${p.head.slice(0, 12)} at ${new Date(started).toISOString()} (${p.adapter.kind}, ${p.sandbox.kind} sandbox)\n`);
    const mounts = [...p.mounts, { path: p.sessionDir, mode: 'rw' as const }];
    if (!prompt.file.startsWith(p.workspace + path.sep)) mounts.push({ path: prompt.file, mode: 'ro' });
    try {
      const inv = p.adapter.invocation({ prompt: text, promptFile: prompt.file, model: p.model, sessionDir: p.sessionDir, sandbox: p.sandbox.kind, root: p.root, secrets: p.secrets });
      prepareSessionDir(p.sessionDir, inv.files ?? {});
      this.running = await p.sandbox.start({
        name: p.name,
        cwd: p.workspace,
        mounts,
        argv: inv.argv,
        env: { ...p.env, ...inv.env, HARNESS_SESSION: this.id },
        secrets: p.secrets,
        stdin: inv.stdin,
        outputFd: this.log.fd,
        network: p.network,
        forwards: p.forwards,
        ...(p.hostsFile ? { hostsFile: p.hostsFile } : {}),
        limits: p.limits,
        ...(p.image ? { image: p.image } : {}),
      });
    } catch (e) {
      writeSync(this.log.fd, `# harness: could not start the session: ${(e as Error).message}\n`);
      closeSync(this.log.fd);
      throw e;
    }
    p.onStart?.(this.running.pid, p.name);
    if (this.stopped) void this.stop(p.graceMs); // a stop that arrived while it was starting
    const timer = setTimeout(() => {
      this.timedOut = true;
      if (this.running) this.stopRequested ??= this.running.stop(p.graceMs);
    }, p.timeoutMs + (p.sandbox.timeLimitSlackMs ?? 0));
    let exit: SessionExit;
    try {
      exit = await this.running.exited;
      // A stop's grace covers the agent's whole group, not only its leader (`sh -c` dies first).
      if (this.stopRequested) exit = await this.stopRequested;
    } finally {
      clearTimeout(timer);
    }
    if (exit.timedOut) this.timedOut = true;
    const durationMs = p.now() - started;
    rmSync(p.sessionDir, { recursive: true, force: true }); // agent config and caches: nothing to keep, nothing for the next session to read
    const how = this.timedOut ? `timed out after ${p.timeoutMs} ms` : exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`;
    writeSync(this.log.fd, `\n# harness: session ${this.id} ended: ${how}, ${Math.round(durationMs / 1000)}s\n`);
    closeSync(this.log.fd);
    const usage = await p.adapter.usage(this.log.file).catch(() => null);
    const rateLimit = p.adapter.rateLimit ? await p.adapter.rateLimit(this.log.file, p.now()).catch(() => null) : null;
    return { exit: exit.code, signal: exit.signal, durationMs, timedOut: this.timedOut, stopped: this.stopped, usage, rateLimit };
  }

  /** Ends the session: SIGTERM now, SIGKILL after the grace period. */
  stop(graceMs: number): Promise<SessionExit> | void {
    this.stopped = true;
    if (!this.running) return;
    if (graceMs === 0) return this.running.stop(0); // the second Ctrl-C overrides a gentler stop in progress
    this.stopRequested ??= this.running.stop(graceMs);
    return this.stopRequested;
  }
}
