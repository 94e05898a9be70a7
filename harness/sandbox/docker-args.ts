// Pure argument building for the docker/podman sandbox, kept apart from the I/O so that
// what a container is allowed (mounts, limits, network, user) can be read in one place and
// tested without a daemon.
import { UsageError } from '../kit/errors.js';
import { privateHome, sessionMounts } from './common.js';
import { forwardArgv, forwardMounts } from './forward.js';
import type { Mount, SessionSpec } from './types.js';

export interface CreatePlan {
  image: string;
  /** `user:group` the agent runs as (the supervisor's, so the files it writes are ours) */
  user: string;
  /** the network when spec.network is true: undefined = the daemon's default, or a name like `host` */
  network?: string;
  /** host folders added read-only to every session (tests use them to share the host's /usr) */
  extraMounts: Mount[];
  /** the file holding the secrets (mode 0600, deleted as soon as `create` returns) */
  envFile?: string;
  /** flavour-specific options (podman's --ulimit) */
  extraArgs?: string[];
}

/** `docker create ...` for a session; the container is started (and attached) separately. */
export function dockerCreateArgs(spec: SessionSpec, plan: CreatePlan): string[] {
  const a = ['create', '--rm', '--init', '--name', spec.name, '--label', `harness.session=${spec.name}`];
  // Only the mounts are writable: a read-only root, a private /tmp, a private HOME.
  a.push('--read-only', '--tmpfs', '/tmp:rw,exec,mode=1777');
  const fw = spec.network ? [] : (spec.forwards ?? []);
  const mounts = sessionMounts(spec, [...plan.extraMounts, ...forwardMounts(fw)]);
  const home = privateHome(spec, mounts);
  if (home) a.push('--tmpfs', `${home}:rw,exec,mode=1777`); // under /tmp too: the folder must exist
  a.push('--cap-drop', 'ALL', '--security-opt', 'no-new-privileges');
  a.push('--user', plan.user, '--workdir', spec.cwd);
  if (!spec.network) a.push('--network', 'none');
  else if (plan.network) a.push('--network', plan.network);
  // The same /etc/hosts as bwrap's: docker's own lists localhost (and --add-host only appends,
  // where getaddrinfo's sorting prefers 127.0.0.1 to an allowed name's 127.0.0.N).
  if (!spec.network && spec.hostsFile) a.push('--mount', mountSpec({ path: spec.hostsFile, mode: 'ro' }).replace(`target=${spec.hostsFile}`, 'target=/etc/hosts'));
  else for (const f of fw) if (f.name) a.push('--add-host', `${f.name}:${f.addr}`);
  const { cpus, memoryMb, pids } = spec.limits;
  if (cpus !== undefined) a.push('--cpus', positive(cpus, 'cpus').toString());
  if (memoryMb !== undefined) a.push('--memory', `${Math.round(positive(memoryMb, 'memoryMb'))}m`);
  if (pids !== undefined) a.push('--pids-limit', String(Math.round(positive(pids, 'pids'))));
  for (const m of mounts) a.push('--mount', mountSpec(m));
  // Ordinary variables are configuration, fine to see in `ps` and `docker inspect`.
  for (const [k, v] of Object.entries(spec.env)) a.push('--env', `${k}=${v}`);
  if (plan.envFile) a.push('--env-file', plan.envFile);
  if (spec.stdin !== undefined) a.push('--interactive');
  a.push(...(plan.extraArgs ?? []));
  // The entrypoint is the agent's argv[0], so an image's own ENTRYPOINT never wraps it.
  const argv = forwardArgv(fw, spec.argv);
  a.push('--entrypoint', argv[0]!, plan.image, ...argv.slice(1));
  return a;
}

/** `--mount` takes CSV: quote a field that holds a comma or a quote. */
export function mountSpec(m: Mount): string {
  const fields = ['type=bind', `source=${m.path}`, `target=${m.path}`];
  if (m.mode === 'ro') fields.push('readonly');
  return fields.map((f) => (/[",\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

/**
 * The secrets as an env file. Docker reads it line by line with no quoting, so a value
 * with a newline cannot be carried: refuse it rather than pass half a key.
 */
export function envFileText(secrets: Record<string, string>): string {
  return Object.entries(secrets)
    .map(([k, v]) => {
      if (/[\r\n]/.test(v)) throw new UsageError('SANDBOX_BAD_SECRET', `secret ${k} contains a line break, which a container env file cannot carry`);
      return `${k}=${v}\n`;
    })
    .join('');
}

function positive(x: number, what: string): number {
  if (!Number.isFinite(x) || x <= 0) throw new UsageError('SANDBOX_BAD_LIMIT', `limits.${what} must be a positive number, got ${x}`);
  return x;
}
