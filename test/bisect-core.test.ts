// The pure search core, driven by synthetic oracles (no compiler, no I/O).
import { describe, expect, it } from 'vitest';
import { bitsOf, hasBit, type Bits } from '../test-oracle/bisect/bits.js';
import { ddminAll } from '../test-oracle/bisect/ddmin.js';
import { drive } from '../test-oracle/bisect/schedule.js';
import { initSearch, type Outcome, type SearchOptions } from '../test-oracle/bisect/search.js';
import { monotoneOracle, pick, rng } from '../test-oracle/bisect/synthetic.js';
import { normalizeArgs, parseUnits, shellSplit } from '../test-oracle/bisect/units.js';

const norm = (sets: number[][]) => sets.map((s) => [...s].sort((a, b) => a - b).join('+')).sort();

async function bisectWith(n: number, oracle: (b: Bits) => Outcome, width = 1, opts: SearchOptions = {}) {
  const r = await drive(initSearch(n, undefined, opts), width, (batch) => batch.map((b) => oracle(b.query.bits)));
  return { ...r, found: norm(r.state.findings.map((f) => f.units)), state: r.state };
}

describe('bisect search core', () => {
  it('finds a single culprit in about log2(n) probes and proves it', async () => {
    const r = await bisectWith(100, monotoneOracle(100, [[37]]));
    expect(r.found).toEqual(['37']);
    expect(r.state.stop).toBeNull();
    expect(r.state.probes - 2).toBeLessThanOrEqual(9);
    const f = r.state.findings[0]!;
    expect(f.flaky).toBe(false);
    expect(f.minimal).toEqual([{ dropped: 37, probe: 1 }]);
  });

  it('finds two independent culprits', async () => {
    const r = await bisectWith(200, monotoneOracle(200, [[5], [150]]));
    expect(r.found).toEqual(['150', '5']);
  });

  it('finds a pair that fails only together, and checks each alone passes', async () => {
    const r = await bisectWith(300, monotoneOracle(300, [[20, 260]]));
    expect(r.found).toEqual(['20+260']);
    const f = r.state.findings[0]!;
    expect(f.minimal.map((m) => m.dropped).sort()).toEqual([20, 260]);
  });

  it('finds a triple, a pair and a single together', async () => {
    const sets = [[3, 90, 400], [10, 11], [250]];
    const r = await bisectWith(500, monotoneOracle(500, sets));
    expect(r.found).toEqual(norm(sets));
    expect(r.state.stop).toBeNull();
  });

  it('gives the same answers with 8 probes a round, in fewer rounds', async () => {
    const sets = [[7, 800], [333]];
    const one = await bisectWith(1000, monotoneOracle(1000, sets), 1);
    const eight = await bisectWith(1000, monotoneOracle(1000, sets), 8);
    expect(eight.found).toEqual(one.found);
    expect(eight.rounds * 2.5).toBeLessThanOrEqual(one.rounds);
  });

  it('is right on hundreds of random instances of up to three sets', async () => {
    for (let i = 0; i < 150; i++) {
      const rand = rng(i + 1);
      const n = 50 + Math.floor(rand() * 700);
      const units = pick(n, 6, rand);
      const sets = [units.slice(0, 1), units.slice(1, 3), units.slice(3, 6)].slice(0, 1 + (i % 3));
      const r = await bisectWith(n, monotoneOracle(n, sets), 1 + (i % 4));
      expect(r.found, `instance ${i}`).toEqual(norm(sets));
    }
  });

  it('stops on the baselines with a code that names the wrong one', async () => {
    expect((await bisectWith(10, () => 'fail')).state.stop?.code).toBe('BASELINE_REFERENCE_FAILS');
    expect((await bisectWith(10, () => 'pass')).state.stop?.code).toBe('BASELINE_CANDIDATE_PASSES');
    expect((await bisectWith(10, () => 'flaky')).state.stop?.code).toBe('BASELINE_REFERENCE_FLAKY');
  });

  it('reports NONMONOTONE when a member fails alone but passed inside a larger set', async () => {
    // y fails alone unless z (also candidate) is there: an ABI mismatch; x + y is a real pair.
    const [x, y, z] = [12, 7, 3];
    const oracle = (b: Bits): Outcome =>
      (hasBit(b, y) && !hasBit(b, z)) || (hasBit(b, x) && hasBit(b, y)) ? 'fail' : 'pass';
    const r = await bisectWith(16, oracle);
    expect(r.state.stop?.code).toBe('NONMONOTONE');
    const a = r.state.anomalies.find((an) => an.kind === 'NONMONOTONE');
    expect(a && a.kind === 'NONMONOTONE' && a.extra).toContain(z);
    // trusting monotonicity would have reported x + y as a minimal pair
    const trusting = await bisectWith(16, oracle, 1, { minimality: 'log' });
    expect(trusting.found).toEqual([`${y}+${x}`]);
  });

  it('reports a flaky culprit as FLAKY when repeats disagree', async () => {
    // unit 40 makes the test fail in 3 of 4 runs; --repeat 4 decides with all four runs
    const rand = rng(99);
    const solid = monotoneOracle(120, [[90]]);
    const oracle = (b: Bits): Outcome => {
      if (solid(b) === 'fail') return 'fail';
      if (!hasBit(b, 40)) return 'pass';
      const runs = Array.from({ length: 4 }, () => (rand() < 0.75 ? 'fail' : 'pass'));
      return runs.every((o) => o === 'fail') ? 'fail' : runs.every((o) => o === 'pass') ? 'pass' : 'flaky';
    };
    const r = await bisectWith(120, oracle);
    expect(r.found).toEqual(['40', '90']);
    const flaky = r.state.findings.find((f) => f.units[0] === 40)!;
    expect(flaky.flaky).toBe(true);
    expect(r.state.findings.find((f) => f.units[0] === 90)!.flaky).toBe(false);
    expect(r.state.anomalies.some((a) => a.kind === 'FLAKY')).toBe(true);
  });

  it('restricts the search to a universe (the --narrow subset)', async () => {
    const universe = [2, 4, 6, 8, 10, 12];
    const r = await drive(initSearch(20, universe), 1, (batch) =>
      batch.map((b) => {
        for (let u = 0; u < 20; u++) if (hasBit(b.query.bits, u) && !universe.includes(u)) throw new Error('outside');
        return monotoneOracle(20, [[8]])(b.query.bits);
      }),
    );
    expect(norm(r.state.findings.map((f) => f.units))).toEqual(['8']);
  });

  it('classic ddmin finds the same sets, with more probes', async () => {
    const sets = [[17, 70]];
    const o = monotoneOracle(100, sets);
    const d = ddminAll(100, (s) => o(bitsOf(100, s)) === 'fail');
    expect(norm(d.sets)).toEqual(['17+70']);
    const r = await bisectWith(100, o);
    expect(r.state.probes - 2).toBeLessThan(d.probes);
  });
});

describe('compile_commands parsing', () => {
  it('splits shell commands like a shell', () => {
    expect(shellSplit(`gcc -DA="x y" 'a b' c\\ d -c "q\\"t"`)).toEqual(['gcc', '-DA=x y', 'a b', 'c d', '-c', 'q"t']);
  });

  it('drops the compiler, a launcher, output and dep-file flags; keeps -c', () => {
    expect(normalizeArgs(['ccache', 'cc', '-O2', '-MD', '-MF', 'x.d', '-o', 'x.o', 'x.c'])).toEqual(['-c', '-O2', 'x.c']);
    expect(normalizeArgs(['gcc', '-c', '-ox.o', 'x.c'])).toEqual(['-c', 'x.c']);
  });

  it('reads "command" and "arguments" entries, names units by their short path', () => {
    const u = parseUnits(
      [
        { directory: '/p/build', file: '../src/a.c', command: 'cc -c ../src/a.c -o a.o' },
        { directory: '/p', file: 'src/lib/b.c', arguments: ['cc', '-c', 'src/lib/b.c'] },
      ],
      '/p/compile_commands.json',
    );
    expect(u.map((x) => x.name)).toEqual(['a.c', 'lib/b.c']);
    expect(u[0]!.file).toBe('/p/src/a.c');
    expect(u[0]!.directory).toBe('/p/build');
  });

  it('refuses malformed input with a usage error', () => {
    expect(() => parseUnits({}, 'f')).toThrow(/JSON array/);
    expect(() => parseUnits([], 'f')).toThrow(/no compile commands/);
    expect(() => parseUnits([{ directory: '/', file: 'a.c' }], 'f')).toThrow(/"arguments" \(array\) or "command"/);
  });
});
