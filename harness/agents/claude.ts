// Claude Code, headless: `claude --dangerously-skip-permissions -p <prompt> --output-format
// stream-json --verbose`. The prompt goes in argv because that is how -p works; it is not a
// secret (the credentials come through the environment). Usage and cost come from the
// stream's final `result` event; a session killed before it (timeout, --hard, Ctrl-C) still
// spent tokens, so then the assistant messages' own usage is summed and priced by the table.
import type { RateLimit, Usage } from '../events/log.js';
import { claudeRateLimit } from './ratelimit.js';
import { eachJsonLine, emptyUsage, num, type AgentAdapter } from './types.js';

export function claudeAgent(binary = 'claude'): AgentAdapter {
  return {
    kind: 'claude',
    invocation: ({ prompt, model }) => ({
      argv: [binary, '--dangerously-skip-permissions', '-p', prompt, '--output-format', 'stream-json', '--verbose', ...(model ? ['--model', model] : [])],
    }),
    usage: claudeUsage,
    rateLimit: claudeRateLimitOf,
  };
}

/** Usage from a parsed stream (pure over the events, for replaying recorded logs). */
export function claudeUsageOf(events: Iterable<Record<string, unknown>>): Usage | null {
  let found: Usage | null = null;
  let model: string | null = null;
  // One API message shows up as several assistant events (one per content block), each with
  // the same usage: keep the last per message id.
  const perMessage = new Map<string, Record<string, unknown>>();
  for (const o of events) {
    if (o.type === 'system' && o.subtype === 'init' && typeof o.model === 'string') model = o.model;
    if (o.type === 'assistant' && o.message && typeof o.message === 'object') {
      const m = o.message as Record<string, unknown>;
      if (typeof m.model === 'string' && !model) model = m.model;
      if (m.usage && typeof m.usage === 'object') perMessage.set(typeof m.id === 'string' ? m.id : `#${perMessage.size}`, m.usage as Record<string, unknown>);
    }
    if (o.type !== 'result') continue;
    const u = (o.usage && typeof o.usage === 'object' ? o.usage : {}) as Record<string, unknown>;
    found = {
      ...emptyUsage(),
      costUsd: num(o.total_cost_usd),
      inputTokens: num(u.input_tokens),
      outputTokens: num(u.output_tokens),
      cacheReadTokens: num(u.cache_read_input_tokens),
      cacheCreationTokens: num(u.cache_creation_input_tokens),
      numTurns: num(o.num_turns),
      isError: typeof o.is_error === 'boolean' ? o.is_error : null,
      subtype: typeof o.subtype === 'string' ? o.subtype : null,
    };
  }
  if (found) return { ...(found as Usage), model };
  if (!perMessage.size) return null;
  const sum = (k: string) => [...perMessage.values()].reduce((a, u) => a + (num(u[k]) ?? 0), 0);
  return {
    ...emptyUsage(),
    inputTokens: sum('input_tokens'),
    outputTokens: sum('output_tokens'),
    cacheReadTokens: sum('cache_read_input_tokens'),
    cacheCreationTokens: sum('cache_creation_input_tokens'),
    numTurns: perMessage.size,
    subtype: 'no_result', // ended before Claude Code reported; tokens are from its messages
    model,
  };
}

export async function claudeUsage(logFile: string): Promise<Usage | null> {
  const all: Record<string, unknown>[] = [];
  await eachJsonLine(logFile, (o) => void all.push(o));
  return claudeUsageOf(all);
}

/** The limit the stream reports, unless the session then ended well (it was retried past). */
export function claudeRateLimitIn(events: Iterable<Record<string, unknown>>, now: number): RateLimit | null {
  let found = null as RateLimit | null;
  for (const o of events) {
    const r = claudeRateLimit(o, now);
    // a later notice without a reset time keeps the reset an earlier event gave
    if (r) found = r.until === null && found?.until != null ? { ...r, until: found.until } : r;
    else if (o.type === 'result' && o.is_error === false) found = null;
  }
  return found;
}

export async function claudeRateLimitOf(logFile: string, now: number): Promise<RateLimit | null> {
  const all: Record<string, unknown>[] = [];
  await eachJsonLine(logFile, (o) => void all.push(o));
  return claudeRateLimitIn(all, now);
}
