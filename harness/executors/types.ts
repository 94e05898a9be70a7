// Where a session runs, separate from how it is sandboxed: on this machine (the local
// sandbox), on an ssh host, or as a Slurm job. A remote executor is a Sandbox to the
// Session (start, stop, exit), so the session loop is the same; the supervisor only skips
// the workspace steps that the remote entrypoint does where the session runs.
import type { Sandbox } from '../sandbox/types.js';
import type { EntryReport } from './protocol.js';
import type { SshHost } from './ssh.js';

export const EXECUTOR_KINDS = ['local', 'ssh', 'slurm'] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

/** What one remote session needs besides the SessionSpec the Session gives its sandbox. */
export interface RemoteSession {
  agent: string;
  session: string;
  run: string;
  /** git config vars carrying the session's salvage token (fetch, wip push); never the agent's */
  gitEnv: Record<string, string>;
  /** told each report of the entrypoint (placement, wip saved, its view of the exit) */
  onReport: (r: EntryReport) => void;
}

export interface Executor {
  kind: ExecutorKind;
  /** throws EnvError naming what is missing (ssh, srun, a host that does not answer) */
  check(): Promise<void>;
  /** where slot `agent` runs, as status shows it before a session reports its node */
  placeOf(agent: string): string;
  /** the Sandbox a remote session of this slot runs through */
  sandbox(r: RemoteSession): Sandbox;
  /** ends whatever the executor still holds (Slurm: this run's jobs) */
  close?(): Promise<void>;
}

/** The run's executor settings (resolved by swarm/config.ts). */
export interface ExecConfig {
  kind: ExecutorKind;
  hosts: SshHost[];
  sshConfig: string | null;
  slurmPartition: string | null;
  slurmArgs: string[];
  /** where the upstream server listens (remote sessions reach it there); null: 127.0.0.1, any port */
  listen: { host: string; port: number } | null;
  /** the slots' folders on the remote side (`~/` is the remote user's home) */
  remoteDir: string;
  remoteNode: string;
  /** the upstream's URL as remote sessions reach it (a TLS proxy in front of --listen); null: the server's own */
  publicUrl: string | null;
}
