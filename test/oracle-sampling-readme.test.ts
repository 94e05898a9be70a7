// The sampling rule can be reimplemented from test-oracle/README.md alone: the examples
// there agree with the code, and with a second implementation written from the README's
// steps (BigInt arithmetic, nothing shared with test-oracle/core/hash.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inSample, sampleHash32, samplePoint } from '../harness/kit/hash.js';

const README = readFileSync(path.join(__dirname, '..', 'test-oracle', 'README.md'), 'utf8');

function fromReadme(seed: string, id: string): { v: number; point: number } {
  const M64 = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.concat([Buffer.from(seed, 'utf8'), Buffer.from([0]), Buffer.from(id, 'utf8')])) {
    h = ((h ^ BigInt(byte)) * 0x100000001b3n) & M64;
  }
  const M32 = 0xffffffffn;
  const fmix32 = (x: bigint) => {
    x ^= x >> 16n;
    x = (x * 0x85ebca6bn) & M32;
    x ^= x >> 13n;
    x = (x * 0xc2b2ae35n) & M32;
    x ^= x >> 16n;
    return x;
  };
  const v = fmix32((h & M32) ^ fmix32(h >> 32n));
  return { v: Number(v), point: (Number(v) / 2 ** 32) * 100 };
}

describe('the sampling rule in the README', () => {
  const rows = [...README.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| `0x([0-9a-f]{8})` \| ([\d.]+) \| (yes|no) \|$/gm)];

  it('gives three examples, in and out of the sample', () => {
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r[5]))).toEqual(new Set(['yes', 'no']));
  });

  it('agrees with the code and with an implementation written from the README', () => {
    for (const [, seed, id, hex, point, inIt] of rows) {
      const v = parseInt(hex!, 16);
      expect(sampleHash32(seed!, id!)).toBe(v);
      expect(samplePoint(seed!, id!).toFixed(3)).toBe(point);
      expect(inSample(seed!, id!, 10)).toBe(inIt === 'yes');
      const other = fromReadme(seed!, id!);
      expect(other.v).toBe(v);
      expect(other.point < 10).toBe(inIt === 'yes');
    }
  });

  it('agrees with the README implementation on many ids, ASCII or not', () => {
    for (let i = 0; i < 300; i++) {
      const seed = `agent-${i % 7}${i % 5 ? '' : 'é'}`;
      const id = `t/${i}/caf${'é'.repeat(i % 3)}.c`;
      expect(fromReadme(seed, id).v).toBe(sampleHash32(seed, id));
    }
  });
});
