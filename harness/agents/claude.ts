// Claude Code, headless: `claude --dangerously-skip-permissions -p <prompt> --output-format
// stream-json --verbose`. The prompt goes in argv because that is how -p works; it is not a
// secret (the credentials come through the environment). Usage and cost come from the
// stream's final `result` event; a session killed before it (timeout, --hard, Ctrl-C) still
// spent tokens, so then the assistant messages' own usage is summed and priced by the table.
//
// Unattended, Claude Code needs: no non-essential traffic (update checks, telemetry: the
// session talks to its model's API only), its own config folder and TMPDIR per session
// (parallel sessions sharing ~/.claude.json and /tmp/claude-<uid> trip over each other),
// and stdin at /dev/null (an open pipe costs a wait). As root it refuses
// --dangerously-skip-permissions unless IS_SANDBOX=1 says a sandbox holds it: the adapter
// says so inside bwrap and containers, and never in the process sandbox, which holds nothing.
import path from 'node:path';
import { EnvError } from '../kit/errors.js';
import type { RateLimit, Usage } from '../events/log.js';
import { claudeRateLimit } from './ratelimit.js';
import { eachJsonLine, emptyUsage, num, type AgentAdapter, type AgentPreflight, type AgentSessionInput } from './types.js';

export function claudeAgent(binary = 'claude'): AgentAdapter {
  return {
    kind: 'claude',
    invocation: (input) => ({
      argv: [binary, '--dangerously-skip-permissions', '-p', input.prompt, '--output-format', 'stream-json', '--verbose', ...(input.model ? ['--model', input.model] : [])],
      env: claudeEnv(input),
    }),
    preflight: claudePreflight,
    usage: claudeUsage,
    rateLimit: claudeRateLimitOf,
  };
}

export function claudeEnv(input: Pick<AgentSessionInput, 'sessionDir' | 'sandbox' | 'root'>): Record<string, string> {
  const env: Record<string, string> = {
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CONFIG_DIR: path.join(input.sessionDir, 'claude'),
    TMPDIR: path.join(input.sessionDir, 'tmp'),
  };
  if (input.root && input.sandbox !== 'process') env.IS_SANDBOX = '1';
  return env;
}

/** Root in the process sandbox: Claude Code would refuse every session; say so once, before any starts. */
export function claudePreflight(ctx: AgentPreflight): void {
  if (!ctx.root || ctx.sandbox !== 'process' || ctx.envNames.includes('IS_SANDBOX')) return;
  throw new EnvError(
    'CLAUDE_AS_ROOT',
    'Claude Code refuses to run unattended as root outside a sandbox: use --sandbox bwrap (or docker/podman), run the harness as a non-root user, or, if this machine is itself a disposable sandbox, say so with `IS_SANDBOX=1 harness run ...`',
  );
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
    // Once a reset is known, a later text notice keeps it: the rate_limit_event's epoch is
    // exact, the text's `resets 1:51am (UTC)` only to the minute.
    if (r) found = found?.until != null && (r.until === null || o.type !== 'rate_limit_event') ? { ...r, until: found.until } : r;
    else if (o.type === 'result' && o.is_error === false) found = null;
  }
  return found;
}

export async function claudeRateLimitOf(logFile: string, now: number): Promise<RateLimit | null> {
  const all: Record<string, unknown>[] = [];
  await eachJsonLine(logFile, (o) => void all.push(o));
  return claudeRateLimitIn(all, now);
}
