// `npm run demo:claude` and `demo:codex`: the demo project worked by the real Claude Code or
// Codex CLI, driven by the scripted model server, until every task is done. Slow suite (a few
// tasks: about a minute each).
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import path from 'node:path';
import { realCliMissing } from './helpers/real-agents.js';
import { git, ROOT, tempDir } from './helpers/repos.js';

const why = realCliMissing() ?? (process.env.HARNESS_SLOW_TESTS ? null : 'slow suite only');

describe.skipIf(why)('npm run demo:claude and demo:codex (scripted model, real CLI)', () => {
  it.each(['claude', 'codex'] as const)('demo:%s declares itself scripted and finishes every task it was given, with real sessions of that CLI', async (kind) => {
    const t = tempDir();
    try {
      const dir = path.join(t.dir, 'demo');
      const env: Record<string, string> = { ...(process.env as Record<string, string>), GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@example.invalid', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@example.invalid' };
      delete env.ANTHROPIC_API_KEY;
      delete env.OPENAI_API_KEY;
      const r = await execa(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'scripts/demo-real.ts'), kind, '--tasks', '4', '--agents', '2', '--dir', dir], { cwd: t.dir, env, reject: false, all: true, timeout: 600_000 });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toMatch(new RegExp(`^SCRIPTED DEMO: the real ${kind === 'claude' ? 'Claude Code' : 'Codex'} CLI`, 'm'));
      expect(r.all).toMatch(/every task done \(4\/4/);
      expect(r.all).toMatch(new RegExp(`demo:${kind}: \\d+ real ${kind} sessions`));
      const log = git(path.join(dir, 'upstream.git'), 'log', '--format=%(trailers:key=Task-Status,valueonly)', 'main');
      expect(log.split('\n').filter((l) => l === 'done')).toHaveLength(4);
    } finally {
      t.cleanup();
    }
  }, 700_000);
});
