// The suite's "batch" command: many tests in one process, each test's output told apart by
// a marker line, and every test the batch cannot vouch for run again on its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { batchesOf, readBatch } from '../test-oracle/core/batch.js';
import { oracle, writeFiles } from './oracle-helpers.js';

const cfg = (o: object) => JSON.stringify(o);
const clean = { clean: true, how: 'exited 0' };

describe('batches (pure)', () => {
  it('cuts tests into about one batch per job, none over the cap, order kept', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `t${i}`);
    expect(batchesOf(ids, 2)).toEqual([ids.slice(0, 5), ids.slice(5)]);
    expect(batchesOf(ids, 1, 4).map((b) => b.length)).toEqual([4, 4, 2]);
    expect(batchesOf(ids.slice(0, 2), 8)).toEqual([['t0'], ['t1']]);
    expect(batchesOf([], 4)).toEqual([]);
  });

  it('splits output at markers, and trusts nothing of a batch that names a stranger or a test twice', () => {
    const ids = ['a', 'b', 'c'];
    expect(readBatch('banner\n\x1ea\n1\n\x1eb\n\x1ec\n3\n4', ids, clean)).toEqual({ outputs: new Map([['a', '1\n'], ['b', ''], ['c', '3\n4']]) });
    expect(readBatch('\x1ea\n1\n\x1ez\n2\n', ids, clean)).toEqual({ outputs: new Map(), why: 'named "z" in its output, which is not one of its tests' });
    expect(readBatch('\x1ea\n1\n\x1ea\n2\n', ids, clean).why).toBe('named "a" twice');
    expect(readBatch('\x1ea\n1\n', ids, clean)).toEqual({ outputs: new Map([['a', '1\n']]), why: 'printed no marker for 2 of them' });
  });

  it('drops the last output of a batch that did not end cleanly: it may be cut', () => {
    const r = readBatch('\x1ea\n1\n\x1eb\n2', ['a', 'b', 'c'], { clean: false, how: 'exited 3' });
    expect(r).toEqual({ outputs: new Map([['a', '1\n']]), why: 'exited 3' });
  });
});

// A runner in sh that speaks the protocol: it logs each start, then for each test prints the
// marker and sources the test, so a test's `exit` ends the whole batch.
const RUNNER = 'echo batch >> starts\nfor t in "$@"; do printf "\\036%s\\n" "$t"; . "./$t"; done\n';
const suite = (extra: object = {}) =>
  cfg({ tests: 't', match: '*.sh', command: "sh -c 'echo one >> starts; . ./$0' {test}", batch: 'sh run-many.sh {tests}', judge: 'stdout', expectExit: null, timeout: 5, ...extra });
const starts = (d: string) => readFileSync(join(d, 'starts'), 'utf8').trim().split('\n');

describe('test-oracle run with a "batch" command', () => {
  it('runs the tests of a batch in one process and judges each as its own', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': suite(),
      'run-many.sh': RUNNER,
      't/a.sh': 'echo 1\n', 't/a.expected': '1\n',
      't/b.sh': 'echo 2\n', 't/b.expected': '3\n',
      't/c.sh': 'echo 3; echo noise >&2\n', 't/c.expected': '3\n',
    });
    const r = await oracle(d, ['run', '-j1']);
    expect(r.out[1]).toMatch(/^3 tests in .*: 2 pass, 1 fail; pass rate 66\.7%$/);
    expect(r.out.find((l) => l.startsWith('ERROR'))).toMatch(/^ERROR t\/b\.sh: expected "3" got "2" at line 1 \(log: \.test-oracle\/logs\/t\/b\.sh\.log\)$/);
    expect(starts(d)).toEqual(['batch']);
    // the log says how to rerun the one test, and where the batch's stderr went
    const log = readFileSync(join(d, '.test-oracle/logs/t/b.sh.log'), 'utf8');
    expect(log).toMatch(/^\$ sh run-many\.sh t\/b\.sh\n# ran in batch 1 of 3 tests; its stderr: \.test-oracle\/batch\/1\.err\n2\n/);
    expect(readFileSync(join(d, '.test-oracle/batch/1.err'), 'utf8')).toBe('noise\n');
  });

  it('runs again one by one the test a batch died in and those it never reached', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': suite(),
      'run-many.sh': RUNNER,
      't/a.sh': 'echo 1\n', 't/a.expected': '1\n',
      't/b.sh': 'echo 2; exit 3\n', 't/b.expected': '2\n',
      't/c.sh': 'echo 3\n', 't/c.expected': '4\n',
    });
    const r = await oracle(d, ['run', '-j1']);
    expect(r.out).toContain('batch 1: 2 of its 3 tests ran one by one: the batch exited 3');
    expect(starts(d)).toEqual(['batch', 'one', 'one']);
    // b's own run exits 3 too, which this suite does not judge; c fails on its own output
    expect(r.out).toContainEqual(expect.stringMatching(/^3 tests in .*: 2 pass, 1 fail;/));
    expect(r.out.find((l) => l.startsWith('ERROR'))).toMatch(/^ERROR t\/c\.sh: expected "4" got "3"/);
  });

  it('kills a batch that runs past the timeout; the hung test then times out on its own', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': suite({ timeout: 1 }),
      'run-many.sh': RUNNER,
      't/a.sh': 'echo 1\n', 't/a.expected': '1\n',
      't/b.sh': 'sleep 30\n', 't/b.expected': '\n',
      't/c.sh': 'echo 3\n', 't/c.expected': '3\n',
    });
    const r = await oracle(d, ['run', '-j1']);
    expect(r.out).toContain('batch 1: 2 of its 3 tests ran one by one: the batch ran past the timeout (1s for the whole batch)');
    expect(starts(d)).toEqual(['batch', 'one', 'one']);
    expect(r.out).toContainEqual(expect.stringMatching(/^3 tests in .*: 2 pass, 1 timeout;/));
  });

  it('falls back to one process per test when the batch does not mark its tests', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': suite({ batch: "sh -c 'echo batch >> starts; cat \"$@\"' sh {tests}" }),
      't/a.sh': 'echo 1\n', 't/a.expected': '1\n',
      't/b.sh': 'echo 2\n', 't/b.expected': '2\n',
    });
    const r = await oracle(d, ['run', '-j1']);
    expect(r.out).toContain('batch 1: 2 of its 2 tests ran one by one: the batch printed no marker for 2 of them');
    expect(starts(d)).toEqual(['batch', 'one', 'one']);
    expect(r.out).toContainEqual(expect.stringMatching(/^2 tests in .*: 2 pass;/));
  });

  it('refuses a batch it could not judge, in one line', async ({ tmp: d }) => {
    writeFiles(d, { 't/a.sh': 'echo 1\n' });
    const bad = async (o: object) => {
      writeFiles(d, { 'test-oracle.json': suite(o) });
      const r = await oracle(d, ['run']);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      return r.err[0];
    };
    expect(await bad({ batch: 'sh run-many.sh' })).toMatch(/"batch" must say where the tests go, e\.g\. "\.\/run-many\.sh \{tests\}"/);
    expect(await bad({ batch: 'sh run-many.sh {test} {tests}' })).toMatch(/"batch" may use only \{tests\} \{root\} \{tool\} \(got \{test\}\)/);
    expect(await bad({ judge: 'exit' })).toMatch(/"batch" needs "judge": "stdout" and "expectExit": null/);
    expect(await bad({ expectExit: 0 })).toMatch(/"batch" needs "judge": "stdout" and "expectExit": null/);
    expect(await bad({ cwd: 'tmp' })).toMatch(/"batch" needs "cwd": "root"/);
    expect(await bad({ command: 'sh {tests}' })).toMatch(/"command" runs one test: \{tests\} belongs in "batch"/);
  });

  it('leaves out the batch under a command of its own: a tool\'s, or --cmd', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': suite({ tools: { other: { command: "sh -c 'echo one >> starts; . ./$0' {test}" } } }),
      'run-many.sh': RUNNER,
      't/a.sh': 'echo 1\n', 't/a.expected': '1\n',
    });
    expect((await oracle(d, ['run', '--tool', 'other'])).out[1]).toMatch(/1 pass/);
    expect(starts(d)).toEqual(['one']);
    expect((await oracle(d, ['run', '--cmd', "sh -c 'echo one >> starts; . ./$0' {test}"])).out[1]).toMatch(/1 pass/);
    expect(starts(d)).toEqual(['one', 'one']);
  });
});
