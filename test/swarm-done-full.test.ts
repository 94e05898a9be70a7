// Done means done, with real git and the real test-oracle: a passing `--fast` sample or a
// `--filter` run never ends a swarm. With only those recorded, `--until done` makes the
// supervisor run the full suite itself (in the run's sandbox) and judges that, once per
// head; the stall guard counts the pass rate of full runs only.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { Git } from '../harness/kit/git.js';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';
import { readProgress } from '../harness/swarm/stall.js';
import { execa } from 'execa';
import { git, gitEnv, makeSwarm, ROOT, tempDir } from './helpers/repos.js';
import { FAST, makeProject, spawnHarness } from './helpers/swarm.js';

const ORACLE = path.join(ROOT, 'dist/test-oracle.js');

/** A project whose suite has these tests (name -> passes). */
function suiteProject(root: string, tests: Record<string, boolean>): string {
  const proj = makeProject(root);
  mkdirSync(path.join(proj, 'tests'));
  for (const [name, ok] of Object.entries(tests)) writeFileSync(path.join(proj, `tests/${name}.sh`), ok ? 'exit 0\n' : 'exit 1\n');
  writeFileSync(path.join(proj, 'test-oracle.json'), JSON.stringify({ tests: 'tests', match: '*.sh', command: 'sh {abs}', judge: 'exit', timeout: 20 }) + '\n');
  writeFileSync(path.join(proj, '.gitignore'), '.test-oracle/\n');
  git(proj, 'add', '.');
  git(proj, 'commit', '-qm', 'a suite');
  return proj;
}

/** Every run recorded on upstream main's head: [agent, mode, pass count, tests]. */
function recorded(up: string): [string, string, number, number][] {
  return notesOfMain(up).split('\n').filter((l) => l.startsWith('{')).map((l) => {
    const j = JSON.parse(l) as { agent?: string; mode: string; counts: { pass: number }; tests: unknown[] };
    return [j.agent ?? '', j.mode, j.counts.pass, j.tests.length];
  });
}
function notesOfMain(up: string): string {
  try {
    return git(up, 'notes', '--ref', 'test-oracle', 'show', 'main');
  } catch {
    return '';
  }
}

const oracle = (cwd: string, args: string[], env: Record<string, string> = {}) => execa('node', [ORACLE, ...args], { cwd, env: gitEnv(env), extendEnv: false, reject: false });

describe('--until done judges full runs only', () => {
  it('a passing filtered run does not end the swarm: the supervisor runs the full suite, once per head, and it fails', async ({ tmp }) => {
    suiteProject(tmp, { ok: true, bad: false });
    // every session records a passing --filter run of the one good test, and nothing else
    const r = await spawnHarness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', 'test-oracle run --filter ok && test-oracle notes-sync', '--from', 'proj', '--until', 'done', '--max-sessions', '4', ...FAST]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/stopped: reached --max-sessions/);
    expect(r.stdout.match(/running the full suite/g), 'one full run for the one head').toHaveLength(1);
    expect(r.stdout).toMatch(/until done: the full run at [0-9a-f]{12} says not done \(failing\)/);
    const runs = recorded(path.join(tmp, '.swarm/upstream.git'));
    expect(runs.filter(([, m]) => m === 'partial').length, 'the agents recorded their passing filtered runs').toBeGreaterThanOrEqual(1);
    expect(runs.filter(([, m]) => m === 'partial').every(([, , pass, n]) => pass === 1 && n === 1)).toBe(true);
    expect(runs.filter(([, m]) => m === 'full')).toEqual([['harness', 'full', 1, 2]]);
  });

  it('a passing --fast sample, then the supervisor\'s own full run passes: done, and the full run is shared on upstream', async ({ tmp }) => {
    suiteProject(tmp, { a: true, b: true, c: true, d: true });
    const r = await spawnHarness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', 'test-oracle run --fast=60 --seed s1 && test-oracle notes-sync', '--from', 'proj', '--until', 'done', '--max-sessions', '5', ...FAST]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/running the full suite/);
    expect(r.stdout).toMatch(/stopped: all work done/);
    expect(r.stdout).toMatch(/summary: 1 session/); // the first session's sample was enough to ask for the full run
    const runs = recorded(path.join(tmp, '.swarm/upstream.git'));
    const sample = runs.find(([, m]) => m === 'sample');
    expect(sample && sample[3], 'a real sample: fewer tests than the suite').toBeLessThan(4);
    expect(runs.filter(([, m]) => m === 'full')).toEqual([['harness', 'full', 4, 4]]);
  });
});

const noBwrap = await bwrapSandbox().check().then(() => null, (e: Error) => e.message);

describe.skipIf(noBwrap !== null)(noBwrap ? `the supervisor's full run in bwrap: SKIPPED, ${noBwrap}` : "the supervisor's full run in bwrap", () => {
  it('runs inside the jail like a session: a test that passes only where the swarm\'s events cannot be read passes', async ({ tmp }) => {
    const proj = suiteProject(tmp, { a: true });
    writeFileSync(path.join(proj, 'tests/jail.sh'), `test ! -e ${path.join(tmp, '.swarm/events.jsonl')}\n`);
    git(proj, 'add', '.');
    git(proj, 'commit', '-qm', 'a test only a sandbox passes');
    const r = await spawnHarness(tmp, ['run', '--sandbox', 'bwrap', '--agent', 'cmd', '--agent-cmd', 'test-oracle run --filter tests/a && test-oracle notes-sync', '--from', 'proj', '--until', 'done', '--max-sessions', '3', ...FAST]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const logs = path.join(tmp, '.swarm/supervisor/logs');
    expect(r.stdout, readdirSync(logs).map((f) => readFileSync(path.join(logs, f), 'utf8')).join('\n')).toMatch(/stopped: all work done/);
    expect(recorded(path.join(tmp, '.swarm/upstream.git')).filter(([, m]) => m === 'full')).toEqual([['harness', 'full', 2, 2]]);
  });
});

describe('the stall guard reads full runs only', () => {
  it('a filtered run that passes is no pass rate; a full run is', async () => {
    const p = tempDir();
    const s = await makeSwarm({ from: suiteProject(p.dir, { a: true, b: true, c: false }) });
    try {
      const a = s.clone('a');
      const sup = new Git(s.clone('sup'), gitEnv());
      expect(await readProgress(sup, gitEnv())).toEqual({ doneTasks: 0, passRate: null });
      expect((await oracle(a, ['run', '--filter', '^tests/a'])).exitCode).toBe(0);
      expect((await oracle(a, ['notes-sync'])).exitCode).toBe(0);
      expect(await readProgress(sup, gitEnv()), 'a 100% filtered run is not progress').toEqual({ doneTasks: 0, passRate: null });
      expect((await oracle(a, ['run', '--fast=99', '--seed', 'x'])).exitCode).toBe(1);
      expect((await oracle(a, ['run'])).exitCode).toBe(1);
      expect((await oracle(a, ['notes-sync'])).exitCode).toBe(0);
      expect((await readProgress(sup, gitEnv())).passRate).toBeCloseTo(2 / 3);
    } finally {
      s.cleanup();
      p.cleanup();
    }
  });
});
