// What `harness run` can be told, declared once: each row is a flag of `harness run` and a key
// of harness.config.json, with its help text, default and parse rule (config.ts resolves the
// rows into a RunConfig). A rule refuses a value with `want(...)`, which config.ts words as
// `FROM: VALUE is not WANT`, or throws its own one-line UsageError.
import path from 'node:path';
import { parseDuration } from '../kit/duration.js';
import { UsageError } from '../kit/errors.js';
import { want, type RawOf, type Setting } from '../kit/settings.js';
import { SANDBOX_KINDS } from '../sandbox/types.js';
import { AGENT_KINDS } from '../agents/types.js';
import { EXECUTOR_KINDS } from '../executors/types.js';
import { parseHosts } from '../executors/ssh.js';
import { parseSlurmArgs } from '../executors/slurm.js';
import { parseListen } from '../serve/listen.js';
import { parsePrices } from '../events/prices.js';
import { isUrl } from '../git/mirror.js';
import { parseCpus, parseMemory, parsePids } from './limits.js';
import { parseUntil } from './until.js';
import { parseRoles } from './roles.js';
import type { Mount } from '../sandbox/types.js';
import type { HostPort } from '../serve/service.js';

/** What a rule may need beyond the value: relative paths are from `cwd`, clock times from `now`. */
export interface SettingContext {
  cwd: string;
  now: number;
}

/** The longest wait a Node timer holds (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

type Rule<T> = (v: unknown, from: string, c: SettingContext) => T;

const str: Rule<string> = (v) => (typeof v === 'string' && v.trim() !== '' ? v : want('a non-empty string'));
const absPath: Rule<string> = (v, from, c) => path.resolve(c.cwd, str(v, from, c));
const matching = (re: RegExp, what: string): Rule<string> => (v, from, c) => (re.test(str(v, from, c)) ? (v as string) : want(what));
const oneOf = <T extends string>(allowed: readonly T[]): Rule<T> => (v, from, c) =>
  allowed.includes(str(v, from, c) as T) ? (v as T) : want(`one of ${allowed.join(', ')}`);
const bool: Rule<boolean> = (v) => (typeof v === 'boolean' ? v : want('true or false'));

const int = (min: number, max: number): Rule<number> => (v) => {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : want(`a whole number from ${min} to ${max}`);
};

const probability: Rule<number> = (v) => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1 ? n : want('a probability from 0 to 1');
};

const money: Rule<number> = (v) => {
  const n = typeof v === 'string' && /^\s*\$?\d+(\.\d+)?\s*$/.test(v) ? Number(v.trim().replace(/^\$/, '')) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : want('an amount of US dollars above 0, like 25 or 2.50');
};

/** Milliseconds: a duration like 90s, or plain milliseconds in the config file. */
const duration: Rule<number> = (v, from) => {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  return typeof v === 'string' ? parseDuration(v, from) : want('a duration like 90s, 30m or 2h');
};

// Node clamps a timer above 2^31-1 ms (24.8 days) to 1 ms: a 30d session timeout would
// kill every session at once. Durations that reach a timer are refused beyond that.
const timerDuration: Rule<number> = (v, from, c) => {
  const ms = duration(v, from, c);
  if (ms > MAX_TIMER_MS) throw new UsageError('BAD_DURATION', `${from}: ${JSON.stringify(v)} is longer than the harness can time (at most 24d); use a shorter duration`);
  return ms;
};

const envNames: Rule<string[]> = (v) =>
  Array.isArray(v) && v.every((n) => typeof n === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) ? (v as string[]) : want('a list of environment variable names');

/** How config.ts words a rule's `want`, and how the list rules word a bad element. */
export function bad(from: string, v: unknown, what: string): UsageError {
  return new UsageError('BAD_CONFIG', `${from}: ${JSON.stringify(v)} is not ${what}`);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/** `PATH`, `PATH:ro` or `PATH:rw`, one or a list; relative paths are from the project folder. */
const mountList: Rule<Mount[]> = (v, from, c) =>
  list(v).map((x) => {
    const m = typeof x === 'string' ? /^(.+?)(?::(ro|rw))?$/.exec(x.trim()) : null;
    if (!m || !m[1]) throw bad(from, x, 'a folder to mount, like /opt/toolchain or /opt/cache:rw');
    return { path: path.resolve(c.cwd, m[1]), mode: (m[2] ?? 'ro') as 'ro' | 'rw' };
  });

/** `api.example.com:443`: a host name (sessions reach it by name) and a port; or a host loopback address (a local model server or proxy). */
const hostList: Rule<HostPort[]> = (v, from) =>
  list(v).map((x) => {
    const m = typeof x === 'string' ? /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/.exec(x.trim()) : null;
    const port = m ? Number(m[2]) : 0;
    const loopback = m && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(m[1]!) && m[1]!.split('.').every((o) => Number(o) <= 255);
    if (!m || port < 1 || port > 65535 || (/^[\d.]+$/.test(m[1]!) && !loopback)) throw bad(from, x, 'a HOST:PORT with a host name or a 127.x.x.x address, like api.anthropic.com:443 or 127.0.0.1:8080');
    return { host: m[1]!.toLowerCase(), port };
  });

/** Paths inside the project, relative, without `..`. */
const pathList: Rule<string[]> = (v, from) =>
  list(v).map((x) => {
    const s = typeof x === 'string' ? x.trim().replace(/^\.\/+/, '') : '';
    if (!s || s.startsWith('/') || s.split('/').includes('..')) throw bad(from, x, 'a path inside the project, like tests/ or golden/expected.txt');
    return s;
  });

const S = (describe: string, more: { hidden?: true; choices?: readonly string[] } = {}) => ({ type: 'string' as const, describe, ...more });
const N = (describe: string) => ({ type: 'number' as const, describe });
const B = (describe: string) => ({ type: 'boolean' as const, describe });
const LIST = (describe: string) => ({ type: 'string' as const, array: true, describe });

/** In `harness run --help` order. Defaults that differ in the demo are config.ts's. */
export const SETTINGS = {
  agents: { flag: N('agent slots running at once (default 1)'), parse: int(1, 1024) },
  agent: { flag: S('who works: claude, codex, sim (the demo simulator) or cmd (default: claude; sim in the demo)', { choices: AGENT_KINDS }), parse: oneOf(AGENT_KINDS) },
  agentCmd: { flag: S('for --agent cmd: the command each session runs (sh -c; prompt on stdin and in $HARNESS_PROMPT_FILE)'), parse: str },
  sandbox: { flag: S('where sessions run: process (no isolation), bwrap, docker or podman (default: bwrap for claude and codex, process otherwise)', { choices: SANDBOX_KINDS }), parse: oneOf(SANDBOX_KINDS) },
  image: { flag: S('container image for docker/podman'), parse: str },
  dockerHost: { flag: S('the docker/podman daemon, e.g. unix:///run/docker.sock (default: DOCKER_HOST, CONTAINER_HOST for podman)'), parse: str },
  cpus: { flag: S('CPUs per session, e.g. 0.5 or 2 (docker/podman only)'), parse: parseCpus },
  memory: { flag: S('memory per session, e.g. 512m or 4g (docker/podman only)'), parse: parseMemory },
  pidsLimit: { flag: S('processes per session, e.g. 512 (docker/podman only)'), parse: parsePids },
  nice: { flag: N('CPU priority of sessions, 0-19 (process/bwrap; default 10): the upstream server and its test gate, which every push waits on, go first'), parse: int(0, 19), default: 10 },
  network: { flag: S("bwrap/docker/podman sessions reach: upstream (only the upstream server and --allow-host; default) or host (the host's whole network)", { choices: ['upstream', 'host'] }), parse: oneOf(['upstream', 'host'] as const), default: 'upstream' },
  allowHost: { flag: LIST('with --network upstream: a HOST:PORT sessions may also reach, e.g. api.anthropic.com:443 (repeatable)'), parse: hostList, default: [] },
  allowTestEdits: { flag: B("agents may change the protected test files (the oracle's tests, test-oracle.json, expected outputs); refused by the upstream otherwise"), parse: bool, default: false },
  protect: { flag: LIST('another path agents may not change on main, e.g. golden/ (repeatable)'), parse: pathList, default: [] },
  mount: { flag: LIST('an extra host folder every session sees at the same path, read-only unless PATH:rw (repeatable)'), parse: mountList, default: [] },
  role: { flag: LIST("a standing role for some slots: NAME=COUNT[:PROMPT_FILE], e.g. docs=1:templates/roles/docs.md (repeatable; slots take roles in order; its prompt is added to the agent prompt)"), parse: (v, from, c) => parseRoles(v, from, c.cwd), default: [] },
  passEnv: { flag: LIST('another environment variable passed to sessions as a secret, besides the agents\' own (ANTHROPIC_API_KEY, OPENAI_API_KEY, ...); run.json lists its name, never its value (repeatable)'), parse: envNames, default: [] },
  prompt: { flag: S("the agents' prompt file (default: AGENT_PROMPT.md in the repo, read each session)"), parse: absPath },
  model: { flag: S('model name passed to the agent'), parse: str },
  dir: { flag: S('the swarm folder (default .swarm; .swarm-demo for the demo)'), parse: absPath, default: '.swarm' },
  upstream: { flag: S('a remote upstream URL instead of DIR/upstream.git'), parse: str },
  from: { flag: S('the project that seeds a new DIR/upstream.git (default: the git repo you are in)'), parse: (v, from, c) => (isUrl(str(v, from, c)) ? (v as string) : absPath(v, from, c)) },
  sessionTimeout: { flag: S('kill a session after this long (default 2h)'), parse: timerDuration, default: '2h' },
  lockTtl: { flag: S('reap claims older than this whose session is not running (default 2h)'), parse: duration, default: '2h' },
  maxSessions: { flag: N('stop after starting this many sessions in all'), parse: int(1, 1e9) },
  maxSessionsPerAgent: { flag: N('each agent slot starts at most this many sessions'), parse: int(1, 1e9) },
  maxCost: { flag: S('stop starting sessions once the swarm has spent this many US dollars, e.g. 25 (exit 1)'), parse: money },
  maxCostPerAgent: { flag: S('a slot starts no more sessions once it has spent this many US dollars (exit 1 when every slot has)'), parse: money },
  maxTokens: { flag: N('stop starting sessions after this many tokens in all, cached ones included (exit 1)'), parse: int(1, Number.MAX_SAFE_INTEGER) },
  maxTokensPerAgent: { flag: N('a slot starts no more sessions after this many tokens'), parse: int(1, Number.MAX_SAFE_INTEGER) },
  hard: { flag: B('on reaching a cap, stop running sessions too (grace, then kill) instead of letting them finish'), parse: bool, default: false },
  stallAfter: { flag: S('stop (exit 1) when no task is done and the pass rate has not risen for this long, e.g. 2h'), parse: timerDuration },
  stallAction: { flag: S('what --stall-after does: stop (default) or warn', { choices: ['stop', 'warn'] }), parse: oneOf(['stop', 'warn'] as const), default: 'stop' },
  until: { flag: S('stop starting sessions at: done (no claims, a full oracle run at the head of main passes, run by the supervisor if agents recorded only samples; the demo default), forever (default), a duration (8h), a clock time (07:30) or a date'), parse: (v, from, c) => parseUntil(v, from, c.now) },
  grace: { flag: S('on stop, how long running sessions get before they are killed (default 30s)'), parse: timerDuration, default: '30s' },
  simCrash: { flag: N('demo: probability a simulated session crashes (default 0.1)'), parse: probability, default: 0 },
  simRegress: { flag: N('demo: probability a simulated fix breaks another test (default 0)'), parse: probability, default: 0 },
  simThink: { flag: S('demo: simulated thinking time per step, e.g. 200ms'), parse: timerDuration, default: '200ms' },
  simFaults: { flag: S('sim: a file of faults planned per session ({"v":1,"sessions":{"agent-1/3":{"kind":"crash"}}}; the endurance benchmark writes it)', { hidden: true }), parse: absPath },
  simCommitLog: { flag: S('sim: append every commit a simulated session makes to this file (the endurance benchmark checks none is lost)', { hidden: true }), parse: absPath },
  backoffBase: { flag: S('first wait after a fast failure (default 10s)', { hidden: true }), parse: timerDuration, default: '10s' },
  backoffCap: { flag: S('longest wait between failing sessions (default 10m)', { hidden: true }), parse: timerDuration, default: '10m' },
  fastFailure: { flag: S('a failed session shorter than this is a fast failure (default 2m)', { hidden: true }), parse: timerDuration, default: '2m' },
  idleBase: { flag: S('after a session that landed no commit and made no claim, wait this long before the next (doubling each time; wakes early when upstream main moves; default 30s)'), parse: timerDuration, default: '30s' },
  idleCap: { flag: S('the longest such idle wait (default 30m)'), parse: timerDuration, default: '30m' },
  executor: { flag: S('where sessions run: local (this machine, default), ssh (--hosts) or slurm (each session a Slurm job); separate from --sandbox', { choices: EXECUTOR_KINDS }), parse: oneOf(EXECUTOR_KINDS), default: 'local' },
  hosts: { flag: S('for --executor ssh: USER@HOST[:SLOTS],... (slots per host, default 1; hosts need node and git)'), parse: parseHosts },
  sshConfig: { flag: S('for --executor ssh: an ssh config file (ports, keys, host aliases); host keys are kept in DIR/ssh/known_hosts'), parse: absPath },
  slurmPartition: { flag: S('for --executor slurm: the partition sessions run in'), parse: matching(/^[A-Za-z0-9_.-]{1,64}$/, 'a partition name') },
  slurmArgs: { flag: S('for --executor slurm: more srun options, e.g. "--mem=4G --cpus-per-task=2"'), parse: (v, from, c) => parseSlurmArgs(str(v, from, c), from) },
  listen: { flag: S("HOST:PORT the upstream server listens on (default 127.0.0.1, any port); remote executors' sessions reach it there"), parse: (v, from, c) => parseListen(str(v, from, c), from) },
  publicUrl: { flag: S("for ssh/slurm: the upstream URL remote sessions use, e.g. https://swarm.example.org/upstream.git for a TLS proxy in front of --listen (default: the server's own URL)"), parse: matching(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/, 'an http(s) URL like https://swarm.example.org/upstream.git') },
  remoteDir: { flag: S('for ssh/slurm: where slots keep their workspaces on the remote side (default ~/.harness-sessions)'), parse: (v, from, c) => (/^(~\/|\/)[A-Za-z0-9_./-]*$/.test(str(v, from, c)) && !(v as string).split('/').includes('..') ? (v as string) : want('an absolute path or one under ~/ (letters, digits, . _ - /)')), default: '~/.harness-sessions' },
  heartbeat: { flag: S('how often this run renews its heartbeat ref on the upstream (default 30s); other supervisors reap its claims when it has not moved for 4 of these', { hidden: true }), parse: timerDuration, default: '30s' },
  remoteNode: { flag: S('for ssh/slurm: the node binary on the remote side (default node)'), parse: matching(/^[A-Za-z0-9_./-]+$/, 'a program name or path, like node or /opt/node/bin/node'), default: 'node' },
  // A table of tables: no command-line form would be easier to write than the JSON.
  prices: { flag: null, parse: parsePrices, default: null },
} satisfies Record<string, Setting<unknown, SettingContext>>;

export type Settings = typeof SETTINGS;

/** What a user can set, as typed on a command line or in harness.config.json. */
export type RawSettings = RawOf<Settings>;
