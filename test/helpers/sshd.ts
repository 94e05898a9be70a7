// A private sshd on a loopback port with two "hosts": two users made for the test, each
// with a home in the test's folder, logging in with a key the test generated. Everything
// it starts is stopped by pid (the daemon, then every process of its users), and the users
// are removed, even when the test fails.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './net.js';

export interface SshFixture {
  port: number;
  /** ssh config with Host aliases `host-a` and `host-b` (their users, the key, the port) */
  config: string;
  users: [string, string];
  homes: [string, string];
  /** pids of processes running as `user` now */
  pidsOf(user: string): number[];
  stop(): Promise<void>;
}

/** Why this machine cannot run the fixture, or null. */
export function sshUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (it adds two users and runs sshd)';
  for (const b of ['/usr/sbin/sshd', '/usr/sbin/useradd', '/usr/bin/ssh', '/usr/bin/ssh-keygen']) if (!existsSync(b)) return `${b} is missing (apt-get install openssh-server openssh-client)`;
  return null;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });


function uidOf(user: string): number | null {
  try {
    return Number(run('id', ['-u', user]).trim());
  } catch {
    return null;
  }
}

export function pidsOfUid(uid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (statSync(`/proc/${d}`).uid === uid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** `groups`: supplementary groups of both users; `setEnv`: variables every session gets from sshd (the "host's" own environment). */
export async function startSshd(root: string, tag: string, opts: { groups?: string[]; setEnv?: Record<string, string> } = {}): Promise<SshFixture> {
  const dir = path.join(root, 'sshd');
  mkdirSync(dir, { recursive: true });
  chmodSync(root, 0o755); // the users' homes are below: they must get through
  const users: [string, string] = [`hx${tag}a`, `hx${tag}b`];
  const homes: [string, string] = [path.join(root, 'home-a'), path.join(root, 'home-b')];
  let daemon: ChildProcess | null = null;
  const stop = async () => {
    if (daemon?.pid) {
      try {
        process.kill(daemon.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const u of users) {
      const uid = uidOf(u);
      if (uid === null) continue;
      for (const p of pidsOfUid(uid)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        run('userdel', ['-f', u]);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    for (const [i, u] of users.entries()) {
      if (uidOf(u) !== null) run('userdel', ['-f', u]); // a previous run killed before its cleanup
      run('useradd', ['-m', '-d', homes[i]!, '-s', '/bin/sh', ...(opts.groups?.length ? ['-G', opts.groups.join(',')] : []), u]);
      run('usermod', ['-p', '*', u]); // unlocked, no password: keys only
    }
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
    const pub = readFileSync(path.join(dir, 'id.pub'), 'utf8');
    mkdirSync(path.join(dir, 'keys'));
    for (const u of users) writeFileSync(path.join(dir, 'keys', u), pub);
    const port = await freePort();
    const cfg = path.join(dir, 'sshd_config');
    writeFileSync(
      cfg,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${dir}/host_key`,
        `PidFile ${dir}/sshd.pid`,
        `AuthorizedKeysFile ${dir}/keys/%u`,
        'StrictModes no', // the keys live under /tmp
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        `AllowUsers ${users.join(' ')}`,
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'MaxStartups 50:30:100',
        'MaxSessions 50',
        ...Object.entries(opts.setEnv ?? {}).map(([k, v]) => `SetEnv ${k}=${v}`),
        '',
      ].join('\n'),
    );
    daemon = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    daemon.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; ; i++) {
      const up = await new Promise<boolean>((r) => {
        const c = net.connect(port, '127.0.0.1');
        c.once('connect', () => (c.destroy(), r(true)));
        c.once('error', () => r(false));
      });
      if (up) break;
      if (i > 100 || daemon.exitCode !== null) throw new Error(`sshd did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const config = path.join(dir, 'ssh_config');
    writeFileSync(
      config,
      ['a', 'b']
        .map((h, i) => [`Host host-${h}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${users[i]}`, `  IdentityFile ${dir}/id`, '  IdentitiesOnly yes', ''].join('\n'))
        .join('\n'),
    );
    return { port, config, users, homes, pidsOf: (u) => pidsOfUid(uidOf(u) ?? -1), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
