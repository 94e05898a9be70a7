// Sessions on ssh hosts: `--executor ssh --hosts user@a:2,user@b`. Slots are spread over the
// hosts by their slot counts, in order (a slot stays on its host, so a host's workspace
// leftovers are saved by its next session there). ssh never asks anything: BatchMode, and
// the host keys go to known_hosts in the swarm folder (accepted on first contact, refused
// when they change). Ports, keys and aliases come from an ssh config (--ssh-config FILE).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { EnvError, UsageError } from '../kit/errors.js';
import { runTool, lastLine } from '../sandbox/common.js';
import { shq } from '../kit/shell.js';
import { remoteSandbox, type RemoteOptions, type Transport } from './remote.js';
import type { Executor } from './types.js';

export interface SshHost {
  /** what ssh is given: user@host or a Host alias of the ssh config */
  target: string;
  slots: number;
}

/** `user@a:2,user@b` -> hosts with their slot counts (1 when not given). */
export function parseHosts(v: unknown, from = '--hosts'): SshHost[] {
  const list = (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',') : [x]));
  const bad = (x: unknown) => new UsageError('BAD_HOSTS', `${from}: ${JSON.stringify(x)} is not [USER@]HOST[:SLOTS]; e.g. --hosts alice@node1:4,alice@node2:4`);
  if (list.length === 0) throw bad(v);
  return list.map((x) => {
    const m = typeof x === 'string' ? /^((?:[a-z_][a-z0-9_.-]{0,31}@)?[A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::(\d{1,4}))?$/.exec(x.trim()) : null;
    if (!m || (m[2] !== undefined && Number(m[2]) < 1)) throw bad(x);
    return { target: m[1]!, slots: m[2] === undefined ? 1 : Number(m[2]) };
  });
}

/** Slot i (0-based) -> its host: the first host's slots, then the next's; past the total, round robin. */
export function hostOfSlot(hosts: SshHost[], i: number): SshHost {
  const total = hosts.reduce((n, h) => n + h.slots, 0);
  let k = i % total;
  for (const h of hosts) {
    if (k < h.slots) return h;
    k -= h.slots;
  }
  return hosts[0]!;
}

export interface SshOptions {
  hosts: SshHost[];
  /** the swarm folder: known_hosts lives in DIR/ssh/ */
  dir: string;
  sshConfig: string | null;
  remote: Omit<RemoteOptions, 'transport'>;
  env: NodeJS.ProcessEnv;
}

export function sshArgs(o: Pick<SshOptions, 'dir' | 'sshConfig'>, target: string): string[] {
  return [
    'ssh',
    ...(o.sshConfig ? ['-F', o.sshConfig] : []),
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${path.join(o.dir, 'ssh', 'known_hosts')}`,
    '-o', 'HashKnownHosts=no',
    '-o', 'ConnectTimeout=15',
    '-o', 'ServerAliveInterval=15',
    '-o', 'ServerAliveCountMax=4',
    '-T',
    target,
    '--',
  ];
}

export function sshExecutor(o: SshOptions): Executor {
  const slotIndex = (agent: string) => Number(agent.replace(/^agent-/, '')) - 1;
  const hostOf = (agent: string) => hostOfSlot(o.hosts, slotIndex(agent));
  mkdirSync(path.join(o.dir, 'ssh'), { recursive: true, mode: 0o700 });
  return {
    kind: 'ssh',
    placeOf: (agent) => hostOf(agent).target,
    check: async () => {
      for (const h of o.hosts) {
        const r = await runTool(sshArgs(o, h.target)[0]!, [...sshArgs(o, h.target).slice(1), `${o.remote.node} -e ${shq("process.stdout.write(process.version)")} && git --version`], o.env, 30_000);
        if (r.missing) throw new EnvError('EXECUTOR_MISSING', 'ssh is not installed here: apt-get install openssh-client');
        if (r.code !== 0) throw new EnvError('SSH_HOST_UNUSABLE', `ssh ${h.target}: ${lastLine(r.stderr) || `exit ${r.code}`}; it must log in without a password (a key; BatchMode) and have node and git on its PATH`);
        const c = o.remote.container;
        if (!c) continue;
        // One question answers three: the client is there, its daemon answers, the image is on it.
        const bin = o.remote.sandbox;
        const i = await runTool(sshArgs(o, h.target)[0]!, [...sshArgs(o, h.target).slice(1), `${c.host ? `${bin === 'podman' ? 'CONTAINER_HOST' : 'DOCKER_HOST'}=${shq(c.host)} ` : ''}${bin} image inspect --format '{{.Id}}' ${shq(c.image)}`], o.env, 60_000);
        if (i.code !== 0) throw new EnvError('SSH_HOST_SANDBOX', `ssh ${h.target}: ${bin} cannot give image ${c.image} there (${lastLine(i.stderr) || `exit ${i.code}`}): install ${bin} on the host, make its daemon reachable for that user (its ${bin === 'podman' ? 'CONTAINER_HOST' : 'DOCKER_HOST'}, or --docker-host), and build the image there (bash scripts/build-image.sh ${c.image})`);
      }
    },
    sandbox: (r) => {
      const target = hostOf(r.agent).target;
      const transport: Transport = {
        env: o.env,
        // ssh hands the remote command to the user's shell: one quoted string
        command: (argv) => [...sshArgs(o, target), argv.map(shq).join(' ')],
        entryTimeout: (ms) => ms,
      };
      return remoteSandbox({ ...o.remote, transport }, r);
    },
  };
}
