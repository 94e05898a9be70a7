// Budgets and rate limits through the real loop, with mocked claude binaries on PATH that
// print recorded result events (the real CLI needs the network and money).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './helpers/fixtures.js';
import { harness } from './helpers/repos.js';
import { events, FAST, makeProject } from './helpers/swarm.js';

const result = (cost: number) =>
  JSON.stringify({ type: 'result', subtype: 'success', is_error: false, num_turns: 3, total_cost_usd: cost, duration_ms: 900, usage: { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 } });

/** A mocked `claude` that runs `body` (sh) on every call. */
function mockClaude(dir: string, body: string): Record<string, string> {
  const bin = path.join(dir, 'fakebin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'claude'), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(bin, 'claude'), 0o755);
  // IS_SANDBOX=1: as root, the user's word that this (test) machine is a sandbox; the mock ignores it
  return { PATH: `${bin}:${process.env.PATH}`, IS_SANDBOX: '1' };
}

describe('budgets (mocked claude binary)', () => {
  it('--max-cost: stops at the cap, exit 1, the summary says which cap and what was spent, to the cent', async ({ tmp }) => {
    makeProject(tmp);
    const env = mockClaude(tmp, `echo '${result(0.4)}'`);
    const r = await harness(tmp, ['run', '--agent', 'claude', '--sandbox', 'process', '--from', 'proj', '--max-cost', '1', '--max-sessions', '20', ...FAST], env);
    expect(r.code, r.err.join('\n')).toBe(1);
    const out = r.out.join('\n');
    expect(events(tmp).filter((e) => e.type === 'session_end')).toHaveLength(3); // 0.40, 0.80, 1.20
    expect(out).toMatch(/cost \$1\.20/);
    expect(out).toMatch(/stopped: reached --max-cost \$1\.00 \(\$1\.20 used\) \(exit 1\)/);
    expect(events(tmp).find((e) => e.type === 'budget_reached')).toMatchObject({ agent: null, cap: 'max-cost', limit: 1, used: 1.2 });
    expect(JSON.parse(readFileSync(path.join(tmp, '.swarm', 'run.json'), 'utf8'))).toMatchObject({ maxCostUsd: 1, maxTokens: null });
  });

  it('--max-cost-per-agent: each slot stops at its own cap; when all have, the run ends with exit 1', async ({ tmp }) => {
    makeProject(tmp);
    const env = mockClaude(tmp, `echo '${result(0.3)}'`);
    const r = await harness(tmp, ['run', '--agent', 'claude', '--sandbox', 'process', '--agents', '2', '--from', 'proj', '--max-cost-per-agent', '0.5', '--max-sessions', '20', ...FAST], env);
    expect(r.code, r.err.join('\n')).toBe(1);
    const ends = events(tmp).filter((e) => e.type === 'session_end');
    expect(ends.filter((e) => e.agent === 'agent-1')).toHaveLength(2);
    expect(ends.filter((e) => e.agent === 'agent-2')).toHaveLength(2);
    expect(r.out.join('\n')).toMatch(/stopped: reached --max-cost-per-agent \$0\.50 for agent-\d \(\$0\.60 used\) \(exit 1\)/);
  });

  it('--max-tokens from harness.config.json, --max-sessions-per-agent (exit 0: a count is a plan, not a guard)', async ({ tmp }) => {
    const proj = makeProject(tmp);
    writeFileSync(path.join(proj, 'harness.config.json'), JSON.stringify({ maxTokens: 2000 }));
    const env = mockClaude(tmp, `echo '${result(0.01)}'`);
    const r = await harness(proj, ['run', '--agent', 'claude', '--sandbox', 'process', '--max-sessions', '20', ...FAST], env);
    expect(r.code, r.err.join('\n')).toBe(1);
    expect(events(proj).filter((e) => e.type === 'session_end')).toHaveLength(2); // 1150 tokens each
    expect(r.out.join('\n')).toMatch(/reached --max-tokens 2000 \(2300 used\)/);
    const r2 = await harness(proj, ['run', '--agent', 'claude', '--sandbox', 'process', '--max-sessions-per-agent', '1', '--max-tokens', '1000000', ...FAST], env);
    expect(r2.code, r2.err.join('\n')).toBe(0);
    expect(r2.out.join('\n')).toMatch(/reached --max-sessions-per-agent 1 for agent-1/);
  });

  it('--hard: a running session is stopped once the cap is reached, not left to finish', async ({ tmp }) => {
    makeProject(tmp);
    // agent-1 spends the budget at once; agent-2's session would run for a minute
    const env = mockClaude(tmp, `if [ "$HARNESS_AGENT" = agent-2 ]; then sleep 60; fi\necho '${result(1)}'`);
    const t0 = Date.now();
    const r = await harness(tmp, ['run', '--agent', 'claude', '--sandbox', 'process', '--agents', '2', '--from', 'proj', '--max-cost', '0.5', '--hard', ...FAST], env);
    expect(r.code, r.err.join('\n')).toBe(1);
    expect(Date.now() - t0).toBeLessThan(50_000);
    const ends = events(tmp).filter((e) => e.type === 'session_end');
    expect(ends.find((e) => e.agent === 'agent-2')).toMatchObject({ stopped: true });
    expect(r.out.join('\n')).toMatch(/stopped: reached --max-cost \$0\.50 \(\$1\.00 used\) \(exit 1\)/);
  });

  it('bad caps: exit 2, one line', async ({ tmp }) => {
    makeProject(tmp);
    const r = await harness(tmp, ['run', '--agent', 'claude', '--sandbox', 'process', '--from', 'proj', '--max-cost', 'lots']);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/--max-cost: "lots" is not an amount of US dollars/);
  });
});

describe('rate limits (mocked claude binary)', () => {
  it('a usage limit with a reset a few seconds ahead: rate_limited recorded, no session starts before the reset', async ({ tmp }) => {
    makeProject(tmp);
    const marker = path.join(tmp, 'limited-once');
    const limit = (reset: string) =>
      `{"type":"result","subtype":"success","is_error":true,"num_turns":1,"result":"Claude AI usage limit reached|${reset}","total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0}}`;
    const env = mockClaude(tmp, `if [ ! -e ${marker} ]; then touch ${marker}; echo '${limit("'$(( $(date +%s) + 3 ))'")}'; exit 1; fi\necho '${result(0.1)}'`);
    const r = await harness(tmp, ['run', '--agent', 'claude', '--sandbox', 'process', '--from', 'proj', '--max-sessions', '2', ...FAST], env);
    expect(r.code, r.err.join('\n')).toBe(0);
    const ev = events(tmp);
    const limited = ev.find((e) => e.type === 'rate_limited');
    expect(limited).toMatchObject({ agent: 'agent-1', reported: true });
    const until = Date.parse((limited as { until: string }).until);
    const starts = ev.filter((e) => e.type === 'session_start');
    expect(starts).toHaveLength(2);
    expect(Date.parse(starts[1]!.ts)).toBeGreaterThanOrEqual(until);
    expect(ev.filter((e) => e.type === 'backoff')).toHaveLength(0); // the wait replaced the backoff
    expect(r.out.join('\n')).toMatch(/rate limited 1 time/);
  });
});
