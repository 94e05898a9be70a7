// Hot-task handoff and revert / duplicate detection: the pure rules, then on real git a
// task given up twice (both attempts listed by claim and show, flagged in status), a
// planted revert and a planted duplicate (one flag line each, naming both commits), and
// ordinary history (a one-line edit of another task's code, moved code) raising no flag.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { esc } from '../harness/report/svg.js';
import { findDuplicates, findReverts, type Change } from '../harness/events/overlap.js';
import { git, harness } from './helpers/repos.js';

const ch = (sha: string, t: number, task: string | null, agent: string, files: Record<string, { added?: string[]; removed?: string[] }>, extra: Partial<Change> = {}): Change => ({
  sha, t, kind: 'landed', ref: null, tasks: task ? [task] : [], agent, session: null, revertsSha: null,
  files: new Map(Object.entries(files).map(([f, d]) => [f, { added: d.added ?? [], removed: d.removed ?? [] }])),
  ...extra,
});
const body = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `  int ${tag}_${i} = compute_${tag}(${i});`);

describe('overlap rules (pure)', () => {
  it('flags a revert of another task, not a move, not a one-line edit, not the same task', () => {
    const p = ch('p1', 0, 'fix-a', 'agent-1', { 'a.c': { added: [...body(6, 'a'), '}', ''] } });
    expect(findReverts([p, ch('c1', 60_000, 'fix-b', 'agent-2', { 'a.c': { removed: body(6, 'a') } })])).toMatchObject([{ kind: 'revert', lines: 6, of: 6 }]);
    expect(findReverts([p, ch('c2', 60_000, 'fix-b', 'agent-2', { 'a.c': { removed: body(6, 'a') }, 'b.c': { added: body(6, 'a') } })])).toEqual([]); // moved
    expect(findReverts([p, ch('c3', 60_000, 'fix-b', 'agent-2', { 'a.c': { removed: body(1, 'a'), added: ['  int x = 1;'] } })])).toEqual([]);
    expect(findReverts([p, ch('c4', 60_000, 'fix-a', 'agent-2', { 'a.c': { removed: body(6, 'a') } })])).toEqual([]);
    expect(findReverts([p, ch('c5', 7 * 3_600_000, 'fix-b', 'agent-2', { 'a.c': { removed: body(6, 'a') } })])).toEqual([]); // outside the window
    expect(findReverts([p, ch('c6', 1, 'fix-a', 'agent-1', { 'a.c': { removed: body(1, 'a') } }, { revertsSha: 'p1' })])).toHaveLength(1); // git revert
  });

  it('an edit of landed lines is no revert; putting back what they replaced is', () => {
    const util = ch('p1', 0, 'add-util', 'agent-1', { 'u.c': { added: body(8, 'util') } });
    const widen = ch('c1', 60_000, 'widen-util', 'agent-2', { 'u.c': { removed: body(8, 'util'), added: body(8, 'util').map((l) => l.replace('int', 'long')) } });
    expect(findReverts([util, widen])).toEqual([]);
    // undoing the widening restores the int lines widen-util removed: a revert
    const narrow = ch('c2', 120_000, 'narrow-util', 'agent-3', { 'u.c': { removed: body(8, 'util').map((l) => l.replace('int', 'long')), added: body(8, 'util') } });
    expect(findReverts([util, widen, narrow])).toMatchObject([{ kind: 'revert', a: { sha: 'c2' }, b: { sha: 'c1' }, lines: 8, of: 8 }]);
    // merging duplicates: twice_b's copy goes, a call to twice_a takes its place
    const twins = ch('p2', 0, 'add-twins', 'agent-1', { 't.c': { added: [...body(8, 'twice_a'), ...body(8, 'twice_b')] } });
    const dedupe = ch('c3', 60_000, 'dedupe', 'agent-2', { 't.c': { removed: body(8, 'twice_b'), added: ['  return twice_a(x);'] } });
    expect(findReverts([twins, dedupe])).toEqual([]);
    // a revert that also leaves a note still restores what was there (1 new line in 6)
    const before = ch('p3', 0, 'opt', 'agent-1', { 'o.c': { removed: body(5, 'slow'), added: body(5, 'fast') } });
    expect(findReverts([before, ch('c4', 1, 'undo', 'agent-2', { 'o.c': { removed: body(5, 'fast'), added: [...body(5, 'slow'), '  /* fast path broke t3 */'] } })])).toHaveLength(1);
  });

  it('flags near-identical changes of different work, landed or wip', () => {
    const a = ch('a1', 0, 'fix-a', 'agent-1', { 'b.c': { added: body(8, 'b') } });
    const w = ch('w1', 1000, null, 'agent-2', { 'b.c': { added: [...body(8, 'b'), '  return 0;'] } }, { kind: 'wip', ref: 'wip/agent-2/3', session: '3' });
    expect(findDuplicates([a, w])).toMatchObject([{ kind: 'duplicate', lines: 8, of: 9 }]);
    expect(findDuplicates([a, ch('x', 1, 'fix-c', 'agent-3', { 'b.c': { added: body(8, 'c') } })])).toEqual([]);
    expect(findDuplicates([a, ch('y', 1, 'fix-a', 'agent-1', { 'b.c': { added: body(8, 'b') } })])).toEqual([]); // same work
    expect(findDuplicates([ch('s', 0, 't', 'a', { f: { added: body(3, 'z') } }), ch('s2', 0, 'u', 'b', { f: { added: body(3, 'z') } })])).toEqual([]); // too small to tell
    // a landing that continues an earlier attempt's wip of the same task (the handoff) is no duplicate
    const hot = ch('h1', 2000, 'hot1', 'agent-9', { 'b.c': { added: body(8, 'b') } });
    expect(findDuplicates([{ ...w, tasks: ['hot1'] }, hot])).toEqual([]);
    expect(findDuplicates([w, hot])).toHaveLength(1); // a wip of no known task still counts
  });
});

describe('handoff and detection on real git', () => {
  it('a task given up twice: both attempts in claim and show, hot in status; a planted revert and duplicate flagged once each; ordinary history not', async ({ swarm }) => {
    const a = swarm.clone('a');
    const as = (agent: string, session: string) => ({ HARNESS_AGENT: agent, HARNESS_SESSION: session });
    const run = async (agent: string, session: string, ...args: string[]) => {
      const r = await harness(a, args, as(agent, session));
      expect(r.code, `${args.join(' ')}: ${r.err.join('\n')}`).toBe(0);
      return r;
    };
    const land = async (agent: string, session: string, task: string, files: Record<string, string[]>, msg: string) => {
      git(a, 'pull', '-q', '--rebase', 'origin', 'main');
      for (const [f, lines] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(a, f)), { recursive: true });
        writeFileSync(path.join(a, f), lines.join('\n') + '\n');
      }
      await run(agent, session, 'task', 'claim', task);
      git(a, 'add', '-A');
      await run(agent, session, 'task', 'done', task, '-m', msg);
      return git(a, 'rev-parse', 'HEAD');
    };

    // hot task: abandoned by agent-1, then by agent-2 (whose wip branch holds its work)
    await run('agent-1', '1', 'task', 'claim', 'parser-rewrite');
    await run('agent-1', '1', 'task', 'release', 'parser-rewrite', '--reason', 'needs the lexer rewrite first');
    await run('agent-2', '4', 'task', 'claim', 'parser-rewrite');
    await run('agent-2', '4', 'task', 'release', 'parser-rewrite', '--reason', 'too big for one session');
    git(a, 'push', '-q', 'origin', 'HEAD:refs/heads/wip/agent-2/4');
    const claim = await run('agent-3', '9', 'task', 'claim', 'parser-rewrite');
    expect(claim.out.slice(1)).toEqual([
      expect.stringMatching(/^earlier attempts at parser-rewrite/),
      expect.stringMatching(/^ {2}\S+Z agent-1 \(session 1\) abandoned: needs the lexer rewrite first$/),
      expect.stringMatching(/^ {2}\S+Z agent-2 \(session 4\) abandoned: too big for one session; its work: wip\/agent-2\/4$/),
    ]);
    await run('agent-3', '9', 'task', 'release', 'parser-rewrite', '--reason', 'out of time');
    const show = await run('x', '1', 'task', 'show', 'parser-rewrite');
    expect(show.out.join('\n')).toMatch(/earlier attempts \(a hot task: given up 3 times; start from their work\):\n.*agent-1[^\n]*\n.*agent-2[^\n]*wip\/agent-2\/4\n.*agent-3/);

    // ordinary history: a file, then a one-line edit of it by another task, then moved code
    await land('agent-1', '2', 'add-util', { 'src/util.c': body(8, 'util') }, 'Add util');
    await land('agent-2', '5', 'tweak-util', { 'src/util.c': [...body(7, 'util'), '  int util_7 = compute_util(70);'] }, 'Tweak util');
    await land('agent-3', '10', 'move-util', { 'src/util.c': [], 'src/util2.c': [...body(7, 'util'), '  int util_7 = compute_util(70);'] }, 'Move util');
    // ...an ordinary rewrite of those lines (int to long), and merging duplicate code
    const long = [...body(7, 'util'), '  int util_7 = compute_util(70);'].map((l) => l.replace('int', 'long'));
    await land('agent-4', '12', 'widen-util', { 'src/util2.c': long }, 'Widen util');
    await land('agent-1', '13', 'add-twins', { 'src/twins.c': [...body(8, 'twice_a'), ...body(8, 'twice_b')] }, 'Add twins');
    await land('agent-2', '14', 'dedupe-twins', { 'src/twins.c': [...body(8, 'twice_a'), '  return twice_a(x);'] }, 'Merge the twins');
    // the handoff: agent-1's attempt at hot1 is saved in wip/agent-1/2; agent-9 continues from it and lands
    git(a, 'pull', '-q', '--rebase', 'origin', 'main');
    await run('agent-1', '2', 'task', 'claim', 'hot1');
    git(a, 'checkout', '-q', '-b', 'hot1-wip');
    mkdirSync(path.join(a, 'src'), { recursive: true });
    writeFileSync(path.join(a, 'src/parser.c'), body(8, 'parse').join('\n') + '\n');
    git(a, 'add', '-A');
    git(a, 'commit', '-qm', 'wip');
    git(a, 'push', '-q', 'origin', 'HEAD:refs/heads/wip/agent-1/2');
    git(a, 'checkout', '-q', 'main');
    git(a, 'branch', '-qD', 'hot1-wip');
    await run('agent-1', '2', 'task', 'release', 'hot1', '--reason', 'out of time');
    git(a, 'pull', '-q', '--rebase', 'origin', 'main');
    git(a, 'fetch', '-q', 'origin');
    await run('agent-9', '1', 'task', 'claim', 'hot1');
    git(a, 'checkout', 'origin/wip/agent-1/2', '--', 'src/parser.c');
    await run('agent-9', '1', 'task', 'done', 'hot1', '-m', 'Parser, from agent-1\'s wip');
    // planted revert: agent-2 removes the lines agent-1's task landed
    const p = await land('agent-1', '3', 'fix-lexer', { 'src/lexer.c': body(6, 'lex') }, 'Fix the lexer');
    const c = await land('agent-2', '6', 'clean-up', { 'src/lexer.c': [] }, 'Clean up');
    // planted duplicate: agent-4's saved work repeats what agent-3 landed
    const base = git(a, 'rev-parse', 'HEAD');
    const d = await land('agent-3', '11', 'fix-codegen', { 'src/codegen.c': body(8, 'gen') }, 'Fix codegen');
    git(a, 'checkout', '-q', '-b', 'dup', base);
    writeFileSync(path.join(a, 'src/codegen.c'), [...body(8, 'gen'), '  /* wip */ int tmp_x = 1;'].join('\n') + '\n');
    git(a, 'add', '-A');
    git(a, 'commit', '-qm', 'wip');
    const w = git(a, 'rev-parse', 'HEAD');
    git(a, 'push', '-q', 'origin', 'HEAD:refs/heads/wip/agent-4/7');

    writeFileSync(path.join(swarm.root, '.swarm/run.json'), '{}');
    const st = await harness(swarm.root, ['status', '--dir', '.swarm']);
    expect(st.code, st.err.join()).toBe(0);
    const flags = st.out.filter((l) => l.startsWith('flag '));
    expect(flags).toEqual([
      `flag revert: ${c.slice(0, 7)} (agent-2, clean-up) removes 6 of 6 lines that ${p.slice(0, 7)} (agent-1, fix-lexer) landed 0 min before`,
      expect.stringMatching(new RegExp(`^flag duplicate: ${w.slice(0, 7)} \\(wip/agent-4/7, agent-4\\) and ${d.slice(0, 7)} \\(agent-3, fix-codegen\\) add the same 8 lines \\(89% alike\\)$`)),
    ]);
    expect(st.out).toContainEqual(expect.stringMatching(/^hot task parser-rewrite: given up 3 times: agent-1\/1 abandoned; agent-2\/4 abandoned \(wip\/agent-2\/4\); agent-3\/9 abandoned/));
    const rep = await harness(swarm.root, ['report', '--dir', '.swarm', '--out', path.join(swarm.root, 'r.html')]);
    expect(rep.code, rep.err.join()).toBe(0);
    const html = readFileSync(path.join(swarm.root, 'r.html'), 'utf8');
    const items = [...html.matchAll(/<ul class="flags">(.*?)<\/ul>/gs)].flatMap((m) => [...m[1]!.matchAll(/<li>(.*?)<\/li>/g)].map((x) => x[1]));
    expect(items).toEqual(flags.map((f) => esc(f.slice('flag '.length))));
    expect(html).toMatch(/hot1|parser-rewrite/);
  }, 300_000);
});
