// A remote session's entrypoint: what runs on the ssh host or the Slurm node (the remote
// half of a slot's loop, hence here beside workspace.ts, whose save and reset it reuses). It is built
// into one self-contained file (dist/session-entry.js) and shipped over the session's own
// channel, so the remote side needs node and git, never the supervisor's file system.
// It prepares the slot's workspace there (clone or fetch from the served upstream, save a
// previous session's leftovers, reset to main), runs the agent, and on any exit, signal,
// time limit or end of the channel saves leftover work to wip/<agent>/<session> itself.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapSandbox } from '../sandbox/bwrap.js';
import { processSandbox } from '../sandbox/process.js';
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
  // when that cannot be done, nothing runs over it (the next session tries again).
  await ensureWorkspace(ctx);
  if (!(await save())) {
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
  for (const [k, v] of Object.entries({ ...spec.env, ...spec.secrets })) env[k] = map(v);
  // The remote's own account and tools: its PATH after the session's, its user names.
  env.PATH = [env.PATH, process.env.PATH].filter(Boolean).join(':');
  for (const k of ['USER', 'LOGNAME', 'SHELL']) if (process.env[k]) env[k] = process.env[k]!;
  env.TMPDIR = path.join(slot, 'session', 'tmp');
  if (spec.sandbox === 'bwrap') await bwrapSandbox().check();
  const sandbox = spec.sandbox === 'bwrap' ? bwrapSandbox() : processSandbox();
  const sessionDir = path.join(slot, 'session');
  // The session's own output goes to our stdout: the channel's log stream.
  const running = await sandbox.start({
    name: `${spec.agent}-s${spec.session}`,
    cwd: ctx.paths.dir,
    mounts: [
      { path: sessionDir, mode: 'rw' },
      { path: path.join(slot, 'home'), mode: 'rw' },
    ],
    argv: [map(spec.argv[0]!), ...spec.argv.slice(1).map(map)],
    env,
    secrets: {},
    ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}),
    outputFd: 1,
    network: true,
    limits: {},
  }).catch((e: Error) => {
    say(`cannot start the agent: ${e.message}`);
    return null;
  });
  if (!running) {
    await save();
    report({ type: 'exit', code: 127, signal: null, timedOut: false, stopped: false });
    return 127;
  }
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
