// The real Codex CLI (pinned devDependency) under `harness run`, driven by the scripted model
// server over the OpenAI Responses API: its per-session CODEX_HOME and provider config,
// the prompt on stdin, real exec_command tool calls that claim and land work, and tokens
// from its turn.completed events priced by the harness's table (Codex reports no cost).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PRICES } from '../harness/events/prices.js';
import { startModelServer, turns, type ModelServer } from './helpers/model-server.js';
import { costOf, filesContaining, landTask, OPENAI_KEY, realCliMissing, runReal } from './helpers/real-agents.js';
import { git, tempDir, upstreamLocks } from './helpers/repos.js';
import { events, makeProject } from './helpers/swarm.js';
import { bwrapSandbox } from '../harness/sandbox/bwrap.js';

const missing = realCliMissing();
const SLOW = !!process.env.HARNESS_SLOW_TESTS;
const USAGE = [
  { input: 2000, output: 70, cacheRead: 6000 },
  { input: 500, output: 40, cacheRead: 8000 },
  { input: 800, output: 50, cacheRead: 8500 },
  { input: 100, output: 10, cacheRead: 9000 },
];
const GPT5 = DEFAULT_PRICES['gpt-5']!; // gpt-5.5 is priced by its prefix: an assumption the table states
let server: ModelServer;
let bwrapOk = false;

beforeAll(async () => {
  server = await startModelServer(turns([]));
  bwrapOk = (await bwrapSandbox().check().then(() => true, () => false));
});
afterAll(async () => server?.close());

describe.skipIf(missing)('real Codex CLI against the scripted model server', () => {
  for (const sandbox of ['process', 'bwrap'] as const) {
    it.skipIf(sandbox === 'bwrap' && !SLOW)(`--sandbox ${sandbox}: claims, commits and lands through real exec_command calls; tokens from turn.completed, cost from the table to the cent; no key anywhere`, async (ctx) => {
      if (sandbox === 'bwrap' && !bwrapOk) ctx.skip();
      const t = tempDir();
      try {
        makeProject(t.dir);
        server.setScript(turns(landTask('fix-readme', USAGE)));
        const before = server.requests.length;
        const r = await runReal(t.dir, 'codex', server, ['--from', 'proj', '--max-sessions', '1', '--sandbox', sandbox]);
        expect(r.code, r.err.join('\n') + r.out.join('\n')).toBe(0);
        const up = path.join(t.dir, '.swarm/upstream.git');
        const log = git(up, 'log', '--format=%an|%s|%(trailers:key=Task-Status,valueonly,separator=,)', 'main');
        expect(log).toMatch(/^agent-1\|Fix fix-readme\|done/m);
        expect(git(up, 'show', 'main:fix-readme.txt')).toBe('fix-readme fixed');
        expect(upstreamLocks(up)).toEqual([]);
        const mine = server.requests.slice(before).filter((q) => q.answer === 'stream');
        expect(mine.map((q) => q.turn)).toEqual([0, 1, 2, 3]);
        expect(mine.every((q) => q.agent === 'agent-1' && q.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
        const end = events(t.dir).find((e) => e.type === 'session_end') as unknown as { exit: number; usage: Record<string, unknown> };
        const cacheRead = USAGE.reduce((a, u) => a + u.cacheRead, 0);
        const input = USAGE.reduce((a, u) => a + u.input, 0);
        expect(end.usage).toMatchObject({ costSource: 'table', inputTokens: input + cacheRead, cacheReadTokens: cacheRead, outputTokens: USAGE.reduce((a, u) => a + u.output, 0), isError: false });
        const want = costOf(USAGE, { input: GPT5.input, output: GPT5.output, cacheRead: GPT5.cacheRead!, cacheWrite: GPT5.input });
        expect((end.usage.costUsd as number).toFixed(2)).toBe(want.toFixed(2));
        expect(end.usage.costUsd as number).toBeCloseTo(want, 9);
        // the per-session CODEX_HOME is gone with its session; the key was never written down
        expect(readdirSync(path.join(t.dir, '.swarm/agents/agent-1'))).not.toContain('session');
        expect(filesContaining(t.dir, OPENAI_KEY)).toEqual([]);
        expect(git(up, 'log', '--all', '-p')).not.toContain(OPENAI_KEY);
      } finally {
        t.cleanup();
      }
    });
  }

  it.skipIf(!SLOW)('a command that outlives Codex\'s exec yield (at most 30 s) is polled with write_stdin until it ends, and the task still lands', async () => {
    const t = tempDir();
    try {
      makeProject(t.dir);
      const steps = landTask('slow-step', USAGE);
      steps[1] = { run: `sleep 32 && ${(steps[1] as { run: string }).run}`, usage: USAGE[1] };
      server.setScript(turns(steps));
      const before = server.requests.length;
      const r = await runReal(t.dir, 'codex', server, ['--from', 'proj', '--max-sessions', '1', '--session-timeout', '5m']);
      expect(r.code, r.err.join('\n') + r.out.join('\n')).toBe(0);
      const up = path.join(t.dir, '.swarm/upstream.git');
      expect(git(up, 'log', '-1', '--format=%an|%s', 'main')).toBe('agent-1|Fix slow-step');
      const mine = server.requests.slice(before).filter((q) => q.answer === 'stream');
      expect(mine.filter((q) => q.poll).length).toBeGreaterThan(0);
      expect(mine.filter((q) => !q.poll).map((q) => q.turn)).toEqual([0, 1, 2, 3]);
    } finally {
      t.cleanup();
    }
  }, 180_000);
});
