// `harness`: the orchestrator and the agent-side commands. One file per command under
// commands/; this file only wires them to yargs and the shared exit point.
import { runCli, type Io } from './cli-kit.js';
import { initCommand } from './commands/init.js';
import { taskCommand } from './commands/task.js';

export function main(argv: string[], io?: Io): Promise<number> {
  return runCli(
    {
      prog: 'harness',
      usage: [
        'harness <command> [options]',
        '',
        'A git-native coordination harness for long, unattended runs of many coding agents.',
        'Git is the only coordinator: agents claim work by pushing lock files to current_tasks/.',
      ].join('\n'),
      build: (y, io, setResult) =>
        y
          .command(initCommand(io, setResult))
          .command(taskCommand(io, setResult))
          .demandCommand(1, 'say which command to run'),
    },
    argv,
    io,
  );
}
