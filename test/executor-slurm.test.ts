// --executor slurm for real: munged, slurmctld and slurmd started by the test on this
// machine with a generated slurm.conf; a 3-slot swarm whose sessions are Slurm jobs (srun).
// Checked: every session is a job in the job-completion log, a job cancelled mid-session
// (scancel) has its work in wip/ and its claim released, stopping the swarm ends its jobs,
// and (slow) the Slurm time limit is --session-timeout: a session over it is ended by Slurm.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedEvent } from '../harness/events/log.js';
import { git, harness, tempDir } from './helpers/repos.js';
import { jobRecords, slurmUnavailable, startSlurm, type SlurmFixture } from './helpers/slurm.js';
import { events, FAST, landingAgent, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

const why = slurmUnavailable();
const slow = process.env.HARNESS_SLOW_TESTS === '1';

/** Plain git: claim in its own name, work, land it with the lock removal; sessions named in `hang` claim, leave work uncommitted and wait. */
function agent(hang: string[]): string {
  return landingAgent('slurm test', 'in job $SLURM_JOB_ID', `case " ${hang.join(' ')} " in *" $HARNESS_AGENT/$HARNESS_SESSION "*) true;; *) false;; esac`);
}

describe.skipIf(why !== null)('--executor slurm (a private munged, slurmctld and slurmd)', () => {
  let t: { dir: string; cleanup: () => void };
  let slurm: SlurmFixture;
  beforeAll(async () => {
    t = tempDir('harness-slurm-');
    slurm = await startSlurm(t.dir);
  });
  afterAll(async () => {
    await slurm?.stop();
    t?.cleanup();
  });

  const setup = (name: string) => {
    const root = path.join(t.dir, name);
    mkdirSync(root);
    const proj = makeProject(root);
    const swarm = path.join(root, 'swarm');
    const upstream = path.join(swarm, 'upstream.git');
    const onMain = (file: string) => {
      try {
        return git(upstream, 'ls-tree', '-r', '--name-only', 'main').split('\n').includes(file);
      } catch {
        return false;
      }
    };
    const evs = () => (existsSync(path.join(swarm, 'events.jsonl')) ? events(root, 'swarm') : []);
    const hanging = (a: string, n: string) => {
      const dir = path.join(swarm, 'agent_logs', a);
      const f = existsSync(dir) ? readdirSync(dir).find((x) => x.startsWith(`${n}-`)) : undefined;
      return !!f && readFileSync(path.join(dir, f), 'utf8').includes('HANGING');
    };
    const placed = (a: string, s: string) => evs().find((e) => e.type === 'session_placed' && e.agent === a && e.session === s) as Extract<LoggedEvent, { type: 'session_placed' }> | undefined;
    const start = (hang: string[], extra: string[]) =>
      spawnHarness(proj, ['run', '--agent', 'cmd', '--agent-cmd', agent(hang), '--agents', '3', '--executor', 'slurm', '--remote-dir', path.join(root, 'nodes'), '--dir', swarm, ...FAST, ...extra], slurm.env);
    return { root, swarm, upstream, onMain, evs, placed, hanging, start };
  };
  const failWith = async (run: ReturnType<typeof spawnHarness>, swarm: string, e: unknown) => {
    run.kill('SIGKILL');
    const r = await run;
    const logs = path.join(swarm, 'agent_logs', 'agent-1');
    const log = existsSync(logs) ? readdirSync(logs).map((f) => readFileSync(path.join(logs, f), 'utf8')).join('\n') : '';
    return new Error(`${(e as Error).message}\n--- harness:\n${r.stdout}\n${r.stderr}\n--- agent-1's logs:\n${log}`);
  };

  it('runs each session as a job; scancel mid-session leaves its work in wip/ and its claim released; stopping the swarm ends its jobs', async () => {
    const s = setup('cancel');
    const run = s.start(['agent-1/1', 'agent-2/2'], ['--session-timeout', '5m']);
    let cancelled = '';
    try {
      const p = await waitFor('agent-1 session 1 to run as a job and hold its claim', () => (s.placed('agent-1', '1')?.job && s.hanging('agent-1', '1') ? s.placed('agent-1', '1') : undefined), 90_000);
      cancelled = p.job!;
      execFileSync('scancel', [cancelled], { env: { ...process.env, ...slurm.env } });
      await waitFor('the cancelled session to end', () => s.evs().some((e) => e.type === 'session_end' && e.agent === 'agent-1' && e.session === '1'), 60_000);
      await waitFor('agent-2 session 2 to run and hold its claim', () => s.hanging('agent-2', '2'), 90_000);
    } catch (e) {
      throw await failWith(run, s.swarm, e);
    }
    run.kill('SIGINT'); // stopping the swarm: its running jobs end, their work is saved
    const r = await run;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    // its jobs end with it (a job can spend a moment completing), nobody cancels them for it
    const queue = () => execFileSync('squeue', ['--noheader', '--format=%i %j %T'], { env: { ...process.env, ...slurm.env }, encoding: 'utf8' }).trim();
    await waitFor(`the swarm's jobs to end (squeue: ${queue()})`, () => queue() === '', 30_000);
    const evs = s.evs();
    // every session ran as a job on the node, and the job-completion log has each one
    const jobs = jobRecords(slurm.jobcomp);
    const placedAll = evs.filter((e) => e.type === 'session_placed') as Extract<LoggedEvent, { type: 'session_placed' }>[];
    expect(placedAll.length).toBeGreaterThanOrEqual(4);
    for (const p of placedAll) {
      expect(p.host).toBe(slurm.node);
      const rec = jobs.find((j) => j.JobId === p.job);
      expect(rec, `job ${p.job} of ${p.agent}/${p.session} in ${slurm.jobcomp}`).toBeDefined();
      expect(rec!.Name).toMatch(new RegExp(`^${p.agent}-s${p.session}-`));
      expect(rec!.TimeLimit).toBe('5'); // --session-timeout 5m
    }
    expect(jobs.find((j) => j.JobId === cancelled)!.JobState).toBe('CANCELLED');
    // the cancelled session and the one stopped with the swarm: work in wip/, claims released
    for (const [a, n] of [['agent-1', '1'], ['agent-2', '2']] as const) {
      const logs = path.join(s.swarm, 'agent_logs', a);
      const log = readFileSync(path.join(logs, readdirSync(logs).find((f) => f.startsWith(`${n}-`))!), 'utf8');
      expect(git(s.upstream, 'for-each-ref', '--format=%(refname)', 'refs/heads/wip/'), `${r.stdout}\n--- ${a}/${n}:\n${log}`).toContain(`refs/heads/wip/${a}/${n}`);
      expect(git(s.upstream, 'show', `refs/heads/wip/${a}/${n}:work-t-${a}-${n}.txt`)).toContain(`work of ${a} session ${n}`);
      expect(git(s.upstream, 'log', '--format=%s', 'main')).toContain(`claim t-${a}-${n}`); // it did hold the claim
      expect(s.onMain(`current_tasks/t-${a}-${n}.txt`)).toBe(false);
      expect(evs.some((e) => e.type === 'claims_released' && e.agent === a && e.session === n)).toBe(true);
      expect(evs.some((e) => e.type === 'wip_saved' && e.agent === a && e.session === n)).toBe(true);
    }
    // status shows each slot's node and job
    const st = await harness(s.root, ['status', '--dir', s.swarm, '--json']);
    expect(st.code, st.err.join('\n')).toBe(0);
    for (const x of (JSON.parse(st.out.join('\n')) as { agents: { host: string | null }[] }).agents) expect(x.host).toMatch(new RegExp(`^${slurm.node} \\(job \\d+\\)$`));
    // and work landed meanwhile
    expect(git(s.upstream, 'ls-tree', '--name-only', 'main').split('\n').filter((f) => f.startsWith('work-')).length).toBeGreaterThan(0);
  }, 300_000);

  it.skipIf(!slow)('the Slurm time limit is --session-timeout: a session over it is ended by Slurm (TIMEOUT), its work saved and its claim released', async () => {
    const s = setup('timeout');
    const run = s.start(['agent-1/1'], ['--session-timeout', '1m', '--max-sessions', '6']);
    try {
      await waitFor('agent-1 session 1 to end', () => s.evs().some((e) => e.type === 'session_end' && e.agent === 'agent-1' && e.session === '1'), 200_000);
    } catch (e) {
      throw await failWith(run, s.swarm, e);
    }
    const r = await run;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const evs = s.evs();
    const end = evs.find((e) => e.type === 'session_end' && e.agent === 'agent-1' && e.session === '1') as Extract<LoggedEvent, { type: 'session_end' }>;
    expect(end.timedOut).toBe(true);
    expect(end.durationMs).toBeGreaterThanOrEqual(55_000);
    const job = (evs.find((e) => e.type === 'session_placed' && e.agent === 'agent-1' && e.session === '1') as Extract<LoggedEvent, { type: 'session_placed' }>).job;
    const rec = jobRecords(slurm.jobcomp).find((j) => j.JobId === job)!;
    expect(rec.JobState).toBe('TIMEOUT');
    expect(rec.TimeLimit).toBe('1');
    expect(git(s.upstream, 'show', 'refs/heads/wip/agent-1/1:work-t-agent-1-1.txt')).toContain('work of agent-1 session 1');
    expect(s.onMain('current_tasks/t-agent-1-1.txt')).toBe(false);
  }, 300_000);
});
