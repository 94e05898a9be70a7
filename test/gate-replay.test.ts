// A push that waited in the gate's queue while main moved is replayed onto the new main by
// test-oracle's hook: the harness's commands read the LANDED line as a landing, and the
// agent's checkout moves to the commit that landed. Real git, the real hook, the real CLI.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { git, harness } from './helpers/repos.js';
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
