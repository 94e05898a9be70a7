// The bisector end to end on the embedded example: real gcc, the cc-candidate wrapper, real
// links and tests, a real object cache in a temp folder.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateExample, type Example } from '../test-oracle/bisect/example/gen.js';
import { oracle, tempDir } from './bisect-helpers.js';

let tmp: ReturnType<typeof tempDir>;
let ex: Example;
let cache: string;
const base = () => ['bisect', '--units', ex.unitsFile, '--candidate', ex.candidate, '--reference', 'gcc',
  '--link', ex.link, '--test', ex.test, '--cache', cache, '--timeout', '30'];

beforeAll(() => {
  tmp = tempDir('bisect-example-');
  ex = generateExample(path.join(tmp.dir, 'program'), { units: 65 });
  cache = path.join(tmp.dir, 'cache');
});
afterAll(() => tmp.cleanup());

interface Json {
  result: string;
  findings: { kind: string; units: string[]; proof: number; reproduce: string }[];
  stats: { compiled: number; builds: number; probes: number };
}

describe('test-oracle bisect on the example program', () => {
  it('finds exactly the planted single culprit and pair, then reuses every object', async () => {
    const json = path.join(tmp.dir, 'r1.json');
    const r = await oracle([...base(), '-j', '2', '--json', json], tmp.dir);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.filter((l) => /^(CULPRIT|FLAKY|NONMONOTONE)/.test(l)).map((l) => l.split('  (')[0])).toEqual([
      'CULPRIT u017.c',
      'CULPRIT-SET u012.c + u047.c',
    ]);
    expect(r.text).toMatch(/^round 1: /m);
    expect(r.text).toMatch(/^probes: \d+ \(2 baselines \+ \d+\), rounds: \d+, builds: 132 \(132 compiled\)/m);
    const res = JSON.parse(readFileSync(json, 'utf8')) as Json;
    expect(res.result).toBe('COMPLETE');
    expect(res.findings.map((f) => [f.kind, f.units])).toEqual([
      ['CULPRIT', ['u017.c']],
      ['CULPRIT-SET', ['u012.c', 'u047.c']],
    ]);
    // the reproduce command rebuilds the failing configuration by hand
    const script = res.findings[1]!.reproduce.replace(/^sh /, '');
    expect(existsSync(script)).toBe(true);
    expect(readFileSync(path.join(path.dirname(script), 'candidate-units.txt'), 'utf8')).toBe('u012.c\nu047.c\n');

    const again = path.join(tmp.dir, 'r2.json');
    const r2 = await oracle([...base(), '--json', again], tmp.dir);
    expect(r2.code).toBe(0);
    const res2 = JSON.parse(readFileSync(again, 'utf8')) as Json;
    expect(res2.stats.compiled).toBe(0);
    expect(res2.findings.map((f) => f.units)).toEqual([['u017.c'], ['u012.c', 'u047.c']]);
  });

  it('recompiles a unit whose header changed (the cache covers includes)', async () => {
    const h = path.join(ex.dir, 'src', 'common.h');
    const orig = readFileSync(h, 'utf8');
    try {
      writeFileSync(h, orig + '/* touched */\n');
      const json = path.join(tmp.dir, 'r3.json');
      const r = await oracle([...base(), '-j', '2', '--json', json], tmp.dir);
      expect(r.code).toBe(0);
      expect((JSON.parse(readFileSync(json, 'utf8')) as Json).stats.compiled).toBe(132);
    } finally {
      writeFileSync(h, orig);
    }
  });

  it('stops with one line when the all-reference baseline fails (exit 1)', async () => {
    const args = base();
    args[args.indexOf('--test') + 1] = 'false';
    const r = await oracle(args, tmp.dir);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/all-reference build fails.*\[BASELINE_REFERENCE_FAILS\]/);
  });

  it('stops with one line when the all-candidate baseline passes (exit 1)', async () => {
    const args = base();
    args[args.indexOf('--candidate') + 1] = 'gcc';
    const r = await oracle(args, tmp.dir);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([expect.stringMatching(/all-candidate build passes.*\[BASELINE_CANDIDATE_PASSES\]/)]);
  });

  it('counts a test that runs out of time as a failure', async () => {
    const args = base();
    args[args.indexOf('--test') + 1] = 'sleep 20';
    args[args.indexOf('--timeout') + 1] = '1';
    const r = await oracle(args, tmp.dir);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/all-reference build fails.*\(test: timed out/);
  });

  it('runs one seeded random-fraction probe and hands a failing subset on as a task', async () => {
    const json = path.join(tmp.dir, 'frac.json');
    const r = await oracle([...base(), '--fraction', '0.5', '--seed', '3', '--json', json], tmp.dir);
    const res = JSON.parse(readFileSync(json, 'utf8')) as { outcome: string; units: string[]; task: { name: string; command: string } | null };
    const hasCulprit = res.units.includes('u017.c') || (res.units.includes('u012.c') && res.units.includes('u047.c'));
    expect(res.outcome).toBe(hasCulprit ? 'fail' : 'pass');
    expect(r.code).toBe(hasCulprit ? 1 : 0);
    if (hasCulprit) {
      expect(res.task?.name).toBe('bisect-f5-s3');
      expect(res.task?.command).toContain('--fraction 0.5 --seed 3 --narrow');
      expect(r.text).toMatch(/^TASK bisect-f5-s3: /m);
    }
    // the same seed picks the same units every time
    const r2 = await oracle([...base(), '--fraction', '0.5', '--seed', '3', '--json', json], tmp.dir);
    expect((JSON.parse(readFileSync(json, 'utf8')) as { units: string[] }).units).toEqual(res.units);
    expect(r2.code).toBe(r.code);
  });
});

describe('test-oracle bisect refuses bad input', () => {
  it('a missing compile_commands.json: exit 2, one line, nothing written', async () => {
    const json = path.join(tmp.dir, 'never.json');
    const r = await oracle(['bisect', '--units', 'nope.json', '--candidate', 'gcc', '--link', 'true', '--test', 'true', '--json', json, '--cache', path.join(tmp.dir, 'c2')], tmp.dir);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(/cannot read --units \S*nope\.json: no such file \[NO_UNITS\]/)]);
    expect(existsSync(json)).toBe(false);
    expect(existsSync(path.join(tmp.dir, 'c2'))).toBe(false);
  });

  it('malformed JSON and bad numbers: exit 2', async () => {
    const bad = path.join(tmp.dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const r = await oracle(['bisect', '--units', bad, '--candidate', 'gcc', '--link', 'true', '--test', 'true'], tmp.dir);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/is not JSON.*\[BAD_UNITS\]/);
    const j = await oracle([...base(), '-j', '0'], tmp.dir);
    expect(j.code).toBe(2);
    expect(j.err[0]).toMatch(/-j must be a whole number/);
    const f = await oracle([...base(), '--fraction', '0.3'], tmp.dir);
    expect(f.code).toBe(2);
    expect(f.err[0]).toMatch(/--fraction and --seed go together/);
  });

  it('a candidate compiler that does not exist: exit 4', async () => {
    const args = base();
    args[args.indexOf('--candidate') + 1] = 'no-such-cc-xyz';
    const r = await oracle(args, tmp.dir);
    expect(r.code).toBe(4);
    expect(r.err).toEqual([expect.stringMatching(/candidate compiler "no-such-cc-xyz" not found.*\[NO_COMPILER\]/)]);
  });
});
