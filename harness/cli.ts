// `harness`: the orchestrator and the agent-side commands. One file per command under
// commands/; this file only wires them to yargs and the shared exit point.
import { runCli, type Io } from './cli-kit.js';
import { initCommand } from './commands/init.js';
import { msgCommand } from './commands/msg.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { taskCommand } from './commands/task.js';

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
      build: (y, io, setResult) =>
        // `run` is also the default: `harness --agents 16` == `harness run --agents 16`.
        y.command(runCommand(io, setResult)).command(initCommand(io, setResult)).command(taskCommand(io, setResult))
          .command(statusCommand(io, setResult))
          .command(reportCommand(io, setResult))
          .command(serveCommand(io, setResult))
          .command(msgCommand(io, setResult)),
    },
    argv,
    io,
  );
}
