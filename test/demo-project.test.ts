// The demo project on real git: its initial state, that the bank solves it, that the
// oracle and the in-process status tool judge alike, that shared-file tasks really
// conflict under plain git, and demoStatus on a bare upstream.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoStatus, prepareDemo, type PreparedDemo } from '../demo/index.js';
import { applyEditsTo, applySolution, readBankEntry } from '../demo/solution.js';
import { captureIo } from './helpers/io.js';
import { main as oracle } from '../test-oracle/cli.js';
import { git, gitEnv, tempDir } from './helpers/repos.js';

const t = tempDir('demo-test-');
let demo: PreparedDemo;

beforeAll(async () => {
  demo = await prepareDemo(path.join(t.dir, 'demo'), { env: gitEnv() });
});
afterAll(() => t.cleanup());

function status(dir: string) {
  return JSON.parse(execFileSync(process.execPath, ['tools/status.mjs', '--json'], { cwd: dir, encoding: 'utf8' })) as {
    tests: Record<string, { pass: boolean }>;
    tasks: Record<string, boolean>;
    passed: number;
    total: number;
  };
}

/** A copy of the project with some solutions applied. */
function solvedCopy(name: string, tasks: string[]): string {
  const dir = path.join(t.dir, name);
  cpSync(demo.project, dir, { recursive: true });
  for (const task of tasks) applySolution(dir, readBankEntry(demo.bank, task));
  return dir;
}

async function runOracle(dir: string, args: string[]) {
  const { io, out } = captureIo(gitEnv(), dir, { merged: true });
  const code = await oracle(args, io);
  return { code, out };
}

describe('the demo project', () => {
  it('is a fresh repo with every task open, the suite configured and no claims; the bank is outside it', () => {
    expect(demo.tasks.length).toBeGreaterThanOrEqual(40);
    expect(git(demo.project, 'status', '--porcelain')).toBe('');
    expect(git(demo.project, 'rev-list', '--count', 'main')).toBe('1');
    expect(existsSync(path.join(demo.project, 'test-oracle.json'))).toBe(true);
    expect(existsSync(path.join(demo.project, 'current_tasks'))).toBe(false);
    expect(path.relative(demo.project, demo.bank).startsWith('..')).toBe(true);
    expect(readdirSync(demo.bank).filter((f) => f.endsWith('.json')).sort()).toEqual(demo.tasks.map((x) => `${x}.json`).sort());

    const s = status(demo.project);
    expect(Object.values(s.tasks).filter(Boolean)).toHaveLength(0);
    const taskTests = JSON.parse(readFileSync(path.join(demo.project, 'tasks.json'), 'utf8')).tasks.flatMap((x: { tests: string[] }) => x.tests);
    for (const id of taskTests) expect(s.tests[id]?.pass, id).toBe(false);
    // Only the core tests pass at the start.
    expect(Object.entries(s.tests).filter(([, r]) => r.pass).map(([id]) => id).every((id) => id.startsWith('tests/core-'))).toBe(true);
    expect(s.passed).toBe(s.total - taskTests.length);
  });

  it('passes its whole suite under test-oracle once every known solution is applied', async () => {
    const dir = solvedCopy('all', demo.tasks);
    const s = status(dir);
    expect(s.passed).toBe(s.total);
    const r = await runOracle(dir, ['run', '-j2', '--no-record']);
    expect(r.out.join('\n')).toMatch(new RegExp(`${s.total} pass; pass rate 100.0%`));
    expect(r.code).toBe(0);
  });

  it('is judged alike by test-oracle (one process per test) and tools/status.mjs (one process)', async () => {
    const dir = solvedCopy('half', demo.tasks.filter((_, i) => i % 2 === 0));
    const s = status(dir);
    const json = path.join(dir, 'r.json');
    await runOracle(dir, ['run', '-j2', '--no-record', '--json', json]);
    const results = JSON.parse(readFileSync(json, 'utf8')) as { tests: { id: string; result: string }[] };
    const byOracle = Object.fromEntries(results.tests.map((x) => [x.id, x.result === 'pass']));
    expect(byOracle).toEqual(Object.fromEntries(Object.entries(s.tests).map(([id, r]) => [id, r.pass])));
  });

  it('each task is tied to its own tests: its solution alone makes exactly them pass', () => {
    const sample = process.env.HARNESS_SLOW_TESTS ? demo.tasks : ['lex-block-comment', 'op-neg', 'stmt-const', 'expr-index', 'check-arity'];
    for (const task of sample) {
      const s = status(solvedCopy(`only-${task}`, [task]));
      expect(Object.entries(s.tasks).filter(([, d]) => d).map(([n]) => n), task).toEqual([task]);
    }
  });

  it('has tasks that conflict under plain git when solved in two clones at once, and the sim-style resolution passes both', async () => {
    const up = path.join(t.dir, 'up.git');
    git(t.dir, 'clone', '-q', '--bare', demo.project, up);
    const a = path.join(t.dir, 'ca');
    const b = path.join(t.dir, 'cb');
    git(t.dir, 'clone', '-q', up, a);
    git(t.dir, 'clone', '-q', up, b);
    applySolution(a, readBankEntry(demo.bank, 'op-mul'));
    applySolution(b, readBankEntry(demo.bank, 'op-div'));
    git(a, 'commit', '-qam', 'op-mul');
    git(b, 'commit', '-qam', 'op-div');
    git(a, 'push', '-q', 'origin', 'main');
    let failed = '';
    try {
      execFileSync('git', ['pull', '--rebase', '-q', 'origin', 'main'], { cwd: b, env: gitEnv(), stdio: 'pipe' });
    } catch (e) {
      failed = String((e as { stdout?: Buffer }).stdout ?? '') + String((e as { stderr?: Buffer }).stderr ?? '');
    }
    expect(failed).toMatch(/CONFLICT \(content\): Merge conflict in src\/operators\.mjs/);
    // Upstream's side plus this clone's own lines, as the sim resolves it.
    const theirs = git(b, 'show', ':2:src/operators.mjs') + '\n';
    const resolved = applyEditsTo(theirs, 'src/operators.mjs', readBankEntry(demo.bank, 'op-div').edits);
    writeFileSync(path.join(b, 'src/operators.mjs'), resolved);
    const s = status(b);
    expect(s.tasks['op-mul']).toBe(true);
    expect(s.tasks['op-div']).toBe(true);
  });

  it('demoStatus judges a commit of a bare upstream, and caches per commit', async () => {
    const up = path.join(t.dir, 'status.git');
    git(t.dir, 'clone', '-q', '--bare', demo.project, up);
    const s0 = await demoStatus(up, { env: gitEnv() });
    expect(s0).toMatchObject({ tasksDone: 0, tasksTotal: demo.tasks.length, claims: [], allDone: false });
    expect(s0.openTasks).toEqual(demo.tasks);
    const t0 = performance.now();
    expect(await demoStatus(up, { env: gitEnv() })).toBe(s0);
    expect(performance.now() - t0).toBeLessThan(1000);
    await expect(demoStatus(up, { ref: 'nope', env: gitEnv() })).rejects.toThrow(/no commit "nope"/);
  });
});
