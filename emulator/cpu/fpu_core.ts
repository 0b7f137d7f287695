// Exact floating-point core: operand unpacking, NaN processing and rounding
// (Arm ARM J1 pseudocode library: FPUnpack, FPProcessNaNs, FPRoundBase).
// Values are handled exactly as sign * mant * 2^exp with a BigInt mant, so
// every rounding mode and every FPSR flag comes out as the architecture says.
// This is the slow path of fpu.ts; the fast paths there fall back to it.
//
// FPCR (the bits we model; trap enables read as 0):
//   31      26  25  24  23 22  21    19
//   +--------+---+---+-------+-------+----+----
//   |  RES0  |AHP| DN| FZ | RMode |     |FZ16|
//   +--------+---+---+-------+-------+----+----
// FPSR cumulative exception bits:
//   27   7     4     3     2     1     0
//   QC  IDC   IXC   UFC   OFC   DZC   IOC

import type { CpuState } from "./state.js";

export const FPCR_DN = 1 << 25;
export const FPCR_FZ = 1 << 24;
export const FPCR_RMODE_SHIFT = 22;

export const FPSR_IOC = 1 << 0;
export const FPSR_DZC = 1 << 1;
export const FPSR_OFC = 1 << 2;
export const FPSR_UFC = 1 << 3;
export const FPSR_IXC = 1 << 4;
export const FPSR_IDC = 1 << 7;

/** Rounding modes: 0..3 are FPCR.RMode values; TIEAWAY and ODD are instruction-selected. */
export const RN = 0; // FPRounding_TIEEVEN
export const RP = 1; // FPRounding_POSINF
export const RM = 2; // FPRounding_NEGINF
export const RZ = 3; // FPRounding_ZERO
export const RA = 4; // FPRounding_TIEAWAY (FCVTA*, FRINTA)
export const RO = 5; // FPRounding_ODD (FCVTXN)
export type Rounding = 0 | 1 | 2 | 3 | 4 | 5;

export type FpSize = 32 | 64;

/** Layout constants of one IEEE binary format. */
export interface Fmt {
  size: FpSize;
  /** Fraction bits (F) and exponent bits (E). */
  F: number;
  E: number;
  bias: number;
  /** Unbiased exponent of the smallest normal: 1 - bias. */
  minExp: number;
  signBit: bigint;
  fracMask: bigint;
  quietBit: bigint;
  infBits: bigint;
  maxNormalBits: bigint;
  defaultNaN: bigint;
}

function fmt(size: FpSize, E: number, F: number): Fmt {
  const bias = (1 << (E - 1)) - 1;
  const expAll = ((1n << BigInt(E)) - 1n) << BigInt(F);
  return {
    size, E, F, bias, minExp: 1 - bias,
    signBit: 1n << BigInt(size - 1),
    fracMask: (1n << BigInt(F)) - 1n,
    quietBit: 1n << BigInt(F - 1),
    infBits: expAll,
    maxNormalBits: expAll - 1n,
    defaultNaN: expAll | (1n << BigInt(F - 1)),
  };
}

export const F32 = fmt(32, 8, 23);
export const F64 = fmt(64, 11, 52);
export const fmtOf = (size: FpSize): Fmt => (size === 32 ? F32 : F64);

export enum FpType { Zero, Finite, Inf, QNaN, SNaN }

/** An unpacked operand: value = (-1)^sign * mant * 2^exp when Finite. */
export interface Unpacked {
  type: FpType;
  sign: 0 | 1;
  mant: bigint;
  exp: number;
  /** The raw encoding (needed to propagate NaN payloads). */
  bits: bigint;
}

/** Raw bits of element i (an index into vw for size 32, vd for size 64). */
export function readBits(c: CpuState, size: FpSize, i: number): bigint {
  return size === 32 ? BigInt(c.vw[i]) : c.vd[i];
}

/** Write raw bits to element i. */
export function writeBits(c: CpuState, size: FpSize, i: number, bits: bigint): void {
  if (size === 32) c.vw[i] = Number(bits);
  else c.vd[i] = bits;
}

/**
 * FPUnpack: classify `bits`. With FPCR.FZ a denormal reads as a zero of the
 * same sign and sets FPSR.IDC. (FABS/FNEG never unpack: they edit raw bits.)
 */
export function unpack(c: CpuState, f: Fmt, bits: bigint): Unpacked {
  const sign: 0 | 1 = (bits & f.signBit) !== 0n ? 1 : 0;
  const e = Number((bits >> BigInt(f.F)) & ((1n << BigInt(f.E)) - 1n));
  const frac = bits & f.fracMask;
  if (e === 0) {
    if (frac === 0n) return { type: FpType.Zero, sign, mant: 0n, exp: 0, bits };
    if ((c.fpcr & FPCR_FZ) !== 0) {
      c.fpsr |= FPSR_IDC;
      return { type: FpType.Zero, sign, mant: 0n, exp: 0, bits };
    }
    return { type: FpType.Finite, sign, mant: frac, exp: f.minExp - f.F, bits };
  }
  if (e === (1 << f.E) - 1) {
    if (frac === 0n) return { type: FpType.Inf, sign, mant: 0n, exp: 0, bits };
    return { type: (frac & f.quietBit) !== 0n ? FpType.QNaN : FpType.SNaN, sign, mant: 0n, exp: 0, bits };
  }
  return { type: FpType.Finite, sign, mant: frac | (1n << BigInt(f.F)), exp: e - f.bias - f.F, bits };
}

export const isNaN_ = (u: Unpacked): boolean => u.type >= FpType.QNaN;

/** FPProcessNaN: quiet a signalling NaN (IOC), or the default NaN under FPCR.DN. */
export function processNaN(c: CpuState, f: Fmt, u: Unpacked): bigint {
  let r = u.bits;
  if (u.type === FpType.SNaN) {
    c.fpsr |= FPSR_IOC;
    r |= f.quietBit;
  }
  return (c.fpcr & FPCR_DN) !== 0 ? f.defaultNaN : r;
}

/**
 * FPProcessNaNs / FPProcessNaNs3: the first signalling NaN in operand order,
 * else the first quiet NaN; undefined when no operand is a NaN.
 */
export function processNaNs(c: CpuState, f: Fmt, ...ops: Unpacked[]): bigint | undefined {
  for (const u of ops) if (u.type === FpType.SNaN) return processNaN(c, f, u);
  for (const u of ops) if (u.type === FpType.QNaN) return processNaN(c, f, u);
  return undefined;
}

export const zeroBits = (f: Fmt, sign: number): bigint => (sign ? f.signBit : 0n);
export const infBits = (f: Fmt, sign: number): bigint => (sign ? f.signBit : 0n) | f.infBits;

/** Number of significant bits of a positive BigInt. */
export function bitLength(v: bigint): number {
  // toString(2) is exact and fast enough for the slow path.
  return v === 0n ? 0 : v.toString(2).length;
}

/** The rounding mode FPCR.RMode selects. */
export const fpcrRounding = (c: CpuState): Rounding => ((c.fpcr >>> FPCR_RMODE_SHIFT) & 3) as Rounding;

/**
 * FPRoundBase: round the exact nonzero value (-1)^sign * mant * 2^exp to
 * format f under `rmode`, honouring FPCR.FZ output flushing, and set
 * UFC/OFC/IXC. Returns the encoding. Tininess is detected before rounding
 * (on the unrounded exponent), as the Arm pseudocode does.
 */
export function roundPack(c: CpuState, f: Fmt, sign: number, mant: bigint, exp: number, rmode: Rounding, fz = (c.fpcr & FPCR_FZ) !== 0): bigint {
  const e = exp + bitLength(mant) - 1; // value in [2^e, 2^(e+1))
  if (e < f.minExp && fz) {
    c.fpsr |= FPSR_UFC;
    return zeroBits(f, sign);
  }
  const q = Math.max(e, f.minExp) - f.F; // exponent of the result's last place
  let intMant: bigint;
  let inexact = false;
  let roundUp = false;
  if (exp >= q) {
    intMant = mant << BigInt(exp - q);
  } else {
    const sh = BigInt(q - exp);
    intMant = mant >> sh;
    const rem = mant & ((1n << sh) - 1n);
    if (rem !== 0n) {
      inexact = true;
      const half = 1n << (sh - 1n);
      switch (rmode) {
        case RN: roundUp = rem > half || (rem === half && (intMant & 1n) === 1n); break;
        case RP: roundUp = sign === 0; break;
        case RM: roundUp = sign === 1; break;
        case RA: roundUp = rem >= half; break;
        case RO: intMant |= 1n; break;
        default: break;
      }
    }
  }
  if (inexact && e < f.minExp) c.fpsr |= FPSR_UFC;
  if (roundUp) intMant += 1n;
  // Denormal: biased exponent 0 and intMant < 2^F; a carry to 2^F gives the
  // smallest normal. Normal: intMant in [2^F, 2^(F+1)], a carry to 2^(F+1)
  // bumps the exponent through the addition.
  const biased = e < f.minExp ? 0 : e + f.bias;
  const bits = (BigInt(Math.max(biased - 1, 0)) << BigInt(f.F)) + intMant;
  if (bits >= f.infBits) {
    c.fpsr |= FPSR_OFC | FPSR_IXC;
    const toInf = rmode === RN || rmode === RA || (rmode === RP && sign === 0) || (rmode === RM && sign === 1);
    return (sign ? f.signBit : 0n) | (toInf ? f.infBits : f.maxNormalBits);
  }
  if (inexact) c.fpsr |= FPSR_IXC;
  return (sign ? f.signBit : 0n) | bits;
}

/**
 * Round an exact signed value mant * 2^exp (mant may be negative or zero);
 * an exact zero gets the sign the rounding mode gives a zero sum (-0 only
 * when rounding toward minus infinity).
 */
export function roundSigned(c: CpuState, f: Fmt, mant: bigint, exp: number, rmode: Rounding): bigint {
  if (mant === 0n) return zeroBits(f, rmode === RM ? 1 : 0);
  return mant < 0n ? roundPack(c, f, 1, -mant, exp, rmode) : roundPack(c, f, 0, mant, exp, rmode);
}

/** Signed exact mantissa of a Finite/Zero operand. */
export const signedMant = (u: Unpacked): bigint => (u.sign ? -u.mant : u.mant);

/** Exact sum of two signed values a*2^ea + b*2^eb as [mant, exp]. */
export function exactAdd(a: bigint, ea: number, b: bigint, eb: number): [bigint, number] {
  if (a === 0n) return [b, eb];
  if (b === 0n) return [a, ea];
  const e = Math.min(ea, eb);
  return [(a << BigInt(ea - e)) + (b << BigInt(eb - e)), e];
}

/** Floor square root of a non-negative BigInt (Newton iteration). */
export function isqrt(v: bigint): bigint {
  if (v < 2n) return v;
  let x = 1n << BigInt((bitLength(v) >> 1) + 1);
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
