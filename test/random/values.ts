// Operand pools for random starting states: integers that sit on the edges
// of every width (0, 1, -1, INT_MIN/MAX, powers of two) mixed with random
// bits, and floating-point bit patterns that cover each class (zeros,
// denormals, normals at the boundaries, infinities, quiet and signalling
// NaNs) in half, single and double precision.

import { Rng } from "../../emulator/rng.js";

export function randomU64(r: Rng): bigint {
  return (BigInt(r.nextU32()) << 32n) | BigInt(r.nextU32());
}

const EDGE_INTS: bigint[] = (() => {
  const v: bigint[] = [0n, 1n, 2n, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_fffen];
  for (const w of [8n, 16n, 32n, 64n]) {
    const max = (1n << (w - 1n)) - 1n;
    v.push(max, max + 1n, (1n << w) - 1n, BigInt.asUintN(64, -(max + 1n)));
    v.push(max + 1n | 0xffff_ffff_0000_0000n);
  }
  return v;
})();

/** A 64-bit value: 45% random, 35% an edge of some width, 20% a (shifted) power of two. */
export function interestingU64(r: Rng): bigint {
  const k = r.nextInt(20);
  if (k < 9) {
    // Random, sometimes only in the low word or sign-extended from it.
    const v = randomU64(r);
    const s = r.nextInt(4);
    if (s === 0) return v & 0xffff_ffffn;
    if (s === 1) return BigInt.asUintN(64, BigInt.asIntN(32, v));
    return v;
  }
  if (k < 16) return EDGE_INTS[r.nextInt(EDGE_INTS.length)];
  const p = 1n << BigInt(r.nextInt(64));
  return r.nextInt(2) ? p : BigInt.asUintN(64, p - 1n);
}

/** A small signed value in [-lim, lim]. */
export function smallSigned(r: Rng, lim: number): bigint {
  return BigInt(r.nextInt(2 * lim + 1) - lim);
}

// --- Floating point -----------------------------------------------------------------

interface FpFormat {
  bits: number;
  ebits: number;
}

const F16: FpFormat = { bits: 16, ebits: 5 };
const F32: FpFormat = { bits: 32, ebits: 8 };
const F64: FpFormat = { bits: 64, ebits: 11 };

function fpPattern(r: Rng, fmt: FpFormat): bigint {
  const fbits = BigInt(fmt.bits - 1 - fmt.ebits);
  const emax = (1n << BigInt(fmt.ebits)) - 1n;
  const bias = emax >> 1n;
  const sign = BigInt(r.nextInt(2)) << BigInt(fmt.bits - 1);
  const randFrac = () => BigInt.asUintN(Number(fbits), randomU64(r));
  const mk = (e: bigint, f: bigint) => sign | (e << fbits) | f;
  const quietBit = 1n << (fbits - 1n);
  switch (r.nextInt(16)) {
    case 0: return mk(0n, 0n); // zero
    case 1: return mk(0n, randFrac() || 1n); // denormal
    case 2: return mk(0n, r.nextInt(2) ? 1n : (1n << fbits) - 1n); // smallest / largest denormal
    case 3: return mk(1n, r.nextInt(2) ? 0n : randFrac()); // smallest normals
    case 4: return mk(emax - 1n, r.nextInt(2) ? (1n << fbits) - 1n : randFrac()); // largest finite
    case 5: return mk(emax, 0n); // infinity
    case 6: return mk(emax, quietBit | randFrac()); // quiet NaN
    case 7: return mk(emax, (randFrac() & (quietBit - 1n)) || 1n); // signalling NaN
    case 8: return mk(bias, 0n); // 1.0
    case 9: return mk(bias + BigInt(r.nextInt(2 * Number(fbits) + 4)) - 2n, 0n); // powers of two near integers
    case 10: {
      // Few fraction bits below the binary point (x.5, x.25...): where rounding modes differ.
      const k = BigInt(r.nextInt(Number(fbits)));
      const drop = fbits - k - 2n > 0n ? fbits - k - 2n : 0n;
      return mk(bias + k, randFrac() & ~((1n << drop) - 1n));
    }
    case 11: return mk(bias + 31n + BigInt(r.nextInt(3)) - 1n, randFrac() & ~0xffn); // near 2^31 (conversion edges)
    case 12: return mk(bias + 63n + BigInt(r.nextInt(3)) - 1n, randFrac()); // near 2^63
    default: return mk(BigInt(1 + r.nextInt(Number(emax) - 1)), randFrac()); // random normal
  }
}

/** 128 bits of FP lanes of format `kind` (each lane drawn independently). */
export function fpVector(r: Rng, kind: "h" | "s" | "d"): bigint {
  const fmt = kind === "h" ? F16 : kind === "s" ? F32 : F64;
  let v = 0n;
  for (let lane = 0; lane < 128 / fmt.bits; lane++) {
    let p = fpPattern(r, fmt);
    // Near 2^31/2^63 only make sense where the exponent fits (not in half precision).
    if (fmt.bits === 16 && p >> 10n === 0n) p = fpPattern(r, fmt);
    v |= BigInt.asUintN(fmt.bits, p) << BigInt(lane * fmt.bits);
  }
  return v;
}

/** 128 bits for an integer vector register: lanes of edges and random bytes. */
export function intVector(r: Rng): bigint {
  if (r.nextInt(4) === 0) return (randomU64(r) << 64n) | randomU64(r);
  return (interestingU64(r) << 64n) | interestingU64(r);
}
