// The run's configuration, resolved from three layers: built-in defaults, the project's
// harness.config.json, then command-line flags (flags win). Pure: the caller reads the file
// and passes its parsed JSON in. Every bad value is one UsageError naming the field and
// where it came from, raised before anything is written.
import path from 'node:path';
import { parseDuration } from '../kit/duration.js';
import { UsageError } from '../kit/errors.js';
import type { Mount, SandboxKind } from '../sandbox/types.js';
import { parseCpus, parseMemory, parsePids, type Limits } from './limits.js';
import { parseUntil as parseUntilValue, type Until } from './until.js';
import { parsePrices, type PriceTable } from '../events/prices.js';
import type { HostPort } from '../serve/service.js';
import { isUrl } from '../git/mirror.js';
import { agentsFor, parseRoles, type RoleSpec } from './roles.js';
import { EXECUTOR_KINDS, type ExecConfig, type ExecutorKind } from '../executors/types.js';
import { parseHosts } from '../executors/ssh.js';
import { parseSlurmArgs } from '../executors/slurm.js';
import { parseListen } from '../serve/listen.js';

export type { Until };

/** The longest wait a Node timer holds (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

import { AGENT_KINDS, type AgentKind } from '../agents/types.js';
export const SANDBOX_KINDS: readonly SandboxKind[] = ['process', 'bwrap', 'docker', 'podman'];

export const CONFIG_FILE = 'harness.config.json';

/** What a user can set, as typed on a command line or in harness.config.json. */
export interface RawSettings {
  agents?: unknown;
  agent?: unknown;
  agentCmd?: unknown;
  sandbox?: unknown;
  image?: unknown;
  prompt?: unknown;
  model?: unknown;
  dir?: unknown;
  upstream?: unknown;
  from?: unknown;
  sessionTimeout?: unknown;
  lockTtl?: unknown;
  maxSessions?: unknown;
  until?: unknown;
  grace?: unknown;
  backoffBase?: unknown;
  backoffCap?: unknown;
  fastFailure?: unknown;
  idleBase?: unknown;
  idleCap?: unknown;
  passEnv?: unknown;
  simCrash?: unknown;
  simRegress?: unknown;
  simThink?: unknown;
  simFaults?: unknown;
  simCommitLog?: unknown;
  cpus?: unknown;
  memory?: unknown;
  pidsLimit?: unknown;
  dockerHost?: unknown;
  mount?: unknown;
  maxCost?: unknown;
  maxTokens?: unknown;
  maxCostPerAgent?: unknown;
  maxTokensPerAgent?: unknown;
  maxSessionsPerAgent?: unknown;
  hard?: unknown;
  stallAfter?: unknown;
  stallAction?: unknown;
  prices?: unknown;
  network?: unknown;
  allowHost?: unknown;
  allowTestEdits?: unknown;
  protect?: unknown;
  role?: unknown;
  executor?: unknown;
  hosts?: unknown;
  sshConfig?: unknown;
  slurmPartition?: unknown;
  slurmArgs?: unknown;
  listen?: unknown;
  remoteDir?: unknown;
  remoteNode?: unknown;
  heartbeat?: unknown;
  publicUrl?: unknown;
}

export const SETTING_KEYS: readonly (keyof RawSettings)[] = [
  'agents', 'agent', 'agentCmd', 'sandbox', 'image', 'prompt', 'model', 'dir', 'upstream', 'from',
  'sessionTimeout', 'lockTtl', 'maxSessions', 'until', 'grace', 'backoffBase', 'backoffCap', 'fastFailure', 'idleBase', 'idleCap',
  'passEnv', 'simCrash', 'simRegress', 'simThink', 'simFaults', 'simCommitLog', 'cpus', 'memory', 'pidsLimit', 'dockerHost', 'mount',
  'maxCost', 'maxTokens', 'maxCostPerAgent', 'maxTokensPerAgent', 'maxSessionsPerAgent', 'hard', 'stallAfter', 'stallAction', 'prices', 'role',
  'network', 'allowHost', 'allowTestEdits', 'protect',
  'executor', 'hosts', 'sshConfig', 'slurmPartition', 'slurmArgs', 'listen', 'remoteDir', 'remoteNode', 'heartbeat', 'publicUrl',
];

export interface RunConfig {
  agents: number;
  agent: AgentKind;
  agentCmd: string | null;
  sandbox: SandboxKind;
  /** no --sandbox given: a real agent (claude, codex) got bwrap by default, which must then work */
  sandboxDefaulted: boolean;
  image: string | null;
  /** absolute path of a prompt file, or null: AGENT_PROMPT.md in the workspace */
  prompt: string | null;
  model: string | null;
  /** the swarm folder, absolute */
  dir: string;
  /** a remote upstream URL, or null: DIR/upstream.git */
  upstream: string | null;
  /** the project that seeds a new upstream (path or URL), or null */
  from: string | null;
  sessionTimeoutMs: number;
  lockTtlMs: number;
  maxSessions: number | null;
  until: Until;
  graceMs: number;
  backoff: { baseMs: number; capMs: number; fastMs: number };
  /** waits after sessions that found nothing to do (no commit landed, no claim made) */
  idle: { baseMs: number; capMs: number };
  /** extra environment variable names passed to sessions as secrets */
  passEnv: string[];
  demo: boolean;
  /** faults and commitLog: absolute paths or null (the endurance benchmark's plan and the sim's commit log) */
  sim: { crash: number; regress: number; thinkMs: number; faults: string | null; commitLog: string | null };
  /** per session; docker/podman apply them, bwrap and process cannot */
  limits: Limits;
  /** the docker/podman daemon (DOCKER_HOST / CONTAINER_HOST), or null: the client's default */
  dockerHost: string | null;
  /** extra host folders every session sees at the same path (read-only unless `:rw`) */
  mounts: Mount[];
  /** budget caps; `maxCostUsd` and `maxTokens` keep these names in run.json (harness status reads them) */
  maxCostUsd: number | null;
  maxTokens: number | null;
  maxCostPerAgentUsd: number | null;
  maxTokensPerAgent: number | null;
  maxSessionsPerAgent: number | null;
  /** on reaching a cap, stop running sessions too (grace, then kill) instead of letting them finish */
  hard: boolean;
  /** --stall-after: no task done and no rise in pass rate for this long; null: off */
  stallAfterMs: number | null;
  stallAction: 'stop' | 'warn';
  /** USD per million tokens per model, for agents that report tokens but no cost */
  prices: PriceTable;
  /** bwrap/docker/podman: `upstream` reaches only the upstream server (and allowHost); `host` shares the host's network */
  network: 'upstream' | 'host';
  /** host:port services sessions may reach besides the upstream (the model's API) */
  allowHost: HostPort[];
  /** agents may change protected paths (the oracle's tests, test-oracle.json, expected outputs) */
  allowTestEdits: boolean;
  /** more protected path prefixes */
  protect: string[];
  /** standing roles, in slot order (--role NAME=COUNT[:PROMPT_FILE]); empty: none */
  roles: RoleSpec[];
  /** where sessions run: this machine, ssh hosts or Slurm jobs (see executors/) */
  exec: ExecConfig;
  /** how often this run's heartbeat ref on the upstream is renewed; other runs call it dead after STALE_BEATS of these */
  heartbeatMs: number;
}

export type { ExecConfig };


export interface ResolveInput {
  flags: RawSettings;
  file: RawSettings | null;
  /** where the config file was, for messages */
  fileName?: string;
  cwd: string;
  now: number;
  /** true when there is a project to work on (a --from, an --upstream, an existing upstream) */
  hasProject: boolean;
}

const DEFAULTS = {
  agents: 1,
  sessionTimeout: '2h',
  lockTtl: '2h',
  grace: '30s',
  backoffBase: '10s',
  backoffCap: '10m',
  fastFailure: '2m',
  idleBase: '30s',
  idleCap: '30m',
};

/** Checks the config file's shape: an object with known keys only. */
export function checkConfigFile(json: unknown, fileName: string): RawSettings {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError('BAD_CONFIG', `${fileName}: must be a JSON object like {"agents": 4, "agent": "claude"}`);
  }
  for (const k of Object.keys(json)) {
    if (!(SETTING_KEYS as readonly string[]).includes(k)) {
      throw new UsageError('BAD_CONFIG', `${fileName}: unknown setting "${k}"; known: ${SETTING_KEYS.join(', ')}`);
    }
  }
  return json as RawSettings;
}

export function resolveConfig(input: ResolveInput): RunConfig {
  const { flags, file } = input;
  const pick = <K extends keyof RawSettings>(k: K): { v: unknown; from: string } => {
    if (flags[k] !== undefined) return { v: flags[k], from: `--${kebab(k)}` };
    if (file && file[k] !== undefined) return { v: file[k], from: `${input.fileName ?? 'harness.config.json'} "${k}"` };
    return { v: undefined, from: `--${kebab(k)}` };
  };
  const str = (k: keyof RawSettings): string | null => {
    const { v, from } = pick(k);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.trim() === '') throw bad(from, v, 'a non-empty string');
    return v;
  };
  const int = (k: keyof RawSettings, min: number, max: number): number | null => {
    const { v, from } = pick(k);
    if (v === undefined || v === null) return null;
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw bad(from, v, `a whole number from ${min} to ${max}`);
    return n;
  };
  const prob = (k: keyof RawSettings): number | null => {
    const { v, from } = pick(k);
    if (v === undefined || v === null) return null;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) throw bad(from, v, 'a probability from 0 to 1');
    return n;
  };
  const dur = (k: keyof RawSettings, dflt: string | null): number | null => {
    const { v, from } = pick(k);
    const s = v === undefined || v === null ? dflt : v;
    if (s === null) return null;
    if (typeof s === 'number' && Number.isFinite(s) && s >= 0) return s; // plain milliseconds
    if (typeof s !== 'string') throw bad(from, v, 'a duration like 90s, 30m or 2h');
    return parseDuration(s, from);
  };
  // Node clamps a timer above 2^31-1 ms (24.8 days) to 1 ms: a 30d session timeout would
  // kill every session at once. Durations that reach a timer are refused beyond that.
  const timerDur = (k: keyof RawSettings, dflt: string | null): number | null => {
    const ms = dur(k, dflt);
    if (ms !== null && ms > MAX_TIMER_MS) {
      throw new UsageError('BAD_DURATION', `${pick(k).from}: ${JSON.stringify(pick(k).v)} is longer than the harness can time (at most 24d); use a shorter duration`);
    }
    return ms;
  };
  const money = (k: keyof RawSettings): number | null => {
    const { v, from } = pick(k);
    if (v === undefined || v === null) return null;
    const n = typeof v === 'string' && /^\s*\$?\d+(\.\d+)?\s*$/.test(v) ? Number(v.trim().replace(/^\$/, '')) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw bad(from, v, 'an amount of US dollars above 0, like 25 or 2.50');
    return n;
  };
  const bool = (k: keyof RawSettings): boolean => {
    const { v, from } = pick(k);
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw bad(from, v, 'true or false');
    return v;
  };
  const oneOf = <T extends string>(k: keyof RawSettings, allowed: readonly T[]): T | null => {
    const s = str(k);
    if (s === null) return null;
    if (!allowed.includes(s as T)) throw bad(pick(k).from, s, `one of ${allowed.join(', ')}`);
    return s as T;
  };

  const agentSet = oneOf('agent', AGENT_KINDS);
  const from = str('from');
  const upstream = str('upstream');
  const demo = (agentSet === null || agentSet === 'sim') && !input.hasProject && from === null && upstream === null;
  const agent: AgentKind = agentSet ?? (demo ? 'sim' : 'claude');
  const agentCmd = str('agentCmd');
  if (agent === 'cmd' && agentCmd === null) throw new UsageError('NEEDS_AGENT_CMD', '--agent cmd needs --agent-cmd "the command to run in each session"');
  if (agent !== 'cmd' && agentCmd !== null) throw new UsageError('AGENT_CMD_UNUSED', `--agent-cmd is only for --agent cmd (the agent is ${agent})`);
  const passEnv = pick('passEnv');
  if (passEnv.v !== undefined && (!Array.isArray(passEnv.v) || !passEnv.v.every((n) => typeof n === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)))) {
    throw bad(passEnv.from, passEnv.v, 'a list of environment variable names');
  }
  const prompt = str('prompt');
  // A simulated crash is part of the demo, not a broken command: back off briefly there.
  const backoff = {
    baseMs: timerDur('backoffBase', demo ? '1s' : DEFAULTS.backoffBase)!,
    capMs: timerDur('backoffCap', demo ? '5s' : DEFAULTS.backoffCap)!,
    fastMs: timerDur('fastFailure', DEFAULTS.fastFailure)!,
  };
  // The demo's simulator leaves at once when everything open is claimed; its slot waits here instead, waking when main moves.
  const idle = { baseMs: timerDur('idleBase', demo ? '2s' : DEFAULTS.idleBase)!, capMs: timerDur('idleCap', demo ? '20s' : DEFAULTS.idleCap)! };
  if (idle.capMs < idle.baseMs) throw new UsageError('BAD_CONFIG', `idleCap (${idle.capMs} ms) is below idleBase (${idle.baseMs} ms)`);
  const exec = execConfig(pick, str, input.cwd);
  const roles = parseRoles(pick('role').v, pick('role').from, input.cwd);
  if (backoff.capMs < backoff.baseMs) throw new UsageError('BAD_CONFIG', `backoffCap (${backoff.capMs} ms) is below backoffBase (${backoff.baseMs} ms)`);
  return {
    agents: agentsFor(roles, int('agents', 1, 1024), DEFAULTS.agents),
    agent,
    agentCmd,
    // A real agent runs code it wrote itself: never on the host unless asked for by name.
    sandbox: oneOf('sandbox', SANDBOX_KINDS) ?? (agent === 'claude' || agent === 'codex' ? 'bwrap' : 'process'),
    sandboxDefaulted: oneOf('sandbox', SANDBOX_KINDS) === null && (agent === 'claude' || agent === 'codex'),
    image: str('image'),
    prompt: prompt === null ? null : path.resolve(input.cwd, prompt),
    model: str('model'),
    dir: path.resolve(input.cwd, str('dir') ?? (demo ? '.swarm-demo' : '.swarm')),
    upstream,
    from: from !== null && !isUrl(from) ? path.resolve(input.cwd, from) : from,
    sessionTimeoutMs: timerDur('sessionTimeout', DEFAULTS.sessionTimeout)!,
    lockTtlMs: dur('lockTtl', DEFAULTS.lockTtl)!,
    maxSessions: int('maxSessions', 1, 1e9),
    until: parseUntil(pick('until'), input.now, demo),
    graceMs: timerDur('grace', DEFAULTS.grace)!,
    backoff,
    idle,
    passEnv: (passEnv.v as string[] | undefined) ?? [],
    demo,
    sim: { crash: prob('simCrash') ?? (demo ? 0.1 : 0), regress: prob('simRegress') ?? 0, thinkMs: timerDur('simThink', '200ms')!, faults: absPath(str('simFaults'), input.cwd), commitLog: absPath(str('simCommitLog'), input.cwd) },
    limits: limits(pick),
    dockerHost: str('dockerHost'),
    mounts: mountList(pick('mount'), input.cwd),
    maxCostUsd: money('maxCost'),
    maxTokens: int('maxTokens', 1, Number.MAX_SAFE_INTEGER),
    maxCostPerAgentUsd: money('maxCostPerAgent'),
    maxTokensPerAgent: int('maxTokensPerAgent', 1, Number.MAX_SAFE_INTEGER),
    maxSessionsPerAgent: int('maxSessionsPerAgent', 1, 1e9),
    hard: bool('hard'),
    stallAfterMs: timerDur('stallAfter', null),
    stallAction: oneOf('stallAction', ['stop', 'warn'] as const) ?? 'stop',
    prices: parsePrices(pick('prices').v, pick('prices').from),
    network: oneOf('network', ['upstream', 'host'] as const) ?? 'upstream',
    allowHost: hostList(pick('allowHost')),
    allowTestEdits: bool('allowTestEdits'),
    protect: pathList(pick('protect')),
    roles,
    exec,
    heartbeatMs: Math.max(200, timerDur('heartbeat', '30s')!),
  };
}

function execConfig(pick: Pick, str: (k: keyof RawSettings) => string | null, cwd: string): ExecConfig {
  const e = pick('executor');
  const kindStr = str('executor');
  if (kindStr !== null && !(EXECUTOR_KINDS as readonly string[]).includes(kindStr)) throw bad(e.from, kindStr, `one of ${EXECUTOR_KINDS.join(', ')}`);
  const kind = (kindStr ?? 'local') as ExecutorKind;
  const hostsV = pick('hosts');
  const hosts = hostsV.v === undefined || hostsV.v === null ? [] : parseHosts(hostsV.v, hostsV.from);
  if (kind === 'ssh' && hosts.length === 0) throw new UsageError('NEEDS_HOSTS', '--executor ssh needs --hosts USER@HOST[:SLOTS],... (the hosts sessions run on)');
  if (kind !== 'ssh' && hosts.length) throw new UsageError('HOSTS_UNUSED', `--hosts is only for --executor ssh (the executor is ${kind})`);
  const sshConfig = str('sshConfig');
  if (sshConfig !== null && kind !== 'ssh') throw new UsageError('HOSTS_UNUSED', `--ssh-config is only for --executor ssh (the executor is ${kind})`);
  const slurmPartition = str('slurmPartition');
  if (slurmPartition !== null && !/^[A-Za-z0-9_.-]{1,64}$/.test(slurmPartition)) throw bad(pick('slurmPartition').from, slurmPartition, 'a partition name');
  const slurmArgs = parseSlurmArgs(str('slurmArgs'), pick('slurmArgs').from);
  if ((slurmPartition !== null || slurmArgs.length) && kind !== 'slurm') throw new UsageError('SLURM_UNUSED', `--slurm-partition and --slurm-args are only for --executor slurm (the executor is ${kind})`);
  const listenS = str('listen');
  const remoteDir = str('remoteDir') ?? '~/.harness-sessions';
  if (!/^(~\/|\/)[A-Za-z0-9_./-]*$/.test(remoteDir) || remoteDir.split('/').includes('..')) throw bad(pick('remoteDir').from, remoteDir, 'an absolute path or one under ~/ (letters, digits, . _ - /)');
  const remoteNode = str('remoteNode') ?? 'node';
  if (!/^[A-Za-z0-9_./-]+$/.test(remoteNode)) throw bad(pick('remoteNode').from, remoteNode, 'a program name or path, like node or /opt/node/bin/node');
  const publicUrl = str('publicUrl');
  if (publicUrl !== null && !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/.test(publicUrl)) throw bad(pick('publicUrl').from, publicUrl, 'an http(s) URL like https://swarm.example.org/upstream.git');
  return {
    kind,
    hosts,
    publicUrl,
    sshConfig: sshConfig === null ? null : path.resolve(cwd, sshConfig),
    slurmPartition,
    slurmArgs,
    listen: listenS === null ? null : parseListen(listenS, pick('listen').from),
    remoteDir,
    remoteNode,
  };
}

function absPath(p: string | null, cwd: string): string | null {
  return p === null ? null : path.resolve(cwd, p);
}

type Pick = (k: keyof RawSettings) => { v: unknown; from: string };

function limits(pick: Pick): Limits {
  const out: Limits = {};
  const [c, m, p] = [pick('cpus'), pick('memory'), pick('pidsLimit')];
  if (c.v !== undefined && c.v !== null) out.cpus = parseCpus(c.v, c.from);
  if (m.v !== undefined && m.v !== null) out.memoryMb = parseMemory(m.v, m.from);
  if (p.v !== undefined && p.v !== null) out.pids = parsePids(p.v, p.from);
  return out;
}

/** `PATH`, `PATH:ro` or `PATH:rw`, one or a list; relative paths are from the project folder. */
function mountList(p: { v: unknown; from: string }, cwd: string): Mount[] {
  if (p.v === undefined || p.v === null) return [];
  const list = Array.isArray(p.v) ? p.v : [p.v];
  return list.map((x) => {
    const m = typeof x === 'string' ? /^(.+?)(?::(ro|rw))?$/.exec(x.trim()) : null;
    if (!m || !m[1]) throw bad(p.from, x, 'a folder to mount, like /opt/toolchain or /opt/cache:rw');
    return { path: path.resolve(cwd, m[1]), mode: (m[2] ?? 'ro') as 'ro' | 'rw' };
  });
}

/** `api.example.com:443`: a host name (sessions reach it by name) and a port; or a host loopback address (a local model server or proxy). */
function hostList(p: { v: unknown; from: string }): HostPort[] {
  if (p.v === undefined || p.v === null) return [];
  const list = Array.isArray(p.v) ? p.v : [p.v];
  return list.map((x) => {
    const m = typeof x === 'string' ? /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/.exec(x.trim()) : null;
    const port = m ? Number(m[2]) : 0;
    const loopback = m && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(m[1]!) && m[1]!.split('.').every((o) => Number(o) <= 255);
    if (!m || port < 1 || port > 65535 || (/^[\d.]+$/.test(m[1]!) && !loopback)) throw bad(p.from, x, 'a HOST:PORT with a host name or a 127.x.x.x address, like api.anthropic.com:443 or 127.0.0.1:8080');
    return { host: m[1]!.toLowerCase(), port };
  });
}

/** Paths inside the project, relative, without `..`. */
function pathList(p: { v: unknown; from: string }): string[] {
  if (p.v === undefined || p.v === null) return [];
  const list = Array.isArray(p.v) ? p.v : [p.v];
  return list.map((x) => {
    const s = typeof x === 'string' ? x.trim().replace(/^\.\/+/, '') : '';
    if (!s || s.startsWith('/') || s.split('/').includes('..')) throw bad(p.from, x, 'a path inside the project, like tests/ or golden/expected.txt');
    return s;
  });
}

function parseUntil(p: { v: unknown; from: string }, now: number, demo: boolean): Until {
  if (p.v === undefined || p.v === null) return demo ? { kind: 'done' } : { kind: 'forever' };
  return parseUntilValue(p.v, p.from, now);
}

function bad(from: string, v: unknown, want: string): UsageError {
  return new UsageError('BAD_CONFIG', `${from}: ${JSON.stringify(v)} is not ${want}`);
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export { isUrl };

/** run.json: the resolved configuration, with the names (never the values) of the secrets passed. */
export function runJson(c: RunConfig, extra: { secretNames: string[]; startedAt: string; pid: number; host: string; upstream: string; served?: string | null }): string {
  return JSON.stringify({ ...c, roles: c.roles.map(({ text: _, ...r }) => r), upstream: extra.upstream, served: extra.served ?? null, secrets: extra.secretNames, startedAt: extra.startedAt, pid: extra.pid, host: extra.host }, null, 2) + '\n';
}
