// Every test-oracle command, in the order `--help` lists them. Each row loads its module
// only when that command runs; a new command is one row here.
import type { CommandEntry } from '../../harness/kit/cli-kit.js';

export const ORACLE_COMMANDS: CommandEntry[] = [
  {
    name: 'run',
    describe: 'run the suite (or a --fast sample of it) in parallel; terse report, full logs in files',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'history',
    describe: 'pass rate by commit from the recorded runs, newest first, one line each',
    load: async () => (await import('./history.js')).historyCommand,
  },
  {
    name: 'gate',
    describe: 'exit 1 when a test that passed at the baseline fails now (on the tests both ran)',
    load: async () => (await import('./gate.js')).gateCommand,
  },
  {
    name: 'notes-sync',
    describe: "share recorded results: fetch the remote's notes, merge (keeping every run), push",
    load: async () => (await import('./notes-sync.js')).notesSyncCommand,
  },
  {
    name: 'bisect',
    describe: 'find the units a candidate compiler miscompiles (gcc or another trusted compiler as the oracle)',
    load: async () => (await import('./bisect.js')).bisectCommand,
  },
];
