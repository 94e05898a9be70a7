// The executors' pure parts: --hosts and slot placement, srun's arguments and time limit,
// the stdin framing and path rewriting of a remote session, the settings' edge checks,
// and what a session's salvage token may push.
import { describe, expect, it } from 'vitest';
import { parseHosts, hostOfSlot, sshArgs } from '../harness/executors/ssh.js';
import { parseSlurmArgs, slurmMinutes, srunArgs } from '../harness/executors/slurm.js';
import { BOOTSTRAP, frame, fromSlot, parseReport, SLOT, toSlot, type RemoteSpec } from '../harness/executors/protocol.js';
import { checkRemoteUpstream, remoteSandboxKind, upstreamHostPort } from '../harness/executors/index.js';
import { resolveConfig } from '../harness/swarm/config.js';
import { checkPush, ZERO } from '../harness/serve/policy.js';
import { UsageError } from '../harness/kit/errors.js';

const resolve = (flags: Record<string, unknown>) => resolveConfig({ flags, file: null, cwd: '/p', now: 0, hasProject: true });

describe('--hosts and placement', () => {
  it('reads USER@HOST[:SLOTS] lists and host aliases', () => {
    expect(parseHosts('alice@node1:4,node2')).toEqual([{ target: 'alice@node1', slots: 4 }, { target: 'node2', slots: 1 }]);
    for (const bad of ['', 'a@b:0', 'a b', 'a@b:x', '-oProxyCommand=x', 'a@-b']) expect(() => parseHosts(bad), bad).toThrow(UsageError);
  });
  it('fills each host with its slots in order, then goes round', () => {
    const hosts = parseHosts('a:2,b');
    expect([0, 1, 2, 3].map((i) => hostOfSlot(hosts, i).target)).toEqual(['a', 'a', 'b', 'a']);
  });
  it('ssh never asks: batch mode, host keys accepted once into the swarm folder, then pinned', () => {
    const a = sshArgs({ dir: '/s', sshConfig: null }, 'u@h').join(' ');
    expect(a).toContain('BatchMode=yes');
    expect(a).toContain('StrictHostKeyChecking=accept-new');
    expect(a).toContain('UserKnownHostsFile=/s/ssh/known_hosts');
    expect(a.endsWith('u@h --')).toBe(true);
  });
});

describe('Slurm', () => {
  it('turns --session-timeout into whole minutes, rounded up', () => {
    expect([1, 60_000, 60_001, 7_200_000].map(slurmMinutes)).toEqual([1, 1, 2, 120]);
    expect(srunArgs({ partition: 'cpu', args: ['--mem=4G'] }, 90_000, 'agent-1-s1-x')).toEqual(['srun', '--job-name=agent-1-s1-x', '--nodes=1', '--ntasks=1', '--time=2', '--quiet', '--kill-on-bad-exit=1', '--partition=cpu', '--mem=4G']);
  });
  it('takes plain srun options only (there is no shell to honour quotes)', () => {
    expect(parseSlurmArgs('--mem=4G  --cpus-per-task=2')).toEqual(['--mem=4G', '--cpus-per-task=2']);
    for (const bad of ['--x="a b"', 'mem=4G', '--a; rm -rf /', '--a $(id)']) expect(() => parseSlurmArgs(bad), bad).toThrow(UsageError);
  });
});

describe('the remote session channel', () => {
  it('frames the code and the spec on stdin, and reads reports from stderr lines', () => {
    const spec = { v: 1, agent: 'agent-1', session: '3' } as RemoteSpec;
    const b = frame('console.log(1)', spec).toString();
    expect(b).toBe(`14\nconsole.log(1)${JSON.stringify(spec)}\n`);
    expect(BOOTSTRAP).not.toMatch(/token|secret/i);
    expect(parseReport('@harness {"type":"placed","host":"n1","job":"7","workspace":"/w"}')).toEqual({ type: 'placed', host: 'n1', job: '7', workspace: '/w' });
    expect(parseReport('fatal: something')).toBeNull();
    expect(parseReport('@harness not json')).toBeNull();
  });
  it('rewrites the slot folder both ways', () => {
    const s = toSlot('/swarm/agents/agent-1/home:/swarm/agents/agent-1/session/x', '/swarm/agents/agent-1');
    expect(s).toBe(`${SLOT}/home:${SLOT}/session/x`);
    expect(fromSlot(s, '/r/agents/agent-1')).toBe('/r/agents/agent-1/home:/r/agents/agent-1/session/x');
  });
});

describe('settings', () => {
  it('needs --hosts for ssh, and refuses executor options for another executor', () => {
    expect(resolve({ agent: 'cmd', agentCmd: 'x', executor: 'ssh', hosts: 'a:2' }).exec).toMatchObject({ kind: 'ssh', hosts: [{ target: 'a', slots: 2 }], remoteDir: '~/.harness-sessions' });
    expect(() => resolve({ agent: 'cmd', agentCmd: 'x', executor: 'ssh' })).toThrow(/needs --hosts/);
    expect(() => resolve({ agent: 'cmd', agentCmd: 'x', hosts: 'a' })).toThrow(/only for --executor ssh/);
    expect(() => resolve({ agent: 'cmd', agentCmd: 'x', slurmPartition: 'cpu' })).toThrow(/only for --executor slurm/);
    expect(() => resolve({ agent: 'cmd', agentCmd: 'x', executor: 'k8s' })).toThrow(/one of local, ssh, slurm/);
    expect(() => resolve({ agent: 'cmd', agentCmd: 'x', executor: 'slurm', remoteDir: '../x' })).toThrow(UsageError);
    expect(resolve({ agent: 'cmd', agentCmd: 'x', listen: '0.0.0.0:8417' }).exec.listen).toEqual({ host: '0.0.0.0', port: 8417 });
    expect(() => resolve({ agent: 'cmd', agentCmd: 'x', listen: 'nope' })).toThrow(/not HOST:PORT/);
    expect(resolve({ agent: 'cmd', agentCmd: 'x', executor: 'slurm', publicUrl: 'https://swarm.example.org/upstream.git' }).exec.publicUrl).toBe('https://swarm.example.org/upstream.git');
    expect(() => resolve({ agent: 'cmd', agentCmd: 'x', executor: 'slurm', publicUrl: 'https://x/$(id)' })).toThrow(/http\(s\) URL/);
  });
  it('remote sessions run as a process, in bwrap, or in a container of the remote\'s own docker/podman (with an image named)', () => {
    expect(remoteSandboxKind('process', null, 'ssh')).toBe('process');
    expect(remoteSandboxKind('bwrap', null, 'ssh')).toBe('bwrap');
    expect(remoteSandboxKind('docker', 'img:1', 'slurm')).toBe('docker');
    expect(remoteSandboxKind('podman', 'img:1', 'ssh')).toBe('podman');
    expect(() => remoteSandboxKind('docker', null, 'ssh')).toThrow(/needs --image NAME: an image on the hosts' own docker/);
  });
  it('--network upstream on a remote sandbox needs an upstream URL whose host a loopback forward can stand for', () => {
    expect(() => checkRemoteUpstream('http://10.0.0.5:8417/upstream.git', 'bwrap', 'upstream')).toThrow(/names its host by address/);
    expect(() => checkRemoteUpstream('http://[fd00::1]:8417/upstream.git', 'docker', 'upstream')).toThrow(/names its host by address/);
    for (const ok of ['http://127.0.0.1:8417/u.git', 'http://build-7:8417/u.git', 'https://swarm.example.org/u.git']) expect(() => checkRemoteUpstream(ok, 'docker', 'upstream')).not.toThrow();
    // the host's network, or no sandbox: the address is reached as it is
    expect(() => checkRemoteUpstream('http://10.0.0.5:8417/u.git', 'bwrap', 'host')).not.toThrow();
    expect(() => checkRemoteUpstream('http://10.0.0.5:8417/u.git', 'process', 'upstream')).not.toThrow();
    expect(upstreamHostPort('https://swarm.example.org/u.git')).toEqual({ host: 'swarm.example.org', port: 443 });
    expect(upstreamHostPort('http://build-7:8417/u.git')).toEqual({ host: 'build-7', port: 8417 });
  });
});

describe("a session's salvage token", () => {
  const who = { role: 'salvage' as const, agent: 'agent-2', session: '5' };
  const up = (ref: string, old = ZERO, neu = 'a'.repeat(40)) => ({ old, new: neu, ref });
  const check = (u: ReturnType<typeof up>[]) => checkPush(who, u, null, () => null, { allowTestEdits: false });
  it('creates wip refs of its own agent, any session of it (leftovers of a killed one)', () => {
    expect(check([up('refs/heads/wip/agent-2/5')])).toEqual([]);
    expect(check([up('refs/heads/wip/agent-2/4-2')])).toEqual([]);
  });
  it('never moves or deletes a wip ref, never writes another agent\'s, main, or anything else', () => {
    for (const u of [up('refs/heads/wip/agent-2/5', 'b'.repeat(40)), up('refs/heads/wip/agent-2/5', 'b'.repeat(40), ZERO), up('refs/heads/wip/agent-1/5'), up('refs/heads/main', 'b'.repeat(40)), up('refs/heads/feature')]) {
      expect(check([u]), u.ref).toHaveLength(1);
    }
  });
});
