// The agent adapter for a run's configuration. `sim` lives with the demo (see swarm/demo-mode.ts).
import { UsageError } from '../errors.js';
import type { RunConfig } from '../swarm/config.js';
import { claudeAgent } from './claude.js';
import { cmdAgent } from './cmd.js';
import { codexAgent } from './codex.js';
import type { AgentAdapter } from './types.js';

export function agentFor(c: Pick<RunConfig, 'agent' | 'agentCmd'>): AgentAdapter {
  switch (c.agent) {
    case 'claude':
      return claudeAgent();
    case 'codex':
      return codexAgent();
    case 'cmd':
      return cmdAgent(c.agentCmd!);
    default:
      throw new UsageError('BAD_AGENT', `agent "${c.agent}" is built by the demo wiring, not here`);
  }
}

/** Credentials passed to sessions as secrets: through the environment, never argv, run.json or a log. */
export const KNOWN_SECRETS = [
  'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_BASE_URL',
  'OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENAI_BASE_URL',
];

export function pickSecrets(env: NodeJS.ProcessEnv, extra: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...KNOWN_SECRETS, ...extra]) {
    const v = env[k];
    if (v !== undefined && v !== '') out[k] = v;
  }
  return out;
}
