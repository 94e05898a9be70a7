// The pending journal of lock removals, with real git and real processes: a release that
// keeps losing races to a process pushing in a tight loop, one made while the upstream is
// gone, one left on disk by a dead run that the next `harness run` finishes, and a wip
// push that cannot land beside a release that must.
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { Git } from '../harness/kit/git.js';
import { Drainer } from '../harness/swarm/pending.js';
import { PendingJournal } from '../harness/tasks/journal.js';
import { removeOnce } from '../harness/tasks/ops.js';
import { waitUntil } from './helpers/poll.js';
import { git, gitEnv, harness, upstreamLocks, type Swarm } from './helpers/repos.js';
import { pushWip } from '../harness/swarm/workspace.js';
import { events, FAST, spawnHarness, waitFor } from './helpers/swarm.js';

const UP = { remote: 'origin', branch: 'main' };
const me = { agent: 'harness', session: null, host: 'test', run: 'run-test' };

async function claimAs(dir: string, task: string, agent: string, session: string, run = 'run-a') {
  const r = await harness(dir, ['task', 'claim', task], { HARNESS_AGENT: agent, HARNESS_SESSION: session, HARNESS_RUN: run });
  expect(r.code, r.err.join('\n')).toBe(0);
}

function drainer(journal: PendingJournal, git: Git, inPlace: boolean, log: { finished: [string, string[], number][]; failed: string[] }) {
  return new Drainer({
    journal,
    now: () => Date.now(),
    attempt: (entries) => removeOnce({ git, upstream: UP, me }, entries, inPlace),
    finished: (e, tasks, ms) => log.finished.push([e.id, tasks, ms]),
    failed: (msg) => log.failed.push(msg),
  });
}

/** A clone pushing empty commits to main in a tight loop (10 minutes at most): the contention. */
function startHammer(s: Swarm) {
  const stopFile = path.join(s.root, 'stop-hammer');
  const p = spawn('bash', ['-c', `cd "$1" && end=$(($(date +%s) + 600)) && while [ $(date +%s) -lt $end ] && [ ! -e "$2" ]; do git commit -q --allow-empty -m beat && (git push -q origin HEAD:main 2>/dev/null || git pull -q --rebase origin main 2>/dev/null); done`, 'hammer', s.clone('hammer'), stopFile], { env: gitEnv(), stdio: 'ignore', detached: true });
  return {
    /** lets the push in flight finish, then stops */
    stop: async () => {
      writeFileSync(stopFile, '');
      await waitFor('the hammer to stop', () => p.exitCode !== null || p.signalCode !== null);
    },
    kill: () => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

describe('pending lock removals', () => {
  it('a release that loses many races to a process pushing in a tight loop lands once the pressure drops', async ({ swarm: s }) => {
    const a = s.clone('a');
    await claimAs(a, 'x', 'agent-1', '1');
    await claimAs(a, 'y', 'agent-1', '1');
    await claimAs(a, 'z', 'agent-2', '4'); // another session: stays
    const hammer = startHammer(s);
    try {
      const sup = s.clone('sup');
      const journal = new PendingJournal(path.join(s.root, 'pending'));
      journal.add({ status: 'abandoned', targets: [{ kind: 'session', agent: 'agent-1', session: '1', run: 'run-a' }], reason: 'test', since: new Date().toISOString(), run: 'run-test' });
      const log = { finished: [] as [string, string[], number][], failed: [] as string[] };
      // push mode (fetch, build, push), which is what loses races: the in-place mode rarely does
      const d = drainer(journal, new Git(sup, gitEnv()), false, log);
      d.start();
      await waitFor('races lost to the hammer (or the release landing)', () => d.attempts > 3 || journal.list().length === 0, 60_000);
      const during = d.attempts;
      hammer.kill();
      const t0 = Date.now();
      await waitUntil(() => journal.list().length === 0, 60_000);
      const left = await d.close(1000);
      expect(left).toBe(0);
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(during, 'contention happened: the drainer lost races while the hammer pushed').toBeGreaterThan(1);
      expect(log.finished).toHaveLength(1);
      expect(log.finished[0]![1].sort()).toEqual(['x', 'y']);
      expect(upstreamLocks(s.upstream)).toEqual(['z']);
      const msg = await new Git(s.upstream, gitEnv()).must(['log', '-1', '--format=%B', 'main', '--', 'current_tasks/x.txt']);
      expect(msg).toMatch(/^Task: x$/m);
      expect(msg).toMatch(/^Task: y$/m);
      expect(msg).toMatch(/^Task-Status: abandoned$/m);
    } finally {
      hammer.kill();
    }
  }, 90_000);

  it('in place on a local upstream (the supervisor holding git\'s own lock on main), a release lands while a process keeps pushing', async ({ swarm: s }) => {
    const a = s.clone('a');
    await claimAs(a, 'x', 'agent-1', '1');
    const hammer = startHammer(s);
    try {
      const journal = new PendingJournal(path.join(s.root, 'pending'));
      const log = { finished: [] as [string, string[], number][], failed: [] as string[] };
      const d = drainer(journal, new Git(s.upstream, gitEnv()), true, log);
      const before = Number(await new Git(s.upstream, gitEnv()).must(['rev-list', '--count', 'main']));
      journal.add({ status: 'abandoned', targets: [{ kind: 'session', agent: 'agent-1', session: '1', run: 'run-a' }], reason: 'test', since: new Date().toISOString(), run: 'run-test' });
      d.start();
      await waitUntil(() => journal.list().length === 0, 60_000);
      expect(journal.list(), 'landed while the hammer pushed').toEqual([]);
      await waitUntil(() => Number(git(s.upstream, 'rev-list', '--count', 'main')) - before > 2, 30_000);
      const after = Number(await new Git(s.upstream, gitEnv()).must(['rev-list', '--count', 'main']));
      expect(after - before, 'the hammer kept landing commits around it').toBeGreaterThan(2);
      expect(upstreamLocks(s.upstream)).toEqual([]);
      expect(await d.close(500)).toBe(0);
      // the ref moved the way git moves it: a reflog line, and fsck is clean (read at rest: fsck
      // racing a push in flight sees main point at objects not yet moved in, exit 2)
      await hammer.stop();
      expect(await new Git(s.upstream, gitEnv()).must(['reflog', 'show', '--format=%gs', 'main'])).toMatch(/harness: supervisor lock removal/);
      expect((await new Git(s.upstream, gitEnv()).run(['fsck', '--no-progress'])).code).toBe(0);
    } finally {
      hammer.kill();
    }
  }, 90_000);

  it('a release made while the upstream is gone lands after it comes back; a claim that changed hands is left alone', async ({ swarm: s }) => {
    const a = s.clone('a');
    await claimAs(a, 'x', 'agent-1', '1');
    await claimAs(a, 'w', 'agent-3', '2');
    const sup = s.clone('sup');
    const journal = new PendingJournal(path.join(s.root, 'pending'));
    const log = { finished: [] as [string, string[], number][], failed: [] as string[] };
    const d = drainer(journal, new Git(sup, gitEnv()), false, log);
    renameSync(s.upstream, `${s.upstream}.away`);
    journal.add({ status: 'abandoned', targets: [{ kind: 'session', agent: 'agent-1', session: '1', run: 'run-a' }], reason: 'test', since: new Date().toISOString(), run: 'run-test' });
    // a TTL reap of w as it was seen: by the time it lands, w belongs to someone else
    journal.add({ status: 'reaped', targets: [{ kind: 'claim', task: 'w', agent: 'agent-3', session: '2', run: 'run-a' }], reason: 'stale', since: new Date().toISOString(), run: 'run-test' });
    d.start();
    await waitUntil(() => log.failed.length > 0, 20_000);
    expect(log.failed.join('\n')).toMatch(/cannot reach upstream/);
    expect(journal.list()).toHaveLength(2);
    renameSync(`${s.upstream}.away`, s.upstream);
    const b = s.clone('b');
    expect((await harness(b, ['task', 'release', 'w', '--force'], { HARNESS_AGENT: 'agent-9' })).code).toBe(0);
    await claimAs(b, 'w', 'agent-9', '1', 'run-b');
    const t0 = Date.now();
    await waitUntil(() => journal.list().length === 0, 60_000);
    expect(await d.close(1000)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000); // errors back off to 15 s at most
    expect(upstreamLocks(s.upstream)).toEqual(['w']);
    const w = await new Git(s.upstream, gitEnv()).must(['show', 'main:current_tasks/w.txt']);
    expect(w).toMatch(/^Agent: agent-9$/m);
  }, 90_000);

  it('a wip push that cannot land (its commit is gone) stays pending and never holds up a release', async ({ swarm: s }) => {
    const a = s.clone('a');
    await claimAs(a, 'x', 'agent-1', '1');
    const sup = s.clone('sup');
    const journal = new PendingJournal(path.join(s.root, 'pending'));
    const missing = 'f'.repeat(40);
    journal.addWip({ agent: 'agent-1', session: '1', commit: missing, tree: missing, parents: [], files: 1, unpushedCommits: 0, since: new Date().toISOString(), run: 'run-test' });
    journal.add({ status: 'abandoned', targets: [{ kind: 'session', agent: 'agent-1', session: '1', run: 'run-a' }], reason: 'test', since: new Date().toISOString(), run: 'run-test' });
    const log = { finished: [] as [string, string[], number][], failed: [] as string[] };
    const g = new Git(sup, gitEnv());
    const d = new Drainer({
      journal, now: () => Date.now(),
      attempt: (entries) => removeOnce({ git: g, upstream: UP, me }, entries, false),
      finished: (e, tasks, ms) => log.finished.push([e.id, tasks, ms]),
      failed: (msg) => log.failed.push(msg),
      pushWip: (w) => pushWip(g, w.agent, w.session, w.commit),
    });
    d.start();
    await waitFor('the release', () => upstreamLocks(s.upstream).length === 0, 20_000);
    await waitFor('the wip failure reported', () => log.failed.length > 0, 20_000);
    expect(log.failed[0]).toMatch(/could not push agent-1's leftover work to refs\/heads\/wip\/agent-1\/1: .*it stays pending/);
    expect(journal.list()).toEqual([]);
    expect(journal.wips()).toHaveLength(1);
    expect(d.pending()).toBe(1);
    expect(await d.close(500)).toBe(1);
  }, 60_000);

  it('a removal a dead run left in pending/ is finished by the next harness run, and harness status shows it until then', async ({ swarm: s }) => {
    const a = s.clone('a');
    await claimAs(a, 'x', 'agent-1', '3', 'run-dead');
    await claimAs(a, 'y', 'agent-2', '1', 'run-dead');
    await claimAs(a, 'other', 'agent-1', '1', 'run-of-another-swarm');
    const dir = path.join(s.root, '.swarm');
    const journal = new PendingJournal(path.join(dir, 'pending'));
    journal.add({ status: 'abandoned', targets: [{ kind: 'session', agent: 'agent-1', session: '3', run: 'run-dead' }], reason: 'test', since: new Date(Date.now() - 5000).toISOString(), run: 'run-dead' });
    // the dead run's start, with no end: a takeover reaps its claims by Run: header
    writeFileSync(path.join(dir, 'events.jsonl'), JSON.stringify({ ts: new Date().toISOString(), type: 'run_start', run: 'run-dead', agents: 2, agent: 'cmd', sandbox: 'process', upstream: s.upstream, takeover: false }) + '\n');
    const st = await harness(s.root, ['status', '--dir', '.swarm']);
    expect(st.out.join('\n')).toMatch(/lock removals pending 1 \(oldest \d+s\)/);
    const r = await spawnHarness(s.root, ['run', '--agent', 'cmd', '--agent-cmd', 'true', '--max-sessions', '1', ...FAST]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(upstreamLocks(s.upstream)).toEqual(['other']);
    expect(journal.list()).toEqual([]);
    const ev = events(s.root);
    expect(ev.some((e) => e.type === 'claims_released' && e.tasks.includes('x'))).toBe(true);
    expect(ev.some((e) => e.type === 'claims_reaped' && e.why === 'takeover' && e.tasks.includes('y'))).toBe(true);
  }, 60_000);
});
