// The run's executor, from its configuration. `local` is today's path (null here: the
// supervisor runs the sandbox itself); ssh and slurm start the shipped entrypoint remotely.
import { UsageError } from '../kit/errors.js';
import type { SandboxKind } from '../sandbox/types.js';
import { isForeignAddress, type HostPort } from '../sandbox/relay.js';
import type { RemoteSandboxKind } from './protocol.js';
import { slurmExecutor } from './slurm.js';
import { sshExecutor } from './ssh.js';
import type { ExecConfig, Executor } from './types.js';

export interface ExecutorInput {
  exec: ExecConfig;
  dir: string;
  sandbox: SandboxKind;
  network: 'upstream' | 'host';
  allowHost: HostPort[];
  /** docker/podman: the image on the remote side, and the daemon there (null: the remote's own DOCKER_HOST) */
  image: string | null;
  dockerHost: string | null;
  /** the upstream URL as remote sessions reach it */
  upstream: string;
  timeoutMs: number;
  graceMs: number;
  env: NodeJS.ProcessEnv;
}

/** What a remote session is isolated with where it runs; what cannot work there is refused before anything starts. */
export function remoteSandboxKind(kind: SandboxKind, image: string | null, executor: string): RemoteSandboxKind {
  if ((kind === 'docker' || kind === 'podman') && !image) {
    throw new UsageError('REMOTE_NEEDS_IMAGE', `--executor ${executor} with --sandbox ${kind} needs --image NAME: an image on the ${executor === 'ssh' ? 'hosts' : 'nodes'}' own ${kind} (build it there with \`bash scripts/build-image.sh NAME\`)`);
  }
  return kind;
}

/**
 * A remote sandbox without a network reaches the upstream through a relay on its host and a
 * forwarder on its own loopback: the URL's host must be a name (it gets a loopback address
 * inside) or a loopback address, never another machine's address literal.
 */
export function checkRemoteUpstream(url: string, kind: SandboxKind, network: 'upstream' | 'host'): void {
  if (kind === 'process' || network !== 'upstream') return;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError('BAD_PUBLIC_URL', `the upstream URL ${url} is not a URL`);
  }
  if (isForeignAddress(u.hostname)) {
    throw new UsageError('REMOTE_UPSTREAM_ADDRESS', `--network upstream on remote sandboxes: the upstream URL ${url} names its host by address, which a sandbox's own loopback cannot stand for; give the server a name the hosts resolve (--listen 0.0.0.0:PORT uses this machine's name, or --public-url http://NAME:PORT), or pass --network host`);
  }
}

/** The upstream URL's host and port, for the remote relay. */
export function upstreamHostPort(url: string): HostPort {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) };
}

export function executorFor(i: ExecutorInput): Executor | null {
  if (i.exec.kind === 'local') return null;
  const sandbox = remoteSandboxKind(i.sandbox, i.image, i.exec.kind);
  checkRemoteUpstream(i.upstream, i.sandbox, i.network);
  const remote = {
    base: i.exec.remoteDir, upstream: i.upstream, node: i.exec.remoteNode, sandbox, network: i.network, allowHost: i.allowHost, timeoutMs: i.timeoutMs, graceMs: i.graceMs,
    ...(sandbox === 'docker' || sandbox === 'podman' ? { container: { image: i.image!, host: i.dockerHost } } : {}),
  };
  if (i.exec.kind === 'ssh') return sshExecutor({ hosts: i.exec.hosts, dir: i.dir, sshConfig: i.exec.sshConfig, remote, env: i.env });
  return slurmExecutor({ partition: i.exec.slurmPartition, args: i.exec.slurmArgs, remote, env: i.env });
}

export type { Executor };
