// The oracle's pure core: sampling, selection, ordering, judging, summaries, records,
// task proposals. No processes, no clocks.
import { describe, expect, it } from 'vitest';
import { fnv1a64, inSample, samplePoint } from '../harness/kit/hash.js';
import { describeSelection, orderTests, selectTests } from '../test-oracle/core/select.js';
import { describeDifference, describeExit, firstDifference, judge, quote } from '../test-oracle/core/judge.js';
import { basisOf, errorLine, formatReport, rankFailures, rerunCommand, trendLine } from '../test-oracle/core/summary.js';
import {
  compareResults, latestPerTest, parseNote, serializeRecord, toRecordedTests, countResults, type RunRecord,
} from '../test-oracle/core/records.js';
import { proposeFailingTest, taskNameForTest, TASK_NAME } from '../test-oracle/core/tasks.js';
import { formatGateReport } from '../test-oracle/core/gate.js';
import { HISTORY_HEADER, historyLine, historyLines } from '../test-oracle/core/history.js';
import { compileGlob } from '../test-oracle/core/glob.js';
import { directArgv, fillTemplate, shq, unknownPlaceholders } from '../test-oracle/core/shell.js';
import { esc, junitXml } from '../test-oracle/run/reports.js';
import type { TestOutcome } from '../test-oracle/core/types.js';

const ids = (n: number, pre = 'tests/t') => Array.from({ length: n }, (_, i) => `${pre}${String(i).padStart(5, '0')}.c`);

describe('sampling hash', () => {
  it('is FNV-1a 64 over UTF-8', () => {
    const ref = (s: string) => {
      let h = 0xcbf29ce484222325n;
      for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h;
    };
    for (const s of ['', 'a', 'foobar', 'tests/t0001.sh', 'é日本\u0000x', 'x'.repeat(300)]) {
      const { hi, lo } = fnv1a64(s);
      expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(ref(s));
    }
  });

  it('spreads ids that differ only in a trailing digit, close to the asked rate', () => {
    const all = ids(20000);
    const n = all.filter((id) => inSample('agent-1', id, 10)).length;
    expect(n).toBeGreaterThan(1800);
    expect(n).toBeLessThan(2200);
    const points = all.slice(0, 1000).map((id) => samplePoint('s', id));
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...points)).toBeLessThan(100);
  });

  it('gives different seeds nearly independent slices', () => {
    const all = ids(20000);
    const a = new Set(all.filter((id) => inSample('agent-1', id, 10)));
    const both = all.filter((id) => a.has(id) && inSample('agent-2', id, 10)).length;
    // independent 10% samples overlap on ~1% of the suite
    expect(both).toBeGreaterThan(100);
    expect(both).toBeLessThan(320);
  });
});

describe('selection', () => {
  it('keeps a test in or out of a sample however the suite grows or is reordered', () => {
    const before = ids(1000);
    const after = [...ids(3000, 'new/x'), ...before].reverse();
    const s1 = new Set(selectTests(before, { fastPct: 10, seed: 'agent-3' }).selected);
    const s2 = new Set(selectTests(after, { fastPct: 10, seed: 'agent-3' }).selected);
    for (const id of before) expect(s2.has(id)).toBe(s1.has(id));
  });

  it('applies skip lists, filters and --failed, and says which mode it was', () => {
    const all = ['a/1', 'a/2', 'b/1', 'b/2'];
    const s = selectTests(all, { seed: 'x', filter: /^a/, skip: (id) => id === 'a/2' });
    expect(s).toEqual({ selected: ['a/1'], total: 3, skipped: 1, skippedHere: ['a/2'], mode: 'partial' });
    // a skipped test outside the filter is not listed as skipped by this run
    expect(selectTests(all, { seed: 'x', filter: /^b/, skip: (id) => id === 'a/2' }).skippedHere).toEqual([]);
    expect(selectTests(all, { seed: 'x' }).mode).toBe('full');
    expect(selectTests(all, { seed: 'x', fastPct: 100 }).mode).toBe('full');
    expect(selectTests(all, { seed: 'x', fastPct: 50 }).mode).toBe('sample');
    expect(selectTests(all, { seed: 'x', only: new Set(['b/2']) }).selected).toEqual(['b/2']);
  });

  it('states what ran on the first line', () => {
    const sel = { selected: ids(41), total: 412, skipped: 0, skippedHere: [], mode: 'sample' as const };
    expect(describeSelection(sel, { fastPct: 10, seed: 'agent-3' })).toBe('ran 41/412 (10%, seed=agent-3)');
    expect(describeSelection({ ...sel, skipped: 3 }, { seed: 's', tool: 'mycc' })).toBe('ran 41/412 (full suite, 3 skipped for mycc)');
    expect(describeSelection(sel, { seed: 's', failedOnly: true, filter: 'x' })).toBe('ran 41/412 (failed last time, filter=x)');
    expect(describeSelection(sel, { fastPct: 0.5, seed: 's' })).toBe('ran 41/412 (0.5%, seed=s)');
  });

  it('orders failed first, then slowest first, unknown durations early', () => {
    const order = orderTests(['a', 'b', 'c', 'd', 'e'], {
      failedBefore: new Set(['d']),
      timings: new Map([['a', 5], ['b', 500], ['c', 50], ['d', 1]]),
    });
    expect(order).toEqual(['d', 'e', 'b', 'c', 'a']);
  });
});

describe('judging', () => {
  it('names signals whether seen directly or through a shell', () => {
    expect(describeExit({ code: null, signal: 'SIGSEGV' }).text).toBe('exit 139 (SIGSEGV)');
    expect(describeExit({ code: 139, signal: null })).toEqual({ code: 139, crashed: true, text: 'exit 139 (SIGSEGV)' });
    expect(describeExit({ code: 134, signal: null }).text).toBe('exit 134 (SIGABRT)');
    expect(describeExit({ code: 1, signal: null })).toEqual({ code: 1, crashed: false, text: 'exit 1' });
  });

  it('finds the first differing line, tolerating only a final newline', () => {
    expect(firstDifference('1\n2\n42\n', '1\n2\n41\n')).toEqual({ line: 3, col: 2, expected: '42', actual: '41' });
    expect(firstDifference('a\n', 'a')).toBeNull();
    expect(firstDifference('a\nb\n', 'a\n')).toEqual({ line: 2, col: 1, expected: 'b', actual: null });
    expect(firstDifference('a', 'a\n\n')).toEqual({ line: 2, col: 1, expected: null, actual: '' });
    expect(describeDifference(firstDifference('1\n2\n42\n', '1\n2\n41\n')!)).toBe('expected "42" got "41" at line 3');
    expect(describeDifference(firstDifference('a\n', 'a\nextra\n')!)).toBe('expected end of output got "extra" at line 2');
  });

  it('windows long lines around the difference and shows invisible characters', () => {
    const exp = 'x'.repeat(100) + 'A' + 'y'.repeat(100);
    const got = 'x'.repeat(100) + 'B' + 'y'.repeat(100);
    const r = describeDifference(firstDifference(exp, got)!);
    expect(r).toMatch(/^expected "…x{10}Ay+…" got "…x{10}By+…" at line 1 col 101$/);
    expect(quote('a\tb\r')).toBe('"a\\tb\\r"');
  });

  it('gives short, specific reasons', () => {
    const base = { judge: 'stdout' as const, expectExit: 0, exit: { code: 0, signal: null }, timedOut: false, timeoutSec: 10 };
    expect(judge({ ...base, expected: '42\n', actual: '42\n' })).toEqual({ result: 'pass', reason: '' });
    expect(judge({ ...base, expected: '42\n', actual: '41\n' })).toEqual({ result: 'fail', reason: 'expected "42" got "41" at line 1' });
    expect(judge({ ...base, expected: '42\n', actual: '41\n', exit: { code: 3, signal: null } }).reason).toBe('expected "42" got "41" at line 1; exit 3');
    expect(judge({ ...base, timedOut: true })).toEqual({ result: 'timeout', reason: 'timeout after 10s' });
    expect(judge({ ...base, exit: { code: 139, signal: null }, tail: 'hello\n' })).toEqual({ result: 'crash', reason: 'exit 139 (SIGSEGV): "hello"' });
    expect(judge({ ...base, expected: null, expectedPath: 't/a.expected' })).toEqual({ result: 'error', reason: 'no expected output (create t/a.expected)' });
    expect(judge({ ...base, judge: 'exit', exit: { code: 2, signal: null }, tail: 'boom\n\n' }).reason).toBe('exit 2: "boom"');
    expect(judge({ ...base, judge: 'exit', expectExit: null, exit: { code: 2, signal: null } }).result).toBe('pass');
    expect(judge({ ...base, spawnError: 'x not found' }).result).toBe('error');
  });
});

const fail = (id: string, result: TestOutcome['result'], ms: number, reason: string = result): TestOutcome => ({ id, result, reason, ms, log: `L/${id}.log` });

describe('summary', () => {
  it('ranks newly failing, then wrong output, crashes, errors, timeouts, quickest first', () => {
    const o = [fail('t', 'timeout', 1), fail('c', 'crash', 5), fail('f2', 'fail', 9), fail('f1', 'fail', 3), fail('e', 'error', 1), fail('n', 'timeout', 9), { id: 'p', result: 'pass' as const, reason: '', ms: 1 }];
    expect(rankFailures(o, new Set(['n'])).map((x) => x.id)).toEqual(['n', 'f1', 'f2', 'c', 'e', 't']);
  });

  it('stays within ~40 lines however many tests fail', () => {
    const outcomes = Array.from({ length: 500 }, (_, i) => fail(`t${i}`, 'fail', i, `exit 1: "line ${i}"`));
    const lines = formatReport({ outcomes, wallMs: 12345, maxErrors: 30, failuresFile: 'runs/x/failures.txt', rerunSame: 'test-oracle run --fast=10 --seed=a', rerunFull: 'test-oracle run', footer: ['recorded'] });
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(lines[0]).toBe('500 tests in 12.3s: 500 fail; pass rate 0.0%');
    expect(lines.filter((l) => l.startsWith('ERROR ')).length).toBe(30);
    expect(lines).toContain('… and 470 more (see runs/x/failures.txt)');
    expect(lines).toContain('rerun this selection: test-oracle run --fast=10 --seed=a');
  });

  it('writes one grep-able line per failure, capped in length', () => {
    expect(errorLine(fail('a.c', 'fail', 1, 'expected "42" got "41" at line 3'))).toBe('ERROR a.c: expected "42" got "41" at line 3 (log: L/a.c.log)');
    expect(errorLine(fail('a.c', 'fail', 1, 'x'.repeat(1000))).length).toBeLessThanOrEqual(300);
  });

  it('compares with the last recorded result on the tests both ran', () => {
    const base = new Map([['a', { result: 'pass' as const, reason: '' }], ['b', { result: 'fail' as const, reason: 'x' }], ['gone', { result: 'pass' as const, reason: '' }]]);
    const now = [fail('a', 'fail', 1), { id: 'b', result: 'pass' as const, reason: '', ms: 1 }, fail('new', 'fail', 1)];
    const cmp = compareResults(base, now);
    expect(cmp).toMatchObject({ common: 2, basePass: 1, nowPass: 1, fixed: ['b'] });
    expect(cmp.regressions.map((r) => r.id)).toEqual(['a']);
    expect(trendLine({ against: 'abc1234', distance: 2, basis: 'full run, tool gcc', cmp })).toBe(
      'vs abc1234 (full run, tool gcc, 2 commits back, 2 tests in common): 50.0% -> 50.0%, 1 newly failing, 1 fixed; 1 failing test with no earlier result',
    );
    expect(trendLine(null, 'result of tool tcc')).toBe('no earlier recorded result of tool tcc on this branch to compare with');
    // a failure that failed before too is said so, never a bare "0 newly failing"
    const still = compareResults(new Map([['a', { result: 'fail' as const, reason: 'x' }]]), [fail('a', 'fail', 1)]);
    expect(trendLine({ against: 'abc1234', distance: 0, basis: '10% sample', cmp: still })).toBe(
      'vs abc1234 (10% sample, an earlier run on this commit, 1 test in common): 0.0% -> 0.0%, 0 newly failing, 1 failing before too, 0 fixed',
    );
    expect(basisOf([{ mode: 'sample', pct: 10 }, { mode: 'sample', pct: 10 }], '')).toBe('2 samples');
    expect(basisOf([{ mode: 'full', pct: 100 }], 'gcc')).toBe('full run, tool gcc');
  });

  it('prints rerun commands that reproduce the sample', () => {
    expect(rerunCommand({ prog: 'test-oracle', fastPct: 10, seed: 'agent 3', filter: 'a|b', suiteArgs: ['--tool=gcc'] }, shq)).toBe(
      "test-oracle run --tool=gcc --fast=10 --seed='agent 3' --filter='a|b'",
    );
    expect(rerunCommand({ prog: 'test-oracle', suiteArgs: [] }, shq)).toBe('test-oracle run');
  });
});

const rec = (at: string, tests: RunRecord['tests'], over: Partial<RunRecord> = {}): RunRecord => ({
  at, v: 1, commit: 'c0ffee', seed: 's', pct: 100, mode: 'full', total: tests.length, selected: tests.length,
  counts: countResults(tests.map(([, result]) => ({ result }))), tests, ...over,
});

describe('records', () => {
  it('round-trips through a note whose lines were merged and sorted by cat_sort_uniq', () => {
    const r1 = rec('2026-01-01T00:00:00.000Z', [['a', 'pass', 3], ['b', 'fail', 4, 'exit 1']]);
    const r2 = rec('2026-01-02T00:00:00.000Z', [['b', 'pass', 2]], { seed: 'agent-2', pct: 10, mode: 'sample' });
    const merged = [serializeRecord(r2), '', serializeRecord(r1), 'garbage', serializeRecord(r1)].sort().filter((l, i, a) => a.indexOf(l) === i).join('\n');
    const parsed = parseNote(merged);
    expect(parsed.map((r) => r.at)).toEqual([r1.at, r2.at]);
    expect(serializeRecord(r1).startsWith('{"at":')).toBe(true);
    const latest = latestPerTest(parsed);
    expect(latest.get('a')?.result).toBe('pass');
    expect(latest.get('b')).toMatchObject({ result: 'pass', ms: 2 });
  });

  it('keeps reasons only for tests that did not pass', () => {
    expect(toRecordedTests([{ id: 'a', result: 'pass', reason: '', ms: 1.4 }, { id: 'b', result: 'crash', reason: 'exit 139 (SIGSEGV)', ms: 2 }])).toEqual([
      ['a', 'pass', 1],
      ['b', 'crash', 2, 'exit 139 (SIGSEGV)'],
    ]);
  });

  it('tells full and sampled runs apart in history', () => {
    const full = rec('2026-01-01T00:00:00.000Z', [['a', 'pass', 1], ['b', 'fail', 1]]);
    expect(historyLine({ short: 'abc1234', date: '2026-01-01', subject: 'fix', records: [full] })).toMatch(/^abc1234 2026-01-01 - +50\.0% +1\/2 full +fix$/);
    const s1 = rec('2026-01-01T00:00:00.000Z', [['a', 'pass', 1]], { mode: 'sample', pct: 10, seed: 'x', total: 40 });
    const s2 = rec('2026-01-01T00:00:01.000Z', [['b', 'pass', 1]], { mode: 'sample', pct: 10, seed: 'y', total: 40 });
    expect(historyLine({ short: 'abc1234', date: '2026-01-01', subject: 's', records: [s1, s2] })).toMatch(/100\.0% +2\/2 sample 10% x2 seeds of 40/);
  });

  it('keeps tools apart in history: one line per tool, a run with no tool its own kind', () => {
    const gcc = rec('2026-01-01T00:00:00.000Z', [['a', 'pass', 1], ['b', 'fail', 1]], { tool: 'gcc' });
    const tcc = rec('2026-01-01T00:00:01.000Z', [['a', 'pass', 1], ['b', 'pass', 1]], { tool: 'tcc' });
    const none = rec('2026-01-01T00:00:02.000Z', [['a', 'fail', 1]]);
    const e = { short: 'abc1234', date: '2026-01-01', subject: 's', records: [tcc, none, gcc] };
    const lines = historyLines(e);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^abc1234 2026-01-01 - +0\.0% +0\/1 full/);
    expect(lines[1]).toMatch(/^abc1234 2026-01-01 gcc +50\.0% +1\/2 full/);
    expect(lines[2]).toMatch(/^abc1234 2026-01-01 tcc +100\.0% +2\/2 full/);
    expect(historyLines(e, 'gcc')).toEqual([lines[1]]);
    expect(historyLines(e, '')).toEqual([lines[0]]);
    expect(HISTORY_HEADER.indexOf('pass') + 4).toBe(lines[1]!.indexOf('%') + 1);
  });
});

describe('failing tests as tasks', () => {
  it('maps every id to a valid, distinct task name', () => {
    const samples = ['tests/foo.c', 'tests/Foo.c', 'tests/foo bar.c', 'a/' + 'x'.repeat(200) + '.c', 'a/' + 'x'.repeat(200) + '.h', '日本/ü.c', '...', '/abs'];
    const names = samples.map(taskNameForTest);
    for (const n of names) expect(n).toMatch(TASK_NAME);
    expect(new Set(names).size).toBe(samples.length);
    expect(taskNameForTest('tests/foo.c')).toBe('test-tests-foo.c');
    expect(taskNameForTest('tests/foo.c')).toBe(taskNameForTest('tests/foo.c'));
  });

  it('proposes unclaimed failures and spreads agents across them', () => {
    const tests = new Map<string, { result: 'pass' | 'fail'; reason: string }>();
    for (let i = 0; i < 40; i++) tests.set(`t/${i}.c`, { result: i % 2 ? 'fail' : 'pass', reason: 'exit 1' });
    const picks = Array.from({ length: 8 }, (_, i) => proposeFailingTest(tests, [], `agent-${i}`)!.testId);
    expect(new Set(picks).size).toBeGreaterThanOrEqual(5);
    for (const p of picks) expect(tests.get(p)!.result).toBe('fail');
    const first = proposeFailingTest(tests, [], 'agent-1')!;
    expect(proposeFailingTest(tests, [], 'agent-1')!.testId).toBe(first.testId);
    const next = proposeFailingTest(tests, [first.task], 'agent-1')!;
    expect(next.testId).not.toBe(first.testId);
    expect(next).toMatchObject({ failing: 20, unclaimed: 19 });
    const allClaimed = [...tests.keys()].map(taskNameForTest);
    expect(proposeFailingTest(tests, allClaimed, 'agent-1')).toBeNull();
  });
});

describe('gate report', () => {
  it('is one ERROR line plus details', () => {
    const now = [fail('a', 'fail', 1, 'expected "1" got "2" at line 1'), fail('b', 'timeout', 1, 'timeout after 10s'), fail('c', 'fail', 1)];
    const base = new Map([['a', { result: 'pass' as const, reason: '' }], ['b', { result: 'pass' as const, reason: '' }], ['c', { result: 'fail' as const, reason: '' }]]);
    const lines = formatGateReport(compareResults(base, now), now, { commit: 'new1234', baseline: 'old1234' });
    expect(lines.filter((l) => l.startsWith('ERROR')).length).toBe(1);
    expect(lines[0]).toBe('ERROR gate: 2 tests passed at old1234 and fail at new1234: a (expected "1" got "2" at line 1), b (timeout after 10s)');
    expect(lines.at(-1)).toMatch(/^1 other test did not pass/);
    const many = Array.from({ length: 100 }, (_, i) => fail(`tests/t${i}.c`, 'fail', 1, 'exit 1'));
    const manyBase = new Map(many.map((o) => [o.id, { result: 'pass' as const, reason: '' }]));
    const big = formatGateReport(compareResults(manyBase, many), many, { commit: 'n', baseline: 'o' });
    expect(big[0]!.length).toBeLessThan(450);
    expect(big[0]).toMatch(/… and \d+ more$/);
  });
});

describe('globs, templates, XML', () => {
  it('matches file names anywhere, paths from the top', () => {
    expect(compileGlob('*.c')('a/b/x.c')).toBe(true);
    expect(compileGlob('*.c')('a/b/x.cc')).toBe(false);
    expect(compileGlob('unit/*.sh')('unit/a.sh')).toBe(true);
    expect(compileGlob('unit/*.sh')('x/unit/a.sh')).toBe(false);
    expect(compileGlob('**/t?.{c,sh}')('a/b/t1.sh')).toBe(true);
    expect(compileGlob('*.sh')('tests/.hidden.sh')).toBe(true);
  });

  it('alternatives are globs themselves, not literal text', () => {
    const g = compileGlob('{src/*.c,tests/*.c}');
    expect(g('src/a.c')).toBe(true);
    expect(g('tests/b.c')).toBe(true);
    expect(g('docs/a.c')).toBe(false);
    expect(compileGlob('tests/[ab]*.sh')('tests/b1.sh')).toBe(true);
    expect(compileGlob('tests/[ab]*.sh')('tests/c1.sh')).toBe(false);
  });

  it('quotes placeholder values and runs simple commands without a shell', () => {
    expect(fillTemplate('./run {test} > {tmp}/o {{x}', { test: "it's.c", tmp: '/t' })).toBe("./run 'it'\\''s.c' > /t/o {x}");
    expect(unknownPlaceholders('run {tset} {test}')).toEqual(['{tset}']);
    expect(directArgv('sh tests/a.sh')).toEqual(['sh', 'tests/a.sh']);
    expect(directArgv("sh 'a b'")).toBeNull();
    expect(directArgv('A=1 sh x')).toBeNull();
  });

  it('writes JUnit that XML parsers accept', () => {
    expect(esc('<a & "b">\u0001')).toBe('&lt;a &amp; &quot;b&quot;&gt;');
    const xml = junitXml('s', [fail('d/a.c', 'fail', 10, 'expected "<" got ">"'), { id: 'b', result: 'pass', reason: '', ms: 1 }], 1000);
    expect(xml).toContain('<testcase classname="d" name="d/a.c" time="0.010">');
    expect(xml).toContain('tests="2" failures="1" errors="0"');
  });
});
