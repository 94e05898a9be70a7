// Every test-oracle command, in the order `--help` lists them.
import type { CommandModule } from 'yargs';
import type { Io, Register } from '../../harness/cli-kit.js';

export function oracleCommands(_io: Io, _setResult: Register): CommandModule[] {
  return [];
}
