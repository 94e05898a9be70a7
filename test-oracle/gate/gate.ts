// `test-oracle gate`: run the selected tests here, and fail when one that passed at the
// baseline fails now. Baseline results come from the notes recorded on the baseline
// commit; failing tests the baseline has no result for are run on a checkout of the
// baseline, so a gate never passes merely because nothing was recorded.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, normalize } from 'node:path';
import { CONFIG_FILE, loadSuite } from '../suite/config.js';
import type { Io } from '../../harness/kit/cli-kit.js';
import { UsageError } from '../../harness/kit/errors.js';
import { formatGateReport } from '../core/gate.js';
import { compareResults, latestPerTest, toolLabel, toolOf, type RecordedOutcome } from '../core/records.js';
import type { TestOutcome } from '../core/types.js';
import { extractTree, git, lsRoot, repoPrefix, resolveCommit, tryRaw } from '../git/git.js';
import { readRecords } from '../git/notes.js';
import { executeTests } from '../run/execute.js';
import { contentKey, gateCache, type GateResult } from './cache.js';
import { rerunEnv, toolWarning, type RunArgs } from '../run/options.js';
import { shq } from '../core/shell.js';
import { executePlan, planRun, recordRun, writeRequestedReports, type Executed, type RunPlan } from '../run/session.js';

export interface GateArgs extends RunArgs {
  baseline?: string;
  baselineRun?: boolean;
}

export async function runGate(a: GateArgs, io: Io): Promise<number> {
  // In the upstream's hook the pushed tree is a throwaway checkout: its suite config and
  // tests (expected outputs included) are replaced by the baseline's, so a push cannot pass
  // the gate by editing the tests that judge it.
  const hookBase = io.env.TEST_ORACLE_HOOK && io.env.TEST_ORACLE_BASELINE && !/^0+$/.test(io.env.TEST_ORACLE_BASELINE) ? io.env.TEST_ORACLE_BASELINE : null;
  if (hookBase && !a.config) await suiteFromBaseline(io.cwd, io.env, hookBase);
  const plan = await planRun(a, io);
  const root = plan.suite.root;
  const commit = io.env.TEST_ORACLE_COMMIT || plan.wt?.head;
  if (!commit) throw new UsageError('NO_COMMIT', 'the gate needs a commit: run it in a clone with at least one commit');
  const baseRev = a.baseline ?? io.env.TEST_ORACLE_BASELINE ?? (await defaultBaseline(root, io.env));
  const base = await resolveCommit(root, io.env, baseRev);
  if (!base) throw new UsageError('BAD_BASELINE', `baseline ${baseRev} does not name a commit; pass --baseline REF`);
  const short = { commit: commit.slice(0, 7), baseline: base.slice(0, 7) };
  io.out(`gate: ${plan.firstLine} at ${short.commit} vs baseline ${short.baseline}${plan.tool ? ` (${toolLabel(plan.tool)})` : ''}`);
  const warning = toolWarning(plan.suite, rerunEnv(plan.suite.command, io.env, plan.suite.env, shq));
  if (warning) io.out(warning);
  if (plan.ordered.length === 0) {
    io.out('gate: ok, no test selected');
    return 0;
  }
  // In the upstream's hook: what this gate itself ran wins over agents' notes, kept per content.
  const cache = io.env.TEST_ORACLE_HOOK && io.env.GIT_DIR ? gateCache(io.env.GIT_DIR) : null;
  const [baseKey, commitKey] = cache ? await Promise.all([keyOf(root, io.env, base), keyOf(root, io.env, commit)]) : [base, commit];
  const x = (cache && reuse(cache.read(commitKey, plan.tool), plan, io)) || (await executePlan(plan, io));
  const failing = x.outcomes.filter((o) => o.result !== 'pass');
  // Only runs of this run's tool: a test failing under one compiler is no regression under another.
  const baseRuns = (await readRecords(root, io.env, base)).filter((r) => toolOf(r) === plan.tool);
  const baseResults: Map<string, Pick<RecordedOutcome, 'result' | 'reason'>> = latestPerTest(baseRuns);
  for (const [id, o] of cache?.read(baseKey, plan.tool) ?? []) baseResults.set(id, o);
  const unknown = failing.map((o) => o.id).filter((id) => !baseResults.has(id));
  if (unknown.length && a.baselineRun !== false) {
    const ran = await runAtBaseline(plan, base, unknown, io);
    for (const o of ran) baseResults.set(o.id, o);
    cache?.write(baseKey, plan.tool, ran);
  }
  cache?.write(commitKey, plan.tool, x.outcomes);
  const cmp = compareResults(baseResults, x.outcomes);
  // A test that passed at the baseline and is gone now, or skipped now, is a regression too.
  const all = new Set(plan.ids);
  for (const [id, b] of baseResults) {
    if (b.result !== 'pass') continue;
    if (!all.has(id)) cmp.regressions.push({ id, now: { result: 'fail', reason: 'missing: the test was deleted or no longer matches the suite' } });
    else if (plan.isSkipped(id)) cmp.regressions.push({ id, now: { result: 'fail', reason: 'skipped now: the suite config skips a test that passed' } });
  }
  cmp.regressions.sort((p, q) => (p.id < q.id ? -1 : 1));
  // In a hook the checkout (and its logs) is gone by the time the pusher reads this.
  const shown = io.env.TEST_ORACLE_HOOK ? x.outcomes.map(({ log: _log, ...o }) => o) : x.outcomes;
  for (const line of formatGateReport(cmp, shown, short)) io.out(line);
  if (!io.env.TEST_ORACLE_HOOK) io.out(await recordRun(plan, x, io, a.record !== false));
  // After recording, which looks at the tree: the tests the gate ran here, and its verdict.
  writeRequestedReports(a, plan, x, io, 'test-oracle gate', {
    gate: { commit, baseline: base, regressions: cmp.regressions.map((r) => r.id) },
  });
  return cmp.regressions.length ? 1 : 0;
}

/** The hook's skip paths (TEST_ORACLE_SKIP_PATHS) decide what the tests cannot see. */
async function keyOf(root: string, env: NodeJS.ProcessEnv, commit: string): Promise<string> {
  const skip = (env.TEST_ORACLE_SKIP_PATHS ?? '').split(/\s+/).filter(Boolean);
  if (skip.length === 0) return commit;
  return contentKey(commit, await lsRoot(root, env, commit), skip);
}

/** Every selected test already judged on this very content (a re-push after a rebase that only moved lock files): no run. */
function reuse(known: Map<string, GateResult>, plan: RunPlan, io: Io): Executed | null {
  if (!plan.ordered.every((id) => known.has(id))) return null;
  io.out(`gate: ${plan.ordered.length} results kept from a gate on the same content (only ${io.env.TEST_ORACLE_SKIP_PATHS} changed)`);
  const outcomes = plan.ordered.map((id) => ({ id, result: known.get(id)!.result, reason: known.get(id)!.reason, ms: 0 }));
  return { outcomes, runDir: plan.stateDir, runDirShown: plan.stateDir, wallMs: 0, failuresFile: '', at: io.now().toISOString() };
}

/**
 * Puts the baseline's test-oracle.json and expected outputs in place of the checkout's. The
 * tests themselves stay as pushed, so one deleted there is seen as missing.
 */
async function suiteFromBaseline(dir: string, env: NodeJS.ProcessEnv, base: string): Promise<void> {
  const g = git(dir, env);
  const cfg = await tryRaw(g, ['cat-file', 'blob', `${base}:${CONFIG_FILE}`]);
  if (cfg === null) return; // no suite at the baseline: the pushed one is all there is
  writeFileSync(join(dir, CONFIG_FILE), cfg);
  const suite = loadSuite(dir, {}, env);
  const rel = normalize(suite.tests).replace(/\/+$/, '');
  if (rel.startsWith('..') || isAbsolute(rel)) return;
  const isExpected = (f: string) => (suite.layout === 'dir' ? f.split('/').pop() === suite.expected : f.endsWith(suite.expected));
  const pathspec = ['--', rel === '.' ? '.' : rel];
  // The checkout is of the pushed commit: only the expected outputs it added, changed or
  // deleted can differ from the baseline's, and one it added has none there to restore.
  const commit = env.TEST_ORACLE_COMMIT;
  const ls = commit
    ? await tryRaw(g, ['diff', '--name-status', '-z', '--no-renames', base, commit, ...pathspec])
    : await tryRaw(g, ['ls-tree', '-r', '-z', '--name-only', base, ...pathspec]);
  const fields = (ls ?? '').split('\0');
  const atBase = commit ? fields.flatMap((f, i) => (i % 2 === 1 && fields[i - 1] !== 'A' ? [f] : [])) : fields;
  const expected = atBase.filter((f) => f && isExpected(f));
  if (expected.length === 0) return;
  await extractTree(dir, env, base, dir, expected).catch((e: Error) => {
    throw new Error(`could not restore the baseline's expected outputs: ${e.message}`);
  });
}

async function defaultBaseline(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  return (await resolveCommit(dir, env, '@{upstream}')) ? '@{upstream}' : 'HEAD~1';
}

/** Runs `ids` on a fresh checkout of `base`; tests that did not exist there are left out. */
async function runAtBaseline(p: RunPlan, base: string, ids: string[], io: Io): Promise<TestOutcome[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'test-oracle-baseline-'));
  try {
    const tree = join(tmp, 'tree');
    mkdirSync(tree);
    await extractTree(p.suite.root, io.env, base, tree);
    const prefix = io.env.TEST_ORACLE_HOOK ? '' : await repoPrefix(p.suite.root, io.env);
    const root = join(tree, prefix);
    const present = ids.filter((id) => existsSync(join(root, id)));
    if (!present.length) return [];
    const runDir = join(tmp, 'run');
    mkdirSync(runDir);
    return await executeTests({
      suite: { ...p.suite, root },
      ids: present,
      jobs: p.jobs,
      timeoutSec: p.timeoutSec,
      runDir,
      runDirShown: runDir,
      env: io.env,
      onNote: io.out,
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
