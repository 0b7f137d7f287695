// Lane access for Advanced SIMD helpers: reading elements of V registers as
// JS numbers (8/16/32-bit lanes) or BigInts (64-bit lanes), a scratch
// register the helpers build their result in, and the commit that copies it
// to the destination (so a destination that aliases a source is harmless).
//
// Element i of size esize in Vn is little-endian lane i (Arm ARM B1.2.2):
//
//   127                                  0
//   | ... | lane 2 | lane 1 | lane 0 |      lane i at bytes [i*esize/8, (i+1)*esize/8)
//
// `esz` everywhere is log2 of the element size in bytes (0 = B, 1 = H,
// 2 = S, 3 = D), as in the `size` field of most encodings.

import type { CpuState } from "../state.js";

/** FPSR.QC, the cumulative saturation bit (Arm ARM C5.2.8). */
export const FPSR_QC = 1 << 27;

/** The scratch register a helper builds its result in. */
const scratchBuf = new ArrayBuffer(16);
export const sb = new Uint8Array(scratchBuf);
export const sh = new Uint16Array(scratchBuf);
export const sw = new Uint32Array(scratchBuf);
export const sd = new BigUint64Array(scratchBuf);

/** Saturation seen by the current helper; helpers clear it, lane ops set it. */
export const SAT = { qc: false };

/** Clear the scratch result (lanes beyond those written read as zero). */
export function clearScratch(): void {
  sd[0] = 0n;
  sd[1] = 0n;
}

/**
 * Copy the scratch result to Vd. `bytes` is how much of it is the result
 * (8 for a D-form: bits 127:64 of Vd become zero; 16 for a Q-form; a scalar
 * result is written with its upper bytes already zero in the scratch).
 * Also folds SAT.qc into FPSR.QC.
 */
export function commit(c: CpuState, d: number, bytes: number): void {
  c.vd[2 * d] = sd[0];
  c.vd[2 * d + 1] = bytes > 8 ? sd[1] : 0n;
  if (SAT.qc) {
    c.fpsr |= FPSR_QC;
    SAT.qc = false;
  }
}

/** Unsigned element `i` of size 8/16/32 bits of Vr, as a number. */
export function getU(c: CpuState, r: number, i: number, esz: number): number {
  switch (esz) {
    case 0: return c.vb[r * 16 + i];
    case 1: return c.vh[r * 8 + i];
    default: return c.vw[r * 4 + i];
  }
}

/** Signed element `i` of size 8/16/32 bits of Vr, as a number. */
function getS(c: CpuState, r: number, i: number, esz: number): number {
  switch (esz) {
    case 0: return (c.vb[r * 16 + i] << 24) >> 24;
    case 1: return (c.vh[r * 8 + i] << 16) >> 16;
    default: return c.vw[r * 4 + i] | 0;
  }
}

/** Element `i` of Vr read signed or unsigned (8/16/32-bit lanes). */
export function get(c: CpuState, r: number, i: number, esz: number, signed: boolean): number {
  return signed ? getS(c, r, i, esz) : getU(c, r, i, esz);
}

/** 64-bit element `i` of Vr, signed or unsigned. */
export function get64(c: CpuState, r: number, i: number, signed: boolean): bigint {
  const v = c.vd[r * 2 + i];
  return signed ? BigInt.asIntN(64, v) : v;
}

/** Element `i` of Vr as a BigInt for any size (for widening to 64 bits). */
export function getBig(c: CpuState, r: number, i: number, esz: number, signed: boolean): bigint {
  return esz === 3 ? get64(c, r, i, signed) : BigInt(get(c, r, i, esz, signed));
}

/** Store `v` (an exact integer; wraps modulo 2^esize) into scratch lane i. */
export function put(i: number, esz: number, v: number): void {
  switch (esz) {
    case 0: sb[i] = v; break;
    case 1: sh[i] = v; break;
    default: sw[i] = v; break;
  }
}

/** Store a BigInt into 64-bit scratch lane i (wraps modulo 2^64). */
export function put64(i: number, v: bigint): void {
  sd[i] = BigInt.asUintN(64, v);
}

/** Sign-extend the low `bits` bits of a number (bits <= 32). */
export function sx(v: number, bits: number): number {
  return bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
}

/** Clamp `v` to the signed or unsigned range of `bits` bits, noting saturation. */
export function sat(v: number, bits: number, signed: boolean): number {
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (v < lo) {
    SAT.qc = true;
    return lo;
  }
  if (v > hi) {
    SAT.qc = true;
    return hi;
  }
  return v;
}

/** BigInt clamp to a signed or unsigned range of `bits` bits, noting saturation. */
export function sat64(v: bigint, bits: number, signed: boolean): bigint {
  const b = BigInt(bits);
  const lo = signed ? -(1n << (b - 1n)) : 0n;
  const hi = signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  if (v < lo) {
    SAT.qc = true;
    return lo;
  }
  if (v > hi) {
    SAT.qc = true;
    return hi;
  }
  return v;
}
