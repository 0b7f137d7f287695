// Advanced SIMD floating point (Arm ARM C4.1.95): the FP opcodes of the
// three-same, two-register misc, across-lanes, pairwise, by-element and
// shift-by-immediate groups, vector and scalar, single and double
// precision. Every lane goes through the shared FP core (../fpu.ts), which
// addresses operands by element index into c.vf32 / c.vf64.
//
// Element-wise ops are emitted as one FP-core call per lane on the real
// register file (lane i of Vd depends only on lane i of the sources, and the
// core reads its operands before writing). Ops whose lanes read other lanes
// (pairwise, by element, across, FCVTL/FCVTN) run on a scratch register file
// (SCR) and copy the result back, so Vd may alias a source.

import type { BlockBuilder } from "../builder.js";
import { CpuState } from "../state.js";
import * as F from "../fpu.js";
import type { FpSize } from "../fpu.js";
import { bits } from "./table.js";
import { call, fields, zeroUpper } from "./simd_emit.js";
import { cvtIntToSingle, cvtSingleToIntZ, fcvtlHalf, fcvtnHalf } from "./simd_fpextra.js";

type BinOp = (c: CpuState, size: FpSize, d: number, n: number, m: number) => void;

/** Scratch register file for lane-crossing ops: sources in V0/V1 (and V2 = old Vd), result in V2. */
const SCR = new CpuState(-1);

function enter(c: CpuState, n: number, m: number, d: number): void {
  SCR.fpcr = c.fpcr;
  SCR.fpsr = c.fpsr;
  SCR.vd[0] = c.vd[2 * n];
  SCR.vd[1] = c.vd[2 * n + 1];
  SCR.vd[2] = c.vd[2 * m];
  SCR.vd[3] = c.vd[2 * m + 1];
  SCR.vd[4] = c.vd[2 * d];
  SCR.vd[5] = c.vd[2 * d + 1];
}

/** Copy the first `bytes` of scratch V2 to Vd, zeroing the rest, and take the flags back. */
function leave(c: CpuState, d: number, bytes: number): void {
  for (let k = 0; k < 16; k += 4) c.vw[4 * d + k / 4] = k < bytes ? SCR.vw[8 + k / 4] : 0;
  c.fpsr = SCR.fpsr;
}

/** Pairwise over the concatenation Vm:Vn (Vn low); `bytes` 4/8 with n = m gives the scalar forms. */
export function fpPair(c: CpuState, op: BinOp, size: FpSize, bytes: number, d: number, n: number, m: number): void {
  enter(c, n, m, d);
  const per = 128 / size;
  const lanes = (bytes * 8) / size;
  const src = (j: number) => (j < lanes ? j : per + j - lanes);
  for (let i = 0; i < lanes; i++) op(SCR, size, 2 * per + i, src(2 * i), src(2 * i + 1));
  leave(c, d, bytes);
}

/** Scalar pairwise (FADDP Sd, Vn.2S ...): op(Vn[0], Vn[1]) into element 0. */
export function fpPairScalar(c: CpuState, op: BinOp, size: FpSize, d: number, n: number): void {
  enter(c, n, n, d);
  op(SCR, size, 2 * (128 / size), 0, 1);
  leave(c, d, size / 8);
}

/** FMAXV/FMINV/FMAXNMV/FMINNMV Sd, Vn.4S: the Arm pairwise-tree reduction op(op(e0,e1), op(e2,e3)). */
export function fpAcross(c: CpuState, op: BinOp, d: number, n: number): void {
  enter(c, n, n, d);
  op(SCR, 32, 4, 0, 1);
  op(SCR, 32, 5, 2, 3);
  op(SCR, 32, 8, 4, 5);
  leave(c, d, 4);
}

/** By-element kinds. */
export const enum ByElem {
  Mul = 0,
  MulX = 1,
  Mla = 2,
  Mls = 3,
}

/** FMUL/FMULX/FMLA/FMLS by element: Vd[i] = op(Vn[i], Vm[idx]); `bytes` = size/8 for the scalar forms. */
export function fpByElement(c: CpuState, kind: ByElem, size: FpSize, bytes: number, d: number, n: number, m: number, idx: number): void {
  enter(c, n, m, d);
  const per = 128 / size;
  const lanes = (bytes * 8) / size;
  const me = per + idx;
  for (let i = 0; i < lanes; i++) {
    const de = 2 * per + i;
    switch (kind) {
      case ByElem.Mul: F.fmul(SCR, size, de, i, me); break;
      case ByElem.MulX: F.fmulx(SCR, size, de, i, me); break;
      default: F.fmuladd(SCR, size, de, de, i, me, kind === ByElem.Mls, false);
    }
  }
  leave(c, d, bytes);
}

/** FCVTL/FCVTL2: the two singles of half `part` of Vn widen to doubles. */
export function fpCvtLong(c: CpuState, part: number, d: number, n: number): void {
  enter(c, n, n, d);
  for (let i = 0; i < 2; i++) F.fcvt(SCR, 32, 64, 4 + i, 2 * part + i);
  leave(c, d, 16);
}

/** FCVTN/FCVTN2/FCVTXN: two doubles narrow into half `part` of Vd (part 1 keeps the low half); `lanes` 1 for scalar FCVTXN. */
export function fpCvtNarrow(c: CpuState, part: number, d: number, n: number, rmode: number, lanes: number): void {
  enter(c, n, n, d);
  if (part === 0) {
    SCR.vd[4] = 0n;
    SCR.vd[5] = 0n;
  }
  for (let i = 0; i < lanes; i++) F.fcvt(SCR, 64, 32, 8 + 2 * part + i, i, rmode);
  leave(c, d, part === 1 ? 16 : lanes === 1 ? 4 : 8);
}

// --- Emission of element-wise lanes ---------------------------------------------------------

/** Lane element indexes of register r for `size` (32: vf32 index, 64: vf64 index). */
const el = (r: number, size: FpSize, i: number) => (128 / size) * r + i;

/** Emit per-lane calls `line(i)` for `lanes` lanes, then clear what a D-form or scalar result leaves. */
function emitLanes(b: BlockBuilder, size: FpSize, bytes: number, d: number, line: (i: number) => string): void {
  for (let i = 0; i < (bytes * 8) / size; i++) b.emit(line(i));
  if (bytes === 4) b.emit(`${b.view("vw")}[${4 * d + 1}] = 0;`);
  if (bytes <= 8) zeroUpper(b, d, 8);
}

interface Fp3 {
  op: BinOp;
  kind?: "pair" | "fma" | "fms";
  /** Has a scalar (Advanced SIMD scalar three same) form. */
  scalar?: boolean;
}

/** FP three-same by U:a:opcode[2:0] (a = size<1>, opcode = 11xxx). */
const FP3: Record<number, Fp3> = {
  0b0_0_000: { op: F.fmaxnm },
  0b0_0_001: { op: F.fadd, kind: "fma" },
  0b0_0_010: { op: F.fadd },
  0b0_0_011: { op: F.fmulx, scalar: true },
  0b0_0_100: { op: F.fcmeq, scalar: true },
  0b0_0_110: { op: F.fmax },
  0b0_0_111: { op: F.frecps, scalar: true },
  0b0_1_000: { op: F.fminnm },
  0b0_1_001: { op: F.fadd, kind: "fms" },
  0b0_1_010: { op: F.fsub },
  0b0_1_110: { op: F.fmin },
  0b0_1_111: { op: F.frsqrts, scalar: true },
  0b1_0_000: { op: F.fmaxnm, kind: "pair" },
  0b1_0_010: { op: F.fadd, kind: "pair" },
  0b1_0_011: { op: F.fmul },
  0b1_0_100: { op: F.fcmge, scalar: true },
  0b1_0_101: { op: F.facge, scalar: true },
  0b1_0_110: { op: F.fmax, kind: "pair" },
  0b1_0_111: { op: F.fdiv },
  0b1_1_000: { op: F.fminnm, kind: "pair" },
  0b1_1_010: { op: F.fabd, scalar: true },
  0b1_1_100: { op: F.fcmgt, scalar: true },
  0b1_1_101: { op: F.facgt, scalar: true },
  0b1_1_110: { op: F.fmin, kind: "pair" },
};

/** FP three-same (opcode 11xxx), vector or scalar. Returns false when not handled. */
export function emitFp3Same(b: BlockBuilder, insn: number, scalar: boolean): boolean {
  const f = fields(insn);
  const a = f.size >> 1, sz = f.size & 1;
  const e = FP3[(f.u << 4) | (a << 3) | bits(insn, 11, 3)];
  if (!e) return false;
  const size: FpSize = sz ? 64 : 32;
  if (scalar && !e.scalar) return false;
  if (!scalar && sz === 1 && f.q === 0) return false;
  const bytes = scalar ? size / 8 : f.bytes;
  if (e.kind === "pair") {
    call(b, fpPair, [e.op, size, bytes, f.rd, f.rn, f.rm]);
    return true;
  }
  const h = b.helper(e.kind ? F.fmuladd : e.op);
  emitLanes(b, size, bytes, f.rd, (i) => {
    const [d, n, m] = [el(f.rd, size, i), el(f.rn, size, i), el(f.rm, size, i)];
    return e.kind ? `${h}(c, ${size}, ${d}, ${d}, ${n}, ${m}, ${e.kind === "fms"}, false);` : `${h}(c, ${size}, ${d}, ${n}, ${m});`;
  });
  return true;
}

/** The rounding of FCVT{N,M,A,P,Z}{S,U} and FRINT{N,M,A,P,Z} by U:a:opcode (a0: N/M/A, a1: P/Z). */
function cvtRounding(a: number, opcode: number): number {
  if (a === 0) return opcode === 0b11010 ? F.RN : opcode === 0b11011 ? F.RM : F.RA;
  return opcode === 0b11010 ? F.RP : F.RZ;
}

/** FP two-register misc, vector or scalar. */
export function emitFpMisc(b: BlockBuilder, insn: number, scalar: boolean): boolean {
  const f = fields(insn);
  const a = f.size >> 1, sz = f.size & 1;
  const opcode = bits(insn, 12, 5);
  const size: FpSize = sz ? 64 : 32;
  const key = (f.u << 6) | (a << 5) | opcode;
  // FCVTN/FCVTXN/FCVTL change the element size; only single<->double.
  if (a === 0 && (opcode === 0b10110 || opcode === 0b10111)) {
    if (sz === 0) {
      // Half <-> single (FCVTL 4S <- 4H, FCVTN 4H <- 4S); FCVTXN has no half form.
      if (scalar || f.u === 1) return false;
      call(b, opcode === 0b10111 ? fcvtlHalf : fcvtnHalf, [f.q, f.rd, f.rn]);
      return true;
    }
    if (opcode === 0b10111) {
      if (f.u === 1 || scalar) return false;
      call(b, fpCvtLong, [f.q, f.rd, f.rn]);
      return true;
    }
    if (scalar && f.u === 0) return false; // only FCVTXN has a scalar form
    call(b, fpCvtNarrow, [scalar ? 0 : f.q, f.rd, f.rn, f.u === 1 ? F.RO : F.FPCR_ROUNDING, scalar ? 1 : 2]);
    return true;
  }
  if (!scalar && sz === 1 && f.q === 0) return false;
  const bytes = scalar ? size / 8 : f.bytes;
  const lanes = (d: number, line: (D: number, N: number) => string) =>
    emitLanes(b, size, bytes, d, (i) => line(el(f.rd, size, i), el(f.rn, size, i)));
  const h = (fn: unknown) => b.helper(fn);
  const intView = size === 32 ? b.view("vw") : b.view("vd");
  switch (key) {
    // Compare against +0.0 (a negative element index means +0.0).
    case 0b0_1_01100: lanes(f.rd, (D, N) => `${h(F.fcmgt)}(c, ${size}, ${D}, ${N}, -1);`); return true;
    case 0b1_1_01100: lanes(f.rd, (D, N) => `${h(F.fcmge)}(c, ${size}, ${D}, ${N}, -1);`); return true;
    case 0b0_1_01101: lanes(f.rd, (D, N) => `${h(F.fcmeq)}(c, ${size}, ${D}, ${N}, -1);`); return true;
    case 0b1_1_01101: lanes(f.rd, (D, N) => `${h(F.fcmge)}(c, ${size}, ${D}, -1, ${N});`); return true;
    case 0b0_1_01110: lanes(f.rd, (D, N) => `${h(F.fcmgt)}(c, ${size}, ${D}, -1, ${N});`); return true;
    case 0b0_1_01111:
    case 0b1_1_01111:
      if (scalar) return false;
      lanes(f.rd, (D, N) => `${h(f.u ? F.fneg : F.fabs)}(c, ${size}, ${D}, ${N});`);
      return true;
    case 0b0_1_11101:
    case 0b1_1_11101:
      lanes(f.rd, (D, N) => `${h(f.u ? F.frsqrte : F.frecpe)}(c, ${size}, ${D}, ${N});`);
      return true;
    case 0b0_1_11111:
      if (!scalar) return false;
      lanes(f.rd, (D, N) => `${h(F.frecpx)}(c, ${size}, ${D}, ${N});`);
      return true;
    case 0b1_1_11111:
      if (scalar) return false;
      lanes(f.rd, (D, N) => `${h(F.fsqrt)}(c, ${size}, ${D}, ${N});`);
      return true;
    // FRINTN/M (a0 U0), FRINTA/X (a0 U1), FRINTP (a1 U0 11000), FRINTZ/I (a1 11001).
    case 0b0_0_11000: case 0b0_0_11001: case 0b1_0_11000: case 0b1_0_11001:
    case 0b0_1_11000: case 0b0_1_11001: case 0b1_1_11001: {
      if (scalar) return false;
      const low = opcode & 1;
      let rmode: number;
      let exact = false;
      if (a === 0) rmode = f.u === 0 ? (low ? F.RM : F.RN) : low ? F.FPCR_ROUNDING : F.RA;
      else rmode = low ? (f.u ? F.FPCR_ROUNDING : F.RZ) : F.RP;
      if (a === 0 && f.u === 1 && low === 1) exact = true; // FRINTX
      lanes(f.rd, (D, N) => `${h(F.frint)}(c, ${size}, ${D}, ${N}, ${rmode}, ${exact});`);
      return true;
    }
    // FCVT{N,M,A}{S,U} (a0), FCVT{P,Z}{S,U} (a1): to integers of the same size.
    case 0b0_0_11010: case 0b0_0_11011: case 0b0_0_11100: case 0b1_0_11010: case 0b1_0_11011: case 0b1_0_11100:
    case 0b0_1_11010: case 0b0_1_11011: case 0b1_1_11010: case 0b1_1_11011: {
      const rm = cvtRounding(a, opcode);
      if (size === 32 && rm === F.RZ) {
        lanes(f.rd, (D, N) => `${h(cvtSingleToIntZ)}(c, ${D}, ${N}, ${f.u === 1});`);
        return true;
      }
      const conv = (N: number) => `${h(F.fpToFixed)}(c, ${size}, ${N}, ${size}, ${f.u === 1}, 0, ${rm})`;
      lanes(f.rd, (D, N) => `${intView}[${D}] = ${size === 32 ? `Number(${conv(N)})` : conv(N)};`);
      return true;
    }
    // SCVTF/UCVTF (vector, integer).
    case 0b0_0_11101:
    case 0b1_0_11101: {
      if (size === 32) {
        lanes(f.rd, (D, N) => `${h(cvtIntToSingle)}(c, ${D}, ${N}, ${f.u === 1});`);
        return true;
      }
      const src = (N: number) => `${intView}[${N}]`;
      lanes(f.rd, (D, N) => `${h(F.fixedToFp)}(c, ${size}, ${D}, ${src(N)}, ${size}, ${f.u === 1}, 0);`);
      return true;
    }
    default:
      return false;
  }
}

/** FP across lanes (FMAXNMV/FMINNMV opcode 01100, FMAXV/FMINV 01111; U=1, 4S only). */
export function emitFpAcross(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 12, 5);
  if (f.u !== 1 || f.q !== 1 || (f.size & 1) !== 0) return false;
  const min = (f.size >> 1) === 1;
  let op: BinOp;
  if (opcode === 0b01100) op = min ? F.fminnm : F.fmaxnm;
  else if (opcode === 0b01111) op = min ? F.fmin : F.fmax;
  else return false;
  call(b, fpAcross, [op, f.rd, f.rn]);
  return true;
}

/** FP pairwise scalar: 01 1 11110 a sz 11000 opcode 10 Rn Rd (FMAXNMP 01100, FADDP 01101, FMAXP 01111; a: min). */
export function emitFpPairScalar(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  if (f.u !== 1) return false; // U=0: half precision
  const opcode = bits(insn, 12, 5);
  const min = (f.size >> 1) === 1;
  const size: FpSize = f.size & 1 ? 64 : 32;
  let op: BinOp;
  if (opcode === 0b01100) op = min ? F.fminnm : F.fmaxnm;
  else if (opcode === 0b01101 && !min) op = F.fadd;
  else if (opcode === 0b01111) op = min ? F.fmin : F.fmax;
  else return false;
  call(b, fpPairScalar, [op, size, f.rd, f.rn]);
  return true;
}

/**
 * FP by element, vector or scalar: size = 1:sz; sz=0 index H:L, Rm = M:Rm;
 * sz=1 index H (L must be 0). Opcodes 0001 FMLA, 0101 FMLS, 1001 FMUL (U=0) / FMULX (U=1).
 */
export function emitFpByElement(b: BlockBuilder, insn: number, scalar: boolean): boolean {
  const f = fields(insn);
  const opcode = bits(insn, 12, 4);
  const h = bits(insn, 11, 1), l = bits(insn, 21, 1);
  if ((f.size & 2) === 0) return false; // half precision
  const sz = f.size & 1;
  const size: FpSize = sz ? 64 : 32;
  let idx: number;
  if (sz === 0) idx = (h << 1) | l;
  else {
    if (l === 1) return false;
    if (!scalar && f.q === 0) return false;
    idx = h;
  }
  let kind: ByElem;
  if (opcode === 0b1001) kind = f.u ? ByElem.MulX : ByElem.Mul;
  else if (f.u === 1) return false;
  else kind = opcode === 0b0001 ? ByElem.Mla : ByElem.Mls;
  call(b, fpByElement, [kind, size, scalar ? size / 8 : f.bytes, f.rd, f.rn, f.rm, idx]);
  return true;
}

/** SCVTF/UCVTF (11100) and FCVTZS/FCVTZU (11111) with fbits from immh:immb, vector or scalar. */
export function emitFpFixed(b: BlockBuilder, insn: number, scalar: boolean): boolean {
  const f = fields(insn);
  const immh = bits(insn, 19, 4), immhb = bits(insn, 16, 7);
  const opcode = bits(insn, 11, 5);
  let size: FpSize;
  if (immh & 8) size = 64;
  else if (immh & 4) size = 32;
  else return false; // half precision or reserved
  if (!scalar && size === 64 && f.q === 0) return false;
  const fbits = 2 * size - immhb;
  const bytes = scalar ? size / 8 : f.bytes;
  const intView = size === 32 ? b.view("vw") : b.view("vd");
  const unsigned = f.u === 1;
  if (opcode === 0b11100) {
    const hf = b.helper(F.fixedToFp);
    emitLanes(b, size, bytes, f.rd, (i) => {
      const N = el(f.rn, size, i);
      const src = size === 32 ? `BigInt(${intView}[${N}])` : `${intView}[${N}]`;
      return `${hf}(c, ${size}, ${el(f.rd, size, i)}, ${src}, ${size}, ${unsigned}, ${fbits});`;
    });
  } else {
    const ht = b.helper(F.fpToFixed);
    emitLanes(b, size, bytes, f.rd, (i) => {
      const conv = `${ht}(c, ${size}, ${el(f.rn, size, i)}, ${size}, ${unsigned}, ${fbits}, ${F.RZ})`;
      return `${intView}[${el(f.rd, size, i)}] = ${size === 32 ? `Number(${conv})` : conv};`;
    });
  }
  return true;
}
