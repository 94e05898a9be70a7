// What a real sandbox must prevent, shown by an agent that tries: writing anywhere but its
// workspace and the upstream, reading another agent's workspace or the swarm's logs,
// killing the supervisor or anything else outside, escaping stop() by leaving its process
// group, and reaching the network when the spec says no.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sandbox } from '../../harness/sandbox/types.js';
import { alive, makeFixture, pidsWithArgv, token, waitFor, type Fixture } from './sandbox-fixture.js';

/** True inside a PID namespace of its own: few processes, and the shell's pid is small. */
const PRIVATE_PIDS = '[ "$(ls /proc | grep -c "^[0-9]")" -lt 20 ] && [ $$ -lt 100 ]';

/** Runs one shell line per probe inside the sandbox and returns `name -> ok|fail`. */
async function probe(sb: Sandbox, f: Fixture, probes: Record<string, string>, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const script = Object.entries(probes)
    .map(([name, cmd]) => `if ( ${cmd} ) >/dev/null 2>&1; then echo "P ${name} ok"; else echo "P ${name} fail"; fi`)
    .join('\n');
  const s = await sb.start(f.spec({ argv: ['sh', '-c', script], env: { PATH: process.env.PATH!, HOME: '/home/agent', ...extra } }));
  expect((await s.exited).code).toBe(0);
  const out: Record<string, string> = {};
  for (const m of f.log().matchAll(/^P (\S+) (ok|fail)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

export function isolationTests(sandbox: () => Sandbox) {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture();
  });
  afterEach(() => f.cleanup());

  it('writes reach only the workspace and the upstream; tests are read-only; the rest is unseen or private', async () => {
    const r = await probe(sandbox(), f, {
      workspace: `echo x > ${f.ws}/w.txt`,
      upstream: `echo x > ${f.upstream}/u.txt`,
      tests: `echo hacked > ${f.tests}/check.sh`,
      testsNew: `echo x > ${f.tests}/new.sh`,
      usr: `touch /usr/pwned-${path.basename(f.root)}`,
      etc: `touch /etc/pwned-${path.basename(f.root)}`,
      home: 'touch "$HOME/settings" && test -f "$HOME/settings"',
      // these may "succeed" inside a private tmpfs; what matters is that nothing lands on the host
      swarmRoot: `mkdir -p ${f.root}/agents/c && echo x > ${f.root}/agents/c/planted`,
      hostTmp: `echo x > /tmp/planted-${path.basename(f.root)}`,
      readOther: `cat ${f.other}/notes.txt`,
      listOther: `ls ${path.dirname(f.other)} | grep -q .`,
      readLogs: `cat ${f.logFile} | grep -q P`,
      readTests: `cat ${f.tests}/check.sh`,
    });
    expect(r).toMatchObject({ workspace: 'ok', upstream: 'ok', home: 'ok', readTests: 'ok' });
    expect(r).toMatchObject({ tests: 'fail', testsNew: 'fail', usr: 'fail', etc: 'fail', readOther: 'fail', listOther: 'fail', readLogs: 'fail' });
    expect(existsSync(path.join(f.ws, 'w.txt'))).toBe(true);
    expect(existsSync(path.join(f.upstream, 'u.txt'))).toBe(true);
    expect(readFileSync(path.join(f.tests, 'check.sh'), 'utf8')).toBe('exit 0\n');
    expect(readdirSync(f.tests)).toEqual(['check.sh']);
    expect(existsSync(path.join(f.root, 'agents/c'))).toBe(false);
    expect(existsSync(`/tmp/planted-${path.basename(f.root)}`)).toBe(false);
    expect(existsSync(`/usr/pwned-${path.basename(f.root)}`) || existsSync(`/etc/pwned-${path.basename(f.root)}`)).toBe(false);
  });

  it('cannot kill the supervisor or a process outside, even with kill -9 -1', async () => {
    const t = token();
    const sentinel = spawn('sleep', [String(t)], { stdio: 'ignore' });
    try {
      await waitFor(() => pidsWithArgv(`sleep ${t}`).length > 0, 5000, 'the sentinel');
      const r = await probe(
        sandbox(),
        f,
        {
          killSentinel: 'kill -9 "$SENTINEL"',
          killSupervisor: 'kill -9 "$SUPERVISOR"',
          pkill: `${PRIVATE_PIDS} && pkill -9 -x sleep`, // the sentinel is a `sleep`; pkill exits 1 when it sees none
          seesFewPids: PRIVATE_PIDS,
        },
        { SENTINEL: String(sentinel.pid), SUPERVISOR: String(process.pid) },
      );
      expect(r).toMatchObject({ killSentinel: 'fail', killSupervisor: 'fail', pkill: 'fail', seesFewPids: 'ok' });
      // The agent that ran `pkill -9 bash`, made worse: SIGKILL to every process it can see.
      // Guarded so that a broken sandbox fails this test instead of killing the machine.
      const s = await sandbox().start(f.spec({ argv: ['sh', '-c', `if ${PRIVATE_PIDS}; then kill -9 -1; echo killed-all; fi`] }));
      expect((await s.exited).code).toBe(0);
      expect(f.log()).toContain('killed-all');
      expect(alive(sentinel.pid!)).toBe(true);
    } finally {
      sentinel.kill('SIGKILL');
    }
  });

  it('stop() also ends processes that left the session\'s process group', async () => {
    const t = token();
    const s = await sandbox().start(
      f.spec({ argv: ['sh', '-c', `setsid sh -c 'trap "" TERM HUP; sleep ${t}' </dev/null >/dev/null 2>&1 & touch .ready; sleep 100000`] }),
    );
    await waitFor(() => existsSync(path.join(f.ws, '.ready')) && pidsWithArgv(`sleep ${t}`).length > 0, 30_000, 'the session to start');
    await s.stop(300);
    await waitFor(() => pidsWithArgv(`sleep ${t}`).length === 0, 10_000, 'the escaped process to be gone');
  });

  it('network=false leaves only loopback; network=true shows a network', async () => {
    const ifaces = 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" " "; echo';
    const off = await sandbox().start(f.spec({ argv: ['sh', '-c', `echo "off: $(${ifaces})"`], network: false }));
    expect((await off.exited).code).toBe(0);
    const on = await sandbox().start(f.spec({ argv: ['sh', '-c', `echo "on: $(${ifaces})"`], network: true }));
    expect((await on.exited).code).toBe(0);
    expect(f.log()).toMatch(/^off: lo $/m);
    expect(f.log()).toMatch(/^on: (?!lo $)\S.*$/m);
  });
}
