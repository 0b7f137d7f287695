// Seeded deterministic PRNG for every device that needs randomness
// (virtio-rng, network jitter, ...). xoshiro128** (Blackman & Vigna), seeded
// through splitmix32-style mixing, so the same seed gives the same stream on
// every host. Never use Math.random in the emulator: it breaks replay.

/** Serialised PRNG state (four 32-bit words). */
export interface RngState {
  s: [number, number, number, number];
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** A generator seeded from `seed` (any finite number; the low 53 bits matter). */
  constructor(seed = 1) {
    this.reseed(seed);
  }

  /** Restart the stream from `seed`. */
  reseed(seed: number): void {
    // Mix the seed (split into two 32-bit halves) into four non-zero words.
    let z = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const next = (): number => {
      z = (z + 0x9e3779b9) | 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned value. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** An integer in [0, n) for 0 < n <= 2^32 (slightly biased for huge n; fine for simulation). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** Fill `out` with random bytes. */
  fill(out: Uint8Array): void {
    let i = 0;
    while (i < out.length) {
      let v = this.nextU32();
      for (let k = 0; k < 4 && i < out.length; k++, i++) {
        out[i] = v & 0xff;
        v >>>= 8;
      }
    }
  }

  saveState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3] };
  }

  loadState(st: RngState): void {
    [this.s0, this.s1, this.s2, this.s3] = st.s.map((v) => v | 0) as [number, number, number, number];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
