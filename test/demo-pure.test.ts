// The pure parts of the demo and the sim: placing solution lines, parsing the sim's
// flags, ranking tasks, picking a regression target, the seeded generator, counting the
// sim's conflicts.
import { describe, expect, it } from 'vitest';
import { applyEdit, applyEditsTo } from '../demo/solution.js';
import { TASKS } from '../demo/spec/index.js';
import { dedent, infix, prefix } from '../demo/spec/types.js';
import { parseSimArgs, simAgentArgv } from '../demo/sim/index.js';
import { pickRegressionTarget, rankTasks, seededRandom } from '../demo/sim/choose.js';
import { UsageError } from '../harness/kit/errors.js';
import type { LoggedEvent } from '../harness/events/log.js';
import { recordedConflictCounter } from '../harness/swarm/profile.js';
import { simConflicts } from '../demo/profile.js';

const OPS = ['export const INFIX = {', '  // @infix', "  '+': { prec: 50, fn: (a, b) => a + b },", "  '-': { prec: 50, fn: (a, b) => a - b },", '};', '', 'export const PREFIX = {', '  // @prefix', '};', ''].join('\n');

describe('applyEdit', () => {
  it('inserts a new entry right below its anchor, and a second apply changes nothing', () => {
    const r = applyEdit(OPS, infix('*', 60, '(a, b) => a * b'));
    expect(r.change).toBe('inserted');
    expect(r.text.split('\n')[2]).toBe("  '*': { prec: 60, fn: (a, b) => a * b },");
    expect(applyEdit(r.text, infix('*', 60, '(a, b) => a * b'))).toEqual({ text: r.text, change: 'unchanged' });
  });

  it('replaces the entry with the same key, so a repair overwrites a regression', () => {
    const broken = applyEdit(OPS, infix('*', 50, '(a, b) => a * b')).text;
    const fixed = applyEdit(broken, infix('*', 60, '(a, b) => a * b'));
    expect(fixed.change).toBe('replaced');
    expect(fixed.text.match(/'\*'/g)).toHaveLength(1);
    expect(fixed.text).toContain('prec: 60');
  });

  it("looks the key up only in the anchor's block: unary '-' does not replace binary '-'", () => {
    const r = applyEdit(OPS, prefix('-', '(a) => -a'));
    expect(r.change).toBe('inserted');
    expect(r.text).toContain("'-': { prec: 50");
    expect(r.text.indexOf("'-': { fn")).toBeGreaterThan(r.text.indexOf('@prefix'));
  });

  it('refuses a file without the anchor, naming it', () => {
    expect(() => applyEdit('nothing here\n', infix('*', 60, 'f'))).toThrow(/has no line with "\/\/ @infix"/);
  });

  it('applies only the edits for the file asked about, in order', () => {
    const edits = [infix('*', 60, 'f'), { ...infix('/', 60, 'g'), path: 'other.mjs' }, infix('%', 60, 'h')];
    const out = applyEditsTo(OPS, 'src/operators.mjs', edits);
    expect(out).toContain("'*'");
    expect(out).toContain("'%'");
    expect(out).not.toContain("'/'");
  });
});

describe('the task specs', () => {
  it('has at least 40 tasks with unique names, tests and keys inside their anchor blocks', () => {
    expect(TASKS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(TASKS.map((t) => t.name)).size).toBe(TASKS.length);
    const tests = TASKS.flatMap((t) => t.tests.map((x) => x.name));
    expect(new Set(tests).size).toBe(tests.length);
    for (const t of TASKS) {
      expect(t.name).toMatch(/^[a-z0-9][a-z0-9._-]{0,79}$/);
      expect(t.tests.length).toBeGreaterThan(0);
      for (const e of [...t.edits, ...(t.regress ?? [])]) expect(e.line.trim().startsWith(e.key.trim())).toBe(true);
    }
  });

  it('has groups of tasks that edit the same anchor of the same shared file', () => {
    const byAnchor = new Map<string, number>();
    for (const t of TASKS) for (const e of t.edits) byAnchor.set(`${e.path} ${e.anchor}`, (byAnchor.get(`${e.path} ${e.anchor}`) ?? 0) + 1);
    expect(byAnchor.get('src/operators.mjs // @infix')).toBeGreaterThanOrEqual(10);
    expect([...byAnchor.values()].filter((n) => n >= 3).length).toBeGreaterThanOrEqual(5);
  });

  it('dedent keeps relative indentation and ends with one newline', () => {
    expect(dedent('\n    a\n      b\n  ')).toBe('a\n  b\n');
  });
});

describe('sim flags', () => {
  it('round-trips through simAgentArgv and parseSimArgs', () => {
    const argv = simAgentArgv({ crash: 0.1, regress: 0.05, thinkMs: 250, bank: '/b', idleMs: 1000, seed: 's' });
    expect(argv[0]).toBe('node');
    expect(argv[1]).toMatch(/dist\/sim-agent\.js$/); // the built simulator, not TypeScript through tsx
    expect(parseSimArgs(argv.slice(2))).toEqual({ crash: 0.1, regress: 0.05, thinkMs: 250, bank: '/b', idleMs: 1000, seed: 's' });
  });

  it('takes --flag=value, defaults the knobs, and names every bad flag at once', () => {
    expect(parseSimArgs(['--bank=/b'])).toEqual({ bank: '/b', crash: 0, regress: 0, thinkMs: 200 });
    const e = (() => {
      try {
        parseSimArgs(['--sim-crash', '2', '--sim-think', 'x', '--bogus']);
      } catch (err) {
        return err as UsageError;
      }
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect(e!.message).toMatch(/--bogus/);
    expect(e!.message).toMatch(/--bank DIR is required/);
    expect(() => parseSimArgs(['--bank', '/b', '--sim-crash', '2'])).toThrow(/probability/);
    expect(() => parseSimArgs(['--bank', '/b', '--sim-think', '-1'])).toThrow(/milliseconds/);
  });
});

describe('sim choices', () => {
  it('ranks only unclaimed open tasks, differently per agent, stably per agent', () => {
    const open = Array.from({ length: 30 }, (_, i) => `t-${i}`);
    const a = rankTasks(open, new Set(['t-3']), 'agent-1');
    expect(a).toHaveLength(29);
    expect(a).not.toContain('t-3');
    expect(rankTasks(open, new Set(['t-3']), 'agent-1')).toEqual(a);
    const firsts = new Set(Array.from({ length: 16 }, (_, i) => rankTasks(open, new Set(), `agent-${i}`)[0]));
    expect(firsts.size).toBeGreaterThan(6);
  });

  it('breaks only a finished task that is not mine and has a known way to break', () => {
    expect(pickRegressionTarget(['a', 'b'], new Set(['a']), 'a', () => 0)).toBeNull();
    expect(pickRegressionTarget(['a', 'b', 'c'], new Set(['a', 'c']), 'b', () => 0.99)).toBe('c');
    expect(pickRegressionTarget([], new Set(), 'x', Math.random)).toBeNull();
  });

  it('a seeded generator repeats itself and stays in [0, 1)', () => {
    const x = seededRandom('s');
    const y = seededRandom('s');
    const xs = Array.from({ length: 100 }, () => x());
    expect(Array.from({ length: 100 }, () => y())).toEqual(xs);
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(seededRandom('t')()).not.toBe(xs[0]);
  });
});

describe('the demo profile counts the simulator\'s conflicts', () => {
  it('sums the FINISHED lines of a session log; other words count zero', () => {
    const log = ['sim: FINISHED lex-a in 3.2 s: 2 conflicts resolved, 3 sync rounds', 'sim: FINISHED lex-b in 0.4 s: 1 conflict resolved, 1 sync round', 'sim: FINISHED lex-c in 1.0 s: 0 conflicts resolved, 1 sync round', 'claude: resolved 9 conflicts'].join('\n');
    expect(simConflicts(log)).toBe(3);
    expect(simConflicts('nothing here')).toBe(0);
  });

  it('status and report use it only for runs that used the profile (the demo, or --agent sim)', async () => {
    const start = (agent: string) => [{ type: 'run_start', run: 'r', agents: 1, agent, sandbox: 'process', upstream: 'u', takeover: false, ts: '' }] as LoggedEvent[];
    expect(await recordedConflictCounter({ demo: true, agent: 'sim' }, [])).toBe(simConflicts);
    expect(await recordedConflictCounter({ demo: false, agent: 'sim' }, [])).toBe(simConflicts);
    expect(await recordedConflictCounter(null, start('sim'))).toBe(simConflicts);
    expect(await recordedConflictCounter({ demo: false, agent: 'claude' }, start('claude'))).toBeNull();
    expect(await recordedConflictCounter(null, [])).toBeNull();
  });
});
