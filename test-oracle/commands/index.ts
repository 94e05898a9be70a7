// Every test-oracle command, in the order `--help` lists them.
import type { CommandModule } from 'yargs';
import type { Io, Register } from '../../harness/cli-kit.js';
import { bisectCommand } from './bisect.js';
import { gateCommand } from './gate.js';
import { historyCommand } from './history.js';
import { notesSyncCommand } from './notes-sync.js';
import { runCommand } from './run.js';

export function oracleCommands(io: Io, setResult: Register): CommandModule[] {
  return [
    runCommand(io, setResult),
    historyCommand(io, setResult),
    gateCommand(io, setResult),
    notesSyncCommand(io, setResult),
    bisectCommand(io, setResult),
  ];
}
