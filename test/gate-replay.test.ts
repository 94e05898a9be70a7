// A push that waited in the gate's queue while main moved is replayed onto the new main by
// test-oracle's hook: the harness's commands read the LANDED line as a landing, and the
// agent's checkout moves to the commit that landed. Real git, the real hook, the real CLI.
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { git, gitEnv, harness, HARNESS_BIN } from './helpers/repos.js';
import { waitFor } from './helpers/swarm.js';
import { g, served } from './helpers/served.js';
import { installGateHook } from '../test-oracle/index.js';
import { waitUntil } from './oracle-helpers.js';

const A = { HARNESS_AGENT: 'agent-a', HARNESS_SESSION: '1' };

/** Starts a gated push from a fresh clone `b` and resolves once its gate (2 s) has started. */
async function gateRunning(s: { root: string; upstream: string; clone: (n: string) => string }) {
  const started = path.join(s.root, 'gate-started');
  installGateHook(s.upstream, `touch ${started}; sleep 2`, { timeoutSec: 60 });
  const b = s.clone('b');
  writeFileSync(path.join(b, 'b-notes.md'), 'b was first\n');
  git(b, 'add', '-A');
  git(b, 'commit', '-qm', 'b lands first');
  const first = execa('git', ['push', 'origin', 'HEAD:main'], { cwd: b, reject: false });
  await waitUntil(() => existsSync(started), 15_000);
  return { b, first };
}

describe('a push replayed by the gate', () => {
  it('task done that waited behind a gate lands replayed, its two commits (work, done) in order, and the checkout moves to what landed', async ({ swarm: s }) => {
    const a = s.clone('a');
    expect((await harness(a, ['task', 'claim', 'x'], A)).code).toBe(0);
    const { b, first } = await gateRunning(s);
    writeFileSync(path.join(a, 'a-work.md'), 'a did x\n');
    git(a, 'add', '-A');
    git(a, 'commit', '-qm', 'the work on x');
    const done = await harness(a, ['task', 'done', 'x', '-m', 'a did x'], A);
    expect((await first).exitCode).toBe(0);
    expect(done.code, done.err.join('\n')).toBe(0);
    expect(done.out.join('\n')).toMatch(/^done x: work and lock removal landed in [0-9a-f]+ \(rebased on upstream\)$/m);
    const main = git(s.upstream, 'rev-parse', 'main');
    // Landed by the hook's replay, not by a retry of the harness (which would land the same log).
    expect(git(s.upstream, 'reflog', '-1', '--format=%gs', 'main')).toMatch(/^test-oracle gate: push of [0-9a-f]{40} replayed onto [0-9a-f]{40}$/);
    expect(git(s.upstream, 'log', '--format=%s', '-3', 'main')).toBe('a did x\nthe work on x\nb lands first');
    expect(git(s.upstream, 'rev-parse', 'main~2')).toBe(git(b, 'rev-parse', 'HEAD'));
    expect(git(s.upstream, 'show', 'main:a-work.md')).toBe('a did x');
    expect(git(s.upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/')).not.toContain('current_tasks/x.txt');
    // The checkout is at the landed commit: nothing left to push, nothing left over.
    expect(git(a, 'rev-parse', 'HEAD')).toBe(main);
    expect(git(a, 'status', '--porcelain')).toBe('');
  });

  it('a claim that waited behind a gate lands replayed and the checkout fast-forwards to it', async ({ swarm: s }) => {
    const a = s.clone('a');
    const { first } = await gateRunning(s);
    const claim = await harness(a, ['task', 'claim', 'y'], A);
    expect((await first).exitCode).toBe(0);
    expect(claim.code, claim.err.join('\n')).toBe(0);
    const main = git(s.upstream, 'rev-parse', 'main');
    expect(git(s.upstream, 'reflog', '-1', '--format=%gs', 'main')).toMatch(/^test-oracle gate: push of [0-9a-f]{40} replayed onto /);
    expect(claim.out.join('\n')).toContain(`(commit ${main.slice(0, 7)})`);
    expect(git(s.upstream, 'log', '-1', '--format=%s', 'main^')).toBe('b lands first');
    expect(git(a, 'rev-parse', 'HEAD')).toBe(main);
  });
});

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** The pre-receive hooks running in `repo` (a hook runs in the repository it was pushed to). */
function hooksIn(repo: string): number[] {
  const want = realpathSync(repo);
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === want && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pre-receive');
    } catch {
      return false;
    }
  });
}

describe('a push whose pusher went away', () => {
  it('lands nothing when its client is killed while it waits behind a gate, though the gate would replay it', async () => {
    const { s, clone, repo, t } = await served(cleanups);
    const a1 = s.issue('agent-1', '1');
    const a2 = s.issue('agent-2', '1').secrets;
    const d1 = await clone('a1', a1.secrets);
    const d2 = await clone('a2', a2);
    const started = path.join(t.dir, 'gate-started');
    installGateHook(repo, `touch ${started}; sleep 2`, { timeoutSec: 60 });
    writeFileSync(path.join(d2, 'first.txt'), 'agent-2\n');
    await g(d2, a2, 'add', '-A');
    await g(d2, a2, 'commit', '-qm', 'first');
    const gated = g(d2, a2, 'push', '-q', 'origin', 'HEAD:main');
    await waitUntil(() => existsSync(started), 15_000);
    writeFileSync(path.join(d1, 'late.txt'), 'agent-1\n');
    await g(d1, a1.secrets, 'add', '-A');
    await g(d1, a1.secrets, 'commit', '-qm', 'late');
    // git push and its remote helper in a group of their own, killed together, as a session's are
    const late = execa('git', ['push', 'origin', 'HEAD:main'], { cwd: d1, env: { ...gitEnv(), ...a1.secrets }, extendEnv: false, reject: false, detached: true });
    const log = path.join(t.dir, 'serve', 'pushes.jsonl');
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('"agent-1"'), 15_000); // past the policy: in the gate's queue
    process.kill(-late.pid!, 'SIGKILL');
    await late;
    expect((await gated).code).toBe(0);
    expect(await waitUntil(() => hooksIn(repo).length === 0, 30_000)).toBe(true); // every hook has had its turn
    expect((await g(repo, {}, 'log', '--format=%s', 'main')).out.trim().split('\n')).toEqual(['first', 'seed']);
  });

  it('lands nothing, replayed or gated, once the server that took it is killed with -9 (receive-pack and its hooks live on)', async ({ tmp }) => {
    expect((await harness(tmp, ['init', '--dir', 'srv'])).code).toBe(0);
    const repo = path.join(tmp, 'srv', 'upstream.git');
    const seed = git(repo, 'rev-parse', 'main');
    const started = path.join(tmp, 'gate-started');
    installGateHook(repo, `touch ${started}; sleep 2`, { timeoutSec: 60 });
    const server = execa('node', [HARNESS_BIN, 'serve', '--dir', 'srv', '--listen', '127.0.0.1:0'], { cwd: tmp, env: gitEnv(), extendEnv: false, reject: false });
    let out = '';
    server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const url = await waitFor('the URL', () => /at (http:\/\/127\.0\.0\.1:\d+\/upstream\.git)/.exec(out)?.[1], 60_000);
    const token = readFileSync(path.join(tmp, 'srv/serve/supervisor.token'), 'utf8').trim();
    const env = { ...gitEnv(), GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}` };
    const pushFrom = async (name: string) => {
      const d = path.join(tmp, name);
      await execa('git', ['clone', '-q', url, d], { env, extendEnv: false });
      writeFileSync(path.join(d, `${name}.txt`), `${name}\n`);
      await execa('git', ['add', '-A'], { cwd: d, env, extendEnv: false });
      await execa('git', ['commit', '-qm', name], { cwd: d, env, extendEnv: false });
      return { push: execa('git', ['push', 'origin', 'HEAD:main'], { cwd: d, env, extendEnv: false, reject: false }) };
    };
    const gated = await pushFrom('gated');
    const log = path.join(tmp, 'srv', 'serve', 'pushes.jsonl');
    await waitUntil(() => existsSync(started), 15_000);
    const late = await pushFrom('late');
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length === 2, 15_000); // both past the policy
    server.kill('SIGKILL');
    await Promise.all([server, gated.push, late.push]);
    expect(await waitUntil(() => hooksIn(repo).length === 0, 30_000)).toBe(true);
    expect(git(repo, 'rev-parse', 'main')).toBe(seed);
  });
});
