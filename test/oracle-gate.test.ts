// The regression gate, from the CLI and as the upstream's pre-receive hook seen through a
// real `git push`.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { it, type Upstream } from './helpers/fixtures.js';
import { installGateHook } from '../test-oracle/index.js';
import { commitAll, git, isAlive, oracle, waitUntil, writeFiles } from './oracle-helpers.js';

const BIN = resolve(__dirname, '..', 'bin', 'test-oracle.js');

/** Clone w holds a three-test suite (one failing) pushed to the upstream. */
async function upstreamWithSuite({ dir: d, bare: up, clone }: Upstream) {
  const w = clone('w');
  writeFiles(w, {
    'test-oracle.json': JSON.stringify({ tests: 't', match: '*.sh', command: 'sh {test}', judge: 'stdout' }),
    't/a.sh': 'echo 1\n',
    't/a.expected': '1\n',
    't/b.sh': 'echo 2\n',
    't/b.expected': '2\n',
    't/broken.sh': 'echo nope\n',
    't/broken.expected': 'yes\n',
  });
  await commitAll(w, 'suite');
  await git(w, 'push', '-q', 'origin', 'main');
  return { d, up, w, clone };
}

async function push(w: string, ref = 'main') {
  return execa('git', ['push', 'origin', `HEAD:refs/heads/${ref}`], { cwd: w, reject: false });
}

/**
 * Clone w pushes a change of t/a.sh; while its gate runs (2 s, appending `echo WHAT` to the
 * marker file), a second clone pushes `files` on the same old main.
 */
async function secondPushDuringGate(upstream: Upstream, what: string, files: Record<string, string>) {
  const { d, up, w, clone } = await upstreamWithSuite(upstream);
  const w2 = clone('w2');
  const marker = join(d, 'gate-runs');
  installGateHook(up, `echo ${what} >> ${marker}; sleep 2`, { timeoutSec: 30 });
  writeFiles(w, { 't/a.sh': 'echo 1 # first\n' });
  await commitAll(w, 'first');
  writeFiles(w2, files);
  await commitAll(w2, 'second');
  const pushed = push(w);
  await waitUntil(() => existsSync(marker), 15_000); // the first gate is running: main has not moved yet
  const second = await push(w2);
  return { up, w, marker, first: await pushed, second };
}

describe('test-oracle gate', () => {
  it('fails on tests that passed at the recorded baseline, not on old failures', async ({ upstream }) => {
    const { w } = await upstreamWithSuite(upstream);
    const base = await git(w, 'rev-parse', 'HEAD');
    await oracle(w, ['run']);
    writeFiles(w, { 't/a.sh': 'echo 0\n', 't/new.sh': 'echo x\n' });
    await commitAll(w, 'break a, add a failing test');
    const r = await oracle(w, ['gate', '--baseline', base, '--no-baseline-run', '--no-record']);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/^gate: ran 4\/4 \(full suite\) at [0-9a-f]{7} vs baseline [0-9a-f]{7}$/);
    expect(r.out.filter((l) => l.startsWith('ERROR'))).toEqual([
      `ERROR gate: 1 test passed at ${base.slice(0, 7)} and fails at ${(await git(w, 'rev-parse', 'HEAD')).slice(0, 7)}: t/a.sh (expected "1" got "0" at line 1)`,
    ]);
    expect(r.out.at(-2)).toMatch(/^2 other tests did not pass/);
    writeFiles(w, { 't/a.sh': 'echo 1\n' });
    await commitAll(w, 'fix a');
    expect((await oracle(w, ['gate', '--baseline', base, '--no-record'])).code).toBe(0);
  });

  it('writes --json and --junit of the tests it ran, with its verdict', async ({ upstream }) => {
    const { w } = await upstreamWithSuite(upstream);
    const base = await git(w, 'rev-parse', 'HEAD');
    await oracle(w, ['run']);
    writeFiles(w, { 't/a.sh': 'echo 0\n' });
    const head = await commitAll(w, 'break a');
    const r = await oracle(w, ['gate', '--baseline', base, '--json', 'g.json', '--junit', 'g.xml']);
    expect(r.code).toBe(1);
    const json = JSON.parse(readFileSync(join(w, 'g.json'), 'utf8')) as { commit: string; counts: Record<string, number>; gate: { commit: string; baseline: string; regressions: string[] }; tests: { id: string; result: string }[] };
    expect(json.gate).toEqual({ commit: head, baseline: base, regressions: ['t/a.sh'] });
    expect(json.counts).toMatchObject({ pass: 1, fail: 2 });
    expect(json.tests.map((t) => `${t.id} ${t.result}`).sort()).toEqual(['t/a.sh fail', 't/b.sh pass', 't/broken.sh fail']);
    const xml = readFileSync(join(w, 'g.xml'), 'utf8');
    expect(xml).toMatch(/<testsuite name="test-oracle gate" tests="3" failures="2"/);
    // written after recording: the report files did not stop the run being recorded
    expect(r.out.at(-1)).toMatch(/^recorded on /);
  });

  it('runs the baseline itself when nothing was recorded there', async ({ upstream }) => {
    const { w } = await upstreamWithSuite(upstream);
    writeFiles(w, { 't/b.sh': 'exit 3\n' });
    await commitAll(w, 'break b');
    const r = await oracle(w, ['gate', '--no-record']);
    expect(r.code).toBe(1);
    expect(r.out.find((l) => l.startsWith('ERROR'))).toMatch(/^ERROR gate: 1 test passed at .* t\/b\.sh \(expected "2" got end of output at line 1; exit 3\)$/);
  });
});

describe('gate hook on the upstream', () => {
  it('rejects a pushed regression with one ERROR line, and accepts the fix', async ({ upstream }) => {
    const { up, w } = await upstreamWithSuite(upstream);
    installGateHook(up, `node ${BIN} gate`, { timeoutSec: 120 });
    writeFiles(w, { 't/a.sh': 'echo 41\n' });
    await commitAll(w, 'regress a');
    const rejected = await push(w);
    expect(rejected.exitCode).not.toBe(0);
    const errors = rejected.stderr.split('\n').filter((l) => /^remote: ERROR/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^remote: ERROR gate: 1 test passed at [0-9a-f]{7} and fails at [0-9a-f]{7}: t\/a\.sh \(expected "1" got "41" at line 1\)/);
    expect(rejected.stderr).toContain('pre-receive hook declined');
    writeFiles(w, { 't/a.sh': 'echo 1\n', 't/broken.sh': 'echo still broken\n' });
    await commitAll(w, 'fix a');
    const ok = await push(w);
    expect(ok.stderr).not.toMatch(/ERROR/);
    expect(ok.exitCode).toBe(0);
  });

  it('keeps its own results per commit: a test failing at the baseline is not run there again on the next push', async ({ upstream }) => {
    const { d, up, w } = await upstreamWithSuite(upstream);
    const runs = join(d, 'runs');
    writeFiles(w, { 't/broken.sh': `echo "$0" >> ${runs}; echo nope\n` });
    await commitAll(w, 'count the runs of the broken test');
    await git(w, 'push', '-q', 'origin', 'main');
    installGateHook(up, `node ${BIN} gate`, { timeoutSec: 120 });
    const count = () => (existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0);
    writeFiles(w, { 'NOTES.md': 'one\n' });
    await commitAll(w, 'first');
    expect((await push(w)).exitCode).toBe(0);
    expect(count()).toBe(2); // at the pushed commit, then at its baseline, which nobody had recorded
    writeFiles(w, { 'NOTES.md': 'two\n' });
    await commitAll(w, 'second');
    const second = await push(w);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(count()).toBe(3); // only at the pushed commit: the baseline's result is the first gate's own
    expect(readdirSync(join(up, 'test-oracle-gate')).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps one checkout for the gates: each sees exactly its commit, with the baseline\'s expected outputs and nothing a gate before it left', async ({ upstream }) => {
    const { up, w } = await upstreamWithSuite(upstream);
    // a test that fails once it meets a file a test left behind
    writeFiles(w, { 't/c.sh': '[ -e stray ] && echo seen || echo clean; touch stray\n', 't/c.expected': 'clean\n' });
    await commitAll(w, 'a test that leaves a file');
    await git(w, 'push', '-q', 'origin', 'main');
    installGateHook(up, `node ${BIN} gate`, { timeoutSec: 120 });
    const kept = join(up, 'test-oracle-gate.tree');
    // a regression hidden by editing its expected output: judged by the baseline's, refused
    writeFiles(w, { 't/a.sh': 'echo 9\n', 't/a.expected': '9\n' });
    await commitAll(w, 'break a, and its expected output');
    const hidden = await push(w);
    expect(hidden.exitCode).toBe(1);
    expect(hidden.stderr).toMatch(/remote: ERROR gate: 1 test passed at \w+ and fails at \w+: t\/a\.sh \(expected "1" got "9"/);
    expect(readFileSync(join(kept, 't/a.expected'), 'utf8')).toBe('1\n'); // the baseline's, written over the pushed one
    expect(existsSync(join(kept, 'stray'))).toBe(true);
    // the next gate starts from its own commit: a.sh and a.expected as pushed, no stray file
    await git(w, 'reset', '-q', '--hard', 'HEAD~1');
    writeFiles(w, { 'NOTES.md': 'one\n' });
    await commitAll(w, 'notes');
    const ok = await push(w);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(readFileSync(join(kept, 't/a.sh'), 'utf8')).toBe('echo 1\n');
    expect(readFileSync(join(kept, 'NOTES.md'), 'utf8')).toBe('one\n');
  });

  it('takes back the kept checkout from a gate killed while writing it (its index lock left behind)', async ({ upstream }) => {
    const { up, w } = await upstreamWithSuite(upstream);
    installGateHook(up, `node ${BIN} gate`, { timeoutSec: 120 });
    const kept = join(up, 'test-oracle-gate.tree');
    writeFiles(w, { 'NOTES.md': 'one\n' });
    await commitAll(w, 'one');
    expect((await push(w)).exitCode).toBe(0);
    expect(existsSync(kept)).toBe(true);
    // what `git read-tree` leaves when it is killed (a supervisor's kill -9 takes its server's gate with it)
    writeFileSync(join(up, 'test-oracle-gate.index.lock'), '');
    writeFiles(w, { 'NOTES.md': 'two\n' });
    await commitAll(w, 'two');
    const r = await push(w);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(join(up, 'test-oracle-gate.index.lock'))).toBe(false);
    expect(readFileSync(join(kept, 'NOTES.md'), 'utf8')).toBe('two\n'); // the kept checkout, not a throwaway one
  });

  it('answers a push that lost the ref to a move made without a push, and came back rebased, from the results kept for its content', async ({ upstream }) => {
    const { d, up, w, clone } = await upstreamWithSuite(upstream);
    const runs = join(d, 'runs');
    writeFiles(w, { 't/broken.sh': `echo "$0" >> ${runs}; echo nope\n` });
    await commitAll(w, 'count the runs of the broken test');
    await git(w, 'push', '-q', 'origin', 'main');
    const claimer = clone('claimer');
    const started = join(d, 'gate-started');
    installGateHook(up, `touch ${started}; sleep 2; node ${BIN} gate`, { timeoutSec: 120 });
    const count = () => (existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0);
    // A lock removal made in the bare repo itself (the supervisor's in-place landing) takes no turn in the queue.
    writeFiles(claimer, { 'current_tasks/x.txt': 'Agent: b\n' });
    await commitAll(claimer, 'claim x');
    await git(claimer, 'push', '-q', 'origin', 'HEAD:refs/heads/side');
    writeFiles(w, { 'NOTES.md': 'work\n' });
    await commitAll(w, 'work');
    const work = push(w);
    await waitUntil(() => existsSync(started), 15_000);
    await git(up, 'update-ref', 'refs/heads/main', await git(claimer, 'rev-parse', 'HEAD'));
    const lost = await work;
    expect(lost.exitCode).not.toBe(0); // its gate passed, then the ref had moved
    expect(count()).toBe(2); // the broken test at the pushed commit and at its baseline
    await git(w, 'pull', '-q', '--rebase', 'origin', 'main');
    const back = await push(w);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(count()).toBe(2); // nothing ran again: only current_tasks/ differs from what was judged
  });

  it('makes a claim pushed while a gate runs wait for it, then replays it onto the main the gated push made', async ({ upstream }) => {
    const { d, up, w, clone } = await upstreamWithSuite(upstream);
    const claimer = clone('claimer');
    const started = join(d, 'gate-started');
    installGateHook(up, `touch ${started}; sleep 2`, { timeoutSec: 120 });
    writeFiles(w, { 'NOTES.md': 'work\n' });
    await commitAll(w, 'work');
    const work = push(w);
    await waitUntil(() => existsSync(started), 15_000);
    writeFiles(claimer, { 'current_tasks/x.txt': 'Agent: b\n' });
    await commitAll(claimer, 'claim x');
    const mine = await git(claimer, 'rev-parse', 'HEAD');
    const claim = await push(claimer);
    const landed = await work;
    expect(landed.exitCode, landed.stderr).toBe(0);
    // The push itself is refused (it landed as another commit), and says which.
    expect(claim.exitCode).not.toBe(0);
    const said = /^remote: LANDED ([0-9a-f]{40}) on refs\/heads\/main: /m.exec(claim.stderr);
    expect(said, claim.stderr).not.toBeNull();
    expect(await git(up, 'rev-parse', 'main')).toBe(said![1]);
    expect(await git(up, 'log', '--format=%s', '-2', 'main')).toBe('claim x\nwork');
    expect(await git(up, 'rev-parse', 'main^')).toBe(await git(w, 'rev-parse', 'HEAD'));
    expect(await git(up, 'rev-parse', 'main^{tree}')).not.toBe(await git(claimer, 'rev-parse', `${mine}^{tree}`));
    expect(await git(up, 'show', 'main:current_tasks/x.txt')).toBe('Agent: b');
    const who = '%an <%ae> %at|%cn <%ce>';
    expect(await git(up, 'log', '-1', `--format=${who}`, 'main')).toBe(await git(claimer, 'log', '-1', `--format=${who}`, mine));
    expect(await git(up, 'fsck', '--no-dangling')).toBe(''); // every object of the replayed commit outlived the refused push's quarantine
  });

  it('replays no change main already has: of two identical prose-only claims that waited behind a gate, one lands and the other is refused as stale', async ({ upstream }) => {
    const { d, up, w, clone } = await upstreamWithSuite(upstream);
    const started = join(d, 'gate-started');
    installGateHook(up, `touch ${started}; sleep 2`, { timeoutSec: 120 });
    const claimers = [clone('c1'), clone('c2')];
    for (const c of claimers) {
      writeFiles(c, { 'current_tasks/x.txt': 'working on x\n' });
      await commitAll(c, 'claim x');
    }
    writeFiles(w, { 'NOTES.md': 'work\n' });
    await commitAll(w, 'work');
    const work = push(w);
    await waitUntil(() => existsSync(started), 15_000);
    const claims = await Promise.all(claimers.map((c) => push(c)));
    expect((await work).exitCode).toBe(0);
    const said = claims.map((r) => (/^remote: LANDED /m.test(r.stderr) ? 'landed' : /\(stale info\)/.test(r.stderr) ? 'stale' : r.stderr));
    expect(said.sort()).toEqual(['landed', 'stale']);
    expect(await git(up, 'log', '--format=%s', '-3', 'main')).toBe('claim x\nwork\nsuite');
  });

  it('lets lock-file pushes and wip branches through without running the gate', async ({ upstream }) => {
    const { d, up, w } = await upstreamWithSuite(upstream);
    const marker = join(d, 'gate-ran');
    installGateHook(up, `echo ran >> ${marker}; echo 'ERROR nope'; exit 1`, { timeoutSec: 30 });
    writeFiles(w, { 'current_tasks/test-a.txt': 'Agent: a\n\nfixing a\n' });
    await commitAll(w, 'claim test-a');
    expect((await push(w)).exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
    writeFiles(w, { 't/a.sh': 'echo 5\n' });
    await commitAll(w, 'work in progress');
    expect((await push(w, 'wip/agent-1/3')).exitCode).toBe(0);
    const r = await push(w);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^remote: ERROR nope/m);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
  });

  it('runs one gate at a time, and gates a push whose base moved while it waited as replayed onto the new main', async ({ upstream }) => {
    const { up, w, marker, first, second } = await secondPushDuringGate(upstream, '"$TEST_ORACLE_COMMIT $TEST_ORACLE_BASELINE"', { 't/b.sh': 'echo 2 # second\n' });
    expect(first.exitCode).toBe(0);
    const one = await git(w, 'rev-parse', 'HEAD');
    const said = /^remote: LANDED ([0-9a-f]{40}) on refs\/heads\/main: /m.exec(second.stderr);
    expect(said, second.stderr).not.toBeNull();
    const two = said![1]!;
    // Two gates, one after the other; the second judged the replayed commit against the first.
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toEqual([`${one} ${await git(w, 'rev-parse', 'HEAD^')}`, `${two} ${one}`]);
    expect(await git(up, 'rev-parse', 'main')).toBe(two);
    expect(await git(up, 'show', 'main:t/a.sh', 'main:t/b.sh')).toBe('echo 1 # first\necho 2 # second');
  });

  it('refuses at once, without a gate, a push whose base moved while it waited and that conflicts with the new main', async ({ upstream }) => {
    const { up, w, marker, first, second } = await secondPushDuringGate(upstream, '"$TEST_ORACLE_COMMIT"', { 't/a.sh': 'echo 1 # second\n' });
    expect(first.exitCode).toBe(0);
    expect(second.exitCode).not.toBe(0);
    expect(second.stderr).toMatch(/^remote: refs\/heads\/main moved to [0-9a-f]+ while this push waited \(stale info\)/m);
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toEqual([await git(w, 'rev-parse', 'HEAD')]);
    expect(await git(up, 'rev-parse', 'main')).toBe(await git(w, 'rev-parse', 'HEAD'));
  });

  it('lets the push through with a warning when the gate overruns its limit, leaving nothing running', async ({ upstream }) => {
    const { d, up, w } = await upstreamWithSuite(upstream);
    const pidFile = join(d, 'gate.pid');
    installGateHook(up, `sleep 300 & echo $! > ${pidFile}; wait`, { timeoutSec: 1 });
    writeFiles(w, { 't/a.sh': 'echo 1 # touched\n' });
    await commitAll(w, 'slow gate');
    const r = await push(w);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^remote: WARNING test gate for refs\/heads\/main at [0-9a-f]{7} passed its 1s limit/m);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntil(() => !isAlive(pid))).toBe(true);
  });

  it('stops a real gate stuck on a hung test at the limit, killing the test too', async ({ upstream }) => {
    const { d, up, w } = await upstreamWithSuite(upstream);
    const pidFile = join(d, 'test.pid');
    // Long enough for node to start and reach the test on a loaded machine.
    installGateHook(up, `node ${BIN} gate --timeout=100`, { timeoutSec: 6 });
    writeFiles(w, { 't/hang.sh': `sleep 300 &\necho $! > ${pidFile}\nsleep 300\n`, 't/hang.expected': '' });
    await commitAll(w, 'add a test that hangs');
    const r = await push(w);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^remote: WARNING test gate for refs\/heads\/main at [0-9a-f]{7} passed its 6s limit/m);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntil(() => !isAlive(pid))).toBe(true);
  });

  it('refuses to replace a hook it did not write, and validates its inputs', async ({ upstream }) => {
    const { up } = await upstreamWithSuite(upstream);
    writeFileSync(join(up, 'hooks', 'pre-receive'), '#!/bin/sh\nexit 0\n');
    expect(() => installGateHook(up, 'true')).toThrow(/not written by test-oracle/);
    expect(installGateHook(up, 'true', { force: true })).toBe(join(up, 'hooks', 'pre-receive'));
    expect(() => installGateHook(up, 'true', { timeoutSec: 60 })).not.toThrow();
    expect(() => installGateHook(join(up, 'nope'), 'true')).toThrow(/not a bare git repository/);
    expect(() => installGateHook(up, '  ')).toThrow(/gate command is empty/);
  });
});
