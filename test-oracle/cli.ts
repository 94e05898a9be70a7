// `test-oracle`: the test runner and the bisector. One file per command under commands/;
// this file only wires them to yargs and the shared exit point.
import { runCli, type Io } from '../harness/cli-kit.js';
import { oracleCommands } from './commands/index.js';

export function main(argv: string[], io?: Io): Promise<number> {
  return runCli(
    {
      prog: 'test-oracle',
      usage: [
        'test-oracle <command> [options]',
        '',
        'Fast, terse, sampled test feedback for agents, and a bisector that uses a trusted',
        'reference compiler to find the units a candidate compiler miscompiles.',
      ].join('\n'),
      build: (y, io, setResult) => {
        for (const c of oracleCommands(io, setResult)) y = y.command(c);
        return y.demandCommand(1, 'say which command to run');
      },
    },
    argv,
    io,
  );
}
