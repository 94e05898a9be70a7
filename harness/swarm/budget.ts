// Budget caps: --max-cost, --max-tokens, --max-sessions, each for the whole swarm and per
// agent slot. Pure arithmetic over what sessions reported; the supervisor adds each ended
// session and asks which cap, if any, is reached. Money is summed in micro-dollars (whole
// numbers) so that a thousand sessions still add up to the cent.
import type { Usage } from '../events/log.js';
import { totalTokens } from '../events/prices.js';

export interface Caps {
  maxCostUsd: number | null;
  maxTokens: number | null;
  maxSessions: number | null;
  maxCostPerAgentUsd: number | null;
  maxTokensPerAgent: number | null;
  maxSessionsPerAgent: number | null;
}

export interface Spent {
  microUsd: number;
  tokens: number;
  sessions: number;
}

export interface Tally {
  total: Spent;
  byAgent: Map<string, Spent>;
}

export type CapName = 'max-cost' | 'max-tokens' | 'max-sessions' | 'max-cost-per-agent' | 'max-tokens-per-agent' | 'max-sessions-per-agent';

export interface CapHit {
  cap: CapName;
  /** null: the whole swarm */
  agent: string | null;
  limit: number;
  used: number;
}

export function newTally(): Tally {
  return { total: { microUsd: 0, tokens: 0, sessions: 0 }, byAgent: new Map() };
}

export const toMicro = (usd: number) => Math.round(usd * 1e6);
export const fromMicro = (m: number) => m / 1e6;

function spentOf(t: Tally, agent: string): Spent {
  let s = t.byAgent.get(agent);
  if (!s) t.byAgent.set(agent, (s = { microUsd: 0, tokens: 0, sessions: 0 }));
  return s;
}

/** A session started: it counts against --max-sessions from then on. */
export function addStart(t: Tally, agent: string): void {
  t.total.sessions++;
  spentOf(t, agent).sessions++;
}

/** A session ended: its cost and tokens count. */
export function addUsage(t: Tally, agent: string, u: Usage | null): void {
  const micro = u?.costUsd != null ? toMicro(u.costUsd) : 0;
  const tokens = totalTokens(u);
  for (const s of [t.total, spentOf(t, agent)]) {
    s.microUsd += micro;
    s.tokens += tokens;
  }
}

/** The first swarm-wide cap reached, or null. Sessions count as reached when no more may start. */
export function swarmCapHit(t: Tally, c: Caps): CapHit | null {
  if (c.maxCostUsd !== null && t.total.microUsd >= toMicro(c.maxCostUsd)) return { cap: 'max-cost', agent: null, limit: c.maxCostUsd, used: fromMicro(t.total.microUsd) };
  if (c.maxTokens !== null && t.total.tokens >= c.maxTokens) return { cap: 'max-tokens', agent: null, limit: c.maxTokens, used: t.total.tokens };
  if (c.maxSessions !== null && t.total.sessions >= c.maxSessions) return { cap: 'max-sessions', agent: null, limit: c.maxSessions, used: t.total.sessions };
  return null;
}

/** The first per-agent cap this slot reached, or null. */
export function agentCapHit(t: Tally, c: Caps, agent: string): CapHit | null {
  const s = t.byAgent.get(agent) ?? { microUsd: 0, tokens: 0, sessions: 0 };
  if (c.maxCostPerAgentUsd !== null && s.microUsd >= toMicro(c.maxCostPerAgentUsd)) return { cap: 'max-cost-per-agent', agent, limit: c.maxCostPerAgentUsd, used: fromMicro(s.microUsd) };
  if (c.maxTokensPerAgent !== null && s.tokens >= c.maxTokensPerAgent) return { cap: 'max-tokens-per-agent', agent, limit: c.maxTokensPerAgent, used: s.tokens };
  if (c.maxSessionsPerAgent !== null && s.sessions >= c.maxSessionsPerAgent) return { cap: 'max-sessions-per-agent', agent, limit: c.maxSessionsPerAgent, used: s.sessions };
  return null;
}

/**
 * Money and tokens are a guard that cut the work short: exit 1, like any check that failed.
 * Session counts are a plan the user made (as --until is): reaching one is exit 0.
 */
export function isSpendCap(cap: CapName): boolean {
  return !cap.startsWith('max-sessions');
}

export function describeCap(h: CapHit): string {
  const money = h.cap.startsWith('max-cost');
  const fmt = (n: number) => (money ? `$${n.toFixed(2)}` : String(n));
  const who = h.agent ? ` for ${h.agent}` : '';
  return `reached --${h.cap} ${fmt(h.limit)}${who} (${fmt(h.used)} used)`;
}
