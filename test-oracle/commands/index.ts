// Every test-oracle command, in the order `--help` lists them.
import type { CommandModule } from 'yargs';
import type { Io, Register } from '../../harness/cli-kit.js';
import { runCommand } from './run.js';

export function oracleCommands(io: Io, setResult: Register): CommandModule[] {
  return [runCommand(io, setResult)];
}
