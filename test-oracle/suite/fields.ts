// The suite's fields, declared once: each row is a key of test-oracle.json and, where it has
// one, a flag of `test-oracle run` and `gate`, with its help text, default and rule. A rule
// refuses a value with `want(...)`, which config.ts words as `"FIELD" must be WANT (got VALUE)`.
// `skip`, `tools` and `env` are read by config.ts itself: their errors name a tool or a skip
// file, and one value can hold several mistakes.
import { isAbsolute } from 'node:path';
import { want, type FlagsOf, type Setting } from '../../harness/kit/settings.js';

/** Tool names reach environment variables, notes and printed shell commands. */
export const TOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

const LAYOUTS = ['file', 'dir'] as const;
const JUDGES = ['exit', 'stdout', 'output'] as const;

type Rule<T> = (v: unknown) => T;

const nonEmpty: Rule<string> = (v) => (typeof v === 'string' && v !== '' ? v : want('a non-empty string'));
const folderInside: Rule<string> = (v) => {
  const s = nonEmpty(v);
  return isAbsolute(s) || s.split('/').includes('..') ? want('a folder inside the suite root') : s;
};
const globs: Rule<string[]> = (v) => {
  if (typeof v === 'string' && v) return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' && x)) return v as string[];
  return want('a glob or a list of globs like ["*.c"]');
};
const oneOf = <T extends string>(allowed: readonly T[]): Rule<T> => (v) =>
  typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : want(`one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
const raw: Rule<unknown> = (v) => v;

/** In the order `--help`'s field list and the unknown-field message give them. */
export const SUITE_FIELDS = {
  tests: { flag: { type: 'string', describe: 'folder holding the tests (overrides the config)' }, parse: folderInside, default: '.' },
  match: { flag: { type: 'string', array: true, describe: "globs naming tests, e.g. '*.c' (overrides the config)" }, parse: globs, default: ['*'] },
  exclude: { flag: null, parse: globs, default: [] },
  layout: { flag: { type: 'string', choices: LAYOUTS, describe: 'a file per test, or a folder per test' }, parse: oneOf(LAYOUTS), default: 'file' },
  // its placeholders are checked in config.ts: the message names where the command came from
  command: { flag: { name: 'cmd' as const, type: 'string', describe: "how one test runs, e.g. './run-one.sh {test}' (overrides the config)" }, parse: nonEmpty },
  // many tests in one process; its placeholders and judge are checked in config.ts
  batch: { flag: null, parse: nonEmpty },
  timeout: { flag: { type: 'number', describe: 'seconds per test before its whole process group is killed' }, parse: (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : want('a number of seconds > 0')), default: 10 },
  judge: { flag: { type: 'string', choices: JUDGES, describe: 'exit code; stdout or stdout+stderr vs the expected file' }, parse: oneOf(JUDGES), default: 'exit' },
  expectExit: { flag: null, parse: (v) => (v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) ? v : want('an exit code 0-255, or null to ignore it')), default: 0 },
  expected: { flag: null, parse: nonEmpty },
  skip: { flag: null, parse: raw },
  tool: {
    flag: { type: 'string', describe: 'run under this tool (compiler): its "tools" settings, skip list, {tool} and $TEST_ORACLE_TOOL; results compare only with runs of the same tool (default: $TEST_ORACLE_TOOL, else config "tool")' },
    parse: (v) => (TOOL_NAME.test(nonEmpty(v)) ? (v as string) : want('a tool name like "gcc"')),
  },
  tools: { flag: null, parse: raw },
  env: { flag: null, parse: raw },
  cwd: { flag: null, parse: oneOf(['root', 'tmp'] as const), default: 'root' },
  logDir: { flag: null, parse: folderInside, default: '.test-oracle' },
} satisfies Record<string, Setting<unknown, never>>;

/** The suite's flags as `run` and `gate` hand them over, plus --config (which file, not a field). */
export type SuiteFlags = FlagsOf<typeof SUITE_FIELDS> & { config?: string };
