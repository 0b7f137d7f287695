// Data processing -- register (Arm ARM C4.1.88, op0 = x101): logical and
// add/subtract (shifted and extended register), add/subtract with carry,
// conditional compare, conditional select, data-processing 1-source (RBIT,
// REV*, CLZ, CLS), 2-source (UDIV, SDIV, LSLV..RORV, CRC32*), 3-source
// (MADD, MSUB, SMADDL, SMSUBL, UMADDL, UMSUBL, SMULH, UMULH).
//
//   31 30 29 28 27..25 24..21 20..16 15..10 9..5 4..0
//  +--+--+--+--+------+------+------+------+----+----+
//  |sf|o0| S|o1| 101  |  op2 |  Rm  |  op3 | Rn | Rd |
//  +--+--+--+--+------+------+------+------+----+----+
//   o1 = 0: op2 0xxx logical (shifted), 1xx0 add/sub shifted, 1xx1 add/sub extended
//   o1 = 1: op2 0000 ADC/SBC (op3 = 000000), 0010 CCMN/CCMP, 0100 CSEL family,
//           0110 2-source (o0 = 0) / 1-source (o0 = 1), 1xxx 3-source
//
// Same code-generation rules as dp_imm.ts: results go straight into x[]
// (which wraps modulo 2^64), flag operands are BigInt.asUintN temporaries.
// Operations V8 does not lower on BigInts (variable right shifts, CLZ, byte
// and bit reversal) run as int32 operations on the two 32-bit halves of the
// builder's scratch (s64/s32); LSLV is a multiplication by a power of two.
//
// Deliberately not handled (UNDEFINED): RMIF, SETF8/SETF16 (FEAT_FlagM),
// pointer-authentication 1-source ops and PACGA (FEAT_PAuth), SUBP/SUBPS, IRG,
// GMI (FEAT_MTE), ABS/CNT/CTZ/SMAX/UMIN... (FEAT_CSSC).

import type { BlockBuilder } from "../builder.js";
import { FLAG_C, FLAG_N, FLAG_V, FLAG_Z } from "../state.js";
import { bits, InsnPattern, pattern, UnhandledPattern } from "./table.js";
import { flagOperand, lit, signExtendExpr, Size, temp, topLit } from "./dp_imm.js";

const M32 = "0xffffffffn";

// --- Operand shapes ---------------------------------------------------------------

/**
 * Rm shifted by a constant (DecodeShift: 0 LSL, 1 LSR, 2 ASR, 3 ROR): an
 * expression whose low `size` bits are right (higher bits may be anything,
 * it may be negative). Callers store it into x[] or wrap it in asUintN.
 */
function shiftedReg(size: Size, m: number, type: number, amt: number): string {
  if (m === 31) return "0n";
  const k = BigInt(amt);
  const u = size === 64 ? `x[${m}]` : `(x[${m}] & ${M32})`;
  if (amt === 0) return `x[${m}]`;
  switch (type) {
    case 0: return `(x[${m}] << ${k}n)`;
    case 1: return `(${u} >> ${k}n)`;
    case 2: return size === 64 ? `(xs[${m}] >> ${k}n)` : `(${signExtendExpr(u, 32)} >> ${k}n)`;
    default: return `((${u} >> ${k}n) | (x[${m}] << ${BigInt(size - amt)}n))`;
  }
}

/**
 * Rm extended and shifted (ExtendReg): option 0..3 UXTB/UXTH/UXTW/UXTX,
 * 4..7 SXTB/SXTH/SXTW/SXTX, then LSL by 0..4. Low `size` bits are right.
 */
function extendedReg(m: number, option: number, shift: number): string {
  if (m === 31) return "0n";
  const widths = [8, 16, 32, 64];
  const w = widths[option & 3];
  let v: string;
  if (w === 64) v = option & 4 ? `xs[${m}]` : `x[${m}]`;
  else {
    const masked = `(x[${m}] & ${lit((1n << BigInt(w)) - 1n)})`;
    v = option & 4 ? signExtendExpr(masked, w) : masked;
  }
  return shift === 0 ? v : `(${v} << ${BigInt(shift)}n)`;
}

/** `expr` truncated to `size` bits, for a flag temporary (skips the wrap when already exact). */
function exact(size: Size, expr: string): string {
  return /^x\[\d+\]$/.test(expr) && size === 64 ? expr : expr === "0n" ? "0n" : `BigInt.asUintN(${size}, ${expr})`;
}

/**
 * NZCV (bits 31..28 as a JS number) of a + b or a - b, for CCMN/CCMP which
 * set flags conditionally. a, b, r: unsigned `size`-bit temporaries.
 */
function nzcvExpr(sub: boolean, size: Size, a: string, b: string, r: string): string {
  const top = topLit(size);
  // V8 lowers asIntN(64) comparisons; `>= 2^63` on unsigned BigInts allocates.
  const neg = (v: string) => (size === 64 ? `BigInt.asIntN(64, ${v}) < 0n` : `(${v} & ${top}) !== 0n`);
  const n = `(${neg(r)} ? ${FLAG_N} : 0)`;
  const z = `(${r} === 0n ? ${FLAG_Z} : 0)`;
  const carry = sub ? `${a} >= ${b}` : `${r} < ${a}`; // unsigned add carries iff the sum wrapped below a
  const v = sub ? neg(`((${a} ^ ${b}) & (${a} ^ ${r}))`) : neg(`((${a} ^ ${r}) & (${b} ^ ${r}))`);
  return `${n} | ${z} | (${carry} ? ${FLAG_C} : 0) | (${v} ? ${FLAG_V} : 0)`;
}

// --- Logical (shifted register) --------------------------------------------------
//   sf | opc | 01010 | shift | N | Rm | imm6 | Rn | Rd
//   opc:N  000 AND 001 BIC 010 ORR 011 ORN 100 EOR 101 EON 110 ANDS 111 BICS

function LOGICAL_reg(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const imm6 = bits(insn, 10, 6);
  if (size === 32 && imm6 >= 32) return false;
  const opc = bits(insn, 29, 2);
  const invert = bits(insn, 21, 1) === 1;
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  let op2 = shiftedReg(size, m, bits(insn, 22, 2), imm6);
  if (invert) op2 = op2 === "0n" ? "-1n" : `(${op2} ^ -1n)`;
  const rn = b.x(n);
  let raw: string;
  if (opc === 1 && n === 31) raw = op2; // MOV, MVN
  else if (n === 31 && (opc === 0 || opc === 3)) raw = "0n";
  else raw = `${rn} ${opc === 1 ? "|" : opc === 2 ? "^" : "&"} ${op2}`;
  if (opc === 3) {
    const r = temp(b, exact(size, raw));
    b.setX(d, r);
    b.setFlags("logic", size, r, r, r);
    return true;
  }
  if (size === 64) b.setX(d, raw);
  else if (raw === "0n") b.setX(d, "0n");
  else b.setW(d, raw);
  return true;
}

// --- Add/subtract (shifted register) ----------------------------------------------
//   sf | op | S | 01011 | shift | 0 | Rm | imm6 | Rn | Rd     (shift 11 reserved)

function ADDSUB_shift(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const type = bits(insn, 22, 2);
  const imm6 = bits(insn, 10, 6);
  if (type === 3 || (size === 32 && imm6 >= 32)) return false;
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  const op2 = shiftedReg(size, m, type, imm6);
  return addSub(b, insn, size, b.x(n), size === 64 ? b.x(n) : flagOperand(b, 32, n), op2, false, d);
}

// --- Add/subtract (extended register) ---------------------------------------------
//   sf | op | S | 01011 | opt=00 | 1 | Rm | option | imm3 | Rn | Rd   (Rn = SP; Rd = SP unless S)

function ADDSUB_ext(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const imm3 = bits(insn, 10, 3);
  if (bits(insn, 22, 2) !== 0 || imm3 > 4) return false;
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  const op2 = extendedReg(m, bits(insn, 13, 3), imm3);
  return addSub(b, insn, size, `x[${n}]`, size === 64 ? `x[${n}]` : `BigInt.asUintN(32, x[${n}])`, op2, true, d);
}

/**
 * Shared body of ADD/SUB(S) register forms. `rn`: Rn for the result; `rnExact`:
 * Rn truncated to `size` bits for flags; `op2`: second operand (low bits
 * right); `spDest`: Rd 31 is SP when flags are not set.
 */
function addSub(b: BlockBuilder, insn: number, size: Size, rn: string, rnExact: string, op2: string, spDest: boolean, d: number): boolean {
  const sub = ((insn >>> 30) & 1) === 1;
  const setFlags = ((insn >>> 29) & 1) === 1;
  const op = sub ? "-" : "+";
  if (!setFlags) {
    const expr = op2 === "0n" ? rn : rn === "0n" ? (sub ? `-${op2}` : op2) : `${rn} ${op} ${op2}`;
    if (spDest) {
      if (size === 64) b.setXOrSp(d, expr);
      else b.setWOrSp(d, expr);
    } else b.setReg(size, d, expr);
    return true;
  }
  const a = temp(b, rnExact);
  const bb = op2 === "0n" ? "0n" : temp(b, exact(size, op2));
  const r = temp(b, `BigInt.asUintN(${size}, ${a} ${op} ${bb})`);
  b.setX(d, r);
  b.setFlags(sub ? "sub" : "add", size, a, bb, r);
  return true;
}

// --- Add/subtract with carry ---------------------------------------------------------
//   sf | op | S | 11010000 | Rm | 000000 | Rn | Rd

function ADC_SBC(b: BlockBuilder, insn: number): void {
  const size: Size = insn >>> 31 ? 64 : 32;
  const sub = ((insn >>> 30) & 1) === 1;
  const setFlags = ((insn >>> 29) & 1) === 1;
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  // Carry-in through the condition CS: straight from a pending ADDS/SUBS recipe when there is one.
  const cin = temp(b, `(${b.cond(0b0010)}) ? 1n : 0n`);
  if (!setFlags) {
    const expr = sub ? `${b.x(n)} - ${b.x(m)} - 1n + ${cin}` : `${b.x(n)} + ${b.x(m)} + ${cin}`;
    b.setReg(size, d, expr);
    return;
  }
  const a = temp(b, flagOperand(b, size, n));
  const bb = temp(b, flagOperand(b, size, m));
  const r = temp(b, `BigInt.asUintN(${size}, ${sub ? `${a} - ${bb} - 1n + ${cin}` : `${a} + ${bb} + ${cin}`})`);
  b.setX(d, r);
  b.setFlags(sub ? "sub" : "add", size, a, bb, r, cin);
}

// --- Conditional compare -----------------------------------------------------------------
//   sf | op | 1 | 11010010 | Rm/imm5 | cond | i | 0 | Rn | 0 | nzcv
//   NZCV = cond ? flags(Rn - op2) (CCMP) or flags(Rn + op2) (CCMN) : nzcv

function CCMP(b: BlockBuilder, insn: number): boolean {
  if (bits(insn, 29, 1) === 0 || bits(insn, 10, 1) === 1 || bits(insn, 4, 1) === 1) return false;
  const size: Size = insn >>> 31 ? 64 : 32;
  const sub = ((insn >>> 30) & 1) === 1;
  const immForm = bits(insn, 11, 1) === 1;
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const nzcv = bits(insn, 0, 4) << 28;
  const cond = b.cond(bits(insn, 12, 4));
  const a = temp(b, flagOperand(b, size, n));
  const bb = immForm ? lit(BigInt(m)) : temp(b, flagOperand(b, size, m));
  const r = temp(b, `BigInt.asUintN(${size}, ${a} ${sub ? "-" : "+"} ${bb})`);
  b.setNzcv(`(${cond}) ? (${nzcvExpr(sub, size, a, bb, r)}) : ${nzcv >>> 0}`);
  return true;
}

// --- Conditional select ---------------------------------------------------------------------
//   sf | op | 0 | 11010100 | Rm | cond | op2 | Rn | Rd
//   op:op2  00 CSEL  01 CSINC  10 CSINV  11 CSNEG       (op2 1x unallocated)

function CSEL(b: BlockBuilder, insn: number): boolean {
  if (bits(insn, 29, 1) === 1 || bits(insn, 11, 1) === 1) return false;
  const size: Size = insn >>> 31 ? 64 : 32;
  const kind = (bits(insn, 30, 1) << 1) | bits(insn, 10, 1);
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  const cond = b.cond(bits(insn, 12, 4));
  const rm = b.x(m);
  let other: string;
  if (m === 31) other = ["0n", "1n", lit((1n << BigInt(size)) - 1n), "0n"][kind]; // CSET, CSETM
  else other = [rm, `${rm} + 1n`, `(${rm} ^ -1n)`, `-${rm}`][kind];
  const expr = `(${cond}) ? ${b.x(n)} : ${other}`;
  if (size === 64 || (m === 31 && n === 31)) b.setX(d, expr);
  else b.setW(d, expr);
  return true;
}

// --- Data-processing (1 source) ----------------------------------------------------------
//   sf | 1 | S | 11010110 | opcode2 | opcode | Rn | Rd
//   opcode 000000 RBIT 000001 REV16 000010 REV32 (REV for sf=0) 000011 REV 000100 CLZ 000101 CLS

/** RBIT of a 32-bit number (called from generated code). */
function rbit32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/**
 * A JS number expression: leading zero bits of `v` (a BigInt below 2^size).
 * Goes through the builder's scratch halves (s64/s32): Number(bigint) is a
 * runtime call, ten times slower.
 */
function clzExpr(b: BlockBuilder, size: Size, v: string): string {
  const lo = b.low32(v); // (s64[0] = v, s32[0]); also declares s32
  if (size === 32) return `Math.clz32(${lo})`;
  return `((${lo}, s32[1]) !== 0 ? Math.clz32(s32[1]) : 32 + Math.clz32(s32[0]))`;
}

/** Byte reversal of a 32-bit JS number expression (int32 result; stores into s32 wrap). */
function bswap32(v: string): string {
  return `((${v} << 24) | ((${v} & 0xff00) << 8) | ((${v} >>> 8) & 0xff00) | (${v} >>> 24))`;
}

/** Bytes swapped within each halfword of a 32-bit JS number expression. */
function bswap16x2(v: string): string {
  return `(((${v} >>> 8) & 0x00ff00ff) | ((${v} & 0x00ff00ff) << 8))`;
}

function DP_1SRC(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const opcode = bits(insn, 10, 6);
  if (bits(insn, 29, 1) === 1 || bits(insn, 16, 5) !== 0 || opcode > 5) return false;
  if (opcode === 3 && size === 32) return false; // REV (64-bit) only
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  const src = size === 64 ? b.x(n) : b.w(n);
  if (opcode <= 3) {
    // RBIT, REV16, REV32, REV work on the two 32-bit halves in the scratch (plain int32 operations).
    if (d === 31) return true;
    const lo = temp(b, b.low32(b.x(n)));
    const hi = size === 64 ? temp(b, "s32[1]") : "";
    const rbit = b.helper(rbit32);
    let newLo: string, newHi: string;
    switch (opcode) {
      case 0: [newLo, newHi] = size === 64 ? [`${rbit}(${hi})`, `${rbit}(${lo})`] : [`${rbit}(${lo})`, "0"]; break;
      case 1: [newLo, newHi] = [bswap16x2(lo), size === 64 ? bswap16x2(hi) : "0"]; break;
      case 2: [newLo, newHi] = [bswap32(lo), size === 64 ? bswap32(hi) : "0"]; break; // REV32; REV for W
      default: [newLo, newHi] = [bswap32(hi), bswap32(lo)]; break; // REV (64-bit)
    }
    b.emit(`s32[0] = ${newLo}; s32[1] = ${newHi}; x[${d}] = s64[0];`);
    return true;
  }
  switch (opcode) {
    case 4: b.setX(d, `BigInt(${clzExpr(b, size, src)})`); break;
    default: {
      // CLS: bit i of y is Rn<i+1> XOR Rn<i>; its leading zeros over size-1 bits count the sign copies.
      const y = `(((${src} >> 1n) ^ ${src}) & ${lit((1n << BigInt(size - 1)) - 1n)})`;
      b.setX(d, `BigInt(${clzExpr(b, size, y)} - 1)`);
      break;
    }
  }
  return true;
}

// --- Data-processing (2 source) -------------------------------------------------------------
//   sf | 0 | S | 11010110 | Rm | opcode | Rn | Rd
//   opcode 000010 UDIV 000011 SDIV 0010xx LSLV/LSRV/ASRV/RORV
//          0100sz CRC32{B,H,W,X}  0101sz CRC32C{B,H,W,X} (X needs sf=1, others sf=0)

function crcTable(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

/** Bit-reflected polynomials: CRC-32 (0x04C11DB7) and CRC-32C Castagnoli (0x1EDC6F41). */
const CRC32_TABLE = crcTable(0xedb88320);
const CRC32C_TABLE = crcTable(0x82f63b78);

/**
 * CRC32{B,H,W,X} and CRC32C{B,H,W,X}: update the 32-bit accumulator with the low `bytes` bytes
 * of `data`, least significant first, without pre/post inversion (as the
 * instructions define it). Returns the new accumulator.
 */
function crcHelper(acc: bigint, data: bigint, bytes: number, castagnoli: boolean): bigint {
  const table = castagnoli ? CRC32C_TABLE : CRC32_TABLE;
  let crc = Number(acc & 0xffffffffn);
  let lo = Number(data & 0xffffffffn);
  let hi = Number((data >> 32n) & 0xffffffffn);
  for (let i = 0; i < bytes; i++) {
    crc = table[(crc ^ lo) & 0xff] ^ (crc >>> 8);
    lo = (lo >>> 8) | ((hi & 0xff) << 24);
    hi >>>= 8;
  }
  return BigInt(crc >>> 0);
}

/** 2^i for i = 0..63: LSLV as a multiplication, which V8 lowers (a variable BigInt shift is a runtime call). */
const POW2 = BigUint64Array.from({ length: 64 }, (_, i) => 1n << BigInt(i));

/**
 * LSLV/LSRV/ASRV/RORV Rd, Rn, Rm (type 0..3), Rd not XZR. The amount is
 * Rm modulo the width. Right shifts run on the 32-bit halves in the
 * builder's scratch (s64/s32), where every operation is a plain int32 one.
 */
function variableShift(b: BlockBuilder, size: Size, type: number, d: number, n: number, m: number): void {
  const k = temp(b, `${b.low32(b.x(m))} & ${size - 1}`);
  if (size === 32) {
    const v = temp(b, b.low32(b.x(n)));
    const r = [`${v} << ${k}`, `${v} >>> ${k}`, `${v} >> ${k}`, `${k} === 0 ? ${v} : (${v} >>> ${k}) | (${v} << (32 - ${k}))`][type];
    b.emit(`s32[0] = ${r}; s32[1] = 0; x[${d}] = s64[0];`);
    return;
  }
  const pow = b.helper(POW2);
  if (type === 0) {
    b.setX(d, `${b.x(n)} * ${pow}[${k}]`);
    return;
  }
  const lo = temp(b, b.low32(b.x(n)));
  const hi = temp(b, "s32[1]");
  // 64-bit right shift of hi:lo by k: JS shift counts are mod 32, so k = 0 and k >= 32 are separate.
  const fill = type === 2 ? `${hi} >> 31` : "0";
  const high = type === 2 ? `${hi} >> ${k}` : `${hi} >>> ${k}`;
  b.emit(`if (${k} === 0) { s32[0] = ${lo}; s32[1] = ${hi}; }` +
    ` else if (${k} < 32) { s32[0] = (${lo} >>> ${k}) | (${hi} << (32 - ${k})); s32[1] = ${high}; }` +
    ` else { s32[0] = ${type === 2 ? `${hi} >> (${k} - 32)` : `${hi} >>> (${k} - 32)`}; s32[1] = ${fill}; }`);
  // RORV: OR in the bits shifted out at the bottom, moved to the top (x[] truncates the product).
  b.setX(d, type === 3 ? `s64[0] | (${b.x(n)} * ${pow}[(64 - ${k}) & 63])` : "s64[0]");
}

function DP_2SRC(b: BlockBuilder, insn: number): boolean {
  if (bits(insn, 29, 1) === 1) return false;
  const size: Size = insn >>> 31 ? 64 : 32;
  const opcode = bits(insn, 10, 6);
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  if (opcode >= 0b010000 && opcode <= 0b010111) {
    const sz = opcode & 3;
    if ((sz === 3) !== (size === 64)) return false;
    const fn = b.helper(crcHelper);
    b.setX(d, `${fn}(${b.x(n)}, ${b.x(m)}, ${1 << sz}, ${(opcode & 4) !== 0})`);
    return true;
  }
  if (opcode === 2 || opcode === 3) {
    if (opcode === 2) {
      const dv = temp(b, flagOperand(b, size, m));
      b.setX(d, `${dv} === 0n ? 0n : ${flagOperand(b, size, n)} / ${dv}`);
    } else {
      // SDIV rounds toward zero like BigInt division; INT_MIN / -1 = 2^(size-1) wraps back to INT_MIN.
      const sv = (r: number) => (r === 31 ? "0n" : size === 64 ? `xs[${r}]` : signExtendExpr(`(x[${r}] & ${M32})`, 32));
      const dv = temp(b, sv(m));
      const q = `${dv} === 0n ? 0n : ${sv(n)} / ${dv}`;
      b.setReg(size, d, size === 64 ? q : `(${q})`);
    }
    return true;
  }
  if (opcode >= 0b001000 && opcode <= 0b001011) {
    if (d !== 31) variableShift(b, size, opcode & 3, d, n, m);
    return true;
  }
  return false;
}

// --- Data-processing (3 source) ---------------------------------------------------------------
//   sf | op54 | 11011 | op31 | Rm | o0 | Ra | Rn | Rd
//   op31:o0  000:0 MADD 000:1 MSUB 001:0 SMADDL 001:1 SMSUBL 010:0 SMULH
//            101:0 UMADDL 101:1 UMSUBL 110:0 UMULH  (all but MADD/MSUB need sf=1)

function DP_3SRC(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const op31 = bits(insn, 21, 3);
  const o0 = bits(insn, 15, 1);
  if (bits(insn, 29, 2) !== 0) return false;
  const valid = op31 === 0 || ((op31 === 1 || op31 === 5) && size === 64) || ((op31 === 2 || op31 === 6) && o0 === 0 && size === 64);
  if (!valid) return false;
  const m = bits(insn, 16, 5);
  const a = bits(insn, 10, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  if (op31 === 2 || op31 === 6) {
    // SMULH/UMULH: high 64 bits of the 128-bit product.
    const rd = op31 === 2 ? b.sx.bind(b) : b.x.bind(b);
    b.setX(d, n === 31 || m === 31 ? "0n" : `(${rd(n)} * ${rd(m)}) >> 64n`);
    return true;
  }
  let product: string;
  if (op31 === 0) product = `${b.x(n)} * ${b.x(m)}`; // low bits of the product only depend on low bits
  else if (op31 === 1) product = `${signExtendExpr(b.w(n), 32)} * ${signExtendExpr(b.w(m), 32)}`;
  else product = `${b.w(n)} * ${b.w(m)}`;
  if (n === 31 || m === 31) product = "0n";
  const acc = b.x(a);
  let expr: string;
  if (o0 === 0) expr = acc === "0n" ? product : `${acc} + ${product}`;
  else expr = acc === "0n" ? `-(${product})` : `${acc} - ${product}`;
  b.setReg(size, d, expr);
  return true;
}

export const DP_REG: InsnPattern[] = [
  pattern("LOGICAL_reg", "xxx01010 xxxxxxxx xxxxxxxx xxxxxxxx", LOGICAL_reg),
  pattern("ADDSUB_shift", "xxx01011 xx0xxxxx xxxxxxxx xxxxxxxx", ADDSUB_shift),
  pattern("ADDSUB_ext", "xxx01011 xx1xxxxx xxxxxxxx xxxxxxxx", ADDSUB_ext),
  pattern("ADC_SBC", "xxx11010 000xxxxx 000000xx xxxxxxxx", ADC_SBC),
  pattern("CCMN_CCMP", "xxx11010 010xxxxx xxxxxxxx xxxxxxxx", CCMP),
  pattern("CSEL", "xxx11010 100xxxxx xxxxxxxx xxxxxxxx", CSEL),
  pattern("DP_2SRC", "x0x11010 110xxxxx xxxxxxxx xxxxxxxx", DP_2SRC),
  pattern("DP_1SRC", "x1x11010 110xxxxx xxxxxxxx xxxxxxxx", DP_1SRC),
  pattern("DP_3SRC", "xxx11011 xxxxxxxx xxxxxxxx xxxxxxxx", DP_3SRC),
];

export const DP_REG_UNHANDLED: UnhandledPattern[] = [
  { name: "RMIF", mask: 0xffe07c10, value: 0xba000400, reason: "FEAT_FlagM not implemented" },
  { name: "SETF8_SETF16", mask: 0xffffbc1f, value: 0x3a00080d, reason: "FEAT_FlagM not implemented" },
  { name: "PAC_1SRC", mask: 0xffff0000, value: 0xdac10000, reason: "pointer authentication (FEAT_PAuth) not implemented" },
  { name: "PACGA", mask: 0xffe0fc00, value: 0x9ac03000, reason: "pointer authentication (FEAT_PAuth) not implemented" },
  { name: "SUBP_SUBPS", mask: 0xdfe0fc00, value: 0x9ac00000, reason: "memory tagging (FEAT_MTE) not implemented" },
  { name: "IRG", mask: 0xffe0fc00, value: 0x9ac01000, reason: "memory tagging (FEAT_MTE) not implemented" },
  { name: "GMI", mask: 0xffe0fc00, value: 0x9ac01400, reason: "memory tagging (FEAT_MTE) not implemented" },
  { name: "CTZ_CNT", mask: 0x7ffff800, value: 0x5ac01800, reason: "FEAT_CSSC not implemented" },
  { name: "ABS", mask: 0x7ffffc00, value: 0x5ac02000, reason: "FEAT_CSSC not implemented" },
  { name: "CSSC_MINMAX", mask: 0x7fe0f000, value: 0x1ac06000, reason: "SMAX/UMAX/SMIN/UMIN (register) need FEAT_CSSC" },
];
