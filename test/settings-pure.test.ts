// Settings declared once (harness/kit/settings.ts): a setting's flag, its config-file key, its
// parse rule and its error text all come from one row, for `harness run` and the oracle's suite.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import yargs, { type Argv } from 'yargs';
import { flagOptions, flagValues, kebab, reader, want, type Setting } from '../harness/kit/settings.js';
import { SETTINGS } from '../harness/swarm/settings.js';
import { checkConfigFile, resolveConfig, SETTING_KEYS } from '../harness/swarm/config.js';
import { main as harnessMain } from '../harness/cli.js';
import { runCommand } from '../harness/commands/run.js';
import { captureIo } from './helpers/io.js';
import { loadSuite } from '../test-oracle/suite/config.js';
import { SUITE_FIELDS } from '../test-oracle/suite/fields.js';
import { discoverTests } from '../test-oracle/suite/discover.js';
import { RUN_OPTIONS, SUITE_HELP } from '../test-oracle/run/options.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'settings-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function errorOf(f: () => unknown): Error & { code?: string; exitCode?: number } {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('no error thrown');
}

describe('the kit: one table, layers, a rule that says what it wants', () => {
  const table = {
    count: { flag: { type: 'number' }, parse: (v: unknown) => (typeof v === 'number' && v > 0 ? v : want('a count above 0')), default: 1 },
    command: { flag: { type: 'string', name: 'cmd' }, parse: (v: unknown) => String(v) },
    words: { flag: { type: 'string', array: true }, parse: (v: unknown) => v as string[] },
    secret: { flag: null, parse: (v: unknown) => String(v) },
  } satisfies Record<string, Setting<unknown, never>>;

  it('derives the flags (renamed ones under their own name, config-only ones left out) and the flag values by key', () => {
    expect(Object.keys(flagOptions(table))).toEqual(['count', 'cmd', 'words']);
    // yargs hands a repeated flag over as a list: the last one wins unless the setting is a list
    expect(flagValues(table, { count: [2, 3], cmd: 'x {test}', words: ['a', 'b'], secret: 's' })).toEqual({ count: 3, command: 'x {test}', words: ['a', 'b'] });
  });

  it('takes the first layer holding a key, else the default; a Want is worded by the reader', () => {
    const complaints: string[] = [];
    const r = reader(table, [{ values: { count: 5 }, from: (k) => `--${k}` }, { values: { count: 7, command: 'c' }, from: (k) => `file "${k}"` }], undefined as never, {
      complain: (from, v, w) => void complaints.push(`${from} must be ${w} (got ${JSON.stringify(v)})`),
    });
    expect([r.get('count'), r.get('command'), r.get('secret'), r.get('secret', 'dflt')]).toEqual([5, 'c', null, 'dflt']);
    expect(r.pick('command')).toEqual({ v: 'c', from: 'file "command"' });
    const bad = reader(table, [{ values: { count: -1 }, from: (k) => `--${k}` }], undefined as never, { complain: (from, v, w) => void complaints.push(`${from} must be ${w} (got ${JSON.stringify(v)})`) });
    expect(bad.get('count')).toBe(1); // collected, not thrown (the oracle names every bad field at once), and the default stands in
    expect(complaints).toEqual(['--count must be a count above 0 (got -1)']);
  });
});

describe('harness run: every setting is a flag and a config key from one declaration', () => {
  const keys = Object.keys(SETTINGS);
  const configOnly = keys.filter((k) => SETTINGS[k as keyof typeof SETTINGS].flag === null);

  it('has one key list; only the price table is config-only (passEnv has its flag now)', () => {
    expect(SETTING_KEYS).toEqual(keys);
    expect(configOnly).toEqual(['prices']);
    expect(keys).toContain('passEnv');
    for (const k of keys) expect(checkConfigFile({ [k]: null }, 'harness.config.json')).toEqual({ [k]: null });
    expect(errorOf(() => checkConfigFile({ passenv: ['X'] }, 'harness.config.json')).message).toMatch(/^harness.config.json: unknown setting "passenv"; known: agents, agent, /);
  });

  it('`harness run --help` lists every flag that is not hidden, under the setting\'s kebab-cased name', async () => {
    const { io } = captureIo({ PATH: process.env.PATH, HOME: process.env.HOME }, tmp);
    const command = runCommand(io, () => {}) as { builder: (y: Argv) => Argv };
    const help = await command.builder(yargs([]).wrap(200)).getHelp();
    expect(help).toMatch(/^Run options:/m);
    for (const k of keys) {
      const flag = SETTINGS[k as keyof typeof SETTINGS].flag as { hidden?: boolean } | null;
      const listed = new RegExp(`--${kebab(k)}\\s`).test(help);
      expect(listed, k).toBe(flag !== null && !flag.hidden);
    }
  });

  it("a default the help text states is the table's default (the demo's own defaults are config.ts's)", () => {
    let checked = 0;
    for (const [k, row] of Object.entries(SETTINGS) as [string, { flag: { describe?: string } | null; default?: unknown }][]) {
      const said = row.flag?.describe && !row.flag.describe.startsWith('demo:') ? /\(default:? ([^);,]+)[);,]/.exec(row.flag.describe) : null;
      if (!said || (typeof row.default !== 'string' && typeof row.default !== 'number')) continue;
      expect(said[1], k).toBe(String(row.default));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
    expect(resolveConfig({ flags: { agent: 'claude' }, file: null, cwd: '/p', now: 0, hasProject: true }).sandbox).toBe('bwrap');
    expect(SETTINGS.sandbox.flag.describe).toContain('default: bwrap for claude and codex');
  });

  it('refuses a bad value with the same rule and wording from the flag and from the file, in one line, exit 2', () => {
    const resolve = (flags: object, file: object | null) => () => resolveConfig({ flags, file, fileName: 'harness.config.json', cwd: '/p', now: 0, hasProject: true });
    for (const k of keys) {
      const badValue = SETTINGS[k as keyof typeof SETTINGS].flag?.type === 'boolean' ? 'yes' : true;
      const fromFile = errorOf(resolve({}, { [k]: badValue }));
      expect(fromFile.message, k).toContain(`harness.config.json "${k}"`);
      expect(fromFile.message.split('\n'), k).toHaveLength(1);
      expect(fromFile.exitCode, k).toBe(2);
      if (configOnly.includes(k)) continue;
      const fromFlag = errorOf(resolve({ [k]: badValue }, null));
      expect(fromFlag.message.replace(`--${kebab(k)}`, `harness.config.json "${k}"`), k).toBe(fromFile.message);
      expect(fromFlag.code, k).toBe(fromFile.code);
    }
  });

  it('--pass-env: a list of names from the command line or the file; a bad name is refused before anything is written', async () => {
    const base = { fileName: 'harness.config.json', cwd: '/p', now: 0, hasProject: true };
    expect(resolveConfig({ ...base, flags: { passEnv: ['MY_TOKEN', 'OTHER'] }, file: { passEnv: ['FROM_FILE'] } }).passEnv).toEqual(['MY_TOKEN', 'OTHER']);
    expect(resolveConfig({ ...base, flags: {}, file: { passEnv: ['FROM_FILE'] } }).passEnv).toEqual(['FROM_FILE']);
    const dir = mkdtempSync(path.join(tmp, 'run-'));
    const { io, err } = captureIo({ PATH: process.env.PATH, HOME: process.env.HOME }, dir);
    expect(await harnessMain(['run', '--pass-env', 'MY_TOKEN', '--pass-env', '1BAD'], io)).toBe(2);
    expect(err).toEqual(['harness: --pass-env: ["MY_TOKEN","1BAD"] is not a list of environment variable names [BAD_CONFIG]']);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(path.join(dir, '.swarm-demo'))).toBe(false);
  });
});

describe("the oracle's suite: the same mechanism", () => {
  const suiteDir = (config: object) => {
    const dir = mkdtempSync(path.join(tmp, 'suite-'));
    mkdirSync(path.join(dir, '.git'));
    mkdirSync(path.join(dir, 'tests'));
    writeFileSync(path.join(dir, 'test-oracle.json'), JSON.stringify(config));
    return dir;
  };
  const messageOf = (dir: string, flags: object) => errorOf(() => loadSuite(dir, flags, {})).message.replace(dir, 'DIR');

  it('every field with a flag is that option of test-oracle run and gate; --help names every field', () => {
    const flagged = Object.entries(SUITE_FIELDS).filter(([, f]) => f.flag !== null);
    expect(flagged.map(([k]) => k)).toEqual(['tests', 'match', 'layout', 'command', 'timeout', 'judge', 'tool']);
    for (const [k, f] of flagged) {
      const { name, ...spec } = f.flag as { name?: string };
      expect(RUN_OPTIONS[(name ?? k) as keyof typeof RUN_OPTIONS], k).toEqual(spec);
    }
    for (const k of Object.keys(SUITE_FIELDS)) expect(SUITE_HELP, k).toMatch(new RegExp(`\\b${k}\\b`));
  });

  it('refuses a bad value with one rule and one wording, from the flag or the file', () => {
    const bad = { tests: '../up', match: [''], layout: 'tree', timeout: -2, judge: 'eyes' };
    for (const [k, v] of Object.entries(bad)) {
      const fromFlag = messageOf(suiteDir({ command: './t {test}' }), { [k]: v });
      const fromFile = messageOf(suiteDir({ command: './t {test}', [k]: v }), {});
      expect(fromFlag, k).toBe(fromFile);
      expect(fromFile, k).toMatch(new RegExp(`^DIR/test-oracle.json: "${k}" must be `));
      expect(fromFile, k).toContain(`(got ${JSON.stringify(v)})`);
    }
    expect(messageOf(suiteDir({ command: './t {test}', colour: 'red' }), {})).toMatch(/unknown field "colour" \(known: tests, match, exclude, layout, command, batch, timeout, judge, expectExit, expected, skip, tool, tools, env, cwd, logDir\)$/);
  });

  it('globs by picomatch: a brace set of paths matches its files, not a file named "*"', () => {
    const dir = suiteDir({ command: './t {test}', tests: '.', match: '{src/*.c,tests/*.c}' });
    for (const f of ['src/a.c', 'tests/b.c', 'docs/c.c', 'src/d.h', '*']) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), '');
    }
    expect(discoverTests(loadSuite(dir, {}, {}))).toEqual(['src/a.c', 'tests/b.c']);
    expect(discoverTests(loadSuite(dir, { match: ['*'] }, {}))).toContain('*');
  });
});
