// The real Claude Code CLI (pinned devDependency) under `harness run`, driven by the scripted
// model server (no model, no network: every answer is a turn written here). What the mocked
// tests cannot see: the flags, root handling, the sandbox, prompt delivery, real tool calls
// that claim and land work, and usage, cost and limits from the real event stream.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, turns, type ModelServer } from './helpers/model-server.js';
import { ANTHROPIC_KEY, costOf, filesContaining, landTask, realCliMissing, runReal } from './helpers/real-agents.js';
import { git, tempDir, upstreamLocks } from './helpers/repos.js';
import { events, makeProject } from './helpers/swarm.js';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';

const missing = realCliMissing();
const SLOW = !!process.env.HARNESS_SLOW_TESTS;
const USAGE = [
  { input: 1200, output: 80, cacheRead: 3000, cacheWrite: 500 },
  { input: 900, output: 60, cacheRead: 4000, cacheWrite: 0 },
  { input: 700, output: 90, cacheRead: 4500, cacheWrite: 100 },
  { input: 300, output: 20, cacheRead: 5000, cacheWrite: 0 },
];
let server: ModelServer;
let bwrapOk = false;

beforeAll(async () => {
  server = await startModelServer(turns([]));
  bwrapOk = (await bwrapSandbox().check().then(() => true, () => false));
});
afterAll(async () => server?.close());

describe.skipIf(missing)('real Claude Code against the scripted model server', () => {
  it('as root in the process sandbox: refused before any session starts, exit 4, one line saying what to do', async () => {
    if (process.getuid?.() !== 0) return expect(process.getuid?.()).not.toBe(0); // a non-root run has nothing to refuse
    const t = tempDir();
    try {
      makeProject(t.dir);
      const r = await runReal(t.dir, 'claude', server, ['--from', 'proj', '--max-sessions', '1']);
      expect(r.code).toBe(4);
      expect(r.err.join('\n')).toMatch(/--sandbox bwrap.*IS_SANDBOX=1.*\[CLAUDE_AS_ROOT\]$/);
      expect(r.err).toHaveLength(1);
      expect(existsSync(path.join(t.dir, '.swarm'))).toBe(false); // nothing started, nothing written
    } finally {
      t.cleanup();
    }
  });

  for (const sandbox of ['process', 'bwrap'] as const) {
    it.skipIf(sandbox === 'bwrap' && !SLOW)(`--sandbox ${sandbox}: claims, commits and lands through real tool calls; cost from the result event matches the scripted usage to the cent; no key anywhere`, async (ctx) => {
      if (sandbox === 'bwrap' && !bwrapOk) ctx.skip();
      const t = tempDir();
      try {
        makeProject(t.dir);
        server.setScript(turns(landTask('fix-readme', USAGE)));
        const before = server.requests.length;
        // In the process sandbox, as root, the user must say the machine is a sandbox; bwrap is one.
        const extra: Record<string, string> = sandbox === 'process' && process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {};
        const r = await runReal(t.dir, 'claude', server, ['--from', 'proj', '--max-sessions', '1', '--sandbox', sandbox], extra);
        expect(r.code, r.err.join('\n') + r.out.join('\n')).toBe(0);
        const up = path.join(t.dir, '.swarm/upstream.git');
        const log = git(up, 'log', '--format=%an|%s|%(trailers:key=Task-Status,valueonly,separator=,)', 'main');
        expect(log).toMatch(/^agent-1\|Fix fix-readme\|done/m);
        expect(log).toMatch(/^agent-1\|.*\|claimed/m);
        expect(git(up, 'show', 'main:fix-readme.txt')).toBe('fix-readme fixed');
        expect(upstreamLocks(up)).toEqual([]);
        const mine = server.requests.slice(before).filter((q) => q.turn >= 0 && q.answer === 'stream' && q.body.includes('"tools"'));
        expect(mine.map((q) => q.turn)).toEqual([0, 1, 2, 3]);
        expect(mine.every((q) => q.agent === 'agent-1')).toBe(true);
        const end = events(t.dir).find((e) => e.type === 'session_end') as unknown as { exit: number; usage: Record<string, unknown> };
        expect(end.exit).toBe(0);
        const want = costOf(USAGE);
        expect(end.usage).toMatchObject({ costSource: 'agent', inputTokens: 3100, outputTokens: 250, cacheReadTokens: 16500, cacheCreationTokens: 600, numTurns: 4, isError: false, model: 'claude-sonnet-4-5' });
        expect((end.usage.costUsd as number).toFixed(2)).toBe(want.toFixed(2));
        expect(end.usage.costUsd as number).toBeCloseTo(want, 9);
        expect(r.out.join('\n')).toMatch(new RegExp(`cost \\$${want.toFixed(2).replace('.', '\\.')}`));
        // the key reached Claude Code (it sent it to the server) and nothing else
        expect(mine.every((q) => q.headers['x-api-key'] === ANTHROPIC_KEY)).toBe(true);
        expect(filesContaining(t.dir, ANTHROPIC_KEY)).toEqual([]);
        expect(git(up, 'log', '--all', '-p')).not.toContain(ANTHROPIC_KEY);
      } finally {
        t.cleanup();
      }
    });
  }
});
