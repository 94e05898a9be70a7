// The claude and codex adapters through the real loop, with mocked binaries on PATH that
// print recorded JSON streams (the real CLIs need the network). Usage and cost must reach
// the event log exactly.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { claudeUsage } from '../harness/agents/claude.js';
import { codexUsage } from '../harness/agents/codex.js';
import { harness } from './helpers/repos.js';
import { events, FAST, makeProject } from './helpers/swarm.js';

const CLAUDE_STREAM = [
  { type: 'system', subtype: 'init', session_id: 's1', tools: ['Bash'], model: 'claude-x' },
  { type: 'assistant', message: { content: [{ type: 'text', text: 'Looking at the README.' }] } },
  { type: 'result', subtype: 'success', is_error: false, num_turns: 7, total_cost_usd: 0.4321, duration_ms: 1000, usage: { input_tokens: 1200, output_tokens: 340, cache_read_input_tokens: 5000, cache_creation_input_tokens: 800 } },
];
const CODEX_STREAM = [
  { type: 'thread.started', thread_id: 't1' },
  { type: 'turn.started' },
  { type: 'item.completed', item: { id: 'i0', type: 'agent_message', text: 'done' } },
  { type: 'turn.completed', usage: { input_tokens: 1000, cached_input_tokens: 600, output_tokens: 50 } },
  { type: 'turn.started' },
  { type: 'turn.completed', usage: { input_tokens: 2000, cached_input_tokens: 1500, output_tokens: 70 } },
];

/** A fake CLI: records its argv (NUL-separated) and stdin, prints a recorded stream. */
function fakeBinary(binDir: string, name: string, stream: object[], record: string): void {
  mkdirSync(binDir, { recursive: true });
  const file = path.join(binDir, name);
  const lines = stream.map((o) => JSON.stringify(o)).join('\n');
  writeFileSync(file, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > ${record}.argv\ncat > ${record}.stdin\necho "some stderr noise" >&2\ncat <<'JSONL'\n${lines}\nJSONL\n`);
  chmodSync(file, 0o755);
}

describe('agent adapters (mocked binaries)', () => {
  it('mocked claude binary: argv as Claude Code -p wants it, prompt from AGENT_PROMPT.md, cost and usage from the result event', async ({ tmp }) => {
    makeProject(tmp);
    const bin = path.join(tmp, 'fakebin');
    const rec = path.join(tmp, 'claude');
    fakeBinary(bin, 'claude', CLAUDE_STREAM, rec);
    const r = await harness(tmp, ['run', '--agent', 'claude', '--sandbox', 'process', '--model', 'claude-opus-x', '--from', 'proj', '--max-sessions', '2', ...FAST], {
      PATH: `${bin}:${process.env.PATH}`,
      IS_SANDBOX: '1', // as root, the user's word that this machine is a sandbox
      CLAUDE_CODE_OAUTH_TOKEN: 'oauth-SECRET-1',
    });
    expect(r.code, r.err.join('\n')).toBe(0);
    const argv = readFileSync(`${rec}.argv`, 'utf8').split('\0');
    expect(argv.slice(0, 2)).toEqual(['--dangerously-skip-permissions', '-p']);
    expect(argv[2]).toContain('You are one of several agents'); // the starter prompt harness init seeded
    expect(argv.slice(3, 8)).toEqual(['--output-format', 'stream-json', '--verbose', '--model', 'claude-opus-x']);
    expect(readFileSync(`${rec}.argv`, 'utf8')).not.toContain('SECRET');
    const ends = events(tmp).filter((e) => e.type === 'session_end');
    expect(ends).toHaveLength(2);
    expect(ends[0]).toMatchObject({
      exit: 0,
      usage: { costUsd: 0.4321, inputTokens: 1200, outputTokens: 340, cacheReadTokens: 5000, cacheCreationTokens: 800, numTurns: 7, isError: false, subtype: 'success' },
    });
    expect(r.out.join('\n')).toMatch(/cost \$0\.86/); // 2 x 0.4321, to the cent
  });

  it('mocked codex binary: codex exec --json with the prompt on stdin, tokens summed over turns', async ({ tmp }) => {
    makeProject(tmp);
    const bin = path.join(tmp, 'fakebin');
    const rec = path.join(tmp, 'codex');
    fakeBinary(bin, 'codex', CODEX_STREAM, rec);
    const prompt = path.join(tmp, 'prompt.md');
    writeFileSync(prompt, 'Fix one bug, then stop.\n');
    const r = await harness(tmp, ['run', '--agent', 'codex', '--sandbox', 'process', '--model', 'gpt-x', '--prompt', prompt, '--from', 'proj', '--max-sessions', '1', ...FAST], { PATH: `${bin}:${process.env.PATH}`, OPENAI_API_KEY: 'sk-SECRET-2' });
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(readFileSync(`${rec}.argv`, 'utf8').split('\0')).toEqual(['exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check', '-m', 'gpt-x', '-', '']);
    expect(readFileSync(`${rec}.stdin`, 'utf8')).toBe('Fix one bug, then stop.\n');
    expect(events(tmp).find((e) => e.type === 'session_end')).toMatchObject({
      usage: { costUsd: null, inputTokens: 3000, cacheReadTokens: 2100, outputTokens: 120, numTurns: 2, isError: false },
    });
  });

  it('parsers: the last claude result wins; a stream with no result or no turns has no usage; failures are errors', async ({ tmp }) => {
    const f = (name: string, lines: (object | string)[]) => {
      const p = path.join(tmp, name);
      writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
      return p;
    };
    expect(await claudeUsage(f('none.log', ['# harness header', 'plain text', '{broken']))).toBeNull();
    const two = await claudeUsage(f('two.log', [{ type: 'result', total_cost_usd: 1 }, { type: 'result', subtype: 'error_max_turns', is_error: true, total_cost_usd: 2.5 }]));
    expect(two).toMatchObject({ costUsd: 2.5, isError: true, subtype: 'error_max_turns', inputTokens: null });
    expect(await codexUsage(f('c0.log', [{ type: 'thread.started' }]))).toBeNull();
    expect(await codexUsage(f('c1.log', [{ type: 'turn.failed', error: { message: 'rate limited' } }]))).toMatchObject({ isError: true, numTurns: 0 });
  });
});
