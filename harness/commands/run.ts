// `harness run` (the default command): supervise a swarm of agent sessions.
import { defineCommand, type Io, type Register } from '../kit/cli-kit.js';
import { AGENT_KINDS } from '../agents/types.js';
import { SANDBOX_KINDS, type RawSettings } from '../swarm/config.js';
import { EXECUTOR_KINDS } from '../executors/types.js';
import { processSignals, startRun, type RunDeps } from '../swarm/start.js';

type RunArgs = RawSettings & Record<string, unknown>;

const FLAGS: [keyof RawSettings, string, Record<string, unknown>][] = [
  ['agents', 'agent slots running at once (default 1)', { type: 'number' }],
  ['agent', 'who works: claude, codex, sim (the demo simulator) or cmd (default: claude; sim in the demo)', { type: 'string', choices: AGENT_KINDS }],
  ['agentCmd', 'for --agent cmd: the command each session runs (sh -c; prompt on stdin and in $HARNESS_PROMPT_FILE)', { type: 'string' }],
  ['sandbox', 'where sessions run: process (no isolation), bwrap, docker or podman (default process)', { type: 'string', choices: SANDBOX_KINDS }],
  ['image', 'container image for docker/podman', { type: 'string' }],
  ['dockerHost', 'the docker/podman daemon, e.g. unix:///run/docker.sock (default: DOCKER_HOST, CONTAINER_HOST for podman)', { type: 'string' }],
  ['cpus', 'CPUs per session, e.g. 0.5 or 2 (docker/podman only)', { type: 'string' }],
  ['memory', 'memory per session, e.g. 512m or 4g (docker/podman only)', { type: 'string' }],
  ['pidsLimit', 'processes per session, e.g. 512 (docker/podman only)', { type: 'string' }],
  ['network', 'bwrap/docker/podman sessions reach: upstream (only the upstream server and --allow-host; default) or host (the host\'s whole network)', { type: 'string', choices: ['upstream', 'host'] }],
  ['allowHost', 'with --network upstream: a HOST:PORT sessions may also reach, e.g. api.anthropic.com:443 (repeatable)', { type: 'string', array: true }],
  ['allowTestEdits', 'agents may change the protected test files (the oracle\'s tests, test-oracle.json, expected outputs); refused by the upstream otherwise', { type: 'boolean' }],
  ['protect', 'another path agents may not change on main, e.g. golden/ (repeatable)', { type: 'string', array: true }],
  ['mount', 'an extra host folder every session sees at the same path, read-only unless PATH:rw (repeatable)', { type: 'string', array: true }],
  ['role', 'a standing role for some slots: NAME=COUNT[:PROMPT_FILE], e.g. docs=1:templates/roles/docs.md (repeatable; slots take roles in order; its prompt is added to the agent prompt)', { type: 'string', array: true }],
  ['prompt', "the agents' prompt file (default: AGENT_PROMPT.md in the repo, read each session)", { type: 'string' }],
  ['model', 'model name passed to the agent', { type: 'string' }],
  ['dir', 'the swarm folder (default .swarm; .swarm-demo for the demo)', { type: 'string' }],
  ['upstream', 'a remote upstream URL instead of DIR/upstream.git', { type: 'string' }],
  ['from', 'the project that seeds a new DIR/upstream.git (default: the git repo you are in)', { type: 'string' }],
  ['sessionTimeout', 'kill a session after this long (default 2h)', { type: 'string' }],
  ['lockTtl', 'reap claims older than this whose session is not running (default 2h)', { type: 'string' }],
  ['maxSessions', 'stop after starting this many sessions in all', { type: 'number' }],
  ['maxSessionsPerAgent', 'each agent slot starts at most this many sessions', { type: 'number' }],
  ['maxCost', 'stop starting sessions once the swarm has spent this many US dollars, e.g. 25 (exit 1)', { type: 'string' }],
  ['maxCostPerAgent', 'a slot starts no more sessions once it has spent this many US dollars (exit 1 when every slot has)', { type: 'string' }],
  ['maxTokens', 'stop starting sessions after this many tokens in all, cached ones included (exit 1)', { type: 'number' }],
  ['maxTokensPerAgent', 'a slot starts no more sessions after this many tokens', { type: 'number' }],
  ['hard', 'on reaching a cap, stop running sessions too (grace, then kill) instead of letting them finish', { type: 'boolean' }],
  ['stallAfter', 'stop (exit 1) when no task is done and the pass rate has not risen for this long, e.g. 2h', { type: 'string' }],
  ['stallAction', 'what --stall-after does: stop (default) or warn', { type: 'string', choices: ['stop', 'warn'] }],
  ['until', 'stop starting sessions at: done (no claims, a full oracle run at the head of main passes, run by the supervisor if agents recorded only samples; the demo default), forever (default), a duration (8h), a clock time (07:30) or a date', { type: 'string' }],
  ['grace', 'on stop, how long running sessions get before they are killed (default 30s)', { type: 'string' }],
  ['simCrash', 'demo: probability a simulated session crashes (default 0.1)', { type: 'number' }],
  ['simRegress', 'demo: probability a simulated fix breaks another test (default 0)', { type: 'number' }],
  ['simThink', 'demo: simulated thinking time per step, e.g. 200ms', { type: 'string' }],
  ['simFaults', 'sim: a file of faults planned per session ({"v":1,"sessions":{"agent-1/3":{"kind":"crash"}}}; the endurance benchmark writes it)', { type: 'string', hidden: true }],
  ['simCommitLog', 'sim: append every commit a simulated session makes to this file (the endurance benchmark checks none is lost)', { type: 'string', hidden: true }],
  ['backoffBase', 'first wait after a fast failure (default 10s)', { type: 'string', hidden: true }],
  ['backoffCap', 'longest wait between failing sessions (default 10m)', { type: 'string', hidden: true }],
  ['fastFailure', 'a failed session shorter than this is a fast failure (default 2m)', { type: 'string', hidden: true }],
  ['idleBase', 'after a session that landed no commit and made no claim, wait this long before the next (doubling each time; wakes early when upstream main moves; default 30s)', { type: 'string' }],
  ['idleCap', 'the longest such idle wait (default 30m)', { type: 'string' }],
  ['executor', 'where sessions run: local (this machine, default), ssh (--hosts) or slurm (each session a Slurm job); separate from --sandbox', { type: 'string', choices: EXECUTOR_KINDS }],
  ['hosts', 'for --executor ssh: USER@HOST[:SLOTS],... (slots per host, default 1; hosts need node and git)', { type: 'string' }],
  ['sshConfig', 'for --executor ssh: an ssh config file (ports, keys, host aliases); host keys are kept in DIR/ssh/known_hosts', { type: 'string' }],
  ['slurmPartition', 'for --executor slurm: the partition sessions run in', { type: 'string' }],
  ['slurmArgs', 'for --executor slurm: more srun options, e.g. "--mem=4G --cpus-per-task=2"', { type: 'string' }],
  ['listen', 'HOST:PORT the upstream server listens on (default 127.0.0.1, any port); remote executors\' sessions reach it there', { type: 'string' }],
  ['publicUrl', 'for ssh/slurm: the upstream URL remote sessions use, e.g. https://swarm.example.org/upstream.git for a TLS proxy in front of --listen (default: the server\'s own URL)', { type: 'string' }],
  ['remoteDir', 'for ssh/slurm: where slots keep their workspaces on the remote side (default ~/.harness-sessions)', { type: 'string' }],
  ['heartbeat', "how often this run renews its heartbeat ref on the upstream (default 30s); other supervisors reap its claims when it has not moved for 4 of these", { type: 'string', hidden: true }],
  ['remoteNode', 'for ssh/slurm: the node binary on the remote side (default node)', { type: 'string' }],
];

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function runCommand(io: Io, setResult: Register, deps: RunDeps = { onSignal: processSignals }) {
  return defineCommand<RunArgs>(io, setResult, {
    command: ['run', '$0'],
    describe: 'Run a swarm: N agent slots, each running fresh sessions back to back (the default command)',
    builder: (y) => {
      for (const [k, describe, o] of FLAGS) y.option(kebab(k), { describe, ...o, group: 'Run options:' } as never);
      return y
        .epilogue(
          [
            'Every option can also be set in harness.config.json in the project folder (camelCase keys, e.g. {"agents": 8, "agent": "claude", "sessionTimeout": "1h"}); flags win.',
            'With no --agent and no project (no --from/--upstream, no config file, no existing swarm), it runs the embedded demo in .swarm-demo/.',
            'Credentials (ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN, OPENAI_API_KEY, ...) reach sessions through their environment only; run.json lists their names, never values.',
            'Ctrl-C: no new sessions, running ones get --grace, leftover work is pushed to wip/<agent>/<session>, a summary is printed. Ctrl-C again stops at once.',
            'Costs: Claude Code reports its own cost; for tokens without a price (Codex; a killed session) the "prices" table in harness.config.json ({"gpt-5": {"input": 1.25, "output": 10, "cacheRead": 0.125}}, USD per million tokens) is used, over built-in list prices that are an assumption to check. Caps are checked as sessions end, so running sessions can overshoot a cap by what they spend (use --hard to cut them short).',
            'Rate limits: when an agent reports a usage or rate limit, no session starts until the reset time it reported (or a backoff when it gave none); events.jsonl records rate_limited.',
            'Exit codes: 0 stopped as asked (done, --until, --max-sessions[-per-agent], one Ctrl-C); 1 cut short by --max-cost/--max-tokens (or their per-agent forms) or by --stall-after, or a second Ctrl-C; 2 bad usage or configuration; 4 environment problem (sandbox, git).',
            'Files: DIR/events.jsonl (events), DIR/agent_logs/<agent>/<n>-<sha>.log (one per session), DIR/run.json, DIR/agents/<agent>/workspace.',
          ].join('\n'),
        )
        .example('harness --agents 16', 'the demo: 16 simulated agents')
        .example('harness run --agents 8 --agent claude --sandbox docker --image harness-agent', 'a real swarm on the project you are in')
        .example('harness run --agents 4 --sandbox docker --cpus 2 --memory 4g --pids-limit 512', 'hold each session to 2 CPUs, 4 GiB and 512 processes')
        .example('harness run --agent cmd --agent-cmd ./my-agent.sh --max-sessions 10', 'any command as the agent')
        .example('harness run --agents 6 --executor ssh --hosts me@box1:4,me@box2:2 --listen 0.0.0.0:8417', 'sessions on two workstations over ssh')
        .example('harness run --agents 32 --executor slurm --slurm-partition cpu --session-timeout 1h --listen 0.0.0.0:8417', 'each session a Slurm job') as never;
    },
    run: async (args, io) => {
      const flags: RawSettings = {};
      for (const [k] of FLAGS) {
        const v = args[k];
        if (v === undefined) continue;
        // a repeated flag: the last wins, except for the ones that are lists
        (flags as Record<string, unknown>)[k] = Array.isArray(v) && !['mount', 'allowHost', 'protect', 'role'].includes(k) ? v[v.length - 1] : v;
      }
      return startRun(flags, io, deps);
    },
  });
}
