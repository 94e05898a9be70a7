// The real Claude Code and Codex CLIs (pinned devDependencies) driven by the scripted model
// server: what a test needs to run `harness run --agent claude|codex` against it, and the
// scripts of turns that work a task through the real protocol.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { harness, ROOT } from './repos.js';
import type { ModelServer, Turn, TurnUsage } from './model-server.js';
import { fastUnless } from './swarm.js';

export const CLAUDE_BIN = path.join(ROOT, 'node_modules/.bin/claude');
export const CODEX_BIN = path.join(ROOT, 'node_modules/.bin/codex');

/** Why the real CLIs cannot run, or null. */
export function realCliMissing(): string | null {
  for (const b of [CLAUDE_BIN, CODEX_BIN]) if (!existsSync(b)) return `${b} is missing: run npm install (the CLIs are pinned devDependencies)`;
  return null;
}

/** Secret values the tests plant and then look for everywhere they must not be. */
export const ANTHROPIC_KEY = 'sk-ant-scripted-SECRET-4f1c';
export const OPENAI_KEY = 'sk-scripted-SECRET-9d2e';

/** The session environment a user would export: the server's URL and a (fake) key. */
export function agentEnv(kind: 'claude' | 'codex', server: ModelServer, extra: Record<string, string> = {}): Record<string, string> {
  // PATH without the CLIs: the harness must find its pinned copy itself.
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  return kind === 'claude'
    ? { ...base, ANTHROPIC_BASE_URL: server.anthropicBase, ANTHROPIC_API_KEY: ANTHROPIC_KEY, ...extra }
    : { ...base, OPENAI_BASE_URL: server.openaiBase, OPENAI_API_KEY: OPENAI_KEY, ...extra };
}

export const MODEL = { claude: 'claude-sonnet-4-5', codex: 'gpt-5.5' } as const;

/** `harness run` with a real agent, in-process (the sessions are real processes). */
export function runReal(cwd: string, kind: 'claude' | 'codex', server: ModelServer, args: string[], extraEnv: Record<string, string> = {}) {
  // claude/codex default to bwrap; a test that names no sandbox is about the loop, not the sandbox
  const sandbox = args.includes('--sandbox') ? [] : ['--sandbox', 'process'];
  // a sandbox with its own network reaches only the upstream, and what the run allows: here the scripted model server
  const allow = args.includes('--sandbox') && !args.includes('process') ? ['--allow-host', new URL(server.anthropicBase).host] : [];
  return harness(cwd, ['run', '--agent', kind, '--model', MODEL[kind], ...sandbox, ...allow, ...fastUnless(args), ...args], agentEnv(kind, server, extraEnv));
}

/** Turns that claim `task`, write `<task>.txt` (tasks never conflict), and land it with `harness task done`. */
export function landTask(task: string, usage: TurnUsage[]): Turn[] {
  const u = (i: number) => usage[i % usage.length]!;
  return [
    { run: `harness task claim ${task} --note "scripted turn"`, usage: u(0) },
    { run: `echo "${task} fixed" > ${task}.txt && git add ${task}.txt`, usage: u(1) },
    { run: `harness task done ${task} -m "Fix ${task}"`, usage: u(2) },
    { say: `Landed ${task}.`, usage: u(3) },
  ];
}

/** Every file under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

/** Claude's list prices (USD per million tokens) for MODEL.claude, and the cost of some turns at them. */
export const SONNET = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
export function costOf(turns: TurnUsage[], p = SONNET): number {
  return turns.reduce((a, u) => a + (u.input * p.input + u.output * p.output + (u.cacheRead ?? 0) * p.cacheRead + (u.cacheWrite ?? 0) * p.cacheWrite) / 1e6, 0);
}
