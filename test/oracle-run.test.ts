// `test-oracle run` on real suites in temp folders: C programs built with gcc, shell
// tests that hang, fork, crash and print megabytes; real git for recorded results.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { inSample } from '../harness/kit/hash.js';
import { commitAll, initRepo, isAlive, oracle, waitUntil, writeFiles } from './oracle-helpers.js';

const cfg = (o: object) => JSON.stringify(o);

describe('test-oracle run on real suites', () => {
  it('judges C programs by their stdout: wrong output, crashes, passes', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': cfg({ tests: 'tests', match: '*.c', command: 'gcc -w -o {tmp}/a.out {test} && {tmp}/a.out', judge: 'stdout', timeout: 60 }),
      'tests/ok.c': '#include <stdio.h>\nint main(void){ printf("1\\n2\\n42\\n"); return 0; }\n',
      'tests/ok.expected': '1\n2\n42\n',
      'tests/wrong.c': '#include <stdio.h>\nint main(void){ printf("1\\n2\\n41\\n"); return 0; }\n',
      'tests/wrong.expected': '1\n2\n42\n',
      'tests/segv.c': '#include <stdio.h>\nint main(void){ puts("before"); fflush(stdout); volatile int *p = 0; return *p; }\n',
      'tests/segv.expected': 'before\n',
      'tests/noexp.c': 'int main(void){ return 0; }\n',
    });
    const r = await oracle(d, ['run', '-j2', '--json', 'out.json', '--junit', 'out.xml']);
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe('ran 4/4 (full suite)');
    expect(r.out[1]).toMatch(/^4 tests in .*: 1 pass, 1 fail, 1 crash, 1 error; pass rate 25\.0%$/);
    const errors = r.out.filter((l) => l.startsWith('ERROR '));
    expect(errors[0]).toMatch(/^ERROR tests\/wrong\.c: expected "42" got "41" at line 3 \(log: \.test-oracle\/logs\/tests\/wrong\.c\.log\)$/);
    expect(errors[1]).toMatch(/^ERROR tests\/segv\.c: exit 139 \(SIGSEGV\)/);
    expect(errors[2]).toMatch(/^ERROR tests\/noexp\.c: no expected output \(create tests\/noexp\.expected\)/);
    expect(r.out).toContain('not recorded: not in a git work tree');
    const log = errors[0]!.match(/\(log: (.*)\)$/)![1]!;
    expect(readFileSync(join(d, log), 'utf8')).toMatch(/^\$ gcc .*\n1\n2\n41\n[^]*FAIL: expected "42"/);
    const json = JSON.parse(readFileSync(join(d, 'out.json'), 'utf8'));
    expect(json.counts).toMatchObject({ pass: 1, fail: 1, crash: 1, error: 1 });
    expect(json.tests.map((t: { id: string }) => t.id).sort()).toEqual(['tests/noexp.c', 'tests/ok.c', 'tests/segv.c', 'tests/wrong.c']);
    expect(readFileSync(join(d, 'out.xml'), 'utf8')).toContain('<testsuite name="test-oracle" tests="4" failures="2" errors="1"');
  });

  it('runs a folder per test against its expected.stdout', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': cfg({ tests: 'suite', layout: 'dir', match: 'main.sh', command: 'sh {test}/main.sh', judge: 'output' }),
      'suite/0001/main.sh': 'echo hello; echo to-stderr >&2\n',
      'suite/0001/expected.stdout': 'hello\nto-stderr\n',
      'suite/0002/main.sh': 'echo bye\n',
      'suite/0002/expected.stdout': 'hello\n',
      'suite/README': 'not a test\n',
    });
    const r = await oracle(d, ['run']);
    expect(r.out[0]).toBe('ran 2/2 (full suite)');
    expect(r.out.filter((l) => l.startsWith('ERROR'))).toEqual([expect.stringMatching(/^ERROR suite\/0002: expected "hello" got "bye" at line 1 /)]);
  });

  for (const launcher of ['native', 'node']) {
    it(`kills hung and forking tests with their whole process group, and keeps megabytes in logs (${launcher} launcher)`, async ({ tmp: d }) => {
      const pids = join(d, 'pids');
      writeFiles(d, {
        'test-oracle.json': cfg({ tests: 't', match: '*.sh', command: 'sh {test}', timeout: 1 }),
        't/hang.sh': 'sleep 100\n',
        't/fork.sh': `sleep 300 &\necho $! > ${pids}-fork\nexit 0\n`,
        't/forkhang.sh': `sleep 300 &\necho $! > ${pids}-forkhang\nsleep 300\n`,
        't/big.sh': "head -c 5000000 /dev/zero | tr '\\0' x\necho\necho done\n",
        't/abort.sh': 'echo "assertion failed: x == 3" >&2\nkill -ABRT $$\n',
        't/missing.sh': 'exit 0\n',
        // The launcher itself ignores SIGPIPE; a test must not inherit that.
        't/pipe.sh': 'kill -PIPE $$\necho survived\n',
      });
      const r = await oracle(d, ['run', '-j4', '--cmd', 'sh {test}'], { TEST_ORACLE_LAUNCHER: launcher });
      expect(r.code).toBe(1);
      const errors = r.out.filter((l) => l.startsWith('ERROR'));
      expect(errors).toHaveLength(4);
      expect(errors[0]).toMatch(/^ERROR t\/(abort|pipe)\.sh: exit 1(34|41) \(SIG(ABRT|PIPE)\)/);
      expect(errors.slice(0, 2).sort()).toEqual([
        expect.stringMatching(/^ERROR t\/abort\.sh: exit 134 \(SIGABRT\): "assertion failed: x == 3" \(log: /),
        expect.stringMatching(/^ERROR t\/pipe\.sh: exit 141 \(SIGPIPE\) \(log: /),
      ]);
      expect(errors.slice(2).sort()).toEqual([
        expect.stringMatching(/^ERROR t\/forkhang\.sh: timeout after 1s /),
        expect.stringMatching(/^ERROR t\/hang\.sh: timeout after 1s /),
      ]);
      for (const f of ['fork', 'forkhang']) {
        const pid = Number(readFileSync(`${pids}-${f}`, 'utf8'));
        expect(await waitUntil(() => !isAlive(pid))).toBe(true);
      }
      expect(statSync(join(d, '.test-oracle', 'logs', 't', 'big.sh.log')).size).toBeGreaterThan(5_000_000);
      // A command that cannot start is an error with a reason, under either launcher.
      const bad = await oracle(d, ['run', '--cmd', './nope {test}', '--filter', 'missing'], { TEST_ORACLE_LAUNCHER: launcher });
      expect(bad.out.find((l) => l.startsWith('ERROR'))).toMatch(/^ERROR t\/missing\.sh: could not start: \.\/nope not found \(check "command" and the working directory\) \(log: /);
    });
  }

  it('finds a difference deep in large output without reading it all', async ({ tmp: d }) => {
    const expected = Array.from({ length: 100000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    writeFiles(d, {
      'test-oracle.json': cfg({ tests: 't', match: '*.sh', command: 'sh {test}', judge: 'stdout' }),
      't/a.sh': "seq 1 100000 | sed 's/^/line /; 50000s/.*/oops/'\n",
      't/a.expected': expected,
    });
    const r = await oracle(d, ['run']);
    expect(r.out.find((l) => l.startsWith('ERROR'))).toMatch(/^ERROR t\/a\.sh: expected "line 50000" got "oops" at line 50000 /);
  });

  it('samples per seed, says what ran, and prints the commands that rerun it', async ({ tmp: d }) => {
    const files: Record<string, string> = { 'test-oracle.json': cfg({ tests: 't', match: '*.sh', command: 'sh {test}' }) };
    for (let i = 0; i < 200; i++) files[`t/t${i}.sh`] = i % 7 === 0 ? 'exit 1\n' : 'exit 0\n';
    writeFiles(d, files);
    const expectN = Object.keys(files).filter((f) => f.startsWith('t/') && inSample('agent-test', f, 10)).length;
    const r = await oracle(d, ['run', '--fast', '--no-record']);
    expect(r.out[0]).toBe(`ran ${expectN}/200 (10%, seed=agent-test)`);
    expect(r.out).toContain('rerun this selection: test-oracle run --fast=10 --seed=agent-test');
    expect(r.out).toContain('run the full suite: test-oracle run');
    const other = await oracle(d, ['run', '--fast=25', '--seed', 'x', '--filter', 't1']);
    expect(other.out[0]).toMatch(/^ran \d+\/200 \(25%, seed=x, filter=t1\)$/);
  });

  it('stays within ~40 lines when everything fails, with the rest in a file', async ({ tmp: d }) => {
    const files: Record<string, string> = { 'test-oracle.json': cfg({ tests: 't', command: 'sh {test}' }) };
    for (let i = 0; i < 120; i++) files[`t/t${String(i).padStart(3, '0')}.sh`] = `echo "failure number ${i}"\nexit 3\n`;
    writeFiles(d, files);
    const r = await oracle(d, ['run']);
    expect(r.code).toBe(1);
    expect(r.out.length).toBeLessThanOrEqual(40);
    expect(r.out.filter((l) => l.startsWith('ERROR'))[0]).toMatch(/^ERROR t\/t\d+\.sh: exit 3: "failure number \d+" \(log: /);
    const more = r.out.find((l) => l.startsWith('… and '))!;
    expect(more).toMatch(/^… and 90 more \(see (.*failures\.txt)\)$/);
    const file = more.match(/see (.*)\)$/)![1]!;
    expect(readFileSync(join(d, file), 'utf8').trim().split('\n')).toHaveLength(120);
  });

  it('reruns what failed last time, failed first', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': cfg({ tests: 't', command: 'sh {test}' }),
      't/a.sh': 'exit 0\n',
      't/b.sh': 'exit 1\n',
      't/c.sh': 'exit 2\n',
    });
    expect((await oracle(d, ['run', '--failed'])).code).toBe(2);
    expect((await oracle(d, ['run'])).code).toBe(1);
    writeFiles(d, { 't/b.sh': 'exit 0\n' });
    const r = await oracle(d, ['run', '--failed', '--json', 'r.json']);
    expect(r.out[0]).toBe('ran 2/3 (failed last time)');
    expect(r.out).toContain('rerun this selection: test-oracle run --failed');
    const again = await oracle(d, ['run', '--failed']);
    expect(again.out[0]).toBe('ran 1/3 (failed last time)');
    // A run that leaves c out (a --filter, or a --fast sample) does not forget that c failed.
    expect((await oracle(d, ['run', '--filter', 'a'])).code).toBe(0);
    const still = await oracle(d, ['run', '--failed']);
    expect(still.out[0]).toBe('ran 1/3 (failed last time)');
    expect(still.out.some((l) => l.startsWith('ERROR t/c.sh'))).toBe(true);
  });

  it('applies a tool\'s skip list', async ({ tmp: d }) => {
    writeFiles(d, {
      'test-oracle.json': cfg({ tests: 't', command: 'sh {test}', skip: { mycc: 'skips.txt', '*': ['t/never.sh'] } }),
      'skips.txt': '# known to be unsupported\nt/b.sh\n',
      't/a.sh': 'exit 0\n',
      't/b.sh': 'exit 1\n',
      't/never.sh': 'exit 1\n',
    });
    const r = await oracle(d, ['run', '--tool', 'mycc']);
    expect(r.out[0]).toBe('ran 1/1 (full suite, 2 skipped for mycc)');
    expect(r.code).toBe(0);
    expect((await oracle(d, ['run'], { TEST_ORACLE_TOOL: 'other' })).out[0]).toBe('ran 2/2 (full suite, 1 skipped for other)');
  });
});

describe('test-oracle run: usage and config errors', () => {
  it('reports every bad field in one line and exits 2', async ({ tmp: d }) => {
    writeFiles(d, { 'test-oracle.json': cfg({ command: 'sh {tset}', timeout: 'ten', judge: 'maybe', colour: 1 }) });
    const r = await oracle(d, ['run']);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/unknown field "colour"/);
    expect(r.err[0]).toMatch(/"command" has unknown placeholder \{tset\}/);
    expect(r.err[0]).toMatch(/"timeout" must be a number of seconds > 0 \(got "ten"\)/);
    expect(r.err[0]).toMatch(/"judge" must be one of "exit", "stdout", "output"/);
    expect(r.err[0]).toMatch(/\[CONFIG_INVALID\]$/);
  });

  it('says how to fix a missing config, bad flags and an empty suite', async ({ tmp: d }) => {
    expect((await oracle(d, ['run'])).err[0]).toMatch(/no test-oracle\.json in .* or pass --cmd/);
    writeFiles(d, { 'x.json': '{ nope' });
    expect((await oracle(d, ['run', '--config', 'x.json'])).err[0]).toMatch(/not valid JSON/);
    writeFiles(d, { 't/a.sh': 'exit 0\n' });
    for (const args of [['--fast=200'], ['-j', '0'], ['--filter', '(']]) {
      const r = await oracle(d, ['run', '--cmd', 'sh {test}', '--tests', 't', ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
    }
    const empty = await oracle(d, ['run', '--cmd', 'sh {test}', '--tests', 't', '--match', '*.c']);
    expect(empty.err[0]).toMatch(/no tests found under .* matching \*\.c/);
    const ok = await oracle(d, ['run', '--cmd', 'sh {test}', '--tests', 't']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("run the full suite: test-oracle run --cmd='sh {test}' --tests=t");
  });

  it('explains itself with --help', async () => {
    const r = await execa('node', ['bin/test-oracle.js', 'run', '--help'], { cwd: join(__dirname, '..') });
    expect(r.stdout).toContain('--fast');
    expect(r.stdout).toContain('test-oracle.json');
    expect(r.stdout).toContain('Exit: 0 all selected passed');
  });
});

describe('results recorded in git', () => {
  it('records clean runs as notes, compares with the last one, and shows history', async ({ tmp: d }) => {
    await initRepo(d);
    writeFiles(d, {
      'test-oracle.json': cfg({ tests: 't', command: 'sh {test}' }),
      't/a.sh': 'exit 0\n',
      't/b.sh': 'exit 0\n',
      't/c.sh': 'exit 1\n',
    });
    const c1 = await commitAll(d, 'first');
    const r1 = await oracle(d, ['run']);
    expect(r1.out).toContain('no earlier recorded result on this branch to compare with');
    expect(r1.out.at(-1)).toBe(`recorded on ${c1.slice(0, 7)} in refs/notes/test-oracle (share: test-oracle notes-sync)`);
    await oracle(d, ['run', '--fast=50', '--seed=s2']);
    writeFiles(d, { 't/a.sh': 'exit 1\n', 't/c.sh': 'exit 0\n' });
    const dirty = await oracle(d, ['run']);
    expect(dirty.out.at(-1)).toMatch(/^not recorded: tracked files have uncommitted changes/);
    await commitAll(d, 'second');
    const r2 = await oracle(d, ['run']);
    // compared with the full run on c1, not the newer 50% sample there
    expect(r2.out).toContain(`vs ${c1.slice(0, 7)} (full run, 1 commit back, 3 tests in common): 66.7% -> 66.7%, 1 newly failing, 1 fixed`);
    expect(r2.out.find((l) => l.startsWith('ERROR'))).toMatch(/^ERROR t\/a\.sh: exit 1/);
    const h = await oracle(d, ['history']);
    expect(h.out).toHaveLength(3);
    expect(h.out[1]).toMatch(/^[0-9a-f]{7} \d{4}-\d\d-\d\d - +66\.7% +2\/3 full +second$/);
    expect(h.out[2]).toMatch(/66\.7% +2\/3 full +first$/);
    expect((await oracle(d, ['history', '--limit', '0'])).code).toBe(2);
  });
});
