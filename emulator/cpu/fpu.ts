// The floating-point unit: IEEE single and double precision operations with
// Arm semantics (Arm ARM J1 pseudocode: FPAdd, FPMulAdd, FPToFixed, ...),
// shared by the scalar FP instructions (a64/fp.ts) and Advanced SIMD lanes.
//
// API shape: every operation works on ELEMENTS of the SIMD&FP register file
// of a CpuState, addressed by element index, so one function serves scalar
// registers and vector lanes alike:
//   size 32: index into c.vf32 / c.vw   (Sn is 4*n, lane i of Vn.4S is 4*n+i)
//   size 64: index into c.vf64 / c.vd   (Dn is 2*n, lane i of Vn.2D is 2*n+i)
// A result is written to element `d` only; the caller zeroes the rest of a
// scalar destination afterwards (operands are read before `d` is written,
// so d may alias n or m). Nothing here throws or faults.
//
// Operations (element indices d, n, m, a; `size` 32 | 64):
//   fadd fsub fmul fmulx fnmul fdiv fabd fmax fmin fmaxnm fminnm (c,size,d,n,m)
//   fmuladd(c,size,d,a,n,m,negateProduct,negateAddend)  fused, one rounding
//   frecps frsqrts (c,size,d,n,m)   fsqrt fabs fneg frecpe frsqrte frecpx (c,size,d,n)
//   frint(c,size,d,n,rmode,exact)   fcvt(c,from,to,d,n,rmode?)
//   fcompare(c,size,n,m,signalling) -> NZCV;  fcmeq fcmge fcmgt facge facgt
//     (c,size,d,n,m) write an all-ones/zero mask; for compares an index < 0
//     stands for the constant +0.0
//   fpToFixed(c,size,n,intSize,unsigned,fbits,rmode) -> bigint bit pattern
//   fixedToFp(c,size,d,value: bigint,intSize,unsigned,fbits,rmode?)
//   rmode: RN RP RM RZ (FPCR.RMode values), RA (ties away), RO (round to
//   odd), or FPCR_ROUNDING (-1) for FPCR.RMode.
//
// Every operation honours FPCR.DN (default NaN), FPCR.FZ (flush denormal
// inputs with IDC, denormal outputs with UFC), FPCR.RMode (or an explicit
// rounding), and ORs the cumulative FPSR.{IOC,DZC,OFC,UFC,IXC,IDC} flags.
// FP exception traps are not modelled (FPCR trap enables read as 0).
// Half precision and FPCR.AH (FEAT_AFP) are not implemented.
//
// Each op has a fast path for the common case (round-to-nearest, ordinary
// operands, a normal result) using host doubles plus error-free transforms
// for the inexact flag; everything else goes through the exact BigInt core
// in fpu_core.ts. NaNs are always detected from raw bits: a float32
// signalling NaN read through Float32Array is quieted by the host, and the
// host's own default NaN has the sign bit set.

import type { CpuState } from "./state.js";
import {
  exactAdd, F32, F64, Fmt, fmtOf, FpSize, FpType, fpcrRounding, FPCR_FZ, FPSR_DZC, FPSR_IOC, FPSR_IXC, FPSR_OFC, FPSR_UFC,
  infBits, isNaN_, isqrt, bitLength, processNaN, processNaNs, readBits, RA, RM, RN, RO, RP, roundPack,
  roundSigned, Rounding, RZ, signedMant, unpack, Unpacked, writeBits, zeroBits,
} from "./fpu_core.js";

export { FPCR_DN, FPCR_FZ, FPSR_DZC, FPSR_IDC, FPSR_IOC, FPSR_IXC, FPSR_OFC, FPSR_UFC, RA, RM, RN, RO, RP, RZ } from "./fpu_core.js";
export type { FpSize, Rounding } from "./fpu_core.js";

/** Pass as `rmode` to use FPCR.RMode. */
export const FPCR_ROUNDING = -1;

const RMODE_MASK = 3 << 22;
const MIN_NORMAL32 = 2 ** -126;
const MIN_NORMAL64 = 2 ** -1022;
const TINY64 = 2 ** -968; // below this, a product's error term may underflow
const HUGE64 = 2 ** 995; // above this, Veltkamp splitting may overflow

// --- Operand access --------------------------------------------------------------

/**
 * True when element i is not a NaN and need not be flushed, so its host
 * double value (c.vf32/c.vf64) is exactly the operand value.
 */
export function isPlain(c: CpuState, size: FpSize, i: number): boolean {
  const hi = size === 32 ? c.vw[i] : c.vw[2 * i + 1];
  const e = size === 32 ? (hi >>> 23) & 0xff : (hi >>> 20) & 0x7ff;
  if (e === (size === 32 ? 0xff : 0x7ff)) return (size === 32 ? hi & 0x7fffff : (hi & 0xfffff) | c.vw[2 * i]) === 0;
  return e !== 0 || (c.fpcr & FPCR_FZ) === 0;
}

const val = (c: CpuState, size: FpSize, i: number): number => (size === 32 ? c.vf32[i] : c.vf64[i]);

/** Unpack element i; a negative index stands for +0.0 (compare with #0.0). */
function operand(c: CpuState, f: Fmt, i: number): Unpacked {
  return unpack(c, f, i < 0 ? 0n : readBits(c, f.size, i));
}

/** The exact value of a non-NaN operand as a host double. */
function num(u: Unpacked): number {
  if (u.type === FpType.Zero) return u.sign ? -0 : 0;
  if (u.type === FpType.Inf) return u.sign ? -Infinity : Infinity;
  return (u.sign ? -1 : 1) * Number(u.mant) * 2 ** u.exp;
}

const roundingOf = (c: CpuState, rmode: number): Rounding => (rmode < 0 ? fpcrRounding(c) : (rmode as Rounding));

/** Error of the product p = fl(a*b) (Dekker's TwoProduct); needs |a|,|b| < 2^995 and |p| > 2^-968. */
function twoProductError(a: number, b: number, p: number): number {
  const SPLIT = 134217729; // 2^27 + 1
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

const normalOrZero64 = (a: number): boolean => a === 0 || Math.abs(a) >= MIN_NORMAL64;
const normalOrZero32 = (a: number): boolean => a === 0 || Math.abs(a) >= MIN_NORMAL32;

/** Fast paths need RN, and under FZ no denormal operand. */
function fastOk(c: CpuState, size: FpSize, a: number, b: number): boolean {
  if ((c.fpcr & RMODE_MASK) !== 0) return false;
  if ((c.fpcr & FPCR_FZ) === 0) return true;
  return size === 32 ? normalOrZero32(a) && normalOrZero32(b) : normalOrZero64(a) && normalOrZero64(b);
}

/** Store a rounded single result r (exact value x) if it is normal; false if the slow path must run. */
function putSingle(c: CpuState, d: number, r: number, inexact: boolean): boolean {
  const ar = Math.abs(r);
  if (!(ar > MIN_NORMAL32 && ar < Infinity)) return false;
  if (inexact) c.fpsr |= FPSR_IXC;
  c.vf32[d] = r;
  return true;
}

// --- Arithmetic -------------------------------------------------------------------

type Op2 = (c: CpuState, f: Fmt, a: Unpacked, b: Unpacked, rm: Rounding) => bigint;

function slow2(c: CpuState, size: FpSize, d: number, n: number, m: number, op: Op2): void {
  const f = fmtOf(size);
  const a = unpack(c, f, readBits(c, size, n));
  const b = unpack(c, f, readBits(c, size, m));
  writeBits(c, size, d, op(c, f, a, b, fpcrRounding(c)));
}

function addOp(c: CpuState, f: Fmt, a: Unpacked, b: Unpacked, rm: Rounding, negB: boolean): bigint {
  const nan = processNaNs(c, f, a, b);
  if (nan !== undefined) return nan;
  const sb = negB ? b.sign ^ 1 : b.sign;
  if (a.type === FpType.Inf && b.type === FpType.Inf && a.sign !== sb) {
    c.fpsr |= FPSR_IOC;
    return f.defaultNaN;
  }
  if (a.type === FpType.Inf) return infBits(f, a.sign);
  if (b.type === FpType.Inf) return infBits(f, sb);
  if (a.type === FpType.Zero && b.type === FpType.Zero && a.sign === sb) return zeroBits(f, sb);
  const [mant, exp] = exactAdd(signedMant(a), a.exp, sb ? -b.mant : b.mant, b.exp);
  return roundSigned(c, f, mant, exp, rm);
}
const addOp2: Op2 = (c, f, a, b, rm) => addOp(c, f, a, b, rm, false);
const subOp2: Op2 = (c, f, a, b, rm) => addOp(c, f, a, b, rm, true);

/** FPAdd: element d = n + m. */
export function fadd(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  if (addFast(c, size, d, val(c, size, n), val(c, size, m))) return;
  slow2(c, size, d, n, m, addOp2);
}

/** FPSub: element d = n - m. */
export function fsub(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  if (addFast(c, size, d, val(c, size, n), -val(c, size, m))) return;
  slow2(c, size, d, n, m, subOp2);
}

function addFast(c: CpuState, size: FpSize, d: number, a: number, b: number): boolean {
  if (!fastOk(c, size, a, b)) return false;
  const r = a + b;
  const bb = r - a;
  const err = a - (r - bb) + (b - bb); // TwoSum: exact rounding error of r
  if (size === 32) {
    const s = Math.fround(r); // rounding twice is innocuous for a sum (53 >= 2*24+2)
    return putSingle(c, d, s, err !== 0 || s !== r);
  }
  const ar = Math.abs(r);
  if (!(ar > MIN_NORMAL64 && ar < Infinity)) return false;
  if (err !== 0) c.fpsr |= FPSR_IXC;
  c.vf64[d] = r;
  return true;
}

function mulOp(c: CpuState, f: Fmt, a: Unpacked, b: Unpacked, rm: Rounding, mulx: boolean): bigint {
  const nan = processNaNs(c, f, a, b);
  if (nan !== undefined) return nan;
  const s = a.sign ^ b.sign;
  const inf = a.type === FpType.Inf || b.type === FpType.Inf;
  const zero = a.type === FpType.Zero || b.type === FpType.Zero;
  if (inf && zero) {
    if (mulx) return zeroBits(f, s) | (BigInt(f.bias + 1) << BigInt(f.F)); // FMULX: +-2.0
    c.fpsr |= FPSR_IOC;
    return f.defaultNaN;
  }
  if (inf) return infBits(f, s);
  if (zero) return zeroBits(f, s);
  return roundPack(c, f, s, a.mant * b.mant, a.exp + b.exp, rm);
}
const mulOp2: Op2 = (c, f, a, b, rm) => mulOp(c, f, a, b, rm, false);
const mulxOp2: Op2 = (c, f, a, b, rm) => mulOp(c, f, a, b, rm, true);

function mulFast(c: CpuState, size: FpSize, d: number, n: number, m: number): boolean {
  const a = val(c, size, n), b = val(c, size, m);
  if (!fastOk(c, size, a, b)) return false;
  const r = a * b;
  if (size === 32) {
    const s = Math.fround(r); // r is exact: 24x24-bit product
    return putSingle(c, d, s, s !== r);
  }
  const ar = Math.abs(r);
  if (!(ar > TINY64 && ar < Infinity && Math.abs(a) < HUGE64 && Math.abs(b) < HUGE64)) return false;
  if (!normalOrZero64(a) || !normalOrZero64(b)) return false;
  if (twoProductError(a, b, r) !== 0) c.fpsr |= FPSR_IXC;
  c.vf64[d] = r;
  return true;
}

/** FPMul: element d = n * m. */
export function fmul(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  if (mulFast(c, size, d, n, m)) return;
  slow2(c, size, d, n, m, mulOp2);
}

/** FPMulX: as fmul, but infinity * zero gives +-2.0 without IOC. */
export function fmulx(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  if (mulFast(c, size, d, n, m)) return;
  slow2(c, size, d, n, m, mulxOp2);
}

/** FNMUL: element d = -(n * m), negated after rounding (a NaN result is negated too). */
export function fnmul(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  fmul(c, size, d, n, m);
  writeBits(c, size, d, readBits(c, size, d) ^ fmtOf(size).signBit);
}

const divOp2: Op2 = (c, f, a, b, rm) => {
  const nan = processNaNs(c, f, a, b);
  if (nan !== undefined) return nan;
  const s = a.sign ^ b.sign;
  if ((a.type === FpType.Inf && b.type === FpType.Inf) || (a.type === FpType.Zero && b.type === FpType.Zero)) {
    c.fpsr |= FPSR_IOC;
    return f.defaultNaN;
  }
  if (a.type === FpType.Inf || b.type === FpType.Zero) {
    if (a.type !== FpType.Inf) c.fpsr |= FPSR_DZC;
    return infBits(f, s);
  }
  if (a.type === FpType.Zero || b.type === FpType.Inf) return zeroBits(f, s);
  // Quotient with at least F+3 bits, then a sticky bit for the remainder.
  const k = Math.max(0, bitLength(b.mant) - bitLength(a.mant) + f.F + 3);
  const num_ = a.mant << BigInt(k);
  const q = num_ / b.mant;
  const sticky = num_ % b.mant !== 0n ? 1n : 0n;
  return roundPack(c, f, s, (q << 1n) | sticky, a.exp - k - b.exp - 1, rm);
};

/** FPDiv: element d = n / m (DZC for finite / 0). */
export function fdiv(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  const a = val(c, size, n), b = val(c, size, m);
  if (fastOk(c, size, a, b)) {
    if (size === 32) {
      const s = Math.fround(a / b);
      if (putSingle(c, d, s, s * b !== a)) return; // s*b is exact (48 bits)
    } else {
      const q = a / b;
      const aa = Math.abs(a), ab = Math.abs(b), aq = Math.abs(q);
      if (aa > TINY64 && aa < HUGE64 && ab >= MIN_NORMAL64 && ab < HUGE64 && aq > MIN_NORMAL64 && aq < HUGE64) {
        const p = q * b;
        if (p !== a || twoProductError(q, b, p) !== 0) c.fpsr |= FPSR_IXC;
        c.vf64[d] = q;
        return;
      }
    }
  }
  slow2(c, size, d, n, m, divOp2);
}

/** FPSqrt: element d = sqrt(n) (IOC and default NaN for n < 0, sqrt(-0) = -0). */
export function fsqrt(c: CpuState, size: FpSize, d: number, n: number): void {
  const a = val(c, size, n);
  if (fastOk(c, size, a, 0) && a > 0 && a < Infinity) {
    if (size === 32) {
      const s = Math.fround(Math.sqrt(a));
      if (putSingle(c, d, s, s * s !== a)) return;
    } else if (a > TINY64 && a < HUGE64) {
      const s = Math.sqrt(a);
      const p = s * s;
      if (p !== a || twoProductError(s, s, p) !== 0) c.fpsr |= FPSR_IXC;
      c.vf64[d] = s;
      return;
    }
  }
  const f = fmtOf(size);
  const u = unpack(c, f, readBits(c, size, n));
  writeBits(c, size, d, sqrtOp(c, f, u));
}

function sqrtOp(c: CpuState, f: Fmt, u: Unpacked): bigint {
  if (isNaN_(u)) return processNaN(c, f, u);
  if (u.type === FpType.Zero) return zeroBits(f, u.sign);
  if (u.sign) {
    c.fpsr |= FPSR_IOC;
    return f.defaultNaN;
  }
  if (u.type === FpType.Inf) return f.infBits;
  let mant = u.mant, exp = u.exp;
  if (exp & 1) {
    mant <<= 1n;
    exp -= 1;
  }
  const k = Math.max(0, Math.ceil((2 * f.F + 8 - bitLength(mant)) / 2));
  const big = mant << BigInt(2 * k);
  const s = isqrt(big);
  const sticky = s * s !== big ? 1n : 0n;
  return roundPack(c, f, 0, (s << 1n) | sticky, (exp - 2 * k) / 2 - 1, fpcrRounding(c));
}

/** FPAbs: clear the sign bit (no flags, NaNs included, never flushed). */
export function fabs(c: CpuState, size: FpSize, d: number, n: number): void {
  if (size === 32) c.vw[d] = c.vw[n] & 0x7fffffff;
  else {
    c.vw[2 * d] = c.vw[2 * n];
    c.vw[2 * d + 1] = c.vw[2 * n + 1] & 0x7fffffff;
  }
}

/** FPNeg: flip the sign bit (no flags, NaNs included, never flushed). */
export function fneg(c: CpuState, size: FpSize, d: number, n: number): void {
  if (size === 32) c.vw[d] = (c.vw[n] ^ 0x80000000) >>> 0;
  else {
    c.vw[2 * d] = c.vw[2 * n];
    c.vw[2 * d + 1] = (c.vw[2 * n + 1] ^ 0x80000000) >>> 0;
  }
}

/** FABD: element d = |n - m| (the sign of a NaN result is cleared too). */
export function fabd(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  fsub(c, size, d, n, m);
  fabs(c, size, d, d);
}

// --- Fused multiply-add -------------------------------------------------------------

/**
 * FPMulAdd: element d = a + n*m with a single rounding. `negateProduct`
 * negates n and `negateAddend` negates a before anything else (so NaN signs
 * flip too): FMADD (f,f), FMSUB (t,f), FNMADD (t,t), FNMSUB (f,t).
 */
export function fmuladd(c: CpuState, size: FpSize, d: number, a: number, n: number, m: number, negateProduct: boolean, negateAddend: boolean): void {
  if (mulAddFast(c, size, d, negateAddend ? -val(c, size, a) : val(c, size, a), negateProduct ? -val(c, size, n) : val(c, size, n), val(c, size, m))) return;
  const f = fmtOf(size);
  const ua = unpack(c, f, readBits(c, size, a) ^ (negateAddend ? f.signBit : 0n));
  const u1 = unpack(c, f, readBits(c, size, n) ^ (negateProduct ? f.signBit : 0n));
  const u2 = unpack(c, f, readBits(c, size, m));
  writeBits(c, size, d, mulAddOp(c, f, ua, u1, u2, fpcrRounding(c)));
}

// Scratch for reading a double's low significand bit and stepping by one ulp.
const SCRATCH_F = new Float64Array(1);
const SCRATCH_W = new Uint32Array(SCRATCH_F.buffer);

/**
 * x + y rounded to odd (Boldo-Melquiond): the nearest double toward zero,
 * with its last bit forced to 1 when the sum is inexact. Sets `oddInexact`.
 */
let oddInexact = false;
function addRoundOdd(x: number, y: number): number {
  const z = x + y;
  const bb = z - x;
  const err = x - (z - bb) + (y - bb);
  oddInexact = err !== 0;
  if (err === 0) return z;
  SCRATCH_F[0] = z;
  if ((SCRATCH_W[0] & 1) === 1) return z;
  // z was rounded to nearest with an even last bit: step one ulp toward the
  // exact value (toward err), which gives the odd neighbour on that side.
  const towardMagnitude = (err > 0) === (z > 0);
  const lo = SCRATCH_W[0];
  if (towardMagnitude) {
    SCRATCH_W[0] = lo + 1; // even -> odd: no carry into the high word
  } else if (lo !== 0) {
    SCRATCH_W[0] = lo - 1;
  } else {
    SCRATCH_W[0] = 0xffffffff;
    SCRATCH_W[1] -= 1;
  }
  return SCRATCH_F[0];
}

/**
 * Fused a + n*m for ordinary operands in round-to-nearest: exact product by
 * TwoProduct (single: exact in a double), exact partial sums by TwoSum, the
 * tail rounded to odd, then one final rounding. False: use the exact path.
 */
function mulAddFast(c: CpuState, size: FpSize, d: number, a: number, x: number, y: number): boolean {
  if (!fastOk(c, size, x, y) || !fastOk(c, size, a, a)) return false;
  if (size === 32) {
    const p = x * y; // exact: 24x24-bit product
    const s = addRoundOdd(p, a); // 53 >= 24 + 2: the odd rounding is innocuous
    const r = Math.fround(s);
    return putSingle(c, d, r, oddInexact || r !== s);
  }
  const ax = Math.abs(x), ay = Math.abs(y), aa = Math.abs(a);
  if (!(ax >= MIN_NORMAL64 && ax < HUGE64 && ay >= MIN_NORMAL64 && ay < HUGE64 && aa < HUGE64)) return false;
  if (a !== 0 && aa < TINY64) return false;
  const uh = x * y;
  if (!(Math.abs(uh) > TINY64)) return false;
  const ul = twoProductError(x, y, uh);
  const th = a + uh; // TwoSum(a, uh)
  const bb = th - a;
  const tl = a - (th - bb) + (uh - bb);
  const v = addRoundOdd(tl, ul);
  const vInexact = oddInexact;
  const r = th + v;
  const ar = Math.abs(r);
  if (!(ar > TINY64 && ar < HUGE64)) return false;
  const b2 = r - th;
  const e2 = th - (r - b2) + (v - b2);
  if (vInexact || e2 !== 0) c.fpsr |= FPSR_IXC;
  c.vf64[d] = r;
  return true;
}

function mulAddOp(c: CpuState, f: Fmt, ua: Unpacked, u1: Unpacked, u2: Unpacked, rm: Rounding): bigint {
  const inf1 = u1.type === FpType.Inf, inf2 = u2.type === FpType.Inf;
  const zero1 = u1.type === FpType.Zero, zero2 = u2.type === FpType.Zero;
  const nan = processNaNs(c, f, ua, u1, u2);
  // A quiet-NaN addend does not hide an invalid 0 * inf product.
  if (ua.type === FpType.QNaN && ((inf1 && zero2) || (zero1 && inf2))) {
    c.fpsr |= FPSR_IOC;
    return f.defaultNaN;
  }
  if (nan !== undefined) return nan;
  const infA = ua.type === FpType.Inf, zeroA = ua.type === FpType.Zero;
  const signP = u1.sign ^ u2.sign;
  const infP = inf1 || inf2, zeroP = zero1 || zero2;
  if ((inf1 && zero2) || (zero1 && inf2) || (infA && infP && ua.sign !== signP)) {
    c.fpsr |= FPSR_IOC;
    return f.defaultNaN;
  }
  if (infA) return infBits(f, ua.sign);
  if (infP) return infBits(f, signP);
  if (zeroA && zeroP && ua.sign === signP) return zeroBits(f, signP);
  const p = zeroP ? 0n : u1.mant * u2.mant;
  const [mant, exp] = exactAdd(signedMant(ua), ua.exp, signP ? -p : p, u1.exp + u2.exp);
  return roundSigned(c, f, mant, exp, rm);
}

/**
 * FPRecipStepFused / FPRSqrtStepFused (FRECPS, FRSQRTS): element d =
 * 2 - n*m, or (3 - n*m) / 2 when `rsqrt`, fused; inf*0 gives 2.0 / 1.5.
 */
function stepFused(c: CpuState, size: FpSize, d: number, n: number, m: number, rsqrt: boolean): void {
  const f = fmtOf(size);
  const u1 = unpack(c, f, readBits(c, size, n) ^ f.signBit);
  const u2 = unpack(c, f, readBits(c, size, m));
  const nan = processNaNs(c, f, u1, u2);
  let r: bigint;
  if (nan !== undefined) r = nan;
  else if ((u1.type === FpType.Inf && u2.type === FpType.Zero) || (u1.type === FpType.Zero && u2.type === FpType.Inf)) {
    r = rsqrt ? (BigInt(f.bias) << BigInt(f.F)) | f.quietBit : BigInt(f.bias + 1) << BigInt(f.F);
  } else if (u1.type === FpType.Inf || u2.type === FpType.Inf) r = infBits(f, u1.sign ^ u2.sign);
  else {
    const p = u1.type === FpType.Zero || u2.type === FpType.Zero ? 0n : u1.mant * u2.mant;
    const [mant, exp] = exactAdd(rsqrt ? 3n : 2n, 0, u1.sign ^ u2.sign ? -p : p, u1.exp + u2.exp);
    r = roundSigned(c, f, mant, rsqrt ? exp - 1 : exp, fpcrRounding(c));
  }
  writeBits(c, size, d, r);
}

/** FRECPS step: element d = 2 - n*m (fused). */
export function frecps(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  stepFused(c, size, d, n, m, false);
}

/** FRSQRTS step: element d = (3 - n*m) / 2 (fused). */
export function frsqrts(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  stepFused(c, size, d, n, m, true);
}

// --- Maximum and minimum --------------------------------------------------------------

/**
 * FPMax/FPMin (and FPMaxNum/FPMinNum when `num`: a single quiet NaN operand
 * is ignored). Equal zeros: max gives +0 unless both are -0, min the reverse.
 */
function minMax(c: CpuState, size: FpSize, d: number, n: number, m: number, max: boolean, numeric: boolean): void {
  const f = fmtOf(size);
  let a = unpack(c, f, readBits(c, size, n));
  let b = unpack(c, f, readBits(c, size, m));
  if (numeric) {
    const inf = infBits(f, max ? 1 : 0);
    if (a.type === FpType.QNaN && b.type !== FpType.QNaN) a = unpack(c, f, inf);
    else if (a.type !== FpType.QNaN && b.type === FpType.QNaN) b = unpack(c, f, inf);
  }
  const nan = processNaNs(c, f, a, b);
  let r: bigint;
  if (nan !== undefined) r = nan;
  else if (a.type === FpType.Zero && b.type === FpType.Zero) r = zeroBits(f, max ? a.sign & b.sign : a.sign | b.sign);
  else {
    const va = num(a), vb = num(b);
    const pick = (max ? va > vb : va < vb) ? a : b;
    r = pick.type === FpType.Zero ? zeroBits(f, pick.sign) : pick.bits;
  }
  writeBits(c, size, d, r);
}

/** FMAX: element d = max(n, m), NaNs propagate. */
export function fmax(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  minMax(c, size, d, n, m, true, false);
}
/** FMIN: element d = min(n, m), NaNs propagate. */
export function fmin(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  minMax(c, size, d, n, m, false, false);
}
/** FMAXNM: element d = maxNum(n, m): a quiet NaN loses against a number. */
export function fmaxnm(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  minMax(c, size, d, n, m, true, true);
}
/** FMINNM: element d = minNum(n, m). */
export function fminnm(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  minMax(c, size, d, n, m, false, true);
}

// --- Comparisons ----------------------------------------------------------------------

/**
 * FPCompare: NZCV (bits 31..28) for FCMP/FCMPE/FCCMP: 0110 equal, 1000
 * less, 0010 greater, 0011 unordered. IOC for a signalling NaN, or for any
 * NaN when `signalling` (FCMPE). A negative index means +0.0.
 */
export function fcompare(c: CpuState, size: FpSize, n: number, m: number, signalling: boolean): number {
  if ((n < 0 || isPlain(c, size, n)) && (m < 0 || isPlain(c, size, m))) {
    const a = n < 0 ? 0 : val(c, size, n), b = m < 0 ? 0 : val(c, size, m);
    return a === b ? 0x60000000 : a < b ? 0x80000000 : 0x20000000;
  }
  const f = fmtOf(size);
  const a = operand(c, f, n), b = operand(c, f, m);
  if (isNaN_(a) || isNaN_(b)) {
    if (signalling || a.type === FpType.SNaN || b.type === FpType.SNaN) c.fpsr |= FPSR_IOC;
    return 0x30000000;
  }
  const va = num(a), vb = num(b);
  return va === vb ? 0x60000000 : va < vb ? 0x80000000 : 0x20000000;
}

/** Ordered comparison for the vector predicates; undefined when unordered (flags set). */
function order(c: CpuState, size: FpSize, n: number, m: number, quiet: boolean, abs: boolean): number | undefined {
  const f = fmtOf(size);
  const a = operand(c, f, n), b = operand(c, f, m);
  if (isNaN_(a) || isNaN_(b)) {
    if (!quiet || a.type === FpType.SNaN || b.type === FpType.SNaN) c.fpsr |= FPSR_IOC;
    return undefined;
  }
  const va = abs ? Math.abs(num(a)) : num(a), vb = abs ? Math.abs(num(b)) : num(b);
  return va === vb ? 0 : va < vb ? -1 : 1;
}

function putMask(c: CpuState, size: FpSize, d: number, t: boolean): void {
  if (size === 32) c.vw[d] = t ? 0xffffffff : 0;
  else c.vd[d] = t ? 0xffffffffffffffffn : 0n;
}

/** FCMEQ: element d = all ones if n == m (quiet: IOC only for signalling NaNs). Negative index = +0.0. */
export function fcmeq(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  putMask(c, size, d, order(c, size, n, m, true, false) === 0);
}
/** FCMGE: element d = all ones if n >= m (IOC for any NaN). Negative index = +0.0. */
export function fcmge(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  const o = order(c, size, n, m, false, false);
  putMask(c, size, d, o !== undefined && o >= 0);
}
/** FCMGT: element d = all ones if n > m (IOC for any NaN). Negative index = +0.0. */
export function fcmgt(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  putMask(c, size, d, order(c, size, n, m, false, false) === 1);
}
/** FACGE: element d = all ones if |n| >= |m| (IOC for any NaN). */
export function facge(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  const o = order(c, size, n, m, false, true);
  putMask(c, size, d, o !== undefined && o >= 0);
}
/** FACGT: element d = all ones if |n| > |m| (IOC for any NaN). */
export function facgt(c: CpuState, size: FpSize, d: number, n: number, m: number): void {
  putMask(c, size, d, order(c, size, n, m, false, true) === 1);
}

// --- Rounding to integral and conversions ----------------------------------------------

/** Round magnitude mant * 2^exp (exp < 0) to an integer under rmode: [integer, inexact]. */
function roundToInt(mant: bigint, exp: number, sign: number, rm: Rounding): [bigint, boolean] {
  if (exp >= 0) return [mant << BigInt(exp), false];
  const sh = BigInt(-exp);
  let i = mant >> sh;
  const rem = mant & ((1n << sh) - 1n);
  if (rem === 0n) return [i, false];
  const half = 1n << (sh - 1n);
  let up = false;
  switch (rm) {
    case RN: up = rem > half || (rem === half && (i & 1n) === 1n); break;
    case RP: up = sign === 0; break;
    case RM: up = sign === 1; break;
    case RA: up = rem >= half; break;
    case RO: i |= 1n; break;
    default: break;
  }
  return [up ? i + 1n : i, true];
}

/**
 * FPRoundInt (FRINTN/P/M/Z/A/I/X): element d = n rounded to an integral
 * value under `rmode` (FPCR_ROUNDING for FPCR.RMode); `exact` (FRINTX) sets
 * IXC when the value changes. Zero results keep the operand's sign.
 */
export function frint(c: CpuState, size: FpSize, d: number, n: number, rmode: number, exact: boolean): void {
  const f = fmtOf(size);
  const u = unpack(c, f, readBits(c, size, n));
  let r: bigint;
  if (isNaN_(u)) r = processNaN(c, f, u);
  else if (u.type !== FpType.Finite || u.exp >= 0) r = u.type === FpType.Zero ? zeroBits(f, u.sign) : u.bits;
  else {
    const [i, inexact] = roundToInt(u.mant, u.exp, u.sign, roundingOf(c, rmode));
    r = i === 0n ? zeroBits(f, u.sign) : roundPack(c, f, u.sign, i, 0, RZ);
    if (inexact && exact) c.fpsr |= FPSR_IXC;
  }
  writeBits(c, size, d, r);
}

/**
 * FPConvert (FCVT, FCVTN/FCVTL lanes, FCVTXN with rmode = RO): element d of
 * size `to` = element n of size `from`. NaNs keep sign and top payload bits
 * and are quieted (IOC for signalling), or become the default NaN under DN.
 */
export function fcvt(c: CpuState, from: FpSize, to: FpSize, d: number, n: number, rmode: number = FPCR_ROUNDING): void {
  if (from === 32 && to === 64 && isPlain(c, 32, n)) {
    c.vf64[d] = c.vf32[n];
    return;
  }
  if (from === 64 && to === 32 && rmode < 0 && (c.fpcr & RMODE_MASK) === 0 && isPlain(c, 64, n)) {
    const x = c.vf64[n];
    if (putSingle(c, d, Math.fround(x), Math.fround(x) !== x)) return;
  }
  const fi = fmtOf(from), fo = fmtOf(to);
  const u = unpack(c, fi, readBits(c, from, n));
  let r: bigint;
  if (isNaN_(u)) {
    if (u.type === FpType.SNaN) c.fpsr |= FPSR_IOC;
    const payload = u.bits & fi.fracMask;
    const moved = to > from ? payload << BigInt(fo.F - fi.F) : payload >> BigInt(fi.F - fo.F);
    r = (c.fpcr & (1 << 25)) !== 0 ? fo.defaultNaN : zeroBits(fo, u.sign) | fo.infBits | fo.quietBit | moved;
  } else if (u.type === FpType.Inf) r = infBits(fo, u.sign);
  else if (u.type === FpType.Zero) r = zeroBits(fo, u.sign);
  else r = roundPack(c, fo, u.sign, u.mant, u.exp, roundingOf(c, rmode));
  writeBits(c, to, d, r);
}

/**
 * FPToFixed (FCVTZS/ZU/NS/NU/AS/AU/MS/MU/PS/PU, fixed-point FCVTZ*): element
 * n times 2^fbits, rounded under `rmode`, saturated to an `intSize`-bit
 * signed or unsigned integer. Returns the integer's bit pattern as an
 * unsigned BigInt. NaN gives 0; NaN or saturation sets IOC (and not IXC).
 */
export function fpToFixed(c: CpuState, size: FpSize, n: number, intSize: 32 | 64, unsigned: boolean, fbits: number, rmode: number): bigint {
  const rm = roundingOf(c, rmode);
  if (isPlain(c, size, n)) {
    const x = val(c, size, n) * 2 ** fbits; // exact unless it overflows, which fails the test below
    if (Math.abs(x) < 2 ** 53) {
      let i: number;
      switch (rm) {
        case RZ: i = Math.trunc(x); break;
        case RP: i = Math.ceil(x); break;
        case RM: i = Math.floor(x); break;
        case RA: {
          const t = Math.trunc(x); // x - t is exact for |x| < 2^53
          i = Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
          break;
        }
        default: {
          const fl = Math.floor(x), diff = x - fl;
          i = diff > 0.5 || (diff === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
        }
      }
      if (rm <= RA) {
        const lo = unsigned ? 0 : intSize === 32 ? -(2 ** 31) : -(2 ** 63);
        const hi = unsigned ? 2 ** intSize - 1 : 2 ** (intSize - 1) - 1;
        if (i < lo || i > hi) {
          c.fpsr |= FPSR_IOC;
          i = i < lo ? lo : hi;
        } else if (i !== x) c.fpsr |= FPSR_IXC;
        return BigInt.asUintN(intSize, BigInt(i));
      }
    }
  }
  const f = fmtOf(size);
  const u = unpack(c, f, readBits(c, size, n));
  if (isNaN_(u)) {
    c.fpsr |= FPSR_IOC;
    return 0n;
  }
  const lo = unsigned ? 0n : -(1n << BigInt(intSize - 1));
  const hi = unsigned ? (1n << BigInt(intSize)) - 1n : (1n << BigInt(intSize - 1)) - 1n;
  let v: bigint;
  let inexact = false;
  if (u.type === FpType.Zero) v = 0n;
  else if (u.type === FpType.Inf || u.exp + fbits > intSize) v = u.sign ? lo - 1n : hi + 1n; // certainly out of range
  else {
    const [i, ix] = roundToInt(u.mant, u.exp + fbits, u.sign, rm);
    v = u.sign ? -i : i;
    inexact = ix;
  }
  if (v < lo || v > hi) {
    c.fpsr |= FPSR_IOC;
    v = v < lo ? lo : hi;
  } else if (inexact) c.fpsr |= FPSR_IXC;
  return BigInt.asUintN(intSize, v);
}

/**
 * FixedToFP (SCVTF/UCVTF, with fixed-point scale): element d = the
 * `intSize`-bit integer `value` (signed unless `unsigned`) / 2^fbits,
 * rounded under `rmode` (default FPCR.RMode). Zero gives +0.
 */
export function fixedToFp(c: CpuState, size: FpSize, d: number, value: bigint, intSize: 32 | 64, unsigned: boolean, fbits: number, rmode: number = FPCR_ROUNDING): void {
  const v = unsigned ? BigInt.asUintN(intSize, value) : BigInt.asIntN(intSize, value);
  const rm = roundingOf(c, rmode);
  if (rm === RN && v < 2n ** 53n && v > -(2n ** 53n)) {
    const x = Number(v) / 2 ** fbits; // exact
    if (size === 64) c.vf64[d] = x;
    else {
      const s = Math.fround(x);
      if (s !== x) c.fpsr |= FPSR_IXC;
      c.vf32[d] = s;
    }
    return;
  }
  const f = size === 32 ? F32 : F64;
  writeBits(c, size, d, v === 0n ? 0n : roundPack(c, f, v < 0n ? 1 : 0, v < 0n ? -v : v, -fbits, rm));
}

// --- Estimates (FRECPE, FRSQRTE, FRECPX) -----------------------------------------------

/** RecipEstimate: a = 9-bit scaled operand in [256, 511] -> 9-bit estimate of 1/a. */
function recipEstimate(a: number): number {
  const b = Math.floor(2 ** 19 / (a * 2 + 1));
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate: a in [128, 511] -> 9-bit estimate of 1/sqrt(a). */
function recipSqrtEstimate(a: number): number {
  const x = a < 256 ? a * 2 + 1 : ((a >> 1) << 1) * 2 + 2;
  let b = 512;
  while (x * (b + 1) * (b + 1) < 2 ** 28) b++;
  return (b + 1) >> 1;
}

/** The operand's fraction as 52 bits (single fractions padded) and its biased exponent. */
function fractionAndExp(f: Fmt, bits: bigint): [bigint, number] {
  const frac = (bits & f.fracMask) << BigInt(52 - f.F);
  return [frac, Number((bits >> BigInt(f.F)) & ((1n << BigInt(f.E)) - 1n))];
}

/**
 * FPRecipEstimate (FRECPE): element d = an 8-bit-accurate estimate of 1/n.
 * Zero gives infinity (DZC); tiny operands overflow by rounding mode;
 * under FZ, huge operands give zero (UFC).
 */
export function frecpe(c: CpuState, size: FpSize, d: number, n: number): void {
  const f = fmtOf(size);
  const bits = readBits(c, size, n);
  const u = unpack(c, f, bits);
  let r: bigint;
  const v = isNaN_(u) ? 0 : Math.abs(num(u));
  if (isNaN_(u)) r = processNaN(c, f, u);
  else if (u.type === FpType.Inf) r = zeroBits(f, u.sign);
  else if (u.type === FpType.Zero) {
    c.fpsr |= FPSR_DZC;
    r = infBits(f, u.sign);
  } else if (v < 2 ** (size === 32 ? -128 : -1024)) {
    const rm = fpcrRounding(c);
    const toInf = rm === RN || (rm === RP && u.sign === 0) || (rm === RM && u.sign === 1);
    r = toInf ? infBits(f, u.sign) : zeroBits(f, u.sign) | f.maxNormalBits;
    c.fpsr |= FPSR_OFC | FPSR_IXC;
  } else if ((c.fpcr & FPCR_FZ) !== 0 && v >= 2 ** (size === 32 ? 126 : 1022)) {
    r = zeroBits(f, u.sign);
    c.fpsr |= FPSR_UFC;
  } else {
    let [frac, exp] = fractionAndExp(f, bits);
    if (exp === 0) {
      if ((frac >> 51n) === 0n) {
        exp = -1;
        frac = (frac << 2n) & ((1n << 52n) - 1n);
      } else frac = (frac << 1n) & ((1n << 52n) - 1n);
    }
    const scaled = 256 + Number(frac >> 44n);
    let resultExp = (size === 32 ? 253 : 2045) - exp;
    const est = recipEstimate(scaled);
    let rf = BigInt(est & 0xff) << 44n;
    if (resultExp === 0) rf = (1n << 51n) | (rf >> 1n);
    else if (resultExp === -1) {
      rf = (1n << 50n) | (rf >> 2n);
      resultExp = 0;
    }
    r = zeroBits(f, u.sign) | (BigInt(resultExp) << BigInt(f.F)) | (rf >> BigInt(52 - f.F));
  }
  writeBits(c, size, d, r);
}

/**
 * FPRSqrtEstimate (FRSQRTE): element d = an 8-bit-accurate estimate of
 * 1/sqrt(n). Zero gives infinity (DZC), negative operands the default NaN (IOC).
 */
export function frsqrte(c: CpuState, size: FpSize, d: number, n: number): void {
  const f = fmtOf(size);
  const bits = readBits(c, size, n);
  const u = unpack(c, f, bits);
  let r: bigint;
  if (isNaN_(u)) r = processNaN(c, f, u);
  else if (u.type === FpType.Zero) {
    c.fpsr |= FPSR_DZC;
    r = infBits(f, u.sign);
  } else if (u.sign) {
    c.fpsr |= FPSR_IOC;
    r = f.defaultNaN;
  } else if (u.type === FpType.Inf) r = 0n;
  else {
    let [frac, exp] = fractionAndExp(f, bits);
    if (exp === 0) {
      while ((frac >> 51n) === 0n) {
        frac <<= 1n;
        exp--;
      }
      frac = (frac << 1n) & ((1n << 52n) - 1n);
    }
    const scaled = (exp & 1) === 0 ? 256 + Number(frac >> 44n) : 128 + Number(frac >> 45n); // [0.5, 1) or [0.25, 0.5)
    const resultExp = Math.floor(((size === 32 ? 380 : 3068) - exp) / 2);
    const est = recipSqrtEstimate(scaled);
    r = (BigInt(resultExp) << BigInt(f.F)) | (BigInt(est & 0xff) << BigInt(f.F - 8));
  }
  writeBits(c, size, d, r);
}

/** FPRecpX (FRECPX): element d = n with its exponent inverted and fraction cleared. */
export function frecpx(c: CpuState, size: FpSize, d: number, n: number): void {
  const f = fmtOf(size);
  const bits = readBits(c, size, n);
  const u = unpack(c, f, bits);
  let r: bigint;
  if (isNaN_(u)) r = processNaN(c, f, u);
  else {
    const expMask = (1n << BigInt(f.E)) - 1n;
    const exp = (bits >> BigInt(f.F)) & expMask;
    const inv = exp === 0n ? expMask - 1n : ~exp & expMask;
    r = zeroBits(f, u.sign) | (inv << BigInt(f.F));
  }
  writeBits(c, size, d, r);
}
