// Messages: the pure rules (targets, ids, format, unread, acknowledgements, the prompt
// header), and on real git: 16 senders at once lose nothing, inbox and --ack, concurrent
// acknowledgements of one broadcast, and a person sending from the swarm folder.
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { ackEdit, formatMessage, messageId, MSG_ID_RE, parseMessage, parseTarget, promptHeader, unread, type Message } from '../harness/tasks/messages.js';
import { git, gitEnv, harness, makeSwarm, ROOT, type Swarm } from './helpers/repos.js';

const WORKER = path.join(ROOT, 'test/fixtures/msg-worker.ts');
const msg = (id: string, to: string, from = 'alice', ackedBy: string[] = []): Message => ({ id, from, to, sent: new Date('2026-01-01T00:00:00Z'), ackedBy, text: `text of ${id}` });

describe('messages (pure)', () => {
  it('parses recipients and refuses bad ones', () => {
    expect(parseTarget('all')).toBe('all');
    expect(parseTarget('agent-3')).toBe('agent-3');
    expect(parseTarget('role:docs')).toBe('role:docs');
    expect(parseTarget('docs', ['docs'])).toBe('role:docs');
    expect(() => parseTarget('../x')).toThrow(/give an agent/);
    expect(() => parseTarget('role:a b')).toThrow(/give an agent/);
  });

  it('makes unique sortable ids and round-trips the file', () => {
    const id = messageId(new Date('2026-01-05T04:12:09.123Z'), 'Agent 3!', () => 0.5);
    expect(id).toBe('20260105T041209Z-agent-3-800000');
    expect(MSG_ID_RE.test(id)).toBe(true);
    const m = { ...msg(id, 'role:docs'), ackedBy: ['agent-1'] };
    const text = formatMessage(m);
    expect(text).toBe(`From: alice\nTo: role:docs\nSent: 2026-01-01T00:00:00.000Z\nAcked-By: agent-1\n\ntext of ${id}\n`);
    expect(parseMessage(id, text)).toEqual(m);
    expect(parseMessage(id, Buffer.from([0xff, 0]))).toBeNull();
  });

  it('knows who a message waits for, and what an acknowledgement changes', () => {
    const box = [msg('3', 'all'), msg('1', 'agent-2'), msg('2', 'role:docs'), msg('4', 'role:review'), msg('5', 'all', 'agent-2'), msg('6', 'all', 'x', ['agent-2'])];
    expect(unread(box, { agent: 'agent-2', role: 'docs' }).map((m) => m.id)).toEqual(['1', '2', '3']);
    expect(unread(box, { agent: 'agent-9', role: null }).map((m) => m.id)).toEqual(['3', '5', '6']);
    expect(ackEdit(msg('1', 'agent-2'), { agent: 'agent-2', role: null })).toEqual({ path: 'current_tasks/messages/1.txt', content: null });
    expect(ackEdit(msg('3', 'all'), { agent: 'agent-2', role: null })!.content).toMatch(/^Acked-By: agent-2$/m);
    expect(ackEdit(msg('6', 'all', 'x', ['agent-2']), { agent: 'agent-2', role: null })).toBeNull();
  });

  it('heads a prompt with the count and the texts, or with nothing', () => {
    expect(promptHeader([])).toBe('');
    const h = promptHeader([msg('1', 'all'), msg('2', 'agent-1')]);
    expect(h.split('\n')[0]).toBe('# 2 messages waiting for you');
    expect(h).toContain('harness msg inbox --ack');
    expect(h).toContain('- from alice to agent-1 at 2026-01-01T00:00:00.000Z: text of 2');
  });
});

let swarm: Swarm | undefined;
afterEach(() => {
  swarm?.cleanup();
  swarm = undefined;
});

describe('messages on real git', () => {
  it('16 processes send at the same instant: every message lands, and the pushes really collided', async () => {
    swarm = await makeSwarm();
    const n = 16;
    const per = 1;
    const clones = Array.from({ length: n }, (_, i) => swarm!.clone(`c${i}`));
    const startAt = Date.now() + 3000 + n * 150;
    const runs = await Promise.all(
      clones.map((c, i) => execa('node', ['--import', 'tsx', WORKER, c, `agent-${i}`, String(startAt), String(per)], { cwd: ROOT, env: gitEnv(), extendEnv: false, reject: false })),
    );
    for (const r of runs) expect(r.stderr, r.stderr).toBe('');
    const sent = runs.flatMap((r) => (JSON.parse(r.stdout) as { sent: { id: string; attempts: number }[] }).sent);
    expect(sent).toHaveLength(n * per);
    const onMain = git(swarm.upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/messages/').split('\n').map((f) => path.basename(f, '.txt'));
    expect(onMain.sort()).toEqual(sent.map((s) => s.id).sort());
    const retries = sent.reduce((k, s) => k + s.attempts - 1, 0);
    console.log(`${n} senders x ${per}: ${sent.length} messages landed, ${retries} rejected pushes rebuilt`);
    expect(retries).toBeGreaterThan(0);
    expect(git(swarm.upstream, 'log', '--format=%(trailers:key=Msg-Status,valueonly)', 'main').split('\n').filter((s) => s === 'sent')).toHaveLength(n * per);

    // even senders wrote to agent-0, odd ones to all: agent-0 waits on every one of them
    const box = await harness(clones[0]!, ['msg', 'inbox', '--json'], { HARNESS_AGENT: 'agent-0' });
    expect(JSON.parse(box.out.join('\n')).messages).toHaveLength(n);
    const other = await harness(clones[1]!, ['msg', 'inbox', '--json'], { HARNESS_AGENT: 'agent-1' });
    expect(JSON.parse(other.out.join('\n')).messages).toHaveLength(n / 2 - 1); // the broadcasts, less its own
  }, 300_000);

  it('inbox, --ack, and 8 readers acknowledging one broadcast at once', async () => {
    swarm = await makeSwarm();
    const a = swarm.clone('a');
    expect((await harness(a, ['msg', 'send', 'all', 'stop', 'touching', 'src/parser.c'], { HARNESS_AGENT: 'alice' })).code).toBe(0);
    expect((await harness(a, ['msg', 'send', 'agent-1', 'look at tests/t3'], { HARNESS_AGENT: 'alice' })).code).toBe(0);
    expect((await harness(a, ['msg', 'send', 'role:docs', 'the README is stale'], { HARNESS_AGENT: 'alice' })).code).toBe(0);
    const bad = await harness(a, ['msg', 'send', 'all', '  '], { HARNESS_AGENT: 'alice' });
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/the message is empty/);

    const box = await harness(a, ['msg', 'inbox'], { HARNESS_AGENT: 'agent-1', HARNESS_ROLE: 'docs' });
    expect(box.out.filter((l) => /^\d{8}T/.test(l))).toHaveLength(3);
    expect(box.out.at(-1)).toBe('acknowledge with: harness msg inbox --ack');
    const ack = await harness(a, ['msg', 'inbox', '--ack'], { HARNESS_AGENT: 'agent-1', HARNESS_ROLE: 'docs' });
    expect(ack.out.at(-1)).toMatch(/^acknowledged 3 \(commit [0-9a-f]{7}\)$/);
    expect((await harness(a, ['msg', 'inbox'], { HARNESS_AGENT: 'agent-1', HARNESS_ROLE: 'docs' })).out).toEqual(['no messages waiting for agent-1 (role docs)']);
    // the direct message is gone once read; the broadcasts record who read them
    const files = git(swarm.upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/messages/').split('\n');
    expect(files).toHaveLength(2);
    const all = files.map((f) => git(swarm!.upstream, 'show', `main:${f}`)).find((t) => /^To: all$/m.test(t))!;
    expect(all).toMatch(/^Acked-By: agent-1$/m);

    const readers = Array.from({ length: 8 }, (_, i) => swarm!.clone(`r${i}`));
    const runs = await Promise.all(readers.map((c, i) => execa('node', [path.join(ROOT, 'bin/harness.js'), 'msg', 'inbox', '--ack'], { cwd: c, env: gitEnv({ HARNESS_AGENT: `reader-${i}` }), extendEnv: false, reject: false })));
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    const after = git(swarm.upstream, 'show', `main:${files.find((f) => /^To: all$/m.test(git(swarm!.upstream, 'show', `main:${f}`)))}`);
    const ackedBy = /^Acked-By: (.*)$/m.exec(after)![1]!.split(', ').sort();
    expect(ackedBy).toEqual(['agent-1', ...Array.from({ length: 8 }, (_, i) => `reader-${i}`)].sort());
  }, 300_000);

  it('a person sends from the swarm folder (--dir), outside every clone', async () => {
    swarm = await makeSwarm();
    const r = await harness(swarm.root, ['msg', 'send', 'all', 'going to bed', '--dir', '.swarm', '--agent', 'alice']);
    expect(r.code, r.err.join()).toBe(0);
    expect(git(swarm.upstream, 'show', 'main:' + git(swarm.upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/messages/'))).toMatch(/^From: alice\nTo: all\n/);
    const none = await harness(swarm.root, ['msg', 'send', 'all', 'x', '--dir', 'nowhere']);
    expect(none.code).toBe(2);
  });
});
