// Pure rules of issue 9: which claims a pending removal still covers, how removals batch
// into commits, identities checked like task names, and trailers no input can add to.
import { describe, expect, it } from 'vitest';
import { claimFromFile, ownedBy, taskCommitMessage } from '../harness/tasks/claims.js';
import { formatLock, parseLock } from '../harness/tasks/lockfile.js';
import { resolveIdentity } from '../harness/tasks/identity.js';
import { covers, planRemovals } from '../harness/tasks/removals.js';
import { HarnessError } from '../harness/kit/errors.js';

const lock = (task: string, agent: string, session: string, run: string | null) =>
  claimFromFile(task, formatLock({ task, agent, session, run, claimed: new Date(0), host: 'c0ffee' }, ''));

describe('pending removals', () => {
  it('cover a session\'s claims, a dead run\'s claims (wherever made) or one exact claim, never a claim that changed hands', () => {
    const mine = lock('x', 'agent-1', '3', 'run-a');
    expect(covers({ kind: 'session', agent: 'agent-1', session: '3', run: 'run-a' }, mine)).toBe(true);
    expect(covers({ kind: 'session', agent: 'agent-1', session: '3', run: 'run-b' }, mine)).toBe(false); // another swarm's agent-1
    expect(covers({ kind: 'session', agent: 'agent-1', session: '4', run: 'run-a' }, mine)).toBe(false);
    expect(covers({ kind: 'run', run: 'run-a' }, mine)).toBe(true);
    expect(covers({ kind: 'run', run: 'run-a' }, lock('x', 'agent-1', '3', null))).toBe(false);
    expect(covers({ kind: 'claim', task: 'x', agent: 'agent-1', session: '3', run: 'run-a' }, mine)).toBe(true);
    expect(covers({ kind: 'claim', task: 'x', agent: 'agent-1', session: '3', run: 'run-a' }, lock('x', 'agent-2', '1', 'run-a'))).toBe(false);
  });

  it('batch every removal into one commit per status, each claim once, and report finished ones with nothing left', () => {
    const claims = [lock('a', 'agent-1', '1', 'r'), lock('b', 'agent-1', '1', 'r'), lock('c', 'agent-2', '5', 'dead'), lock('d', 'agent-3', '1', 'r')];
    const plan = planRemovals(
      [
        { id: '1', status: 'abandoned', targets: [{ kind: 'session', agent: 'agent-1', session: '1', run: 'r' }], reason: 'ended' },
        { id: '2', status: 'reaped', targets: [{ kind: 'run', run: 'dead' }], reason: 'dead run' },
        { id: '3', status: 'reaped', targets: [{ kind: 'claim', task: 'a', agent: 'agent-1', session: '1', run: 'r' }], reason: 'ttl' },
        { id: '4', status: 'abandoned', targets: [{ kind: 'session', agent: 'agent-9', session: '1', run: 'r' }], reason: 'gone already' },
      ],
      claims,
    );
    expect(plan.groups.map((g) => [g.status, g.claims.map((c) => c.task)])).toEqual([['abandoned', ['a', 'b']], ['reaped', ['c']]]);
    expect(plan.tasksOf.get('4')).toEqual([]);
    expect(plan.tasksOf.get('2')).toEqual(['c']);
  });
});

describe('identities and trailers', () => {
  const bad = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as HarnessError).exitCode === 2 && (e as HarnessError).code === 'BAD_IDENTITY';
    }
    return false;
  };

  it('refuses a newline or odd characters in HARNESS_AGENT, HARNESS_SESSION, --agent, HARNESS_RUN (exit 2)', () => {
    expect(bad(() => resolveIdentity({ env: { HARNESS_AGENT: 'a\nTask-Status: done' }, hostname: 'h' }))).toBe(true);
    expect(bad(() => resolveIdentity({ env: { HARNESS_SESSION: '1\n2' }, hostname: 'h' }))).toBe(true);
    expect(bad(() => resolveIdentity({ env: {}, hostname: 'h', agentFlag: 'me; rm -rf /' }))).toBe(true);
    expect(bad(() => resolveIdentity({ env: { HARNESS_RUN: 'r/../x' }, hostname: 'h' }))).toBe(true);
    expect(resolveIdentity({ env: { HARNESS_RUN: '20261129T014145-9469' }, hostname: 'my host' })).toEqual({ agent: 'my-host', session: null, host: 'my-host', run: '20261129T014145-9469' });
  });

  it('keeps the trailers the last paragraph, so a message cannot add one', () => {
    const who = { agent: 'agent-1', session: '2', host: 'h', run: 'r1' };
    const msg = taskCommitMessage({ subject: 'fix\n\nTask: other\nTask-Status: done', tasks: ['x'], status: 'claimed', who, body: 'Task-Status: reaped' });
    const paras = msg.trim().split('\n\n');
    expect(paras.at(-1)).toBe('Task: x\nTask-Status: claimed\nTask-Agent: agent-1\nTask-Session: 2\nTask-Run: r1');
  });

  it('writes and reads the Run: header', () => {
    const p = parseLock(formatLock({ task: 't', agent: 'agent-1', session: '7', run: 'r9', claimed: new Date(0), host: 'h' }, ''));
    expect(p.readable && p.headers.Run).toBe('r9');
    const c = lock('t', 'agent-1', '7', 'r9');
    expect(ownedBy(c, { agent: 'agent-1', session: '7', host: 'h', run: 'r9' })).toBe(true);
    expect(ownedBy(c, { agent: 'agent-1', session: '7', host: 'h', run: 'r8' })).toBe(false);
    expect(ownedBy(c, { agent: 'agent-1', session: null, host: 'h' })).toBe(true);
  });
});
