// `harness run` (the default command): supervise a swarm of agent sessions.
import { defineCommand, type Io, type Register } from '../kit/cli-kit.js';
import { flagOptions, flagValues } from '../kit/settings.js';
import { SETTINGS } from '../swarm/settings.js';
import { processSignals, startRun, type RunDeps } from '../swarm/start.js';

export function runCommand(io: Io, setResult: Register, deps: RunDeps = { onSignal: processSignals }) {
  return defineCommand<Record<string, unknown>>(io, setResult, {
    command: ['run', '$0'],
    describe: 'Run a swarm: N agent slots, each running fresh sessions back to back (the default command)',
    builder: (y) => {
      for (const [name, o] of Object.entries(flagOptions(SETTINGS))) y.option(name, { ...o, group: 'Run options:' } as never);
      return y
        .epilogue(
          [
            'Every option can also be set in harness.config.json in the project folder (camelCase keys, e.g. {"agents": 8, "agent": "claude", "sessionTimeout": "1h"}); flags win.',
            'With no --agent and no project (no --from/--upstream, no config file, no existing swarm), it runs the embedded demo in .swarm-demo/.',
            'Credentials (ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN, OPENAI_API_KEY, ...; others with --pass-env NAME) reach sessions through their environment only; run.json lists their names, never values.',
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
      return startRun(flagValues(SETTINGS, args), io, deps);
    },
  });
}
