// A remote session's entrypoint: what runs on the ssh host or the Slurm node (the remote
// half of a slot's loop, hence here beside workspace.ts, whose save and reset it reuses). It is built
// into one self-contained file (dist/session-entry.js) and shipped over the session's own
// channel, so the remote side needs node and git, never the supervisor's file system.
// It prepares the slot's workspace there (clone or fetch from the served upstream, save a
// previous session's leftovers, reset to main), runs the agent in the sandbox asked for (the
// same sandboxes as on one machine: a process group, bwrap, or a container of the remote's
// own docker/podman), and on any exit, signal, time limit or end of the channel saves
// leftover work to wip/<agent>/<session> itself. With --network upstream the sandbox has no
// network: the entrypoint relays a unix socket per allowed service (the upstream first) to
// it over this host's network, and the sandbox's socat forwards its loopback port there.
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sandboxFor } from '../sandbox/index.js';
import type { Forward, Mount, Sandbox } from '../sandbox/types.js';
import { insideAddr, startRelays, writeHosts, type Relay } from '../sandbox/relay.js';
import { upstreamHostPort } from '../executors/index.js';
import { recordContainer, removeOrphanContainer } from './orphans.js';
import { Git } from '../kit/git.js';
import { ensureWorkspace, markSession, pushWip, resetToMain, safeGitEnv, salvage, type WipHold, type WorkspaceCtx } from './workspace.js';
import { fromSlot, REPORT_PREFIX, type EntryReport, type RemoteSpec } from '../executors/protocol.js';

const report = (r: EntryReport) => process.stderr.write(`${REPORT_PREFIX}${JSON.stringify(r)}\n`);
const say = (s: string) => process.stderr.write(`# harness-entry: ${s}\n`);

interface Carried {
  rest: Buffer;
  dir: string;
}

/** The spec line (after the code the bootstrap took), then the channel stays open: its end means stop. */
function readSpec(carried: Buffer, onEnd: () => void): Promise<RemoteSpec> {
  return new Promise((resolve, reject) => {
    let buf = carried;
    let done = false;
    const take = () => {
      const i = buf.indexOf(10);
      if (done || i < 0) return;
      done = true;
      try {
        resolve(JSON.parse(buf.subarray(0, i).toString('utf8')) as RemoteSpec);
      } catch (e) {
        reject(new Error(`the session spec is not valid JSON (${(e as Error).message})`));
      }
    };
    process.stdin.on('data', (d: Buffer) => {
      if (!done) buf = Buffer.concat([buf, d]);
      take();
    });
    process.stdin.on('end', () => (done ? onEnd() : reject(new Error('the supervisor closed the channel before sending the session spec'))));
    process.stdin.on('error', () => onEnd());
    process.stdin.resume();
    take();
  });
}

function slotDir(spec: RemoteSpec): string {
  const base = spec.base.startsWith('~/') ? path.join(os.homedir(), spec.base.slice(2)) : spec.base;
  return path.resolve(base, 'agents', spec.agent);
}

/** The sockets' folder: unix socket paths are limited to 108 bytes, so a deep slot folder gets a short one. */
function relayDir(slot: string): string {
  const dir = path.join(slot, 'state', 'relay');
  return dir.length <= 90 ? dir : mkdtempSync(path.join(os.tmpdir(), 'harness-relay-'));
}

/** The supervisor's folder mounts that exist here and that this account may read; the rest are named in the log. */
function hereMounts(mounts: Mount[]): Mount[] {
  const ok: Mount[] = [];
  const not: string[] = [];
  for (const m of mounts) {
    try {
      accessSync(m.path, constants.R_OK);
      ok.push(m);
    } catch {
      not.push(m.path);
    }
  }
  if (not.length) say(`not mounted (not on this host, or not readable by ${os.userInfo().username}): ${not.join(', ')}`);
  return ok;
}

async function main(): Promise<number> {
  const carried = (globalThis as { __harnessEntry?: Carried }).__harnessEntry ?? { rest: Buffer.alloc(0), dir: '' };
  let stop: ((why: string) => void) | null = null;
  let stopWhy: string | null = null;
  const stopNow = (why: string) => {
    stopWhy ??= why;
    stop?.(why);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stopNow(`got ${sig}`));
  const spec = await readSpec(carried.rest, () => stopNow('the supervisor closed the channel'));
  if (carried.dir) rmSync(carried.dir, { recursive: true, force: true });
  const slot = slotDir(spec);
  const map = (s: string) => fromSlot(s, slot);
  const ctx: WorkspaceCtx = {
    paths: { dir: path.join(slot, 'workspace'), stateDir: path.join(slot, 'state') },
    upstream: spec.upstream,
    env: { ...process.env, ...spec.gitEnv },
    agent: spec.agent,
    now: () => new Date(),
  };
  report({ type: 'placed', host: os.hostname(), job: process.env.SLURM_JOB_ID ?? null, workspace: ctx.paths.dir });
  // The wip commit is made in the workspace and kept in a repo of the slot's own until pushed.
  const hold: WipHold = { repo: path.join(slot, 'state', 'hold.git'), known: () => null };
  /** True when nothing is left unsaved (saved now, or nothing to save). */
  const save = async (): Promise<boolean> => {
    try {
      if (!existsSync(path.join(hold.repo, 'HEAD'))) await new Git(slot, ctx.env).must(['init', '--quiet', '--bare', hold.repo]);
      const s = await salvage(ctx, hold);
      if (s) {
        const ref = await pushWip(new Git(ctx.paths.dir, safeGitEnv(ctx.env)), spec.agent, s.session, s.commit);
        report({ type: 'wip', session: s.session, ref, commit: s.commit, files: s.files, unpushed: s.unpushedCommits });
      }
      await resetToMain(ctx).catch(() => {}); // saved: the next session must not save it again
      return true;
    } catch (e) {
      report({ type: 'wip_error', error: (e as Error).message });
      return false;
    }
  };
  // A previous session here that died without saving (kill -9, a lost node) is saved first;
  // when that cannot be done, nothing runs over it (the next session tries again). Its
  // container, which the daemon kept running after its client died, goes before that: it
  // would go on writing to the workspace being saved.
  const containerFile = path.join(slot, 'state', 'container.json');
  await ensureWorkspace(ctx);
  const orphan = await removeOrphanContainer(containerFile, process.env).then(
    (name) => (name && say(`removed the container ${name} a previous session here left running`), true),
    (e: Error) => (report({ type: 'wip_error', error: `cannot remove the container a previous session left running: ${e.message}` }), false),
  );
  if (!orphan || !(await save())) {
    report({ type: 'exit', code: 75, signal: null, timedOut: false, stopped: stopWhy !== null });
    return 75;
  }
  const head = await resetToMain(ctx);
  report({ type: 'ready', head });
  if (stopWhy) {
    report({ type: 'exit', code: null, signal: null, timedOut: false, stopped: true });
    return 0;
  }
  markSession(ctx, spec.session);
  for (const d of ['home', 'session/tmp']) mkdirSync(path.join(slot, d), { recursive: true, mode: 0o700 });
  for (const [rel, text] of Object.entries(spec.files)) {
    const file = map(rel);
    if (!file.startsWith(slot + path.sep)) throw new Error(`a shipped file ${rel} is outside the slot folder`);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode: 0o600 });
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) env[k] = map(v);
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.secrets)) secrets[k] = map(v);
  // The remote's own account and tools: its PATH after the session's, its user names.
  env.PATH = [env.PATH, process.env.PATH].filter(Boolean).join(':');
  for (const k of ['USER', 'LOGNAME', 'SHELL']) if (process.env[k]) env[k] = process.env[k]!;
  env.TMPDIR = path.join(slot, 'session', 'tmp');
  const sessionDir = path.join(slot, 'session');
  const isolated = spec.sandbox !== 'process' && spec.network === 'upstream';
  let relays: Relay[] = [];
  // The session's own output goes to our stdout: the channel's log stream.
  const started = await (async () => {
    const sandbox: Sandbox = sandboxFor(spec.sandbox, {
      ...(spec.container ? { image: spec.container.image, ...(spec.container.host ? { host: spec.container.host } : {}) } : {}),
      secretsDir: path.join(slot, 'state'), // the container's env file (the token), 0600, gone once it is created
    });
    await sandbox.check();
    let forwards: Forward[] = [];
    let hostsFile: string | undefined;
    if (isolated) {
      relays = await startRelays(relayDir(slot), [upstreamHostPort(spec.upstream), ...spec.allowHost]);
      forwards = relays.map((r, i) => insideAddr(r, i, i === 0 ? 'the upstream server' : undefined));
      if (forwards.some((f) => f.name)) hostsFile = writeHosts(path.join(slot, 'state', 'hosts'), forwards);
    }
    if (sandbox.removeLeftover) recordContainer(containerFile, { kind: sandbox.kind, name: spec.name, host: spec.container?.host ?? null });
    const running = await sandbox.start({
      name: spec.name,
      cwd: ctx.paths.dir,
      mounts: [{ path: sessionDir, mode: 'rw' }, { path: path.join(slot, 'home'), mode: 'rw' }, ...hereMounts(spec.mounts.map((m) => ({ ...m, path: map(m.path) })))],
      argv: [map(spec.argv[0]!), ...spec.argv.slice(1).map(map)],
      env,
      secrets,
      ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}),
      outputFd: 1,
      network: !isolated,
      forwards,
      ...(hostsFile ? { hostsFile } : {}),
      limits: spec.limits,
      ...(spec.container ? { image: spec.container.image } : {}),
    });
    return { sandbox, running };
  })().catch((e: Error) => {
    say(`cannot start the agent: ${e.message}`);
    return null;
  });
  const closeRelays = async () => {
    for (const r of relays) await r.close().catch(() => {});
    if (relays[0]) rmSync(path.dirname(relays[0].socket), { recursive: true, force: true });
    relays = [];
  };
  // Whatever way the session ended, its container is gone before its work is saved.
  const noContainer = async () => {
    await removeOrphanContainer(containerFile, process.env).catch((e: Error) => say(`could not remove the session's container: ${e.message}`));
  };
  if (!started) {
    await noContainer();
    await closeRelays();
    await save();
    report({ type: 'exit', code: 127, signal: null, timedOut: false, stopped: false });
    return 127;
  }
  const { running } = started;
  let timedOut = false;
  const timer = spec.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), stopNow(`timed out after ${spec.timeoutMs} ms`)), spec.timeoutMs) : null;
  stop = (why) => {
    say(`stopping the agent: ${why}`);
    void running.stop(spec.graceMs);
  };
  if (stopWhy) stop(stopWhy);
  const exit = await running.exited;
  if (timer) clearTimeout(timer);
  await running.stop(0); // whatever the agent left running must not write after the save
  await noContainer();
  await closeRelays();
  rmSync(sessionDir, { recursive: true, force: true });
  await save();
  report({ type: 'exit', ...exit, timedOut, stopped: stopWhy !== null && !timedOut });
  return exit.code ?? 128 + (os.constants.signals[exit.signal as NodeJS.Signals] ?? 0);
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    say(`failed: ${e.message}`);
    process.exit(70);
  },
);
