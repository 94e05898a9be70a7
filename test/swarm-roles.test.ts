// Roles and messages through the real loop: roles from the config file give the right slots
// their role (HARNESS_ROLE, HARNESS_ROLES and the role prompt after the agent prompt), a
// message sent before the run to a bare role name reaches that role, messages head each
// recipient's first prompt with their count and text, and once the session acknowledged
// them (`harness msg inbox --ack`), the next session's prompt has none. A role prompt an
// agent deletes mid-run changes nothing: it was read once at the start.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { harness } from './helpers/repos.js';
import { agentScript, events, FAST, makeProject } from './helpers/swarm.js';

describe('roles and messages in a swarm', () => {
  it('roles reach the right slots; messages are delivered at session start and acknowledged', async ({ tmp }) => {
    makeProject(tmp);
    expect((await harness(tmp, ['init', '--from', 'proj'])).code).toBe(0);
    // the roles come from the config file (the prompt path relative to it)
    writeFileSync(path.join(tmp, 'harness.config.json'), JSON.stringify({ role: ['review=2:review.md', { name: 'docs', count: 1 }] }));
    const send = (to: string, text: string) => harness(tmp, ['msg', 'send', to, text, '--dir', '.swarm', '--agent', 'alice']);
    expect((await send('review', 'review the parser first')).out[0]).toMatch(/ to role:review /); // a bare role name, before the first run
    expect((await send('agent-4', 'you own the docs build')).code).toBe(0);
    expect((await send('all', 'stop touching src/parser.c')).code).toBe(0);

    writeFileSync(path.join(tmp, 'review.md'), 'REVIEW-ROLE-PROMPT: look for duplicate code.\n');
    const out = path.join(tmp, 'seen');
    mkdirSync(out);
    // the cmd agent gets the prompt on stdin: keep it, with the role the session was given;
    // then it deletes the review role's prompt file
    const agent = agentScript(tmp, 'agent', `{ echo "role=$HARNESS_ROLE roles=$HARNESS_ROLES"; cat; } > ${out}/$HARNESS_AGENT-$HARNESS_SESSION.txt\nharness msg inbox --ack > /dev/null\nrm -f ${path.join(tmp, 'review.md')}\n`);
    const r = await harness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', agent, '--agents', '4', '--max-sessions-per-agent', '2', ...FAST]);
    expect(r.code, r.err.join('\n')).toBe(0);

    const seen = (agent: string, n: number) => readFileSync(path.join(out, `${agent}-${n}.txt`), 'utf8');
    expect(readdirSync(out)).toHaveLength(8);
    for (const a of ['agent-1', 'agent-2']) {
      expect(seen(a, 1)).toMatch(/^role=review roles=review,docs\n# 2 messages waiting for you\n/);
      expect(seen(a, 1)).toContain('review the parser first');
      expect(seen(a, 1)).toMatch(/You are one of several agents[\s\S]*# Your standing role: review\n\nREVIEW-ROLE-PROMPT/);
      expect(seen(a, 2)).toMatch(/^role=review roles=review,docs\n# You are one of several/); // acknowledged: nothing waits
      expect(seen(a, 2)).toContain('REVIEW-ROLE-PROMPT'); // the file is gone by now: read once, at the start
    }
    expect(existsSync(path.join(tmp, 'review.md'))).toBe(false);
    expect(seen('agent-3', 1)).toMatch(/^role=docs roles=review,docs\n# 1 message waiting for you\n/);
    expect(seen('agent-3', 1)).not.toContain('REVIEW-ROLE-PROMPT');
    expect(seen('agent-3', 1)).toContain('# Your standing role: docs');
    expect(seen('agent-4', 1)).toMatch(/^role= roles=review,docs\n# 2 messages waiting for you\n/);
    expect(seen('agent-4', 1)).toContain('you own the docs build');
    expect(seen('agent-4', 1)).not.toContain('standing role');

    const starts = events(tmp).filter((e) => e.type === 'session_start');
    expect(starts.filter((e) => e.session === '1').map((e) => [e.agent, e.role ?? null, e.messages ?? 0]).sort()).toEqual([
      ['agent-1', 'review', 2], ['agent-2', 'review', 2], ['agent-3', 'docs', 1], ['agent-4', null, 2],
    ]);
    // status and the report group the agents by role (slots without one last)
    const st = await harness(tmp, ['status', '--dir', '.swarm']);
    expect(st.code, st.err.join()).toBe(0);
    expect(st.out[1]).toMatch(/^role +agent +state/);
    expect(st.out.slice(2, 6).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['docs agent-3', 'review agent-1', 'review agent-2', '- agent-4']);
    // sessions that only read and acknowledged messages landed no work, and no message is left open
    expect(st.out).toContainEqual(expect.stringMatching(/^sessions 8 \(0 crashed\); commits landed 0;/));
    expect(st.out.filter((l) => l.startsWith('messages '))).toEqual([]);
    for (const l of st.out.slice(2, 6)) expect(l.split(/\s{2,}/)[4]).toBe('-'); // no "last commit": an acknowledgement is none
    const rep = await harness(tmp, ['report', '--dir', '.swarm', '--out', path.join(tmp, 'r.html')]);
    expect(rep.code, rep.err.join()).toBe(0);
    const html = readFileSync(path.join(tmp, 'r.html'), 'utf8');
    const lanes = ['docs: agent-3', 'review: agent-1', 'review: agent-2'].map((l) => html.indexOf(`>${l}<`));
    expect(lanes.every((i) => i > 0)).toBe(true);
    expect([...lanes].sort((x, y) => x - y)).toEqual(lanes);
    expect(html.indexOf('>agent-4<', lanes[2])).toBeGreaterThan(lanes[2]!);
    const run = JSON.parse(readFileSync(path.join(tmp, '.swarm/run.json'), 'utf8'));
    expect(run.roles.map((x: { name: string; count: number }) => [x.name, x.count])).toEqual([['review', 2], ['docs', 1]]);
  }, 300_000);

  it('bad roles: one line, exit 2, before anything is written', async ({ tmp }) => {
    makeProject(tmp);
    const run = (...a: string[]) => harness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', 'true', '--from', 'proj', ...a]);
    for (const [args, why] of [
      [['--role', 'Bad=1'], /role name "Bad"/],
      [['--role', 'docs'], /NAME=COUNT/],
      [['--role', 'docs=0'], /count from 1/],
      [['--role', 'a=2', '--role', 'a=1'], /given twice/],
      [['--role', 'a=3', '--agents', '2'], /--agents 2 is fewer than the 3 slots/],
      [['--role', 'a=1:nowhere.md'], /no such prompt file/],
    ] as const) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(why);
    }
    writeFileSync(path.join(tmp, 'harness.config.json'), JSON.stringify({ role: [{ name: 'docs', count: 'x' }] }));
    const f = await run();
    expect(f.code).toBe(2);
    expect(f.err[0]).toMatch(/harness\.config\.json "role": role docs needs a count/);
  });
});
