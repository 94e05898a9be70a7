// `harness run`'s shell: read the project's config, resolve the run, take the swarm folder's
// lock, make or reuse the upstream, then hand everything to the Supervisor and print the
// summary when it stops. Everything that touches the outside world is here or in a
// dependency passed in.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentFor, pickSecrets } from '../agents/index.js';
import type { AgentAdapter } from '../agents/types.js';
import type { Io } from '../kit/cli-kit.js';
import { EnvError, UsageError } from '../kit/errors.js';
import { EventLog, readEvents } from '../events/log.js';
import { Git } from '../kit/git.js';
import { initUpstream, seedFiles } from '../git/upstream.js';
import { packageFile } from '../kit/paths.js';
import type { Mount, Sandbox } from '../sandbox/types.js';
import { toolMounts, writeBinDir } from './bin.js';
import { readRolePrompts, roleOfSlot } from './roles.js';
import { checkConfigFile, CONFIG_FILE, resolveConfig, runJson, type RawSettings, type RunConfig } from './config.js';
import { demoProfile, usesDemoProfile, type ProfileProject, type RunProfile } from './profile.js';
import { untilDone } from './done.js';
import { unappliedLimitsNote } from './limits.js';
import { acquireSwarmLock } from './lock.js';
import { livePrinter } from './live.js';
import { plainPrinter } from './printer.js';
import { dockerHostOf, runSandbox } from './sandbox.js';
import { describeCap, isSpendCap, type CapHit } from './budget.js';
import { readProgress } from './stall.js';
import { summarize, summaryLines } from './summary.js';
import { Supervisor } from './supervisor.js';
import { serveSwarm, type UpstreamService } from '../serve/service.js';
import { safeGitEnv } from './workspace.js';
import { checkRemoteUpstream, executorFor, remoteSandboxKind } from '../executors/index.js';

export { CONFIG_FILE };

export interface RunDeps {
  /** registers a handler for SIGINT/SIGTERM/SIGHUP; returns the function that unregisters it */
  onSignal: (h: (sig: string) => void) => () => void;
  /** tests swap the sandbox; default by --sandbox */
  sandbox?: Sandbox;
}

export const processSignals: RunDeps['onSignal'] = (h) => {
  const f = (sig: NodeJS.Signals) => h(sig);
  // SIGHUP too: a closed terminal or ssh session must stop the run as gracefully as Ctrl-C
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, f);
  return () => {
    for (const s of sigs) process.off(s, f);
  };
};

export function loadConfig(flags: RawSettings, io: Io): RunConfig {
  const file = path.join(io.cwd, CONFIG_FILE);
  let json: RawSettings | null = null;
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError('BAD_CONFIG', `${CONFIG_FILE}: not valid JSON (${(e as Error).message}); fix it or move it away`);
    }
    json = checkConfigFile(parsed, CONFIG_FILE);
  }
  const dirGuess = path.resolve(io.cwd, String(flags.dir ?? json?.dir ?? '.swarm'));
  const hasProject = json !== null || existsSync(path.join(dirGuess, 'upstream.git'));
  const config = resolveConfig({ flags, file: json, fileName: CONFIG_FILE, cwd: io.cwd, now: io.now().getTime(), hasProject });
  return config;
}

/** Without --from, a real agent works on the git project it was started in. */
async function projectSource(c: RunConfig, io: Io): Promise<string | null> {
  if (c.from || c.upstream || c.demo || existsSync(path.join(c.dir, 'upstream.git'))) return c.from;
  const r = await new Git(io.cwd, io.env).run(['rev-parse', '--show-toplevel']);
  if (r.code !== 0) throw new UsageError('NO_PROJECT', `no project to work on: run this inside the project's git repo, or pass --from PATH_OR_URL or --upstream URL`);
  return r.stdout.trim();
}

export async function startRun(flags: RawSettings, io: Io, deps: RunDeps): Promise<number> {
  const c = loadConfig(flags, io);
  const from = await projectSource(c, io);
  const sandbox = deps.sandbox ?? runSandbox(c, io.env);
  if (c.exec.kind !== 'local') checkRemoteRun(c);
  else await sandbox.check().catch((e: Error) => {
    if (!c.sandboxDefaulted) throw e;
    throw new EnvError('NO_SANDBOX', `--agent ${c.agent} runs in a bwrap sandbox by default, and bwrap cannot run here (${e.message.replace(/\.$/, '')}); install it (apt-get install bubblewrap), pick --sandbox docker or podman, or say --sandbox process to run the agent on this host without isolation`);
  });
  c.roles = readRolePrompts(c.roles);
  const root = process.getuid?.() === 0;
  const secrets = pickSecrets(io.env, c.passEnv);
  if (c.agent !== 'sim') agentFor(c, io.env).preflight?.({ sandbox: sandbox.kind, root, envNames: [...SESSION_ENV_KEEP.filter((k) => io.env[k]), ...Object.keys(secrets)], secrets });
  for (const m of c.mounts) if (!existsSync(m.path)) throw new UsageError('BAD_MOUNT', `--mount ${m.path}: no such file or folder`);
  // the sim's projects (the demo's, the endurance benchmark's) are the demo profile's to judge
  const profile: RunProfile | null = usesDemoProfile(c) ? await demoProfile() : null;
  if (c.demo) {
    const aside = await profile!.setAsideFinished(c.dir, io.env, io.now().toISOString().replace(/[-:]/g, '').replace(/\..*/, ''));
    if (aside) io.out(`the demo in ${path.relative(io.cwd, c.dir) || c.dir} had finished; it is kept in ${path.relative(io.cwd, aside) || aside} and a new one starts`);
  }
  mkdirSync(c.dir, { recursive: true });
  const startedAt = io.now();
  const lock = await acquireSwarmLock(path.join(c.dir, 'harness.lock'), { pid: process.pid, host: io.hostname(), since: startedAt.toISOString() }, (e) => {
    io.err(`harness: lost the swarm lock (${e.message}); stopping`);
    supervisor?.stop('graceful', 'error');
  });
  let supervisor: Supervisor | undefined;
  let served: UpstreamService | null = null;
  let unhook = () => {};
  try {
    const out = (l: string) => io.out(l);
    let demo: ProfileProject | null = null;
    if (c.demo) {
      out(`running the demo: ${c.agents} simulated agent${c.agents === 1 ? '' : 's'} on a small project in ${path.relative(io.cwd, c.dir) || c.dir} (pass --agent claude and a project for real work)`);
      demo = await profile!.prepare(path.join(c.dir, 'demo'));
    }
    const repo = c.upstream ? null : path.join(c.dir, 'upstream.git');
    if (repo) {
      const init = await initUpstream({ dir: c.dir, from: demo?.project ?? from ?? undefined, cwd: io.cwd, env: io.env, seed: seedFiles(), author: 'harness' });
      if (init.kind === 'created') out(`initialised ${init.upstream}${from ? ` from ${from}` : ''}`);
    }
    // The bare repo is served, never mounted: sessions and the supervisor's own clones reach it as a URL.
    served = repo ? await serveSwarm({ repo, stateDir: path.join(c.dir, 'serve'), env: io.env, allowTestEdits: c.allowTestEdits, protect: c.protect, allowHost: c.allowHost, ...(c.exec.listen ?? {}), onRestart: (why) => io.err(`harness: ${why}; restarting it`) }) : null;
    const upstream = served?.url ?? c.upstream!;
    const env = served ? served.supervisorEnv(io.env) : io.env;
    const isolated = sandbox.kind !== 'process' && c.network === 'upstream';
    if (c.upstream && isolated) throw new UsageError('NETWORK_NEEDS_SERVER', `--network upstream reaches only an upstream this run serves; with --upstream ${c.upstream} pass --network host (or --allow-host for its host)`);
    const executor = served ? executorFor({ exec: c.exec, dir: c.dir, sandbox: c.sandbox, network: c.network, allowHost: c.allowHost, image: c.image, dockerHost: c.dockerHost, upstream: c.exec.publicUrl ?? remoteUrl(served.url, c.exec.listen, io.hostname()), timeoutMs: c.sessionTimeoutMs, graceMs: c.graceMs, env: io.env }) : null;
    if (executor) {
      out(`sessions run on ${c.exec.kind === 'ssh' ? c.exec.hosts.map((h) => `${h.target} (${h.slots} slot${h.slots > 1 ? 's' : ''})`).join(', ') : `Slurm${c.exec.slurmPartition ? ` partition ${c.exec.slurmPartition}` : ''}`}; they reach the upstream at ${c.exec.publicUrl ?? remoteUrl(served!.url, c.exec.listen, io.hostname())}`);
      await executor.check();
    }
    const bank = demo?.bank ?? path.join(c.dir, 'demo', 'bank');
    const adapter: AgentAdapter = c.agent === 'sim' ? profile!.agent(c.sim, bank) : agentFor(c, io.env);
    const start: { at: unknown } | null = demo ? { at: await profile!.start(repo!, io.env) } : null;
    const binDir = writeBinDir(path.join(c.dir, 'bin'));
    const fallbackPrompt = path.join(c.dir, 'AGENT_PROMPT.default.md');
    copyFileSync(packageFile('templates/AGENT_PROMPT.md'), fallbackPrompt);
    const runId = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`;
    writeFileSync(path.join(c.dir, 'run.json'), runJson(c, { secretNames: Object.keys(secrets), startedAt: startedAt.toISOString(), pid: process.pid, host: io.hostname(), upstream: repo ?? upstream, served: served?.url ?? null }));
    const mounts: Mount[] = [
      ...toolMounts(binDir),
      { path: fallbackPrompt, mode: 'ro' },
      // the simulator's known solutions live outside the project, read-only
      ...(c.agent === 'sim' && existsSync(bank) ? [{ path: bank, mode: 'ro' as const }] : []),
      ...c.mounts,
    ];
    const eventsFile = path.join(c.dir, 'events.jsonl');
    const events = new EventLog(eventsFile, io.now, (e) => supervisor?.fail(`cannot write ${eventsFile}: ${e.message}; free some space or fix its permissions, then harness run again`));
    // A terminal gets the live view (HARNESS_PLAIN=1 keeps the plain lines); a pipe, plain lines.
    const printer = io.isTTY && !io.env.HARNESS_PLAIN ? livePrinter((t) => process.stdout.write(t), io.now, () => process.stdout.columns || 100, 1000, (a) => roleOfSlot(c.roles, Number(a.replace(/^agent-/, '')) - 1)?.name ?? null) : plainPrinter(out, io.now);
    const limitsNote = unappliedLimitsNote(sandbox.kind, c.limits);
    if (limitsNote) printer.line(limitsNote);
    if (lock.tookOver) printer.line(`taking over from a previous run (pid ${lock.tookOver.pid}, since ${lock.tookOver.since}): saving its workspaces, reaping its claims`);
    const supervisorGit = new Git(path.join(c.dir, 'supervisor', 'clone'), safeGitEnv(env)); // the supervisor makes this clone first thing
    supervisor = new Supervisor({
      config: c, runId, upstream, servedRepo: served ? repo : null, sandbox, adapter, events, printer, env, hostname: io.hostname(), now: io.now,
      sessionEnv: sessionEnv(io.env, binDir, upstream, runId, c.roles.map((r) => r.name)), secrets, mounts, fallbackPrompt, root,
      isDone: profile ? async () => profile.isDone(repo ?? upstream, io.env) : untilDone(supervisorGit, env, (l) => printer.line(l)),
      dockerHost: dockerHostOf(c, io.env),
      progress: () => readProgress(supervisorGit, env),
      executor,
      access: {
        issue: served ? (agent, session) => served!.issue(agent, session) : null,
        network: !isolated,
        forwards: isolated && served ? served.forwards : [],
        hostsFile: isolated && served ? served.hostsFile : null,
        ...(served ? { ensureAlive: () => served!.ensureAlive() } : {}),
      },
    });
    let signals = 0;
    unhook = deps.onSignal(() => {
      signals++;
      if (signals === 1) printer.line(`stopping: no new sessions; running ones get ${Math.round(c.graceMs / 1000)}s, then are killed; leftover work is saved (Ctrl-C again to stop at once)`);
      else printer.line('stopping now; the next harness run on this folder saves what is left');
      supervisor!.stop(signals === 1 ? 'graceful' : 'now');
    });
    const reason = await supervisor.run(lock.tookOver !== null);
    printer.close?.();
    if (signals >= 2) return 1;
    if (reason === 'failed') io.err(`harness: the run stopped: ${supervisor.failure} [RUN_FAILED]`);
    const logged = readEvents(eventsFile);
    const s = summarize(logged, runId, io.now().getTime() - startedAt.getTime());
    const extra = start ? await profile!.summary(repo!, io.env, start.at, logged, runId, c.dir) : [];
    const code = exitCodeFor(reason, supervisor.capHit);
    const why = reason === 'failed' ? `failed: ${supervisor.failure}` : reason === 'budget' && supervisor.capHit ? describeCap(supervisor.capHit) : describe(reason);
    summaryLines(s, [...extra, `stopped: ${why} (exit ${code})`, `events: ${eventsFile}`]).forEach(out);
    return code;
  } finally {
    unhook();
    await served?.close().catch(() => {});
    await lock.release();
  }
}

/** Remote sessions need the upstream this run serves (their tokens come from it), and an agent installed where they run. */
function checkRemoteRun(c: RunConfig): void {
  const x = c.exec.kind;
  if (c.upstream) throw new UsageError('REMOTE_NEEDS_SERVER', `--executor ${x} needs the upstream this run serves (per-session tokens); drop --upstream and let harness run serve DIR/upstream.git (--listen HOST:PORT where the ${x === 'ssh' ? 'hosts' : 'nodes'} reach it)`);
  if (c.agent === 'sim' || c.demo) throw new UsageError('REMOTE_NO_SIM', `--executor ${x}: the sim agent's known solutions live in this machine's swarm folder; use --agent cmd, claude or codex (installed on the ${x === 'ssh' ? 'hosts' : 'nodes'})`);
  remoteSandboxKind(c.sandbox, c.image, x);
  if (c.exec.publicUrl) checkRemoteUpstream(c.exec.publicUrl, c.sandbox, c.network);
}

/** A server listening on every address is reached remotely by this machine's name. */
function remoteUrl(url: string, listen: { host: string } | null, hostname: string): string {
  return listen && (listen.host === '0.0.0.0' || listen.host === '::') ? url.replace('//127.0.0.1:', `//${hostname}:`) : url;
}

function describe(reason: string): string {
  return ({ signal: 'interrupted', 'max-sessions': 'reached --max-sessions', 'until-time': 'reached --until', done: 'all work done', error: 'lost the swarm lock', stalled: 'stalled (--stall-after: no task done, pass rate not rising)' } as Record<string, string>)[reason] ?? reason;
}

/**
 * 0: stopped as asked (done, --until, --max-sessions and its per-agent form, one Ctrl-C).
 * 4: the run stopped on its own fault: a slot threw, or events.jsonl could not be written.
 * 1: cut short by a guard: a money or token cap (--max-cost, --max-tokens, per agent too)
 * or the stall guard. (A second Ctrl-C is 1 as well, returned before this.)
 */
export function exitCodeFor(reason: string, cap: CapHit | null): 0 | 1 | 4 {
  if (reason === 'failed') return 4; // the supervisor's own environment broke (a slot threw, the event log is unwritable)
  if (reason === 'stalled') return 1;
  if (reason === 'budget' && cap && isSpendCap(cap.cap)) return 1;
  return 0;
}

/** What sessions inherit from the supervisor's environment. IS_SANDBOX=1: the user says this machine is a sandbox (Claude Code as root). */
const SESSION_ENV_KEEP = ['HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL', 'IS_SANDBOX'];

/** The ordinary environment of every session (HARNESS_AGENT/SESSION are added per session). */
function sessionEnv(env: NodeJS.ProcessEnv, binDir: string, upstream: string, runId: string, roles: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SESSION_ENV_KEEP) if (env[k]) out[k] = env[k]!;
  out.PATH = `${binDir}:${env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;
  out.HARNESS_UPSTREAM = upstream;
  out.HARNESS_RUN = runId;
  // the run's roles, so `harness msg send docs ...` in a session knows docs is a role
  out.HARNESS_ROLES = roles.join(',');
  return out;
}
