// `test-oracle bisect`: read the units, compile each with both compilers (cached), run the
// baselines and the search (or one random-fraction probe), print and save the results.
// Exit codes: 0 search complete (culprits, if any, are printed); 1 a baseline is wrong, the
// search hit NONMONOTONE, or a --fraction probe failed; 2 bad input (nothing written);
// 4 a compiler is missing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../../harness/kit/cli-kit.js';
import { CheckFailedError, UsageError } from '../../harness/kit/errors.js';
import { bitsOf, bitsToList } from './bits.js';
import { identifyCompiler, ObjectCache, type Compiler } from './cache.js';
import { pool } from './proc.js';
import { runProbe, writeRepro, type ProbeContext, type ProbeRun } from './probe.js';
import { anomalyLine, findingKind, findingLine, findingNames, roundLine } from './report.js';
import { drive } from './schedule.js';
import { answers, initSearch, type Answer } from './search.js';
import { loadUnits, shellQuote, type Unit } from './units.js';

export interface BisectOptions {
  units: string;
  candidate: string;
  reference: string;
  link: string;
  test: string;
  jobs: number;
  timeout?: number;
  repeat: number;
  fraction?: number;
  seed?: number;
  narrow?: boolean;
  json?: string;
  /** the folder; yargs reads `--no-cache` as `cache: false`, so both arrive here (see cacheChoice) */
  cache?: string | false | (string | false)[];
  trustMonotone?: boolean;
}

function validate(o: BisectOptions): void {
  const bad = (m: string) => new UsageError('BAD_ARGS', m);
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw bad(`-j must be a whole number >= 1 (got ${o.jobs})`);
  if (!Number.isInteger(o.repeat) || o.repeat < 1) throw bad(`--repeat must be a whole number >= 1 (got ${o.repeat})`);
  if (o.timeout !== undefined && !(o.timeout > 0)) throw bad(`--timeout must be seconds > 0 (got ${o.timeout})`);
  if (o.fraction !== undefined && !(o.fraction > 0 && o.fraction <= 1)) throw bad(`--fraction must be in (0, 1] (got ${o.fraction})`);
  if ((o.fraction === undefined) !== (o.seed === undefined)) throw bad('--fraction and --seed go together');
  if (o.narrow && o.fraction === undefined) throw bad('--narrow needs --fraction F --seed S');
  if (!o.link.trim() || !o.test.trim()) throw bad('--link and --test must be non-empty commands');
}

/** Stable per-unit sampling: a unit is in the fraction when hash(seed, name) < F. */
export function inFraction(seed: number, name: string, fraction: number): boolean {
  const h = createHash('sha256').update(`${seed}:${name}`).digest().readUInt32BE(0);
  return h / 2 ** 32 < fraction;
}

/** `--cache DIR` at most once; `--no-cache` (alone or with it) means compile afresh. */
function cacheChoice(o: BisectOptions): { dir?: string; fresh: boolean } {
  const given = ([] as (string | false)[]).concat(o.cache ?? []);
  const dirs = given.filter((x): x is string => typeof x === 'string');
  if (dirs.length > 1) throw new UsageError('REPEATED_FLAG', `--cache was given ${dirs.length} times (${dirs.join(', ')}); give it once`);
  return { dir: dirs[0], fresh: given.includes(false) };
}

function defaultCache(io: Io): string {
  if (io.env.TEST_ORACLE_BISECT_CACHE) return io.env.TEST_ORACLE_BISECT_CACHE;
  const base = io.env.XDG_CACHE_HOME || path.join(io.env.HOME || os.tmpdir(), '.cache');
  return path.join(base, 'test-oracle', 'bisect');
}

function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, file);
}

/** Reconstructs the exact bisect command line, for "narrow it down" hand-offs. */
function commandLine(o: BisectOptions, extra: string[]): string {
  const q = shellQuote;
  const parts = ['test-oracle bisect', '--units', q(o.units), '--candidate', q(o.candidate), '--reference', q(o.reference)];
  parts.push('--link', q(o.link), '--test', q(o.test), '-j', String(o.jobs));
  if (o.timeout) parts.push('--timeout', String(o.timeout));
  if (o.repeat > 1) parts.push('--repeat', String(o.repeat));
  // The hand-off must find the objects this run made. Not --no-cache: this run has just
  // refreshed every object it used, so the next one may trust them.
  const dir = cacheChoice(o).dir;
  if (dir !== undefined) parts.push('--cache', q(dir));
  if (o.trustMonotone) parts.push('--trust-monotone');
  return [...parts, ...extra].join(' ');
}

export async function bisect(o: BisectOptions, io: Io): Promise<number> {
  validate(o);
  const unitsFile = path.resolve(io.cwd, o.units);
  const units = loadUnits(unitsFile);
  if (o.json && !isWritableDir(path.dirname(path.resolve(io.cwd, o.json))))
    throw new UsageError('BAD_ARGS', `--json ${o.json}: its folder does not exist`);
  const cand = await identifyCompiler(o.candidate, 'candidate', io.env, io.cwd);
  const ref = await identifyCompiler(o.reference, 'reference', io.env, io.cwd);
  const choice = cacheChoice(o);
  const cache = new ObjectCache(path.resolve(io.cwd, choice.dir ?? defaultCache(io)), choice.fresh);
  for (const u of units) cache.key(ref, u); // unreadable sources fail here, before any work
  const stamp = io.now().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const runDir = path.join(cache.dir, 'runs', `${stamp}-${process.pid}-${randomBytes(2).toString('hex')}`);
  const logDir = path.join(runDir, 'compile');
  mkdirSync(logDir, { recursive: true });
  const timeoutMs = o.timeout ? o.timeout * 1000 : undefined;

  io.out(`bisect: ${units.length} units; candidate ${cand.spec} (${cand.version}); reference ${ref.spec} (${ref.version}); -j ${o.jobs}`);
  for (const c of [cand, ref]) {
    // Say what the cache key sees of a wrapper, so a stale object is never a mystery.
    if (c.script) io.out(`${c.role} ${c.spec} is a script; cached objects are keyed on it and on ${c.covers.map((f) => path.relative(io.cwd, f) || f).join(', ') || 'nothing else'} (a file it reads without naming it is not seen: --no-cache)`);
  }
  const compiled = await compileAll(units, [ref, cand], cache, io, logDir, o.jobs);
  const reference = compiled.map((c) => c[0]);
  const firstBad = reference.findIndex((r) => r.object === null);
  if (firstBad >= 0) {
    const r = reference[firstBad]!;
    throw new UsageError('REFERENCE_COMPILE_FAILS', `the reference compiler fails on ${units[firstBad]!.name} (${r.why}; log: ${r.log})`);
  }
  const candidate = compiled.map((c) => c[1].object);
  const builds = compiled.length * 2;
  const fresh = compiled.reduce((n, c) => n + (c[0].cached ? 0 : 1) + (c[1].cached || !c[1].object ? 0 : 1), 0);
  io.out(`builds: ${builds} objects, ${fresh} compiled, ${builds - fresh - compiled.filter((c) => !c[1].object).length} from cache (${cache.dir})`);
  compiled.forEach((c, i) => {
    if (!c[1].object) io.out(`COMPILE-FAIL ${units[i]!.name}: the candidate cannot compile it (${c[1].why}; log: ${c[1].log}); kept on the reference`);
  });

  const ctx: ProbeContext = {
    units, reference: reference.map((r) => r.object!), candidate, link: o.link, test: o.test,
    repeat: o.repeat, timeoutMs, env: io.env, runDir,
  };
  let universe = units.filter((u) => candidate[u.index]).map((u) => u.index);
  if (o.fraction !== undefined) {
    universe = universe.filter((i) => inFraction(o.seed!, units[i]!.name, o.fraction!));
    if (!o.narrow) return fractionProbe(o, io, ctx, universe);
    io.out(`narrowing: ${universe.length} units of fraction ${o.fraction}, seed ${o.seed}`);
  }
  if (universe.length === 0) throw new UsageError('NO_UNITS', 'no unit left to bisect (the candidate compiles none, or the fraction is empty)');

  const runs = new Map<number, ProbeRun>();
  const roundOf = new Map<number, number>();
  const runBits = new Map<number, Uint32Array>();
  const res = await drive(
    initSearch(units.length, universe, { minimality: o.trustMonotone ? 'log' : 'probe' }),
    o.jobs,
    (batch) => pool(batch, o.jobs, async (b) => {
      const r = await runProbe(ctx, b.id, b.query.bits);
      runs.set(b.id, r);
      runBits.set(b.id, b.query.bits);
      return r.outcome;
    }),
    (r) => {
      r.probes.forEach((p) => roundOf.set(p.id, r.round));
      io.out(roundLine(r, runs, r.state.findings.length));
    },
  );
  const s = res.state;
  const log = answers(s);
  const byId = new Map<number, Answer>(log.map((a) => [a.id, a]));
  const results = s.findings.map((f, i) => {
    const names = findingNames(f, units);
    const reproduce = writeRepro(ctx, `repro-${i + 1}`, bitsOf(units.length, f.units), `${findingKind(f)} ${names.join(' + ')}: expect the test to FAIL`);
    return { f, names, reproduce };
  });
  for (const { f, reproduce } of results) {
    io.out(findingLine(f, units, byId, runs));
    io.out(`  reproduce: ${reproduce}`);
  }
  const proofs = new Set(s.findings.map((f) => f.proof));
  for (const a of s.anomalies) if (a.kind !== 'FLAKY' || !proofs.has(a.probe)) io.out(anomalyLine(a, units, runs));
  const testRuns = [...runs.values()].reduce((n, r) => n + r.outcomes.length, 0);
  const summary =
    `probes: ${res.probes} (2 baselines + ${res.probes - 2}), rounds: ${res.rounds}, ` +
    `builds: ${builds} (${fresh} compiled), test runs: ${testRuns}; logs: ${runDir}`;
  if (o.json) {
    writeJsonAtomic(path.resolve(io.cwd, o.json), {
      mode: o.narrow ? 'narrow' : 'bisect',
      units: units.length,
      searched: universe.length,
      candidate: { spec: cand.spec, version: cand.version },
      reference: { spec: ref.spec, version: ref.version },
      result: s.stop ? s.stop.code : 'COMPLETE',
      findings: results.map(({ f, names, reproduce }) => ({
        kind: findingKind(f), units: names, proof: f.proof,
        minimal: f.minimal.map((m) => ({ dropped: units[m.dropped]!.name, probe: m.probe })), reproduce,
      })),
      anomalies: s.anomalies.map((a) => (a.kind === 'FLAKY' ? a : { ...a, extra: a.extra.map((i) => units[i]!.name) })),
      probes: [...runs.values()].sort((a, b) => a.id - b.id).map((r) => ({
        id: r.id, round: roundOf.get(r.id), purpose: byId.get(r.id)?.purpose ?? 'speculative',
        candidateUnits: runBits.has(r.id) ? bitsToList(runBits.get(r.id)!).length : undefined,
        outcome: r.outcome, outcomes: r.outcomes, reasons: r.reasons, dir: r.dir,
      })),
      stats: { probes: res.probes, rounds: res.rounds, builds, compiled: fresh, testRuns, runDir },
    });
  }
  if (s.stop && s.stop.code.startsWith('BASELINE')) {
    const first = runs.get(1);
    const which = s.stop.code === 'BASELINE_CANDIDATE_PASSES' ? runs.get(2) : first;
    throw new CheckFailedError(s.stop.code, `${s.stop.message} (${which?.reasons[0] ?? 'test passed'}; log: ${which?.dir})`);
  }
  if (s.stop) {
    io.out(`STOPPED: ${s.stop.message}; the results above are sound, the search did not go on`);
    io.out(summary);
    return 1;
  }
  io.out(s.findings.length === 0 ? 'no culprit found' : `rest PASSES with every culprit back on the reference`);
  io.out(summary);
  return 0;
}

function isWritableDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

type Compiled = { object: string | null; cached: boolean; why?: string; log?: string };

async function compileAll(units: readonly Unit[], compilers: Compiler[], cache: ObjectCache, io: Io, logDir: string, jobs: number): Promise<Compiled[][]> {
  const work = units.flatMap((u) => compilers.map((c) => ({ u, c })));
  const done = await pool(work, jobs, async ({ u, c }): Promise<Compiled> => {
    const r = await cache.get(c, u, io.env, logDir);
    return r.ok ? { object: r.object, cached: r.cached } : { object: null, cached: false, why: r.why, log: r.log };
  });
  return units.map((_, i) => compilers.map((_, k) => done[i * compilers.length + k]!));
}

async function fractionProbe(o: BisectOptions, io: Io, ctx: ProbeContext, universe: number[]): Promise<number> {
  const r = await runProbe(ctx, 1, bitsOf(ctx.units.length, universe));
  const names = universe.map((i) => ctx.units[i]!.name);
  io.out(`fraction ${o.fraction} seed ${o.seed}: ${universe.length} of ${ctx.units.length} units by candidate -> ${r.outcome.toUpperCase()}${r.reasons[0] ? ` (${r.reasons[0]})` : ''} (runs: ${r.outcomes.join(', ')}; log: ${r.dir})`);
  const task = `bisect-f${String(o.fraction).replace(/^0\./, '')}-s${o.seed}`;
  const narrow = commandLine(o, ['--fraction', String(o.fraction), '--seed', String(o.seed), '--narrow']);
  if (r.outcome !== 'pass') {
    io.out(`TASK ${task}: a culprit is among these ${universe.length} units; claim current_tasks/${task}.txt and run:`);
    io.out(`  ${narrow}`);
  } else io.out('no culprit among these units alone (interacting sets may still span them); try another --seed');
  if (o.json)
    writeJsonAtomic(path.resolve(io.cwd, o.json), {
      mode: 'fraction', fraction: o.fraction, seed: o.seed, outcome: r.outcome, outcomes: r.outcomes,
      reasons: r.reasons, units: names, log: r.dir, task: r.outcome !== 'pass' ? { name: task, command: narrow } : null,
    });
  return r.outcome === 'pass' ? 0 : 1;
}
