// The supervisor's own faults stop the run cleanly, with exit 4 and one line naming the
// cause: a slot that throws (its log folder is a file), a full disk under events.jsonl
// (a filled tmpfs). Real processes.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { git, tempDir } from './helpers/repos.js';
import { agentScript, events, FAST, fastUnless, makeProject, spawnHarness, waitFor } from './helpers/swarm.js';

describe('a failing slot stops the run', () => {
  it('a slot that throws: the other slot\'s running session gets the grace period, its work is saved, exit 4 naming the cause', async ({ tmp }) => {
    makeProject(tmp);
    // agent-2's first session replaces its log folder with a file: its next session log cannot be opened
    const logs = path.join(tmp, '.swarm/agent_logs');
    const cmd = agentScript(tmp, 'busy', `if [ "$HARNESS_AGENT" = agent-2 ]; then sleep 3; rm -rf ${logs}/agent-2; echo no > ${logs}/agent-2; exit 0; fi
echo draft > draft-$HARNESS_AGENT.txt; trap "exit 143" TERM; sleep 30 & wait
`);
    const r = await spawnHarness(tmp, ['run', '--agents', '2', '--agent', 'cmd', '--agent-cmd', cmd, '--from', 'proj', ...fastUnless(['--backoff-base', '--backoff-cap']), '--backoff-base', '5s', '--backoff-cap', '5s']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toMatch(/agent-2: .*\[RUN_FAILED\]/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/stopped: failed: agent-2/);
    const ev = events(tmp);
    expect(ev.filter((e) => e.type === 'session_start').map((e) => e.type === 'session_start' && e.agent).sort()).toEqual(['agent-1', 'agent-2']);
    expect(ev.some((e) => e.type === 'session_end' && e.agent === 'agent-1' && e.stopped)).toBe(true);
    expect(git(path.join(tmp, '.swarm/upstream.git'), 'show', 'wip/agent-1/1:draft-agent-1.txt')).toBe('draft');
    expect(ev.at(-1)?.type).toBe('run_end');
    expect(existsSync(path.join(tmp, '.swarm/harness.lock.lock'))).toBe(false); // released only at the very end
  }, 60_000);

  // A real full disk: a 64 KiB tmpfs, filled, its file bind-mounted over events.jsonl. Needs root (mount).
  const canMount = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=16k tmpfs "$d" && umount "$d"; r=$?; rmdir "$d"; exit $r']).status === 0;
  it.skipIf(!canMount)('events.jsonl on a full disk (a filled tmpfs): the run stops gracefully, exit 4 naming the file, no crash', async () => {
    const t = tempDir();
    const fs = path.join(t.dir, 'tiny');
    const swarm = path.join(t.dir, '.swarm');
    mkdirSync(fs);
    mkdirSync(swarm);
    const sh = (c: string) => execFileSync('sh', ['-c', c]);
    try {
      makeProject(t.dir);
      const cmd = agentScript(t.dir, 'quick', 'sleep 1\n');
      sh(`mount -t tmpfs -o size=64k tmpfs ${fs} && touch ${fs}/events.jsonl && (dd if=/dev/zero of=${fs}/filler bs=4k 2>/dev/null; true) && touch ${swarm}/events.jsonl && mount --bind ${fs}/events.jsonl ${swarm}/events.jsonl`);
      const r = await spawnHarness(t.dir, ['run', '--agents', '2', '--agent', 'cmd', '--agent-cmd', cmd, '--from', 'proj', ...FAST]);
      expect(r.exitCode, r.stdout + r.stderr).toBe(4);
      expect(r.stderr).toMatch(/cannot write .*events\.jsonl: ENOSPC.*\[RUN_FAILED\]/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line, no stack trace
      expect(r.stdout).toMatch(/stopped: failed: cannot write/);
    } finally {
      spawnSync('sh', ['-c', `umount ${swarm}/events.jsonl; umount ${fs}`]);
      t.cleanup();
    }
  }, 60_000);
});

describe('a transient spawn failure is the session\'s, not the run\'s', () => {
  it('git being rewritten while the supervisor starts it (a real ETXTBSY) costs a backoff; the run goes on and ends on time, exit 0', async ({ tmp }) => {
    makeProject(tmp);
    // Every git the supervisor starts is this wrapper, found first on PATH; held open for
    // writing, exec refuses it with ETXTBSY, as when a package upgrade rewrites a binary mid-run.
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    const wrapper = path.join(bin, 'git');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const cmd = agentScript(tmp, 'quick', 'sleep 0.2\n');
    const run = spawnHarness(tmp, ['run', '--agents', '2', '--agent', 'cmd', '--agent-cmd', cmd, '--from', 'proj', '--until', '9s', ...FAST], { PATH: `${bin}:${process.env.PATH}` });
    const started = () => existsSync(path.join(tmp, '.swarm/events.jsonl')) && events(tmp).filter((e) => e.type === 'session_start').length >= 2;
    await waitFor('two sessions started', started, 8000);
    const busy = openSync(wrapper, 'r+');
    try {
      await waitFor('a session error naming ETXTBSY', () => events(tmp).some((e) => e.type === 'session_error' && /ETXTBSY/.test(e.error)), 4000);
    } finally {
      closeSync(busy);
    }
    const r = await run;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped: reached --until/);
    const ev = events(tmp);
    const failedAt = ev.findIndex((e) => e.type === 'session_error' && /could not start git \(ETXTBSY/.test(e.error));
    expect(failedAt).toBeGreaterThan(0);
    expect(ev.slice(failedAt).some((e) => e.type === 'session_start')).toBe(true); // sessions went on after it
  }, 60_000);
});

