// The contract between the supervisor and an agent: how to start one session, and how to
// read what it cost from its log afterwards. Adapters are pure builders plus a log parser;
// the supervisor does all the running.
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { RateLimit, Usage } from '../events/log.js';

export interface AgentSessionInput {
  /** the prompt text */
  prompt: string;
  /** an absolute path to the prompt, visible inside the sandbox */
  promptFile: string;
  model: string | null;
}

export interface AgentInvocation {
  /** argv run in the sandbox; the prompt may be in it (claude -p), secrets never */
  argv: string[];
  stdin?: string;
  env?: Record<string, string>;
}

export interface AgentAdapter {
  kind: string;
  invocation(input: AgentSessionInput): AgentInvocation;
  /** usage and cost from the session log, or null when the agent reports none */
  usage(logFile: string): Promise<Usage | null>;
  /** whether the session hit a usage or rate limit, and its reset time; absent: never knows */
  rateLimit?(logFile: string, now: number): Promise<RateLimit | null>;
}

export function emptyUsage(): Usage {
  return { costUsd: null, inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheCreationTokens: null, numTurns: null, isError: null, subtype: null };
}

/**
 * Calls `f` with every JSON object line in a log. Logs mix stdout and stderr and can be
 * large after a long session, so they are streamed, and a line that is not JSON is skipped.
 */
export async function eachJsonLine(file: string, f: (o: Record<string, unknown>) => void): Promise<void> {
  const rl = readline.createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const o = JSON.parse(t) as unknown;
      if (o && typeof o === 'object' && !Array.isArray(o)) f(o as Record<string, unknown>);
    } catch {
      /* not JSON after all */
    }
  }
}

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
