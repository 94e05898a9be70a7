import { describe, expect, it } from 'vitest';
import { formatAge, parseDuration } from '../harness/kit/duration.js';
import { UsageError } from '../harness/kit/errors.js';
import {
  claimFromFile,
  decideClaim,
  decideRelease,
  liveMatcher,
  staleClaims,
  taskCommitMessage,
} from '../harness/tasks/claims.js';
import { resolveIdentity } from '../harness/tasks/identity.js';
import { formatLock, parseLock } from '../harness/tasks/lockfile.js';
import { taskOfFile, validateTaskName } from '../harness/kit/task-name.js';

const me = { agent: 'agent-1', session: '7', host: 'h' };
const now = new Date('2026-01-01T12:00:00Z');

describe('task names', () => {
  it.each(['a', 'fix-parser', 'test-struct.c', 'x_1', '0abc', 'a'.repeat(80)])('accepts %s', (n) => {
    expect(validateTaskName(n)).toBe(n);
  });

  it.each([
    ['../x', 'path separator'],
    ['a/b', 'path separator'],
    ['has space', 'white space'],
    ['Upper', 'upper-case'],
    ['a'.repeat(81), '81 characters'],
    ['', 'empty'],
    ['-lead', 'starts with'],
    ['.hidden', 'starts with'],
    ['semi;colon', 'outside'],
  ])('refuses %j with a reason', (n, why) => {
    try {
      validateTaskName(n);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).exitCode).toBe(2);
      expect((e as UsageError).code).toBe('BAD_TASK_NAME');
      expect((e as Error).message).toContain(why);
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('maps lock file names back to tasks, ignoring the README', () => {
    expect(taskOfFile('fix.txt')).toBe('fix');
    expect(taskOfFile('README.md')).toBeNull();
    expect(taskOfFile('Bad.txt')).toBeNull();
  });
});

describe('lock files', () => {
  it('round-trips the header and the note', () => {
    const text = formatLock({ task: 't', agent: 'agent-1', session: '7', claimed: now, host: 'h' }, 'plan: fix it\nthen test');
    const p = parseLock(text);
    expect(p).toEqual({
      readable: true,
      headers: { Task: 't', Agent: 'agent-1', Session: '7', Claimed: now.toISOString(), Host: 'h' },
      note: 'plan: fix it\nthen test',
    });
    const c = claimFromFile('t', Buffer.from(text));
    expect(c).toMatchObject({ agent: 'agent-1', session: '7', claimedAt: now, readable: true });
  });

  it('reads prose-only files as claims with an unknown owner', () => {
    const c = claimFromFile('t', 'Working on the lexer.\nStatus: in progress\n');
    expect(c.readable).toBe(true);
    expect(c.agent).toBeNull();
    expect(c.claimedAt).toBeNull();
    expect(c.note).toContain('Working on the lexer.');
  });

  it('keeps unknown header keys without inventing an owner', () => {
    const p = parseLock('Status: in progress\nStarted: yesterday\n\nFixing switch.');
    expect(p).toMatchObject({ readable: true, headers: { Status: 'in progress' }, note: 'Fixing switch.' });
    expect(claimFromFile('t', 'Status: x\n\nprose').agent).toBeNull();
  });

  it.each([
    ['NUL bytes', Buffer.from([0x41, 0, 0x42])],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xfd])],
    ['huge', Buffer.alloc(70_000, 0x61)],
  ])('marks %s as unreadable instead of failing', (_n, data) => {
    const c = claimFromFile('t', data);
    expect(c.readable).toBe(false);
    expect(c.problem).toBeTruthy();
  });

  it('ignores an invalid Claimed date rather than trusting it', () => {
    expect(claimFromFile('t', 'Agent: a\nClaimed: not-a-date\n\n').claimedAt).toBeNull();
  });
});

describe('claim decisions', () => {
  const held = (over: Partial<ReturnType<typeof claimFromFile>> = {}) => ({ ...claimFromFile('t', 'Agent: agent-2\nSession: 1\n\n'), ...over });

  it('claims a free task, recognises its own claim, and loses to anyone else', () => {
    expect(decideClaim(null, me).kind).toBe('free');
    expect(decideClaim(held({ agent: 'agent-1', session: '7' }), me).kind).toBe('mine');
    expect(decideClaim(held({ agent: 'agent-1', session: '6' }), me).kind).toBe('held');
    expect(decideClaim(held(), me).kind).toBe('held');
    expect(decideClaim(claimFromFile('t', 'prose'), me).kind).toBe('held');
    expect(decideClaim(claimFromFile('t', Buffer.from([0])), me).kind).toBe('held');
  });

  it('lets the owning agent release, others only with force', () => {
    expect(decideRelease(null, me, false).kind).toBe('absent');
    expect(decideRelease(held({ agent: 'agent-1', session: '7' }), me, false).kind).toBe('ok');
    expect(decideRelease(held({ agent: 'agent-1', session: '3' }), me, false).kind).toBe('held'); // another session is someone else
    expect(decideRelease(held({ agent: 'agent-1', session: null }), me, false).kind).toBe('ok');
    expect(decideRelease(held(), me, false).kind).toBe('held');
    expect(decideRelease(held(), me, true).kind).toBe('ok');
    expect(decideRelease(claimFromFile('t', 'prose'), me, false).kind).toBe('held');
  });

  it('finds stale claims: older than the TTL and not live; unknown ages are kept', () => {
    const hour = 3_600_000;
    const at = (h: number) => new Date(now.getTime() - h * hour);
    const claims = [
      { ...held({ agent: 'old-dead', session: '1' }), task: 'a', claimedAt: at(3) },
      { ...held({ agent: 'old-live', session: '2' }), task: 'b', claimedAt: at(3) },
      { ...held({ agent: 'young', session: '1' }), task: 'c', claimedAt: at(0.5) },
      { ...claimFromFile('d', 'prose', at(5)) },
      { ...claimFromFile('e', 'prose', null) },
      { ...claimFromFile('f', Buffer.from([0]), at(4)) },
    ];
    const stale = staleClaims(claims, now, 2 * hour, liveMatcher(['old-live/2']));
    expect(stale.map((c) => c.task)).toEqual(['a', 'd', 'f']);
    expect(staleClaims(claims, now, 2 * hour, liveMatcher(['old-dead'])).map((c) => c.task)).toEqual(['b', 'd', 'f']);
  });
});

describe('commit messages', () => {
  it('carries Task and Task-Status trailers for every task', () => {
    const m = taskCommitMessage({ subject: 'Reap 2', tasks: ['a', 'b'], status: 'reaped', who: me, body: 'why' });
    expect(m).toBe('Reap 2\n\nwhy\n\nTask: a\nTask: b\nTask-Status: reaped\nTask-Agent: agent-1\nTask-Session: 7\n');
  });
});

describe('identity', () => {
  it('prefers the supervisor environment, then flags, then the hostname', () => {
    expect(resolveIdentity({ env: { HARNESS_AGENT: 'a3', HARNESS_SESSION: '9' }, hostname: 'box', agentFlag: 'x', sessionFlag: 'y' })).toEqual({ agent: 'a3', session: '9', host: 'box' });
    expect(resolveIdentity({ env: {}, hostname: 'box', agentFlag: 'x' })).toEqual({ agent: 'x', session: null, host: 'box' });
    expect(resolveIdentity({ env: { HARNESS_AGENT: ' ' }, hostname: 'box' })).toEqual({ agent: 'box', session: null, host: 'box' });
  });
});

describe('durations', () => {
  it('parses what people type and refuses the rest', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['', '5x', '10', 'h', '1h 30m']) expect(() => parseDuration(bad)).toThrow(UsageError);
    expect(formatAge(125_000)).toBe('2m');
    expect(formatAge(3 * 3_600_000 + 60_000)).toBe('3h1m');
  });
});
