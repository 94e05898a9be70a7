// The live view of `harness run` and `harness status --watch`, with their output captured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watch } from '../harness/commands/status.js';
import type { Io } from '../harness/kit/cli-kit.js';
import { livePrinter } from '../harness/swarm/live.js';
import { gitEnv, tempDir } from './helpers/repos.js';
import { synthSwarm } from './helpers/recorded-swarm.js';

const usage = { costUsd: 0.25, inputTokens: 1, outputTokens: 1, cacheReadTokens: null, cacheCreationTokens: null, numTurns: 1, isError: false, subtype: null };

describe('live view of harness run', () => {
  it('redraws one line per agent in place and scrolls only notable lines above it', () => {
    const out: string[] = [];
    let t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const p = livePrinter((s) => out.push(s), () => new Date(t), () => 80, 60_000);
    p.sessionStarted('agent-1', '1', 'log');
    p.sessionStarted('agent-2', '1', 'log');
    t += 65_000;
    p.sessionEnded('agent-1', '1', { exit: 0, signal: null, durationMs: 65_000, timedOut: false, usage });
    p.sessionEnded('agent-2', '1', { exit: 1, signal: null, durationMs: 65_000, timedOut: false, usage });
    p.close();
    // The first frame draws 2 lines (one agent + totals); later frames go back up over the old one.
    expect(out[0]).not.toMatch(/\x1b\[\d+F/);
    expect(out[0]).toMatch(/^agent-1 +running #1 0s/);
    expect(out[1]!.startsWith('\x1b[2F')).toBe(true);
    expect(out[2]!.startsWith('\x1b[3F')).toBe(true);
    const crash = out[3]!;
    expect(crash).toMatch(/^\x1b\[3F12:01:05 agent-2 session 1 ended: exit 1 after 1m, \$0\.25\x1b\[K\n/);
    expect(crash).toContain('agent-2    idle');
    const last = out.at(-1)!.split('\n');
    expect(last.at(-2)).toMatch(/^2 sessions, 1 crashed, \$0\.50/);
    expect(out.every((s) => s.split('\n').every((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').length < 80))).toBe(true);
  });
});

describe('harness status --watch', () => {
  const t = tempDir('harness-watch-');
  let dir = '';
  beforeAll(() => {
    dir = synthSwarm(t.dir, { agents: 2, sessions: 4, commitsPerSession: 3, notesEvery: 2, crashEvery: 0, reapEvery: 1, sessionMs: 60_000, tests: 4, t0: Date.UTC(2026, 0, 1) }).dir;
  });
  afterAll(() => t.cleanup());
  const io = (): Io => ({ env: gitEnv(), cwd: t.dir, now: () => new Date(Date.UTC(2026, 0, 2)), hostname: () => 'h', out: () => {}, err: () => {} });

  it('prints plain lines, once per change, when stdout is not a terminal', async () => {
    const writes: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    setTimeout(stop, 300);
    await watch(dir, io(), 50, { isTTY: false, write: (s) => writes.push(s), stopped });
    expect(writes.length).toBe(1); // nothing changed between ticks
    expect(writes[0]).toMatch(/^--- 2026-01-02T00:00:00.000Z\nswarm .*: not running/);
    expect(writes[0]).not.toContain('\x1b');
  });

  it('on a terminal, homes the cursor and overwrites lines instead of clearing the screen', async () => {
    const writes: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    setTimeout(stop, 1500);
    await watch(dir, io(), 50, { isTTY: true, write: (s) => writes.push(s), stopped });
    const frames = writes.filter((w) => w.startsWith('\x1b[H'));
    expect(frames.length).toBeGreaterThan(1);
    expect(frames[0]).toMatch(/\x1b\[K\n\x1b\[J$/);
    expect(writes.at(-1)).toBe('\x1b[?25h');
  });
});
