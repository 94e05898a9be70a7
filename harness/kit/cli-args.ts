// Options written as data, for the commands agents run dozens of times per session (`task
// claim|done|release|list|show|next|...`, `msg`, `test-oracle run|gate`). Each flag's rule
// is written once, here as a table, and serves two parsers:
//   - fastParse: node's util.parseArgs, no yargs loaded (yargs' load alone costs about as
//     much CPU as node's own start). It accepts only input whose meaning is certain, and
//     on it yields exactly what yargs would (test/cli-args.test.ts checks it against yargs).
//   - applyArgs: the same table given to yargs, which is loaded only for --help and for
//     input fastParse leaves to it (an unknown flag, a missing task, a repeated flag...),
//     so help texts, error lines and exit codes stay exactly what they were.
import { parseArgs } from 'node:util';
import type { Argv } from 'yargs';

export interface OptSpec {
  type: 'string' | 'boolean' | 'number';
  /** a one-letter short form: -m */
  alias?: string;
  default?: string | boolean | number | string[];
  describe?: string;
  /** repeatable: --live a --live b */
  array?: boolean;
  demandOption?: boolean;
  choices?: readonly string[];
  /** `--fast` alone is '' (a string option whose value may be left out) */
  requiresArg?: false;
}

export interface ArgsSpec {
  /** yargs' command syntax: 'claim <task>', 'send <to> <text..>' */
  command: string;
  positionals?: Record<string, { describe?: string }>;
  options: Record<string, OptSpec>;
  epilogue?: string;
  examples?: [string, string][];
}

interface Positional {
  name: string;
  variadic: boolean;
}

function positionalsOf(command: string): Positional[] {
  return [...command.matchAll(/<([^>]+)>/g)].map((m) => {
    const variadic = m[1]!.endsWith('..');
    return { name: variadic ? m[1]!.slice(0, -2) : m[1]!, variadic };
  });
}

export const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The spec given to yargs: positionals, then options in table order, examples, epilogue. */
export function applyArgs(y: Argv, spec: ArgsSpec): Argv {
  let out = y;
  for (const p of positionalsOf(spec.command)) {
    out = out.positional(p.name, { type: 'string', ...(p.variadic ? { array: true } : {}), describe: spec.positionals?.[p.name]?.describe });
  }
  for (const [name, o] of Object.entries(spec.options)) {
    out = out.option(name, {
      type: o.type,
      ...(o.alias ? { alias: o.alias } : {}),
      ...('default' in o ? { default: o.default } : {}),
      ...(o.array ? { array: true } : {}),
      ...(o.demandOption ? { demandOption: true } : {}),
      ...(o.choices ? { choices: [...o.choices] } : {}),
      ...(o.requiresArg === false ? { requiresArg: false } : {}),
      describe: o.describe,
    });
  }
  for (const [cmd, what] of spec.examples ?? []) out = out.example(cmd, what);
  if (spec.epilogue) out = out.epilogue(spec.epilogue);
  return out;
}

/** yargs lets a list flag take every word after it (`--depends a b`); which were meant as positionals is its call. */
function greedy(spec: ArgsSpec, arg: string): boolean {
  const name = arg.split('=')[0]!;
  const o = name.startsWith('--') ? spec.options[name.slice(2)] : Object.values(spec.options).find((x) => x.alias && name === `-${x.alias}`);
  return !!o?.array;
}

const wordAt = (argv: string[], i: number) => argv[i] !== undefined && !argv[i]!.startsWith('-');

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Parses a command's arguments (after its name) without yargs. Returns the arguments as
 * yargs would give them to the handler, or null when the input is anything but plain
 * (help asked, an unknown or repeated flag, a missing or extra positional, short flags
 * bundled, a value yargs would coerce): yargs then decides, with its own words.
 */
export function fastParse(spec: ArgsSpec, argv: string[]): Record<string, unknown> | null {
  if (argv.some((a) => a === '--' || /^-[^-]./.test(a) || a === '-h' || a === '--help' || a.startsWith('--help='))) return null;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple: true }> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.alias ? { short: o.alias } : {}), multiple: true };
  }
  // A value-optional flag with no value (`--fast --seed s`, `--fast` last) means ''.
  const args = argv.map((a, i) => {
    const o = a.startsWith('--') ? spec.options[a.slice(2)] : undefined;
    const next = argv[i + 1];
    return o?.requiresArg === false && (next === undefined || next.startsWith('-')) ? `${a}=` : a;
  });
  if (argv.some((a, i) => greedy(spec, a) && wordAt(argv, a.includes('=') ? i + 1 : i + 2))) return null;
  let parsed: { values: Record<string, (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, allowNegative: true }) as typeof parsed;
  } catch {
    return null;
  }
  const out: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const given = parsed.values[name];
    let value: unknown;
    if (given === undefined || given.length === 0) {
      if (o.demandOption) return null;
      if (!('default' in o)) continue;
      value = o.default;
    } else if (o.array) {
      if (given.includes('')) return null; // yargs drops an empty one
      value = given.map(String);
    } else {
      if (given.length > 1) return null; // yargs says which flag, and that it repeats
      const v = given[0]!;
      if (o.type === 'number') {
        if (typeof v !== 'string' || !PLAIN_NUMBER.test(v)) return null;
        value = Number(v);
      } else value = v;
      if (o.choices && !o.choices.includes(String(value))) return null;
    }
    out[name] = value;
    if (o.alias) out[o.alias] = value;
    if (name.includes('-')) out[camel(name)] = value;
  }
  const pos = positionalsOf(spec.command);
  const variadic = pos.length > 0 && pos[pos.length - 1]!.variadic;
  const given = parsed.positionals;
  if (given.length < pos.length || (!variadic && given.length > pos.length)) return null;
  pos.forEach((p, i) => {
    out[p.name] = p.variadic ? given.slice(i) : given[i];
  });
  return out;
}
