// One probe: link the chosen objects (candidate for the units in the set, reference for the
// rest) with --link, run --test (K times with --repeat), and say pass, fail or flaky.
// A link failure, a non-zero exit and a timeout all count as failures.
//
// The commands are shell commands with placeholders (also exported as environment):
//   {objects} BISECT_OBJECTS  the object files, quoted, space-separated
//   {rsp}     BISECT_RSP      a file listing them one per line (gcc @file), for long lists
//   {out}     BISECT_OUT      where the link should put the program
//   {dir}     BISECT_DIR      the probe's own folder (the commands run there)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasBit, type Bits } from './bits.js';
import { describeProc, runProc } from './proc.js';
import type { Outcome } from './search.js';
import { shellQuote, type Unit } from './units.js';

export interface ProbeContext {
  units: readonly Unit[];
  reference: readonly string[];
  /** null where the candidate could not compile the unit (it stays on the reference) */
  candidate: readonly (string | null)[];
  link: string;
  test: string;
  repeat: number;
  timeoutMs?: number;
  env: NodeJS.ProcessEnv;
  runDir: string;
}

export interface ProbeRun {
  id: number;
  outcome: Outcome;
  outcomes: ('pass' | 'fail')[];
  /** why each failing run failed, e.g. "link: exit 1", "test: timed out" */
  reasons: string[];
  dir: string;
}

export function expand(cmd: string, vars: Record<string, string>): string {
  return cmd.replace(/\{(objects|rsp|out|dir)\}/g, (_, k: string) => vars[k]!);
}

/** Writes the object list for `bits` into `dir`; returns the placeholder values and env. */
export function materialize(ctx: ProbeContext, dir: string, bits: Bits) {
  mkdirSync(dir, { recursive: true });
  const objects = ctx.units.map((u) => (hasBit(bits, u.index) && ctx.candidate[u.index]) || ctx.reference[u.index]!);
  const rsp = path.join(dir, 'objects.rsp');
  writeFileSync(rsp, objects.map(shellQuote).join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'candidate-units.txt'),
    ctx.units.filter((u) => hasBit(bits, u.index)).map((u) => u.name + '\n').join(''),
  );
  const vars = { objects: objects.map(shellQuote).join(' '), rsp, out: path.join(dir, 'program'), dir };
  const env = { ...ctx.env, BISECT_OBJECTS: vars.objects, BISECT_RSP: rsp, BISECT_OUT: vars.out, BISECT_DIR: dir };
  return { vars, env };
}

export async function runProbe(ctx: ProbeContext, id: number, bits: Bits): Promise<ProbeRun> {
  const dir = path.join(ctx.runDir, 'probes', String(id));
  const { vars, env } = materialize(ctx, dir, bits);
  const base = { cwd: dir, env: { ...env, BISECT_PROBE: String(id) }, timeoutMs: ctx.timeoutMs };
  const link = await runProc(['sh', '-c', expand(ctx.link, vars)], { ...base, log: path.join(dir, 'link.log') });
  if (link.code !== 0 || link.timedOut) {
    return { id, outcome: 'fail', outcomes: ['fail'], reasons: [`link: ${describeProc(link)}`], dir };
  }
  const outcomes: ('pass' | 'fail')[] = [];
  const reasons: string[] = [];
  for (let k = 1; k <= ctx.repeat; k++) {
    const r = await runProc(['sh', '-c', expand(ctx.test, vars)], { ...base, log: path.join(dir, `test-${k}.log`) });
    const ok = r.code === 0 && !r.timedOut;
    outcomes.push(ok ? 'pass' : 'fail');
    if (!ok) reasons.push(`test: ${describeProc(r)}`);
  }
  const fails = outcomes.filter((o) => o === 'fail').length;
  const outcome: Outcome = fails === 0 ? 'pass' : fails === outcomes.length ? 'fail' : 'flaky';
  return { id, outcome, outcomes, reasons, dir };
}

/** A script that rebuilds and retests exactly this configuration by hand. */
export function writeRepro(ctx: ProbeContext, name: string, bits: Bits, title: string): string {
  const dir = path.join(ctx.runDir, name);
  const { vars } = materialize(ctx, dir, bits);
  const script = path.join(dir, 'run.sh');
  const lines = [
    '#!/bin/sh',
    `# ${title}`,
    '# Units in candidate-units.txt use candidate objects, the rest reference objects (from the cache).',
    `cd ${shellQuote(dir)} || exit 2`,
    `export BISECT_OBJECTS=${shellQuote(vars.objects)} BISECT_RSP=${shellQuote(vars.rsp)} BISECT_OUT=${shellQuote(vars.out)} BISECT_DIR=${shellQuote(dir)}`,
    `( ${expand(ctx.link, vars)} ) || { echo "link failed"; exit 1; }`,
    `( ${expand(ctx.test, vars)} ); rc=$?`,
    'if [ "$rc" -eq 0 ]; then echo "test PASSED"; else echo "test FAILED (exit $rc)"; fi',
    'exit "$rc"',
  ];
  writeFileSync(script, lines.join('\n') + '\n', { mode: 0o755 });
  return `sh ${shellQuote(script)}`;
}
