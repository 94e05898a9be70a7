// The object cache knows the compiler: a wrapper whose behaviour comes from a file it
// names (not from its own bytes or its words) gives the new answer after that file
// changes; --no-cache compiles everything again; the --narrow hand-off keeps --cache.
// Real gcc behind a real wrapper script, real links and tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CC_CANDIDATE, generateExample, type Example } from '../test-oracle/bisect/example/gen.js';
import { identifyCompiler } from '../test-oracle/bisect/cache.js';
import { oracle, tempDir } from './bisect-helpers.js';

let tmp: ReturnType<typeof tempDir>;
let ex: Example;
let wrapper: string;
let plan: string;
let cache: string;
const base = () => ['bisect', '--units', ex.unitsFile, '--candidate', wrapper, '--reference', 'gcc',
  '--link', ex.link, '--test', ex.test, '--cache', cache, '--timeout', '30', '-j', '2'];
const culprits = (out: string[]) => out.filter((l) => /^CULPRIT/.test(l)).map((l) => l.split('  (')[0]);
const compiled = (out: string[]) => Number(/^builds: \d+ objects, (\d+) compiled/m.exec(out.join('\n'))?.[1]);

beforeAll(() => {
  tmp = tempDir('bisect-identity-');
  ex = generateExample(path.join(tmp.dir, 'program'), { units: 24, plan: {} });
  // The flags file is named only inside the script: not among the candidate's words.
  wrapper = path.join(tmp.dir, 'wrap', 'mycc');
  plan = path.join(tmp.dir, 'wrap', 'bugs.plan');
  mkdirSync(path.dirname(wrapper));
  writeFileSync(plan, 'u017.c off-by-one\n');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${CC_CANDIDATE} --plan "$(dirname "$0")/bugs.plan" "$@"\n`, { mode: 0o755 });
  cache = path.join(tmp.dir, 'cache');
}, 30_000);
afterAll(() => tmp.cleanup());

describe('the bisector cache keys on the compiler identity', () => {
  it('gives the new answer after a wrapper\'s flags file changed, and says what the key covers', async () => {
    const r1 = await oracle(base(), tmp.dir);
    expect(r1.err).toEqual([]);
    expect(culprits(r1.out)).toEqual(['CULPRIT u017.c']);
    expect(r1.out.join('\n')).toMatch(/^candidate .*mycc is a script; cached objects are keyed on it and on .*bugs\.plan/m);
    const again = await oracle(base(), tmp.dir);
    expect(compiled(again.out)).toBe(0);

    writeFileSync(plan, 'u020.c off-by-one\n');
    const r2 = await oracle(base(), tmp.dir);
    expect(r2.code).toBe(0);
    expect(culprits(r2.out)).toEqual(['CULPRIT u020.c']);
    // only the candidate's objects were compiled again; the reference's were reused
    expect(compiled(r2.out)).toBe(25);
  }, 120_000);

  it('gives the new answer when the wrapper names its flags file in an assignment', async () => {
    // `FLAGS=/abs/f; exec cc $(cat $FLAGS)`: the path is only ever written after an `=`.
    const flags = path.join(tmp.dir, 'wrap', 'f3.txt');
    const assigning = path.join(tmp.dir, 'wrap', 'mycc-assign');
    writeFileSync(flags, `--plan ${plan}\n`);
    writeFileSync(plan, 'u017.c off-by-one\n');
    writeFileSync(assigning, `#!/bin/sh\nFLAGS_FILE=${flags}; exec ${CC_CANDIDATE} $(cat $FLAGS_FILE) "$@"\n`, { mode: 0o755 });
    const args = () => base().map((w) => (w === wrapper ? assigning : w));
    const r1 = await oracle(args(), tmp.dir);
    expect(r1.err).toEqual([]);
    expect(culprits(r1.out)).toEqual(['CULPRIT u017.c']);
    const plan2 = path.join(tmp.dir, 'wrap', 'other.plan');
    writeFileSync(plan2, 'u020.c off-by-one\n');
    // only the flags file changes: the plan it named before is untouched
    writeFileSync(flags, `--plan ${plan2}\n`);
    const r2 = await oracle(args(), tmp.dir);
    expect(r2.code).toBe(0);
    expect(culprits(r2.out)).toEqual(['CULPRIT u020.c']);
    expect(compiled(r2.out)).toBeGreaterThan(0);
    writeFileSync(plan, 'u020.c off-by-one\n'); // as the tests below expect
  }, 120_000);

  it('counts a response file (@/abs/f.rsp) and a path after = among the compiler\'s identity', async () => {
    const rsp = path.join(tmp.dir, 'wrap', 'flags.rsp');
    const opt = path.join(tmp.dir, 'wrap', 'opt.txt');
    writeFileSync(rsp, '-O1\n');
    writeFileSync(opt, 'x\n');
    const viaRsp = path.join(tmp.dir, 'wrap', 'gcc-rsp');
    writeFileSync(viaRsp, `#!/bin/sh\nexec gcc @${rsp} "$@"\n`, { mode: 0o755 });
    const c = await identifyCompiler(viaRsp, 'candidate', process.env, tmp.dir);
    expect(c.covers).toContain(rsp);
    const w = await identifyCompiler(`gcc --opts=${opt} @${rsp}`, 'candidate', process.env, tmp.dir);
    expect(w.covers).toEqual(expect.arrayContaining([opt, rsp]));
    writeFileSync(rsp, '-O2\n');
    expect((await identifyCompiler(viaRsp, 'candidate', process.env, tmp.dir)).id).not.toBe(c.id);
  }, 60_000);

  it('compiles every unit again with --no-cache', async () => {
    const r = await oracle([...base(), '--no-cache'], tmp.dir);
    expect(r.code).toBe(0);
    expect(compiled(r.out)).toBe(50);
    expect(culprits(r.out)).toEqual(['CULPRIT u020.c']);
    const twice = await oracle([...base(), '--cache', path.join(tmp.dir, 'other')], tmp.dir);
    expect(twice.code).toBe(2);
    expect(twice.err).toEqual([expect.stringMatching(/--cache was given 2 times \(.*\); give it once \[REPEATED_FLAG\]$/)]);
  }, 120_000);

  it('keeps the user\'s --cache in the printed --narrow command', async () => {
    for (let seed = 1; seed < 40; seed++) {
      const r = await oracle([...base(), '--fraction', '0.5', '--seed', String(seed)], tmp.dir);
      if (r.code !== 1) continue;
      const narrow = r.out.find((l) => l.includes('--narrow'))!.trim();
      expect(narrow).toContain(`--cache ${cache}`);
      expect(narrow).toContain(`--fraction 0.5 --seed ${seed} --narrow`);
      return;
    }
    throw new Error('no seed put u020.c into the fraction');
  }, 120_000);
});
