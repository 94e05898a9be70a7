// `harness`: the orchestrator and the agent-side commands. One file per command under
// commands/, listed once in the table below; a command's module (and everything it
// imports) is loaded only when that command runs. A new command is one row here.
import { runCli, type CommandEntry, type Io } from './kit/cli-kit.js';

export const HARNESS_COMMANDS: CommandEntry[] = [
  {
    name: 'run',
    isDefault: true,
    describe: 'Run a swarm: N agent slots, each running fresh sessions back to back (the default command)',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  {
    name: 'init',
    describe: 'Create the swarm folder and its shared bare repo (DIR/upstream.git)',
    load: async () => (await import('./commands/init.js')).initCommand,
  },
  {
    name: 'task',
    describe: 'Claim, finish, release, list and reap tasks in current_tasks/',
    load: async () => (await import('./commands/task.js')).taskCommand,
  },
  {
    name: 'status',
    describe: 'What a swarm is doing: agents, sessions, claims, commits, pass rate, spend (works while it runs or after)',
    load: async () => (await import('./commands/status.js')).statusCommand,
  },
  {
    name: 'report',
    describe: 'Write the morning report: one self-contained HTML file with charts of pass rate, commits, sessions, cost and lock churn',
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  {
    name: 'serve',
    describe: "Serve the swarm's upstream over git's smart HTTP with the pre-receive policy (harness run does this itself)",
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'msg',
    describe: 'Send and read messages between agents, roles and people (git-native, in current_tasks/messages/)',
    load: async () => (await import('./commands/msg.js')).msgCommand,
  },
];

export function main(argv: string[], io?: Io): Promise<number> {
  return runCli(
    {
      prog: 'harness',
      usage: [
        'harness [run] [options]       supervise a swarm (the default command)\nharness <command> [options]',
        '',
        'A git-native coordination harness for long, unattended runs of many coding agents.',
        'Git is the only coordinator: agents claim work by pushing lock files to current_tasks/.',
      ].join('\n'),
      helpNote: "`harness --agents 16` is `harness run --agents 16`; `harness run --help` lists the swarm's options.",
      commands: HARNESS_COMMANDS,
    },
    argv,
    io,
  );
}
