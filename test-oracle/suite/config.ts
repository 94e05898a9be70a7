// The suite description: `test-oracle.json` in the target repo, or flags. Every bad field
// is named with what it should be, in one line, so a typo costs one try.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../harness/kit/errors.js';
import { flagValues, reader, settingKeys, unknownKeys } from '../../harness/kit/settings.js';
import type { JudgeKind } from '../core/judge.js';
import { BATCH_PLACEHOLDERS, PLACEHOLDERS, templateUses, unknownPlaceholders } from '../core/shell.js';
import { SUITE_FIELDS, TOOL_NAME, type SuiteFlags } from './fields.js';

export { TOOL_NAME, type SuiteFlags };

export const CONFIG_FILE = 'test-oracle.json';

export interface SuiteConfig {
  /** absolute; ids are paths relative to it and commands run in it */
  root: string;
  /** absolute path of the config file, when there is one */
  configPath?: string;
  /** folder holding the tests, relative to root */
  tests: string;
  /** globs (relative to `tests`) naming test files, or in `dir` layout files that make a folder a test */
  match: string[];
  exclude: string[];
  layout: 'file' | 'dir';
  command: string;
  /** runs many tests in one process (see README "Batches"); absent: one process per test */
  batch?: string;
  timeoutSec: number;
  judge: JudgeKind;
  /** null = any exit code is fine (only the output is judged) */
  expectExit: number | null;
  /** `file` layout: suffix beside the test; `dir` layout: file name inside the folder */
  expected: string;
  /** tool name -> skip globs; `*` applies to every tool */
  skip: Record<string, string[]>;
  /** the tool (compiler) this run is for: `--tool`, else $TEST_ORACLE_TOOL, else config "tool" */
  tool?: string;
  /** tools the config describes in its `tools` map */
  tools: string[];
  env: Record<string, string>;
  /** where each test starts: the suite root, or its own scratch folder ({tmp}) */
  cwd: 'root' | 'tmp';
  /** logs and local state, relative to root */
  logDir: string;
}

const FIELDS = settingKeys(SUITE_FIELDS);
const TOOL_FIELDS = ['command', 'batch', 'env', 'skip', 'timeout'];

export function checkToolName(name: string, where: string): void {
  if (!TOOL_NAME.test(name)) {
    throw new UsageError('BAD_TOOL', `${where} "${name}" is not a tool name: use letters, digits and . _ + - (at most 64), like "gcc" or "tcc-0.9"`);
  }
}

/** Finds and validates the suite; throws one UsageError naming every bad field. */
export function loadSuite(cwd: string, flags: SuiteFlags, env: NodeJS.ProcessEnv = {}): SuiteConfig {
  // In a gate hook the tree is a bare checkout in a temp folder: never look above it.
  const path = flags.config ? resolve(cwd, flags.config) : findConfig(cwd, env.TEST_ORACLE_HOOK ? cwd : undefined);
  if (flags.config && !existsSync(path!)) {
    throw new UsageError('CONFIG_MISSING', `config file ${flags.config} does not exist; pass the path of a test-oracle.json`);
  }
  let raw: Record<string, unknown> = {};
  const where = path ? path : 'flags';
  if (path) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError('CONFIG_JSON', `${path}: not valid JSON (${(e as Error).message}); fix the syntax`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new UsageError('CONFIG_JSON', `${path}: must hold one JSON object with fields like "command" and "tests"`);
    }
  } else if (!flags.cmd) {
    throw new UsageError(
      'CONFIG_MISSING',
      `no ${CONFIG_FILE} in ${cwd} or its parents; create one (see 'test-oracle run --help') or pass --cmd 'TEMPLATE {test}'`,
    );
  }
  const root = path ? dirname(path) : cwd;
  const errs: string[] = [];
  for (const k of unknownKeys(SUITE_FIELDS, raw, (k) => k.startsWith('//') || k === '$comment')) errs.push(`unknown field "${k}" (known: ${FIELDS.join(', ')})`);
  // The tool: the flag, else the environment (one shell, one compiler), else the config's default.
  if (flags.tool !== undefined) checkToolName(flags.tool, '--tool');
  const envTool = env.TEST_ORACLE_TOOL || undefined;
  if (flags.tool === undefined && envTool !== undefined) checkToolName(envTool, '$TEST_ORACLE_TOOL');
  const tools = parseTools(raw.tools, errs);
  const merged: Record<string, unknown> = { ...raw };
  const chosen = flags.tool ?? envTool ?? (typeof raw.tool === 'string' ? raw.tool : undefined);
  if (chosen !== undefined) merged.tool = chosen;
  const own = chosen !== undefined ? tools[chosen] : undefined;
  const unknownTool = chosen !== undefined && Object.keys(tools).length > 0 && !own;
  if (unknownTool && !errs.length) {
    const from = flags.tool !== undefined ? '--tool' : envTool !== undefined ? '$TEST_ORACLE_TOOL' : '"tool"';
    errs.push(`${from} names "${chosen}", which "tools" does not describe (known: ${Object.keys(tools).join(', ')})`);
  }
  // Which words came from where, so an error blames what the user actually wrote.
  const source: Record<string, string> = {};
  if (own?.command !== undefined) {
    merged.command = own.command;
    source.command = `"tools.${chosen}.command"`;
    // the top-level batch runs the top-level program, not this tool's
    delete merged.batch;
  }
  if (own?.batch !== undefined) merged.batch = own.batch;
  if (own?.timeout !== undefined) merged.timeout = own.timeout;
  const given = flagValues(SUITE_FIELDS, flags);
  if (given.command !== undefined) {
    source.command = '--cmd';
    delete merged.batch;
  }
  for (const [k, v] of Object.entries(given)) {
    // an empty --match list is no list: the config's stands
    if (k !== 'tool' && !(Array.isArray(v) && v.length === 0)) merged[k] = v;
  }
  const field = reader(SUITE_FIELDS, [{ values: merged, from: (k) => `"${k}"` }], undefined as never, {
    complain: (from, v, what) => void errs.push(`${from} must be ${what} (got ${JSON.stringify(v)})`),
  });

  const tests = field.get('tests')!;
  const noTool = merged.command === undefined && Object.keys(tools).length > 0 && (chosen === undefined || unknownTool);
  if (noTool && !unknownTool) errs.push(`say which tool to run with --tool (or $TEST_ORACLE_TOOL): ${Object.keys(tools).join(', ')}; or give a top-level "command"`);
  const cmdName = source.command ?? '"command"';
  const nErrs = errs.length;
  if (merged.command === undefined && !noTool) errs.push('"command" is required');
  const command = merged.command === undefined ? '' : (field.get('command') ?? '');
  const cmdErr = command === '' ? null : commandError(command, cmdName, chosen);
  if (cmdErr) errs.push(cmdErr);
  // A bad --cmd is the flag's fault, not the config file's.
  const flagErrs = source.command === '--cmd' ? errs.splice(nErrs) : [];
  const layout = field.get('layout')!;
  const judge = field.get('judge')!;
  const timeoutSec = field.get('timeout')!;
  const expectExit = field.get('expectExit')!;
  const expected = field.get('expected', layout === 'dir' ? 'expected.stdout' : '.expected')!;
  const match = field.get('match')!;
  const exclude = field.get('exclude')!;
  const tool = field.get('tool') ?? undefined;
  const startIn = field.get('cwd')!;
  const logDir = field.get('logDir')!;
  const batch = merged.batch === undefined ? undefined : field.get('batch');
  if (batch) {
    const bad = batchError(batch, { judge, expectExit, cwd: startIn }, chosen);
    if (bad) errs.push(bad);
  }

  const skip: Record<string, string[]> = {};
  const skipList = (name: string, list: unknown): string[] | undefined => {
    if (Array.isArray(list) && list.every((x) => typeof x === 'string')) return list as string[];
    if (typeof list === 'string' && list) {
      const f = resolve(root, list);
      if (existsSync(f)) return parseSkipFile(readFileSync(f, 'utf8'));
      errs.push(`"${name}" names ${list}, which does not exist (give a file of ids, one a line)`);
    } else errs.push(`"${name}" must be a list of test ids/globs or the path of a file listing them`);
    return undefined;
  };
  const sk = merged.skip;
  if (sk !== undefined) {
    if (Array.isArray(sk) && sk.every((x) => typeof x === 'string')) skip['*'] = sk as string[];
    else if (sk && typeof sk === 'object' && !Array.isArray(sk)) {
      for (const [t, list] of Object.entries(sk as Record<string, unknown>)) {
        const l = skipList(`skip.${t}`, list);
        if (l) skip[t] = l;
      }
    } else errs.push(`"skip" must be a list of ids/globs, or {"tool": [ids] | "file"} per tool (got ${JSON.stringify(sk)})`);
  }
  for (const [t, def] of Object.entries(tools)) {
    if (def.skip === undefined) continue;
    const l = skipList(`tools.${t}.skip`, def.skip);
    if (l) skip[t] = [...(skip[t] ?? []), ...l];
  }
  const envv: Record<string, string> = {};
  const envObj = (name: string, e: unknown) => {
    if (e && typeof e === 'object' && !Array.isArray(e) && Object.values(e).every((x) => typeof x === 'string')) Object.assign(envv, e);
    else errs.push(`"${name}" must be an object of string values (got ${JSON.stringify(e)})`);
  };
  if (merged.env !== undefined) envObj('env', merged.env);
  if (own?.env !== undefined) envObj(`tools.${chosen}.env`, own.env);
  if (!errs.length && !flagErrs.length && !existsSync(join(root, tests))) errs.push(`"tests" folder ${tests} does not exist in ${root}`);
  if (errs.length || flagErrs.length) {
    const parts = [...flagErrs, ...(errs.length ? [`${where}: ${errs.join('; ')}`] : [])];
    throw new UsageError(flagErrs.length && !errs.length ? 'BAD_CMD' : 'CONFIG_INVALID', parts.join('; '));
  }
  return {
    root, configPath: path, tests, match, exclude, layout, command, ...(batch ? { batch } : {}), timeoutSec, judge, expectExit, expected, skip, tool,
    tools: Object.keys(tools), env: envv, cwd: startIn, logDir,
  };
}

function commandError(s: string, cmdName: string, chosen: string | undefined): string | null {
  const unknown = unknownPlaceholders(s);
  if (unknown.length) return `${cmdName} has unknown placeholder ${unknown.join(', ')} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`;
  if (templateUses(s, 'tests')) return `${cmdName} runs one test: {tests} belongs in "batch" (got "${s}")`;
  if (!/\{(test|abs|id|dir|name)\}/.test(s)) return `${cmdName} must say where the test goes, e.g. "./run-one.sh {test}" (got "${s}")`;
  if (chosen === undefined && templateUses(s, 'tool')) return `${cmdName} uses {tool}, but no tool is chosen; pass --tool NAME or set $TEST_ORACLE_TOOL`;
  return null;
}

/**
 * A batch's outputs are told apart by marker lines, so only what the markers can carry is
 * judged: each test's stdout. Its exit code and its own stderr are not known per test.
 */
function batchError(s: string, c: { judge: JudgeKind; expectExit: number | null; cwd: string }, chosen: string | undefined): string | null {
  const wrong = unknownPlaceholders(s).concat(PLACEHOLDERS.filter((p) => !BATCH_PLACEHOLDERS.includes(p) && templateUses(s, p)).map((p) => `{${p}}`));
  if (wrong.length) return `"batch" may use only {tests} {root} {tool} (got ${wrong.join(', ')})`;
  if (!templateUses(s, 'tests')) return `"batch" must say where the tests go, e.g. "./run-many.sh {tests}" (got "${s}")`;
  if (chosen === undefined && templateUses(s, 'tool')) return '"batch" uses {tool}, but no tool is chosen; pass --tool NAME or set $TEST_ORACLE_TOOL';
  if (c.judge !== 'stdout' || c.expectExit !== null) return '"batch" needs "judge": "stdout" and "expectExit": null: a batch tells only each test\'s stdout apart';
  if (c.cwd !== 'root') return '"batch" needs "cwd": "root": the tests of a batch share one process and one folder';
  return null;
}

interface ToolDef {
  command?: unknown;
  batch?: unknown;
  env?: unknown;
  skip?: unknown;
  timeout?: unknown;
}

/** The `tools` map: {"gcc": {"command": ..., "env": {...}, "skip": [...], "timeout": 5}, ...}. */
function parseTools(v: unknown, errs: string[]): Record<string, ToolDef> {
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    errs.push(`"tools" must map tool names to settings, like {"gcc": {"command": "..."}} (got ${JSON.stringify(v)})`);
    return {};
  }
  const out: Record<string, ToolDef> = {};
  for (const [name, def] of Object.entries(v as Record<string, unknown>)) {
    if (!TOOL_NAME.test(name)) errs.push(`"tools" has "${name}", which is not a tool name (letters, digits, . _ + -)`);
    else if (!def || typeof def !== 'object' || Array.isArray(def)) errs.push(`"tools.${name}" must be an object with any of ${TOOL_FIELDS.join(', ')}`);
    else {
      const bad = Object.keys(def).filter((k) => !TOOL_FIELDS.includes(k));
      if (bad.length) errs.push(`"tools.${name}" has unknown field ${bad.map((k) => `"${k}"`).join(', ')} (known: ${TOOL_FIELDS.join(', ')})`);
      out[name] = def as ToolDef;
    }
  }
  return out;
}

export function findConfig(cwd: string, stopAt?: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const p = join(dir, CONFIG_FILE);
    if (existsSync(p)) return p;
    if (stopAt && dir === resolve(stopAt)) return undefined;
    // The repo root is as far as a suite can sensibly live.
    if (existsSync(join(dir, '.git'))) return undefined;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function parseSkipFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** The skip globs that apply for `tool` (the `*` list always applies). */
export function skipGlobs(c: SuiteConfig): string[] {
  return [...(c.skip['*'] ?? []), ...(c.tool ? (c.skip[c.tool] ?? []) : [])];
}
