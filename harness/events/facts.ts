// What the status and the report need from git, read through the one git seam and the
// oracle's entry points: main's first-parent history with its task trailers, the locks on
// main now, the wip branches, and the pass rate recorded in the oracle's notes. Reading
// only; the models that interpret these facts are pure (status.ts, report/model.ts).
import { Git } from '../kit/git.js';
import { readClaims } from '../tasks/read.js';
import { readCoordination, type Coordination } from './coordination.js';
import { latestPerTest, NOTES_REF, readRecords, recordsAlongHistory, toolOf, type RunRecord } from '../../test-oracle/index.js';

export type TaskStatus = 'claimed' | 'done' | 'abandoned' | 'reaped';

export interface CommitFact {
  sha: string;
  /** committer time, ms since the epoch */
  t: number;
  author: string;
  task: string | null;
  status: TaskStatus | null;
  /** Task-Agent trailer, else null */
  agent: string | null;
  /** a message sent or acknowledged (Msg-Status trailer): no work, not counted as a landed commit */
  message?: true;
}

export interface PassPoint {
  sha: string;
  /** whose runs these are (test-oracle's toolOf: '' or absent for runs with no tool); tools never pool */
  tool?: string;
  /** position of the commit in `commits` (oldest first) */
  index: number;
  /** when the newest counted run started, ms */
  t: number;
  pass: number;
  total: number;
}

export interface ClaimFact {
  task: string;
  agent: string | null;
  session: string | null;
  since: number | null;
}

export interface GitFacts {
  /** main's first-parent history, oldest first */
  commits: CommitFact[];
  claims: ClaimFact[];
  wipBranches: number;
  /** recorded pass rates along main, oldest first */
  pass: PassPoint[];
  /** messages, backlog, hot tasks, reverts and duplicates (absent in old fixtures) */
  coordination?: Coordination;
}

const STATUSES = new Set(['claimed', 'done', 'abandoned', 'reaped']);

/** Parses `git log --format=LOG_FORMAT`: one record per commit, fields split by \x1f. */
export const LOG_FORMAT =
  '%x1e%H%x1f%ct%x1f%an%x1f%(trailers:key=Task,valueonly,separator=%x2c)%x1f%(trailers:key=Task-Status,valueonly,separator=%x2c)%x1f%(trailers:key=Task-Agent,valueonly,separator=%x2c)%x1f%(trailers:key=Msg-Status,valueonly,separator=%x2c)';

export function parseLog(out: string): CommitFact[] {
  const commits: CommitFact[] = [];
  for (const chunk of out.split('\x1e')) {
    if (!chunk.trim()) continue;
    const [sha, ct, author, task, status, agent, msg] = chunk.split('\x1f').map((s) => s.trim());
    const st = status?.split(',')[0]?.trim() ?? '';
    commits.push({
      sha: sha!,
      t: Number(ct) * 1000,
      author: author ?? '',
      task: task ? task.split(',')[0]!.trim() : null,
      status: STATUSES.has(st) ? (st as TaskStatus) : null,
      agent: agent ? agent.split(',')[0]!.trim() : null,
      ...(msg ? { message: true as const } : {}),
    });
  }
  return commits.reverse();
}

/**
 * Pass/total of one commit's runs of one tool, the way `test-oracle history` counts them:
 * the last full run, else every sample pooled. Give it one tool's runs (`passByTool`).
 */
export function passOf(records: RunRecord[]): { pass: number; total: number; t: number } {
  const full = records.filter((r) => r.mode === 'full');
  const runs = full.length ? [full.at(-1)!] : records;
  let pass = 0;
  const tests = latestPerTest(runs);
  for (const o of tests.values()) if (o.result === 'pass') pass++;
  const t = Math.max(...runs.map((r) => Date.parse(r.at)).filter(Number.isFinite), 0);
  return { pass, total: tests.size, t };
}

/** One commit's pass rate per tool, as `test-oracle history` shows one line per commit and tool. */
export function passByTool(records: RunRecord[]): { tool: string; pass: number; total: number; t: number }[] {
  const byTool = new Map<string, RunRecord[]>();
  for (const r of records) byTool.set(toolOf(r), [...(byTool.get(toolOf(r)) ?? []), r]);
  return [...byTool].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([tool, runs]) => ({ tool, ...passOf(runs) }));
}

export interface FactsOptions {
  branch?: string;
  /**
   * 'all': every recorded commit (the report's charts). 'ends': only the record nearest
   * `since` and the newest one (status: two notes read instead of thousands parsed).
   */
  pass?: 'all' | 'ends';
  since?: number | null;
  /** the clock for the overlap window (default: now) */
  now?: number;
}

export async function readGitFacts(upstream: string, env: NodeJS.ProcessEnv, opts: FactsOptions = {}): Promise<GitFacts> {
  const git = new Git(upstream, env);
  const branch = opts.branch ?? 'main';
  const head = await git.revParse(branch);
  if (!head) return { commits: [], claims: [], wipBranches: 0, pass: [] };
  const [log, refs, claims, noted, coordination] = await Promise.all([
    git.must(['log', '--first-parent', `--format=${LOG_FORMAT}`, head, '--']),
    git.run(['for-each-ref', '--format=%(refname)', 'refs/heads/wip/']),
    readClaims(git, head),
    opts.pass === 'ends' ? git.run(['notes', `--ref=${NOTES_REF}`, 'list']) : recordsAlongHistory(upstream, env, head, 10_000_000),
    readCoordination(git, head, opts.now ?? Date.now()),
  ]);
  const commits = parseLog(log);
  const indexOf = new Map(commits.map((c, i) => [c.sha, i]));
  const pass: PassPoint[] = [];
  const add = (sha: string, records: RunRecord[]) => {
    for (const p of passByTool(records)) if (p.total > 0) pass.push({ sha, index: indexOf.get(sha) ?? -1, ...p });
  };
  if (Array.isArray(noted)) {
    for (const n of [...noted].reverse()) add(n.commit, n.records);
  } else {
    // `git notes list`: "<note blob> <commit>" per annotated commit.
    const annotated = new Set(noted.stdout.split('\n').map((l) => l.split(' ')[1]).filter(Boolean));
    const on = commits.filter((c) => annotated.has(c.sha));
    const since = opts.since ?? null;
    const first = (since === null ? undefined : on.filter((c) => c.t <= since).at(-1)) ?? on[0];
    for (const c of new Set([first, on.at(-1)])) if (c) add(c.sha, await readRecords(upstream, env, c.sha));
  }
  return {
    commits,
    claims: claims.map((c) => ({ task: c.task, agent: c.agent, session: c.session, since: (c.claimedAt ?? c.committedAt)?.getTime() ?? null })),
    wipBranches: refs.stdout.split('\n').filter(Boolean).length,
    pass,
    coordination,
  };
}
