// How the loop copes when the model API fails, with the real CLIs: the scripted server plays
// a subscriber usage limit, retryable 429/529s, a 500 storm and a hang. Slow suite: each
// case waits on real retries, resets and timeouts.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, turns, type ModelServer, type Script } from './helpers/model-server.js';
import { landTask, realCliMissing, runReal } from './helpers/real-agents.js';
import { git, tempDir } from './helpers/repos.js';
import { events, makeProject } from './helpers/swarm.js';

const missing = realCliMissing();
const SLOW = !!process.env.HARNESS_SLOW_TESTS;
// as root in the process sandbox the user must vouch for the machine (these tests are about the loop)
const ROOT_OK: Record<string, string> = process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {};
const U = [{ input: 100, output: 10 }];
let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer(turns([]));
});
afterAll(async () => server?.close());

/** harness.config.json: pass the CLIs' retry knobs through (the user's way: passEnv). */
function config(dir: string, extra: Record<string, unknown> = {}) {
  writeFileSync(path.join(dir, 'harness.config.json'), JSON.stringify({ from: 'proj', passEnv: ['CLAUDE_CODE_MAX_RETRIES', 'API_TIMEOUT_MS'], ...extra }));
}

type Ev = { type: string; ts: string; agent?: string; until?: string; exit?: number; timedOut?: boolean; durationMs?: number; usage?: Record<string, unknown> };

describe.skipIf(missing || !SLOW)('real CLIs when the model API fails (slow)', () => {
  it('claude, subscriber usage limit: every slot waits until the reported reset (resetsAt exact, "resets H:MMam (UTC)" in the log), then lands its work', async () => {
    const t = tempDir();
    try {
      makeProject(t.dir);
      config(t.dir);
      // the limit lasts 6 s from the first request (CLI start-up takes long on a loaded machine); resetsAt is in whole seconds
      let reset = 0;
      const script: Script = (ctx) => {
        reset ||= Math.ceil((Date.now() + 6000) / 1000) * 1000;
        return Date.now() < reset ? { claudeUsageLimit: reset } : (landTask(`fix-${ctx.agent}`, U)[ctx.outputs.length] ?? null);
      };
      server.setScript(script);
      // a subscriber's OAuth token: Claude Code reads the unified rate-limit headers only then
      const r = await runReal(t.dir, 'claude', server, ['--agents', '2', '--max-sessions', '4'], { ...ROOT_OK, CLAUDE_CODE_OAUTH_TOKEN: 'oauth-scripted-SECRET', ANTHROPIC_API_KEY: '' });
      expect(r.code, r.err.join('\n') + r.out.join('\n')).toBe(0);
      const ev = events(t.dir) as unknown as Ev[];
      const limited = ev.filter((e) => e.type === 'rate_limited');
      expect(limited.length, JSON.stringify(ev, null, 1)).toBeGreaterThanOrEqual(1);
      expect(limited.every((e) => Date.parse(e.until!) === reset)).toBe(true);
      const firstLimit = Date.parse(limited[0]!.ts);
      const laterStarts = ev.filter((e) => e.type === 'session_start' && Date.parse(e.ts) > firstLimit);
      expect(laterStarts.length).toBeGreaterThanOrEqual(2);
      expect(laterStarts.every((e) => Date.parse(e.ts) >= reset)).toBe(true); // no slot started before the reset
      const logDir = path.join(t.dir, '.swarm/agent_logs');
      const logs = readdirSync(logDir).flatMap((a) => readdirSync(path.join(logDir, a)).map((f) => readFileSync(path.join(logDir, a, f), 'utf8'))).join('\n');
      expect(logs).toMatch(/hit your 5-hour limit · resets \d{1,2}(:\d\d)?(am|pm) \(/);
      const log = git(path.join(t.dir, '.swarm/upstream.git'), 'log', '--format=%s', 'main');
      expect(log).toMatch(/Fix fix-agent-1/);
      expect(log).toMatch(/Fix fix-agent-2/);
    } finally {
      t.cleanup();
    }
  });

  it('claude, a 429 with retry-after then a 529: Claude Code retries inside the session and lands the work', async () => {
    const t = tempDir();
    try {
      makeProject(t.dir);
      config(t.dir);
      const before = server.requests.length;
      let failed = 0;
      server.setScript((ctx) => (ctx.outputs.length === 1 && failed < 2 ? (failed++ === 0 ? { fail: 429, retryAfter: 1 } : { fail: 529 }) : (landTask('fix-readme', U)[ctx.outputs.length] ?? null)));
      const r = await runReal(t.dir, 'claude', server, ['--max-sessions', '1'], ROOT_OK);
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(server.requests.slice(before).map((q) => q.answer)).toEqual(expect.arrayContaining(['429', '529']));
      expect(git(path.join(t.dir, '.swarm/upstream.git'), 'log', '--format=%s', 'main')).toMatch(/Fix fix-readme/);
      expect(events(t.dir).filter((e) => e.type === 'rate_limited')).toEqual([]); // retried past: not a limit
    } finally {
      t.cleanup();
    }
  });

  it('claude, a 500 storm: each session ends (exit 1) after its retries, and the slot backs off between sessions', async () => {
    const t = tempDir();
    try {
      makeProject(t.dir);
      config(t.dir);
      server.setScript(() => ({ fail: 500 }));
      const before = server.requests.length;
      const r = await runReal(t.dir, 'claude', server, ['--max-sessions', '3', '--backoff-base', '1s', '--backoff-cap', '4s'], { ...ROOT_OK, CLAUDE_CODE_MAX_RETRIES: '2' });
      expect(r.code, r.err.join('\n')).toBe(0);
      const ev = events(t.dir) as unknown as Ev[];
      const ends = ev.filter((e) => e.type === 'session_end');
      expect(ends.map((e) => e.exit)).toEqual([1, 1, 1]);
      const backoffs = ev.filter((e) => e.type === 'backoff') as unknown as { delayMs: number }[];
      expect(backoffs.length).toBeGreaterThanOrEqual(2);
      expect(backoffs[1]!.delayMs).toBeGreaterThan(backoffs[0]!.delayMs); // exponential
      const starts = ev.filter((e) => e.type === 'session_start');
      expect(Date.parse(starts[1]!.ts) - Date.parse(ends[0]!.ts)).toBeGreaterThanOrEqual(backoffs[0]!.delayMs);
      expect(server.requests.slice(before).filter((q) => q.answer === '500')).toHaveLength(9); // 3 sessions x (1 + CLAUDE_CODE_MAX_RETRIES)
    } finally {
      t.cleanup();
    }
  });

  for (const kind of ['claude', 'codex'] as const) {
    it(`${kind}, a hung model (headers, then nothing): the session ends at --session-timeout`, async () => {
      const t = tempDir();
      try {
        makeProject(t.dir);
        config(t.dir);
        server.setScript(() => ({ hang: true }));
        const r = await runReal(t.dir, kind, server, ['--max-sessions', '1', '--session-timeout', '5s', '--grace', '1s'], ROOT_OK);
        expect(r.code, r.err.join('\n')).toBe(0);
        const end = (events(t.dir) as unknown as Ev[]).find((e) => e.type === 'session_end')!;
        expect(end.timedOut).toBe(true);
        expect(end.durationMs).toBeGreaterThanOrEqual(5000);
        expect(end.durationMs).toBeLessThan(20_000);
      } finally {
        t.cleanup();
      }
    });
  }

  it('codex, usage limit: "try again at H:MM AM." read in the local zone, the slot waits for it', async () => {
    const t = tempDir();
    try {
      makeProject(t.dir);
      config(t.dir);
      const reset = Date.now() + 3 * 3600_000;
      server.setScript(() => ({ codexUsageLimit: reset }));
      const r = await runReal(t.dir, 'codex', server, ['--max-sessions', '1']);
      expect(r.code, r.err.join('\n')).toBe(0);
      const limited = (events(t.dir) as unknown as Ev[]).find((e) => e.type === 'rate_limited')!;
      expect(limited).toBeDefined();
      expect(Date.parse(limited.until!)).toBe(Math.floor(reset / 60_000) * 60_000); // the minute Codex printed
    } finally {
      t.cleanup();
    }
  });
});
