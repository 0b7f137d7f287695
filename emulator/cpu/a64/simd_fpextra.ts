// Half-precision conversions for FCVTL/FCVTL2 (half -> single) and
// FCVTN/FCVTN2 (single -> half), built on the exact FP core (../fpu_core.ts),
// which itself only knows single and double.
//
// binary16:
//   15  14      10  9          0
//   | S |  exp(5) | fraction(10)|     bias 15
// IEEE (FPCR.AHP = 0): NaN/Inf at exp = 31. Alternative half precision
// (FPCR.AHP = 1): exp = 31 is an ordinary binade, there is no NaN or
// infinity; converting a NaN gives a zero, an infinity or an overflow gives
// the largest magnitude, each with Invalid Operation (IOC) and no OFC.
//
// Per FPUnpackCV/FPRoundCV (Arm ARM J1): a single-precision input is flushed
// under FPCR.FZ, half-precision inputs and outputs never are (FZ16 is
// ignored by conversions), NaNs keep their sign and top payload bits and are
// quieted (IOC for a signalling NaN) or become the default NaN under FPCR.DN.

import type { CpuState } from "../state.js";
import { F32, F64, Fmt, FpSize, FpType, FPCR_DN, FPSR_IOC, FPSR_OFC, fpcrRounding, roundPack, RZ, unpack } from "../fpu_core.js";
import { fixedToFp, fpToFixed } from "../fpu.js";
import { clearScratch, commit, sd, sh, sw } from "./simd_lanes.js";

/** binary16 layout for roundPack (its `size` is only used for the sign bit, given here). */
const F16: Fmt = {
  size: 16 as unknown as FpSize,
  E: 5, F: 10, bias: 15, minExp: -14,
  signBit: 0x8000n, fracMask: 0x3ffn, quietBit: 0x200n,
  infBits: 0x7c00n, maxNormalBits: 0x7bffn, defaultNaN: 0x7e00n,
};

/** FPCR.AHP: alternative half-precision format. */
const FPCR_AHP = 1 << 26;

/** The AHP layout: encodings up to 0x7fff are numbers, so "overflow" starts at 0x8000 (sign kept apart). */
const F16_AHP: Fmt = { ...F16, signBit: 0x10000n, infBits: 0x8000n, maxNormalBits: 0x7fffn };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** FPConvert single -> half of raw single bits; returns the half bits. */
export function singleToHalf(c: CpuState, bits: number): number {
  return toHalf(c, F32, BigInt(bits >>> 0), (bits >>> 13) & 0x3ff);
}

/** FPConvert double -> half of raw double bits (one rounding, no detour through single). */
export function doubleToHalf(c: CpuState, bits: bigint): number {
  return toHalf(c, F64, bits, Number((bits >> 42n) & 0x3ffn));
}

/** FPConvert to half from `fmt`; `payload` is the NaN payload's top 10 bits. */
function toHalf(c: CpuState, fmt: Fmt, bits: bigint, payload: number): number {
  const u = unpack(c, fmt, bits);
  const sign = u.sign << 15;
  if ((c.fpcr & FPCR_AHP) !== 0) return singleToAhp(c, u.type, sign, u.mant, u.exp);
  switch (u.type) {
    case FpType.QNaN:
    case FpType.SNaN:
      if (u.type === FpType.SNaN) c.fpsr |= FPSR_IOC;
      if ((c.fpcr & FPCR_DN) !== 0) return 0x7e00;
      return sign | 0x7e00 | payload;
    case FpType.Inf: return sign | 0x7c00;
    case FpType.Zero: return sign;
    default: return Number(roundPack(c, F16, u.sign, u.mant, u.exp, fpcrRounding(c), false));
  }
}

function singleToAhp(c: CpuState, type: FpType, sign: number, mant: bigint, exp: number): number {
  switch (type) {
    case FpType.QNaN:
    case FpType.SNaN:
      c.fpsr |= FPSR_IOC;
      return sign;
    case FpType.Inf:
      c.fpsr |= FPSR_IOC;
      return sign | 0x7fff;
    case FpType.Zero:
      return sign;
    default: {
      const before = c.fpsr;
      c.fpsr &= ~FPSR_OFC;
      const r = Number(roundPack(c, F16_AHP, sign >> 15, mant, exp, fpcrRounding(c), false)) & 0x7fff;
      if ((c.fpsr & FPSR_OFC) !== 0) {
        c.fpsr = before | FPSR_IOC; // out of range: no OFC/IXC, Invalid Operation instead
        return sign | 0x7fff;
      }
      c.fpsr |= before & FPSR_OFC;
      return sign | r;
    }
  }
}

/** FPConvert half -> single (always exact); returns the single bits. */
export function halfToSingle(c: CpuState, h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f, frac = h & 0x3ff;
  if (e === 0x1f && (c.fpcr & FPCR_AHP) === 0) {
    if (frac === 0) return (sign | 0x7f800000) >>> 0;
    if ((frac & 0x200) === 0) c.fpsr |= FPSR_IOC;
    if ((c.fpcr & FPCR_DN) !== 0) return 0x7fc00000;
    return (sign | 0x7fc00000 | (frac << 13)) >>> 0;
  }
  f32[0] = e === 0 ? frac * 2 ** -24 : (1024 + frac) * 2 ** (e - 25);
  return (u32[0] | sign) >>> 0;
}

/** FCVTL/FCVTL2 4S <- 4H: the halves of 64-bit half `part` of Vn widen to singles. */
export function fcvtlHalf(c: CpuState, part: number, d: number, n: number): void {
  const hs = [0, 1, 2, 3].map((i) => c.vh[8 * n + 4 * part + i]);
  clearScratch();
  for (let i = 0; i < 4; i++) sw[i] = halfToSingle(c, hs[i]);
  commit(c, d, 16);
}

/** FCVTN/FCVTN2 4H <- 4S: singles of Vn narrow into half `part` of Vd (part 1 keeps the low half). */
export function fcvtnHalf(c: CpuState, part: number, d: number, n: number): void {
  const ws = [0, 1, 2, 3].map((i) => c.vw[4 * n + i]);
  const keepLow = part === 1 ? c.vd[2 * d] : 0n;
  clearScratch();
  sd[0] = keepLow;
  for (let i = 0; i < 4; i++) sh[4 * part + i] = singleToHalf(c, ws[i]);
  commit(c, d, part === 1 ? 16 : 8);
}

// --- Integer <-> single conversions with a host fast path ------------------------------

const RMODE_MASK = 3 << 22;
const FPSR_IXC = 1 << 4;
const MIN_NORMAL32 = 2 ** -126;

/**
 * SCVTF/UCVTF (fbits = 0) of 32-bit lane N into single lane D. Under
 * round-to-nearest a host fround is the correctly rounded result (the
 * integer is exact in a double); IXC when it changed. Other rounding modes
 * go to the FP core.
 */
export function cvtIntToSingle(c: CpuState, d: number, n: number, unsigned: boolean): void {
  if ((c.fpcr & RMODE_MASK) !== 0) {
    fixedToFp(c, 32, d, BigInt(c.vw[n]), 32, unsigned, 0);
    return;
  }
  const v = unsigned ? c.vw[n] : c.vw[n] | 0;
  const r = Math.fround(v);
  c.vf32[d] = r;
  if (r !== v) c.fpsr |= FPSR_IXC;
}

/**
 * FCVTZS/FCVTZU (fbits = 0) of single lane N into 32-bit lane D: truncation
 * on the host for ordinary in-range operands (IXC when a fraction is
 * dropped); NaNs, denormals (FZ and IDC), and out-of-range values (IOC,
 * saturation) go to the FP core.
 */
export function cvtSingleToIntZ(c: CpuState, d: number, n: number, unsigned: boolean): void {
  const x = c.vf32[n];
  const t = Math.trunc(x);
  const inRange = unsigned ? t >= 0 && t <= 0xffffffff : t >= -0x80000000 && t <= 0x7fffffff;
  if (inRange && (x === 0 || Math.abs(x) >= MIN_NORMAL32)) {
    c.vw[d] = t;
    if (t !== x) c.fpsr |= FPSR_IXC;
    return;
  }
  c.vw[d] = Number(fpToFixed(c, 32, n, 32, unsigned, 0, RZ));
}
