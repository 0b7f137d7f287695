// A small seeded pseudo-random generator (xoshiro128**, seeded through
// splitmix32) for AT_RANDOM and getrandom: same seed, same bytes, so guest
// runs are reproducible. Not for cryptography.

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator whose whole output is determined by `seed`. */
  constructor(seed: number) {
    let z = seed >>> 0;
    const next = (): number => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1; // never the all-zero state
  }

  /** The next 32 random bits as an unsigned number. */
  next32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Fill `out` with random bytes. */
  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i += 4) {
      const r = this.next32();
      for (let k = 0; k < 4 && i + k < out.length; k++) out[i + k] = (r >>> (8 * k)) & 0xff;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
