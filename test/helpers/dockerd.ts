// A private Docker engine for tests and benchmarks: its own socket, data and exec roots in
// a temp folder, no iptables, no bridge (so it touches nothing the machine's other users
// have), vfs storage (works on any filesystem). It is stopped by its pid and its folder
// removed afterwards. When dockerd is not installed or cannot start, `startDockerd`
// returns the reason instead, for the tests to skip with.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, closeSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runTool } from '../../harness/sandbox/common.js';

export interface Dockerd {
  /** DOCKER_HOST for the client */
  host: string;
  /** the docker client to use with it */
  docker: string;
  pid: number;
  dir: string;
  /** runs the client against this daemon */
  run: (args: string[]) => ReturnType<typeof runTool>;
  stop: () => Promise<void>;
}

export type DockerdOrReason = { ok: true; dockerd: Dockerd } | { ok: false; reason: string };

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/sbin')) {
    const p = path.join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** `group`: the socket's group (other users of this machine reach the daemon through it, as ssh "hosts" do). */
export async function startDockerd(timeoutMs = 60_000, opts: { group?: string } = {}): Promise<DockerdOrReason> {
  const dockerd = which('dockerd');
  const docker = which('docker');
  if (!dockerd || !docker) return { ok: false, reason: 'dockerd is not installed (apt-get install docker.io; .ci/run installs it)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a private dockerd needs root' };
  // A short path: the daemon's sockets live here, and unix socket paths are limited to 108 bytes.
  const dir = mkdtempSync(path.join('/tmp', 'hd-'));
  const host = `unix://${dir}/docker.sock`;
  if (opts.group) chmodSync(dir, 0o711); // through to the socket, which is the group's
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    dockerd,
    [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
      `--host=${host}`,
      `--data-root=${dir}/data`,
      `--exec-root=${dir}/exec`,
      `--pidfile=${dir}/docker.pid`,
      ...(opts.group ? [`--group=${opts.group}`] : []),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const gone = new Promise<void>((res) => child.once('exit', () => res()));
  child.once('error', () => {});
  const env = { ...process.env, DOCKER_HOST: host };
  const run = (args: string[]) => runTool(docker, args, env);
  let exited = false;
  void gone.then(() => (exited = true));
  const onExit = () => signalPid(child.pid!, 'SIGTERM');
  process.once('exit', onExit); // a crashed test run must not leave a daemon behind

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (!exited) {
      signalPid(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => signalPid(child.pid!, 'SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    const v = await run(['version', '--format', '{{.Server.Version}}']);
    if (v.code === 0 && v.stdout.trim()) return { ok: true, dockerd: { host, docker, pid: child.pid!, dir, run, stop } };
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = readFileSync(path.join(dir, 'dockerd.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
  await stop();
  return { ok: false, reason: `dockerd did not start: ${tail}` };
}

function signalPid(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** Leftover mounts (network namespaces, overlay dirs) must go before rm -rf walks into them. */
export function unmountUnder(dir: string) {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}
