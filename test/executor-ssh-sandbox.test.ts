// Remote sandboxes for real, over the ssh executor (a private sshd, two users as two hosts,
// as in executor-ssh.test.ts): the entrypoint on the "host" runs each session in bwrap, or in
// a container of the host's own docker (a private dockerd whose socket the hosts' users reach
// through a group; its address is the hosts' own DOCKER_HOST, set by their sshd, never the
// supervisor's), with --network upstream: the session has no network but the relay the
// entrypoint starts to the served upstream. Each agent proves where it ran in the work it
// lands (its pid namespace's init, a file planted outside its workspace that it cannot see,
// a port of the host it cannot reach), the first session on host-a is killed mid-session
// and its work reaches wip/, and no container is left.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestImage, type TestImage } from './helpers/docker-image.js';
import { startDockerd, type Dockerd } from './helpers/dockerd.js';
import { privatePodman } from './helpers/podman.js';
import { git, tempDir } from './helpers/repos.js';
import { pidsWithArgv } from './helpers/sandbox-fixture.js';
import { startSshd, sshUnavailable, type SshFixture } from './helpers/sshd.js';
import { events, FAST, landingAgent, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

const noSsh = sshUnavailable();

/** The agent lands `work-t-<agent>-<session>.txt` saying where it ran; host-a's first session hangs there. */
const reach = (port: number) => `const s=require("net").connect(${port},"127.0.0.1");s.on("connect",()=>{console.log("reached");process.exit(0)});s.on("error",()=>{console.log("blocked");process.exit(0)})`;

function probingAgent(planted: string, hostPort: number, hostAUser: string): string {
  const tail = `as $(id -un) pid1=$(cat /proc/1/comm) procs=$(ls -d /proc/[0-9]* | wc -l) planted=$(cat ${planted} 2>/dev/null || echo unseen) net=$(node -e '${reach(hostPort)}')`;
  return landingAgent('remote sandbox test', tail, `[ "$(id -un)" = "${hostAUser}" ] && [ "$HARNESS_SESSION" = 1 ]`);
}

interface Landed {
  swarm: string;
  upstream: string;
  /** work file -> its text */
  work: Map<string, string>;
}

const hostPidNs = () => readlinkSync('/proc/self/ns/pid');
const inHostPidNs = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`) === hostPidNs();
  } catch {
    return false;
  }
};

/**
 * A 2-slot swarm (agent-1 on host-a, agent-2 on host-b), 3 sessions each. `whileHanging`
 * runs when host-a's first session holds its claim and has uncommitted work; then `victims`
 * are killed with SIGKILL.
 */
async function remoteSwarm(root: string, ssh: SshFixture, flags: string[], o: { victims: (pids: number[]) => number[]; whileHanging?: () => Promise<void>; afterKill?: () => Promise<void> }): Promise<Landed> {
  const proj = makeProject(root);
  const swarm = path.join(root, 'swarm');
  mkdirSync(swarm, { mode: 0o700 });
  chmodSync(swarm, 0o700); // the sessions cannot lean on the supervisor's files
  const planted = path.join(root, 'planted.txt');
  writeFileSync(planted, 'PLANTED-ON-THE-HOST\n', { mode: 0o644 });
  chmodSync(planted, 0o644);
  // the control: outside a sandbox, the host's user reads it (the sandbox is what hides it)
  expect(execFileSync('runuser', ['-u', ssh.users[0], '--', 'cat', planted], { encoding: 'utf8' })).toContain('PLANTED-ON-THE-HOST');
  expect(execFileSync('runuser', ['-u', ssh.users[0], '--', 'node', '-e', reach(ssh.port)], { encoding: 'utf8' }).trim()).toBe('reached');
  const agent = probingAgent(planted, ssh.port, ssh.users[0]);
  const run = spawnHarness(proj, ['run', '--agent', 'cmd', '--agent-cmd', agent, '--agents', '2', '--executor', 'ssh', '--hosts', 'host-a,host-b', '--ssh-config', ssh.config, '--max-sessions-per-agent', '3', '--network', 'upstream', '--dir', swarm, ...flags, ...FAST]);
  const upstream = path.join(swarm, 'upstream.git');
  const hanging = () => {
    const dir = path.join(swarm, 'agent_logs', 'agent-1');
    const f = existsSync(dir) ? readdirSync(dir).find((x) => x.startsWith('1-')) : undefined;
    return !!f && readFileSync(path.join(dir, f), 'utf8').includes('HANGING');
  };
  try {
    await waitFor("host-a's first session to hold its claim and have work", hanging, 120_000);
    await o.whileHanging?.();
    const victims = o.victims(ssh.pidsOf(ssh.users[0]));
    expect(victims.length).toBeGreaterThan(0);
    for (const p of victims) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await o.afterKill?.();
  } catch (e) {
    run.kill('SIGTERM');
    const r = await run;
    throw new Error(`${(e as Error).message}\n--- harness:\n${r.stdout}\n${r.stderr}\n--- logs:\n${logs(swarm)}`);
  }
  const r = await run;
  expect(r.exitCode, `${r.stdout}\n${r.stderr}\n${logs(swarm)}`).toBe(0);
  const work = new Map<string, string>();
  for (const f of git(upstream, 'ls-tree', '--name-only', 'main').split('\n').filter((x) => x.startsWith('work-'))) work.set(f, git(upstream, 'show', `main:${f}`));
  // work from both hosts landed
  expect(new Set([...work.values()].map((t) => /as (\S+)/.exec(t)![1])), logs(swarm)).toEqual(new Set(ssh.users));
  // the killed session's work is in wip/, saved where it ran, and its claim is gone
  expect(git(upstream, 'show', 'refs/heads/wip/agent-1/1:work-t-agent-1-1.txt')).toContain(`as ${ssh.users[0]}`);
  expect(git(upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/')).not.toContain('t-agent-1-1');
  expect(events(root, 'swarm').some((e) => e.type === 'claims_released' && e.agent === 'agent-1' && e.session === '1')).toBe(true);
  return { swarm, upstream, work };
}

function logs(swarm: string): string {
  const out: string[] = [];
  for (const a of ['agent-1', 'agent-2']) {
    const dir = path.join(swarm, 'agent_logs', a);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) out.push(`== ${a}/${f}\n${readFileSync(path.join(dir, f), 'utf8').slice(-3000)}`);
  }
  return out.join('\n');
}

/** Every landed work file says: this user, in its own pid namespace with `init` as pid 1, the planted file unseen, the host's port unreachable. */
function expectIsolated(work: Map<string, string>, init: RegExp) {
  expect(work.size).toBeGreaterThanOrEqual(4);
  const hostInit = readFileSync('/proc/1/comm', 'utf8').trim();
  for (const [f, text] of work) {
    expect(text, f).toMatch(init);
    expect(text, f).not.toContain(`pid1=${hostInit} `);
    expect(Number(/procs=(\d+)/.exec(text)![1]), f).toBeLessThan(20); // the host has hundreds
    expect(text, f).toContain('planted=unseen');
    expect(text, f).toContain('net=blocked');
  }
}

describe.skipIf(noSsh !== null)(`remote bwrap over ssh${noSsh ? `: SKIPPED, ${noSsh}` : ''}`, () => {
  let t: { dir: string; cleanup: () => void };
  let ssh: SshFixture;
  beforeAll(async () => {
    t = tempDir('harness-sshbw-');
    ssh = await startSshd(t.dir, `${process.pid}w`);
  });
  afterAll(async () => {
    await ssh?.stop();
    t?.cleanup();
  });

  it('runs each session in bwrap on its host with only the upstream reachable; a killed session leaves its work in wip/', async () => {
    const { work } = await remoteSwarm(t.dir, ssh, ['--sandbox', 'bwrap'], { victims: (pids) => pids });
    expectIsolated(work, /pid1=bwrap /);
  }, 300_000);
});

describe.skipIf(noSsh !== null)(`remote docker over ssh${noSsh ? `: SKIPPED, ${noSsh}` : ''}`, () => {
  let t: { dir: string; cleanup: () => void };
  let ssh: SshFixture;
  let d: Dockerd | undefined;
  let image: TestImage;
  let skip: string | null = null;
  const group = `hxd${process.pid}`;
  beforeAll(async () => {
    t = tempDir('harness-sshdk-');
    execFileSync('groupadd', [group]);
    const started = await startDockerd(60_000, { group });
    if (!started.ok) return void (skip = started.reason);
    d = started.dockerd;
    image = await buildTestImage(d);
    // the hosts' own docker: DOCKER_HOST comes from their sshd, the supervisor has none
    ssh = await startSshd(t.dir, `${process.pid}k`, { groups: [group], setEnv: { DOCKER_HOST: d.host } });
  }, 120_000);
  afterAll(async () => {
    await ssh?.stop();
    await d?.stop();
    try {
      execFileSync('groupdel', [group]);
    } catch {
      /* not made */
    }
    t?.cleanup();
  });

  it('runs each session in a container of the host\'s docker (token never in argv, only the upstream reachable); a killed entrypoint\'s container is removed and its work saved; no container left', async (ctx) => {
    if (skip) return ctx.skip();
    const containers = async (all: boolean) => (await d!.run(['ps', ...(all ? ['--all'] : []), '--filter', 'label=harness.session', '--format', '{{.Names}}'])).stdout.trim().split('\n').filter(Boolean);
    let orphan = '';
    let afterKill = '';
    const { swarm, work } = await remoteSwarm(t.dir, ssh, ['--sandbox', 'docker', '--image', image.image, ...image.mounts.flatMap((m) => ['--mount', m.path])], {
      whileHanging: async () => {
        const names = await containers(false);
        orphan = names.find((n) => n.startsWith('agent-1-s1-')) ?? '';
        expect(orphan, names.join(' ')).not.toBe('');
        // the session's token: in the container's environment, never in an argv (the container's or any process's here)
        const inspect = async (format: string) => {
          const r = await d!.run(['inspect', '--format', format, orphan]);
          expect(r.code, r.stderr).toBe(0);
          return r.stdout;
        };
        const [args, env, user] = [await inspect('{{.Path}} {{json .Args}}'), await inspect('{{json .Config.Env}}'), await inspect('{{.Config.User}}')];
        expect(env).toContain('Authorization: Bearer ');
        expect(args).not.toContain('Bearer');
        expect(pidsWithArgv('Authorization: Bearer')).toEqual([]);
        expect(user!.trim()).toBe(`${execFileSync('id', ['-u', ssh.users[0]], { encoding: 'utf8' }).trim()}:${execFileSync('id', ['-g', ssh.users[0]], { encoding: 'utf8' }).trim()}`);
        // the env file that carried it is gone once the container was created
        const state = path.join(ssh.homes[0], '.harness-sessions', 'agents', 'agent-1', 'state');
        expect(readdirSync(state).filter((f) => f.startsWith('harness-env-'))).toEqual([]);
      },
      // the entrypoint and the docker client die (the machine's session is lost); the container, the daemon's, lives on
      victims: (pids) => pids.filter(inHostPidNs),
      afterKill: async () => {
        afterKill = `right after the kill the daemon ran: ${(await containers(false)).join(' ')}; ${new Date().toISOString()}`;
      },
    });
    expectIsolated(work, /pid1=docker-init /);
    // the container outlived its entrypoint, and the next session on host-a removed it before saving its work (the
    // line is written only when the daemon still had it: an exited --rm container is gone by itself); nothing is left
    const log2 = readdirSync(path.join(swarm, 'agent_logs', 'agent-1')).find((f) => f.startsWith('2-'))!;
    expect(readFileSync(path.join(swarm, 'agent_logs', 'agent-1', log2), 'utf8'), `${afterKill}\n${logs(swarm)}\n${events(t.dir, 'swarm').map((e) => JSON.stringify(e)).join('\n')}`).toContain(`removed the container ${orphan}`);
    expect(await containers(true)).toEqual([]);
    expect(readFileSync(path.join(swarm, 'agent_logs', 'agent-2', readdirSync(path.join(swarm, 'agent_logs', 'agent-2')).sort()[0]!), 'utf8')).toContain('(cmd, docker sandbox)');
  }, 300_000);

  it('an image the hosts do not have is one clear line before any session starts (exit 4)', async (ctx) => {
    if (skip) return ctx.skip();
    const root = path.join(t.dir, 'noimage');
    mkdirSync(root, { mode: 0o755 });
    const r = await spawnHarness(makeProject(root), ['run', '--agent', 'cmd', '--agent-cmd', 'true', '--executor', 'ssh', '--hosts', 'host-a', '--ssh-config', ssh.config, '--sandbox', 'docker', '--image', 'no-such-image:1', '--dir', path.join(root, 'swarm'), ...FAST]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toMatch(/ssh host-a: docker cannot give image no-such-image:1 there \(.*No such image.*\): install docker on the host/);
    expect(existsSync(path.join(root, 'swarm', 'agent_logs'))).toBe(false);
  });

  it('removes the container on every other way a session ends: its time limit, a signal to the entrypoint, the channel closed by a stopping swarm; each leaves its work in wip/', async (ctx) => {
    if (skip) return ctx.skip();
    const root = path.join(t.dir, 'exits');
    mkdirSync(root, { mode: 0o755 });
    const proj = makeProject(root);
    const swarm = path.join(root, 'swarm');
    mkdirSync(swarm, { mode: 0o700 });
    const agent = 'echo "work of $HARNESS_AGENT session $HARNESS_SESSION" > "work-$HARNESS_AGENT-$HARNESS_SESSION.txt"; echo HANGING; exec sleep 600';
    // agent-1 (host-a): session 1 runs into --session-timeout; agent-2 (host-b): session 1's entrypoint gets SIGTERM at
    // once, session 2 (the third and last) is stopped with the swarm when agent-1's has timed out, well before its own limit
    const run = spawnHarness(proj, ['run', '--agent', 'cmd', '--agent-cmd', agent, '--agents', '2', '--executor', 'ssh', '--hosts', 'host-a,host-b', '--ssh-config', ssh.config, '--remote-dir', '~/.harness-exits', '--max-sessions', '3', '--session-timeout', '45s', '--network', 'upstream', '--dir', swarm, '--sandbox', 'docker', '--image', image.image, ...image.mounts.flatMap((m) => ['--mount', m.path]), ...FAST]);
    const log = (a: string, n: number) => {
      const dir = path.join(swarm, 'agent_logs', a);
      const f = existsSync(dir) ? readdirSync(dir).find((x) => x.startsWith(`${n}-`)) : undefined;
      return f ? readFileSync(path.join(dir, f), 'utf8') : '';
    };
    const running = async () => (await d!.run(['ps', '--filter', 'label=harness.session', '--format', '{{.Names}}'])).stdout.trim().split('\n').filter(Boolean);
    try {
      await waitFor('both first sessions to hang', () => log('agent-1', 1).includes('HANGING') && log('agent-2', 1).includes('HANGING'), 120_000);
      expect((await running()).filter((n) => /^agent-[12]-s1-/.test(n))).toHaveLength(2);
      const entry = ssh.pidsOf(ssh.users[1]).filter((p) => inHostPidNs(p) && /^node\0-e\0.*__harnessEntry/s.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'))); // the entrypoint's node, not the login shell that started it
      expect(entry).toHaveLength(1);
      process.kill(entry[0]!, 'SIGTERM');
      await waitFor("agent-2's second session to hang", () => log('agent-2', 2).includes('HANGING'), 120_000);
      await waitFor("agent-1's first session to time out", () => log('agent-1', 1).includes('# harness: session 1 ended'), 120_000);
      expect((await running()).filter((n) => /^agent-[12]-s[12]-/.test(n))).toEqual([expect.stringMatching(/^agent-2-s2-/)]);
      run.kill('SIGTERM');
    } catch (e) {
      run.kill('SIGTERM');
      const r = await run;
      throw new Error(`${(e as Error).message}\n--- harness:\n${r.stdout}\n${r.stderr}\n--- logs:\n${logs(swarm)}`);
    }
    const r = await run;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(log('agent-2', 1)).toContain('stopping the agent: got SIGTERM');
    expect(log('agent-2', 2)).toContain('stopping the agent: the supervisor closed the channel');
    const ends = events(root, 'swarm').filter((e) => e.type === 'session_end') as { agent: string; session: string; timedOut: boolean }[];
    expect(ends.find((e) => e.agent === 'agent-1' && e.session === '1')?.timedOut).toBe(true);
    const upstream = path.join(swarm, 'upstream.git');
    expect(ends.map((e) => `${e.agent}/${e.session}`).sort()).toEqual(['agent-1/1', 'agent-2/1', 'agent-2/2']);
    for (const [a, n] of [['agent-1', 1], ['agent-2', 1], ['agent-2', 2]] as const) {
      expect(git(upstream, 'show', `refs/heads/wip/${a}/${n}:work-${a}-${n}.txt`), `${a}/${n}\n${logs(swarm)}`).toContain(`work of ${a} session ${n}`);
    }
    expect((await d!.run(['ps', '--all', '--quiet'])).stdout.trim()).toBe('');
  }, 300_000);
});

// Podman shares the docker code (one implementation, two binaries); on a host where its
// runtime cannot start a container, there is nothing to run it on.
const pm = noSsh ? { ok: false as const, reason: noSsh } : await privatePodman().catch((e: Error) => ({ ok: false as const, reason: `podman's probe failed: ${e.message}` }));
if (pm.ok) await pm.podman.stop();
describe.skipIf(!pm.ok)(`remote podman over ssh${pm.ok ? '' : `: SKIPPED, ${pm.reason}`}`, () => {
  it('is not run here', () => {
    throw new Error('podman can start containers on this machine: write the remote-podman case (as the docker one, with the hosts\' rootless podman)');
  });
});
