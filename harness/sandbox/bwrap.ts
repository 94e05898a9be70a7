// The `bwrap` sandbox: bubblewrap builds each session a fresh root from nothing. It sees the
// host's system folders read-only (its tools), its workspace and the upstream read-write,
// the tests read-only, a private /tmp, a private empty HOME, and nothing else: not the
// other agents' workspaces, not the swarm's logs. It has its own PID namespace (it cannot
// see or signal the supervisor or other sessions), IPC and UTS namespaces, no
// capabilities, and no network when the spec says so.
//
// Limits: bwrap has no cgroup of its own, and this harness does not add one, so
// spec.limits (cpus, memory, pids) are NOT applied by this sandbox. systemd-run needs a
// running systemd, and prlimit's address-space limit breaks Node (V8 reserves far more
// address space than it uses) while RLIMIT_NPROC counts every process of the user, not the
// session's. Use docker/podman when a session must be held to limits.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EnvError } from '../kit/errors.js';
import { checkEnv, lastLine, privateHome, runTool, sessionMounts, within } from './common.js';
import { forwardArgv, forwardMounts } from './forward.js';
import { membersOf, pidNamespaceOf, signal } from './pidns.js';
import { niced, spawnSession, stopGroup } from './process.js';
import type { Sandbox, SessionExit, SessionSpec } from './types.js';

export interface BwrapOptions {
  /** the bwrap executable (default `bwrap` on PATH) */
  binary?: string;
  /** host folders the session sees read-only: where its tools and libraries come from */
  systemPaths?: string[];
}

/** Not /opt, /home, /srv, /var, /root: those are where swarms and other people's files live. */
export const DEFAULT_SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

export type PathKind = { kind: 'dir' | 'file' | 'missing' } | { kind: 'symlink'; target: string };

export interface BwrapPlan {
  systemPaths: string[];
  /** what a host path is; injectable so the argument builder stays a pure function */
  lookup: (p: string) => PathKind;
  /** realpath of /etc/resolv.conf when it points outside the system paths (systemd-resolved) */
  resolvConf?: string;
  root: boolean;
}

/** The bwrap arguments for a session, up to (not including) `--` and the agent's argv. */
export function bwrapArgs(spec: SessionSpec, plan: BwrapPlan): string[] {
  const a = ['--die-with-parent', '--new-session', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  if (!spec.network) a.push('--unshare-net');
  // Root inside keeps no capability: nothing to remount, no raw sockets, no ptrace of the host.
  if (plan.root) a.push('--cap-drop', 'ALL');
  for (const p of plan.systemPaths) {
    const k = plan.lookup(p);
    if (k.kind === 'symlink') a.push('--symlink', k.target, p);
    else if (k.kind !== 'missing') a.push('--ro-bind', p, p);
  }
  if (plan.resolvConf) a.push('--ro-bind', plan.resolvConf, plan.resolvConf);
  if (!spec.network && spec.hostsFile) a.push('--ro-bind', spec.hostsFile, '/etc/hosts');
  a.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  const fw = spec.network ? [] : (spec.forwards ?? []);
  const mounts = sessionMounts(spec, forwardMounts(fw));
  const home = privateHome(spec, mounts);
  if (home && !within(home, '/tmp')) a.push('--tmpfs', home);
  else if (home) a.push('--dir', home);
  for (const m of mounts) a.push(m.mode === 'rw' ? '--bind' : '--ro-bind', m.path, m.path);
  a.push('--chdir', spec.cwd);
  return a;
}

function hostLookup(p: string): PathKind {
  try {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(p) };
    return { kind: st.isDirectory() ? 'dir' : 'file' };
  } catch {
    return { kind: 'missing' };
  }
}

function hostResolvConf(systemPaths: string[]): string | undefined {
  try {
    const real = realpathSync('/etc/resolv.conf');
    return systemPaths.some((s) => within(real, s)) ? undefined : real;
  } catch {
    return undefined;
  }
}

export function bwrapSandbox(opts: BwrapOptions = {}): Sandbox {
  const bin = opts.binary ?? 'bwrap';
  const systemPaths = opts.systemPaths ?? DEFAULT_SYSTEM_PATHS;
  return {
    kind: 'bwrap',
    check: () => checkBwrap(bin),
    start: async (spec) => {
      checkEnv(spec.env, 'env');
      checkEnv(spec.secrets, 'secret');
      const plan: BwrapPlan = { systemPaths, lookup: hostLookup, resolvConf: hostResolvConf(systemPaths), root: process.getuid?.() === 0 };
      // `--info-fd 3`: bwrap reports the host pid of the namespace's init, which stop() needs.
      const argv = [bin, ...bwrapArgs(spec, plan), '--info-fd', '3', '--', ...forwardArgv(spec.network ? [] : (spec.forwards ?? []), niced(spec.argv, spec.limits.nice))];
      // Secrets travel in bwrap's environment, which it hands to the agent: never in argv.
      const { child, exited } = await spawnSession(argv, spec.cwd, { ...spec.env, ...spec.secrets }, spec, { extraPipe: true }).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOENT' ? missingBwrap(bin) : e;
      });
      const init = await readChildPid(child.stdio[3] as Readable);
      if (init === undefined) {
        const ex = await exited;
        throw new EnvError('SANDBOX_START_FAILED', `bwrap could not set up session ${spec.name} (exit ${ex.code ?? ex.signal}); its reason is at the end of the session log`);
      }
      return { pid: child.pid!, exited, stop: (graceMs) => stopNamespace(child.pid!, init, exited, graceMs) };
    },
  };
}

function missingBwrap(bin: string): EnvError {
  return new EnvError('SANDBOX_MISSING', `bubblewrap (${bin}) is not installed: run \`apt-get install bubblewrap\``);
}

async function checkBwrap(bin: string): Promise<void> {
  const v = await runTool(bin, ['--version']);
  if (v.missing) throw missingBwrap(bin);
  // Installed is not enough: containers and hardened kernels forbid the namespaces it needs.
  const r = await runTool(bin, ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--dev', '/dev', '--', 'true']);
  if (r.code !== 0) {
    throw new EnvError(
      'SANDBOX_UNUSABLE',
      `bubblewrap cannot create namespaces here (${lastLine(r.stderr) || `exit ${r.code}`}): allow user namespaces with \`sysctl -w kernel.unprivileged_userns_clone=1\`, or use --sandbox docker`,
    );
  }
}

/** Reads `{"child-pid": N}` from bwrap's info fd; undefined if bwrap exits before sending it. */
function readChildPid(info: Readable): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const done = (pid: number | undefined) => {
      info.removeAllListeners('data');
      info.resume(); // keep draining so bwrap never blocks on the pipe
      resolve(pid);
    };
    info.setEncoding('utf8');
    info.on('data', (d: string) => {
      text += d;
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m) done(Number(m[1]));
    });
    info.once('close', () => done(undefined));
  });
}

/**
 * SIGTERM to every process in the session's namespace (not only the agent's process group:
 * an agent's daemons may have left it), then after the grace period SIGKILL to the
 * namespace's init, which takes everything left in the namespace with it.
 */
async function stopNamespace(bwrapPid: number, init: number, exited: Promise<SessionExit>, graceMs: number): Promise<SessionExit> {
  const ns = pidNamespaceOf(init);
  if (!ns) return stopGroup(bwrapPid, exited, graceMs);
  for (const p of membersOf(ns)) if (p !== init) signal(p, 'SIGTERM');
  const kill = () => {
    signal(init, 'SIGKILL');
    signal(-bwrapPid, 'SIGKILL');
  };
  const timer = setTimeout(kill, graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
    kill();
  }
}

