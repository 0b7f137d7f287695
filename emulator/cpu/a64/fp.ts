// Data processing — scalar floating point (Arm ARM C4.1.96, op0 = x111,
// M = 0, S = 0). Every pattern shares the frame
//
//   31 30 29 28    24 23 22 21 20                              0
//   +--+--+--+--------+-----+--+-------------------------------+
//   |M |0 |S |1 1 1 1 |ftype|  |            (per group)        |
//   +--+--+--+--------+-----+--+-------------------------------+
//
// (bit 31 is sf for the conversions), ftype 00 = single, 01 = double,
// 11 = half (not implemented), 10 = unallocated except for FMOV D[1].
// Semantics come from fpu.ts, called on register elements: Sn is element
// 4n of vf32/vw, Dn is element 2n of vf64/vd. A scalar result zeroes the
// rest of its 128-bit destination (after the operation, so sources that
// alias the destination are read first).

import type { BlockBuilder } from "../builder.js";
import {
  fabs, fadd, fcompare, fcvt, fdiv, fixedToFp, fmax, fmaxnm, fmin, fminnm, fmul, fmuladd, fneg, fnmul, fpToFixed,
  FPCR_ROUNDING, frint, fsqrt, fsub, RA, RM, RN, RP, RZ,
} from "../fpu.js";
import { bits, InsnPattern, pattern, UnhandledPattern } from "./table.js";
import { doubleToHalf, halfToSingle, singleToHalf } from "./simd_fpextra.js";
import type { CpuState } from "../state.js";

type Size = 32 | 64;

const rd = (i: number): number => bits(i, 0, 5);
const rn = (i: number): number => bits(i, 5, 5);
const rm = (i: number): number => bits(i, 16, 5);

/** ftype (insn[23:22]) -> element size; undefined for half precision / unallocated. */
function ftypeSize(insn: number): Size | undefined {
  const t = bits(insn, 22, 2);
  return t === 0 ? 32 : t === 1 ? 64 : undefined;
}

/** Element index of scalar register r at `size`. */
const el = (size: Size, r: number): number => (size === 32 ? 4 * r : 2 * r);

/** Zero bits [size, 128) of Vd after a scalar write. */
function zeroUpper(b: BlockBuilder, size: Size, d: number): void {
  const vd = b.view("vd");
  if (size === 32) b.emit(`${b.view("vw")}[${4 * d + 1}] = 0;`);
  b.emit(`${vd}[${2 * d + 1}] = 0n;`);
}

type Binary = typeof fadd;

/** FADD, FSUB, ... (2-source): Vd = op(Vn, Vm). */
function binary(fn: Binary) {
  return (b: BlockBuilder, insn: number): boolean => {
    const size = ftypeSize(insn);
    if (!size) return false;
    const d = rd(insn);
    b.emit(`${b.helper(fn)}(c, ${size}, ${el(size, d)}, ${el(size, rn(insn))}, ${el(size, rm(insn))});`);
    zeroUpper(b, size, d);
    return true;
  };
}

/** FMADD/FMSUB/FNMADD/FNMSUB: Vd = +-Va +- Vn*Vm, fused. */
function fused(negateProduct: boolean, negateAddend: boolean) {
  return (b: BlockBuilder, insn: number): boolean => {
    const size = ftypeSize(insn);
    if (!size) return false;
    const d = rd(insn);
    const a = bits(insn, 10, 5);
    b.emit(`${b.helper(fmuladd)}(c, ${size}, ${el(size, d)}, ${el(size, a)}, ${el(size, rn(insn))}, ${el(size, rm(insn))}, ${negateProduct}, ${negateAddend});`);
    zeroUpper(b, size, d);
    return true;
  };
}

/** FP data-processing (1 source), opcode = insn[20:15]. */
function emitOneSource(b: BlockBuilder, insn: number): boolean {
  const op = bits(insn, 15, 6);
  if (op === 0b000111 || bits(insn, 22, 2) === 3) return emitHalfConvert(b, insn, op);
  const size = ftypeSize(insn);
  if (!size) return false;
  const d = rd(insn), n = rn(insn);
  const D = el(size, d), N = el(size, n);
  switch (op) {
    case 0b000000: // FMOV (register)
      if (size === 32) b.emit(`${b.view("vw")}[${D}] = vw[${N}];`);
      else b.emit(`${b.view("vd")}[${D}] = vd[${N}];`);
      break;
    case 0b000001: b.emit(`${b.helper(fabs)}(c, ${size}, ${D}, ${N});`); break;
    case 0b000010: b.emit(`${b.helper(fneg)}(c, ${size}, ${D}, ${N});`); break;
    case 0b000011: b.emit(`${b.helper(fsqrt)}(c, ${size}, ${D}, ${N});`); break;
    case 0b000100: // FCVT Sd, Dn
    case 0b000101: { // FCVT Dd, Sn
      const to: Size = op === 0b000100 ? 32 : 64;
      if (to === size) return false;
      b.emit(`${b.helper(fcvt)}(c, ${size}, ${to}, ${el(to, d)}, ${N});`);
      zeroUpper(b, to, d);
      return true;
    }
    case 0b001000: case 0b001001: case 0b001010: case 0b001011: case 0b001100: case 0b001110: case 0b001111: {
      // FRINTN, FRINTP, FRINTM, FRINTZ, FRINTA, (101 unallocated), FRINTX, FRINTI
      const mode = [RN, RP, RM, RZ, RA, -2, FPCR_ROUNDING, FPCR_ROUNDING][op & 7];
      b.emit(`${b.helper(frint)}(c, ${size}, ${D}, ${N}, ${mode}, ${op === 0b001110});`);
      break;
    }
    default:
      return false; // FCVT to half, FRINT32/64 (FEAT_FRINTTS), BFCVT: unhandled
  }
  zeroUpper(b, size, d);
  return true;
}

/**
 * FCVT to and from half precision (base Armv8.0, not FEAT_FP16): Hd <- Sn/Dn
 * (op 000111, ftype 00/01) and Sd/Dd <- Hn (ftype 11, op 000100/000101).
 * Half -> double is exact through single (both conversions are exact).
 */
function emitHalfConvert(b: BlockBuilder, insn: number, op: number): boolean {
  const ftype = bits(insn, 22, 2);
  const d = rd(insn), n = rn(insn);
  if (op === 0b000111 && (ftype === 0 || ftype === 1)) {
    const from = ftype === 0 ? `${b.helper(singleToHalf)}(c, ${b.view("vw")}[${4 * n}])` : `${b.helper(doubleToHalf)}(c, ${b.view("vd")}[${2 * n}])`;
    const h = b.tmp();
    b.emit(`const ${h} = ${from};`);
    b.emit(`${b.view("vd")}[${2 * d}] = 0n; vd[${2 * d + 1}] = 0n; ${b.view("vh")}[${8 * d}] = ${h};`);
    return true;
  }
  if (ftype === 3 && (op === 0b000100 || op === 0b000101)) {
    const s = b.tmp();
    b.emit(`const ${s} = ${b.helper(halfToSingle)}(c, ${b.view("vh")}[${8 * n}]);`);
    if (op === 0b000100) {
      b.emit(`${b.view("vd")}[${2 * d}] = 0n; vd[${2 * d + 1}] = 0n; ${b.view("vw")}[${4 * d}] = ${s};`);
    } else {
      b.emit(`${b.helper(halfToDouble)}(c, ${2 * d}, ${s});`);
      b.emit(`${b.view("vd")}[${2 * d + 1}] = 0n;`);
    }
    return true;
  }
  return false;
}

const widenScratch = new Float32Array(1);
const widenScratchBits = new Uint32Array(widenScratch.buffer);

/** Write the double equal to single bits `s` (a half converted exactly) at element index `d` of vd. */
function halfToDouble(c: CpuState, d: number, s: number): void {
  const exp = (s >>> 23) & 0xff;
  if (exp === 0xff && (s & 0x7fffff) !== 0) {
    // A NaN (already quieted, or the default NaN): keep sign and payload, as FPConvert does.
    c.vd[d] = (BigInt(s >>> 31) << 63n) | 0x7ff8000000000000n | (BigInt(s & 0x3fffff) << 29n);
    return;
  }
  widenScratchBits[0] = s;
  c.vf64[d] = widenScratch[0];
}

/** FCMP/FCMPE (register or #0.0): NZCV from the comparison. */
function emitCompare(b: BlockBuilder, insn: number): boolean {
  const size = ftypeSize(insn);
  if (!size) return false;
  const withZero = bits(insn, 3, 1) === 1;
  const signalling = bits(insn, 4, 1) === 1;
  const m = withZero ? -1 : el(size, rm(insn));
  b.setNzcv(`${b.helper(fcompare)}(c, ${size}, ${el(size, rn(insn))}, ${m}, ${signalling})`);
  return true;
}

/** FCCMP/FCCMPE: NZCV = cond ? compare(Vn, Vm) : #nzcv. */
function emitCondCompare(b: BlockBuilder, insn: number): boolean {
  const size = ftypeSize(insn);
  if (!size) return false;
  const cond = b.cond(bits(insn, 12, 4));
  const imm = (bits(insn, 0, 4) << 28) >>> 0;
  const signalling = bits(insn, 4, 1) === 1;
  b.setNzcv(`(${cond}) ? ${b.helper(fcompare)}(c, ${size}, ${el(size, rn(insn))}, ${el(size, rm(insn))}, ${signalling}) : ${imm}`);
  return true;
}

/** FCSEL: Vd = cond ? Vn : Vm (bit copy, no flags). */
function emitSelect(b: BlockBuilder, insn: number): boolean {
  const size = ftypeSize(insn);
  if (!size) return false;
  const d = rd(insn);
  const cond = b.cond(bits(insn, 12, 4));
  const v = b.view(size === 32 ? "vw" : "vd");
  b.emit(`${v}[${el(size, d)}] = (${cond}) ? ${v}[${el(size, rn(insn))}] : ${v}[${el(size, rm(insn))}];`);
  zeroUpper(b, size, d);
  return true;
}

/**
 * FMOV (scalar, immediate): VFPExpandImm(imm8 = abcdefgh) gives
 * sign a, exponent NOT(b):Replicate(b, E-3):cd, fraction efgh:Zeros.
 */
function emitFmovImm(b: BlockBuilder, insn: number): boolean {
  const size = ftypeSize(insn);
  if (!size) return false;
  const imm8 = bits(insn, 13, 8);
  const a = imm8 >> 7, bb = (imm8 >> 6) & 1, cd = (imm8 >> 4) & 3, efgh = imm8 & 15;
  const d = rd(insn);
  if (size === 32) {
    const exp = ((bb ^ 1) << 7) | (bb ? 0x7c : 0) | cd;
    const v = ((a << 31) | (exp << 23) | (efgh << 19)) >>> 0;
    b.emit(`${b.view("vw")}[${4 * d}] = ${v};`);
  } else {
    const exp = ((bb ^ 1) << 10) | (bb ? 0x3fc : 0) | cd;
    const hi = ((a << 31) | (exp << 20) | (efgh << 16)) >>> 0;
    b.emit(`${b.view("vd")}[${2 * d}] = ${BigInt(hi) << 32n}n;`);
  }
  zeroUpper(b, size, d);
  return true;
}

/**
 * Conversion between FP and integer (insn[15:10] = 0):
 *   sf . . 11110 ftype 1 rmode opcode 000000 Rn Rd
 * opcode 000/001 FCVT{N,P,M,Z}{S,U} (by rmode), 100/101 FCVTA{S,U},
 * 010/011 SCVTF/UCVTF, 110/111 FMOV to/from general registers.
 */
function emitIntConvert(b: BlockBuilder, insn: number): boolean {
  const sf = bits(insn, 31, 1);
  const ftype = bits(insn, 22, 2);
  const rmode = bits(insn, 19, 2);
  const op = bits(insn, 16, 3);
  const d = rd(insn), n = rn(insn);
  const intSize: Size = sf ? 64 : 32;
  if (op >= 6) {
    if (rmode === 1 && ftype === 2 && sf === 1) {
      // FMOV Xd, Vn.D[1] / FMOV Vd.D[1], Xn
      if (op === 6) b.setX(d, `${b.view("vd")}[${2 * n + 1}]`);
      else b.emit(`${b.view("vd")}[${2 * d + 1}] = ${b.x(n)};`);
      return true;
    }
    if (rmode !== 0 || ftype !== sf) return false; // half-precision FMOV, FJCVTZS: unhandled
    if (op === 6) {
      if (sf) b.setX(d, `${b.view("vd")}[${2 * n}]`);
      else b.setW(d, `BigInt(${b.view("vw")}[${4 * n}])`);
    } else {
      if (sf) b.emit(`${b.view("vd")}[${2 * d}] = ${b.x(n)};`);
      else b.emit(`${b.view("vw")}[${4 * d}] = Number(${b.w(n)});`);
      zeroUpper(b, sf ? 64 : 32, d);
    }
    return true;
  }
  const size = ftypeSize(insn);
  if (!size) return false;
  if (op === 2 || op === 3) {
    if (rmode !== 0) return false;
    b.emit(`${b.helper(fixedToFp)}(c, ${size}, ${el(size, d)}, ${b.reg(intSize, n)}, ${intSize}, ${op === 3}, 0);`);
    zeroUpper(b, size, d);
    return true;
  }
  let mode: number;
  if (op <= 1) mode = [RN, RP, RM, RZ][rmode];
  else if (rmode === 0) mode = RA; // op 4/5: FCVTAS/FCVTAU
  else return false;
  toGpr(b, size, intSize, d, el(size, n), (op & 1) === 1, 0, mode);
  return true;
}

/** Xd/Wd = fpToFixed(...); the call runs even for XZR, for its FPSR flags. */
function toGpr(b: BlockBuilder, size: Size, intSize: Size, d: number, n: number, unsigned: boolean, fbits: number, mode: number): void {
  const call = `${b.helper(fpToFixed)}(c, ${size}, ${n}, ${intSize}, ${unsigned}, ${fbits}, ${mode})`;
  if (d === 31) b.emit(`${call};`);
  else b.setX(d, call);
}

/**
 * Conversion between FP and fixed point:
 *   sf . . 11110 ftype 0 rmode opcode scale Rn Rd,  fbits = 64 - scale
 * rmode:opcode 00:010 SCVTF, 00:011 UCVTF, 11:000 FCVTZS, 11:001 FCVTZU.
 */
function emitFixedConvert(b: BlockBuilder, insn: number): boolean {
  const size = ftypeSize(insn);
  if (!size) return false;
  const sf = bits(insn, 31, 1);
  const scale = bits(insn, 10, 6);
  if (sf === 0 && scale < 32) return false;
  const fbits = 64 - scale;
  const intSize: Size = sf ? 64 : 32;
  const rmodeOp = bits(insn, 16, 5);
  const d = rd(insn), n = rn(insn);
  switch (rmodeOp) {
    case 0b00010:
    case 0b00011:
      b.emit(`${b.helper(fixedToFp)}(c, ${size}, ${el(size, d)}, ${b.reg(intSize, n)}, ${intSize}, ${rmodeOp === 0b00011}, ${fbits});`);
      zeroUpper(b, size, d);
      return true;
    case 0b11000:
    case 0b11001:
      toGpr(b, size, intSize, d, el(size, n), rmodeOp === 0b11001, fbits, RZ);
      return true;
    default:
      return false;
  }
}

export const FP_SCALAR: InsnPattern[] = [
  pattern("FMADD", "0001 1111 xx0x xxxx 0xxx xxxx xxxx xxxx", fused(false, false)),
  pattern("FMSUB", "0001 1111 xx0x xxxx 1xxx xxxx xxxx xxxx", fused(true, false)),
  pattern("FNMADD", "0001 1111 xx1x xxxx 0xxx xxxx xxxx xxxx", fused(true, true)),
  pattern("FNMSUB", "0001 1111 xx1x xxxx 1xxx xxxx xxxx xxxx", fused(false, true)),
  pattern("FMUL_s", "0001 1110 xx1x xxxx 0000 10xx xxxx xxxx", binary(fmul)),
  pattern("FDIV_s", "0001 1110 xx1x xxxx 0001 10xx xxxx xxxx", binary(fdiv)),
  pattern("FADD_s", "0001 1110 xx1x xxxx 0010 10xx xxxx xxxx", binary(fadd)),
  pattern("FSUB_s", "0001 1110 xx1x xxxx 0011 10xx xxxx xxxx", binary(fsub)),
  pattern("FMAX_s", "0001 1110 xx1x xxxx 0100 10xx xxxx xxxx", binary(fmax)),
  pattern("FMIN_s", "0001 1110 xx1x xxxx 0101 10xx xxxx xxxx", binary(fmin)),
  pattern("FMAXNM_s", "0001 1110 xx1x xxxx 0110 10xx xxxx xxxx", binary(fmaxnm)),
  pattern("FMINNM_s", "0001 1110 xx1x xxxx 0111 10xx xxxx xxxx", binary(fminnm)),
  pattern("FNMUL_s", "0001 1110 xx1x xxxx 1000 10xx xxxx xxxx", binary(fnmul)),
  pattern("FP_1src", "0001 1110 xx1x xxxx x100 00xx xxxx xxxx", emitOneSource),
  pattern("FCMP", "0001 1110 xx1x xxxx 0010 00xx xxx0 0000", emitCompare),
  pattern("FCMP_z", "0001 1110 xx1x xxxx 0010 00xx xxx0 1000", emitCompare),
  pattern("FCMPE", "0001 1110 xx1x xxxx 0010 00xx xxx1 0000", emitCompare),
  pattern("FCMPE_z", "0001 1110 xx1x xxxx 0010 00xx xxx1 1000", emitCompare),
  pattern("FMOV_imm", "0001 1110 xx1x xxxx xxx1 0000 000x xxxx", emitFmovImm),
  pattern("FCCMP", "0001 1110 xx1x xxxx xxxx 01xx xxxx xxxx", emitCondCompare),
  pattern("FCSEL", "0001 1110 xx1x xxxx xxxx 11xx xxxx xxxx", emitSelect),
  pattern("FP_int_conv", "x001 1110 xx1x xxxx 0000 00xx xxxx xxxx", emitIntConvert),
  pattern("FP_fixed_conv", "x001 1110 xx0x xxxx xxxx xxxx xxxx xxxx", emitFixedConvert),
];

/** Scalar FP encodings deliberately left UNDEFINED. */
export const FP_SCALAR_UNHANDLED: UnhandledPattern[] = [
  { ...pattern("FP_half", "x001 111x 11xx xxxx xxxx xxxx xxxx xxxx", () => false), reason: "half-precision arithmetic (FEAT_FP16) is not implemented; the emitters reject ftype = 11 except FCVT Sd/Dd, Hn (base Armv8.0)" },
  { ...pattern("FJCVTZS", "0001 1110 0111 1110 0000 00xx xxxx xxxx", () => false), reason: "FEAT_JSCVT is not implemented" },
  { ...pattern("FRINT32_64", "0001 1110 0x10 100x x100 00xx xxxx xxxx", () => false), reason: "FEAT_FRINTTS is not implemented" },
  { ...pattern("BFCVT", "0001 1110 0110 0011 0100 00xx xxxx xxxx", () => false), reason: "FEAT_BF16 is not implemented" },
];
