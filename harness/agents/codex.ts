// Codex CLI, non-interactive: `codex exec --json --dangerously-bypass-approvals-and-sandbox
// --skip-git-repo-check [-m MODEL] -`. The session already runs in our sandbox, so Codex's
// own sandbox is off; `-` reads the prompt from stdin. Its JSONL stream reports token usage
// per turn (`turn.completed` with input_tokens, cached_input_tokens, output_tokens) and no
// cost; `turn.failed` and `error` mark a failed session.
//
// Each session gets its own CODEX_HOME (config, sessions, logs) in its session folder, with
// a config.toml made for unattended runs: no login shell (it would reset PATH and lose
// `harness`), no analytics, no plugins; and, when OPENAI_BASE_URL is given, a model
// provider for it whose key Codex reads from the environment (`env_key` names the
// variable; the key itself is never written down).
import path from 'node:path';
import { EnvError } from '../kit/errors.js';
import type { RateLimit, Usage } from '../events/log.js';
import { codexRateLimit } from './ratelimit.js';
import { eachJsonLine, emptyUsage, num, type AgentAdapter, type AgentPreflight } from './types.js';

export function codexAgent(binary = 'codex'): AgentAdapter {
  return {
    kind: 'codex',
    invocation: ({ prompt, model, sessionDir, secrets }) => ({
      argv: [binary, 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check', ...(model ? ['-m', model] : []), '-'],
      stdin: prompt,
      env: { CODEX_HOME: path.join(sessionDir, 'codex'), TMPDIR: path.join(sessionDir, 'tmp') },
      files: { 'codex/config.toml': codexConfig(secrets) },
    }),
    preflight: (ctx: AgentPreflight) => void codexProvider(ctx.secrets),
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

/** The provider for OPENAI_BASE_URL, or null for Codex's built-in one. */
export function codexProvider(secrets: Readonly<Record<string, string>>): { baseUrl: string; envKey: string } | null {
  const base = secrets.OPENAI_BASE_URL;
  if (!base) return null;
  let u: URL | null = null;
  try {
    u = new URL(base);
  } catch {
    /* reported below */
  }
  if (!u || !/^https?:$/.test(u.protocol)) throw new EnvError('BAD_BASE_URL', `OPENAI_BASE_URL must be an http(s) URL such as https://host/v1, got something else; fix or unset it`);
  return { baseUrl: base, envKey: secrets.CODEX_API_KEY ? 'CODEX_API_KEY' : 'OPENAI_API_KEY' };
}

/** config.toml for one unattended session (top-level keys first: TOML tables run to the next one). */
export function codexConfig(secrets: Readonly<Record<string, string>>): string {
  const p = codexProvider(secrets);
  const lines = ['# written by the harness for this session only', 'allow_login_shell = false', 'check_for_update_on_startup = false'];
  if (p) lines.push('model_provider = "harness"');
  lines.push('', '[analytics]', 'enabled = false', '', '[features]', 'plugins = false', 'remote_plugin = false');
  // JSON strings are TOML basic strings for anything a URL holds.
  if (p) lines.push('', '[model_providers.harness]', 'name = "harness"', `base_url = ${JSON.stringify(p.baseUrl)}`, `env_key = "${p.envKey}"`, 'wire_api = "responses"');
  return lines.join('\n') + '\n';
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
    } else if (o.type === 'turn.failed' || (o.type === 'error' && !/^Reconnecting\b/.test(String(o.message ?? '')))) {
      // `Reconnecting... 2/5 (...)` is Codex retrying, not failing
      seen = true;
      failed = true;
    }
  });
  if (!seen) return null;
  // OpenAI counts cached tokens inside input_tokens; the price table needs to know.
  return { ...u, numTurns: turns, isError: failed, subtype: failed ? 'error' : 'success', inputIncludesCache: true };
}
