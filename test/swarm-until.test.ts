// When a run stops on its own: `--until TIME` ends it on time even while every slot is in a
// long session; `--until done` on a project with no recorded oracle results never counts as
// done, and says so once.
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { harness } from './helpers/repos.js';
import { events, FAST, makeProject } from './helpers/swarm.js';

describe('harness run --until', () => {
  it('a duration: at that time the running session is stopped (grace, then kill) and no new one starts', async ({ tmp }) => {
    makeProject(tmp);
    const t0 = Date.now();
    const r = await harness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', 'sleep 60', '--from', 'proj', '--until', '2s', ...FAST]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.out.join('\n')).toMatch(/stopped: reached --until/);
    const ends = events(tmp).filter((e) => e.type === 'session_end');
    expect(ends.map((e) => e.type === 'session_end' && e.stopped)).toEqual([true]);
  });

  it('done, with no recorded test results on main: not done; said once', async ({ tmp }) => {
    makeProject(tmp);
    const r = await harness(tmp, ['run', '--agent', 'cmd', '--agent-cmd', 'true', '--from', 'proj', '--until', 'done', '--max-sessions', '3', ...FAST]);
    expect(r.code, r.err.join('\n')).toBe(0);
    const out = r.out.join('\n');
    expect(out.match(/until done: test-oracle has recorded no results on upstream main yet/g)).toHaveLength(1);
    expect(out).toMatch(/stopped: reached --max-sessions/);
  });
});
