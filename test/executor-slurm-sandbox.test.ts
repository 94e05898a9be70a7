// Sandboxed sessions over --executor slurm, for real (a private munged, slurmctld and slurmd as
// in executor-slurm.test.ts): each session is a Slurm job whose entrypoint runs the agent in
// bwrap, or in a container of the node's docker (a private dockerd), with --network upstream.
// Each agent proves where it ran in the work it lands (its pid namespace's init, a file planted
// on the node outside its workspace that it cannot see, a port of the node it cannot reach); a
// job cancelled mid-session (scancel) leaves its work in wip/ and its claim released, and with
// docker no container is left.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedEvent } from '../harness/events/log.js';
import { buildTestImage } from './helpers/docker-image.js';
import { startDockerd } from './helpers/dockerd.js';
import { git, tempDir } from './helpers/repos.js';
import { pidsWithArgv } from './helpers/sandbox-fixture.js';
import { expectIsolated, plantFile, probeTail } from './helpers/sandbox-proof.js';
import { jobRecords, slurmUnavailable, startSlurm, type SlurmFixture } from './helpers/slurm.js';
import { events, FAST, landingAgent, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

const why = slurmUnavailable() ?? (existsSync('/usr/bin/bwrap') ? null : 'bwrap is missing (apt-get install bubblewrap)');

/**
 * A 2-slot Slurm swarm, 3 sessions each, every session a job running the agent in `flags`'s
 * sandbox; agent-1's first job is cancelled while it holds its claim with uncommitted work.
 * `env` is the supervisor's, which srun passes on to the jobs (--export=ALL, Slurm's default).
 */
async function slurmSandboxSwarm(dir: string, name: string, slurm: SlurmFixture, port: number, flags: string[], init: RegExp, o: { env?: Record<string, string>; whileHanging?: () => Promise<void> } = {}) {
  const root = path.join(dir, name);
  mkdirSync(root);
  const proj = makeProject(root);
  const swarm = path.join(root, 'swarm');
  const upstream = path.join(swarm, 'upstream.git');
  // Slurm runs the jobs as the submitting user (root here): the control is that user outside a sandbox
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  const planted = plantFile(root, user, port);
  const agent = landingAgent('slurm sandbox test', probeTail(planted, port), '[ "$HARNESS_AGENT/$HARNESS_SESSION" = agent-1/1 ]');
  const run = spawnHarness(proj, ['run', '--agent', 'cmd', '--agent-cmd', agent, '--agents', '2', '--executor', 'slurm', '--remote-dir', path.join(root, 'nodes'), '--max-sessions-per-agent', '3', '--session-timeout', '5m', ...flags, '--network', 'upstream', '--dir', swarm, ...FAST], { ...slurm.env, ...o.env });
  const evs = () => (existsSync(path.join(swarm, 'events.jsonl')) ? events(root, 'swarm') : []);
  const placed = (a: string, s: string) => evs().find((e) => e.type === 'session_placed' && e.agent === a && e.session === s) as Extract<LoggedEvent, { type: 'session_placed' }> | undefined;
  const log = (a: string, n: string) => {
    const dir = path.join(swarm, 'agent_logs', a);
    const f = existsSync(dir) ? readdirSync(dir).find((x) => x.startsWith(`${n}-`)) : undefined;
    return f ? readFileSync(path.join(dir, f), 'utf8') : '';
  };
  const logs = () => ['agent-1', 'agent-2'].flatMap((a) => ['1', '2', '3'].map((n) => `== ${a}/${n}\n${log(a, n).slice(-3000)}`)).join('\n');
  let cancelled = '';
  try {
    const p = await waitFor('agent-1 session 1 to run as a job and hold its claim', () => (placed('agent-1', '1')?.job && log('agent-1', '1').includes('HANGING') ? placed('agent-1', '1') : undefined), 120_000);
    cancelled = p.job!;
    // the claim is held on main while the job runs
    expect(git(upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/')).toContain('t-agent-1-1');
    await o.whileHanging?.();
    execFileSync('scancel', [cancelled], { env: { ...process.env, ...slurm.env } });
  } catch (e) {
    run.kill('SIGTERM');
    const r = await run;
    throw new Error(`${(e as Error).message}\n--- harness:\n${r.stdout}\n${r.stderr}\n--- logs:\n${logs()}`);
  }
  const r = await run;
  expect(r.exitCode, `${r.stdout}\n${r.stderr}\n${logs()}`).toBe(0);
  const work = new Map<string, string>();
  for (const f of git(upstream, 'ls-tree', '--name-only', 'main').split('\n').filter((x) => x.startsWith('work-'))) work.set(f, git(upstream, 'show', `main:${f}`));
  // 6 sessions, the cancelled one's work is not on main; every landed one ran in a job, in bwrap
  expectIsolated(work, init, 4);
  const all = evs();
  const jobs = jobRecords(slurm.jobcomp);
  // each landed session was placed as a job the node ran (the sandbox's environment has no SLURM_*: its jobs are named by the events)
  for (const f of work.keys()) {
    const [, a, n] = /^work-t-(agent-\d+)-(\d+)\.txt$/.exec(f)!;
    const job = placed(a!, n!)?.job;
    expect(job, f).toBeDefined();
    expect(jobs.find((j) => j.JobId === job), `${f}: job ${job} in ${slurm.jobcomp}`).toBeDefined();
  }
  expect(readFileSync(path.join(swarm, 'agent_logs', 'agent-2', readdirSync(path.join(swarm, 'agent_logs', 'agent-2')).sort()[0]!), 'utf8')).toContain(`${flags[1]} sandbox`);
  // the cancelled job: CANCELLED, its work in wip/ (written in bwrap), its claim released
  expect(jobs.find((j) => j.JobId === cancelled)!.JobState).toBe('CANCELLED');
  const wip = git(upstream, 'show', 'refs/heads/wip/agent-1/1:work-t-agent-1-1.txt');
  expect(wip).toMatch(init);
  expect(wip).toContain('planted=unseen');
  expect(git(upstream, 'log', '--format=%s', 'main')).toContain('claim t-agent-1-1');
  expect(git(upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/')).not.toContain('t-agent-1-1');
  expect(all.some((e) => e.type === 'claims_released' && e.agent === 'agent-1' && e.session === '1')).toBe(true);
  expect(all.some((e) => e.type === 'wip_saved' && e.agent === 'agent-1' && e.session === '1')).toBe(true);
  return { swarm, logs };
}

describe.skipIf(why !== null)(`--executor slurm with a sandbox${why ? `: SKIPPED, ${why}` : ''}`, () => {
  let t: { dir: string; cleanup: () => void };
  let slurm: SlurmFixture;
  let listener: Server;
  let port = 0;
  beforeAll(async () => {
    t = tempDir('harness-slurmbw-');
    slurm = await startSlurm(t.dir);
    // a port of the node: reachable from a job outside a sandbox, not from inside one
    listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(async () => {
    listener?.close();
    await slurm?.stop();
    t?.cleanup();
  });

  it('runs each job\'s session in bwrap (pid1=bwrap, a planted node file unseen, a node port unreachable); scancel mid-session leaves its work in wip/ and its claim released', async () => {
    await slurmSandboxSwarm(t.dir, 'bwrap', slurm, port, ['--sandbox', 'bwrap'], /pid1=bwrap /);
  }, 300_000);

  // the node's own docker (a private dockerd): the jobs run as the submitting user, root here, who reaches its
  // socket; its address reaches the jobs as the supervisor's DOCKER_HOST (srun passes the environment on)
  it('runs each job\'s session in a container of the node\'s docker; scancel mid-session leaves its work in wip/, its claim released and no container', async (ctx) => {
    const started = await startDockerd(60_000);
    if (!started.ok) return ctx.skip(started.reason);
    const d = started.dockerd;
    try {
      const image = await buildTestImage(d);
      const { swarm, logs } = await slurmSandboxSwarm(t.dir, 'docker', slurm, port, ['--sandbox', 'docker', '--image', image.image, ...image.mounts.flatMap((m) => ['--mount', m.path])], /pid1=docker-init /, {
        env: { DOCKER_HOST: d.host },
        // the cancelled session runs in a container of that daemon, its token in the container's environment, never in an argv
        whileHanging: async () => {
          const names = (await d.run(['ps', '--filter', 'label=harness.session', '--format', '{{.Names}}'])).stdout;
          expect(names).toMatch(/^agent-1-s1-/m);
          expect(pidsWithArgv('Authorization: Bearer')).toEqual([]);
        },
      });
      const left = (await d.run(['ps', '--all', '--filter', 'label=harness.session', '--format', '{{.Names}} {{.Status}}'])).stdout.trim();
      expect(left, `${logs()}\n${swarm}`).toBe('');
    } finally {
      await d.stop();
    }
  }, 300_000);
});
