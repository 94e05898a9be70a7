// The supervisor's side of a remote session: a transport command (ssh, srun) that starts
// the shipped entrypoint where the session runs, the session spec over its stdin (secrets
// never in argv), the agent's output streamed back into the session log, the entrypoint's
// reports read from its stderr. Closing stdin asks the entrypoint to stop and save.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { EnvError } from '../kit/errors.js';
import { packageFile } from '../kit/paths.js';
import type { RunningSession, Sandbox, SessionExit, SessionSpec } from '../sandbox/types.js';
import { BOOTSTRAP, frame, parseReport, SLOT, toSlot, type RemoteSandboxKind, type RemoteSpec } from './protocol.js';
import type { RemoteSession } from './types.js';

export interface Transport {
  /** the environment the transport command runs in (SLURM_CONF, SSH_AUTH_SOCK, ...) */
  env: NodeJS.ProcessEnv;
  /** the command that runs `argv` where the session goes, with stdin/stdout/stderr connected */
  command(remoteArgv: string[], name: string): string[];
  /** ends the session where it runs when closing its stdin did not (Slurm: cancels the job) */
  cancel?(name: string): Promise<void>;
  /** after the transport exits: the executor's own view (Slurm: the job hit its time limit) */
  after?(name: string, jobId: string | null): Promise<Partial<SessionExit>>;
  /** the entrypoint enforces this time limit itself (0: the executor does, e.g. Slurm's --time) */
  entryTimeout(timeoutMs: number): number;
}

export interface RemoteOptions {
  transport: Transport;
  /** where slot folders live on the remote side (`~/` is the remote user's home) */
  base: string;
  /** the upstream URL as the remote side reaches it */
  upstream: string;
  /** the node binary on the remote side */
  node: string;
  sandbox: RemoteSandboxKind;
  /** `upstream`: the remote sandbox reaches only the upstream and `allowHost`, through relays the entrypoint starts */
  network: 'upstream' | 'host';
  allowHost: { host: string; port: number }[];
  /** docker/podman: the image on the remote hosts, and their daemon (null: their own DOCKER_HOST) */
  container?: { image: string; host: string | null };
  timeoutMs: number;
  graceMs: number;
  /** how long the entrypoint may take to save work after the agent stopped, before the transport is killed */
  saveMs?: number;
}

let entryCode: string | null = null;

/** The entrypoint as built (dist/session-entry.js), read once. */
export function entrypointCode(): string {
  if (entryCode) return entryCode;
  const file = packageFile('dist/session-entry.js');
  if (!existsSync(file)) throw new EnvError('NO_ENTRYPOINT', `${file} is missing: run npm run build in the harness folder`);
  return (entryCode = readFileSync(file, 'utf8'));
}

export function remoteSandbox(o: RemoteOptions, r: RemoteSession): Sandbox {
  return {
    kind: o.sandbox, // for the log and the adapter: how the agent is isolated where it runs (its containers are the entrypoint's to remove)
    timeLimitSlackMs: o.transport.entryTimeout(o.timeoutMs) > 0 ? 0 : 120_000,
    check: async () => {},
    start: (spec) => startRemote(o, r, spec),
  };
}

/** Files the session needs that exist only here: its session folder and the read-only files mounted for it (the prompt). */
export function shippedFiles(spec: SessionSpec, slotDir: string): { files: Record<string, string>; renames: [string, string][] } {
  const files: Record<string, string> = {};
  const renames: [string, string][] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files[toSlot(p, slotDir)] = readFileSync(p, 'utf8');
    }
  };
  walk(path.join(slotDir, 'session'));
  spec.mounts.forEach((m, i) => {
    if (m.path.startsWith(slotDir + path.sep) || !existsSync(m.path)) return;
    const st = statSync(m.path);
    if (!st.isFile() || st.size > 1 << 20) return; // folders (tools) must exist at the same path there
    const to = `${SLOT}/files/${i}-${path.basename(m.path)}`;
    files[to] = readFileSync(m.path, 'utf8');
    renames.push([m.path, to]);
  });
  return { files, renames };
}

function rewrite(s: string, slotDir: string, renames: [string, string][]): string {
  let out = toSlot(s, slotDir);
  for (const [from, to] of renames) out = out.split(from).join(to);
  return out;
}

async function startRemote(o: RemoteOptions, r: RemoteSession, spec: SessionSpec): Promise<RunningSession> {
  const slotDir = path.dirname(spec.cwd);
  const { files, renames } = shippedFiles(spec, slotDir);
  const map = (s: string) => rewrite(s, slotDir, renames);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) env[k] = map(v);
  env.HARNESS_UPSTREAM = o.upstream;
  const remote: RemoteSpec = {
    v: 1,
    agent: r.agent,
    session: r.session,
    run: r.run,
    base: o.base,
    upstream: o.upstream,
    gitEnv: r.gitEnv,
    argv: spec.argv.map(map),
    env,
    secrets: spec.secrets,
    ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}),
    files,
    sandbox: o.sandbox,
    network: o.network,
    allowHost: o.allowHost,
    name: spec.name,
    // what is not shipped (folders: tools, caches, --mount) is mounted where it exists there
    mounts: spec.mounts.filter((m) => !renames.some(([from]) => from === m.path)).map((m) => ({ ...m, path: map(m.path) })),
    limits: spec.limits,
    ...(o.container ? { container: { ...o.container, image: spec.image ?? o.container.image } } : {}),
    timeoutMs: o.transport.entryTimeout(o.timeoutMs),
    graceMs: o.graceMs,
  };
  let jobId: string | null = null;
  const argv = o.transport.command([o.node, '-e', BOOTSTRAP], spec.name);
  const child = spawn(argv[0]!, argv.slice(1), { env: o.transport.env, detached: true, stdio: ['pipe', spec.outputFd, 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new EnvError('EXECUTOR_MISSING', `${argv[0]} is not installed here: install it (apt-get install ${argv[0] === 'ssh' ? 'openssh-client' : 'slurm-client'})`) : e));
  });
  child.stdin!.on('error', () => {});
  child.stdin!.write(frame(entrypointCode(), remote));
  let pending = '';
  let reported: SessionExit | null = null;
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    pending += d;
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      const rep = parseReport(line);
      if (!rep) {
        writeSync(spec.outputFd, line + '\n');
        continue;
      }
      if (rep.type === 'placed') jobId = rep.job;
      if (rep.type === 'exit') reported = { code: rep.code, signal: rep.signal, ...(rep.timedOut ? { timedOut: true } : {}) };
      r.onReport(rep);
    }
  });
  const closed = new Promise<SessionExit>((res) => child.once('close', (code, signal) => res({ code, signal })));
  const exited = closed.then(async (t) => {
    const extra = (await o.transport.after?.(spec.name, jobId).catch(() => ({}))) ?? {};
    // The entrypoint's exit is the agent's; the transport's is what we have when it never got that far.
    return { ...(reported ?? t), ...extra };
  });
  let stopping: Promise<SessionExit> | null = null;
  const stop = (graceMs: number): Promise<SessionExit> => {
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    if (graceMs === 0) {
      void o.transport.cancel?.(spec.name);
      kill();
      return exited;
    }
    stopping ??= (async () => {
      // The entrypoint stops the agent, saves its work and exits. No signal through the
      // executor first: Slurm's reaches every process of the job, the saving git too.
      child.stdin!.end();
      const t = setTimeout(() => void (o.transport.cancel?.(spec.name) ?? Promise.resolve()).finally(kill), graceMs + (o.saveMs ?? 60_000));
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    })();
    return stopping;
  };
  return { pid: child.pid!, exited, stop };
}
