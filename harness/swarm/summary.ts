// The end-of-run summary: arithmetic over this run's events (pure), then lines to print.
import { formatAge } from '../kit/duration.js';
import type { LoggedEvent } from '../events/log.js';
import { totalTokens } from '../events/prices.js';
import { crashed } from '../events/outcome.js';

export interface RunSummary {
  sessions: number;
  ok: number;
  crashed: number;
  /** crashed sessions after which the same slot started again */
  recovered: number;
  timedOut: number;
  claimsReleased: number;
  claimsReaped: number;
  wipSaved: number;
  costUsd: number;
  /** sessions that reported a cost */
  costed: number;
  inputTokens: number;
  outputTokens: number;
  /** every token in and out, cached ones included: what --max-tokens counts */
  totalTokens: number;
  /** sessions whose cost was priced from the price table (the agent reported tokens only) */
  priced: number;
  rateLimited: number;
  wallMs: number;
}

export function summarize(events: LoggedEvent[], run: string, wallMs: number): RunSummary {
  const mine = events.filter((e) => e.run === run);
  const s: RunSummary = { sessions: 0, ok: 0, crashed: 0, recovered: 0, timedOut: 0, claimsReleased: 0, claimsReaped: 0, wipSaved: 0, costUsd: 0, costed: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, priced: 0, rateLimited: 0, wallMs };
  let micro = 0; // summed in whole micro-dollars: floats drift over thousands of sessions
  const crashedAt = new Map<string, number>(); // agent -> crashes not yet followed by a new session
  for (const e of mine) {
    switch (e.type) {
      case 'session_start':
        s.sessions++;
        s.recovered += crashedAt.get(e.agent) ?? 0;
        crashedAt.set(e.agent, 0);
        break;
      case 'session_end': {
        // A session the supervisor stopped (Ctrl-C, end of run) did not crash.
        if (crashed(e)) {
          s.crashed++;
          crashedAt.set(e.agent, (crashedAt.get(e.agent) ?? 0) + 1);
        } else if (e.exit === 0) s.ok++;
        if (e.timedOut) s.timedOut++;
        if (e.usage?.costUsd != null) {
          micro += Math.round(e.usage.costUsd * 1e6);
          s.costed++;
          if (e.usage.costSource === 'table') s.priced++;
        }
        s.totalTokens += totalTokens(e.usage);
        s.inputTokens += e.usage?.inputTokens ?? 0;
        s.outputTokens += e.usage?.outputTokens ?? 0;
        break;
      }
      case 'claims_released':
        s.claimsReleased += e.tasks.length;
        break;
      case 'claims_reaped':
        s.claimsReaped += e.tasks.length;
        break;
      case 'rate_limited':
        s.rateLimited++;
        break;
      case 'wip_saved':
        s.wipSaved++;
        break;
    }
  }
  s.costUsd = micro / 1e6;
  return s;
}

export function formatCost(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

export function summaryLines(s: RunSummary, extra: string[] = []): string[] {
  const lines = [
    `summary: ${s.sessions} session${s.sessions === 1 ? '' : 's'} in ${formatAge(s.wallMs)} (${s.ok} ok, ${s.crashed} crashed, ${s.recovered} recovered, ${s.timedOut} timed out)`,
    `  claims released ${s.claimsReleased}, reaped ${s.claimsReaped}; wip branches saved ${s.wipSaved}`,
  ];
  if (s.costed > 0 || s.inputTokens > 0) {
    const priced = s.priced ? ` (${s.priced} session${s.priced === 1 ? '' : 's'} priced from the price table)` : '';
    lines.push(`  cost ${s.costed > 0 ? formatCost(s.costUsd) : 'unknown'}${priced}; tokens ${s.totalTokens} (in ${s.inputTokens}, out ${s.outputTokens})`);
  }
  if (s.rateLimited) lines.push(`  rate limited ${s.rateLimited} time${s.rateLimited === 1 ? '' : 's'}`);
  return [...lines, ...extra.map((l) => `  ${l}`)];
}
