// Options shared by `run` and `gate`: which suite, which tests, how many at once.
import os from 'node:os';
import type { OptSpec } from '../../harness/kit/cli-args.js';
import { UsageError } from '../../harness/kit/errors.js';
import { referencedVars, templateUses } from '../core/shell.js';
import { flagOptions } from '../../harness/kit/settings.js';
import type { SuiteConfig } from '../suite/config.js';
import { SUITE_FIELDS, type SuiteFlags } from '../suite/fields.js';

/** The suite flags, plus what to run and how to report it. */
export interface RunArgs extends SuiteFlags {
  fast?: string;
  seed?: string;
  jobs?: number;
  filter?: string;
  failed?: boolean;
  json?: string;
  junit?: string;
  record?: boolean;
  show?: number;
}

const SUITE_OPTIONS = flagOptions(SUITE_FIELDS);
const suite = (name: string): OptSpec => SUITE_OPTIONS[name]!;

export const RUN_OPTIONS = {
  fast: {
    type: 'string',
    describe: 'run a deterministic PCT% sample (default 10): a test is in it when hash(seed, id) < PCT',
    requiresArg: false,
  },
  seed: { type: 'string', describe: 'sample seed (default: $HARNESS_AGENT, so each agent gets its own slice)' },
  jobs: { alias: 'j', type: 'number', describe: 'tests at once (default: number of cores)' },
  filter: { type: 'string', describe: 'only tests whose id matches this regular expression' },
  failed: { type: 'boolean', describe: 'only what did not pass last time (failed first, slowest first)' },
  timeout: suite('timeout'),
  json: { type: 'string', describe: 'also write every result to this JSON file' },
  junit: { type: 'string', describe: 'also write JUnit XML to this file' },
  config: { type: 'string', describe: 'suite config (default: test-oracle.json here or in a parent)' },
  cmd: suite('cmd'),
  tests: suite('tests'),
  match: suite('match'),
  layout: suite('layout'),
  judge: suite('judge'),
  tool: suite('tool'),
  record: { type: 'boolean', default: true, describe: 'record results as a git note on HEAD (--no-record: do not)' },
  show: { type: 'number', default: 30, describe: 'at most this many ERROR lines' },
} satisfies Record<string, OptSpec>;

export const SUITE_HELP = [
  'A suite is described by test-oracle.json (or the flags above), e.g.',
  '  {"tests": "tests", "match": "*.c", "command": "./run-one.sh {test}",',
  '   "timeout": 10, "judge": "stdout", "skip": {"mycc": "skips/mycc.txt"}}',
  'Fields: tests, match, exclude, layout (file|dir), command, batch, timeout, judge (exit|stdout|output),',
  'expectExit (0; null = any), expected (".expected" beside a file, or "expected.stdout" in a',
  'folder), skip (ids/globs, or per tool), tool, tools, env, cwd (root|tmp), logDir.',
  'Several compilers: "tools": {"gcc": {"command": "..."}, "tcc": {"env": {"CC": "tcc"}}} with',
  'command, batch, env, skip, timeout per tool; --tool NAME picks one and sets {tool} and $TEST_ORACLE_TOOL.',
  'Placeholders in command: {test} (path from the suite root), {abs}, {id}, {dir}, {name}, {tmp}',
  '(a scratch folder per test), {root}, {tool}. Test ids are paths relative to the suite root.',
  'cwd "tmp" starts each test in its {tmp} folder ({test} and {dir} are then absolute).',
  'batch: many tests in one process, e.g. "./run-many.sh {tests}", for tests cheaper than a',
  'process start; before each test\'s stdout it prints \\x1e and the test\'s id on a line. Needs',
  'judge "stdout", expectExit null, cwd "root"; a test it cannot vouch for runs alone.',
].join('\n');

/** `--fast` alone means 10%; `--fast=0.5` half a percent. */
export function parseFast(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === '' || (v as unknown) === true) return 10;
  const n = Number(String(v).replace(/%$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 100) {
    throw new UsageError('BAD_FAST', `--fast takes a percentage in (0, 100], like --fast=10 (got "${v}")`);
  }
  return n;
}

export function parseJobs(v: number | undefined): number {
  if (v === undefined) return os.availableParallelism();
  if (!Number.isInteger(v) || v < 1) throw new UsageError('BAD_JOBS', `-j takes a whole number of tests at once, at least 1 (got ${v})`);
  return v;
}

export function parseFilter(v: string | undefined): RegExp | undefined {
  if (v === undefined) return undefined;
  try {
    return new RegExp(v);
  } catch (e) {
    throw new UsageError('BAD_FILTER', `--filter is not a valid regular expression: ${(e as Error).message}`);
  }
}

/** Set in every shell alike, or by test-oracle itself: repeating them says nothing. */
const AMBIENT = /^(PATH|HOME|PWD|OLDPWD|USER|LOGNAME|SHELL|TERM|TMPDIR|LANG|LC_[A-Z]+|TEST_ORACLE_[A-Z_]+)$/;

/**
 * The variables of the caller's environment the command reads (`${CC:-gcc}` with CC=tcc),
 * as `NAME=value` words for the front of a rerun command: without them the printed command
 * would run another compiler. The suite's own `env` wins over the caller's, so those are left out.
 */
export function rerunEnv(command: string, env: NodeJS.ProcessEnv, suiteEnv: Record<string, string>, shq: (s: string) => string): string[] {
  return referencedVars(command)
    .filter((k) => env[k] !== undefined && !(k in suiteEnv) && !AMBIENT.test(k))
    .map((k) => `${k}=${shq(env[k]!)}`);
}

/**
 * Without a `tools` map the tool reaches the test only as {tool} and $TEST_ORACLE_TOOL: a
 * command using neither runs the same under every --tool, with only another skip list.
 */
export function toolWarning(s: Pick<SuiteConfig, 'tool' | 'tools' | 'command'>, rerunVars: readonly string[]): string | null {
  if (!s.tool || s.tools.length || templateUses(s.command, 'tool') || referencedVars(s.command).includes('TEST_ORACLE_TOOL')) return null;
  const via = rerunVars.length ? ` (it reads ${rerunVars.map((v) => v.split('=')[0]).join(', ')} from this shell, repeated in the rerun commands)` : '';
  return (
    `WARNING --tool ${s.tool} only picks the skip list here: the command uses neither {tool} nor $TEST_ORACLE_TOOL${via}; ` +
    `give the config a "tools" map, e.g. "tools": {"${s.tool}": {"env": {"CC": "${s.tool}"}}}, so the tool reaches the test`
  );
}

/** The suite-defining flags, repeated in the printed rerun commands. */
export function suiteArgs(a: RunArgs, shq: (s: string) => string, tool?: string): string[] {
  const out: string[] = [];
  if (a.config) out.push(`--config=${shq(a.config)}`);
  if (a.cmd) out.push(`--cmd=${shq(a.cmd)}`);
  if (a.tests) out.push(`--tests=${shq(a.tests)}`);
  for (const m of a.match ?? []) out.push(`--match=${shq(m)}`);
  if (a.layout) out.push(`--layout=${a.layout}`);
  if (a.judge) out.push(`--judge=${a.judge}`);
  if (a.timeout !== undefined) out.push(`--timeout=${a.timeout}`);
  // The tool in effect, wherever it came from: the environment may differ next time.
  if (tool) out.push(`--tool=${shq(tool)}`);
  return out;
}
