// Fixed-size bitsets over unit indices 0..n-1: a probe's "compiled by the candidate" set.
// Subset tests and content keys are O(n/32), so the search core stays cheap at n = 5000.

export type Bits = Uint32Array;

export function emptyBits(n: number): Bits {
  return new Uint32Array((n + 31) >>> 5);
}

export function bitsOf(n: number, units: Iterable<number>): Bits {
  const b = emptyBits(n);
  for (const u of units) b[u >>> 5]! |= 1 << (u & 31);
  return b;
}

export function hasBit(b: Bits, u: number): boolean {
  return (b[u >>> 5]! & (1 << (u & 31))) !== 0;
}

/** a ⊆ b */
export function isSubset(a: Bits, b: Bits): boolean {
  for (let i = 0; i < a.length; i++) if ((a[i]! & ~b[i]!) !== 0) return false;
  return true;
}

export function bitsCount(b: Bits): number {
  let c = 0;
  for (let w of b) {
    w = w - ((w >>> 1) & 0x55555555);
    w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
    c += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return c;
}

export function bitsToList(b: Bits): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    let w = b[i]!;
    while (w !== 0) {
      const t = w & -w;
      out.push(i * 32 + (31 - Math.clz32(t)));
      w ^= t;
    }
  }
  return out;
}

/** Units in a but not in b. */
export function bitsMinus(a: Bits, b: Bits): number[] {
  const d = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i]! & ~b[i]!;
  return bitsToList(d);
}

/** A content key: two independent 32-bit FNV-1a hashes over the words, plus the count. */
export function bitsKey(b: Bits): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ b.length;
  for (let i = 0; i < b.length; i++) {
    const w = b[i]!;
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul(h2 ^ ((w >>> 16) | (w << 16)), 0x5bd1e995) ^ i;
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}:${bitsCount(b)}`;
}
