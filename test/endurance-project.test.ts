// The endurance project and the sim's endurance knobs on real git: the generated project's
// oracle and status tool judge alike, a solution makes exactly its test pass and its regress
// line breaks it, tasks of one table conflict under plain git; a sim session logs every
// commit it makes (all on main after it lands), and planned faults do what they say.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEnduranceProject } from '../demo/endurance/generate.js';
import { applySolution, readBankEntry } from '../demo/solution.js';
import type { PreparedDemo } from '../demo/index.js';
import { simAgentArgv } from '../demo/sim/index.js';
import { claudeRateLimitIn } from '../harness/agents/claude.js';
import { readCommitLog, reachable } from '../bench/endurance/collect.js';
import { lostCommits } from '../bench/endurance/checks.js';
import { main as oracle } from '../test-oracle/cli.js';
import { captureIo } from './helpers/io.js';
import { git, gitEnv, makeSwarm, tempDir, upstreamLocks, type Swarm } from './helpers/repos.js';
import { waitFor } from './helpers/swarm.js';

const t = tempDir('endurance-project-');
let p: PreparedDemo;
let swarm: Swarm;

beforeAll(async () => {
  p = await generateEnduranceProject(path.join(t.dir, 'gen'), { tasks: 24, tables: 3, seed: 'test' }, gitEnv());
  swarm = await makeSwarm({ from: p.project });
});
afterAll(() => {
  swarm?.cleanup();
  t.cleanup();
});

const status = (dir: string, only: string[] = []) => JSON.parse(execFileSync(process.execPath, ['tools/status.mjs', '--json', ...(only.length ? ['--only', ...only] : [])], { cwd: dir, encoding: 'utf8' })) as { tests: Record<string, { pass: boolean }>; tasks: Record<string, boolean>; passed: number; total: number };

describe('the endurance project', () => {
  it('starts with every task open; a solution passes exactly its test, its regress line fails it, and the oracle agrees with the status tool', async () => {
    expect(p.tasks).toHaveLength(24);
    expect(status(p.project)).toMatchObject({ passed: 0, total: 24 });
    const dir = path.join(t.dir, 'solved');
    cpSync(p.project, dir, { recursive: true });
    const [a, b] = p.tasks;
    for (const task of [a!, b!]) applySolution(dir, readBankEntry(p.bank, task));
    const s = status(dir);
    expect(Object.entries(s.tasks).filter(([, d]) => d).map(([k]) => k)).toEqual([a, b]);
    // --only: the named tests, and only the tasks they cover
    expect(status(dir, [`tests/${a}.in`, `tests/${p.tasks[5]}.in`])).toMatchObject({ passed: 1, total: 2, tasks: { [a!]: true, [p.tasks[5]!]: false } });
    expect(Object.keys(status(dir, [`tests/${b}.in`]).tasks)).toEqual([b]);
    // the oracle in batches (the config's "batch") and one process per test (--cmd) agree
    const oracleSays = async (...args: string[]) => {
      const { io, out } = captureIo(gitEnv(), dir, { merged: true });
      const code = await oracle(['run', '--no-record', '-j', '2', ...args], io);
      return { code, out };
    };
    const one = JSON.parse(readFileSync(path.join(dir, 'test-oracle.json'), 'utf8')).command as string;
    for (const r of [await oracleSays(), await oracleSays('--cmd', one)]) {
      expect(r.code).toBe(1);
      expect(r.out.join('\n')).toMatch(/24 tests in .*: 2 pass, 22 fail/);
    }
    applySolution(dir, { edits: readBankEntry(p.bank, a!).regress! });
    expect(status(dir).tasks[a!]).toBe(false);
    // a broken table file fails every test, with a reason; awk stops before any marker,
    // so the oracle runs each test alone and blames each
    writeFileSync(path.join(dir, 'src/table-02.awk'), 'function table_2( {\n');
    const broken = status(dir);
    expect(broken.passed).toBe(0);
    const alone = await oracleSays();
    expect(alone.out).toContain('batch 1: 12 of its 12 tests ran one by one: the batch exited 2');
    expect(alone.out.join('\n')).toMatch(/24 tests in .*: 24 fail/);
  });

  it('two tasks of one table conflict under plain git', () => {
    const [x, , , y] = p.tasks; // f0001 and f0004 are both in table 0 (3 tables)
    const one = path.join(t.dir, 'c1');
    const two = path.join(t.dir, 'c2');
    for (const [dir, task] of [[one, x!], [two, y!]] as const) {
      git(t.dir, 'clone', '-q', p.project, dir);
      applySolution(dir, readBankEntry(p.bank, task));
      git(dir, 'commit', '-qam', task);
    }
    let failed = false;
    try {
      execFileSync('git', ['-C', two, 'pull', '-q', '--no-rebase', one, 'main'], { env: gitEnv(), stdio: 'pipe' });
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(git(two, 'diff', '--name-only', '--diff-filter=U')).toBe('src/table-00.awk');
  }, 60_000);
});

describe('sim endurance knobs', () => {
  it('a session logs every commit it makes; after it lands they are all on main', async () => {
    const log = path.join(t.dir, 'commits.jsonl');
    const dir = swarm.clone('s1');
    const argv = simAgentArgv({ crash: 0, regress: 0, thinkMs: 0, bank: p.bank, commitLog: log });
    const r = await execa(argv[0]!, argv.slice(1), { cwd: dir, env: gitEnv({ HARNESS_AGENT: 'agent-1', HARNESS_SESSION: '1' }), extendEnv: false, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    const records = readCommitLog(log);
    expect(records.filter((x) => x.kind === 'commit').length).toBeGreaterThanOrEqual(2); // the work and the lock removal
    expect(lostCommits(records, reachable(swarm.upstream)).lost).toEqual([]);
    expect(upstreamLocks(swarm.upstream)).toEqual([]);
  });

  it('planned faults: a hang keeps its claim until killed, a rate limit is reported in Claude Code\'s words', async () => {
    const faults = path.join(t.dir, 'faults.json');
    writeFileSync(faults, JSON.stringify({ v: 1, sessions: { 'agent-2/1': { kind: 'hang' }, 'agent-3/1': { kind: 'ratelimit', resetInMs: 60_000 } } }));
    const argv = simAgentArgv({ crash: 0, regress: 0, thinkMs: 0, bank: p.bank, faults });
    const hung = execa(argv[0]!, argv.slice(1), { cwd: swarm.clone('s2'), env: gitEnv({ HARNESS_AGENT: 'agent-2', HARNESS_SESSION: '1' }), extendEnv: false, reject: false, all: true, timeout: 120_000 });
    let out = '';
    let exited = false;
    void hung.then(() => (exited = true));
    hung.all!.on('data', (d: Buffer) => (out += d.toString()));
    const rl = await execa(argv[0]!, argv.slice(1), { cwd: swarm.clone('s3'), env: gitEnv({ HARNESS_AGENT: 'agent-3', HARNESS_SESSION: '1' }), extendEnv: false, reject: false, all: true });
    expect(rl.exitCode).toBe(1);
    const events = (rl.stdout ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const limit = claudeRateLimitIn(events, Date.now());
    expect(limit?.until).toBeGreaterThan(Date.now() + 50_000);
    await waitFor('the hang', () => /HANG \(planned by --sim-faults\)/.test(out), 110_000);
    // Letting time pass is the test here: a hung session must not leave on its own.
    await new Promise((r) => setTimeout(r, 1000));
    expect(exited).toBe(false); // still there, holding its claim
    expect(upstreamLocks(swarm.upstream).length).toBe(1);
    hung.kill('SIGKILL');
    expect((await hung).signal).toBe('SIGKILL');
    expect(readFileSync(faults, 'utf8')).toContain('agent-2/1');
  });
});
