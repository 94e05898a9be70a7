// `npm run bench -- endurance [--agents 16] [--sessions 2000] [--seed S] [--scale F]`:
// a simulated week. The sim agent (a declared simulator) works a generated project of
// hundreds of tasks (demo/endurance/) through the real harness, with faults drawn from the
// seed: sessions that crash mid-task, push regressions, hang past the session timeout or
// hit a rate limit; the supervisor SIGKILLed three times and SIGTERMed once, restarted each
// time; the upstream moved away twice. At the end it checks that nothing was lost and
// nothing was left behind, prints the figures, and exits 1 unless every check holds.
// --scale multiplies every fault duration (scale 1, the full run: 120 s outages, a 180 s
// session timeout, a 60 s rate-limit reset, 10 s grace, 2 s restart delay).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyse, HELD_LIMIT_MS, type Figures } from './endurance/analyse.js';
import type { Check } from './endurance/checks.js';
import { drive } from './endurance/drive.js';
import { FULL, makePlan } from './endurance/plan.js';
import { percentile } from './_stats.js';

export interface EnduranceArgs {
  agents: number;
  sessions: number;
  seed: string;
  scale: number;
  tasks: number;
  tables: number;
  thinkMs: number;
  gatePct: number | null;
  maxMinutes: number;
  dir: string | null;
  keep: boolean;
}

const USAGE = 'usage: npm run bench -- endurance [--agents 16] [--sessions 2000] [--seed S] [--scale 1] [--tasks N] [--tables N] [--think MS] [--gate-pct 100 | --no-gate] [--max-minutes M] [--dir DIR] [--keep]';

export function parseArgs(args: string[]): EnduranceArgs {
  const get = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const known = ['--agents', '--sessions', '--seed', '--scale', '--tasks', '--tables', '--think', '--gate-pct', '--max-minutes', '--dir'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (known.includes(a)) i++;
    else if (a !== '--no-gate' && a !== '--keep') throw new Error(`unknown argument "${a}"; ${USAGE}`);
  }
  const num = (flag: string, dflt: number, min: number, max: number, int = true): number => {
    const v = get(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) throw new Error(`${flag}: expected ${int ? 'a whole number' : 'a number'} from ${min} to ${max} (got "${v}")`);
    return n;
  };
  const sessions = num('--sessions', 2000, 20, 100_000);
  const tasks = num('--tasks', Math.round(sessions * 0.75), 1, 9999);
  const seed = get('--seed') ?? '1';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(seed)) throw new Error(`--seed: letters, digits, dots, dashes or underscores (got "${seed}")`);
  return {
    agents: num('--agents', 16, 1, 256),
    sessions, seed, tasks,
    scale: num('--scale', 1, 0.01, 10, false),
    tables: num('--tables', Math.max(4, Math.round(tasks / 40)), 1, 100),
    thinkMs: num('--think', 300, 0, 600_000),
    gatePct: args.includes('--no-gate') ? null : num('--gate-pct', 100, 1, 100),
    maxMinutes: num('--max-minutes', 240, 1, 100_000),
    dir: get('--dir') ?? null,
    keep: args.includes('--keep') || get('--dir') !== undefined,
  };
}

export interface EnduranceResult {
  checks: Check[];
  figures: Figures;
  ok: boolean;
}

export async function endurance(a: EnduranceArgs, say: (l: string) => void, interrupted?: () => boolean): Promise<EnduranceResult> {
  const plan = makePlan({ seed: a.seed, agents: a.agents, sessions: a.sessions, scale: a.scale });
  const root = a.dir ? path.resolve(a.dir) : mkdtempSync(path.join(os.tmpdir(), 'bench-endurance-'));
  const d = plan.durations;
  say(`endurance: ${a.agents} sim agents (a declared simulator), ${a.sessions} sessions planned, ${a.tasks} tasks over ${a.tables} tables, seed ${a.seed}, scale ${a.scale}, gate ${a.gatePct === null ? 'off' : `${a.gatePct}% of tests`}; in ${root}`);
  say(`  planned: ${plan.counts.crash} crashes, ${plan.counts.regress} regressions, ${plan.counts.hang} hangs, ${plan.counts.ratelimit} rate limit (reset in ${d.rateLimitResetMs / 1000} s); ${plan.events.map((e) => `${e.kind}@${e.atSession}`).join(', ')}`);
  say(`  durations: outage ${d.outageMs / 1000} s, session timeout ${d.sessionTimeoutMs / 1000} s, grace ${d.graceMs / 1000} s, restart delay ${d.restartDelayMs / 1000} s (full run: ${FULL.outageMs / 1000}/${FULL.sessionTimeoutMs / 1000}/${FULL.graceMs / 1000}/${FULL.restartDelayMs / 1000} s)`);
  try {
    const run = await drive({ root, agents: a.agents, sessions: a.sessions, tasks: a.tasks, tables: a.tables, seed: a.seed, thinkMs: a.thinkMs, gatePct: a.gatePct, plan, maxMs: a.maxMinutes * 60_000, say, interrupted });
    const { checks, figures } = await analyse(run, { gate: a.gatePct !== null, say });
    return { checks, figures, ok: checks.every((c) => c.ok) };
  } finally {
    if (!a.keep) rmSync(root, { recursive: true, force: true });
    else say(`  kept: ${root} (supervisor.log, commits.jsonl, faults.json, .swarm/)`);
  }
}

export function figureLines(f: Figures): string[] {
  const MiB = 1024 * 1024;
  const o = f.observed;
  return [
    `wall time ${(f.wallMs / 60_000).toFixed(1)} min; ${f.sessions} sessions (${f.sessionsPerMin.toFixed(1)}/min); ${f.commitsOnMain} commits on main (${f.commitsPerMin.toFixed(1)}/min); ${f.supervisorRuns} supervisor processes`,
    `pace by quarter of the run (sessions started per minute, outage minutes left out): ${f.pace.map((p) => (p === null ? '-' : p.toFixed(1))).join(', ')}`,
    `supervisor peak RSS ${(f.peakRssBytes / MiB).toFixed(1)} MiB; swarm folder ${(f.swarmBytes / MiB).toFixed(1)} MiB; ${f.wipRefs} wip/ refs`,
    `sessions by what their logs say: ${Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `claims that outlived their session: ${f.held.spans}; held after the end: p50 ${(percentile(f.held.held, 50) / 1000 || 0).toFixed(1)} s, p99 ${(percentile(f.held.held, 99) / 1000 || 0).toFixed(1)} s, max ${((f.held.held.length ? Math.max(...f.held.held) : 0) / 1000).toFixed(1)} s (limit ${HELD_LIMIT_MS / 1000} s, outages excluded)`,
  ];
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let a: EnduranceArgs;
  try {
    a = parseArgs(args);
  } catch (e) {
    process.stderr.write(`bench endurance: ${(e as Error).message}\n`);
    return 2;
  }
  const say = (l: string) => process.stdout.write(l + '\n');
  let stop = false;
  const onInt = () => {
    if (stop) process.exit(130);
    stop = true;
    say('  stopping: the supervisor gets its grace period, the upstream is put back, then the checks run on what there is (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onInt);
  const r = await endurance(a, say, () => stop).finally(() => process.off('SIGINT', onInt));
  for (const l of figureLines(r.figures)) say(l);
  for (const c of r.checks) say(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  say(r.ok ? 'endurance: every check holds' : `endurance: ${r.checks.filter((c) => !c.ok).length} check(s) failed`);
  return r.ok ? 0 : 1;
}
