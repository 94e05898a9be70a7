// The embedded example: a C program of N small units chained into one checksum that the
// program checks against a known value (exit 0 when right). Generated into a folder with a
// compile_commands.json of absolute paths, so it works from any clone location. The
// expected value, and the effect of each planted bug, are computed here by simulating the
// same 32-bit arithmetic, so the generator proves the plan is what it claims.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../synthetic.js';

export const CC_CANDIDATE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cc-candidate');

export type Bug = 'off-by-one' | 'top-bit' | 'no-guard' | 'flaky';

export interface ExampleOptions {
  units: number;
  seed?: number;
  /** source basename -> bug; the default is the wrapper's built-in plan */
  plan?: Record<string, Bug>;
}

export interface Example {
  dir: string;
  unitsFile: string;
  candidate: string;
  reference: string;
  link: string;
  test: string;
  /** the planted culprit sets, as source basenames, sorted */
  culprits: string[][];
  flaky: string[];
}

export const DEFAULT_PLAN: Record<string, Bug> = {
  'u017.c': 'off-by-one',
  'u012.c': 'top-bit',
  'u047.c': 'no-guard',
  'u033.c': 'flaky',
};

const COMMON_H = `#ifndef COMMON_H
#define COMMON_H
#include <stdio.h>
#include <stdlib.h>
/* Inputs are 31-bit values; every unit clears bit 31 of its input to be safe. */
#ifndef GUARD
#define GUARD(v) ((v) & 0x7fffffffu)
#endif
#ifndef RESULT
#define RESULT(v) (v)
#endif
/* Used only by the demo's flaky miscompilation (see cc-candidate). */
static inline unsigned demo_flaky(void) {
  const char *e = getenv("BISECT_DEMO_FLAKY");
  unsigned char b = 0;
  FILE *f;
  if (!e || *e != '1') return 0;
  f = fopen("/dev/urandom", "rb");
  if (f) { b = (unsigned char)fgetc(f); fclose(f); }
  return (b & 3) != 0; /* wrong in three runs out of four */
}
#endif
`;

interface Step {
  name: string;
  fn: string;
  xor: number;
  mul: number;
  add: number;
}

function stepValue(s: Step, x: number, bug: Bug | undefined, flakyOn: boolean): number {
  if (bug !== 'no-guard') x = (x & 0x7fffffff) >>> 0;
  let y = (Math.imul((x ^ s.xor) >>> 0, s.mul) + s.add) >>> 0;
  y = (y ^ (y >>> 15)) >>> 0;
  let r = (y & 0x7fffffff) >>> 0;
  if (bug === 'off-by-one' || (bug === 'flaky' && flakyOn)) r = (r + 1) >>> 0;
  if (bug === 'top-bit') r = (r | 0x80000000) >>> 0;
  return r;
}

function checksum(chain: Step[], bugs: Record<string, Bug>, flakyOn = false): number {
  let x = 12345;
  for (const s of chain) x = stepValue(s, x, bugs[s.name], flakyOn);
  return x;
}

export function generateExample(dir: string, o: ExampleOptions): Example {
  const plan = o.plan ?? DEFAULT_PLAN;
  const rand = rng(o.seed ?? 1);
  const steps: Step[] = Array.from({ length: o.units }, (_, i) => {
    const name = `u${String(i).padStart(3, '0')}.c`;
    return { name, fn: `f${String(i).padStart(3, '0')}`, xor: (rand() * 2 ** 32) >>> 0, mul: ((rand() * 2 ** 32) | 1) >>> 0, add: i + 1 };
  });
  // The call chain is a shuffle, except that each top-bit unit is followed by a no-guard one.
  const tops = Object.keys(plan).filter((k) => plan[k] === 'top-bit');
  const guards = Object.keys(plan).filter((k) => plan[k] === 'no-guard');
  const paired = new Set([...tops, ...guards]);
  const chain = steps.filter((s) => !paired.has(s.name));
  for (let i = chain.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [chain[i], chain[j]] = [chain[j]!, chain[i]!];
  }
  tops.forEach((t, k) => {
    const at = Math.floor(rand() * (chain.length - 1)) + 1;
    chain.splice(at, 0, steps.find((s) => s.name === t)!, steps.find((s) => s.name === guards[k])!);
  });
  const expected = checksum(chain, {});
  const culprits: string[][] = [];
  for (const [unit, bug] of Object.entries(plan)) {
    if (bug === 'off-by-one') {
      if (checksum(chain, { [unit]: bug }) === expected) throw new Error(`plan: ${unit} off-by-one does not show`);
      culprits.push([unit]);
    }
  }
  tops.forEach((t, k) => {
    const g = guards[k]!;
    if (checksum(chain, { [t]: 'top-bit' }) !== expected || checksum(chain, { [g]: 'no-guard' }) !== expected)
      throw new Error(`plan: ${t} + ${g} must each be harmless alone`);
    if (checksum(chain, { [t]: 'top-bit', [g]: 'no-guard' }) === expected) throw new Error(`plan: ${t} + ${g} do not show`);
    culprits.push([t, g].sort());
  });
  const flaky = Object.keys(plan).filter((k) => plan[k] === 'flaky');
  for (const f of flaky) if (checksum(chain, { [f]: 'flaky' }, true) === expected) throw new Error(`plan: ${f} does not show`);

  const src = path.join(dir, 'src');
  mkdirSync(src, { recursive: true });
  mkdirSync(path.join(dir, 'build'), { recursive: true });
  writeFileSync(path.join(src, 'common.h'), COMMON_H);
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}u`;
  for (const s of steps) {
    writeFileSync(
      path.join(src, s.name),
      `#include "common.h"\n\nunsigned ${s.fn}(unsigned x) {\n  unsigned y;\n  x = GUARD(x);\n` +
        `  y = (x ^ ${hex(s.xor)}) * ${hex(s.mul)} + ${s.add}u;\n  y ^= y >> 15;\n  return RESULT(y & 0x7fffffffu);\n}\n`,
    );
  }
  writeFileSync(
    path.join(src, 'main.c'),
    '#include "common.h"\n\n' +
      steps.map((s) => `unsigned ${s.fn}(unsigned);\n`).join('') +
      '\nint main(void) {\n  unsigned x = 12345u;\n' +
      chain.map((s) => `  x = ${s.fn}(x);\n`).join('') +
      `  printf("checksum %u (expected %u)\\n", x, ${expected}u);\n  return x == ${expected}u ? 0 : 1;\n}\n`,
  );
  const files = ['main.c', ...steps.map((s) => s.name)];
  const entries = files.map((f) => ({
    directory: dir,
    file: `src/${f}`,
    command: `gcc -O2 -Wall -Isrc -c src/${f} -o build/${f.replace(/\.c$/, '.o')}`,
  }));
  const unitsFile = path.join(dir, 'compile_commands.json');
  writeFileSync(unitsFile, JSON.stringify(entries, null, 2) + '\n');
  let candidate = CC_CANDIDATE;
  if (o.plan) {
    const planFile = path.join(dir, 'miscompile.plan');
    writeFileSync(planFile, Object.entries(plan).map(([u, b]) => `${u} ${b}\n`).join(''));
    candidate = `${CC_CANDIDATE} --plan ${planFile}`;
  }
  return {
    dir, unitsFile, candidate, reference: 'gcc',
    link: 'gcc -o {out} {objects}', test: '{out}',
    culprits: culprits.sort((a, b) => a.join().localeCompare(b.join())),
    flaky,
  };
}
