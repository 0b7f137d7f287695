// Data processing -- immediate (Arm ARM C4.1.86, op0 = 100x): PC-relative
// addressing (ADR, ADRP), add/subtract (immediate), logical (immediate), move
// wide (MOVN, MOVZ, MOVK), bitfield (SBFM, BFM, UBFM and their aliases) and
// extract (EXTR, ROR immediate).
//
//   31 30 29 28    23 22                                    0
//  +--+-----+--------+--------------------------------------+
//  |sf| opc | 1 00 op1 |        group-specific fields       |
//  +--+-----+--------+--------------------------------------+
//   op1 = insn[25:23]: 00x PC-rel, 010 add/sub, 011 add/sub with tags,
//                      100 logical, 101 move wide, 110 bitfield, 111 extract
//
// Code generation notes (measured on Node 20 / V8 11, see ARCHITECTURE.md):
// a store into x[] truncates modulo 2^64 for free, so results go straight
// into the register file without masking. Flag operands, which stay live as
// BigInt temporaries, are wrapped in BigInt.asUintN(size, ...): V8 lowers that
// to machine arithmetic, while `& 0xffffffffffffffffn` allocates (5-10x slower).
//
// Deliberately not handled (UNDEFINED):
//   ADDG/SUBG (add/subtract with tags, FEAT_MTE), MIN/MAX immediate (FEAT_CSSC).

import type { BlockBuilder } from "../builder.js";
import { bits, InsnPattern, pattern, sext, UnhandledPattern } from "./table.js";

export type Size = 32 | 64;

/** `n` one bits (2^n - 1) as a BigInt. */
export function onesN(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

/** A BigInt literal in hex (generated code reads better with masks in hex). */
export function lit(v: bigint): string {
  return v < 10n ? `${v}n` : `0x${v.toString(16)}n`;
}

/** Sign bit of a `size`-bit value, as a literal. */
export function topLit(size: Size): string {
  return size === 64 ? "0x8000000000000000n" : "0x80000000n";
}

/**
 * Expression for the low `width` bits of the unsigned BigInt `expr`,
 * sign-extended to an (unbounded) signed BigInt: (v ^ s) - s with s the sign
 * bit. Requires `expr` < 2^width (mask it first). Cheaper than asIntN(width).
 */
export function signExtendExpr(expr: string, width: number): string {
  const s = lit(1n << BigInt(width - 1));
  return `((${expr} ^ ${s}) - ${s})`;
}

/** Register r read as a flag operand: unsigned, `size` bits, truncated; "0n" for XZR. */
export function flagOperand(b: BlockBuilder, size: Size, r: number): string {
  if (r === 31) return "0n";
  return size === 64 ? `x[${r}]` : `BigInt.asUintN(32, x[${r}])`;
}

/** Declare a temporary holding `expr` and return its name. */
export function temp(b: BlockBuilder, expr: string): string {
  const t = b.tmp();
  b.emit(`const ${t} = ${expr};`);
  return t;
}

/**
 * DecodeBitMasks(N, imms, immr, immediate = TRUE) of the Arm ARM shared
 * pseudocode, for logical immediates: returns wmask replicated to `size`
 * bits, or undefined for the reserved combinations (no element size, or an
 * all-ones element).
 *
 *   N:imms selects the element size (the highest set bit of N:NOT(imms)):
 *     N imms      esize   S = imms<len-1:0>
 *     1 xxxxxx     64     run of S+1 ones, rotated right by R = immr<len-1:0>
 *     0 0xxxxx     32
 *     0 10xxxx     16
 *     0 110xxx      8
 *     0 1110xx      4
 *     0 11110x      2
 */
export function decodeBitMasks(n: number, imms: number, immr: number, size: Size): bigint | undefined {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return undefined;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return undefined;
  const esize = 1 << len;
  if (esize > size) return undefined;
  const levels = esize - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return undefined;
  const run = onesN(s + 1);
  const elem = r === 0 ? run : ((run >> BigInt(r)) | (run << BigInt(esize - r))) & onesN(esize);
  let v = 0n;
  for (let i = 0; i < size; i += esize) v |= elem << BigInt(i);
  return v;
}

// --- PC-relative addressing ---------------------------------------------------
//   op | immlo(30:29) | 10000 | immhi(23:5) | Rd

/** ADR Xd, label: Xd = PC + imm21; ADRP: Xd = (PC & ~0xfff) + imm21 << 12. Constant-folded. */
function ADR(b: BlockBuilder, insn: number): void {
  const d = bits(insn, 0, 5);
  const imm = sext((bits(insn, 5, 19) << 2) | bits(insn, 29, 2), 21);
  const page = (insn >>> 31) === 1;
  const base = page ? BigInt(b.pc) & ~0xfffn : BigInt(b.pc);
  const value = BigInt.asUintN(64, base + (page ? BigInt(imm) << 12n : BigInt(imm)));
  b.setX(d, lit(value));
}

// --- Add/subtract (immediate) ------------------------------------------------------
//   sf | op | S | 100010 | sh | imm12 | Rn | Rd      (Rn = SP; Rd = SP unless S)

function ADDSUB_imm(b: BlockBuilder, insn: number): void {
  const size: Size = insn >>> 31 ? 64 : 32;
  const sub = ((insn >>> 30) & 1) === 1;
  const setFlags = ((insn >>> 29) & 1) === 1;
  const imm = BigInt(bits(insn, 10, 12)) << (bits(insn, 22, 1) ? 12n : 0n);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  const op = sub ? "-" : "+";
  if (!setFlags) {
    const src = size === 64 ? b.xOrSp(n) : b.wOrSp(n);
    const expr = imm === 0n ? src : `${src} ${op} ${lit(imm)}`;
    if (size === 64) b.setXOrSp(d, expr);
    else if (imm === 0n) b.setXOrSp(d, src); // MOV wsp: already zero-extended
    else b.setWOrSp(d, expr);
    return;
  }
  const a = temp(b, size === 64 ? `x[${n}]` : `BigInt.asUintN(32, x[${n}])`);
  const r = temp(b, `BigInt.asUintN(${size}, ${a} ${op} ${lit(imm)})`);
  b.setX(d, r);
  b.setFlags(sub ? "sub" : "add", size, a, lit(imm), r);
}

// --- Logical (immediate) -------------------------------------------------------------
//   sf | opc | 100100 | N | immr | imms | Rn | Rd    (Rd = SP unless ANDS)

function LOGICAL_imm(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const opc = bits(insn, 29, 2);
  const nBit = bits(insn, 22, 1);
  if (size === 32 && nBit === 1) return false;
  const mask = decodeBitMasks(nBit, bits(insn, 10, 6), bits(insn, 16, 6), size);
  if (mask === undefined) return false;
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  const imm = lit(mask);
  const src = b.x(n);
  if (opc === 3) {
    // ANDS (TST): the result is below 2^size already.
    const r = temp(b, n === 31 ? "0n" : `BigInt.asUintN(${size}, ${src} & ${imm})`);
    b.setX(d, r);
    b.setFlags("logic", size, r, r, r);
    return true;
  }
  let expr: string;
  if (opc === 0) expr = n === 31 ? "0n" : `${src} & ${imm}`; // AND with imm < 2^size: no mask
  else if (n === 31) expr = imm; // ORR/EOR from XZR: MOV (bitmask immediate)
  else expr = size === 32 ? `(${src} ${opc === 1 ? "|" : "^"} ${imm}) & 0xffffffffn` : `${src} ${opc === 1 ? "|" : "^"} ${imm}`;
  b.setXOrSp(d, expr);
  return true;
}

// --- Move wide (immediate) -----------------------------------------------------------
//   sf | opc | 100101 | hw | imm16 | Rd     opc: 00 MOVN, 10 MOVZ, 11 MOVK

function MOVEWIDE(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const opc = bits(insn, 29, 2);
  const hw = bits(insn, 21, 2);
  if (opc === 1 || (size === 32 && hw >= 2)) return false;
  const d = bits(insn, 0, 5);
  const shift = BigInt(hw * 16);
  const imm = BigInt(bits(insn, 5, 16)) << shift;
  if (opc === 0) b.setX(d, lit(~imm & onesN(size)));
  else if (opc === 2) b.setX(d, lit(imm));
  else {
    const keep = ~(0xffffn << shift) & onesN(size);
    b.setX(d, `(${b.x(d)} & ${lit(keep)}) | ${lit(imm)}`);
  }
  return true;
}

// --- Bitfield --------------------------------------------------------------------------
//   sf | opc | 100110 | N | immr | imms | Rn | Rd   opc: 00 SBFM, 01 BFM, 10 UBFM
// With N = sf the element is the whole register, so DecodeBitMasks reduces
// to two shapes (W = datasize, R = immr, S = imms):
//   S >= R: extract bits S..R of Rn to bit 0            (SBFX/BFXIL/UBFX, ASR/LSR, SXT*/UXT*)
//   S <  R: insert bits S..0 of Rn at bit W-R           (SBFIZ/BFI/UBFIZ, LSL)

function BITFIELD(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const opc = bits(insn, 29, 2);
  const nBit = bits(insn, 22, 1);
  const immr = bits(insn, 16, 6);
  const imms = bits(insn, 10, 6);
  if (opc === 3 || nBit !== (size === 64 ? 1 : 0)) return false;
  if (size === 32 && (immr >= 32 || imms >= 32)) return false;
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  if (d === 31) return true; // the result only goes to XZR; nothing observable
  const extract = imms >= immr;
  const width = extract ? imms - immr + 1 : imms + 1; // field length
  const pos = extract ? 0 : size - immr; // destination bit of the field; pos + width <= size
  const fieldMask = onesN(width);
  // The field, zero-extended, at bit 0.
  let field: string;
  if (n === 31) field = "0n";
  else if (!extract) field = `(x[${n}] & ${lit(fieldMask)})`;
  else {
    const shifted = immr === 0 ? `x[${n}]` : `(x[${n}] >> ${BigInt(immr)}n)`;
    // A 64-bit field reaching bit 63 needs no mask; x[] holds 64 bits.
    field = size === 64 && imms === 63 ? shifted : `(${shifted} & ${lit(fieldMask)})`;
  }
  const place = (v: string) => (pos === 0 ? v : `(${v} << ${BigInt(pos)}n)`);
  if (opc === 2) {
    // UBFM: the placed field fits in `size` bits, so no mask.
    b.setX(d, place(field));
  } else if (opc === 0) {
    // SBFM: sign-extend the field from its top bit, then place it.
    let value: string;
    if (n !== 31 && size === 64 && imms === 63) value = immr === 0 ? `xs[${n}]` : `(xs[${n}] >> ${BigInt(immr)}n)`; // ASR
    else value = width === size ? field : signExtendExpr(field, width);
    b.setX(d, size === 32 ? `${place(value)} & 0xffffffffn` : place(value));
  } else {
    // BFM: replace bits pos..pos+width-1 of Rd and keep the rest; 32-bit forms clear bits 63..32.
    const keep = ~(fieldMask << BigInt(pos)) & onesN(size);
    b.setX(d, `(${b.x(d)} & ${lit(keep)}) | ${place(field)}`);
  }
  return true;
}

// --- Extract ---------------------------------------------------------------------------
//   sf | 00 | 100111 | N | 0 | Rm | imms | Rn | Rd      Rd = (Rn:Rm) >> imms

function EXTR(b: BlockBuilder, insn: number): boolean {
  const size: Size = insn >>> 31 ? 64 : 32;
  const nBit = bits(insn, 22, 1);
  const lsb = bits(insn, 10, 6);
  if (nBit !== (size === 64 ? 1 : 0) || (size === 32 && lsb >= 32)) return false;
  const m = bits(insn, 16, 5);
  const n = bits(insn, 5, 5);
  const d = bits(insn, 0, 5);
  if (lsb === 0) {
    b.setX(d, b.reg(size, m));
    return true;
  }
  const lo = `(${b.reg(size, m)} >> ${BigInt(lsb)}n)`;
  const hi = `(${b.x(n)} << ${BigInt(size - lsb)}n)`;
  b.setX(d, size === 64 ? `${lo} | ${hi}` : `(${lo} | ${hi}) & 0xffffffffn`);
  return true;
}

export const DP_IMM: InsnPattern[] = [
  pattern("ADR", "0xx10000 xxxxxxxx xxxxxxxx xxxxxxxx", ADR),
  pattern("ADRP", "1xx10000 xxxxxxxx xxxxxxxx xxxxxxxx", ADR),
  pattern("ADDSUB_imm", "xxx10001 0xxxxxxx xxxxxxxx xxxxxxxx", ADDSUB_imm),
  pattern("LOGICAL_imm", "xxx10010 0xxxxxxx xxxxxxxx xxxxxxxx", LOGICAL_imm),
  pattern("MOVEWIDE", "xxx10010 1xxxxxxx xxxxxxxx xxxxxxxx", MOVEWIDE),
  pattern("BITFIELD", "xxx10011 0xxxxxxx xxxxxxxx xxxxxxxx", BITFIELD),
  pattern("EXTR", "x0010011 1x0xxxxx xxxxxxxx xxxxxxxx", EXTR),
];

export const DP_IMM_UNHANDLED: UnhandledPattern[] = [
  { name: "ADDG_SUBG", mask: 0xbfc00000, value: 0x91800000, reason: "add/subtract with tags needs FEAT_MTE" },
  { name: "MINMAX_imm", mask: 0x7fc00000, value: 0x11c00000, reason: "MIN/MAX (immediate) need FEAT_CSSC" },
];
