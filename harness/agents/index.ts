// The agent adapter for a run's configuration. `sim` lives with the demo (demo/profile.ts, reached through swarm/profile.ts).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../kit/errors.js';
import { PACKAGE_ROOT } from '../kit/paths.js';
import type { SandboxKind } from '../sandbox/types.js';
import { claudeAgent } from './claude.js';
import { cmdAgent } from './cmd.js';
import { codexAgent } from './codex.js';
import type { AgentAdapter, AgentKind } from './types.js';

export function agentFor(c: { agent: AgentKind; agentCmd: string | null; sandbox: SandboxKind }, env: NodeJS.ProcessEnv = {}): AgentAdapter {
  switch (c.agent) {
    case 'claude':
      return claudeAgent(cliBinary('claude', c.sandbox, env));
    case 'codex':
      return codexAgent(cliBinary('codex', c.sandbox, env));
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

/**
 * The CLI to run: a container runs its image's own (by name); elsewhere the user's on PATH
 * wins, else the copy pinned in this package's devDependencies (node_modules is mounted
 * into bwrap sessions, so its absolute path works there too).
 */
export function cliBinary(name: 'claude' | 'codex', sandbox: SandboxKind, env: NodeJS.ProcessEnv, root = PACKAGE_ROOT): string {
  if (sandbox === 'docker' || sandbox === 'podman') return name;
  const onPath = (env.PATH ?? '').split(':').filter(Boolean).some((d) => executable(path.join(d, name)));
  if (onPath) return name;
  const pinned = path.join(root, 'node_modules', '.bin', name);
  return executable(pinned) ? pinned : name;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
