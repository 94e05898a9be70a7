import { defineCommand, type Io, type Register } from '../../harness/kit/cli-kit.js';
import { compareResults, toolLabel } from '../core/records.js';
import { shq } from '../core/shell.js';
import { basisOf, formatReport, rerunCommand, type Trend } from '../core/summary.js';
import { rerunEnv, RUN_OPTIONS, suiteArgs, SUITE_HELP, toolWarning, type RunArgs } from '../run/options.js';
import { executePlan, planRun, recordRun, strayFilesLine, treeAfter, writeRequestedReports } from '../run/session.js';

export function runCommand(io: Io, setResult: Register) {
  return defineCommand<RunArgs>(io, setResult, {
    describe: 'run the suite (or a --fast sample of it) in parallel; terse report, full logs in files',
    args: {
      command: 'run',
      options: RUN_OPTIONS,
      examples: [
        ['$0 run --fast', 'a 10% sample chosen by $HARNESS_AGENT'],
        ['$0 run --failed', 'rerun only what did not pass last time'],
      ],
      epilogue: `${SUITE_HELP}\n\nExit: 0 all selected passed, 1 some did not, 2 bad usage or config.`,
    },
    run: async (a, io) => runRun(a, io),
  });
}

export async function runRun(a: RunArgs, io: Io): Promise<number> {
  const prog = io.env.TEST_ORACLE_PROG || 'test-oracle';
  const plan = await planRun(a, io);
  io.out(plan.firstLine);
  const env = rerunEnv(plan.suite.command, io.env, plan.suite.env, shq);
  const warning = toolWarning(plan.suite, env);
  if (warning) io.out(warning);
  if (plan.ordered.length === 0) {
    io.out(plan.failedOnly ? 'nothing failed last time; nothing to rerun' : 'no test selected; widen --fast or --filter');
    return 0;
  }
  const x = await executePlan(plan, io);
  const after = await treeAfter(plan, io);
  const stray = strayFilesLine(plan, after);
  const footer = [...(stray ? [stray] : []), await recordRun(plan, x, io, a.record !== false, after)];
  const w = plan.compareWith;
  const trend: Trend | null = w
    ? { against: w.commit.slice(0, 7), distance: w.distance, basis: basisOf(w.runs, plan.tool), cmp: compareResults(w.tests, x.outcomes) }
    : null;
  writeRequestedReports(a, plan, x, io, 'test-oracle');
  const base = { prog, env, suiteArgs: suiteArgs(a, shq, plan.suite.tool) };
  const same = rerunCommand({ ...base, fastPct: plan.fastPct, seed: plan.seed, filter: plan.filter, failed: plan.failedOnly }, shq);
  const full = rerunCommand(base, shq);
  for (const line of formatReport({
    outcomes: x.outcomes,
    wallMs: x.wallMs,
    trend,
    trendNone: plan.tool ? `result of ${toolLabel(plan.tool)}` : 'result',
    maxErrors: Math.max(0, a.show ?? 30),
    failuresFile: x.failuresFile,
    rerunSame: same === full ? undefined : same,
    rerunFull: full,
    footer,
  })) {
    io.out(line);
  }
  return x.outcomes.every((o) => o.result === 'pass') ? 0 : 1;
}
