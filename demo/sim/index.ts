// The sim agent: a declared simulator of a coding agent, for tests and the demo. It
// follows the real protocol (claims, commits, rebases, pushes, `harness task done`) but
// its "work" is the known solution of a task, read from a bank that ships with the demo.
// It says so in every log it writes; it must never be presented as real work.
import path from 'node:path';
import { packageFile } from '../../harness/kit/paths.js';
import { UsageError } from '../../harness/kit/errors.js';

export interface SimOptions {
  /** probability that a session dies mid-task, leaving dirty work and a live claim */
  crash: number;
  /** probability that a session's push also breaks another task's test */
  regress: number;
  /** a session "thinks" for a random time up to this long */
  thinkMs: number;
  /** the folder of known solutions (prepareDemo's `bank`) */
  bank: string;
  /** with nothing to claim, wait this long for upstream to move before exiting (default 20 s) */
  idleMs?: number;
  /** seeds the session's random choices (default: random) */
  seed?: string;
  /** planned faults by session (faults.ts); they replace the dice for those sessions */
  faults?: string;
  /** append every commit this session makes to this file (commits.ts) */
  commitLog?: string;
}

export const DEFAULT_IDLE_MS = 20_000;

// Found from the package root: the built CLI runs from dist/, not from this folder.
const LAUNCH = packageFile('dist/sim-agent.js');

/**
 * The command that runs ONE simulated session in the current folder (the agent's clone,
 * whose `origin` is the upstream). `node` is looked up on PATH and the launcher is named
 * by its absolute path, so the command works unchanged in a sandbox that mounts the
 * harness read-only at the same path. The bank must be visible there too.
 */
export function simAgentArgv(opts: SimOptions): string[] {
  const o = checkOptions(opts);
  return [
    'node',
    LAUNCH,
    '--bank', path.resolve(o.bank),
    '--sim-crash', String(o.crash),
    '--sim-regress', String(o.regress),
    '--sim-think', String(o.thinkMs),
    ...(o.idleMs !== undefined ? ['--sim-idle', String(o.idleMs)] : []),
    ...(o.seed !== undefined ? ['--sim-seed', o.seed] : []),
    ...(o.faults !== undefined ? ['--sim-faults', path.resolve(o.faults)] : []),
    ...(o.commitLog !== undefined ? ['--sim-commit-log', path.resolve(o.commitLog)] : []),
  ];
}

/** Pure: the session's argv back into options; one UsageError naming every bad flag. */
export function parseSimArgs(argv: string[]): SimOptions {
  const raw: Record<string, string> = {};
  const errs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !FLAGS.includes(m[1]!)) {
      errs.push(`unknown argument "${a}" (known: ${FLAGS.map((f) => `--${f}`).join(' ')})`);
      continue;
    }
    const v = m[2] ?? argv[++i];
    if (v === undefined) errs.push(`--${m[1]} needs a value`);
    else raw[m[1]!] = v;
  }
  if (raw.bank === undefined) errs.push('--bank DIR is required (the demo\'s solution bank)');
  if (errs.length) throw new UsageError('SIM_USAGE', `sim: ${errs.join('; ')}`);
  return checkOptions({
    bank: raw.bank!,
    crash: num(raw['sim-crash'] ?? '0'),
    regress: num(raw['sim-regress'] ?? '0'),
    thinkMs: num(raw['sim-think'] ?? '200'),
    ...(raw['sim-idle'] !== undefined ? { idleMs: num(raw['sim-idle']) } : {}),
    ...(raw['sim-seed'] !== undefined ? { seed: raw['sim-seed'] } : {}),
    ...(raw['sim-faults'] !== undefined ? { faults: raw['sim-faults'] } : {}),
    ...(raw['sim-commit-log'] !== undefined ? { commitLog: raw['sim-commit-log'] } : {}),
  });
}

const FLAGS = ['bank', 'sim-crash', 'sim-regress', 'sim-think', 'sim-idle', 'sim-seed', 'sim-faults', 'sim-commit-log'];

function num(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

function checkOptions(o: SimOptions): SimOptions {
  const errs: string[] = [];
  const prob = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) errs.push(`${name} is a probability from 0 to 1 (got ${v})`);
  };
  prob('--sim-crash', o.crash);
  prob('--sim-regress', o.regress);
  if (!(Number.isFinite(o.thinkMs) && o.thinkMs >= 0)) errs.push(`--sim-think takes milliseconds >= 0 (got ${o.thinkMs})`);
  if (o.idleMs !== undefined && !(Number.isFinite(o.idleMs) && o.idleMs >= 0)) errs.push(`--sim-idle takes milliseconds >= 0 (got ${o.idleMs})`);
  if (!o.bank) errs.push('the bank folder is required');
  for (const [flag, v] of [['--sim-faults', o.faults], ['--sim-commit-log', o.commitLog]] as const) if (v !== undefined && !v.trim()) errs.push(`${flag} needs a file path`);
  if (errs.length) throw new UsageError('SIM_USAGE', `sim: ${errs.join('; ')}`);
  return o;
}
