// Codex CLI, non-interactive: `codex exec --json --dangerously-bypass-approvals-and-sandbox
// --skip-git-repo-check [-m MODEL] -`. The session already runs in our sandbox, so Codex's
// own sandbox is off; `-` reads the prompt from stdin. Its JSONL stream reports token usage
// per turn (`turn.completed` with input_tokens, cached_input_tokens, output_tokens) and no
// cost; `turn.failed` and `error` mark a failed session.
import type { RateLimit, Usage } from '../events/log.js';
import { codexRateLimit } from './ratelimit.js';
import { eachJsonLine, emptyUsage, num, type AgentAdapter } from './types.js';

export function codexAgent(binary = 'codex'): AgentAdapter {
  return {
    kind: 'codex',
    invocation: ({ prompt, model }) => ({
      argv: [binary, 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check', ...(model ? ['-m', model] : []), '-'],
      stdin: prompt,
    }),
    usage: codexUsage,
    rateLimit: async (logFile, now) => {
      let found: RateLimit | null = null;
      await eachJsonLine(logFile, (o) => {
        const r = codexRateLimit(o, now);
        if (r) found = r;
        else if (o.type === 'turn.completed') found = null; // a later turn went through
      });
      return found;
    },
  };
}

export async function codexUsage(logFile: string): Promise<Usage | null> {
  let turns = 0;
  let seen = false;
  let failed = false;
  const u = { ...emptyUsage(), inputTokens: 0, outputTokens: 0, cacheReadTokens: 0 };
  await eachJsonLine(logFile, (o) => {
    if (o.type === 'turn.completed') {
      seen = true;
      turns++;
      const t = (o.usage && typeof o.usage === 'object' ? o.usage : {}) as Record<string, unknown>;
      u.inputTokens += num(t.input_tokens) ?? 0;
      u.outputTokens += num(t.output_tokens) ?? 0;
      u.cacheReadTokens += num(t.cached_input_tokens) ?? 0;
    } else if (o.type === 'turn.failed' || o.type === 'error') {
      seen = true;
      failed = true;
    }
  });
  if (!seen) return null;
  // OpenAI counts cached tokens inside input_tokens; the price table needs to know.
  return { ...u, numTurns: turns, isError: failed, subtype: failed ? 'error' : 'success', inputIncludesCache: true };
}
