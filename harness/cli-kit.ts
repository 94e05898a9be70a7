// The single exit point shared by `harness` and `test-oracle`: parse with yargs, run the
// command, turn any HarnessError into one line on stderr and its exit code. Commands get
// their world (env, cwd, clock, output) through `Io`, so tests can run them in-process.
import os from 'node:os';
import path from 'node:path';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { EXIT, EXIT_CODES_HELP, HarnessError, UsageError } from './errors.js';
import { PACKAGE_ROOT } from './paths.js';

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

export function processIo(): Io {
  // `harness task list | head`: the reader left, so there is nobody to tell; stop quietly.
  // Always ours, once: a loader (tsx) may already have piped into stdout, and its listener
  // re-emits the error when it finds itself the last one.
  for (const stream of [process.stdout, process.stderr] as (NodeJS.WriteStream & { [EPIPE_QUIET]?: true })[]) {
    if (stream[EPIPE_QUIET]) continue;
    stream[EPIPE_QUIET] = true;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  return {
    env: process.env,
    cwd: invocationCwd(process.env, process.cwd()),
    now: () => new Date(),
    hostname: () => os.hostname(),
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
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

/** Registers one command: yargs parses, `run` does the work, the exit point reports. */
export interface CommandSpec<A> {
  command: string | string[];
  describe: string;
  builder?: (y: Argv) => Argv<A>;
  run: (args: A, io: Io) => Promise<CommandResult>;
}

export type Register = (p: Promise<CommandResult>) => void;

export function defineCommand<A>(io: Io, setResult: Register, spec: CommandSpec<A>): CommandModule {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: (y: Argv) => onlyOnce((spec.builder ? spec.builder(y) : y) as Argv),
    handler: (args) => {
      // yargs' own promise handling would swallow our exit codes; hand the promise back.
      const p = spec.run(args as unknown as A, io);
      setResult(p);
      return p.then(() => undefined, () => undefined);
    },
  };
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
      throw new UsageError('REPEATED_FLAG', `${flag} was given ${v.length} times (${v.map((x) => (x === false ? `--no-${k}` : String(x))).join(', ')}); give it once`);
    }
    return true;
  });
}

export interface CliSpec {
  prog: string;
  usage: string;
  /** registers commands; handlers must call `done(code)` via the returned promise */
  build: (y: Argv, io: Io, setResult: Register) => Argv;
}

export async function runCli(spec: CliSpec, argv: string[], io: Io = processIo()): Promise<number> {
  let result: Promise<CommandResult> | undefined;
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
    });
  spec.build(y, io, (p) => {
    result = p;
  });
  try {
    await y.parseAsync();
    const code = result ? await result : undefined;
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (e) {
    return reportError(spec.prog, e, io);
  }
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
