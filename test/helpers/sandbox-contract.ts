// The behaviour every sandbox owes the supervisor (harness/sandbox/types.ts), as tests that
// each sandbox's test file registers against a real instance. Isolation cases are in
// sandbox-isolation.ts: the process sandbox has none to show.
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sandbox } from '../../harness/sandbox/types.js';
import { HANDSHAKE, makeFixture, pidsWithArgv, token, waitFor, type Fixture } from './sandbox-fixture.js';

export function contractTests(sandbox: () => Sandbox) {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture();
  });
  afterEach(() => f.cleanup());

  it('runs argv in the workspace with its env and stdin, output to the log fd, and reports the exit code', async () => {
    const s = await sandbox().start(
      f.spec({ argv: ['sh', '-c', 'pwd; echo "greeting=$GREETING"; cat; echo; echo to-stderr >&2; exit 7'], env: { PATH: process.env.PATH!, GREETING: 'hello' }, stdin: 'from-stdin' }),
    );
    expect(s.pid).toBeGreaterThan(0);
    expect(await s.exited).toEqual({ code: 7, signal: null });
    const log = f.log();
    expect(log).toContain(`${f.ws}\n`);
    expect(log).toContain('greeting=hello');
    expect(log).toContain('from-stdin');
    expect(log).toContain('to-stderr');
  });

  it('hands secrets to the environment but never to an argv, nor to the log unless the agent prints them', async () => {
    const secret = `sk-test-${token()}`;
    const s = await sandbox().start(
      f.spec({
        name: `sec-${token()}`,
        argv: ['sh', '-c', `printf %s "$API_KEY" | md5sum; ${HANDSHAKE}; [ "$1" = print ] && echo "key=$API_KEY"; exit 0`, 'sh', 'quiet'],
        secrets: { API_KEY: secret },
      }),
    );
    await waitFor(() => existsSync(path.join(f.ws, '.ready')), 30_000, 'the session to start');
    expect(pidsWithArgv(secret)).toEqual([]); // no process on this machine shows it in its argv
    writeFileSync(path.join(f.ws, '.go'), '');
    expect((await s.exited).code).toBe(0);
    const { createHash } = await import('node:crypto');
    expect(f.log()).toContain(createHash('md5').update(secret).digest('hex')); // it did arrive
    expect(f.log()).not.toContain(secret);

    const printed = await sandbox().start(f.spec({ argv: ['sh', '-c', 'echo "key=$API_KEY"'], secrets: { API_KEY: secret } }));
    expect((await printed.exited).code).toBe(0);
    expect(f.log()).toContain(`key=${secret}`);
  });

  it('stop(grace) sends SIGTERM first and leaves nothing of the session running', async () => {
    const t = token();
    const s = await sandbox().start(
      f.spec({ argv: ['sh', '-c', `trap 'echo got-term; exit 0' TERM; sleep ${t} & touch .ready; wait`] }),
    );
    await waitFor(() => existsSync(path.join(f.ws, '.ready')) && pidsWithArgv(`sleep ${t}`).length > 0, 30_000, 'the session to start');
    const t0 = Date.now();
    const ex = await s.stop(10_000);
    expect(Date.now() - t0).toBeLessThan(9_000); // it honoured TERM, no SIGKILL was needed
    expect(ex.code).toBe(0);
    expect(f.log()).toContain('got-term');
    await waitFor(() => pidsWithArgv(`sleep ${t}`).length === 0, 10_000, 'the background child to be gone');
  });

  it('stop(grace) kills a session that ignores SIGTERM once the grace period is over', async () => {
    const t = token();
    const s = await sandbox().start(f.spec({ argv: ['sh', '-c', `trap '' TERM; touch .ready; while :; do sleep ${t}; done`] }));
    await waitFor(() => existsSync(path.join(f.ws, '.ready')) && pidsWithArgv(`sleep ${t}`).length > 0, 30_000, 'the session to start');
    const t0 = Date.now();
    const ex = await s.stop(500);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(ex.code === 0).toBe(false);
    await waitFor(() => pidsWithArgv(`sleep ${t}`).length === 0, 10_000, 'the session to be gone');
  });

  it('stop() right after start() leaves nothing running', async () => {
    const t = token();
    const s = await sandbox().start(f.spec({ argv: ['sh', '-c', `sleep ${t}`] }));
    await s.stop(1000);
    await new Promise((r) => setTimeout(r, 1500)); // would a late start slip through?
    expect(pidsWithArgv(`sleep ${t}`)).toEqual([]);
  });
}

/** process and bwrap start the agent at spec.limits.nice (docker/podman have cgroups for CPU). */
export function niceTests(sandbox: () => Sandbox) {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture();
  });
  afterEach(() => f.cleanup());

  it('starts the agent at the CPU priority of spec.limits.nice, and everything it starts inherits it', async () => {
    const s = await sandbox().start(f.spec({ argv: ['sh', '-c', 'echo "own=$(cut -d" " -f19 /proc/$$/stat)"; echo "child=$(nice)"'], limits: { nice: 7 } }));
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(f.log()).toContain('own=7\n');
    expect(f.log()).toContain('child=7\n');
    const plain = await sandbox().start(f.spec({ argv: ['sh', '-c', 'echo "plain=$(nice)"'] }));
    expect((await plain.exited).code).toBe(0);
    expect(f.log()).toContain(`plain=${os.getPriority()}\n`);
  });
}
