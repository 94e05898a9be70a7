// What this workspace remembers between runs, beside the logs: the last run's results
// (for --failed) and each test's last duration (for slowest-first ordering). Git notes
// hold the shared history; this file only makes the next local run smarter.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result, TestOutcome } from '../core/types.js';

export interface LocalState {
  /** per tool ('' = none), each test's result the last time it ran here: a --fast sample must not forget the rest */
  last: Record<string, { at: string; results: Record<string, Result> }>;
  timings: Record<string, number>;
}

export function stateDir(root: string, logDir: string): string {
  const d = join(root, logDir);
  mkdirSync(d, { recursive: true });
  // Self-ignoring, so logs never end up in an agent's `git add -A`.
  const gi = join(d, '.gitignore');
  if (!existsSync(gi)) writeFileSync(gi, '*\n');
  return d;
}

export function readState(dir: string): LocalState {
  try {
    const s = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { last?: unknown; byTool?: LocalState['last']; timings?: Record<string, number> };
    // Before results were kept per tool, `last` was one run's: it was nobody's tool.
    const byTool = s.byTool ?? (s.last ? { '': s.last as LocalState['last'][string] } : {});
    return { last: byTool, timings: s.timings ?? {} };
  } catch {
    return { last: {}, timings: {} };
  }
}

export function writeState(dir: string, prev: LocalState, outcomes: readonly TestOutcome[], at: string, tool: string): void {
  const timings = { ...prev.timings };
  const results: Record<string, Result> = { ...prev.last[tool]?.results };
  for (const o of outcomes) {
    results[o.id] = o.result;
    // A timeout says little about the real duration, but it is at least that slow.
    timings[o.id] = Math.round(o.ms);
  }
  const next = { byTool: { ...prev.last, [tool]: { at, results } }, timings };
  const tmp = join(dir, `state.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(next));
  renameSync(tmp, join(dir, 'state.json'));
}
