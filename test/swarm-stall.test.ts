// The stall guard: pure judging over observations, then through the loop with cmd agents.
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { isStalled, observe, startStall } from '../harness/swarm/stall.js';
import { harness, tempDir } from './helpers/repos.js';
import { events, FAST, makeProject } from './helpers/swarm.js';

describe('stall judging (pure)', () => {
  it('the first observation is the baseline; more done tasks or a higher pass rate restart the clock; less or equal does not', () => {
    let s = startStall(0);
    s = observe(s, { doneTasks: 3, passRate: 0.5 }, 100);
    expect(isStalled(s, 1000, 1000)).toBe(true); // the baseline is not progress
    s = observe(s, { doneTasks: 3, passRate: 0.5 }, 1500);
    expect(s.since).toBe(0);
    s = observe(s, { doneTasks: 3, passRate: 0.6 }, 2000);
    expect(s.since).toBe(2000);
    s = observe(s, { doneTasks: 3, passRate: 0.4 }, 2500); // a regression is not progress
    expect(s.since).toBe(2000);
    s = observe(s, { doneTasks: 4, passRate: 0.4 }, 3000);
    expect(s).toMatchObject({ since: 3000, best: { doneTasks: 4, passRate: 0.6 } });
    expect(isStalled(s, 3999, 1000)).toBe(false);
    expect(isStalled(s, 4000, 1000)).toBe(true);
  });
});

describe('harness run --stall-after (cmd agents)', () => {
  it('no task done, no results: stops, exit 1, said in the summary', async ({ tmp }) => {
    makeProject(tmp);
    const r = await harness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', 'sleep 0.2', '--from', 'proj', '--stall-after', '1s', '--max-sessions', '200', ...FAST]);
    expect(r.code, r.err.join('\n')).toBe(1);
    expect(r.out.join('\n')).toMatch(/stopped: stalled .* \(exit 1\)/);
    expect(events(tmp).find((e) => e.type === 'stalled')).toMatchObject({ action: 'stop' });
  });

  it('--stall-action warn: warns and keeps going; agents landing done tasks are not stalled', async () => {
    const t = tempDir();
    try {
      makeProject(t.dir);
      const warn = await harness(t.dir, ['run', '--agent', 'cmd', '--agent-cmd', 'sleep 0.2', '--from', 'proj', '--stall-after', '1s', '--stall-action', 'warn', '--until', '3s', ...FAST]);
      expect(warn.code, warn.err.join('\n')).toBe(0);
      expect(warn.out.join('\n')).toMatch(/warning: no task done and the pass rate not rising/);
      expect(warn.out.join('\n')).toMatch(/stopped: reached --until/);

      const t2 = tempDir();
      try {
        makeProject(t2.dir);
        const work = `git commit -q --allow-empty -m "fix one thing" -m "Task: t$HARNESS_SESSION" -m "Task-Status: done" && git push -q origin HEAD:main && sleep 0.3`;
        const ok = await harness(t2.dir, ['run', '--agent', 'cmd', '--agent-cmd', work, '--from', 'proj', '--stall-after', '2s', '--until', '4s', ...FAST]);
        expect(ok.code, ok.err.join('\n') + ok.out.join('\n')).toBe(0);
        expect(events(t2.dir).filter((e) => e.type === 'stalled')).toHaveLength(0);
      } finally {
        t2.cleanup();
      }
    } finally {
      t.cleanup();
    }
  });
});
