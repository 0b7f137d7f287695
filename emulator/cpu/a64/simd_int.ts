// Advanced SIMD integer data processing (Arm ARM C4.1.95): three same,
// three different, two-register misc, across lanes, shift by immediate and
// by-element multiplies, in vector and scalar forms. FP opcodes of the same
// groups are handed to simd_fparith.ts.
//
// Hot element-wise ops (ADD, SUB, MUL, MLA, logic) are emitted inline over
// the typed views; each lane reads only its own lane of the sources, so
// in-place updates are safe when Vd is also a source. Everything else calls
// a lane driver (simd_drivers.ts), which works on a scratch copy.

import type { BlockBuilder } from "../builder.js";
import { bits } from "./table.js";
import { call, fields, VIEW_BY_ESZ, zeroUpper } from "./simd_emit.js";
import { LaneOp, OPS, UNOPS, UnaryOp } from "./simd_ops.js";
import { Across, across, long3, misc2, narrow, narrowHigh, NarrowSat, pair3, pairLong, rev, same3, ShiftImm, shiftImm, widenShift } from "./simd_drivers.js";
import {
  emitInlineAcross, emitInlineBinary, emitInlineLong, emitInlineShift, emitInlineUnary, emitInlineWiden, emitInlineXtn, hasInlineBinary, hasInlineLong, hasInlineUnary,
} from "./simd_inline.js";
import { emitFp3Same, emitFpAcross, emitFpByElement, emitFpFixed, emitFpMisc } from "./simd_fparith.js";

// --- Three same --------------------------------------------------------------------

interface Same3 {
  name: string;
  op: LaneOp;
  /** Lane signedness: "U" = unsigned when U = 1, "s"/"u" fixed. */
  sign: "U" | "s" | "u";
  pair?: boolean;
  /** 64-bit lanes allowed (2D; the scalar D form). */
  d64: boolean;
  /** Scalar form: any size, only D, or none. */
  scalar: "any" | "d" | "none";
  /** Emit inline with this JS operator ("+", "-", "*", "mla", "mls"). */
  inline?: string;
  /** Only 16- and 32-bit lanes (SQDMULH/SQRDMULH). */
  hs?: boolean;
}

function s3(name: string, op: LaneOp, sign: Same3["sign"], d64: boolean, scalar: Same3["scalar"], extra: Partial<Same3> = {}): Same3 {
  return { name, op, sign, d64, scalar, ...extra };
}

/** Three-same integer ops by U:opcode (opcode = insn[15:11]). */
const SAME3: Record<number, Same3> = {
  0b0_00000: s3("SHADD", OPS.HADD, "U", false, "none"),
  0b1_00000: s3("UHADD", OPS.HADD, "U", false, "none"),
  0b0_00001: s3("SQADD", OPS.QADD, "U", true, "any"),
  0b1_00001: s3("UQADD", OPS.QADD, "U", true, "any"),
  0b0_00010: s3("SRHADD", OPS.RHADD, "U", false, "none"),
  0b1_00010: s3("URHADD", OPS.RHADD, "U", false, "none"),
  0b0_00100: s3("SHSUB", OPS.HSUB, "U", false, "none"),
  0b1_00100: s3("UHSUB", OPS.HSUB, "U", false, "none"),
  0b0_00101: s3("SQSUB", OPS.QSUB, "U", true, "any"),
  0b1_00101: s3("UQSUB", OPS.QSUB, "U", true, "any"),
  0b0_00110: s3("CMGT", OPS.CMGT, "U", true, "d"),
  0b1_00110: s3("CMHI", OPS.CMGT, "U", true, "d"),
  0b0_00111: s3("CMGE", OPS.CMGE, "U", true, "d"),
  0b1_00111: s3("CMHS", OPS.CMGE, "U", true, "d"),
  0b0_01000: s3("SSHL", OPS.SHL, "U", true, "d"),
  0b1_01000: s3("USHL", OPS.SHL, "U", true, "d"),
  0b0_01001: s3("SQSHL", OPS.QSHL, "U", true, "any"),
  0b1_01001: s3("UQSHL", OPS.QSHL, "U", true, "any"),
  0b0_01011: s3("SQRSHL", OPS.QRSHL, "U", true, "any"),
  0b1_01011: s3("UQRSHL", OPS.QRSHL, "U", true, "any"),
  0b0_01010: s3("SRSHL", OPS.RSHL, "U", true, "d"),
  0b1_01010: s3("URSHL", OPS.RSHL, "U", true, "d"),
  0b0_01100: s3("SMAX", OPS.MAX, "U", false, "none"),
  0b1_01100: s3("UMAX", OPS.MAX, "U", false, "none"),
  0b0_01101: s3("SMIN", OPS.MIN, "U", false, "none"),
  0b1_01101: s3("UMIN", OPS.MIN, "U", false, "none"),
  0b0_01110: s3("SABD", OPS.ABD, "U", false, "none"),
  0b1_01110: s3("UABD", OPS.ABD, "U", false, "none"),
  0b0_01111: s3("SABA", OPS.ABA, "U", false, "none"),
  0b1_01111: s3("UABA", OPS.ABA, "U", false, "none"),
  0b0_10000: s3("ADD", OPS.ADD, "u", true, "d", { inline: "+" }),
  0b1_10000: s3("SUB", OPS.SUB, "u", true, "d", { inline: "-" }),
  0b0_10001: s3("CMTST", OPS.CMTST, "u", true, "d"),
  0b1_10001: s3("CMEQ", OPS.CMEQ, "u", true, "d"),
  0b0_10010: s3("MLA", OPS.MLA, "u", false, "none", { inline: "mla" }),
  0b1_10010: s3("MLS", OPS.MLS, "u", false, "none", { inline: "mls" }),
  0b0_10011: s3("MUL", OPS.MUL, "u", false, "none", { inline: "*" }),
  0b1_10011: s3("PMUL", OPS.PMUL, "u", false, "none"),
  0b0_10100: s3("SMAXP", OPS.MAX, "U", false, "none", { pair: true }),
  0b1_10100: s3("UMAXP", OPS.MAX, "U", false, "none", { pair: true }),
  0b0_10101: s3("SMINP", OPS.MIN, "U", false, "none", { pair: true }),
  0b1_10101: s3("UMINP", OPS.MIN, "U", false, "none", { pair: true }),
  0b0_10111: s3("ADDP", OPS.ADD, "u", true, "none", { pair: true }),
  0b0_10110: s3("SQDMULH", OPS.QDMULH, "s", false, "any", { hs: true }),
  0b1_10110: s3("SQRDMULH", OPS.QRDMULH, "s", false, "any", { hs: true }),
};

/** OPS/UNOPS key of a lane op object (for picking an inline form). */
const OP_NAME = new Map<unknown, string>([...Object.entries(OPS), ...Object.entries(UNOPS)].map(([k, v]) => [v, k]));

/** One lane expression of an inline element-wise op (lane values read from view `v`). */
function inlineLane(kind: string, v: string, esz: number, d: string, n: string, m: string): string {
  const mul = (a: string, b2: string) => (esz === 2 ? `Math.imul(${a}, ${b2})` : esz === 3 ? `${a} * ${b2}` : `${a} * ${b2}`);
  switch (kind) {
    case "+": return `${v}[${d}] = ${v}[${n}] + ${v}[${m}];`;
    case "-": return `${v}[${d}] = ${v}[${n}] - ${v}[${m}];`;
    case "*": return `${v}[${d}] = ${mul(`${v}[${n}]`, `${v}[${m}]`)};`;
    case "mla": return `${v}[${d}] = ${v}[${d}] + ${mul(`${v}[${n}]`, `${v}[${m}]`)};`;
    default: return `${v}[${d}] = ${v}[${d}] - ${mul(`${v}[${n}]`, `${v}[${m}]`)};`;
  }
}

/** Element-wise op inline over `lanes` lanes; zeroes the upper half for D forms. */
function emitInline(b: BlockBuilder, kind: string, esz: number, bytes: number, d: number, n: number, m: number): void {
  const v = b.view(VIEW_BY_ESZ[esz]);
  const per = 16 >> esz;
  for (let i = 0; i < bytes >> esz; i++) b.emit(inlineLane(kind, v, esz, String(d * per + i), String(n * per + i), String(m * per + i)));
  zeroUpper(b, d, bytes);
}

/**
 * AND/BIC/ORR/ORN (U=0) and EOR/BSL/BIT/BIF (U=1), selected by size, on both
 * 64-bit halves. BSL: d = (d & n) | (~d & m); BIT inserts n where m is set;
 * BIF inserts n where m is clear.
 */
function emitLogic(b: BlockBuilder, u: number, size: number, bytes: number, d: number, n: number, m: number): void {
  const v = b.view("vd");
  for (let h = 0; h < bytes / 8; h++) {
    const D = `${v}[${2 * d + h}]`, N = `${v}[${2 * n + h}]`, M = `${v}[${2 * m + h}]`;
    const exprs = u === 0 ? [`${N} & ${M}`, `${N} & ~${M}`, `${N} | ${M}`, `${N} | ~${M}`] : [`${N} ^ ${M}`, `${M} ^ ((${M} ^ ${N}) & ${D})`, `${D} ^ ((${D} ^ ${N}) & ${M})`, `${D} ^ ((${D} ^ ${N}) & ~${M})`];
    b.emit(`${D} = ${exprs[size]};`);
  }
  zeroUpper(b, d, bytes);
}

/** Advanced SIMD three same: 0 Q U 01110 size 1 Rm opcode 1 Rn Rd. */
export function emitSame3(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 11, 5);
  if (opcode >= 0b11000) return emitFp3Same(b, insn, false);
  if (opcode === 0b00011) {
    emitLogic(b, f.u, f.size, f.bytes, f.rd, f.rn, f.rm);
    return true;
  }
  const e = SAME3[(f.u << 5) | opcode];
  if (!e) return false;
  if (f.size === 3 && (!e.d64 || f.q === 0)) return false;
  if (e.op === OPS.PMUL && f.size !== 0) return false;
  if (e.hs && (f.size === 0 || f.size === 3)) return false;
  const signed = e.sign === "s" || (e.sign === "U" && f.u === 0);
  const name = OP_NAME.get(e.op) ?? "";
  if (e.inline && !e.pair) emitInline(b, e.inline, f.size, f.bytes, f.rd, f.rn, f.rm);
  else if (!e.pair && hasInlineBinary(name, f.size)) emitInlineBinary(b, name, f.size, f.bytes, signed, f.rd, f.rn, f.rm);
  else if (e.pair) call(b, pair3, [e.op, f.size, f.bytes, signed, f.rd, f.rn, f.rm]);
  else call(b, same3, [e.op, f.size, f.bytes, signed, f.rd, f.rn, f.rm, -1]);
  return true;
}

/** Advanced SIMD scalar three same: 01 U 11110 size 1 Rm opcode 1 Rn Rd. */
export function emitScalarSame3(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 11, 5);
  if (opcode >= 0b11000) return emitFp3Same(b, insn, true);
  const e = SAME3[(f.u << 5) | opcode];
  if (!e || e.pair || e.scalar === "none") return false;
  if (e.scalar === "d" && f.size !== 3) return false;
  if (e.hs && (f.size === 0 || f.size === 3)) return false;
  const signed = e.sign === "s" || (e.sign === "U" && f.u === 0);
  call(b, same3, [e.op, f.size, 1 << f.size, signed, f.rd, f.rn, f.rm, -1]);
  return true;
}

/** Scalar pairwise ADDP Dd, Vn.2D: 01 0 11110 11 11000 11011 10 Rn Rd. */
export function emitAddpScalar(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  if (f.size !== 3) return false;
  const v = b.view("vd");
  b.emit(`${v}[${2 * f.rd}] = ${v}[${2 * f.rn}] + ${v}[${2 * f.rn + 1}];`);
  b.emit(`${v}[${2 * f.rd + 1}] = 0n;`);
  return true;
}

// --- Two-register misc ----------------------------------------------------------------

interface Misc {
  name: string;
  op?: UnaryOp;
  sign: "s" | "u";
  /** Allowed sizes as a bit set (bit k = size k), for vector forms. */
  sizes: number;
  /** Scalar form allowed: any size, only D, or none. */
  scalar: "any" | "d" | "none";
  /** Special handling (not a plain misc2 lane op). */
  special?: "rev64" | "rev32" | "rev16" | "addlp" | "adalp" | "xtn" | "sqxtun" | "sqxtn" | "uqxtn" | "shll";
}

const ALL_SIZES = 0b1111;
const NO_D = 0b0111;

/** Two-register misc integer ops by U:opcode (opcode = insn[16:12]). */
const MISC: Record<number, Misc> = {
  0b0_00000: { name: "REV64", sign: "u", sizes: NO_D, scalar: "none", special: "rev64" },
  0b1_00000: { name: "REV32", sign: "u", sizes: 0b0011, scalar: "none", special: "rev32" },
  0b0_00001: { name: "REV16", sign: "u", sizes: 0b0001, scalar: "none", special: "rev16" },
  0b0_00010: { name: "SADDLP", sign: "s", sizes: NO_D, scalar: "none", special: "addlp" },
  0b1_00010: { name: "UADDLP", sign: "u", sizes: NO_D, scalar: "none", special: "addlp" },
  0b0_00100: { name: "CLS", op: UNOPS.CLS, sign: "s", sizes: NO_D, scalar: "none" },
  0b1_00100: { name: "CLZ", op: UNOPS.CLZ, sign: "u", sizes: NO_D, scalar: "none" },
  0b0_00110: { name: "SADALP", sign: "s", sizes: NO_D, scalar: "none", special: "adalp" },
  0b1_00110: { name: "UADALP", sign: "u", sizes: NO_D, scalar: "none", special: "adalp" },
  0b0_00011: { name: "SUQADD", op: UNOPS.SUQADD, sign: "u", sizes: ALL_SIZES, scalar: "any" },
  0b1_00011: { name: "USQADD", op: UNOPS.USQADD, sign: "s", sizes: ALL_SIZES, scalar: "any" },
  0b0_00111: { name: "SQABS", op: UNOPS.SQABS, sign: "s", sizes: ALL_SIZES, scalar: "any" },
  0b1_00111: { name: "SQNEG", op: UNOPS.SQNEG, sign: "s", sizes: ALL_SIZES, scalar: "any" },
  0b0_01000: { name: "CMGT_zero", op: UNOPS.CMGT0, sign: "s", sizes: ALL_SIZES, scalar: "d" },
  0b1_01000: { name: "CMGE_zero", op: UNOPS.CMGE0, sign: "s", sizes: ALL_SIZES, scalar: "d" },
  0b0_01001: { name: "CMEQ_zero", op: UNOPS.CMEQ0, sign: "s", sizes: ALL_SIZES, scalar: "d" },
  0b1_01001: { name: "CMLE_zero", op: UNOPS.CMLE0, sign: "s", sizes: ALL_SIZES, scalar: "d" },
  0b0_01010: { name: "CMLT_zero", op: UNOPS.CMLT0, sign: "s", sizes: ALL_SIZES, scalar: "d" },
  0b0_01011: { name: "ABS", op: UNOPS.ABS, sign: "s", sizes: ALL_SIZES, scalar: "d" },
  0b1_01011: { name: "NEG", op: UNOPS.NEG, sign: "s", sizes: ALL_SIZES, scalar: "d" },
  0b0_10010: { name: "XTN", sign: "u", sizes: NO_D, scalar: "none", special: "xtn" },
  0b1_10010: { name: "SQXTUN", sign: "s", sizes: NO_D, scalar: "any", special: "sqxtun" },
  0b1_10011: { name: "SHLL", sign: "u", sizes: NO_D, scalar: "none", special: "shll" },
  0b0_10100: { name: "SQXTN", sign: "s", sizes: NO_D, scalar: "any", special: "sqxtn" },
  0b1_10100: { name: "UQXTN", sign: "u", sizes: NO_D, scalar: "any", special: "uqxtn" },
};

function emitMiscCommon(b: BlockBuilder, insn: number, scalar: boolean): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 12, 5);
  // CNT/NOT/RBIT share opcode 00101 and are picked by U and size.
  if (opcode === 0b00101 && !scalar) {
    if (f.u === 0 && f.size === 0) call(b, misc2, [UNOPS.CNT, 0, f.bytes, false, f.rd, f.rn]);
    else if (f.u === 1 && f.size === 0) {
      const v = b.view("vd");
      for (let h = 0; h < f.bytes / 8; h++) b.emit(`${v}[${2 * f.rd + h}] = ~${v}[${2 * f.rn + h}];`);
      zeroUpper(b, f.rd, f.bytes);
    } else if (f.u === 1 && f.size === 1) call(b, misc2, [UNOPS.RBIT, 0, f.bytes, false, f.rd, f.rn]);
    else return false;
    return true;
  }
  if (opcode === 0b11100 && f.size === 2) {
    // URECPE/URSQRTE (32-bit lanes only); with other sizes 11100 is FCVTA*/FCVTP*... (FP).
    if (scalar) return false;
    call(b, misc2, [f.u ? UNOPS.URSQRTE : UNOPS.URECPE, 2, f.bytes, false, f.rd, f.rn]);
    return true;
  }
  const e = MISC[(f.u << 5) | opcode];
  if (!e) return emitFpMisc(b, insn, scalar);
  const signed = e.sign === "s";
  if (scalar) {
    if (e.scalar === "none" || (e.scalar === "d" && f.size !== 3)) return false;
    if (e.special) {
      if (f.size === 3) return false;
      const mode = e.special === "sqxtn" ? NarrowSat.Signed : NarrowSat.Unsigned;
      call(b, narrow, [f.size, 0, signed, f.rd, f.rn, 0, false, mode, 1]);
      return true;
    }
    call(b, misc2, [e.op!, f.size, 1 << f.size, signed, f.rd, f.rn]);
    return true;
  }
  if (((e.sizes >> f.size) & 1) === 0) return false;
  if (f.size === 3 && f.q === 0) return false;
  switch (e.special) {
    case undefined: {
      const name = OP_NAME.get(e.op) ?? "";
      if (hasInlineUnary(name, f.size)) emitInlineUnary(b, name, f.size, f.bytes, signed, f.rd, f.rn);
      else call(b, misc2, [e.op!, f.size, f.bytes, signed, f.rd, f.rn]);
      return true;
    }
    case "rev64":
    case "rev32":
    case "rev16":
      call(b, rev, [f.size, e.special === "rev64" ? 8 : e.special === "rev32" ? 4 : 2, f.bytes, f.rd, f.rn]);
      return true;
    case "addlp":
    case "adalp":
      call(b, pairLong, [f.size, f.bytes, signed, e.special === "adalp", f.rd, f.rn]);
      return true;
    case "shll":
      call(b, widenShift, [f.size, f.q, false, f.rd, f.rn, 8 << f.size]);
      return true;
    case "xtn":
      emitInlineXtn(b, f.size, f.q, f.rd, f.rn);
      return true;
    default: {
      const mode = e.special === "sqxtn" ? NarrowSat.Signed : NarrowSat.Unsigned;
      call(b, narrow, [f.size, f.q, signed, f.rd, f.rn, 0, false, mode, 8 >> f.size]);
      return true;
    }
  }
}

/** Advanced SIMD two-register misc: 0 Q U 01110 size 10000 opcode 10 Rn Rd. */
export function emitMisc(b: BlockBuilder, insn: number): boolean {
  return emitMiscCommon(b, insn, false);
}

/** Advanced SIMD scalar two-register misc: 01 U 11110 size 10000 opcode 10 Rn Rd. */
export function emitScalarMisc(b: BlockBuilder, insn: number): boolean {
  return emitMiscCommon(b, insn, true);
}

// --- Across lanes --------------------------------------------------------------------

/** Advanced SIMD across lanes: 0 Q U 01110 size 11000 opcode 10 Rn Rd. */
export function emitAcross(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 12, 5);
  const kinds: Record<number, Across> = { 0b00011: Across.AddLV, 0b01010: Across.MaxV, 0b11010: Across.MinV, 0b11011: Across.AddV };
  const kind = kinds[opcode];
  if (kind === undefined) return emitFpAcross(b, insn);
  if (kind === Across.AddV && f.u === 1) return false;
  if (f.size === 3 || (f.size === 2 && f.q === 0)) return false;
  if (kind === Across.AddLV) call(b, across, [kind, f.size, f.bytes, f.u === 0, f.rd, f.rn]);
  else emitInlineAcross(b, kind === Across.AddV ? "add" : kind === Across.MaxV ? "max" : "min", f.size, f.bytes, f.u === 0, f.rd, f.rn);
  return true;
}

// --- Three different -------------------------------------------------------------------

const DIFF: Record<number, { op: LaneOp; wide: boolean }> = {
  0b0000: { op: OPS.ADD, wide: false }, // SADDL/UADDL
  0b0001: { op: OPS.ADD, wide: true }, // SADDW/UADDW
  0b0010: { op: OPS.SUB, wide: false }, // SSUBL/USUBL
  0b0011: { op: OPS.SUB, wide: true }, // SSUBW/USUBW
  0b0101: { op: OPS.ABA, wide: false }, // SABAL/UABAL
  0b0111: { op: OPS.ABD, wide: false }, // SABDL/UABDL
  0b1000: { op: OPS.MLA, wide: false }, // SMLAL/UMLAL
  0b1010: { op: OPS.MLS, wide: false }, // SMLSL/UMLSL
  0b1100: { op: OPS.MUL, wide: false }, // SMULL/UMULL
};

/** SQDMLAL (1001), SQDMLSL (1011), SQDMULL (1101): saturating doubling widening multiplies. */
const QDMULL_OPS: Record<number, LaneOp> = { 0b1001: OPS.QDMLAL, 0b1011: OPS.QDMLSL, 0b1101: OPS.QDMULL };

/** Advanced SIMD scalar three different: 01 U 11110 size 1 Rm opcode 00 Rn Rd (SQDMLAL/SQDMLSL/SQDMULL). */
export function emitScalarDiff3(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const qd = QDMULL_OPS[bits(insn, 12, 4)];
  if (!qd || f.u === 1 || f.size === 0 || f.size === 3) return false;
  call(b, long3, [qd, f.size, 0, true, f.rd, f.rn, f.rm, false, -1, true]);
  return true;
}

/** Advanced SIMD three different: 0 Q U 01110 size 1 Rm opcode 00 Rn Rd (the "2" forms when Q = 1). */
export function emitDiff3(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 12, 4);
  if (opcode === 0b0100 || opcode === 0b0110) {
    // ADDHN/RADDHN/SUBHN/RSUBHN: high halves of wide sums/differences.
    if (f.size === 3) return false;
    call(b, narrowHigh, [f.size, f.q, f.rd, f.rn, f.rm, opcode === 0b0110, f.u === 1]);
    return true;
  }
  const qd = QDMULL_OPS[opcode];
  if (qd) {
    if (f.u === 1 || f.size === 0 || f.size === 3) return false;
    call(b, long3, [qd, f.size, f.q, true, f.rd, f.rn, f.rm, false, -1]);
    return true;
  }
  if (opcode === 0b1110) {
    // PMULL (8B -> 8H only; the 1Q form is the crypto extension).
    if (f.size !== 0 || f.u === 1) return false;
    call(b, long3, [OPS.PMUL, 0, f.q, false, f.rd, f.rn, f.rm, false, -1]);
    return true;
  }
  const e = DIFF[opcode];
  if (!e || f.size === 3) return false;
  const name = OP_NAME.get(e.op) ?? "";
  // A wide 64-bit Vn lane is not exact as a number: those keep the driver.
  if (hasInlineLong(name) && !(e.wide && f.size === 2)) {
    emitInlineLong(b, name, f.size, f.q, f.u === 0, f.rd, f.rn, f.rm, e.wide);
    return true;
  }
  call(b, long3, [e.op, f.size, f.q, f.u === 0, f.rd, f.rn, f.rm, e.wide, -1]);
  return true;
}

// --- Shift by immediate ------------------------------------------------------------------

/** Element size (esz) from immh: the position of its highest set bit. */
function immhEsz(immh: number): number {
  return 31 - Math.clz32(immh);
}

const SAME_SHIFT: Record<number, { kind: ShiftImm; left: boolean; sign?: "s" | "u" }> = {
  0b00000: { kind: ShiftImm.Shr, left: false },
  0b00010: { kind: ShiftImm.Sra, left: false },
  0b00100: { kind: ShiftImm.Rshr, left: false },
  0b00110: { kind: ShiftImm.Rsra, left: false },
  0b01110: { kind: ShiftImm.Qshl, left: true },
};

/** Shared by the vector and scalar shift-by-immediate groups. `lanes` bytes = width. */
function emitShiftCommon(b: BlockBuilder, insn: number, scalar: boolean): boolean {
  const f = fields(insn);
  const immh = bits(insn, 19, 4);
  const immhb = bits(insn, 16, 7);
  const opcode = bits(insn, 11, 5);
  if (immh === 0) return false;
  const esz = immhEsz(immh);
  const esize = 8 << esz;
  const right = 2 * esize - immhb;
  const left = immhb - esize;
  const signed = f.u === 0;
  if (opcode === 0b11100 || opcode === 0b11111) return emitFpFixed(b, insn, scalar);
  // Narrowing and widening: immh gives the narrow element size.
  if (opcode >= 0b10000 && opcode <= 0b10011) {
    if (esz === 3) return false;
    const round = (opcode & 1) === 1;
    let srcSigned = signed;
    let mode: NarrowSat;
    if (opcode <= 0b10001) {
      if (f.u === 0) {
        if (scalar) return false; // SHRN/RSHRN have no scalar form
        mode = NarrowSat.None;
      } else {
        srcSigned = true; // SQSHRUN/SQRSHRUN
        mode = NarrowSat.Unsigned;
      }
    } else {
      mode = signed ? NarrowSat.Signed : NarrowSat.Unsigned;
    }
    const lanes = scalar ? 1 : 8 >> esz;
    call(b, narrow, [esz, scalar ? 0 : f.q, srcSigned, f.rd, f.rn, right, round, mode, lanes]);
    return true;
  }
  if (opcode === 0b10100) {
    if (scalar || esz === 3) return false;
    emitInlineWiden(b, esz, f.q, signed, f.rd, f.rn, left);
    return true;
  }
  const bytes = scalar ? 1 << esz : f.bytes;
  if (!scalar && esz === 3 && f.q === 0) return false;
  let kind: ShiftImm;
  let amount: number;
  let sgn = signed;
  if (opcode === 0b01010) {
    kind = f.u === 0 ? ShiftImm.Shl : ShiftImm.Sli;
    amount = left;
  } else if (opcode === 0b01000 && f.u === 1) {
    kind = ShiftImm.Sri;
    amount = right;
  } else if (opcode === 0b01100 && f.u === 1) {
    kind = ShiftImm.Qshlu;
    amount = left;
    sgn = true;
  } else {
    const e = SAME_SHIFT[opcode];
    if (!e) return false;
    kind = e.kind;
    amount = e.left ? left : right;
  }
  // Only the saturating shifts have scalar forms for B/H/S.
  if (scalar && esz !== 3 && kind !== ShiftImm.Qshl && kind !== ShiftImm.Qshlu) return false;
  const inlineKind = kind === ShiftImm.Shr ? "shr" : kind === ShiftImm.Sra ? "sra" : kind === ShiftImm.Shl ? "shl" : undefined;
  if (inlineKind) emitInlineShift(b, inlineKind, esz, bytes, sgn, f.rd, f.rn, amount);
  else call(b, shiftImm, [kind, esz, bytes, sgn, f.rd, f.rn, amount]);
  return true;
}

/** Advanced SIMD shift by immediate: 0 Q U 011110 immh immb opcode 1 Rn Rd (immh != 0). */
export function emitShiftImm(b: BlockBuilder, insn: number): boolean {
  return emitShiftCommon(b, insn, false);
}

/** Advanced SIMD scalar shift by immediate: 01 U 111110 immh immb opcode 1 Rn Rd. */
export function emitScalarShiftImm(b: BlockBuilder, insn: number): boolean {
  return emitShiftCommon(b, insn, true);
}

// --- Vector x indexed element ----------------------------------------------------------------

/**
 * Advanced SIMD vector x indexed element: 0 Q U 01111 size L M Rm opcode H 0 Rn Rd.
 * Integer forms: size 01 (index H:L:M, Rm in V0-V15) or 10 (index H:L, Rm = M:Rm).
 */
export function emitByElement(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 12, 4);
  const h = bits(insn, 11, 1), l = bits(insn, 21, 1), mBit = bits(insn, 20, 1);
  if (opcode === 0b0001 || opcode === 0b0101 || opcode === 0b1001) return emitFpByElement(b, insn, false);
  let idx: number, rm: number;
  if (f.size === 1) {
    idx = (h << 2) | (l << 1) | mBit;
    rm = bits(insn, 16, 4);
  } else if (f.size === 2) {
    idx = (h << 1) | l;
    rm = bits(insn, 16, 5);
  } else return false;
  const same = BYELEM_SAME[(f.u << 4) | opcode];
  if (same) {
    call(b, same3, [same, f.size, f.bytes, same === OPS.QDMULH || same === OPS.QRDMULH, f.rd, f.rn, rm, idx]);
    return true;
  }
  const qd = BYELEM_QDMULL[opcode];
  if (qd) {
    if (f.u === 1) return false;
    call(b, long3, [qd, f.size, f.q, true, f.rd, f.rn, rm, false, idx]);
    return true;
  }
  const longOps: Record<number, LaneOp> = { 0b0010: OPS.MLA, 0b0110: OPS.MLS, 0b1010: OPS.MUL };
  const lop = longOps[opcode];
  if (!lop) return false;
  call(b, long3, [lop, f.size, f.q, f.u === 0, f.rd, f.rn, rm, false, idx]);
  return true;
}

/** By-element ops of the element size, by U:opcode. */
const BYELEM_SAME: Record<number, LaneOp> = { 0b1_0000: OPS.MLA, 0b1_0100: OPS.MLS, 0b0_1000: OPS.MUL, 0b0_1100: OPS.QDMULH, 0b0_1101: OPS.QRDMULH };
/** By-element saturating doubling widening ops (U = 0), by opcode. */
const BYELEM_QDMULL: Record<number, LaneOp> = { 0b0011: OPS.QDMLAL, 0b0111: OPS.QDMLSL, 0b1011: OPS.QDMULL };

/** Index and Rm of an integer by-element encoding (size 01: H:L:M and V0-V15; size 10: H:L and M:Rm), or undefined. */
function elemIndex(insn: number, size: number): [number, number] | undefined {
  const h = bits(insn, 11, 1), l = bits(insn, 21, 1), mBit = bits(insn, 20, 1);
  if (size === 1) return [(h << 2) | (l << 1) | mBit, bits(insn, 16, 4)];
  if (size === 2) return [(h << 1) | l, bits(insn, 16, 5)];
  return undefined;
}

/** Advanced SIMD scalar x indexed element: FP forms, SQDMULH/SQRDMULH and SQDMLAL/SQDMLSL/SQDMULL. */
export function emitScalarByElement(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 12, 4);
  if (opcode === 0b0001 || opcode === 0b0101 || opcode === 0b1001) return emitFpByElement(b, insn, true);
  const at = elemIndex(insn, f.size);
  if (!at || f.u === 1) return false;
  const [idx, rm] = at;
  if (opcode === 0b1100 || opcode === 0b1101) {
    call(b, same3, [opcode === 0b1100 ? OPS.QDMULH : OPS.QRDMULH, f.size, 1 << f.size, true, f.rd, f.rn, rm, idx]);
    return true;
  }
  const qd = BYELEM_QDMULL[opcode];
  if (!qd) return false;
  call(b, long3, [qd, f.size, 0, true, f.rd, f.rn, rm, false, idx, true]);
  return true;
}
