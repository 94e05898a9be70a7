// The bisector on generated programs of hundreds of units, with two agents sharing one
// object cache at the same time. The larger program runs with HARNESS_SLOW_TESTS=1.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateExample } from '../test-oracle/bisect/example/gen.js';
import { oracle, tempDir } from './bisect-helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('bisect-gen-');
});
afterAll(() => tmp.cleanup());

interface Json {
  result: string;
  findings: { kind: string; units: string[] }[];
  stats: { compiled: number; builds: number };
}

async function bisectProgram(units: number, plan: Parameters<typeof generateExample>[1]['plan'], agents: number, jobs: string) {
  const ex = generateExample(path.join(tmp.dir, `p${units}`), { units, seed: units, plan });
  const cache = path.join(tmp.dir, `cache${units}`);
  const runs = await Promise.all(
    Array.from({ length: agents }, (_, a) => {
      const json = path.join(tmp.dir, `r${units}-${a}.json`);
      const args = ['bisect', '--units', ex.unitsFile, '--candidate', ex.candidate, '--link', 'gcc -o {out} @{rsp}',
        '--test', ex.test, '--cache', cache, '-j', jobs, '--json', json, '--timeout', '60'];
      return oracle(args, tmp.dir).then((r) => ({ ...r, json: JSON.parse(readFileSync(json, 'utf8')) as Json }));
    }),
  );
  return { ex, runs };
}

describe('test-oracle bisect on generated programs', () => {
  it('finds two singles and a pair among 250 units, with two agents sharing the cache', async () => {
    const plan = { 'u007.c': 'off-by-one', 'u201.c': 'off-by-one', 'u030.c': 'top-bit', 'u222.c': 'no-guard' } as const;
    const { ex, runs } = await bisectProgram(250, { ...plan }, 2, '2');
    expect(ex.culprits).toEqual([['u007.c'], ['u030.c', 'u222.c'], ['u201.c']]);
    for (const r of runs) {
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.json.result).toBe('COMPLETE');
      expect(r.json.findings.map((f) => f.units).sort()).toEqual(ex.culprits);
    }
    // every object was compiled at least once between them, and none more than once each
    const compiled = runs.map((r) => r.json.stats.compiled);
    expect(compiled[0]! + compiled[1]!).toBeGreaterThanOrEqual(502);
    expect(Math.max(...compiled)).toBeLessThanOrEqual(502);
  });

  it.skipIf(!process.env.HARNESS_SLOW_TESTS)('finds two pairs and a single among 800 units', async () => {
    const plan = {
      'u100.c': 'off-by-one', 'u050.c': 'top-bit', 'u700.c': 'no-guard', 'u400.c': 'top-bit', 'u401.c': 'no-guard',
    } as const;
    const { ex, runs } = await bisectProgram(800, { ...plan }, 1, '2');
    expect(ex.culprits).toEqual([['u050.c', 'u700.c'], ['u100.c'], ['u400.c', 'u401.c']]);
    expect(runs[0]!.code).toBe(0);
    expect(runs[0]!.json.findings.map((f) => f.units).sort()).toEqual(ex.culprits);
  });
});
