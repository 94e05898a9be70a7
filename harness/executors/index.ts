// The run's executor, from its configuration. `local` is today's path (null here: the
// supervisor runs the sandbox itself); ssh and slurm start the shipped entrypoint remotely.
import { UsageError } from '../kit/errors.js';
import type { SandboxKind } from '../sandbox/types.js';
import { slurmExecutor } from './slurm.js';
import { sshExecutor } from './ssh.js';
import type { ExecConfig, Executor } from './types.js';

export interface ExecutorInput {
  exec: ExecConfig;
  dir: string;
  sandbox: SandboxKind;
  network: 'upstream' | 'host';
  /** the upstream URL as remote sessions reach it */
  upstream: string;
  timeoutMs: number;
  graceMs: number;
  env: NodeJS.ProcessEnv;
}

/** What a remote session can be isolated with where it runs; the rest is refused before anything starts. */
export function remoteSandboxKind(kind: SandboxKind, network: 'upstream' | 'host', executor: string): 'process' | 'bwrap' {
  if (kind === 'process') return 'process';
  if (kind === 'bwrap' && network === 'host') return 'bwrap';
  if (kind === 'bwrap') throw new UsageError('REMOTE_NETWORK', `--executor ${executor} with --sandbox bwrap: remote sessions reach the upstream over the host's network; pass --network host (a remote --network upstream is not built yet)`);
  throw new UsageError('REMOTE_SANDBOX', `--executor ${executor} with --sandbox ${kind} is not built yet; use --sandbox process or bwrap (with --network host) on remote hosts`);
}

export function executorFor(i: ExecutorInput): Executor | null {
  if (i.exec.kind === 'local') return null;
  const remote = { base: i.exec.remoteDir, upstream: i.upstream, node: i.exec.remoteNode, sandbox: remoteSandboxKind(i.sandbox, i.network, i.exec.kind), timeoutMs: i.timeoutMs, graceMs: i.graceMs };
  if (i.exec.kind === 'ssh') return sshExecutor({ hosts: i.exec.hosts, dir: i.dir, sshConfig: i.exec.sshConfig, remote, env: i.env });
  return slurmExecutor({ partition: i.exec.slurmPartition, args: i.exec.slurmArgs, remote, env: i.env });
}

export type { Executor };
