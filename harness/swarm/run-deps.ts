// What the supervisor's stages share: what a run is given (SupervisorDeps), a slot as the
// loop keeps it, the run's own flags, and where a slot keeps its files. Types and path
// rules only, so that every stage can import it and none imports another's insides.
import path from 'node:path';
import type { AgentAdapter } from '../agents/types.js';
import type { EventLog } from '../events/log.js';
import type { Executor } from '../executors/types.js';
import type { Git } from '../kit/git.js';
import type { Forward, Mount, Sandbox } from '../sandbox/types.js';
import type { SessionCredential } from '../serve/service.js';
import type { CapHit } from './budget.js';
import type { RunConfig } from './config.js';
import type { FullSuiteRun } from './done.js';
import type { Printer } from './printer.js';
import type { RoleSpec } from './roles.js';
import type { Session } from './session.js';
import type { RunState, SlotState } from './slot-next.js';
import type { Progress } from './stall.js';
import type { WorkspaceCtx } from './workspace.js';

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

export type StopReason = 'signal' | 'max-sessions' | 'until-time' | 'done' | 'stopping' | 'error' | 'budget' | 'stalled' | 'failed';

export type StopMode = 'drain' | 'graceful' | 'now';

export interface RunFlags extends RunState {
  reason: StopReason | null;
}

export interface Slot extends SlotState {
  ws: WorkspaceCtx;
  session: Session | null;
  /** cuts the slot's current wait short (a stop) */
  wake: (() => void) | null;
  /** the per-agent cap this slot reached; it starts no more sessions */
  capped: CapHit | null;
  /** the slot's standing role (--role), or null */
  role: RoleSpec | null;
  /** this supervisor saved and reset the workspace after its last session, and nothing has run there since */
  cleaned: boolean;
}

/** Where lock removals land: the bare upstream itself when it is local, else the supervisor's clone. */
export interface LockGit {
  git: Git;
  inPlace: boolean;
}

export function wsCtx(d: Pick<SupervisorDeps, 'config' | 'upstream' | 'env' | 'now'>, agent: string): WorkspaceCtx {
  const base = path.join(d.config.dir, 'agents', agent);
  return { paths: { dir: path.join(base, 'workspace'), stateDir: path.join(base, 'state') }, upstream: d.upstream, env: d.env, agent, now: d.now };
}

export function newSlot(d: Pick<SupervisorDeps, 'config' | 'upstream' | 'env' | 'now'>, agent: string, role: RoleSpec | null): Slot {
  return { agent, ws: wsCtx(d, agent), streak: 0, idle: 0, rested: false, session: null, wake: null, capped: null, role, cleaned: false };
}

/**
 * The slot's own HOME, kept across its sessions (agents keep settings and caches there) and
 * never the user's: no session sees another slot's history or the user's credentials.
 */
export const slotHome = (slot: Slot) => path.join(path.dirname(slot.ws.paths.dir), 'home');
export const pidFile = (slot: Pick<Slot, 'ws'>) => path.join(slot.ws.paths.stateDir, 'session.pid');
export const containerFile = (slot: Slot) => path.join(slot.ws.paths.stateDir, 'session.container.json');
export const verifyPidFile = (dir: string) => path.join(dir, 'supervisor', 'verify-state', 'session.pid');
