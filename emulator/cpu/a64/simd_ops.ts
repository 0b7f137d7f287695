// Per-lane integer operations of Advanced SIMD, each in two shapes: on JS
// numbers for 8/16/32-bit lanes and on BigInts for 64-bit lanes. Operands
// arrive already read as signed or unsigned (the drivers in simd_drivers.ts
// decide that from the U bit); results may be any exact integer and are
// wrapped to the lane size when stored, unless the op saturates itself.

import { sat, sat64 } from "./simd_lanes.js";

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
} satisfies Record<string, LaneOp>;

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
} satisfies Record<string, UnaryOp>;
