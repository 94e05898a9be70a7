// `test-oracle`: the test runner and the bisector. One file per command under commands/,
// listed once in commands/index.ts and loaded only when it runs.
import { runCli, type Io } from '../harness/kit/cli-kit.js';
import { ORACLE_COMMANDS } from './commands/index.js';

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
      commands: ORACLE_COMMANDS,
    },
    argv,
    io,
  );
}
