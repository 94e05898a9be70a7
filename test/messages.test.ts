// Messages: the pure rules (targets, ids, format, unread, acknowledgements, the prompt
// header), and on real git: 16 senders at once lose nothing, inbox and --ack, concurrent
// acknowledgements of one broadcast, and a person sending from the swarm folder.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { ackEdit, formatMessage, messageId, MSG_ID_RE, parseMessage, promptHeader, resolveRecipient, unread, type Message } from '../harness/tasks/messages.js';
import { git, gitEnv, harness, ROOT } from './helpers/repos.js';

const WORKER = path.join(ROOT, 'test/fixtures/msg-worker.ts');
const msg = (id: string, to: string, from = 'alice', ackedBy: string[] = []): Message => ({ id, from, to, sent: new Date('2026-01-01T00:00:00Z'), ackedBy, text: `text of ${id}` });

describe('messages (pure)', () => {
  it('resolves recipients: agents, roles of the run, explicit forms; refuses unknown and ambiguous names', () => {
    const known = { roles: ['docs', 'critic'], agents: ['alice', 'critic'] };
    expect(resolveRecipient('all', known)).toBe('all');
    expect(resolveRecipient('agent-3', known)).toBe('agent-3');
    expect(resolveRecipient('alice', known)).toBe('alice');
    expect(resolveRecipient('docs', known)).toBe('role:docs');
    expect(resolveRecipient('role:docs')).toBe('role:docs');
    expect(resolveRecipient('role:later')).toBe('role:later'); // explicit: sent ahead of a run that will have it
    expect(resolveRecipient('agent:bob')).toBe('bob');
    expect(() => resolveRecipient('critic', known)).toThrow(/both a role and an agent; write role:critic or agent:critic/);
    expect(() => resolveRecipient('docz', known)).toThrow(/"docz" is no role or agent of this run \(roles: docs, critic;/);
    expect(() => resolveRecipient('docs')).toThrow(/roles of this run are not known here/);
    expect(() => resolveRecipient('docs', { roles: [], agents: [] })).toThrow(/this run has no roles/);
    expect(() => resolveRecipient('../x')).toThrow(/give an agent/);
    expect(() => resolveRecipient('role:a b')).toThrow(/give an agent/);
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

describe('messages on real git', () => {
  it('16 processes send at the same instant: every message lands, and the pushes really collided', async ({ swarm }) => {
    const n = 16;
    const per = 1;
    const clones = Array.from({ length: n }, (_, i) => swarm.clone(`c${i}`));
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

  it('inbox, --ack, and 8 readers acknowledging one broadcast at once', async ({ swarm }) => {
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
    const all = files.map((f) => git(swarm.upstream, 'show', `main:${f}`)).find((t) => /^To: all$/m.test(t))!;
    expect(all).toMatch(/^Acked-By: agent-1$/m);

    const readers = Array.from({ length: 8 }, (_, i) => swarm.clone(`r${i}`));
    const runs = await Promise.all(readers.map((c, i) => execa('node', [path.join(ROOT, 'bin/harness.js'), 'msg', 'inbox', '--ack'], { cwd: c, env: gitEnv({ HARNESS_AGENT: `reader-${i}` }), extendEnv: false, reject: false })));
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    const after = git(swarm.upstream, 'show', `main:${files.find((f) => /^To: all$/m.test(git(swarm.upstream, 'show', `main:${f}`)))}`);
    const ackedBy = /^Acked-By: (.*)$/m.exec(after)![1]!.split(', ').sort();
    expect(ackedBy).toEqual(['agent-1', ...Array.from({ length: 8 }, (_, i) => `reader-${i}`)].sort());
  }, 300_000);

  it('a person sends from the swarm folder (--dir), outside every clone', async ({ swarm }) => {
    const r = await harness(swarm.root, ['msg', 'send', 'all', 'going to bed', '--dir', '.swarm', '--agent', 'alice']);
    expect(r.code, r.err.join()).toBe(0);
    expect(git(swarm.upstream, 'show', 'main:' + git(swarm.upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/messages/'))).toMatch(/^From: alice\nTo: all\n/);
    const none = await harness(swarm.root, ['msg', 'send', 'all', 'x', '--dir', 'nowhere']);
    expect(none.code).toBe(2);
  });

  it('a bare role name reaches the role (HARNESS_ROLES in a session, run.json or the config file with --dir); an unknown name is refused', async ({ swarm }) => {
    const a = swarm.clone('a');
    const inbox = async (agent: string, role: string) => JSON.parse((await harness(a, ['msg', 'inbox', '--json'], { HARNESS_AGENT: agent, HARNESS_ROLE: role })).out.join('\n')).messages as Message[];
    // in a session: the supervisor names the run's roles in HARNESS_ROLES
    const sent = await harness(a, ['msg', 'send', 'docs', 'README stale'], { HARNESS_AGENT: 'agent-1', HARNESS_ROLES: 'docs,critic' });
    expect(sent.code, sent.err.join()).toBe(0);
    expect(sent.out[0]).toMatch(/^sent \S+ to role:docs /);
    expect((await inbox('agent-2', 'docs')).map((m) => m.text)).toEqual(['README stale']);
    expect(await inbox('agent-3', 'critic')).toEqual([]);
    // a name that is no role and no agent goes nowhere: refused, nothing committed
    const before = git(swarm.upstream, 'rev-parse', 'main');
    const bad = await harness(a, ['msg', 'send', 'dosc', 'x'], { HARNESS_AGENT: 'agent-1', HARNESS_ROLES: 'docs,critic' });
    expect([bad.code, bad.err]).toEqual([2, [expect.stringMatching(/^harness: recipient "dosc" is no role or agent of this run \(roles: docs, critic; agents are agent-N\); write role:dosc or agent:dosc/)]]);
    expect(git(swarm.upstream, 'rev-parse', 'main')).toBe(before);
    // replying to a person by the name their message came from
    expect((await harness(swarm.root, ['msg', 'send', 'all', 'hi', '--dir', '.swarm', '--agent', 'alice'])).code).toBe(0);
    expect((await harness(a, ['msg', 'send', 'alice', 'on it'], { HARNESS_AGENT: 'agent-1' })).out[0]).toMatch(/ to alice /);

    // a person before the first run: the roles come from harness.config.json
    const person = (to: string) => harness(swarm.root, ['msg', 'send', to, 'look at the design', '--dir', '.swarm', '--agent', 'alice']);
    const unknown = await person('critic');
    expect([unknown.code, unknown.err]).toEqual([2, [expect.stringMatching(/"critic" is no role or agent of this run \(the roles of this run are not known here;/)]]);
    writeFileSync(path.join(swarm.root, 'harness.config.json'), JSON.stringify({ role: ['critic=1'] }));
    expect((await person('critic')).out[0]).toMatch(/ to role:critic /);
    expect((await inbox('agent-1', 'critic')).map((m) => `${m.to}: ${m.text}`).sort()).toEqual(['all: hi', 'role:critic: look at the design']); // ids sort by the second, then at random
    // after a run: run.json's roles
    writeFileSync(path.join(swarm.root, '.swarm/run.json'), JSON.stringify({ roles: [{ name: 'perf', count: 1 }] }));
    expect((await person('perf')).out[0]).toMatch(/ to role:perf /);
    expect((await person('critic')).code).toBe(2);
  });

  it('8 people send with --dir at once (one shared people clone): every message lands, and they really collided', async ({ swarm }) => {
    const n = 8;
    const per = 2; // each sends twice in a row: the second round races on the tracking ref too
    const bin = path.join(ROOT, 'bin/harness.js');
    const runs = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        execa('sh', ['-c', `for j in ${Array.from({ length: per }, (_, j) => j).join(' ')}; do node "$0" msg send all "concurrent ${i}.$j" --dir .swarm --agent p${i} || exit $?; done`, bin], { cwd: swarm.root, env: gitEnv(), extendEnv: false, reject: false }),
      ),
    );
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    const onMain = git(swarm.upstream, 'ls-tree', '--name-only', 'main', 'current_tasks/messages/').split('\n');
    expect(onMain).toHaveLength(n * per);
    const texts = onMain.map((f) => git(swarm.upstream, 'show', `main:${f}`).trim().split('\n').at(-1)).sort();
    expect(texts).toEqual(Array.from({ length: n * per }, (_, k) => `concurrent ${Math.floor(k / per)}.${k % per}`).sort());
    // "sent ID to all (commit X, K attempts)": K-1 pushes were rejected and rebuilt
    const rejected = runs.flatMap((r) => r.stdout.split('\n')).reduce((k, l) => k + Number(/, (\d+) attempts\)/.exec(l)?.[1] ?? 1) - 1, 0);
    console.log(`${n} --dir senders x ${per}: ${n * per} landed, ${rejected} rejected pushes rebuilt`);
    expect(rejected).toBeGreaterThan(0);
  }, 300_000);
});
