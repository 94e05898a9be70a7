// The run's configuration, resolved from three layers: built-in defaults, the project's
// harness.config.json, then command-line flags (flags win). What can be set is declared once,
// in settings.ts; this file adds the rules between settings (the demo's defaults, an agent
// command only for --agent cmd, ssh hosts only for --executor ssh). Pure: the caller reads the
// file and passes its parsed JSON in. Every bad value is one UsageError naming the field and
// where it came from, raised before anything is written.
import { UsageError } from '../kit/errors.js';
import { kebab, reader, settingKeys, unknownKeys } from '../kit/settings.js';
import type { Mount, SandboxKind } from '../sandbox/types.js';
import type { Limits } from './limits.js';
import type { Until } from './until.js';
import type { PriceTable } from '../events/prices.js';
import type { HostPort } from '../serve/service.js';
import { isUrl } from '../git/mirror.js';
import { agentsFor, type RoleSpec } from './roles.js';
import type { ExecConfig } from '../executors/types.js';
import type { AgentKind } from '../agents/types.js';
import { bad, SETTINGS, type RawSettings, type SettingContext } from './settings.js';

export type { Until, RawSettings };
export { MAX_TIMER_MS } from './settings.js';
export { SANDBOX_KINDS } from '../sandbox/types.js';

export const CONFIG_FILE = 'harness.config.json';

export const SETTING_KEYS = settingKeys(SETTINGS);

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

/** Checks the config file's shape: an object with known keys only. */
export function checkConfigFile(json: unknown, fileName: string): RawSettings {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError('BAD_CONFIG', `${fileName}: must be a JSON object like {"agents": 4, "agent": "claude"}`);
  }
  const [unknown] = unknownKeys(SETTINGS, json);
  if (unknown !== undefined) throw new UsageError('BAD_CONFIG', `${fileName}: unknown setting "${unknown}"; known: ${SETTING_KEYS.join(', ')}`);
  return json as RawSettings;
}

function settingsOf(input: ResolveInput) {
  const layers = [
    { values: input.flags, from: (k: string) => `--${kebab(k)}` },
    { values: input.file, from: (k: string) => `${input.fileName ?? CONFIG_FILE} "${k}"` },
  ];
  const complain = (from: string, v: unknown, what: string): never => {
    throw bad(from, v, what);
  };
  return reader<typeof SETTINGS, SettingContext>(SETTINGS, layers, { cwd: input.cwd, now: input.now }, { unset: (v) => v === undefined || v === null, complain });
}

type Read = ReturnType<typeof settingsOf>;

export function resolveConfig(input: ResolveInput): RunConfig {
  const s = settingsOf(input);
  const agentSet = s.get('agent');
  const from = s.get('from');
  const upstream = s.get('upstream');
  const demo = (agentSet === null || agentSet === 'sim') && !input.hasProject && from === null && upstream === null;
  const agent: AgentKind = agentSet ?? (demo ? 'sim' : 'claude');
  const agentCmd = s.get('agentCmd');
  if (agent === 'cmd' && agentCmd === null) throw new UsageError('NEEDS_AGENT_CMD', '--agent cmd needs --agent-cmd "the command to run in each session"');
  if (agent !== 'cmd' && agentCmd !== null) throw new UsageError('AGENT_CMD_UNUSED', `--agent-cmd is only for --agent cmd (the agent is ${agent})`);
  const passEnv = s.get('passEnv')!;
  const prompt = s.get('prompt');
  // A simulated crash is part of the demo, not a broken command: back off briefly there.
  const backoff = { baseMs: s.get('backoffBase', demo ? '1s' : undefined)!, capMs: s.get('backoffCap', demo ? '5s' : undefined)!, fastMs: s.get('fastFailure')! };
  // The demo's simulator leaves at once when everything open is claimed; its slot waits here instead, waking when main moves.
  const idle = { baseMs: s.get('idleBase', demo ? '2s' : undefined)!, capMs: s.get('idleCap', demo ? '20s' : undefined)! };
  if (idle.capMs < idle.baseMs) throw new UsageError('BAD_CONFIG', `idleCap (${idle.capMs} ms) is below idleBase (${idle.baseMs} ms)`);
  const exec = execConfig(s);
  const roles = s.get('role')!;
  if (backoff.capMs < backoff.baseMs) throw new UsageError('BAD_CONFIG', `backoffCap (${backoff.capMs} ms) is below backoffBase (${backoff.baseMs} ms)`);
  const realAgent = agent === 'claude' || agent === 'codex';
  return {
    agents: agentsFor(roles, s.get('agents'), 1),
    agent,
    agentCmd,
    // A real agent runs code it wrote itself: never on the host unless asked for by name.
    sandbox: s.get('sandbox') ?? (realAgent ? 'bwrap' : 'process'),
    sandboxDefaulted: s.get('sandbox') === null && realAgent,
    image: s.get('image'),
    prompt,
    model: s.get('model'),
    dir: s.get('dir', demo ? '.swarm-demo' : undefined)!,
    upstream,
    from,
    sessionTimeoutMs: s.get('sessionTimeout')!,
    lockTtlMs: s.get('lockTtl')!,
    maxSessions: s.get('maxSessions'),
    until: s.get('until') ?? (demo ? { kind: 'done' } : { kind: 'forever' }),
    graceMs: s.get('grace')!,
    backoff,
    idle,
    passEnv,
    demo,
    sim: { crash: s.get('simCrash', demo ? 0.1 : undefined)!, regress: s.get('simRegress')!, thinkMs: s.get('simThink')!, faults: s.get('simFaults'), commitLog: s.get('simCommitLog') },
    limits: limits(s),
    dockerHost: s.get('dockerHost'),
    mounts: s.get('mount')!,
    maxCostUsd: s.get('maxCost'),
    maxTokens: s.get('maxTokens'),
    maxCostPerAgentUsd: s.get('maxCostPerAgent'),
    maxTokensPerAgent: s.get('maxTokensPerAgent'),
    maxSessionsPerAgent: s.get('maxSessionsPerAgent'),
    hard: s.get('hard')!,
    stallAfterMs: s.get('stallAfter'),
    stallAction: s.get('stallAction')!,
    prices: s.get('prices')!,
    network: s.get('network')!,
    allowHost: s.get('allowHost')!,
    allowTestEdits: s.get('allowTestEdits')!,
    protect: s.get('protect')!,
    roles,
    exec,
    heartbeatMs: Math.max(200, s.get('heartbeat')!),
  };
}

function execConfig(s: Read): ExecConfig {
  const kind = s.get('executor')!;
  const hosts = s.get('hosts') ?? [];
  if (kind === 'ssh' && hosts.length === 0) throw new UsageError('NEEDS_HOSTS', '--executor ssh needs --hosts USER@HOST[:SLOTS],... (the hosts sessions run on)');
  if (kind !== 'ssh' && hosts.length) throw new UsageError('HOSTS_UNUSED', `--hosts is only for --executor ssh (the executor is ${kind})`);
  const sshConfig = s.get('sshConfig');
  if (sshConfig !== null && kind !== 'ssh') throw new UsageError('HOSTS_UNUSED', `--ssh-config is only for --executor ssh (the executor is ${kind})`);
  const slurmPartition = s.get('slurmPartition');
  const slurmArgs = s.get('slurmArgs') ?? [];
  if ((slurmPartition !== null || slurmArgs.length) && kind !== 'slurm') throw new UsageError('SLURM_UNUSED', `--slurm-partition and --slurm-args are only for --executor slurm (the executor is ${kind})`);
  const remoteDir = s.get('remoteDir')!;
  const remoteNode = s.get('remoteNode')!;
  const publicUrl = s.get('publicUrl');
  const listen = s.get('listen');
  return { kind, hosts, publicUrl, sshConfig, slurmPartition, slurmArgs, listen, remoteDir, remoteNode };
}

function limits(s: Read): Limits {
  const out: Limits = {};
  const [cpus, memoryMb, pids] = [s.get('cpus'), s.get('memory'), s.get('pidsLimit')];
  if (cpus !== null) out.cpus = cpus;
  if (memoryMb !== null) out.memoryMb = memoryMb;
  if (pids !== null) out.pids = pids;
  const nice = s.get('nice')!;
  if (nice > 0) out.nice = nice;
  return out;
}

export { isUrl };

/** run.json: the resolved configuration, with the names (never the values) of the secrets passed. */
export function runJson(c: RunConfig, extra: { secretNames: string[]; startedAt: string; pid: number; host: string; upstream: string; served?: string | null }): string {
  return JSON.stringify({ ...c, roles: c.roles.map(({ text: _, ...r }) => r), upstream: extra.upstream, served: extra.served ?? null, secrets: extra.secretNames, startedAt: extra.startedAt, pid: extra.pid, host: extra.host }, null, 2) + '\n';
}
