// The project's one seeded pseudo-random generator (splitmix32 seeding xoshiro128**): same seed, same
// stream, on any thread. The sim's schedules, the stress workloads and the guest programs' data (fsx, the
// demo) draw from it; streams are split per purpose (schedule, workload, faults, ...) so that changing one
// parameter does not reshuffle unrelated choices.

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** xoshiro128**: a fast, well-distributed 32-bit generator. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned value. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Prng.int(${n})`);
    // Rejection sampling keeps it unbiased.
    const limit = Math.floor(0x100000000 / n) * n;
    for (;;) {
      const v = this.next();
      if (v < limit) return v % n;
    }
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next() / 0x100000000;
  }

  /** An independent stream derived from this one and a label. */
  split(label: string): Prng {
    return new Prng(fnv1a(label, this.next()));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `text`, continuing from `h`: a stable 32-bit hash of a label. */
export function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * FNV-1a continued from `h` over 32-bit words taken whole (one multiply per word, not per byte): the
 * sim's step hash, which folds numbers, not text, so a run's hash costs no string per step.
 */
export function fnv1aWords(h: number, a: number, b: number, c: number, d: number): number {
  h = Math.imul(h ^ a, 0x01000193);
  h = Math.imul(h ^ b, 0x01000193);
  h = Math.imul(h ^ c, 0x01000193);
  return Math.imul(h ^ d, 0x01000193) >>> 0;
}
