// The sampling hash. A test's membership in a sample must depend only on (seed, id), so
// adding, removing or reordering other tests never moves it in or out, and two agents
// with different seeds see different slices. FNV-1a 64 is simple to reimplement anywhere
// (a shell script or another language can reproduce a sample); its high bits barely
// depend on the last bytes, so the result is folded with murmur3's fmix32 finalizer to
// spread ids that differ only in a trailing digit.

const encoder = new TextEncoder();

/** FNV-1a 64 of the UTF-8 bytes of `s`, as two unsigned 32-bit halves. */
export function fnv1a64(s: string): { hi: number; lo: number } {
  let lo = 0x84222325;
  let hi = 0xcbf29ce4;
  let bytes: ArrayLike<number> | undefined;
  const n = s.length;
  // Hot loop (100k ids per selection): no closures, no allocation for ASCII ids.
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      bytes = encoder.encode(s);
      break;
    }
  }
  const len = bytes ? bytes.length : n;
  for (let i = 0; i < len; i++) {
    lo ^= bytes ? bytes[i]! : s.charCodeAt(i);
    // h * (2^40 + 0x1b3) mod 2^64, in 32-bit halves; every product stays below 2^53.
    const l = (lo >>> 0) * 0x1b3;
    hi = (Math.imul(hi, 0x1b3) + Math.floor(l / 4294967296) + (lo << 8)) >>> 0;
    lo = l >>> 0;
  }
  return { hi, lo: lo >>> 0 };
}

/** FNV-1a 64 of UTF-8(seed + "\0" + id), folded to an unsigned 32-bit value. */
export function sampleHash32(seed: string, id: string): number {
  const { hi, lo } = fnv1a64(seed + '\0' + id);
  return fmix32((lo ^ fmix32(hi)) >>> 0);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where (seed, id) falls in [0, 100). */
export function samplePoint(seed: string, id: string): number {
  return (sampleHash32(seed, id) / 4294967296) * 100;
}

/** True when the test belongs to the `pct`% sample for `seed`. */
export function inSample(seed: string, id: string, pct: number): boolean {
  return samplePoint(seed, id) < pct;
}

/** mulberry32: a small seeded generator, for reproducible random choices from a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
