// Advanced SIMD moves and permutes (Arm ARM C4.1.95): copy (DUP, INS,
// UMOV, SMOV), modified immediate (MOVI, MVNI, ORR, BIC, FMOV), permute
// (ZIP/UZP/TRN), extract (EXT) and table lookup (TBL/TBX).

import type { BlockBuilder } from "../builder.js";
import { bits } from "./table.js";
import { fields, VIEW_BY_ESZ, zeroUpper } from "./simd_emit.js";
import { emitInlineMove, emitInlineTbl } from "./simd_inline.js";

// --- Copy -------------------------------------------------------------------------------

/** Element size from imm5 (its lowest set bit), or -1 when reserved. */
function imm5Esz(imm5: number): number {
  if ((imm5 & 0xf) === 0) return -1;
  return 31 - Math.clz32(imm5 & -imm5);
}

/** JS number expression for the low `esz` lane bits of Xn (XZR reads 0). */
function gprLane(b: BlockBuilder, rn: number, esz: number): string {
  if (esz === 3) return b.x(rn);
  const mask = [0xffn, 0xffffn, 0xffffffffn][esz];
  return rn === 31 ? "0" : `Number(${b.x(rn)} & ${mask}n)`;
}

/**
 * Advanced SIMD copy: 0 Q op 01110000 imm5 0 imm4 1 Rn Rd.
 *   op=0 imm4=0000 DUP (element)   0001 DUP (general)   0011 INS (general)
 *        imm4=0101 SMOV            0111 UMOV
 *   op=1 (Q=1)      INS (element), source index = imm4 >> size
 */
export function emitCopy(b: BlockBuilder, insn: number): boolean {
  const q = bits(insn, 30, 1), op = bits(insn, 29, 1);
  const imm5 = bits(insn, 16, 5), imm4 = bits(insn, 11, 4);
  const rn = bits(insn, 5, 5), rd = bits(insn, 0, 5);
  const esz = imm5Esz(imm5);
  if (esz < 0) return false;
  const index = imm5 >> (esz + 1);
  const per = 16 >> esz;
  const bytes = q ? 16 : 8;
  const v = VIEW_BY_ESZ[esz];
  if (op === 1) {
    if (q === 0) return false;
    const view = b.view(v);
    b.emit(`${view}[${rd * per + index}] = ${view}[${rn * per + (imm4 >> esz)}];`);
    return true;
  }
  switch (imm4) {
    case 0b0000:
    case 0b0001: {
      if (esz === 3 && q === 0) return false;
      const view = b.view(v);
      const t = b.tmp();
      b.emit(`const ${t} = ${imm4 === 0 ? `${view}[${rn * per + index}]` : gprLane(b, rn, esz)};`);
      for (let i = 0; i < bytes >> esz; i++) b.emit(`${view}[${rd * per + i}] = ${t};`);
      zeroUpper(b, rd, bytes);
      return true;
    }
    case 0b0011: {
      if (q === 0) return false;
      b.emit(`${b.view(v)}[${rd * per + index}] = ${gprLane(b, rn, esz)};`);
      return true;
    }
    case 0b0101: {
      // SMOV: sign-extend the lane into Wd (Q=0, B/H) or Xd (Q=1, B/H/S).
      if (esz === 3 || (q === 0 && esz === 2)) return false;
      const lane = `${b.view(v)}[${rn * per + index}]`;
      const signedLane = esz === 2 ? `(${lane} | 0)` : `((${lane} << ${32 - (8 << esz)}) >> ${32 - (8 << esz)})`;
      if (q === 1) b.setX(rd, `BigInt(${signedLane})`);
      else b.setW(rd, `BigInt(${signedLane})`);
      return true;
    }
    case 0b0111: {
      // UMOV: Q=0 for B/H/S into Wd, Q=1 for D into Xd.
      if ((q === 1) !== (esz === 3)) return false;
      const lane = `${b.view(v)}[${rn * per + index}]`;
      b.setX(rd, esz === 3 ? lane : `BigInt(${lane})`);
      return true;
    }
    default:
      return false;
  }
}

/** Advanced SIMD scalar copy (DUP Vd, Vn.T[i], alias MOV): 01 0 11110000 imm5 0 0000 1 Rn Rd. */
export function emitScalarDup(b: BlockBuilder, insn: number): boolean {
  const imm5 = bits(insn, 16, 5);
  const rn = bits(insn, 5, 5), rd = bits(insn, 0, 5);
  const esz = imm5Esz(imm5);
  if (esz < 0) return false;
  const per = 16 >> esz;
  const view = b.view(VIEW_BY_ESZ[esz]);
  const vd = b.view("vd");
  const t = b.tmp();
  b.emit(`const ${t} = ${view}[${rn * per + (imm5 >> (esz + 1))}];`);
  b.emit(`${vd}[${2 * rd}] = 0n; ${vd}[${2 * rd + 1}] = 0n;`);
  b.emit(`${view}[${rd * per}] = ${t};`);
  return true;
}

// --- Modified immediate ----------------------------------------------------------------------

function replicate(v: bigint, width: number): bigint {
  let r = 0n;
  for (let i = 0; i < 64; i += width) r |= v << BigInt(i);
  return r;
}

/**
 * AdvSIMDExpandImm(op, cmode, imm8) (Arm ARM J1, shared pseudocode): the
 * 64-bit pattern that MOVI/MVNI/ORR/BIC/FMOV (vector, immediate) use.
 * Returns undefined for the unallocated FMOV double with op=1, Q=0.
 */
export function advSimdExpandImm(op: number, cmode: number, imm8: number): bigint {
  const i = BigInt(imm8);
  switch (cmode >> 1) {
    case 0: return replicate(i, 32);
    case 1: return replicate(i << 8n, 32);
    case 2: return replicate(i << 16n, 32);
    case 3: return replicate(i << 24n, 32);
    case 4: return replicate(i, 16);
    case 5: return replicate(i << 8n, 16);
    case 6: return replicate((cmode & 1) === 0 ? (i << 8n) | 0xffn : (i << 16n) | 0xffffn, 32);
    default: {
      if ((cmode & 1) === 0 && op === 0) return replicate(i, 8);
      if ((cmode & 1) === 0) {
        // One byte of ones or zeros per bit of imm8.
        let r = 0n;
        for (let k = 0; k < 8; k++) if ((imm8 >> k) & 1) r |= 0xffn << BigInt(8 * k);
        return r;
      }
      const a = (imm8 >> 7) & 1, bBit = (imm8 >> 6) & 1, low6 = imm8 & 0x3f;
      if (op === 0) {
        // FP32: a:NOT(b):Replicate(b,5):cdefgh:Zeros(19)
        const f32 = (a << 31) | ((bBit ^ 1) << 30) | ((bBit ? 0x1f : 0) << 25) | (low6 << 19);
        return replicate(BigInt(f32 >>> 0), 32);
      }
      // FP64: a:NOT(b):Replicate(b,8):cdefgh:Zeros(48)
      const top = (a << 15) | ((bBit ^ 1) << 14) | ((bBit ? 0xff : 0) << 6) | low6;
      return BigInt(top) << 48n;
    }
  }
}

/**
 * Advanced SIMD modified immediate: 0 Q op 0111100000 a b c cmode o2 1 d e f g h Rd.
 * cmode/op pick MOVI, MVNI, ORR, BIC (32- and 16-bit lanes, shifted or
 * MSL), MOVI 8-bit and 64-bit byte mask, and FMOV single/double.
 */
export function emitModImm(b: BlockBuilder, insn: number): boolean {
  const q = bits(insn, 30, 1), op = bits(insn, 29, 1);
  const cmode = bits(insn, 12, 4), o2 = bits(insn, 11, 1);
  const imm8 = (bits(insn, 16, 3) << 5) | bits(insn, 5, 5);
  const rd = bits(insn, 0, 5);
  if (o2 !== 0) return false; // FMOV half precision (FEAT_FP16) is not implemented
  if (op === 1 && cmode === 0b1111 && q === 0) return false;
  const imm = advSimdExpandImm(op, cmode, imm8);
  // ORR/BIC (immediate): cmode 0xx1 (32-bit lanes) or 10x1 (16-bit lanes).
  const logical = (cmode & 1) === 1 && cmode < 0b1100;
  // MVNI: op=1 with a MOVI-shaped cmode, other than the 64-bit forms (1110, 1111).
  const invert = op === 1 && !logical && cmode < 0b1110;
  const v = b.view("vd");
  for (let h = 0; h < 2; h++) {
    const dst = `${v}[${2 * rd + h}]`;
    if (h === 1 && q === 0) b.emit(`${dst} = 0n;`);
    else if (logical) b.emit(op === 0 ? `${dst} |= 0x${imm.toString(16)}n;` : `${dst} &= 0x${(~imm & 0xffffffffffffffffn).toString(16)}n;`);
    else b.emit(`${dst} = 0x${(invert ? ~imm & 0xffffffffffffffffn : imm).toString(16)}n;`);
  }
  return true;
}

// --- Permute, extract, table lookup -----------------------------------------------------------

/**
 * Advanced SIMD permute: 0 Q 001110 size 0 Rm 0 opcode 10 Rn Rd; opcode
 * 001 UZP1, 010 TRN1, 011 ZIP1, 101 UZP2, 110 TRN2, 111 ZIP2.
 */
export function emitPermute(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const opc = bits(insn, 12, 3);
  if ((opc & 3) === 0) return false;
  if (f.size === 3 && f.q === 0) return false;
  const lanes = f.bytes >> f.size;
  const part = opc >> 2, kind = opc & 3;
  emitInlineMove(b, f.size, f.bytes, f.rd, (i) => {
    if (kind === 1) {
      const j = 2 * i + part; // UZP: even/odd lanes of Vm:Vn
      return j < lanes ? [f.rn, j] : [f.rm, j - lanes];
    }
    if (kind === 2) return [(i & 1) === 0 ? f.rn : f.rm, (i & ~1) + part]; // TRN
    return [(i & 1) === 0 ? f.rn : f.rm, (i >> 1) + (part * lanes) / 2]; // ZIP
  });
  return true;
}

/** Advanced SIMD extract: 0 Q 101110 00 0 Rm 0 imm4 0 Rn Rd; bytes imm4.. of Vm:Vn (Vn low). */
export function emitExt(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const imm4 = bits(insn, 11, 4);
  if (f.q === 0 && imm4 >= 8) return false;
  emitInlineMove(b, 0, f.bytes, f.rd, (i) => (imm4 + i < f.bytes ? [f.rn, imm4 + i] : [f.rm, imm4 + i - f.bytes]));
  return true;
}

/**
 * Advanced SIMD table lookup: 0 Q 001110 00 0 Rm 0 len op 00 Rn Rd. Each
 * byte of Vm indexes the table V(n)..V(n+len) (wrapping at V31); an index
 * out of range gives 0 (TBL) or keeps the byte of Vd (TBX).
 */
export function emitTbl(b: BlockBuilder, insn: number): boolean {
  const f = fields(insn);
  const len = bits(insn, 13, 2), op = bits(insn, 12, 1);
  emitInlineTbl(b, f.bytes, f.rd, f.rn, len + 1, f.rm, op === 1);
  return true;
}
