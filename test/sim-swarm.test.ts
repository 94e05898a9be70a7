// The sim agent on real git with real processes, driven by a small loop of our own
// instead of the supervisor: sessions claim, land with trailers, resolve real conflicts
// on shared files, crash on purpose (the loop cleans up as the supervisor would), push
// regressions that later sessions repair, and the swarm still finishes every task.
// Idle sessions wait for upstream to move (idleMs) rather than churn, so a loaded machine
// slows these tests down without using up an agent's sessions.
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { demoStatus, prepareDemo } from '../demo/index.js';
import { simAgentArgv } from '../demo/sim/index.js';
import { git, gitEnv, makeSwarm, tempDir, upstreamLocks, type Swarm } from './helpers/repos.js';
import { countMatches, runSimLoop, type SessionLog } from './helpers/sim-loop.js';

// Tasks that share anchors in src/operators.mjs, src/builtins.mjs and src/syntax.mjs, so
// agents landing at once conflict; several have a known way to regress.
const SUBSET = ['op-mul', 'op-div', 'op-mod', 'op-le', 'op-neg', 'builtin-len', 'builtin-abs', 'stmt-break'];

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

async function demoSwarm(tasks?: string[]): Promise<{ swarm: Swarm; bank: string; tasks: string[] }> {
  const t = tempDir('sim-demo-');
  cleanups.push(t.cleanup);
  const d = await prepareDemo(path.join(t.dir, 'demo'), { tasks, env: gitEnv() });
  const swarm = await makeSwarm({ from: d.project });
  cleanups.push(swarm.cleanup);
  return { swarm, bank: d.bank, tasks: d.tasks };
}

/** Every task has a claim and a done commit with trailers on upstream main. */
function expectTrailers(upstream: string, tasks: string[]) {
  const log = git(upstream, 'log', '--format=%(trailers:key=Task,valueonly,separator=%x2C)|%(trailers:key=Task-Status,valueonly)', 'main');
  for (const task of tasks) {
    const lines = log.split('\n').filter((l) => l.split('|')[0]!.split(',').includes(task));
    expect(lines.some((l) => l.endsWith('|claimed')), `${task} claimed`).toBe(true);
    expect(lines.some((l) => l.endsWith('|done')), `${task} done`).toBe(true);
  }
}

function summary(sessions: SessionLog[]): string {
  return sessions.map((s) => `${s.agent}#${s.session} exit ${s.code}: ${s.log.split('\n').filter((l) => /FINISHED|NOTHING|CRASH|GIVING UP|FAILED/.test(l)).join(' / ')}`).join('\n');
}

describe('sim agent', () => {
  it('one session claims a task, lands it with trailers in one push, and says it is a simulator', async () => {
    const { swarm, bank } = await demoSwarm(SUBSET);
    const dir = swarm.clone('a');
    const argv = simAgentArgv({ crash: 0, regress: 0, thinkMs: 0, bank });
    const t0 = performance.now();
    const r = await execa(argv[0]!, argv.slice(1), { cwd: dir, env: gitEnv({ HARNESS_AGENT: 'agent-1', HARNESS_SESSION: '1' }), extendEnv: false, reject: false, all: true });
    const ms = performance.now() - t0;
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/SIMULATED AGENT agent-1\/1: a simulator for tests and the demo, not a real coding agent/);
    const task = /FINISHED (\S+)/.exec(r.all ?? '')![1]!;
    expect(SUBSET).toContain(task);
    expectTrailers(swarm.upstream, [task]);
    expect(upstreamLocks(swarm.upstream)).toEqual([]);
    expect(git(swarm.upstream, 'log', '-1', '--format=%an', 'main')).toBe('agent-1 (sim)');
    const s = await demoStatus(swarm.upstream, { env: gitEnv() });
    expect(s.tasksDone).toBe(1);
    expect(s.openTasks).not.toContain(task);
    console.log(`one sim session: ${Math.round(ms)} ms wall`);
  });

  it('four agents finish a set of shared-file tasks, resolving real conflicts on the way', async () => {
    const { swarm, bank, tasks } = await demoSwarm(SUBSET);
    const r = await runSimLoop({ swarm, agents: 4, sim: { crash: 0, regress: 0, thinkMs: 30, bank, idleMs: 5000, seed: 'conflicts' }, maxSessions: 20 });
    expect(r.finished, summary(r.sessions)).toBe(true);
    expect(r.sessions.filter((s) => s.code !== 0), summary(r.sessions)).toEqual([]);
    const s = await demoStatus(swarm.upstream, { env: gitEnv() });
    expect(s).toMatchObject({ tasksDone: tasks.length, passRate: 1, allDone: true, claims: [] });
    expect(upstreamLocks(swarm.upstream)).toEqual([]);
    expectTrailers(swarm.upstream, tasks);
    expect(countMatches(r.sessions, /^sim: .*FINISHED/)).toBe(tasks.length);
    const conflicts = countMatches(r.sessions, /^sim: .*CONFLICT in src\//);
    console.log(`4 agents, ${tasks.length} tasks: ${r.sessions.length} sessions, ${conflicts} conflicts resolved`);
    expect(conflicts).toBeGreaterThan(0);
  }, 300_000);

  it('with crashes and regressions the swarm still finishes: a crash leaves dirty work and a live claim, a regression is repaired', async () => {
    const { swarm, bank, tasks } = await demoSwarm(SUBSET);
    const r = await runSimLoop({ swarm, agents: 4, sim: { crash: 0.3, regress: 0.5, thinkMs: 30, bank, idleMs: 5000, seed: 'trouble' }, maxSessions: 30 });
    expect(r.finished, summary(r.sessions)).toBe(true);
    const crashed = r.sessions.filter((s) => /CRASH \(simulated/.test(s.log));
    expect(crashed.length, summary(r.sessions)).toBeGreaterThan(0);
    for (const c of crashed) {
      expect(c.code).toBe(70);
      expect(c.dirty).not.toBe('');
      expect(c.heldClaims).toHaveLength(1);
    }
    expect(r.sessions.filter((s) => s.code !== 0 && !crashed.includes(s)), summary(r.sessions)).toEqual([]);
    const regressions = countMatches(r.sessions, /^sim: .*REGRESSION \(simulated/);
    expect(regressions, summary(r.sessions)).toBeGreaterThan(0);
    const s = await demoStatus(swarm.upstream, { env: gitEnv() });
    expect(s).toMatchObject({ tasksDone: tasks.length, passRate: 1, allDone: true, claims: [] });
    expectTrailers(swarm.upstream, tasks);
    console.log(`4 agents with trouble: ${r.sessions.length} sessions, ${crashed.length} crashes, ${regressions} regressions`);
    // A repaired task was finished more than once.
    expect(countMatches(r.sessions, /^sim: .*FINISHED/)).toBeGreaterThan(tasks.length);
  }, 300_000);

  it.skipIf(!process.env.HARNESS_SLOW_TESTS)('eight agents finish the whole demo with 10% crashes', async () => {
    const { swarm, bank, tasks } = await demoSwarm();
    const r = await runSimLoop({ swarm, agents: 8, sim: { crash: 0.1, regress: 0.05, thinkMs: 100, bank, idleMs: 5000, seed: 'whole' }, maxSessions: 40 });
    expect(r.finished, summary(r.sessions)).toBe(true);
    const s = await demoStatus(swarm.upstream, { env: gitEnv() });
    expect(s).toMatchObject({ tasksDone: tasks.length, allDone: true, claims: [] });
    expectTrailers(swarm.upstream, tasks);
  }, 900_000);
});
