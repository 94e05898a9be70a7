// Claude Code, headless: `claude --dangerously-skip-permissions -p <prompt> --output-format
// stream-json --verbose`. The prompt goes in argv because that is how -p works; it is not a
// secret (the credentials come through the environment). Usage and cost come from the
// stream's final `result` event.
import type { Usage } from '../events/log.js';
import { eachJsonLine, emptyUsage, num, type AgentAdapter } from './types.js';

export function claudeAgent(binary = 'claude'): AgentAdapter {
  return {
    kind: 'claude',
    invocation: ({ prompt, model }) => ({
      argv: [binary, '--dangerously-skip-permissions', '-p', prompt, '--output-format', 'stream-json', '--verbose', ...(model ? ['--model', model] : [])],
    }),
    usage: claudeUsage,
  };
}

/** The last `result` event of a stream-json log, as Usage; null when the session never got that far. */
export async function claudeUsage(logFile: string): Promise<Usage | null> {
  let found: Usage | null = null;
  await eachJsonLine(logFile, (o) => {
    if (o.type !== 'result') return;
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
  });
  return found;
}
