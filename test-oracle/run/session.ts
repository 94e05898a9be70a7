// One run from options to outcomes: load the suite, select and order, run, remember.
// Shared by `run` and `gate`; each formats its own report.
import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Io } from '../../harness/kit/cli-kit.js';
import { CheckFailedError, UsageError } from '../../harness/kit/errors.js';
import { countResults, latestPerTest, toolOf, toRecordedTests, type LatestResults, type RunRecord } from '../core/records.js';
import { describeSelection, orderTests, selectTests, type Selection } from '../core/select.js';
import { errorLine, progressLine, rankFailures } from '../core/summary.js';
import { compileGlob, matchesAny } from '../core/glob.js';
import type { TestOutcome } from '../core/types.js';
import { killAllRunning } from '../exec/spawner.js';
import { workTreeInfo, workTreeStatus, type WorkTreeInfo, type WorkTreeStatus } from '../git/git.js';
import { appendRecord, readLatestResults } from '../git/notes.js';
import { loadSuite, skipGlobs, type SuiteConfig } from '../suite/config.js';
import { discoverTests } from '../suite/discover.js';
import { executeTests } from './execute.js';
import { writeJson, writeJunit } from './reports.js';
import { parseFast, parseFilter, parseJobs, type RunArgs } from './options.js';
import { readState, stateDir, writeState, type LocalState } from './state.js';

export interface RunPlan {
  suite: SuiteConfig;
  /** every test the suite has, skipped ones included */
  ids: string[];
  /** the suite's skip list (for its tool) names this test */
  isSkipped: (id: string) => boolean;
  selection: Selection;
  ordered: string[];
  fastPct?: number;
  seed: string;
  filter?: string;
  failedOnly: boolean;
  jobs: number;
  timeoutSec: number;
  stateDir: string;
  state: LocalState;
  /** null outside a git work tree */
  wt: WorkTreeInfo | null;
  /** the newest results of this run's tool recorded on this branch before this run */
  latest: LatestResults | null;
  /** what this run is compared with: for a full run the newest full run of its tool */
  compareWith: LatestResults | null;
  /** this run's kind: its tool, '' for none */
  tool: string;
  firstLine: string;
}

export async function planRun(a: RunArgs, io: Io): Promise<RunPlan> {
  const fastPct = parseFast(a.fast);
  const jobs = parseJobs(a.jobs);
  const filterRe = parseFilter(a.filter);
  if (a.timeout !== undefined && !(a.timeout > 0)) throw new UsageError('BAD_TIMEOUT', `--timeout takes seconds > 0 (got ${a.timeout})`);
  const suite = loadSuite(io.cwd, { ...a }, io.env);
  const seed = a.seed ?? io.env.HARNESS_AGENT ?? 'default';
  const ids = discoverTests(suite);
  if (ids.length === 0) {
    throw new UsageError(
      'NO_TESTS',
      `no tests found under ${join(suite.root, suite.tests)} matching ${suite.match.join(' ')} (layout ${suite.layout}); check "tests", "match" and "layout"`,
    );
  }
  const dir = stateDir(suite.root, suite.logDir);
  const state = readState(dir);
  const wt = await workTreeInfo(suite.root, io.env);
  const tool = toolOf(suite);
  const sameTool = (r: RunRecord) => toolOf(r) === tool;
  const latest = wt?.head ? await readLatestResults(suite.root, 'HEAD', { env: io.env, where: sameTool }) : null;

  const lastResults = state.last[tool]?.results ?? (latest ? Object.fromEntries([...latest.tests].map(([id, o]) => [id, o.result])) : undefined);
  const failedBefore = new Set(Object.entries(lastResults ?? {}).filter(([, r]) => r !== 'pass').map(([id]) => id));
  if (a.failed && !lastResults) {
    throw new UsageError('NOTHING_FAILED_YET', "--failed needs an earlier run here or recorded on this branch; run 'test-oracle run' first");
  }
  const skips = skipGlobs(suite).map(compileGlob);
  const selection = selectTests(ids, {
    fastPct,
    seed,
    filter: filterRe,
    only: a.failed ? failedBefore : undefined,
    skip: skips.length ? (id) => matchesAny(id, skips) : undefined,
  });
  const timings = new Map<string, number>();
  if (latest) for (const [id, o] of latest.tests) timings.set(id, o.ms);
  for (const [id, ms] of Object.entries(state.timings)) timings.set(id, ms);
  const ordered = orderTests(selection.selected, { failedBefore, timings });
  const firstLine = describeSelection(selection, { fastPct, seed, filter: a.filter, failedOnly: a.failed, tool: suite.tool });
  // A full run against a sample would say little about the rest: compare like with like.
  let compareWith = latest;
  if (selection.mode === 'full' && wt?.head) {
    const full = await readLatestResults(suite.root, 'HEAD', { env: io.env, where: (r) => sameTool(r) && r.mode === 'full' });
    if (full) compareWith = { ...full, runs: [full.runs.at(-1)!], tests: latestPerTest([full.runs.at(-1)!]) };
  }
  return {
    suite, ids, isSkipped: (id) => skips.length > 0 && matchesAny(id, skips), selection, ordered, fastPct, seed, filter: a.filter, failedOnly: !!a.failed, jobs,
    timeoutSec: a.timeout ?? suite.timeoutSec, stateDir: dir, state, wt, latest, compareWith, tool, firstLine,
  };
}

export interface Executed {
  outcomes: TestOutcome[];
  runDir: string;
  runDirShown: string;
  wallMs: number;
  failuresFile: string;
  at: string;
}

/** Progress lines come rarely and further apart: agents cannot tell time, and drown in lines. */
const PROGRESS_AT_S = [15, 45, 105, 225];
const PROGRESS_EVERY_S = 240;

export async function executePlan(p: RunPlan, io: Io): Promise<Executed> {
  const started = io.now();
  // Logs keep one path per test and are overwritten run after run: creating thousands of
  // new files per run costs more than running trivial tests on some disks.
  const runDir = p.stateDir;
  const shown = relative(io.cwd, runDir) || '.';
  let done = 0;
  let failing = 0;
  let stop = false;
  const t0 = performance.now();
  let nextIdx = 0;
  const nextAt = () => (PROGRESS_AT_S[nextIdx] ?? PROGRESS_AT_S.at(-1)! + PROGRESS_EVERY_S * (nextIdx - PROGRESS_AT_S.length + 1)) * 1000;
  const timer = setInterval(() => {
    const el = performance.now() - t0;
    if (el < nextAt()) return;
    nextIdx++;
    io.out(progressLine(done, p.ordered.length, failing, el));
  }, 1000);
  timer.unref();
  const onSignal = () => {
    stop = true;
    killAllRunning();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let outcomes: TestOutcome[];
  try {
    outcomes = await executeTests({
      suite: p.suite,
      ids: p.ordered,
      jobs: p.jobs,
      timeoutSec: p.timeoutSec,
      runDir,
      runDirShown: shown,
      env: io.env,
      onDone: (o, n) => {
        done = n;
        if (o.result !== 'pass') failing++;
      },
      onNote: io.out,
    });
  } catch (e) {
    if (stop || (e as { code?: string }).code === 'INTERRUPTED') {
      throw new CheckFailedError('INTERRUPTED', `interrupted after ${done}/${p.ordered.length} tests; logs in ${shown}`);
    }
    throw e;
  } finally {
    clearInterval(timer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const wallMs = performance.now() - t0;
  const failuresFile = join(runDir, 'failures.txt');
  const ranked = rankFailures(outcomes);
  writeFileSync(failuresFile, ranked.map(errorLine).join('\n') + (ranked.length ? '\n' : ''));
  writeState(p.stateDir, p.state, outcomes, started.toISOString(), p.tool);
  if (stop) throw new CheckFailedError('INTERRUPTED', `interrupted after ${done}/${p.ordered.length} tests; logs in ${shown}`);
  return { outcomes, runDir, runDirShown: shown, wallMs, failuresFile: join(shown, 'failures.txt'), at: started.toISOString() };
}

/** The work tree after the tests ran (one `git status`), for `strayFilesLine` and `recordRun`. */
export async function treeAfter(p: RunPlan, io: Io): Promise<WorkTreeStatus | null> {
  return p.wt ? workTreeStatus(p.suite.root, io.env) : null;
}

/** A warning when tests left files in the work tree: they end up in the next `git add -A`. */
export function strayFilesLine(p: RunPlan, after: WorkTreeStatus | null): string | null {
  if (!p.wt || !after || p.suite.cwd === 'tmp') return null;
  const before = new Set(p.wt.untracked);
  const added = after.untracked.filter((f) => !before.has(f));
  if (!added.length) return null;
  return `WARNING the tests left new files in the work tree: ${listSome(added)}; set "cwd": "tmp" in the suite config to run each test in its own scratch folder`;
}

function listSome(files: readonly string[], max = 5): string {
  return files.slice(0, max).join(', ') + (files.length > max ? ` … and ${files.length - max} more` : '');
}

/**
 * The --json and --junit files the user asked for, of this run's tests (`extra`: more
 * top-level JSON fields, e.g. the gate's verdict). Shared by `run` and `gate`.
 */
export function writeRequestedReports(a: Pick<RunArgs, 'json' | 'junit'>, p: RunPlan, x: Executed, io: Io, suiteName: string, extra: Record<string, unknown> = {}): void {
  const facts = {
    commit: p.wt?.head ?? null, seed: p.seed, pct: p.fastPct ?? 100, mode: p.selection.mode, tool: p.suite.tool,
    total: p.selection.total, wallMs: x.wallMs,
  };
  const skipped = p.selection.skippedHere;
  if (a.json) writeJson(resolve(io.cwd, a.json), facts, x.outcomes, skipped, extra);
  if (a.junit) writeJunit(resolve(io.cwd, a.junit), suiteName, x.outcomes, x.wallMs, skipped);
}

/** Records the run as a git note on HEAD when the results describe that commit. Returns a line saying what happened. */
export async function recordRun(p: RunPlan, x: Executed, io: Io, enabled: boolean, after?: WorkTreeStatus | null): Promise<string> {
  if (!enabled) return 'not recorded (--no-record)';
  if (!p.wt) return 'not recorded: not in a git work tree';
  if (!p.wt.head) return 'not recorded: HEAD has no commit yet';
  if (!p.wt.clean) return 'not recorded: tracked files have uncommitted changes (commit, then run again to record)';
  const now = after === undefined ? await workTreeStatus(p.suite.root, io.env) : after;
  if (now && !now.clean) {
    return `not recorded: the tests changed tracked files (${listSome(now.changed)}); set "cwd": "tmp" in the suite config so each test runs in its own scratch folder`;
  }
  const r: RunRecord = {
    at: x.at,
    v: 1,
    commit: p.wt.head,
    agent: io.env.HARNESS_AGENT,
    host: io.hostname(),
    seed: p.seed,
    pct: p.fastPct ?? 100,
    mode: p.selection.mode,
    filter: p.filter,
    tool: p.suite.tool,
    total: p.selection.total,
    selected: x.outcomes.length,
    counts: countResults(x.outcomes),
    tests: toRecordedTests(x.outcomes),
  };
  await appendRecord(p.suite.root, io.env, p.wt.head, r, p.wt.commonDir);
  return `recorded on ${p.wt.head.slice(0, 7)} in refs/notes/test-oracle (share: test-oracle notes-sync)`;
}
