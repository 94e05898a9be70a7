// Reading one swarm folder for `harness status` and `harness report`: run.json, the event
// log, the upstream's git facts and what the session logs count. The only I/O of
// the status model; everything it returns is plain data for status.ts / report/model.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../kit/errors.js';
import { isUrl, syncMirror } from '../git/mirror.js';
import { readEvents, type LoggedEvent } from './log.js';
import { readGitFacts, type GitFacts } from './facts.js';
import { budgetOf, buildStatus, type Budget, type SwarmStatus } from './status.js';
import { pendingSummary, type PendingSummary } from '../tasks/journal.js';
import { pidAlive } from '../kit/proc.js';

export interface SwarmData {
  dir: string;
  upstream: string;
  runJson: Record<string, unknown> | null;
  events: LoggedEvent[];
  facts: GitFacts;
  budget: Budget;
  supervisorAlive: boolean | null;
  /** merge conflicts resolved and claims lost, from the session logs */
  conflicts: number;
  lostRaces: number;
  /** lock removals and wip pushes journaled in pending/ and not landed yet */
  pending: PendingSummary;
  /** why the upstream could not be read (an outage): the git facts are then empty */
  upstreamProblem: string | null;
}

/** `--dir`, else `.swarm` when it exists, else the demo's `.swarm-demo`. */
export function resolveSwarmDir(cwd: string, dir: string | undefined): string {
  if (dir) return path.resolve(cwd, dir);
  const real = path.resolve(cwd, '.swarm');
  return existsSync(real) ? real : path.resolve(cwd, '.swarm-demo');
}

/** Merge conflicts resolved, as one session log tells them: only a run's profile knows its agent's words. */
export type ConflictCounter = (logText: string) => number;

export interface LoadOptions {
  logs?: boolean;
  pass?: 'all' | 'ends';
  /** the counter of the profile the run used (from its run.json and events), or none */
  conflicts?: (runJson: Record<string, unknown> | null, events: LoggedEvent[]) => Promise<ConflictCounter | null>;
}

export async function loadSwarm(dir: string, env: NodeJS.ProcessEnv, host: string, opts: LoadOptions = {}): Promise<SwarmData> {
  if (!existsSync(path.join(dir, 'events.jsonl')) && !existsSync(path.join(dir, 'run.json'))) {
    throw new UsageError('NO_SWARM', `${dir} is not a swarm folder (no events.jsonl, no run.json); pass --dir, or start one with harness run`);
  }
  let runJson: Record<string, unknown> | null = null;
  try {
    runJson = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    /* a swarm that never got as far as writing it */
  }
  const local = path.join(dir, 'upstream.git');
  const named = typeof runJson?.upstream === 'string' ? runJson.upstream : null;
  // A local upstream is read in place (no session can reach it: it is served, never
  // mounted); one reached by URL is read through a mirror kept in the swarm folder.
  if (!named && !existsSync(local)) {
    throw new UsageError('NO_UPSTREAM', `status reads git facts from the upstream, and ${local} is not there; pass the swarm's --dir`);
  }
  const events = readEvents(path.join(dir, 'events.jsonl'));
  const firstStart = events.find((e) => e.type === 'run_start');
  // A URL upstream is read through a mirror; one that cannot be reached is exit 4 (UPSTREAM_UNREACHABLE).
  const upstream = named && isUrl(named) && !existsSync(local) ? await syncMirror(named, path.join(dir, 'mirror.git'), env) : named && existsSync(named) ? named : local;
  // A local upstream that is gone (moved away, a disk unmounted) is exactly when status
  // matters most (what is pending?): the event log and pending/ are still read, under a warning.
  let facts: GitFacts = { commits: [], claims: [], wipBranches: 0, pass: [] };
  let upstreamProblem: string | null = null;
  try {
    if (!existsSync(upstream)) throw new Error(`${upstream} is not there`);
    facts = await readGitFacts(upstream, env, { pass: opts.pass ?? 'all', since: firstStart ? Date.parse(firstStart.ts) : null });
  } catch (e) {
    upstreamProblem = `cannot read the upstream (${(e as Error).message.split('\n')[0]})`;
  }
  const counts = opts.logs === false ? { conflicts: 0, lostRaces: 0 } : countFromLogs(dir, events, (await opts.conflicts?.(runJson, events)) ?? null);
  return { dir, upstream, runJson, events, facts, budget: budgetOf(runJson), supervisorAlive: supervisorAlive(runJson, host), ...counts, pending: pendingSummary(path.join(dir, 'pending'), Date.now()), upstreamProblem };
}

/** Whether run.json's supervisor still runs: known only on its own host. */
export function supervisorAlive(runJson: Record<string, unknown> | null, host: string): boolean | null {
  const pid = runJson?.pid;
  if (typeof pid !== 'number' || runJson?.host !== host) return null;
  return pidAlive(pid);
}

/**
 * Conflicts are only visible where they happened: in the session logs, in the words of the
 * run's agent, so the profile counts them (`conflictsIn`); without one they count zero. A
 * lost claim is harness's own words: harness task's `is held by` refusal (exit 3).
 */
export function countFromLogs(dir: string, events: LoggedEvent[], conflictsIn: ConflictCounter | null): { conflicts: number; lostRaces: number } {
  let conflicts = 0;
  let lostRaces = 0;
  for (const e of events) {
    if (e.type !== 'session_start') continue;
    let text: string;
    try {
      text = readFileSync(path.join(dir, e.log), 'utf8');
    } catch {
      continue;
    }
    conflicts += conflictsIn?.(text) ?? 0;
    lostRaces += text.match(/is held by|LOST_CLAIM|no longer mine/g)?.length ?? 0;
  }
  return { conflicts, lostRaces };
}

export function statusOf(d: SwarmData, now: number): SwarmStatus {
  return buildStatus({ events: d.events, facts: d.facts, budget: d.budget, now, supervisorAlive: d.supervisorAlive, conflicts: d.conflicts, lostRaces: d.lostRaces, pending: d.pending });
}
