// Turning tokens into dollars where an agent reports tokens but no price (Codex; a Claude
// session killed before its final `result` event). Pure: a table of USD per million tokens
// per model, a lookup by model name, and the arithmetic. Claude Code's own
// `total_cost_usd` always wins over this table: it knows its discounts and we do not.
import { UsageError } from '../kit/errors.js';
import type { Usage } from './log.js';

/** USD per million tokens. `cacheRead`/`cacheWrite` default to `input` when absent. */
export interface Price {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export type PriceTable = Record<string, Price>;

/**
 * ASSUMPTION, CHECK BEFORE RELYING ON IT: list prices as published by Anthropic and OpenAI
 * in late 2025 (standard tier, no batch discount; Anthropic cache writes at the 5-minute
 * rate). Keys match a model name by prefix, longest first, so `claude-sonnet-4-5-20250929`
 * finds `claude-sonnet-4`. Override or extend with `prices` in harness.config.json.
 */
export const DEFAULT_PRICES: PriceTable = {
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 }, // also gpt-5-codex, gpt-5.1
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
};

/** The price for a model name: an exact key, else the longest key it starts with. */
export function priceFor(model: string | null | undefined, table: PriceTable): Price | null {
  if (!model) return null;
  const m = model.toLowerCase().replace(/^(anthropic|openai)\//, '');
  if (table[m]) return table[m]!;
  const keys = Object.keys(table).filter((k) => m.startsWith(k.toLowerCase())).sort((a, b) => b.length - a.length);
  return keys.length ? table[keys[0]!]! : null;
}

/**
 * Dollars for a session's tokens. Claude reports input tokens beside the cache reads and
 * writes; OpenAI's input tokens already include the cached ones (`inputIncludesCache`), so
 * those are taken out before charging the full input rate.
 */
export function tokenCost(u: Usage, p: Price): number {
  const cacheRead = u.cacheReadTokens ?? 0;
  const cacheWrite = u.cacheCreationTokens ?? 0;
  const input = (u.inputTokens ?? 0) - (u.inputIncludesCache ? cacheRead : 0);
  const micro = input * p.input + (u.outputTokens ?? 0) * p.output + cacheRead * (p.cacheRead ?? p.input) + cacheWrite * (p.cacheWrite ?? p.input);
  return micro / 1e6;
}

/** Every token the session sent or received, cached or not: what --max-tokens counts. */
export function totalTokens(u: Usage | null | undefined): number {
  if (!u) return 0;
  const cached = u.inputIncludesCache ? 0 : (u.cacheReadTokens ?? 0) + (u.cacheCreationTokens ?? 0);
  return (u.inputTokens ?? 0) + (u.outputTokens ?? 0) + cached;
}

/** The usage with a cost: the agent's own when it reported one, else priced from the table, else unknown. */
export function withCost(u: Usage | null, fallbackModel: string | null, table: PriceTable): Usage | null {
  if (!u) return null;
  if (u.costUsd !== null) return { ...u, costSource: 'agent' };
  if (u.inputTokens === null && u.outputTokens === null) return u;
  const model = u.model ?? fallbackModel;
  const p = priceFor(model, table);
  if (!p) return { ...u, costSource: null };
  return { ...u, costUsd: tokenCost(u, p), costSource: 'table', model: model ?? null };
}

/** `prices` from harness.config.json, checked, over the defaults. */
export function parsePrices(v: unknown, from: string): PriceTable {
  if (v === undefined || v === null) return { ...DEFAULT_PRICES };
  const want = 'an object of model -> {"input": USD per million, "output": ..., "cacheRead"?: ..., "cacheWrite"?: ...}';
  if (typeof v !== 'object' || Array.isArray(v)) throw new UsageError('BAD_CONFIG', `${from}: not ${want}`);
  const out: PriceTable = { ...DEFAULT_PRICES };
  for (const [model, p] of Object.entries(v as Record<string, unknown>)) {
    const o = p as Record<string, unknown>;
    const ok = (x: unknown, optional: boolean) => (optional && x === undefined) || (typeof x === 'number' && Number.isFinite(x) && x >= 0);
    if (!o || typeof o !== 'object' || !ok(o.input, false) || !ok(o.output, false) || !ok(o.cacheRead, true) || !ok(o.cacheWrite, true)) {
      throw new UsageError('BAD_CONFIG', `${from} "${model}": ${JSON.stringify(p)} is not {"input": USD per million, "output": ..., "cacheRead"?: ..., "cacheWrite"?: ...}`);
    }
    out[model] = { input: o.input as number, output: o.output as number, ...(o.cacheRead !== undefined ? { cacheRead: o.cacheRead as number } : {}), ...(o.cacheWrite !== undefined ? { cacheWrite: o.cacheWrite as number } : {}) };
  }
  return out;
}
