// The contract between the supervisor and an agent: how to start one session, and how to
// read what it cost from its log afterwards. Adapters are pure builders plus a log parser;
// the supervisor does all the running.
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { RateLimit, Usage } from '../events/log.js';
import type { SandboxKind } from '../sandbox/types.js';

/** Who works in a session: the kinds `--agent` accepts. */
export const AGENT_KINDS = ['claude', 'codex', 'sim', 'cmd'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export interface AgentSessionInput {
  /** the prompt text */
  prompt: string;
  /** an absolute path to the prompt, visible inside the sandbox */
  promptFile: string;
  model: string | null;
  /**
   * A folder for this session alone: empty at the start, writable, outside the workspace
   * (so nothing in it can be committed), at the same path inside the sandbox. Agents keep
   * their config, caches and temp files here instead of a HOME shared with other sessions.
   */
  sessionDir: string;
  sandbox: SandboxKind;
  /** the agent runs as uid 0 (every sandbox runs it as the supervisor's uid) */
  root: boolean;
  /** the credentials the session gets through its environment; read, never put in argv */
  secrets: Readonly<Record<string, string>>;
}

export interface AgentInvocation {
  /** argv run in the sandbox; the prompt may be in it (claude -p), secrets never */
  argv: string[];
  /** written to stdin, then closed; absent: stdin is /dev/null (the CLIs wait on an open pipe) */
  stdin?: string;
  env?: Record<string, string>;
  /** files to write under sessionDir before the start (relative path -> text), mode 0600 */
  files?: Record<string, string>;
}

/** What an adapter may check before the run starts any session. */
export interface AgentPreflight {
  sandbox: SandboxKind;
  root: boolean;
  /** names that reach every session's environment (ordinary and secret) */
  envNames: string[];
  secrets: Readonly<Record<string, string>>;
}

export interface AgentAdapter {
  kind: string;
  invocation(input: AgentSessionInput): AgentInvocation;
  /** throws (EnvError, exit 4) when a run with these settings could only fail; before anything starts */
  preflight?(ctx: AgentPreflight): void;
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
