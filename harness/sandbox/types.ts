// The contract between the supervisor and the places an agent session runs. One session
// is one fresh sandbox: a process, a bubblewrap jail or a --rm container. Paths are the
// same inside as outside (each mount appears at its host path), so git remotes, logs and
// HARNESS_* variables mean the same thing on both sides and nothing needs rewriting.

import type { Forward } from './forward.js';

export type { Forward };

export const SANDBOX_KINDS = ['process', 'bwrap', 'docker', 'podman'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

export interface Mount {
  /** absolute host path; it appears at the same path inside */
  path: string;
  mode: 'ro' | 'rw';
}

export interface SessionSpec {
  /** a short unique name for this session, e.g. `agent-3-s17`; used for container names */
  name: string;
  /** the agent's workspace clone; the session starts here; always mounted rw */
  cwd: string;
  /** what the session may see besides its workspace: upstream (rw), tests (ro), the harness (ro), the prompt (ro) */
  mounts: Mount[];
  /** the agent command, as argv (never a shell string, never with secrets in it) */
  argv: string[];
  /** ordinary environment for the session (HARNESS_AGENT, HARNESS_SESSION, HARNESS_UPSTREAM, PATH, ...) */
  env: Record<string, string>;
  /** credentials: reach the session's environment without ever appearing in argv or a log */
  secrets: Record<string, string>;
  /** written to the command's stdin, then closed (the prompt, for `cmd` agents) */
  stdin?: string;
  /** an open file descriptor that receives stdout and stderr (the session log) */
  outputFd: number;
  /** true: the host's network; false: only the sandbox's own loopback, plus `forwards` */
  network: boolean;
  /** with network false: loopback ports inside that reach host unix sockets (the upstream server); ignored by `process` */
  forwards?: Forward[];
  /** with forwards: the /etc/hosts the session sees (without one, containers get --add-host from the forwards' names) */
  hostsFile?: string;
  /** `nice`: the CPU priority the process and bwrap sandboxes start the agent at (0: the supervisor's own) */
  limits: { cpus?: number; memoryMb?: number; pids?: number; nice?: number };
  /** container image, for docker/podman */
  image?: string;
}

export interface SessionExit {
  /** exit code, or null when killed by a signal */
  code: number | null;
  signal: string | null;
  /** the executor ended it at its own time limit (Slurm's --time) */
  timedOut?: boolean;
}

export interface RunningSession {
  /** the host pid of the process the supervisor waits on */
  pid: number;
  exited: Promise<SessionExit>;
  /** SIGTERM (or the container equivalent), then SIGKILL after graceMs; resolves when gone */
  stop(graceMs: number): Promise<SessionExit>;
}

export interface Sandbox {
  kind: SandboxKind;
  /** throws EnvError (exit 4) naming the one command that installs what is missing */
  check(): Promise<void>;
  start(spec: SessionSpec): Promise<RunningSession>;
  /**
   * Containers only: ends and removes what is left of the session named `name` after its
   * supervisor died (a killed client leaves its container running). Resolves true when
   * something was removed. Process and bwrap sessions need none: they are a process group
   * the next supervisor kills, and bwrap dies with its parent.
   */
  removeLeftover?(name: string): Promise<boolean>;
  /**
   * Remote executors that enforce the time limit themselves (Slurm's --time): the session's
   * own timer waits this much longer, as a backstop, so the executor's limit is the one seen.
   */
  timeLimitSlackMs?: number;
}
