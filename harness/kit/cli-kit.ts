// The single exit point shared by `harness` and `test-oracle`: pick the command from one
// table, load only that command's module, parse with yargs, run it, and turn any
// HarnessError into one line on stderr and its exit code. Commands get their world (env,
// cwd, clock, output) through `Io`, so tests can run them in-process.
//
// Agents run these CLIs dozens of times per session, so start-up is kept to what the
// command uses: `--version` and the top-level `--help` load neither yargs nor any command,
// a command loads its own module (and through it its own dependencies) only, and a command
// whose options are a table (cli-args.ts) runs without yargs unless asked for help or
// given input only yargs can judge.
import os from 'node:os';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { applyArgs, fastParse, type ArgsSpec } from './cli-args.js';
import { EXIT, EXIT_CODES_HELP, HarnessError, UsageError } from './errors.js';
import { PACKAGE_ROOT, packageVersion } from './paths.js';

export interface Io {
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
  hostname: () => string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** stdout is a terminal that `out` writes to: live views may redraw in place */
  isTTY?: boolean;
}

const EPIPE_QUIET = Symbol('epipe-quiet');
/** Streams whose reader has left: writes to them are dropped. */
const gone = new Set<NodeJS.WritableStream>();
let onStdoutGone: () => void = () => {};
const stdoutGonePromise = new Promise<void>((res) => (onStdoutGone = res));

/**
 * Resolves when the reader of stdout has left (`| head`). A command that writes until
 * stopped (`status --watch`) ends then; every other command just finishes unheard.
 */
export function stdoutClosed(): Promise<void> {
  return stdoutGonePromise;
}

export function processIo(): Io {
  // `test-oracle run | head -1`: the reader left, so there is nobody to tell. Stop writing
  // quietly but let the command finish, so its exit code stays true: exiting 0 here made
  // `set -o pipefail` report success for a run whose tests failed (or never ran).
  // Always ours, once: a loader (tsx) may already have piped into stdout, and its listener
  // re-emits the error when it finds itself the last one.
  for (const stream of [process.stdout, process.stderr] as (NodeJS.WriteStream & { [EPIPE_QUIET]?: true })[]) {
    if (stream[EPIPE_QUIET]) continue;
    stream[EPIPE_QUIET] = true;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      gone.add(stream);
      if (stream === process.stdout) onStdoutGone();
    });
  }
  const write = (stream: NodeJS.WriteStream, line: string) => {
    if (!gone.has(stream)) stream.write(line + '\n');
  };
  return {
    env: process.env,
    cwd: invocationCwd(process.env, process.cwd()),
    now: () => new Date(),
    hostname: () => os.hostname(),
    out: (line) => write(process.stdout, line),
    err: (line) => write(process.stderr, line),
    isTTY: !!process.stdout.isTTY && process.env.TERM !== 'dumb',
  };
}

/**
 * `npm run harness -- ...` runs in the package's folder; the user meant where they typed it
 * (INIT_CWD). Only then: npm's variables are inherited by everything below (`npm test`'s
 * children, a gate hook under a push), and those must keep their own folder.
 */
export function invocationCwd(env: NodeJS.ProcessEnv, cwd: string): string {
  const viaNpmRun = (env.npm_lifecycle_event === 'harness' || env.npm_lifecycle_event === 'test-oracle') && !!env.INIT_CWD;
  return viaNpmRun && path.resolve(cwd) === PACKAGE_ROOT ? env.INIT_CWD! : cwd;
}

/** What a command handler returns: an exit code, or nothing for 0. */
export type CommandResult = number | void;

/**
 * Registers one command: `run` does the work, the exit point reports. Its options are
 * either a table (`args`: parsed without yargs, see cli-args.ts) or a yargs `builder`.
 */
export type CommandSpec<A> = {
  describe: string;
  run: (args: A, io: Io) => Promise<CommandResult>;
} & ({ command: string | string[]; builder?: (y: Argv) => Argv<A>; args?: never } | { args: ArgsSpec; command?: never; builder?: never });

export type Register = (p: Promise<CommandResult>) => void;

/** What runs a command without yargs: its option table and its handler, by subcommand name. */
const FAST = Symbol('fast');
type Fast = { spec: ArgsSpec; run: (args: Record<string, unknown>) => void } | { group: Map<string, Fast> };
type WithFast = CommandModule & { [FAST]?: Fast };

export function defineCommand<A>(io: Io, setResult: Register, spec: CommandSpec<A>): CommandModule {
  const run = (args: unknown) => {
    // yargs' own promise handling would swallow our exit codes; hand the promise back.
    const p = spec.run(args as A, io);
    setResult(p);
    return p;
  };
  const table = spec.args;
  const mod: WithFast = {
    command: table ? table.command : spec.command,
    describe: spec.describe,
    builder: (y: Argv) => onlyOnce((table ? applyArgs(y, table) : spec.builder ? spec.builder(y) : y) as Argv),
    handler: (args) => run(args).then(() => undefined, () => undefined),
  };
  if (table) mod[FAST] = { spec: table, run };
  return mod;
}

/** A command made of subcommands (`task claim`, `msg send`): yargs' shape, and the fast path's. */
export function defineGroup(spec: { command: string; describe: string; commands: CommandModule[]; demand: string; epilogue: string }): CommandModule {
  const group = new Map<string, Fast>();
  for (const c of spec.commands as WithFast[]) {
    if (c[FAST]) group.set(String(c.command).split(' ')[0]!, c[FAST]);
  }
  const mod: WithFast = {
    command: spec.command,
    describe: spec.describe,
    builder: (y: Argv) => spec.commands.reduce((acc, c) => acc.command(c), y).demandCommand(1, spec.demand).epilogue(spec.epilogue),
    handler: () => {},
    [FAST]: { group },
  };
  return mod;
}

/** The option tables of a command and its subcommands, by their path (`task claim`): for tests. */
export function argTables(mod: CommandModule, prefix = String(mod.command).split(' ')[0]!): [string, ArgsSpec][] {
  const walk = (f: Fast | undefined, at: string): [string, ArgsSpec][] =>
    !f ? [] : 'spec' in f ? [[at, f.spec]] : [...f.group].flatMap(([name, sub]) => walk(sub, `${at} ${name}`));
  return walk((mod as WithFast)[FAST], prefix);
}

/** Runs the command without yargs when its table parses the arguments; false: yargs must. */
function runFast(mod: CommandModule, argv: string[]): boolean {
  let f = (mod as WithFast)[FAST];
  let rest = argv;
  while (f && 'group' in f) {
    f = f.group.get(rest[0] ?? '');
    rest = rest.slice(1);
  }
  const args = f ? fastParse(f.spec, rest) : null;
  if (!f || !args) return false;
  f.run(args);
  return true;
}

/** Makes a command's yargs module; what a command file exports. */
export type CommandFactory = (io: Io, setResult: Register) => CommandModule;

/**
 * One row of a CLI's command table. `describe` is what the top-level help lists without
 * loading the command; `load` imports the command's module only when it runs.
 */
export interface CommandEntry {
  name: string;
  describe: string;
  load: () => Promise<CommandFactory>;
  /** runs when the first argument is an option or absent (`harness --agents 16`) */
  isDefault?: boolean;
}

/**
 * yargs turns `--units a --units b` into an array even for a single-value option, which
 * then reaches code expecting a string. A flag that takes one value, given twice, is a
 * usage error: which one was meant is not ours to guess.
 */
function onlyOnce(y: Argv): Argv {
  return y.check((argv) => {
    const o = (y as unknown as { getOptions(): { array: string[]; key: Record<string, unknown>; alias: Record<string, string[]> } }).getOptions();
    const many = new Set(o.array.flatMap((k) => [k, ...(o.alias[k] ?? [])]));
    for (const [k, v] of Object.entries(argv)) {
      if (!Array.isArray(v) || k === '_' || !(k in o.key) || many.has(k)) continue;
      const flag = k.length === 1 ? `-${k}` : `--${k}`;
      // `--fast --fast=20` arrives as ['', '20']: the bare flag is shown as such, not as nothing.
      const shown = v.map((x) => (x === false ? `--no-${k}` : x === '' || x === true ? 'no value' : String(x)));
      throw new UsageError('REPEATED_FLAG', `${flag} was given ${v.length} times (${shown.join(', ')}); give it once`);
    }
    return true;
  });
}

export interface CliSpec {
  prog: string;
  usage: string;
  commands: CommandEntry[];
  /** added to the top-level help, before the exit codes */
  helpNote?: string;
}

export async function runCli(spec: CliSpec, argv: string[], io: Io = processIo()): Promise<number> {
  try {
    const first = argv[0];
    if (first === '--version' || first === '-V') {
      io.out(packageVersion());
      return EXIT.ok;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      io.out(topLevelHelp(spec));
      return EXIT.ok;
    }
    const entry = pickCommand(spec, first);
    const factory = await entry.load();
    return await parseAndRun(spec, entry, factory, argv, io);
  } catch (e) {
    return reportError(spec.prog, e, io);
  }
}

function pickCommand(spec: CliSpec, first: string | undefined): CommandEntry {
  const named = spec.commands.find((c) => c.name === first);
  if (named) return named;
  const dflt = spec.commands.find((c) => c.isDefault);
  if (dflt && (first === undefined || first.startsWith('-'))) return dflt;
  const names = spec.commands.map((c) => c.name).join(', ');
  if (first === undefined) throw new UsageError('USAGE', `say which command to run: ${names} (see '${spec.prog} --help')`);
  throw new UsageError('USAGE', `unknown command "${first}"; the commands are ${names} (see '${spec.prog} --help')`);
}

async function parseAndRun(spec: CliSpec, entry: CommandEntry, factory: CommandFactory, argv: string[], io: Io): Promise<number> {
  let result: Promise<CommandResult> | undefined;
  const mod = factory(io, (p) => {
    result = p;
  });
  if (argv[0] === entry.name && runFast(mod, argv.slice(1))) return exitCodeOf(result);
  const { default: yargs } = await import('yargs');
  // The default command also answers to the bare program name, as yargs' `$0`.
  const command = entry.isDefault ? [entry.name, '$0'] : mod.command;
  const y = yargs(argv)
    .scriptName(spec.prog)
    .usage(spec.usage)
    .epilogue(EXIT_CODES_HELP)
    .strict()
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .help()
    .alias('h', 'help')
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError('USAGE', `${msg} (see '${spec.prog} --help')`);
    })
    .command({ ...mod, command } as CommandModule);
  skipHelpRendering(y);
  await y.parseAsync();
  return exitCodeOf(result);
}

async function exitCodeOf(result: Promise<CommandResult> | undefined): Promise<number> {
  const code = result ? await result : undefined;
  return typeof code === 'number' ? code : EXIT.ok;
}

/**
 * yargs renders a command's whole help text just before running it, in case the command
 * asks to show it later. None of ours does (failures go through `.fail`, and `--help` is
 * rendered when asked), and for an agent's `task claim` that rendering alone costs about
 * as much CPU as node's start-up. The hook is yargs-internal: if it moves, this does nothing.
 */
export function skipHelpRendering(y: Argv): void {
  type Internal = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = (y as unknown as Internal).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** The top-level help, from the command table alone (no command is loaded for it). */
export function topLevelHelp(spec: CliSpec): string {
  const width = Math.max(...spec.commands.map((c) => c.name.length));
  const lines = spec.commands.map((c) => `  ${spec.prog} ${c.name.padEnd(width)}  ${c.describe}${c.isDefault ? ' [default]' : ''}`);
  return [
    spec.usage,
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    `  -h, --help     show help (${spec.prog} <command> --help: that command's options)`,
    '  -V, --version  show the version',
    '',
    ...(spec.helpNote ? [spec.helpNote, ''] : []),
    EXIT_CODES_HELP,
  ].join('\n');
}

export function reportError(prog: string, e: unknown, io: Io): number {
  if (e instanceof HarnessError) {
    io.err(`${prog}: ${e.message} [${e.code}]`);
    return e.exitCode;
  }
  // Not one of ours: a bug. Say so plainly, keep the stack for the bug report.
  const err = e instanceof Error ? e : new Error(String(e));
  io.err(`${prog}: internal error: ${err.message}`);
  if (io.env.HARNESS_DEBUG) io.err(err.stack ?? '');
  else io.err(`${prog}: rerun with HARNESS_DEBUG=1 for the stack trace, and please report it`);
  return EXIT.failed;
}
