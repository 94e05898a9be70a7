// Races on a real bare repo: many processes in separate clones claim at the same instant.
// Git's atomic ref update must let exactly one claimer of a task win.
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { git, gitEnv, harnessProcess, makeSwarm, ROOT, upstreamLocks, type Swarm } from './helpers/repos.js';
import { serveSwarm } from '../harness/serve/service.js';

const slow = !!process.env.HARNESS_SLOW_TESTS;
const WORKER = path.join(ROOT, 'test/fixtures/claim-worker.ts');

let swarm: Swarm | undefined;
afterEach(() => {
  swarm?.cleanup();
  swarm = undefined;
});

interface WorkerOut {
  agent: string;
  won: { task: string }[];
  lost: { task: string; holder: string }[];
}

/** `http`: through the served upstream (git http-backend, a token per worker, the pre-receive policy). */
async function race(n: number, mode: 'single' | 'many', tasks: string[], transport: 'local' | 'http' = 'local') {
  swarm = await makeSwarm();
  const served = transport === 'http' ? await serveSwarm({ repo: swarm.upstream, stateDir: path.join(swarm.root, 'serve'), env: gitEnv(), allowTestEdits: false, protect: [], allowHost: [] }) : null;
  try {
    const creds = Array.from({ length: n }, (_, i) => served?.issue(`agent-${i}`, '1').secrets ?? {});
    const clones: string[] = [];
    for (let i = 0; i < n; i++) {
      const d = path.join(swarm.root, `c${i}`);
      await execa('git', ['clone', '-q', served?.url ?? swarm.upstream, d], { env: { ...gitEnv(), ...creds[i] }, extendEnv: false });
      clones.push(d);
    }
    // Start far enough ahead that every worker has loaded before the gun.
    const startAt = Date.now() + 3000 + n * 150;
    const runs = await Promise.all(
      clones.map((c, i) =>
        execa('node', ['--import', 'tsx', WORKER, c, `agent-${i}`, String(startAt), mode, tasks.join(',')], {
          cwd: ROOT,
          env: { ...gitEnv(), ...creds[i] },
          extendEnv: false,
          reject: false,
        }),
      ),
    );
    for (const r of runs) expect(r.stderr, r.stderr).toBe('');
    return { runs, outs: runs.map((r) => JSON.parse(r.stdout) as WorkerOut) };
  } finally {
    await served?.close();
  }
}

describe.each(['local', 'http'] as const)('claim races (%s upstream)', (transport) => {
  it.each(slow ? [16, 64] : [16])('%i processes claim the same task: exactly one wins, the others exit 3 naming it', async (n) => {
    const { runs, outs } = await race(n, 'single', ['the-task'], transport);
    const winners = outs.filter((o) => o.won.length === 1);
    expect(winners).toHaveLength(1);
    expect(runs.filter((r) => r.exitCode === 3)).toHaveLength(n - 1);
    for (const o of outs.filter((o) => o.won.length === 0)) expect(o.lost[0]!.holder).toContain(winners[0]!.agent);
    expect(upstreamLocks(swarm!.upstream)).toEqual(['the-task']);
    expect(git(swarm!.upstream, 'show', 'main:current_tasks/the-task.txt')).toContain(`Agent: ${winners[0]!.agent}\n`);
    expect(git(swarm!.upstream, 'log', '--format=%s', 'main').split('\n').filter((s) => s.startsWith('Claim'))).toHaveLength(1);
  }, 300_000);

  // The 64-process scale runs on the local path only: over HTTP each push is ~3x dearer (two
  // http-backend processes and the policy hook) and 64 x 200 outlasted 15 minutes on 2 cores.
  const big = slow && transport === 'local';
  it(`${big ? 64 : 16} processes claim ${big ? 200 : 60} distinct tasks in random order: each claimed exactly once, none lost`, async () => {
    const n = big ? 64 : 16;
    const tasks = Array.from({ length: big ? 200 : 60 }, (_, i) => `task-${String(i).padStart(3, '0')}`);
    const { outs } = await race(n, 'many', tasks, transport);
    // contention happened: some claims needed more than one attempt
    expect(outs.flatMap((o) => o.won).some((w) => (w as { attempts?: number }).attempts! > 1)).toBe(true);
    const won = outs.flatMap((o) => o.won.map((w) => w.task));
    expect(won.slice().sort()).toEqual(tasks);
    expect(new Set(won).size).toBe(tasks.length);
    expect(upstreamLocks(swarm!.upstream)).toEqual(tasks);
    // every lock names the agent that believes it won it
    const owner = new Map(outs.flatMap((o) => o.won.map((w) => [w.task, o.agent] as const)));
    const sample = tasks.filter((_, i) => i % 7 === 0);
    for (const t of sample) expect(git(swarm!.upstream, 'show', `main:current_tasks/${t}.txt`)).toContain(`Agent: ${owner.get(t)}\n`);
    const claims = git(swarm!.upstream, 'log', '--format=%s', 'main').split('\n').filter((s) => s.startsWith('Claim '));
    expect(claims).toHaveLength(tasks.length);
  }, 900_000);

});

describe('claim races', () => {
  it('claims interleaved with code pushes from other clones lose no commit', async () => {
    swarm = await makeSwarm();
    const pushers = 4;
    const commitsEach = slow ? 12 : 6;
    const claimers = 6;
    const pusherClones = Array.from({ length: pushers }, (_, i) => swarm!.clone(`p${i}`));
    const claimClones = Array.from({ length: claimers }, (_, i) => swarm!.clone(`k${i}`));
    // Ordinary agents: commit a file, push, on rejection pull --rebase and push again.
    const script = `
      set -e
      for i in $(seq 1 ${commitsEach}); do
        echo "$1 $i" > "code-$1-$i.c"; git add . ; git commit -qm "code $1 $i"
        until git push -q 2>/dev/null; do git pull -q --rebase; done
      done`;
    const code = pusherClones.map((c, i) => execa('bash', ['-c', script, 'x', `p${i}`], { cwd: c, env: gitEnv(), extendEnv: false }));
    const claims = claimClones.map((c, i) =>
      (async () => {
        for (let j = 0; j < 3; j++) {
          const r = await harnessProcess(c, ['task', 'claim', `k${i}-t${j}`], { HARNESS_AGENT: `k${i}` });
          expect(r.code, r.stderr).toBe(0);
        }
      })(),
    );
    await Promise.all([...code, ...claims]);
    const subjects = git(swarm.upstream, 'log', '--format=%s', 'main').split('\n');
    for (let p = 0; p < pushers; p++) for (let i = 1; i <= commitsEach; i++) expect(subjects).toContain(`code p${p} ${i}`);
    expect(subjects.filter((s) => s.startsWith('Claim '))).toHaveLength(claimers * 3);
    expect(upstreamLocks(swarm.upstream)).toHaveLength(claimers * 3);
    const files = git(swarm.upstream, 'ls-tree', '--name-only', 'main').split('\n');
    expect(files.filter((f) => f.startsWith('code-'))).toHaveLength(pushers * commitsEach);
  });
});
