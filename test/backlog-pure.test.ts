// The backlog's pure core: file format, dependency graph (cycles, unknown dependencies),
// readiness, the choice of the next task, and what the lock history says (done, attempts).
import { describe, expect, it } from 'vitest';
import { checkNewItem, findCycles, formatBacklogFile, parseBacklogFile, pickReady, planBacklog, type BacklogItem } from '../harness/tasks/backlog.js';
import { doneTasks, hotTasks, parseTaskLog, taskStories, wipFor, type TaskEvent } from '../harness/tasks/history.js';
import { chooseProposal } from '../harness/tasks/next.js';
import { sampleHash32 } from '../harness/kit/hash.js';

const item = (task: string, depends: string[] = [], priority = 0, markedDone = false): BacklogItem => ({ task, priority, depends, markedDone, note: '', problems: [] });
const none = new Set<string>();

describe('backlog files', () => {
  it('round-trips what task add writes', () => {
    const text = formatBacklogFile({ task: 'parser', priority: 5, depends: ['lexer', 'ast'], added: new Date('2026-01-01T00:00:00Z'), by: 'agent-2' }, 'Rewrite the parser.');
    expect(text).toBe('Task: parser\nPriority: 5\nDepends: lexer, ast\nAdded: 2026-01-01T00:00:00.000Z\nAdded-By: agent-2\n\nRewrite the parser.\n');
    expect(parseBacklogFile('parser', text)).toEqual({ task: 'parser', priority: 5, depends: ['lexer', 'ast'], markedDone: false, note: 'Rewrite the parser.', problems: [] });
  });

  it('reads hand-written files leniently and says what it ignored', () => {
    const p = parseBacklogFile('x', 'priority: high\ndepends: a b,, a ,Bad/Name x\nstatus: Done\n\nprose');
    expect(p.priority).toBe(0);
    expect(p.depends).toEqual(['a', 'b']);
    expect(p.markedDone).toBe(true);
    expect(p.problems.join('\n')).toMatch(/Priority "high"[\s\S]*Bad\/Name[\s\S]*itself/);
    expect(parseBacklogFile('y', 'just prose, no headers')).toMatchObject({ priority: 0, depends: [], note: 'just prose, no headers' });
    expect(parseBacklogFile('z', Buffer.from([0xff, 0xfe, 0]))).toMatchObject({ problems: ['not UTF-8 text'] });
  });

  it('checks task add input at the edge', () => {
    expect(checkNewItem('a', '7', ['b,c', 'c'])).toEqual({ priority: 7, depends: ['b', 'c'] });
    expect(checkNewItem('a', undefined, [])).toEqual({ priority: 0, depends: [] });
    expect(() => checkNewItem('a', 'soon', [])).toThrow(/whole number/);
    expect(() => checkNewItem('a', '1', ['../etc'])).toThrow(/invalid task name/);
    expect(() => checkNewItem('a', '1', ['a'])).toThrow(/itself/);
  });
});

describe('dependency graph', () => {
  it('finds each cycle once, and none in a DAG', () => {
    expect(findCycles([item('a', ['b']), item('b', ['c']), item('c')])).toEqual([]);
    const cycles = findCycles([item('a', ['b']), item('b', ['c']), item('c', ['a']), item('d', ['d2']), item('d2', ['d']), item('e', ['a'])]);
    expect(cycles.map((c) => [...c].sort())).toEqual([['a', 'b', 'c'], ['d', 'd2']]);
  });

  it('handles a 20,000-long chain without recursion', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => item(`t${i}`, i ? [`t${i - 1}`] : []));
    expect(findCycles(items)).toEqual([]);
    items[0] = item('t0', ['t19999']);
    expect(findCycles(items)[0]).toHaveLength(20_000);
  });

  it('sorts ready, blocked, held and done; reports unknown dependencies and never readies a cycle', () => {
    const items = [item('lex', [], 5), item('parse', ['lex'], 5), item('docs', [], 1), item('x', ['parse', 'ghost']), item('c1', ['c2']), item('c2', ['c1']), item('old', ['gone-but-done']), item('hand', [], 0, true)];
    const plan = planBacklog(items, { done: new Set(['gone-but-done']), known: new Set(['gone-but-done']), held: none });
    expect(plan.ready.map((i) => i.task)).toEqual(['lex', 'docs', 'old']);
    expect(plan.blocked.map((b) => [b.item.task, b.waitingOn])).toEqual([['parse', ['lex']], ['x', ['parse', 'ghost']], ['c1', ['c2']], ['c2', ['c1']]]);
    expect(plan.done.map((i) => i.task)).toEqual(['hand']);
    expect(plan.unknown).toEqual([{ task: 'x', dep: 'ghost' }]);
    expect(plan.cycles).toHaveLength(1);

    const later = planBacklog(items, { done: new Set(['lex', 'gone-but-done']), known: new Set(['lex']), held: new Set(['parse']) });
    expect(later.ready.map((i) => i.task)).toEqual(['docs', 'old']);
    expect(later.held.map((i) => i.task)).toEqual(['parse']);
    expect(later.done.map((i) => i.task)).toEqual(['lex', 'hand']);
  });

  it('picks the highest priority, spread per agent over ties', () => {
    const ready = [item('a', [], 3), item('b', [], 3), item('c', [], 3), item('d', [], 1)];
    const rank = (agent: string) => (t: string) => sampleHash32(agent, t);
    const picks = new Set(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((ag) => pickReady(ready, none, rank(ag))!.task));
    expect([...picks].every((t) => t !== 'd')).toBe(true);
    expect(picks.size).toBeGreaterThan(1);
    expect(pickReady(ready, new Set(['a', 'b', 'c']), rank('a1'))!.task).toBe('d');
    expect(pickReady(ready, new Set(['a', 'b', 'c', 'd']), rank('a1'))).toBeNull();
  });

  it('merges with failing tests: backlog at priority >= 0 first, then failing tests, then negative priorities', () => {
    const failing = { testId: 't/1', tool: 'tcc', task: 'test-t-1', result: 'fail' as const, reason: 'x', unclaimed: 1, failing: 1 };
    const plan = (items: BacklogItem[]) => planBacklog(items, { done: none, known: none, held: none });
    expect(chooseProposal(plan([item('b', [], 0)]), failing, none, 'a')).toMatchObject({ source: 'backlog', task: 'b' });
    expect(chooseProposal(plan([item('b', [], -1)]), failing, none, 'a')).toMatchObject({ source: 'failing-test', task: 'test-t-1', rerun: "test-oracle run --tool=tcc --filter '^t/1$'" });
    expect(chooseProposal(plan([item('b', [], -1)]), null, none, 'a')).toMatchObject({ source: 'backlog', task: 'b' });
    expect(chooseProposal(plan([item('b', ['a'])]), null, none, 'a')).toBeNull();
  });
});

describe('lock history', () => {
  const rec = (sha: string, t: number, tasks: string, status: string, agent: string, session: string, body = '') =>
    `\x1e${sha}\x1f${t}\x1f${tasks}\x1f${status}\x1f${agent}\x1f${session}\x1f${body}\n\nTask: ${tasks}\nTask-Status: ${status}\n`;
  // git log prints newest first
  const log = [
    rec('e6', 600, 'fix', 'done', 'agent-3', '9'),
    rec('e5', 500, 'fix', 'claimed', 'agent-3', '9'),
    rec('e4', 400, 'fix,other', 'reaped', 'harness', '', '- fix: held by agent-2 (session 4) for 3h\n- other: held by x for 2h'),
    rec('e3', 300, 'fix', 'claimed', 'agent-2', '4'),
    rec('e2', 200, 'fix', 'abandoned', 'agent-1', '1', 'The lexer rewrite is needed first.'),
    rec('e1', 100, 'fix', 'claimed', 'agent-1', '1'),
    rec('e0', 50, 'fix', 'added', 'p', ''),
  ].join('');

  it('parses trailers, drops unknown statuses, strips trailers from the reason', () => {
    const ev = parseTaskLog(log);
    expect(ev.map((e) => e.sha)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(ev[1]).toMatchObject({ status: 'abandoned', agent: 'agent-1', session: '1', body: 'The lexer rewrite is needed first.', t: 200_000 });
    expect(ev[3]!.tasks).toEqual(['fix', 'other']);
  });

  it('tells each attempt: who, when, how it ended and why', () => {
    const stories = taskStories(parseTaskLog(log));
    const fix = stories.get('fix')!;
    expect(fix.givenUp).toBe(2);
    expect(fix.last).toBe('done');
    expect(fix.attempts.map((a) => [a.agent, a.session, a.end?.status, a.end?.reason])).toEqual([
      ['agent-1', '1', 'abandoned', 'The lexer rewrite is needed first.'],
      ['agent-2', '4', 'reaped', 'reaped: held by agent-2 (session 4) for 3h'],
      ['agent-3', '9', 'done', ''],
    ]);
    expect(stories.get('other')!.attempts[0]).toMatchObject({ agent: null, end: { status: 'reaped' } });
    expect(doneTasks(stories)).toEqual(new Set(['fix']));
    expect(hotTasks(stories)).toEqual([]); // done: no longer hot
    const open = taskStories(parseTaskLog(log).slice(0, 4));
    expect(hotTasks(open).map((s) => s.task)).toEqual(['fix']);
  });

  it('finds the wip branch an attempt left', () => {
    const a = { agent: 'agent-2', session: '4', claimedAt: 0, claimSha: 'x', end: null };
    expect(wipFor(a, ['wip/agent-2/40', 'wip/agent-2/4-2'])).toBe('wip/agent-2/4-2');
    expect(wipFor(a, ['wip/agent-2/40'])).toBeNull();
    expect(wipFor({ ...a, session: null }, ['wip/agent-2/4'])).toBeNull();
  });

  it('a plain-git claim with trailers only and an end without a claim both count', () => {
    const ev: TaskEvent[] = [{ sha: 'a', t: 1, tasks: ['t'], status: 'abandoned', agent: 'bob', session: null, body: 'gave up' }];
    expect(taskStories(ev).get('t')!.attempts).toEqual([{ agent: 'bob', session: null, claimedAt: 1, claimSha: 'a', end: { status: 'abandoned', t: 1, sha: 'a', by: 'bob', reason: 'gave up' } }]);
  });
});
