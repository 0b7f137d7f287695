// Per-lane integer operations of Advanced SIMD, each in two shapes: on JS
// numbers for 8/16/32-bit lanes and on BigInts for 64-bit lanes. Operands
// arrive already read as signed or unsigned (the drivers in simd_drivers.ts
// decide that from the U bit); results may be any exact integer and are
// wrapped to the lane size when stored, unless the op saturates itself.

import { sat, sat64, sx } from "./simd_lanes.js";

/** A two-operand lane op. `acc` is the destination lane's old value (unsigned). */
export interface LaneOp {
  n(a: number, b: number, bits: number, acc: number, signed: boolean): number;
  b(a: bigint, b: bigint, acc: bigint, signed: boolean): bigint;
}

/** A one-operand lane op. */
export interface UnaryOp {
  n(a: number, bits: number, acc: number, signed: boolean): number;
  b(a: bigint, acc: bigint, signed: boolean): bigint;
}

const ALL = -1;
const ALLB = -1n;

/** Shift `a` by a signed register amount `s` (SSHL/USHL/SRSHL/URSHL, Arm ARM C7.2.3xx). */
function shiftN(a: number, s: number, bits: number, round: boolean): number {
  if (s >= 0) {
    if (s >= bits) return 0;
    return bits === 32 ? a << s : a * 2 ** s;
  }
  const r = -s;
  return Math.floor(round ? (a + 2 ** (r - 1)) / 2 ** r : a / 2 ** r);
}

function shiftB(a: bigint, s: number, round: boolean): bigint {
  if (s >= 0) return s >= 64 ? 0n : a << BigInt(s);
  const r = BigInt(-s);
  return round ? (a + (1n << (r - 1n))) >> r : a >> r;
}

/** Saturating shift by a signed register amount (SQSHL/UQSHL/SQRSHL/UQRSHL): left shifts saturate. */
function qshiftN(a: number, s: number, bits: number, round: boolean, signed: boolean): number {
  if (s >= 0) return a === 0 ? 0 : sat(a * 2 ** Math.min(s, 64), bits, signed);
  return shiftN(a, s, bits, round);
}

function qshiftB(a: bigint, s: number, round: boolean, signed: boolean): bigint {
  if (s >= 0) return a === 0n ? 0n : sat64(a << BigInt(Math.min(s, 80)), 64, signed);
  return shiftB(a, s, round);
}

/** Carry-less (polynomial) product of two 8-bit values (PMUL, PMULL). */
function clmul8(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if ((b >> i) & 1) r ^= a << i;
  return r;
}

/** SQDMULH/SQRDMULH on 16- or 32-bit lanes: high half of 2*a*b (rounded), saturated. */
function qdmulhN(a: number, b: number, bits: number, round: boolean): number {
  const p = 2n * BigInt(a) * BigInt(b) + (round ? 1n << BigInt(bits - 1) : 0n);
  return Number(sat64(p >> BigInt(bits), bits, true));
}

/** The saturated doubled product 2*a*b at `bits` (SQDMULL and the product of SQDMLAL/SQDMLSL). */
function qdmullN(a: number, b: number, bits: number): number {
  return sat(2 * a * b, bits, true);
}

const absN = (v: number) => (v < 0 ? -v : v);
const absB = (v: bigint) => (v < 0n ? -v : v);

export const OPS = {
  ADD: { n: (a, b) => a + b, b: (a, b) => a + b } as LaneOp,
  SUB: { n: (a, b) => a - b, b: (a, b) => a - b } as LaneOp,
  MUL: { n: (a, b) => Math.imul(a, b), b: (a, b) => a * b } as LaneOp,
  MLA: { n: (a, b, _s, acc) => acc + Math.imul(a, b), b: (a, b, acc) => acc + a * b } as LaneOp,
  MLS: { n: (a, b, _s, acc) => acc - Math.imul(a, b), b: (a, b, acc) => acc - a * b } as LaneOp,
  HADD: { n: (a, b) => Math.floor((a + b) / 2), b: (a, b) => (a + b) >> 1n } as LaneOp,
  RHADD: { n: (a, b) => Math.floor((a + b + 1) / 2), b: (a, b) => (a + b + 1n) >> 1n } as LaneOp,
  HSUB: { n: (a, b) => Math.floor((a - b) / 2), b: (a, b) => (a - b) >> 1n } as LaneOp,
  QADD: { n: (a, b, bits, _acc, s) => sat(a + b, bits, s), b: (a, b, _acc, s) => sat64(a + b, 64, s) } as LaneOp,
  QSUB: { n: (a, b, bits, _acc, s) => sat(a - b, bits, s), b: (a, b, _acc, s) => sat64(a - b, 64, s) } as LaneOp,
  CMGT: { n: (a, b) => (a > b ? ALL : 0), b: (a, b) => (a > b ? ALLB : 0n) } as LaneOp,
  CMGE: { n: (a, b) => (a >= b ? ALL : 0), b: (a, b) => (a >= b ? ALLB : 0n) } as LaneOp,
  CMEQ: { n: (a, b) => (a === b ? ALL : 0), b: (a, b) => (a === b ? ALLB : 0n) } as LaneOp,
  CMTST: { n: (a, b) => ((a & b) !== 0 ? ALL : 0), b: (a, b) => ((a & b) !== 0n ? ALLB : 0n) } as LaneOp,
  MAX: { n: (a, b) => (a > b ? a : b), b: (a, b) => (a > b ? a : b) } as LaneOp,
  MIN: { n: (a, b) => (a < b ? a : b), b: (a, b) => (a < b ? a : b) } as LaneOp,
  ABD: { n: (a, b) => absN(a - b), b: (a, b) => absB(a - b) } as LaneOp,
  ABA: { n: (a, b, _s, acc) => acc + absN(a - b), b: (a, b, acc) => acc + absB(a - b) } as LaneOp,
  // The shift amount is the signed low byte of the Vm lane, whatever its size.
  SHL: { n: (a, b, bits) => shiftN(a, (b << 24) >> 24, bits, false), b: (a, b) => shiftB(a, Number(BigInt.asIntN(8, b)), false) } as LaneOp,
  RSHL: { n: (a, b, bits) => shiftN(a, (b << 24) >> 24, bits, true), b: (a, b) => shiftB(a, Number(BigInt.asIntN(8, b)), true) } as LaneOp,
  QSHL: { n: (a, b, bits, _acc, sg) => qshiftN(a, (b << 24) >> 24, bits, false, sg), b: (a, b, _acc, sg) => qshiftB(a, Number(BigInt.asIntN(8, b)), false, sg) } as LaneOp,
  QRSHL: { n: (a, b, bits, _acc, sg) => qshiftN(a, (b << 24) >> 24, bits, true, sg), b: (a, b, _acc, sg) => qshiftB(a, Number(BigInt.asIntN(8, b)), true, sg) } as LaneOp,
  PMUL: { n: (a, b) => clmul8(a, b), b: () => 0n } as LaneOp,
  QDMULH: { n: (a, b, bits) => qdmulhN(a, b, bits, false), b: () => 0n } as LaneOp,
  QRDMULH: { n: (a, b, bits) => qdmulhN(a, b, bits, true), b: () => 0n } as LaneOp,
  // Widening forms run at the destination width: 32 bits (number) or 64 (BigInt). The accumulator is signed.
  QDMULL: { n: (a, b, bits) => qdmullN(a, b, bits), b: (a, b) => sat64(2n * a * b, 64, true) } as LaneOp,
  QDMLAL: {
    n: (a, b, bits, acc) => sat((acc | 0) + qdmullN(a, b, bits), bits, true),
    b: (a, b, acc) => sat64(BigInt.asIntN(64, acc) + sat64(2n * a * b, 64, true), 64, true),
  } as LaneOp,
  QDMLSL: {
    n: (a, b, bits, acc) => sat((acc | 0) - qdmullN(a, b, bits), bits, true),
    b: (a, b, acc) => sat64(BigInt.asIntN(64, acc) - sat64(2n * a * b, 64, true), 64, true),
  } as LaneOp,
} satisfies Record<string, LaneOp>;

/**
 * UnsignedRecipEstimate (URECPE, 32-bit): all ones when bit 31 is clear,
 * else RecipEstimate of the top 9 bits in bits 31:23 (Arm ARM J1).
 */
function urecpe(a: number): number {
  if (a < 0x80000000) return 0xffffffff;
  const x = (a >>> 23) * 2 + 1; // 9-bit input in [256, 511], plus half an ulp
  const b = Math.floor(2 ** 19 / x);
  return ((b + 1) >>> 1) * 2 ** 23;
}

/** UnsignedRSqrtEstimate (URSQRTE, 32-bit): all ones when bits 31:30 are clear, else RecipSqrtEstimate of bits 31:23. */
function ursqrte(a: number): number {
  if (a < 0x40000000) return 0xffffffff;
  let x = a >>> 23; // [128, 511]: 0.25 <= x/512 < 1
  // In units of 1/512 (x < 256) or 1/256 (bottom bit dropped), rounded to nearest.
  x = x < 256 ? x * 2 + 1 : (((x >> 1) << 1) + 1) * 2;
  let b = 512;
  while (x * (b + 1) * (b + 1) < 2 ** 28) b++; // largest b < 1/sqrt(x), in units of 1/512
  return ((b + 1) >>> 1) * 2 ** 23;
}

function clzN(a: number, bits: number): number {
  return Math.clz32(a) - (32 - bits);
}

function clzB(a: bigint): number {
  const hi = Number(a >> 32n);
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(Number(a & 0xffffffffn));
}

function popcount8(v: number): number {
  v = v - ((v >> 1) & 0x55);
  v = (v & 0x33) + ((v >> 2) & 0x33);
  return (v + (v >> 4)) & 0x0f;
}

function rbit8(v: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((v >> i) & 1) << (7 - i);
  return r;
}

export const UNOPS = {
  ABS: { n: (a) => absN(a), b: (a) => absB(a) } as UnaryOp,
  NEG: { n: (a) => -a, b: (a) => -a } as UnaryOp,
  SQABS: { n: (a, bits) => sat(absN(a), bits, true), b: (a) => sat64(absB(a), 64, true) } as UnaryOp,
  SQNEG: { n: (a, bits) => sat(-a, bits, true), b: (a) => sat64(-a, 64, true) } as UnaryOp,
  CMGT0: { n: (a) => (a > 0 ? ALL : 0), b: (a) => (a > 0n ? ALLB : 0n) } as UnaryOp,
  CMGE0: { n: (a) => (a >= 0 ? ALL : 0), b: (a) => (a >= 0n ? ALLB : 0n) } as UnaryOp,
  CMEQ0: { n: (a) => (a === 0 ? ALL : 0), b: (a) => (a === 0n ? ALLB : 0n) } as UnaryOp,
  CMLE0: { n: (a) => (a <= 0 ? ALL : 0), b: (a) => (a <= 0n ? ALLB : 0n) } as UnaryOp,
  CMLT0: { n: (a) => (a < 0 ? ALL : 0), b: (a) => (a < 0n ? ALLB : 0n) } as UnaryOp,
  // CLZ reads unsigned lanes, CLS signed ones: CLS(x) = CLZ(x ^ (x >> 1)) - 1.
  CLZ: { n: (a, bits) => clzN(a, bits), b: (a) => BigInt(clzB(a)) } as UnaryOp,
  CLS: {
    n: (a, bits) => clzN(((a ^ (a >> 1)) & (bits === 32 ? ALL : (1 << bits) - 1)) >>> 0, bits) - 1,
    b: (a) => BigInt(clzB(BigInt.asUintN(64, a ^ (a >> 1n))) - 1),
  } as UnaryOp,
  CNT: { n: (a) => popcount8(a), b: () => 0n } as UnaryOp,
  RBIT: { n: (a) => rbit8(a), b: () => 0n } as UnaryOp,
  NOT: { n: (a) => ~a, b: (a) => ~a } as UnaryOp,
  // SUQADD: signed Vd + unsigned Vn (read unsigned), signed saturation; USQADD the reverse.
  SUQADD: { n: (a, bits, acc) => sat(sx(acc, bits) + a, bits, true), b: (a, acc) => sat64(BigInt.asIntN(64, acc) + a, 64, true) } as UnaryOp,
  USQADD: { n: (a, bits, acc) => sat(acc + a, bits, false), b: (a, acc) => sat64(acc + a, 64, false) } as UnaryOp,
  URECPE: { n: (a) => urecpe(a), b: () => 0n } as UnaryOp,
  URSQRTE: { n: (a) => ursqrte(a), b: () => 0n } as UnaryOp,
} satisfies Record<string, UnaryOp>;
