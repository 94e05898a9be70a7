// The `docker` and `podman` sandboxes (one implementation, two binaries): a `--rm`
// container per session, with the session's mounts at their host paths, a read-only root,
// private /tmp and HOME, no capabilities, and spec.limits as --cpus/--memory/--pids-limit.
//
// A session is `create` then `start --attach`: the secrets go into an env file (mode 0600,
// in a private folder) that the client reads during `create` and that is deleted as soon as
// `create` returns, before the agent runs. They are never in an argv or a log; they are in
// the container's configuration, which only those who can reach the daemon (root's peers)
// can read. The supervisor waits on the attached client: its exit code is the container's.
//
// Network: spec.network=false is `--network none`. spec.network=true is the daemon's default
// network (docker's `bridge`, podman's `podman`) when the daemon has one; a daemon started
// with `--bridge=none` has only `host` and `none`, and there a session gets `host`, since
// agents must reach their model's API. `DockerOptions.network` overrides the choice.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvError } from '../kit/errors.js';
import { checkEnv, lastLine, runTool } from './common.js';
import { dockerCreateArgs, envFileText } from './docker-args.js';
import { signal } from './pidns.js';
import { spawnSession } from './process.js';
import type { Mount, RunningSession, Sandbox, SessionExit } from './types.js';

export interface DockerOptions {
  /** `docker` (default) or `podman`, or a path to either */
  binary?: string;
  /** the daemon to use, e.g. `unix:///tmp/d/docker.sock` (DOCKER_HOST; CONTAINER_HOST for podman) */
  host?: string;
  /** image for sessions whose spec has none */
  image?: string;
  /** network when spec.network is true; default: the daemon's default network, else `host` */
  network?: string;
  /** host folders added read-only to every session, e.g. the host's /usr for a tiny test image */
  extraMounts?: Mount[];
  /** `uid:gid` inside; default the supervisor's own, so workspace files stay ours */
  user?: string;
  /** where env files are written (default: a fresh private folder under the OS temp dir) */
  secretsDir?: string;
  /** client options before the subcommand, e.g. podman's `--root DIR --runroot DIR` */
  globalArgs?: string[];
}

type Flavour = 'docker' | 'podman';

const CREATE_TIMEOUT_MS = 10 * 60_000;

export function dockerSandbox(opts: DockerOptions = {}, flavour: Flavour = 'docker'): Sandbox {
  const bin = opts.binary ?? flavour;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (opts.host) env[flavour === 'podman' ? 'CONTAINER_HOST' : 'DOCKER_HOST'] = opts.host;
  const global = opts.globalArgs ?? [];
  const tool = (args: string[], timeoutMs?: number) => runTool(bin, [...global, ...args], env, timeoutMs);
  let network: Promise<string | undefined> | undefined;
  const resolveNetwork = () => (network ??= defaultNetwork(tool, opts.network));

  const missingClient = () => new EnvError('SANDBOX_MISSING', `${bin} is not installed: run \`apt-get install ${flavour === 'podman' ? 'podman' : 'docker.io'}\``);

  const check = async () => {
    const v = await tool(['version', '--format', '{{.Server.Version}}']);
    if (v.missing) throw missingClient();
    if (v.code !== 0 || !v.stdout.trim()) throw unreachable(flavour, opts.host, v.stderr);
    if (opts.image) {
      const i = await tool(['image', 'inspect', '--format', '{{.Id}}', opts.image]);
      if (i.code !== 0) throw new EnvError('SANDBOX_IMAGE_MISSING', `image ${opts.image} is not on this ${flavour} host: build it with \`bash scripts/build-image.sh ${opts.image}\``);
    }
    await resolveNetwork();
  };

  const start = async (spec: Parameters<Sandbox['start']>[0]): Promise<RunningSession> => {
    const image = spec.image ?? opts.image;
    if (!image) throw new EnvError('SANDBOX_NO_IMAGE', `no image for session ${spec.name}: give the sandbox one (build it with \`bash scripts/build-image.sh\`)`);
    checkEnv(spec.env, 'env');
    checkEnv(spec.secrets, 'secret');
    const dir = mkdtempSync(path.join(opts.secretsDir ?? os.tmpdir(), 'harness-env-'));
    let id: string;
    try {
      const envFile = Object.keys(spec.secrets).length ? path.join(dir, 'env') : undefined;
      if (envFile) writeFileSync(envFile, envFileText(spec.secrets), { mode: 0o600, flag: 'wx' });
      const extraArgs = flavour === 'podman' ? podmanUlimits() : [];
      const args = dockerCreateArgs(spec, { image, user: opts.user ?? ownUser(), network: await resolveNetwork(), extraMounts: opts.extraMounts ?? [], envFile, extraArgs });
      // On vfs storage `create` copies the whole image (the agent image is about 1.5 GB): minutes on a busy disk.
      const c = await tool(args, CREATE_TIMEOUT_MS);
      if (c.missing) throw missingClient();
      if (c.code !== 0) {
        const hint = /catatonit/i.test(c.stderr) ? ': run `apt-get install catatonit` (podman\'s --init)' : '';
        throw new EnvError('SANDBOX_START_FAILED', `${flavour} could not create session ${spec.name}: ${lastLine(c.stderr)}${hint}`);
      }
      id = c.stdout.trim();
    } finally {
      rmSync(dir, { recursive: true, force: true }); // the client has read it; it must not outlive `create`
    }
    const startArgs = ['start', '--attach', ...(spec.stdin !== undefined ? ['--interactive'] : []), id];
    let spawned;
    try {
      spawned = await spawnSession([bin, ...global, ...startArgs], spec.cwd, env as Record<string, string>, spec);
    } catch (e) {
      await tool(['rm', '--force', id]);
      throw e;
    }
    const { child } = spawned;
    const exited = spawned.exited.then(async (ex) => {
      // A client killed under us leaves its container running: never leave one behind.
      if (ex.signal) await tool(['rm', '--force', id]);
      return ex;
    });
    const stop = async (graceMs: number): Promise<SessionExit> => {
      // `stop` sends SIGTERM through the container's init, waits, then SIGKILLs; once the
      // container's init is gone the kernel ends everything else in it.
      const t = Math.max(0, Math.ceil(graceMs / 1000));
      const s = await tool(['stop', '--time', String(t), id], graceMs + 30_000);
      // A container stopped before its client started it would start afterwards: removing
      // it forcibly covers that race and a daemon that did not answer `stop`.
      if (s.code !== 0 || !(await settles(exited, 2_000))) await tool(['rm', '--force', id]);
      if (!(await settles(exited, 10_000))) signal(-child.pid!, 'SIGKILL');
      return exited;
    };
    return { pid: child.pid!, exited, stop };
  };

  const removeLeftover = async (name: string): Promise<boolean> => {
    // By label, not by name alone: only a container this harness made is touched.
    const ps = await tool(['ps', '--all', '--quiet', '--filter', `label=harness.session=${name}`]);
    if (ps.missing) throw missingClient();
    if (ps.code !== 0) throw unreachable(flavour, opts.host, ps.stderr);
    const ids = ps.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    if (!ids.length) return false;
    const rm = await tool(['rm', '--force', ...ids]);
    if (rm.code !== 0 && !/no such container/i.test(rm.stderr)) throw new EnvError('SANDBOX_REMOVE_FAILED', `${flavour} could not remove ${name}: ${lastLine(rm.stderr)}`);
    return true;
  };

  return { kind: flavour, check, start, removeLeftover };
}

function settles(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)));
  return Promise.race([p.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Rootful podman 4 asks for 1048576 open files and processes unless told otherwise, which
 * fails ("error setting rlimit ... operation not permitted") on hosts where even root may
 * not raise its hard limits (no CAP_SYS_RESOURCE, as in many VMs and CI runners). Sessions
 * get the supervisor's own open-file limit, and a process limit no higher than 32768: more
 * than any session needs (its cgroup's --pids-limit is the real bound), and the most that
 * podman's runtime chain was seen to pass on (Debian 12, podman 4.3).
 */
function podmanUlimits(): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return [];
  }
  const limit = (label: string) => /^\S.*?\s{2,}(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text.split('\n').find((l) => l.startsWith(label)) ?? '');
  const out: string[] = [];
  const nofile = limit('Max open files');
  if (nofile && nofile[1] !== 'unlimited' && nofile[2] !== 'unlimited') out.push('--ulimit', `nofile=${nofile[1]}:${nofile[2]}`);
  const nproc = limit('Max processes');
  const cap = (v: string | undefined) => Math.min(v === undefined || v === 'unlimited' ? Infinity : Number(v), 32768);
  out.push('--ulimit', `nproc=${cap(nproc?.[1])}:${cap(nproc?.[2])}`);
  return out;
}

function ownUser(): string {
  return `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
}

function unreachable(flavour: Flavour, host: string | undefined, stderr: string): EnvError {
  const where = host ?? (flavour === 'podman' ? 'the default podman socket' : process.env.DOCKER_HOST || 'unix:///var/run/docker.sock');
  const how =
    flavour === 'podman'
      ? 'check `podman info`, or set CONTAINER_HOST to a running podman service'
      : 'start one with `systemctl start docker` (or `dockerd &`), or set DOCKER_HOST to a running daemon\'s socket';
  return new EnvError('DOCKER_DAEMON_UNREACHABLE', `no ${flavour} daemon answers at ${where} (${lastLine(stderr)}): ${how}`);
}

/** The daemon's default network if it has one besides host/none, else `host`. */
async function defaultNetwork(tool: (a: string[]) => ReturnType<typeof runTool>, chosen: string | undefined): Promise<string | undefined> {
  if (chosen) return chosen;
  const r = await tool(['network', 'ls', '--format', '{{.Name}}']);
  if (r.code !== 0) return undefined;
  const names = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  return names.some((n) => n !== 'host' && n !== 'none') ? undefined : 'host';
}
