// The supervisor as a real process: Ctrl-C (graceful, then immediate), kill -9 and a new run
// taking over, and two supervisors on one folder.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { git, upstreamLocks } from './helpers/repos.js';
import { agentScript, alive, events, FAST, FAST_NO_GRACE, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

const started = (root: string, n: number) => events(root).filter((e) => e.type === 'session_start').length >= n;

describe('harness run as a process', () => {
  it('SIGINT: no new sessions, running ones get the grace period, leftover work pushed, summary, exit 0', async ({ tmp }) => {
    makeProject(tmp);
    const cmd = agentScript(tmp, 'busy', 'echo draft > draft.txt; trap "echo got-term; exit 143" TERM; sleep 60 & wait\n');
    const p = spawnHarness(tmp, ['run', '--agents', '2', '--agent', 'cmd', '--agent-cmd', cmd, '--from', 'proj', ...FAST]);
    await waitFor('two sessions', () => started(tmp, 2));
    await waitFor('the agents\' drafts', () => ['agent-1', 'agent-2'].every((a) => existsSync(path.join(tmp, `.swarm/agents/${a}/workspace/draft.txt`))));
    p.kill('SIGINT');
    const r = await p;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopping: no new sessions/);
    expect(r.stdout).toMatch(/summary: 2 sessions .*0 crashed/);
    const up = path.join(tmp, '.swarm/upstream.git');
    for (const a of ['agent-1', 'agent-2']) expect(git(up, 'show', `wip/${a}/1:draft.txt`)).toBe('draft');
    const ends = events(tmp).filter((e) => e.type === 'session_end');
    expect(ends.map((e) => e.type === 'session_end' && e.stopped)).toEqual([true, true]);
    expect(events(tmp).filter((e) => e.type === 'session_start')).toHaveLength(2);
  });

  it('a second SIGINT stops at once, even when the agent ignores SIGTERM', async ({ tmp }) => {
    makeProject(tmp);
    const pidFile = path.join(tmp, 'agent.pid');
    const cmd = agentScript(tmp, 'stubborn', `echo $$ > ${pidFile}; trap "" TERM; while :; do sleep 1; done\n`);
    const p = spawnHarness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', cmd, '--from', 'proj', ...FAST_NO_GRACE, '--grace', '120s']);
    await waitFor('the session', () => started(tmp, 1));
    await waitFor('the agent', () => { try { return readFileSync(pidFile, 'utf8').trim(); } catch { return null; } });
    let out = '';
    p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    p.kill('SIGINT');
    await waitFor('the first SIGINT taken (a graceful stop)', () => /stopping: no new sessions/.test(out));
    p.kill('SIGINT');
    const t0 = Date.now();
    const r = await p;
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/stopping now/);
    await waitFor('the agent to die', () => !alive(Number(readFileSync(pidFile, 'utf8'))), 5000);
  });

  it('kill -9 of the supervisor: a new run takes over, reaps the dead run\'s claims, saves its workspaces; a second supervisor on a live one exits 3', async ({ tmp }) => {
    makeProject(tmp);
    const cmd = agentScript(tmp, 'claimer', `
if [ "$HARNESS_SESSION" = 1 ]; then echo $$ > ${tmp}/pid-$HARNESS_AGENT; harness task claim "task-$HARNESS_AGENT" && echo half-done > half.txt && sleep 120; fi
sleep 120
`);
    const up = path.join(tmp, '.swarm/upstream.git');
    const p = spawnHarness(tmp, ['run', '--agents', '2', '--agent', 'cmd', '--agent-cmd', cmd, '--from', 'proj', ...FAST]);
    await waitFor('both claims', () => { try { return upstreamLocks(up).length === 2; } catch { return false; } });
    await waitFor('the drafts', () => { try { readFileSync(path.join(tmp, '.swarm/agents/agent-1/workspace/half.txt')); readFileSync(path.join(tmp, '.swarm/agents/agent-2/workspace/half.txt')); return true; } catch { return false; } });

    // A second supervisor on the same folder while the first is alive: exit 3, one clear line.
    const second = await spawnHarness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', cmd, '--from', 'proj']);
    expect(second.exitCode).toBe(3);
    expect(second.stderr).toMatch(/another harness run \(pid \d+ .*\) is supervising .*\[SWARM_BUSY\]/);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);

    p.kill('SIGKILL');
    await p;
    const r = await spawnHarness(tmp, ['run', '--agents', '1', '--agent', 'cmd', '--agent-cmd', 'true', '--from', 'proj', '--max-sessions', '1', ...FAST]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/taking over from a previous run/);
    expect(upstreamLocks(up)).toEqual([]);
    const ev = events(tmp);
    const reaped = ev.filter((e) => e.type === 'claims_reaped').flatMap((e) => (e.type === 'claims_reaped' ? e.tasks : []));
    expect(reaped.sort()).toEqual(['task-agent-1', 'task-agent-2']);
    for (const a of ['agent-1', 'agent-2']) expect(git(up, 'show', `wip/${a}/1:half.txt`)).toBe('half-done');
    expect(ev.find((e) => e.type === 'run_start' && e.takeover)).toBeTruthy();
    // the orphaned sessions (left running by the killed supervisor) were killed by the takeover
    for (const a of ['agent-1', 'agent-2']) expect(alive(Number(readFileSync(path.join(tmp, `pid-${a}`), 'utf8'))), a).toBe(false);
  });
});
