// One suite run under two real compilers (gcc and tcc) in one repository: results, the
// "vs" line, history and the gate stay per tool; the tool reaches the test ({tool},
// $TEST_ORACLE_TOOL, the `tools` map); printed rerun commands reproduce the run; each
// test runs in its own scratch folder; JUnit of a run with skips has the schema's shape.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { shellSplit } from '../test-oracle/bisect/units.js';
import { cleanupTemps, commitAll, git, initRepo, oracle, tempDir, writeFiles } from './oracle-helpers.js';

afterAll(cleanupTemps);

const c = (body: string) => `#include <stdio.h>\nint main(void) {\n${body}\n  return 0;\n}\n`;

/** Four C tests; `which.c` prints the compiler it was built by, so it fails under tcc. */
async function twoToolSuite(extra: Record<string, unknown> = {}) {
  const d = tempDir();
  await initRepo(d);
  writeFiles(d, {
    'test-oracle.json': JSON.stringify({
      tests: 't', match: '*.c', judge: 'stdout', cwd: 'tmp',
      // {tool} names the compiler; gcc gets its own command, tcc uses the top-level one.
      command: '{tool} -o {tmp}/a.out {test} && {tmp}/a.out',
      tools: {
        gcc: { command: 'gcc -w -o {tmp}/a.out {test} && {tmp}/a.out' },
        tcc: { skip: ['t/skipme.c'] },
      },
      ...extra,
    }),
    't/one.c': c('  puts("1");'),
    't/one.expected': '1\n',
    't/skipme.c': c('  puts("s");'),
    't/skipme.expected': 's\n',
    // Writes a file where it starts: in the suite root that would dirty the tree.
    't/writes.c': c('  FILE *f = fopen("fred.txt", "w"); if (!f) return 1; fputs("x", f); fclose(f);\n  puts("wrote");'),
    't/writes.expected': 'wrote\n',
    't/which.c': '#include <stdio.h>\nint main(void) {\n#ifdef __TINYC__\n  puts("tcc");\n#else\n  puts("gcc");\n#endif\n  return 0;\n}\n',
    't/which.expected': 'gcc\n',
  });
  const head = await commitAll(d, 'suite');
  return { d, head, short: head.slice(0, 7) };
}

const line = (out: string[], re: RegExp) => out.find((l) => re.test(l));

describe('a suite under two compilers', () => {
  it('keeps vs, history and the gate per tool, so a tcc failure is never a gcc change', async () => {
    const { d, short } = await twoToolSuite();
    const gcc1 = await oracle(d, ['run', '--tool', 'gcc']);
    expect(gcc1.code).toBe(0);
    expect(gcc1.out[0]).toBe('ran 4/4 (full suite)');
    expect(gcc1.out).toContain('no earlier recorded result of tool gcc on this branch to compare with');

    const tcc1 = await oracle(d, ['run'], { TEST_ORACLE_TOOL: 'tcc' });
    expect(tcc1.code).toBe(1);
    expect(tcc1.out[0]).toBe('ran 3/3 (full suite, 1 skipped for tcc)');
    // not "1 newly failing" against gcc's run
    expect(tcc1.out).toContain('no earlier recorded result of tool tcc on this branch to compare with');
    expect(tcc1.out).toContain('ERROR t/which.c: expected "gcc" got "tcc" at line 1 (log: .test-oracle/logs/t/which.c.log)');
    expect(tcc1.out).toContain('run the full suite: test-oracle run --tool=tcc');
    expect(tcc1.out.at(-1)).toBe(`recorded on ${short} in refs/notes/test-oracle (share: test-oracle notes-sync)`);

    const gcc2 = await oracle(d, ['run', '--tool=gcc']);
    // not "1 fixed": compared with gcc's own full run, and it says so
    expect(gcc2.out).toContain(`vs ${short} (full run, tool gcc, an earlier run on this commit, 4 tests in common): 100.0% -> 100.0%, 0 newly failing, 0 fixed`);

    const tcc2 = await oracle(d, ['run', '--tool=tcc']);
    expect(tcc2.out).toContain(`vs ${short} (full run, tool tcc, an earlier run on this commit, 3 tests in common): 66.7% -> 66.7%, 0 newly failing, 1 failing before too, 0 fixed`);

    // one JSON line per run in the note, no blank lines between them
    const note = await git(d, 'notes', '--ref=test-oracle', 'show', 'HEAD');
    expect(note.split('\n').map((l) => l.slice(0, 7))).toEqual(['{"at":"', '{"at":"', '{"at":"', '{"at":"']);
    const h = await oracle(d, ['history']);
    expect(h.out).toHaveLength(3);
    expect(h.out[1]).toMatch(new RegExp(`^${short} \\S+ gcc +100\\.0% +4/4 full +suite$`));
    expect(h.out[2]).toMatch(new RegExp(`^${short} \\S+ tcc +66\\.7% +2/3 full +suite$`));
    expect((await oracle(d, ['history', '--tool', 'tcc'])).out.slice(1)).toEqual([h.out[2]]);

    // gcc ran last; the tcc gate compares with tcc's runs only: no false regression
    await oracle(d, ['run', '--tool=gcc']);
    const gate = await oracle(d, ['gate', '--baseline', 'HEAD', '--tool', 'tcc', '--no-record']);
    expect(gate.out[0]).toBe(`gate: ran 3/3 (full suite, 1 skipped for tcc) at ${short} vs baseline ${short} (tool tcc)`);
    expect(gate.out).toContain(`gate: ok, no test that passed at ${short} fails at ${short} (3 compared)`);
    expect(gate.code).toBe(0);
    // and a real tcc regression is still caught
    writeFiles(d, { 't/one.c': '#include <stdio.h>\nint main(void) {\n#ifdef __TINYC__\n  puts("0");\n#else\n  puts("1");\n#endif\n  return 0;\n}\n' });
    await commitAll(d, 'break one under tcc only');
    const base = `--baseline=${short}`;
    const bad = await oracle(d, ['gate', base, '--tool', 'tcc', '--no-record']);
    expect(bad.code).toBe(1);
    expect(line(bad.out, /^ERROR/)).toMatch(/^ERROR gate: 1 test passed at [0-9a-f]{7} and fails at [0-9a-f]{7}: t\/one\.c \(expected "1" got "0" at line 1\)$/);
    expect((await oracle(d, ['gate', base, '--tool', 'gcc', '--no-record'])).code).toBe(0);
    const noTool = await oracle(d, ['gate', base, '--no-record']);
    expect(noTool.code).toBe(2);
    expect(noTool.err[0]).toMatch(/"command" uses \{tool\}, but no tool is chosen; pass --tool NAME or set \$TEST_ORACLE_TOOL \[CONFIG_INVALID\]$/);
  }, 120_000);

  it('hands the tool to the test, and prints rerun commands that reproduce the run exactly', async () => {
    const { d } = await twoToolSuite({
      command: 'sh -c \'test "$TEST_ORACLE_TOOL" = "$1" && exec "$1" -o a.out "$2"\' - {tool} {test} && ./a.out',
      tools: { gcc: { env: { EXTRA: 'x' } }, tcc: {} },
    });
    const r = await oracle(d, ['run', '--fast=60', '--seed=s1'], { TEST_ORACLE_TOOL: 'tcc' });
    const same = line(r.out, /^rerun this selection: /)!.replace(/^rerun this selection: /, '');
    expect(same).toBe('test-oracle run --tool=tcc --fast=60 --seed=s1');
    // without the environment that chose tcc, the printed command runs exactly the same
    const again = await oracle(d, shellSplit(same).slice(1));
    expect(again.out[0]).toBe(r.out[0]);
    expect(again.out.filter((l) => l.startsWith('ERROR'))).toEqual(r.out.filter((l) => l.startsWith('ERROR')));
    expect(r.out.filter((l) => l.startsWith('ERROR')).join('\n')).toMatch(/which\.c: expected "gcc" got "tcc"/);
    // the scratch folder took the files: nothing new in the work tree, and the run was recorded
    expect(existsSync(join(d, 'fred.txt'))).toBe(false);
    expect(await git(d, 'status', '--porcelain')).toBe('');
    expect(r.out.at(-1)).toMatch(/^recorded on /);
  }, 120_000);

  it('old-style config (no tools map): the tool reaches the test, the rerun command carries the variables the command reads, and a warning says --tool picks only the skip list', async () => {
    const { d } = await twoToolSuite({ command: '${CC:-gcc} -w -o {tmp}/a.out {test} && {tmp}/a.out', tools: undefined, skip: { tcc: ['t/skipme.c'] } });
    const r = await oracle(d, ['run', '--tool', 'tcc', '--filter', 'which'], { CC: 'tcc' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('ERROR t/which.c: expected "gcc" got "tcc" at line 1 (log: .test-oracle/logs/t/which.c.log)');
    expect(r.out).toContain(
      'WARNING --tool tcc only picks the skip list here: the command uses neither {tool} nor $TEST_ORACLE_TOOL (it reads CC from this shell, repeated in the rerun commands); ' +
        'give the config a "tools" map, e.g. "tools": {"tcc": {"env": {"CC": "tcc"}}}, so the tool reaches the test',
    );
    const same = line(r.out, /^rerun this selection: /)!.replace(/^rerun this selection: /, '');
    expect(same).toBe('CC=tcc test-oracle run --tool=tcc --filter=which');
    expect(line(r.out, /^run the full suite: /)).toBe('run the full suite: CC=tcc test-oracle run --tool=tcc');
    // run as printed, from a shell without CC: the same compiler, the same failure
    const words = shellSplit(same);
    const vars = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=') as [string, string]));
    const again = await oracle(d, words.filter((w) => !/^[A-Z_]+=/.test(w)).slice(1), vars);
    expect(again.code).toBe(1);
    expect(again.out.filter((l) => l.startsWith('ERROR'))).toEqual(r.out.filter((l) => l.startsWith('ERROR')));
    // {tool} and $TEST_ORACLE_TOOL reach the test without a tools map too, and then there is no warning
    const { d: d2 } = await twoToolSuite({
      command: 'sh -c \'test "$TEST_ORACLE_TOOL" = "$1" && exec "$1" -w -o a.out "$2"\' - {tool} {test} && ./a.out', tools: undefined,
    });
    const t = await oracle(d2, ['run', '--tool=tcc', '--filter', 'one|which']);
    expect(t.out.filter((l) => l.startsWith('ERROR') || l.startsWith('WARNING'))).toEqual(['ERROR t/which.c: expected "gcc" got "tcc" at line 1 (log: .test-oracle/logs/t/which.c.log)']);
    expect(t.out).toContain('run the full suite: test-oracle run --tool=tcc');
  }, 120_000);

  it('warns when tests left files in the tree (tests in the suite root), and blames a bad --cmd on the flag', async () => {
    const { d } = await twoToolSuite({ cwd: 'root' });
    const r = await oracle(d, ['run', '--tool=gcc', '--filter', 'writes']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('WARNING the tests left new files in the work tree: fred.txt; set "cwd": "tmp" in the suite config to run each test in its own scratch folder');
    // a test that changes a tracked file: the results no longer describe the commit
    writeFiles(d, { 'tracked.txt': 'v1\n', 't/touch.c': c('  FILE *f = fopen("tracked.txt", "a"); if (!f) return 1; fputs("v2\\n", f); fclose(f);\n  puts("t");'), 't/touch.expected': 't\n' });
    await git(d, 'add', '-A');
    await git(d, 'commit', '-q', '-m', 'a test that writes a tracked file');
    const touched = await oracle(d, ['run', '--tool=gcc', '--filter', 'touch']);
    expect(touched.out.at(-1)).toBe('not recorded: the tests changed tracked files (tracked.txt); set "cwd": "tmp" in the suite config so each test runs in its own scratch folder');
    const bad = await oracle(d, ['run', '--tool=gcc', '--cmd', 'gcc -o a.out']);
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual(['test-oracle: --cmd must say where the test goes, e.g. "./run-one.sh {test}" (got "gcc -o a.out") [BAD_CMD]']);
  }, 60_000);

  it('writes JUnit with <skipped/> entries and wall time, valid against the JUnit schema', async () => {
    const { d } = await twoToolSuite();
    // Two tests that take a second each: run two at once, the run takes one second, not two.
    const sleeper = '#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n  sleep(1);\n  puts("slow");\n  return 0;\n}\n';
    writeFiles(d, { 't/slow1.c': sleeper, 't/slow1.expected': 'slow\n', 't/slow2.c': sleeper, 't/slow2.expected': 'slow\n' });
    await commitAll(d, 'two slow tests');
    const r = await oracle(d, ['run', '--tool=tcc', '-j2', '--junit', 'r.xml', '--json', 'r.json']);
    expect(r.code).toBe(1);
    const xsd = resolve(__dirname, 'fixtures', 'junit', 'junit.xsd');
    const v = await execa('xmllint', ['--noout', '--schema', xsd, join(d, 'r.xml')], { reject: false });
    expect(v.stderr).toMatch(/validates$/);
    expect(v.exitCode).toBe(0);
    const xml = readFileSync(join(d, 'r.xml'), 'utf8');
    const attr = (tag: string, name: string) => Number(new RegExp(`<${tag} [^>]*\\b${name}="([\\d.]+)"`).exec(xml)![1]);
    expect([attr('testsuite', 'tests'), attr('testsuite', 'failures'), attr('testsuite', 'skipped'), attr('testsuite', 'errors')]).toEqual([6, 1, 1, 0]);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(6);
    expect((xml.match(/<skipped\/>/g) ?? []).length).toBe(1);
    expect(xml).toMatch(/<testcase classname="t" name="t\/skipme\.c" time="0\.000">\n\s+<skipped\/>/);
    // wall time, not the sum of the tests' times (they ran two at once)
    const sum = [...xml.matchAll(/<testcase [^>]*time="([\d.]+)"/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(attr('testsuites', 'time')).toBe(attr('testsuite', 'time'));
    expect(sum).toBeGreaterThan(2);
    expect(attr('testsuite', 'time')).toBeLessThan(0.8 * sum);
    const json = JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')) as { tool: string; counts: Record<string, number>; tests: { id: string; result: string }[] };
    expect(json.tool).toBe('tcc');
    expect(json.counts).toMatchObject({ pass: 4, fail: 1, skipped: 1 });
    expect(json.tests.find((t) => t.id === 't/skipme.c')).toMatchObject({ result: 'skipped', reason: 'skipped for tcc' });
  }, 120_000);
});
