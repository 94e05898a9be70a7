// Usage accounting replayed from recorded agent streams, to the cent, and the pure budget,
// price and rate-limit decisions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeRateLimitIn, claudeUsageOf } from '../harness/agents/claude.js';
import { codexAgent, codexUsage } from '../harness/agents/codex.js';
import { resetFromText } from '../harness/agents/ratelimit.js';
import type { Usage } from '../harness/events/log.js';
import { DEFAULT_PRICES, parsePrices, priceFor, totalTokens, withCost } from '../harness/events/prices.js';
import { addStart, addUsage, agentCapHit, describeCap, isSpendCap, newTally, swarmCapHit, type Caps } from '../harness/swarm/budget.js';
import { exitCodeFor } from '../harness/swarm/start.js';
import { UsageError } from '../harness/kit/errors.js';

const STREAMS = path.join(import.meta.dirname, 'fixtures', 'streams');
const stream = (name: string) =>
  readFileSync(path.join(STREAMS, name), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
const cents = (usd: number | null | undefined) => (usd == null ? null : Math.round(usd * 100));
const NOW = Date.parse('2025-11-21T12:00:00Z');

describe('recorded Claude Code stream-json, replayed', () => {
  it('success: the result event is the cost; tokens include cache reads and writes', () => {
    const u = withCost(claudeUsageOf(stream('claude-success.jsonl')), null, DEFAULT_PRICES)!;
    expect(u).toMatchObject({ costUsd: 1.2734561, costSource: 'agent', subtype: 'success', isError: false, numTurns: 23, model: 'claude-sonnet-4-5-20250929' });
    expect(cents(u.costUsd)).toBe(127);
    expect(totalTokens(u)).toBe(118 + 9876 + 48211 + 1630874);
    expect(claudeRateLimitIn(stream('claude-success.jsonl'), NOW)).toBeNull(); // "allowed" is a report, not a stop
  });

  it('error_max_turns and error_during_execution still cost what they report', () => {
    expect(claudeUsageOf(stream('claude-max-turns.jsonl'))).toMatchObject({ costUsd: 3.0501, subtype: 'error_max_turns', model: 'claude-opus-4-1-20250805' });
    expect(claudeUsageOf(stream('claude-error.jsonl'))).toMatchObject({ costUsd: 0.0411, subtype: 'error_during_execution', isError: true });
  });

  it('killed before its result: assistant usage, once per message id, priced from the table', () => {
    const u = withCost(claudeUsageOf(stream('claude-killed.jsonl')), null, DEFAULT_PRICES)!;
    expect(u).toMatchObject({ inputTokens: 5, outputTokens: 90, cacheCreationTokens: 10500, cacheReadTokens: 10000, subtype: 'no_result', costSource: 'table' });
    // sonnet-4: 5x$3 + 90x$15 + 10500x$3.75 + 10000x$0.30 per million
    expect(u.costUsd).toBeCloseTo(0.04374, 9);
  });

  it('usage limit: the reset time after the pipe; a rejected rate_limit_event gives its resetsAt', () => {
    expect(claudeRateLimitIn(stream('claude-usage-limit.jsonl'), NOW)).toMatchObject({ until: 1763730000_000 });
    expect(claudeRateLimitIn(stream('claude-rejected.jsonl'), NOW)).toMatchObject({ until: 1763733600_000 });
    expect(claudeUsageOf(stream('claude-usage-limit.jsonl'))).toMatchObject({ costUsd: 0, isError: true });
  });

  it('the real CLI (2.1.332) at a subscriber 5-hour limit: the exact resetsAt wins over its "resets 2:58am (UTC)" text; the text alone gives the minute', () => {
    const real = stream('claude-real-5h-limit.jsonl');
    const now = Date.parse('2026-11-29T01:58:52Z');
    expect(claudeRateLimitIn(real, now)).toMatchObject({ until: 1795921132_000 }); // 02:58:52Z
    const textOnly = real.filter((o) => o.type !== 'rate_limit_event');
    expect(JSON.stringify(textOnly)).toContain('resets 2:58am (UTC)');
    expect(claudeRateLimitIn(textOnly, now)).toMatchObject({ until: Date.parse('2026-11-29T02:58:00Z') });
    expect(claudeUsageOf(real)).toMatchObject({ costUsd: 0, isError: true });
  });

  it('all five sessions add up to the cent', () => {
    const t = newTally();
    for (const f of ['claude-success.jsonl', 'claude-max-turns.jsonl', 'claude-error.jsonl', 'claude-usage-limit.jsonl', 'claude-killed.jsonl']) {
      addUsage(t, 'agent-1', withCost(claudeUsageOf(stream(f)), null, DEFAULT_PRICES));
    }
    expect(t.total.microUsd).toBe(1273456 + 3050100 + 41100 + 0 + 43740);
    expect(cents(t.total.microUsd / 1e6)).toBe(441);
  });
});

describe('recorded Codex exec --json, replayed', () => {
  it('tokens per turn priced from the table (cached input at the cached rate); a usage limit with "try again in"', async () => {
    const file = path.join(STREAMS, 'codex-usage-limit.jsonl');
    const u = withCost(await codexUsage(file), 'gpt-5-codex', DEFAULT_PRICES)!;
    expect(u).toMatchObject({ inputTokens: 24763, cacheReadTokens: 24448, outputTokens: 122, isError: true, costSource: 'table', model: 'gpt-5-codex' });
    expect(u.costUsd).toBeCloseTo((315 * 1.25 + 24448 * 0.125 + 122 * 10) / 1e6, 12);
    expect(totalTokens(u)).toBe(24763 + 122);
    expect(await codexAgent().rateLimit!(file, NOW)).toMatchObject({ until: NOW + 3000 });
  });
});

describe('prices', () => {
  it('longest prefix wins; unknown models have no price; config entries override', () => {
    expect(priceFor('claude-opus-4-5-20251101', DEFAULT_PRICES)).toBe(DEFAULT_PRICES['claude-opus-4-5']);
    expect(priceFor('claude-opus-4-1-20250805', DEFAULT_PRICES)).toBe(DEFAULT_PRICES['claude-opus-4']);
    expect(priceFor('gpt-5-mini', DEFAULT_PRICES)).toBe(DEFAULT_PRICES['gpt-5-mini']);
    expect(priceFor('mystery-1', DEFAULT_PRICES)).toBeNull();
    const t = parsePrices({ 'mystery-1': { input: 1, output: 2 } }, 'prices');
    const u: Usage = { costUsd: null, inputTokens: 1_000_000, outputTokens: 500_000, cacheReadTokens: null, cacheCreationTokens: null, numTurns: 1, isError: false, subtype: 'success' };
    expect(withCost(u, 'mystery-1', t)).toMatchObject({ costUsd: 2, costSource: 'table' });
    expect(withCost(u, 'mystery-2', t)).toMatchObject({ costUsd: null, costSource: null });
    expect(() => parsePrices({ x: { input: -1, output: 1 } }, 'harness.config.json "prices"')).toThrow(UsageError);
  });
});

describe('reset times', () => {
  it('pipe, resets_at, try again in, try again at; resets H:MMam (ZONE); a bare clock time (Codex) in the local zone', () => {
    expect(resetFromText('Claude AI usage limit reached|1762952400', NOW)).toBe(1762952400_000);
    // Claude Code's subscriber limit: a wall-clock time in a named zone, its next occurrence
    const at = (iso: string) => Date.parse(iso);
    expect(resetFromText("You've hit your 5-hour limit · resets 1:51am (UTC)", at('2026-11-29T01:50:00Z'))).toBe(at('2026-11-29T01:51:00Z'));
    expect(resetFromText("You've hit your 5-hour limit · resets 1:51am (UTC)", at('2026-11-29T02:00:00Z'))).toBe(at('2026-11-30T01:51:00Z'));
    expect(resetFromText('resets 12pm (UTC)', at('2026-11-29T02:00:00Z'))).toBe(at('2026-11-29T12:00:00Z'));
    expect(resetFromText('resets 12am (UTC)', at('2026-11-29T02:00:00Z'))).toBe(at('2026-11-30T00:00:00Z'));
    expect(resetFromText('resets 1pm (America/Los_Angeles)', at('2026-11-29T02:00:00Z'))).toBe(at('2026-11-29T21:00:00Z')); // PST, UTC-8
    expect(resetFromText('resets 1pm (America/Los_Angeles)', at('2026-07-01T02:00:00Z'))).toBe(at('2026-07-01T20:00:00Z')); // PDT, UTC-7
    expect(resetFromText('resets 1pm (Mars/Olympus)', NOW)).toBeNull(); // a zone nobody knows: back off instead
    expect(resetFromText('resets 13pm (UTC)', NOW)).toBeNull();
    expect(resetFromText('resets 1:51am (UTC)', at('2026-11-29T01:51:40Z'))).toBe(at('2026-11-29T01:51:00Z')); // the minute it names is now, not tomorrow
    // Codex 0.171: a time of day in the session's (our) zone
    const codex = 'You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 2:55 AM.';
    expect(resetFromText(codex, at('2026-11-29T01:55:25Z'), 'UTC')).toBe(at('2026-11-29T02:55:00Z'));
    expect(resetFromText(codex, at('2026-11-29T01:57:00Z'), 'Europe/Berlin')).toBe(at('2026-11-30T01:55:00Z')); // 2:55 AM CET has passed: tomorrow's
    expect(resetFromText('{"resets_at":1777936568,"resets_in_seconds":13872}', NOW)).toBe(1777936568_000);
    expect(resetFromText('Rate limit reached for gpt-5. Please try again in 1.5s.', NOW)).toBe(NOW + 1500);
    expect(resetFromText('try again in 2 minutes', NOW)).toBe(NOW + 120_000);
    expect(resetFromText("You've hit your usage limit. try again at Apr 28th, 2026 10:03 PM.", NOW)).toBe(Date.parse('Apr 28, 2026 10:03 PM'));
    expect(resetFromText('Claude usage limit reached. Your limit will reset at 3pm (America/Chicago).', NOW)).toBeNull();
  });
});

describe('budget caps', () => {
  const caps: Caps = { maxCostUsd: 1, maxTokens: null, maxSessions: null, maxCostPerAgentUsd: 0.5, maxTokensPerAgent: null, maxSessionsPerAgent: 3 };
  const cost = (usd: number): Usage => ({ costUsd: usd, inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheCreationTokens: 0, numTurns: 1, isError: false, subtype: 'success' });

  it('per agent and swarm-wide, at the cent; floats do not drift', () => {
    const t = newTally();
    for (let i = 0; i < 3; i++) addUsage(t, 'agent-1', cost(0.1 + 0.2 - 0.3 + 0.1)); // 0.1 each, with float noise
    expect(agentCapHit(t, caps, 'agent-1')).toBeNull();
    addUsage(t, 'agent-1', cost(0.2));
    expect(agentCapHit(t, caps, 'agent-1')).toMatchObject({ cap: 'max-cost-per-agent', used: 0.5 });
    expect(swarmCapHit(t, caps)).toBeNull();
    addUsage(t, 'agent-2', cost(0.5));
    expect(swarmCapHit(t, caps)).toMatchObject({ cap: 'max-cost', used: 1 });
    expect(describeCap(swarmCapHit(t, caps)!)).toBe('reached --max-cost $1.00 ($1.00 used)');
  });

  it('sessions per agent; tokens', () => {
    const t = newTally();
    for (let i = 0; i < 3; i++) addStart(t, 'agent-2');
    expect(agentCapHit(t, caps, 'agent-2')).toMatchObject({ cap: 'max-sessions-per-agent' });
    addUsage(t, 'agent-2', cost(0));
    expect(swarmCapHit(t, { ...caps, maxCostUsd: null, maxTokens: 15 })).toMatchObject({ cap: 'max-tokens', used: 15 });
  });

  it('exit codes: money and tokens 1, session counts 0, stall 1', () => {
    expect(isSpendCap('max-cost')).toBe(true);
    expect(isSpendCap('max-sessions-per-agent')).toBe(false);
    expect(exitCodeFor('budget', { cap: 'max-tokens', agent: null, limit: 1, used: 1 })).toBe(1);
    expect(exitCodeFor('budget', { cap: 'max-sessions-per-agent', agent: 'agent-1', limit: 1, used: 1 })).toBe(0);
    expect(exitCodeFor('stalled', null)).toBe(1);
    expect(exitCodeFor('max-sessions', null)).toBe(0);
  });
});
