// Inline code for the Advanced SIMD operations vectorised C code runs most:
// element-wise compares/max/min, shifts by immediate, permutes, narrowing,
// widening and reductions, emitted as straight-line lane statements over the
// typed views instead of a call into a lane driver (simd_drivers.ts). The
// drivers stay the reference semantics for everything else.
//
// Aliasing: element-wise ops read lane i of the sources and write lane i of
// Vd only, so they update in place. Ops whose lanes move (permutes,
// narrowing, widening, reductions) first read every source lane they need
// into temporaries, then write Vd.

import type { BlockBuilder } from "../builder.js";
import { VIEW_BY_ESZ } from "./simd_emit.js";

const M64 = "0xffffffffffffffffn";

/** JS expression for lane i of Vr: a number for 8..32-bit lanes, a BigInt for 64-bit lanes. */
export function laneExpr(b: BlockBuilder, r: number, i: number, esz: number, signed: boolean): string {
  const v = b.view(VIEW_BY_ESZ[esz]);
  const e = `${v}[${r * (16 >> esz) + i}]`;
  if (!signed) return e;
  switch (esz) {
    case 0: return `((${e} << 24) >> 24)`;
    case 1: return `((${e} << 16) >> 16)`;
    case 2: return `(${e} | 0)`;
    default: return `BigInt.asIntN(64, ${e})`;
  }
}

/** Left-hand side for lane i of Vr. */
function laneRef(b: BlockBuilder, r: number, i: number, esz: number): string {
  return `${b.view(VIEW_BY_ESZ[esz])}[${r * (16 >> esz) + i}]`;
}

/** Declare a temporary holding `expr` and return its name. */
function let_(b: BlockBuilder, expr: string): string {
  const t = b.tmp();
  b.emit(`const ${t} = ${expr};`);
  return t;
}

function clearUpper(b: BlockBuilder, d: number, bytes: number): void {
  if (bytes === 8) b.emit(`${b.view("vd")}[${2 * d + 1}] = 0n;`);
}

/** Element-wise binary ops that have an inline form, by lane kind. */
const BIN_NUM: Record<string, (a: string, c: string, acc: string) => string> = {
  CMEQ: (a, c) => `(${a} === ${c} ? -1 : 0)`,
  CMGT: (a, c) => `(${a} > ${c} ? -1 : 0)`,
  CMGE: (a, c) => `(${a} >= ${c} ? -1 : 0)`,
  CMTST: (a, c) => `((${a} & ${c}) !== 0 ? -1 : 0)`,
  MAX: (a, c) => `(${a} > ${c} ? ${a} : ${c})`,
  MIN: (a, c) => `(${a} < ${c} ? ${a} : ${c})`,
  ABD: (a, c) => `Math.abs(${a} - ${c})`,
  ABA: (a, c, acc) => `${acc} + Math.abs(${a} - ${c})`,
  HADD: (a, c) => `Math.floor((${a} + ${c}) / 2)`,
  RHADD: (a, c) => `Math.floor((${a} + ${c} + 1) / 2)`,
};
const BIN_BIG: Record<string, (a: string, c: string) => string> = {
  CMEQ: (a, c) => `(${a} === ${c} ? ${M64} : 0n)`,
  CMGT: (a, c) => `(${a} > ${c} ? ${M64} : 0n)`,
  CMGE: (a, c) => `(${a} >= ${c} ? ${M64} : 0n)`,
  CMTST: (a, c) => `((${a} & ${c}) !== 0n ? ${M64} : 0n)`,
};

/** Whether `name` (an OPS key) can be emitted inline at this element size. */
export function hasInlineBinary(name: string, esz: number): boolean {
  return esz === 3 ? name in BIN_BIG : name in BIN_NUM;
}

/** Vd[i] = op(Vn[i], Vm[i]) inline (three-same ops of BIN_NUM/BIN_BIG). */
export function emitInlineBinary(b: BlockBuilder, name: string, esz: number, bytes: number, signed: boolean, d: number, n: number, m: number): void {
  for (let i = 0; i < bytes >> esz; i++) {
    const a = let_(b, laneExpr(b, n, i, esz, signed));
    const c = let_(b, laneExpr(b, m, i, esz, signed));
    const expr = esz === 3 ? BIN_BIG[name](a, c) : BIN_NUM[name](a, c, laneRef(b, d, i, esz));
    b.emit(`${laneRef(b, d, i, esz)} = ${expr};`);
  }
  clearUpper(b, d, bytes);
}

/** Unary element-wise ops with an inline form (two-register misc), numbers only. */
const UN_NUM: Record<string, (a: string) => string> = {
  ABS: (a) => `Math.abs(${a})`,
  NEG: (a) => `-${a}`,
  CMGT0: (a) => `(${a} > 0 ? -1 : 0)`,
  CMGE0: (a) => `(${a} >= 0 ? -1 : 0)`,
  CMEQ0: (a) => `(${a} === 0 ? -1 : 0)`,
  CMLE0: (a) => `(${a} <= 0 ? -1 : 0)`,
  CMLT0: (a) => `(${a} < 0 ? -1 : 0)`,
};

export function hasInlineUnary(name: string, esz: number): boolean {
  return esz < 3 && name in UN_NUM;
}

/** Vd[i] = op(Vn[i]) inline. */
export function emitInlineUnary(b: BlockBuilder, name: string, esz: number, bytes: number, signed: boolean, d: number, n: number): void {
  for (let i = 0; i < bytes >> esz; i++) b.emit(`${laneRef(b, d, i, esz)} = ${UN_NUM[name](laneExpr(b, n, i, esz, signed))};`);
  clearUpper(b, d, bytes);
}

/**
 * USHR/SSHR/USRA/SSRA (right, 1..esize) and SHL (left, 0..esize-1) inline.
 * `kind`: "shr", "sra" or "shl".
 */
export function emitInlineShift(b: BlockBuilder, kind: "shr" | "sra" | "shl", esz: number, bytes: number, signed: boolean, d: number, n: number, shift: number): void {
  const bitsN = 8 << esz;
  for (let i = 0; i < bytes >> esz; i++) {
    const src = laneExpr(b, n, i, esz, signed);
    let v: string;
    if (esz === 3) {
      if (kind === "shl") v = `${src} << ${shift}n`;
      else v = signed ? `(${src} >> ${Math.min(shift, 63)}n)` : shift === 64 ? "0n" : `(${src} >> ${shift}n)`;
    } else if (kind === "shl") {
      v = `(${src} << ${shift})`;
    } else {
      v = signed ? `(${src} >> ${Math.min(shift, bitsN - 1)})` : shift === bitsN ? "0" : `(${src} >>> ${shift})`;
    }
    const dst = laneRef(b, d, i, esz);
    b.emit(`${dst} = ${kind === "sra" ? `${dst} + ${v}` : v};`);
  }
  clearUpper(b, d, bytes);
}

/**
 * Lane moves: result lane i of size esz comes from (reg, lane) src(i). All
 * sources are read into temporaries first. Bytes of the result beyond
 * `lanes` lanes are cleared when `bytes` is 8.
 */
export function emitInlineMove(b: BlockBuilder, esz: number, bytes: number, d: number, src: (i: number) => [number, number]): void {
  const lanes = bytes >> esz;
  const ts: string[] = [];
  for (let i = 0; i < lanes; i++) {
    const [r, l] = src(i);
    ts.push(let_(b, laneExpr(b, r, l, esz, false)));
  }
  for (let i = 0; i < lanes; i++) b.emit(`${laneRef(b, d, i, esz)} = ${ts[i]};`);
  clearUpper(b, d, bytes);
}

/** XTN/XTN2 inline: truncate the double-width lanes of Vn into half `part` of Vd (esz = narrow size). */
export function emitInlineXtn(b: BlockBuilder, esz: number, part: number, d: number, n: number): void {
  const lanes = 8 >> esz;
  const ts: string[] = [];
  for (let i = 0; i < lanes; i++) {
    const src = laneExpr(b, n, i, esz + 1, false);
    ts.push(let_(b, esz === 2 ? `Number(${src} & 0xffffffffn)` : src));
  }
  for (let i = 0; i < lanes; i++) b.emit(`${laneRef(b, d, part * lanes + i, esz)} = ${ts[i]};`);
  if (part === 0) clearUpper(b, d, 8);
}

/** SSHLL/USHLL (SXTL/UXTL) inline: widen half `part` of Vn (esz = narrow size) and shift left. */
export function emitInlineWiden(b: BlockBuilder, esz: number, part: number, signed: boolean, d: number, n: number, shift: number): void {
  const lanes = 8 >> esz;
  const ts: string[] = [];
  for (let i = 0; i < lanes; i++) ts.push(let_(b, laneExpr(b, n, part * lanes + i, esz, signed)));
  for (let i = 0; i < lanes; i++) {
    const v = esz === 2 ? `BigInt(${ts[i]}) << ${shift}n` : shift ? `(${ts[i]} << ${shift})` : ts[i];
    b.emit(`${laneRef(b, d, i, esz + 1)} = ${v};`);
  }
}

/** ADDV/SMAXV/UMAXV/SMINV/UMINV inline: reduce the lanes of Vn into element 0 of Vd. */
export function emitInlineAcross(b: BlockBuilder, kind: "add" | "max" | "min", esz: number, bytes: number, signed: boolean, d: number, n: number): void {
  const ls = Array.from({ length: bytes >> esz }, (_, i) => laneExpr(b, n, i, esz, signed));
  const expr = kind === "add" ? ls.join(" + ") : `Math.${kind}(${ls.join(", ")})`;
  const t = let_(b, expr);
  const v = b.view("vd");
  b.emit(`${v}[${2 * d}] = 0n; ${v}[${2 * d + 1}] = 0n;`);
  b.emit(`${laneRef(b, d, 0, esz)} = ${t};`);
}

/**
 * TBL/TBX inline: every index byte of Vm and every selected table byte is
 * read into temporaries before Vd is written (Vd may be in the table).
 * The table is V(n)..V(n+regs-1), wrapping at V31.
 */
export function emitInlineTbl(b: BlockBuilder, bytes: number, d: number, n: number, regs: number, m: number, tbx: boolean): void {
  const vb = b.view("vb");
  const limit = 16 * regs;
  const ts: string[] = [];
  for (let i = 0; i < bytes; i++) {
    const idx = let_(b, `${vb}[${16 * m + i}]`);
    // Byte k of the table lives in V((n + (k >> 4)) & 31) at byte k & 15.
    const at = regs === 1 ? `${16 * n} + ${idx}` : `((((${n} + (${idx} >> 4)) & 31) << 4) | (${idx} & 15))`;
    ts.push(let_(b, `${idx} < ${limit} ? ${vb}[${at}] : ${tbx ? `${vb}[${16 * d + i}]` : "0"}`));
  }
  for (let i = 0; i < bytes; i++) b.emit(`${vb}[${16 * d + i}] = ${ts[i]};`);
  clearUpper(b, d, bytes);
}

/** Widening three-different ops with an inline form: (a, b, acc) lane expressions by op name. */
const LONG_NUM: Record<string, (a: string, c: string, acc: string) => string> = {
  ADD: (a, c) => `${a} + ${c}`,
  SUB: (a, c) => `${a} - ${c}`,
  MUL: (a, c) => `Math.imul(${a}, ${c})`,
  MLA: (a, c, acc) => `${acc} + Math.imul(${a}, ${c})`,
  MLS: (a, c, acc) => `${acc} - Math.imul(${a}, ${c})`,
  ABD: (a, c) => `Math.abs(${a} - ${c})`,
  ABA: (a, c, acc) => `${acc} + Math.abs(${a} - ${c})`,
};
/** The same into 64-bit lanes (32-bit sources): sums are exact as numbers, products need BigInt. */
const LONG_BIG: Record<string, (a: string, c: string, acc: string) => string> = {
  ADD: (a, c) => `BigInt(${a} + ${c})`,
  SUB: (a, c) => `BigInt(${a} - ${c})`,
  MUL: (a, c) => `BigInt(${a}) * BigInt(${c})`,
  MLA: (a, c, acc) => `${acc} + BigInt(${a}) * BigInt(${c})`,
  MLS: (a, c, acc) => `${acc} - BigInt(${a}) * BigInt(${c})`,
  ABD: (a, c) => `BigInt(Math.abs(${a} - ${c}))`,
  ABA: (a, c, acc) => `${acc} + BigInt(Math.abs(${a} - ${c}))`,
};

export function hasInlineLong(name: string): boolean {
  return name in LONG_NUM;
}

/**
 * SADDL/UADDL/SSUBL/SADDW/SMULL/SMLAL/SABDL/SABAL... inline: lanes of half
 * `part` of Vn (or all of a double-width Vn when `wideN`) and of Vm, read
 * into temporaries first, combine into double-width lanes of Vd. A wide Vn
 * must have lanes of at most 32 bits (a 64-bit lane is not exact as a number).
 */
export function emitInlineLong(b: BlockBuilder, name: string, esz: number, part: number, signed: boolean, d: number, n: number, m: number, wideN: boolean): void {
  const lanes = 8 >> esz;
  const dsz = esz + 1;
  const as: string[] = [], cs: string[] = [];
  for (let i = 0; i < lanes; i++) {
    const a = wideN ? laneExpr(b, n, i, dsz, signed) : laneExpr(b, n, part * lanes + i, esz, signed);
    as.push(let_(b, a));
    cs.push(let_(b, laneExpr(b, m, part * lanes + i, esz, signed)));
  }
  for (let i = 0; i < lanes; i++) {
    const dst = laneRef(b, d, i, dsz);
    b.emit(`${dst} = ${(dsz === 3 ? LONG_BIG : LONG_NUM)[name](as[i], cs[i], dst)};`);
  }
}
