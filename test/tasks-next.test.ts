// Failing tests become work (`harness task next`), and the upstream gate installed by
// `harness init --gate` refuses a push that breaks a passing test: real suites, real git.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { main as oracleMain } from '../test-oracle/cli.js';
import { captureIo } from './helpers/io.js';
import { git, gitEnv, harness, makeSwarm, tempDir, upstreamLocks, type Swarm } from './helpers/repos.js';

let swarm: Swarm | undefined;
let cleanups: (() => void)[] = [];
afterEach(() => {
  swarm?.cleanup();
  swarm = undefined;
  cleanups.forEach((c) => c());
  cleanups = [];
});

/** A project whose test tN passes once the file fixed/N exists. */
function makeProject(n: number): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dir = path.join(t.dir, 'proj');
  mkdirSync(path.join(dir, 'tests'), { recursive: true });
  mkdirSync(path.join(dir, 'fixed'));
  writeFileSync(path.join(dir, 'fixed/.keep'), '');
  writeFileSync(path.join(dir, 'test-oracle.json'), JSON.stringify({ tests: 'tests', match: '*.sh', command: 'sh {test}', judge: 'exit', timeout: 10 }));
  for (let i = 1; i <= n; i++) writeFileSync(path.join(dir, `tests/t${i}.sh`), `test -e fixed/${i}\n`);
  writeFileSync(path.join(dir, 'fixed/1'), ''); // t1 passes from the start
  git(t.dir, 'init', '-q', '-b', 'main', dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'project');
  return dir;
}

async function oracle(cwd: string, args: string[], env: Record<string, string> = {}) {
  const { io, out } = captureIo(gitEnv(env), cwd, { merged: true });
  const code = await oracleMain(args, io);
  return { code, out };
}

/** A suite under two tools (a tools map, no top-level command): tests/t1 fails under tcc only. */
function twoToolProject(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dir = path.join(t.dir, 'proj');
  mkdirSync(path.join(dir, 'tests'), { recursive: true });
  writeFileSync(path.join(dir, 'test-oracle.json'), JSON.stringify({ tests: 'tests', match: '*.sh', judge: 'exit', tools: { gcc: { command: 'sh {test} gcc' }, tcc: { command: 'sh {test} tcc' } } }));
  writeFileSync(path.join(dir, 'tests/t1.sh'), 'test "$1" != tcc\n');
  writeFileSync(path.join(dir, 'tests/t2.sh'), 'true\n');
  git(t.dir, 'init', '-q', '-b', 'main', dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'project');
  return dir;
}

describe('harness task next', () => {
  it('merges the backlog with the failing tests of real oracle results: priority first, failing tests as 0, dependencies respected', async () => {
    swarm = await makeSwarm({ from: makeProject(3) });
    const a = swarm.clone('a');
    expect((await oracle(a, ['run', '-j', '2'])).code).toBe(1); // t2, t3 fail
    expect((await oracle(a, ['notes-sync'])).code).toBe(0);
    const add = async (...args: string[]) => expect((await harness(a, ['task', 'add', ...args], { HARNESS_AGENT: 'pm' })).code).toBe(0);
    await add('urgent', '-p', '5');
    await add('after-urgent', '-p', '9', '-d', 'urgent');
    await add('later', '-p', '-1');

    const b = swarm.clone('b');
    const next = async (agent: string) => {
      const r = await harness(b, ['task', 'next', '--claim'], { HARNESS_AGENT: agent });
      return { code: r.code, line: r.out[0] ?? r.err[0] ?? '' };
    };
    expect(await next('a1')).toEqual({ code: 0, line: 'claimed: urgent  (backlog, priority 5)' }); // after-urgent (9) waits on it
    const tests = [await next('a2'), await next('a3')];
    expect(tests.map((t) => t.code)).toEqual([0, 0]);
    expect(tests.map((t) => /^claimed: (test-tests-t\d\.sh)/.exec(t.line)?.[1]).sort()).toEqual(['test-tests-t2.sh', 'test-tests-t3.sh']);
    expect(await next('a4')).toEqual({ code: 0, line: 'claimed: later  (backlog, priority -1)' }); // below the failing tests
    const none = await next('a5');
    expect(none.code).toBe(1); // after-urgent is blocked, everything else held
    expect((await harness(a, ['task', 'done', 'urgent'], { HARNESS_AGENT: 'a1' })).code).toBe(0);
    expect(await next('a5')).toEqual({ code: 0, line: 'claimed: after-urgent  (backlog, priority 9, after urgent)' });
    expect(upstreamLocks(swarm.upstream).sort()).toEqual(['after-urgent', 'later', 'test-tests-t2.sh', 'test-tests-t3.sh']);
  });

  it('takes each tool\'s own results: a later gcc run does not hide a tcc failure, and the hint carries --tool', async () => {
    swarm = await makeSwarm({ from: twoToolProject() });
    const a = swarm.clone('a');
    expect((await oracle(a, ['run', '--tool=tcc'])).code).toBe(1);
    expect((await oracle(a, ['run', '--tool=gcc'])).code).toBe(0); // the same commit, later, passing
    expect((await oracle(a, ['notes-sync'])).code).toBe(0);
    const r = await harness(a, ['task', 'next', '--claim'], { HARNESS_AGENT: 'a1' });
    expect(r.code, r.err.join()).toBe(0);
    expect(r.out[0]).toMatch(/^claimed: test-tests-t1\.sh  \(tests\/t1\.sh: fail under tcc, /);
    const hint = "test-oracle run --tool=tcc --filter '^tests/t1\\.sh$'";
    expect(r.out).toContain(`rerun it: ${hint}`);
    expect(git(swarm.upstream, 'show', 'main:current_tasks/test-tests-t1.sh.txt')).toContain(`Rerun it: ${hint}`);
    // the hint runs as written (without --tool this suite is CONFIG_INVALID) and shows the failure
    const again = await oracle(a, ["run", '--tool=tcc', '--filter', '^tests/t1\\.sh$']);
    expect(again.code).toBe(1);
    expect(again.out.join('\n')).toMatch(/^ERROR tests\/t1\.sh: /m);
  });


  it('proposes unclaimed failing tests from recorded results, spreads agents, and claims with --claim', async () => {
    swarm = await makeSwarm({ from: makeProject(5) });
    const a = swarm.clone('a');
    const none = await harness(a, ['task', 'next'], { HARNESS_AGENT: 'a1' });
    expect(none.code).toBe(1);
    expect(none.out[0]).toMatch(/no recorded test results/);

    expect((await oracle(a, ['run', '-j', '2'])).code).toBe(1); // t2..t5 fail
    expect((await oracle(a, ['notes-sync'])).code).toBe(0);

    const b = swarm.clone('b');
    const picks = new Set<string>();
    for (const agent of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) {
      const r = await harness(b, ['task', 'next', '--json'], { HARNESS_AGENT: agent });
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out[0]!);
      expect(j.kind).toBe('proposed');
      expect(['t2.sh', 't3.sh', 't4.sh', 't5.sh'].map((t) => `tests/${t}`)).toContain(j.proposal.testId);
      picks.add(j.proposal.task);
    }
    expect(picks.size).toBeGreaterThan(1); // different agents, different failures

    const claimed: string[] = [];
    for (const agent of ['a1', 'a2', 'a3', 'a4']) {
      const r = await harness(b, ['task', 'next', '--claim'], { HARNESS_AGENT: agent });
      expect(r.code, r.err.join()).toBe(0);
      expect(r.out[0]).toMatch(/^claimed: test-tests-t\d\.sh/);
      claimed.push(r.out[0]!.split(' ')[1]!);
    }
    expect(new Set(claimed).size).toBe(4);
    expect(upstreamLocks(swarm.upstream)).toEqual(['test-tests-t2.sh', 'test-tests-t3.sh', 'test-tests-t4.sh', 'test-tests-t5.sh']);
    expect(git(swarm.upstream, 'show', 'main:current_tasks/test-tests-t2.sh.txt')).toMatch(/Failing test tests\/t2\.sh \(fail\)/);

    const full = await harness(b, ['task', 'next'], { HARNESS_AGENT: 'a5' });
    expect(full.code).toBe(1);
    expect(full.out[0]).toMatch(/all 4 failing tests are claimed/);
  });
});

describe('harness init --gate', () => {
  it('installs a pre-receive gate that refuses a regression with one ERROR line and lets fixes through', async () => {
    const project = makeProject(3);
    swarm = await makeSwarm({ from: project });
    const r = await harness(swarm.root, ['init', '--gate', 'test-oracle gate', '--gate-timeout', '60s']);
    expect(r.code, r.err.join()).toBe(0);
    expect(r.out.join('\n')).toMatch(/gate: pushes to main run .*dist\/test-oracle\.js'? gate/);

    const a = swarm.clone('a');
    // a fix lands, with results recorded for the baseline
    writeFileSync(path.join(a, 'fixed/2'), '');
    git(a, 'add', '-A');
    git(a, 'commit', '-qm', 'fix t2');
    expect((await oracle(a, ['run', '-j', '2'])).code).toBe(1); // t3 still fails
    await oracle(a, ['notes-sync']);
    const ok = await execa('git', ['push', 'origin', 'HEAD:main'], { cwd: a, env: gitEnv(), extendEnv: false, reject: false });
    expect(ok.exitCode, ok.stderr).toBe(0);

    // a regression: t1 passed at the baseline and fails now
    git(a, 'rm', '-q', 'fixed/1');
    git(a, 'commit', '-qm', 'break t1');
    const bad = await execa('git', ['push', 'origin', 'HEAD:main'], { cwd: a, env: gitEnv(), extendEnv: false, reject: false });
    expect(bad.exitCode).not.toBe(0);
    const errors = bad.stderr.split('\n').filter((l) => /^remote: ERROR/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('tests/t1.sh');
    expect(git(swarm.upstream, 'log', '-1', '--format=%s', 'main')).toBe('fix t2');

    // claims skip the gate: they change only current_tasks/
    expect((await harness(a, ['task', 'claim', 'anything'], { HARNESS_AGENT: 'x' })).code).toBe(0);
  });

  it('refuses an empty gate command with exit 2', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const r = await harness(t.dir, ['init', '--gate', ' ']);
    expect(r.code).toBe(2);
  });
});
