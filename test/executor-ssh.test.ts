// --executor ssh for real: a private sshd on a loopback port, two "hosts" (two users of this
// machine, each with its own home; the swarm folder is 0700 root, so the sessions cannot
// lean on the supervisor's files), keys generated here, BatchMode. A 3-slot swarm of plain
// git agents spreads over both, lands work from both, and survives every process of one
// host being killed (kill -9) mid-session: that session's work reaches wip/ (saved by the
// next session there) and its claim is released by the supervisor.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, harness, tempDir } from './helpers/repos.js';
import { startSshd, sshUnavailable, type SshFixture } from './helpers/sshd.js';
import { events, FAST, landingAgent, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

const why = sshUnavailable();
// Plain git: claim in its own name, work, land the work with the lock removal. The first
// session of each slot on host-a claims, leaves uncommitted work and hangs until killed.
const AGENT = landingAgent('remote test', 'as $(id -un)', '[ "$(id -un)" = "$HOST_A_USER" ] && [ "$HARNESS_SESSION" = 1 ]');

describe.skipIf(why !== null)('--executor ssh (private sshd, two users as two hosts)', () => {
  let t: { dir: string; cleanup: () => void };
  let ssh: SshFixture;
  beforeAll(async () => {
    t = tempDir('harness-ssh-');
    ssh = await startSshd(t.dir, String(process.pid)); // users named per run: two runs at once must not share them
  });
  afterAll(async () => {
    await ssh?.stop();
    t?.cleanup();
  });

  it('spreads a swarm over both hosts, lands work from both, and a killed host leaves its work in wip/ and no claim', async () => {
    const proj = makeProject(t.dir);
    const swarm = path.join(t.dir, 'swarm');
    mkdirSync(swarm, { mode: 0o700 });
    chmodSync(swarm, 0o700);
    const agent = AGENT.replace('$HOST_A_USER', ssh.users[0]);
    const run = spawnHarness(proj, ['run', '--agent', 'cmd', '--agent-cmd', agent, '--agents', '3', '--executor', 'ssh', '--hosts', 'host-a:2,host-b', '--ssh-config', ssh.config, '--max-sessions', '8', '--dir', swarm, ...FAST]);
    const upstream = path.join(swarm, 'upstream.git');
    const lockOnMain = (task: string) => {
      try {
        return git(upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/').split('\n').includes(`current_tasks/${task}.txt`);
      } catch {
        return false;
      }
    };
    try {
      const hanging = (a: string) => {
        const dir = path.join(swarm, 'agent_logs', a);
        const f = existsSync(dir) ? readdirSync(dir).find((x) => x.startsWith('1-')) : undefined;
        return !!f && readFileSync(path.join(dir, f), 'utf8').includes('HANGING');
      };
      await waitFor('both host-a sessions to hold their claims and have work', () => lockOnMain('t-agent-1-1') && lockOnMain('t-agent-2-1') && hanging('agent-1') && hanging('agent-2'), 90_000);
      const victims = ssh.pidsOf(ssh.users[0]);
      expect(victims.length).toBeGreaterThan(0);
      for (const p of victims) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch (e) {
      run.kill('SIGTERM');
      const r = await run;
      const logs = path.join(swarm, 'agent_logs', 'agent-1');
      const log = existsSync(logs) && readdirSync(logs).length ? readFileSync(path.join(logs, readdirFirst(logs)), 'utf8') : '(no log)';
      throw new Error(`${(e as Error).message}\n--- harness:\n${r.stdout}\n${r.stderr}\n--- agent-1's first log:\n${log}`);
    }
    const r = await run;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const evs = events(t.dir, 'swarm');
    // where each session ran, as status and the report show it
    const starts = evs.filter((e) => e.type === 'session_start') as { agent: string; host?: string }[];
    expect(new Set(starts.filter((s) => s.agent !== 'agent-3').map((s) => s.host))).toEqual(new Set(['host-a']));
    expect(new Set(starts.filter((s) => s.agent === 'agent-3').map((s) => s.host))).toEqual(new Set(['host-b']));
    // work from both hosts landed on main
    const files = git(upstream, 'ls-tree', '--name-only', 'main').split('\n').filter((f) => f.startsWith('work-'));
    const who = new Set(files.map((f) => /as (\S+)/.exec(git(upstream, 'show', `main:${f}`))![1]));
    expect(who).toEqual(new Set(ssh.users));
    // the killed sessions' work is in wip/, saved where it ran, and their claims are gone
    for (const a of ['agent-1', 'agent-2']) {
      const tree = git(upstream, 'ls-tree', '--name-only', `refs/heads/wip/${a}/1`);
      expect(tree).toContain(`work-t-${a}-1.txt`);
      expect(git(upstream, 'show', `refs/heads/wip/${a}/1:work-t-${a}-1.txt`)).toContain(`as ${ssh.users[0]}`);
      expect(lockOnMain(`t-${a}-1`)).toBe(false);
      expect(evs.some((e) => e.type === 'claims_released' && e.agent === a && e.session === '1' && e.tasks.includes(`t-${a}-1`))).toBe(true);
    }
    // the supervisor kept no workspace of its own for these slots; the hosts did
    expect(existsSync(path.join(swarm, 'agents', 'agent-1', 'workspace'))).toBe(false);
    expect(existsSync(path.join(ssh.homes[0], '.harness-sessions', 'agents', 'agent-1', 'workspace', '.git'))).toBe(true);
    expect(existsSync(path.join(ssh.homes[1], '.harness-sessions', 'agents', 'agent-3', 'workspace', '.git'))).toBe(true);
    // nobody was asked for a host key: it was recorded in the swarm folder's known_hosts
    expect(readFileSync(path.join(swarm, 'ssh', 'known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${ssh.port}`);
    // status and the report show where each session ran
    const st = await harness(t.dir, ['status', '--dir', swarm, '--json']);
    expect(st.code, st.err.join('\n')).toBe(0);
    const agents = (JSON.parse(st.out.join('\n')) as { agents: { agent: string; host: string | null }[] }).agents;
    expect(Object.fromEntries(agents.map((x) => [x.agent, x.host]))).toEqual({ 'agent-1': 'host-a', 'agent-2': 'host-a', 'agent-3': 'host-b' });
    const text = await harness(t.dir, ['status', '--dir', swarm]);
    expect(text.out.join('\n')).toMatch(/agent-3\s+host-b/);
    const rep = await harness(t.dir, ['report', '--dir', swarm, '--out', path.join(t.dir, 'r.html')]);
    expect(rep.code, rep.err.join('\n')).toBe(0);
    expect(readFileSync(path.join(t.dir, 'r.html'), 'utf8')).toContain('agent-3 session 1 on host-b');
    // the agents' output came back into the session logs
    expect(readFileSync(path.join(swarm, 'agent_logs', 'agent-1', readdirFirst(path.join(swarm, 'agent_logs', 'agent-1'))), 'utf8')).toContain('HANGING');
  }, 240_000);
});

function readdirFirst(dir: string): string {
  return readdirSync(dir).sort((a, b) => parseInt(a) - parseInt(b))[0]!;
}
