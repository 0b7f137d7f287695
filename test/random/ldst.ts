// Load/store templates (Arm ARM C4.1.84 "Loads and Stores"). The base
// register (field b; 31 = SP) is always made to point at the middle of the
// case's scratch area, and offsets are drawn so every access stays inside
// it. Refused: writeback with Rt (or Rt2) == Rn, LDP with Rt == Rt2 (both
// CONSTRAINED UNPREDICTABLE), SP bases that would leave SP misaligned,
// unaligned atomics/exclusives, prefetch-free reserved size/opc pairs.

import { Rng } from "../../emulator/rng.js";
import { between, Fields, Insn, Template, tpl } from "./template.js";
import { smallSigned } from "./values.js";

/** Where the base register points inside the scratch area (SCRATCH_SIZE = 1024). */
export const BASE_OFFSET = 512;

function atBase(insn: Insn, f: Fields): void {
  insn.base = { reg: f.b, offset: BASE_OFFSET };
}

/** Access size in bytes of a single-register load/store (size, V, opc). */
function accessSize(f: Fields): number {
  if (f.V && f.s === 0 && f.o >= 2) return 16;
  return 1 << f.s;
}

/** size:opc pairs that are allocated for single-register loads/stores. */
function singleOk(f: Fields, allowPrfm: boolean): boolean {
  if (f.V) return f.o < 2 || f.s === 0;
  if (f.s === 3) return f.o < 2 || (f.o === 2 && allowPrfm);
  if (f.s === 2) return f.o < 3;
  return true;
}

/** Writeback with the transfer register as base is CONSTRAINED UNPREDICTABLE (GPRs only). */
function wbClash(f: Fields, t: number): boolean {
  return f.V === 0 && t === f.b && f.b !== 31;
}

const imm9 = (r: Rng) => between(r, -256, 255) & 0x1ff;

/** An SP base must stay 16-byte aligned (SP alignment checking), so its offsets are multiples of 16. */
function spAligned(f: Fields, offset: number): boolean {
  return f.b !== 31 || offset % 16 === 0;
}

export const LDST: Template[] = [
  tpl("LDR/STR_uimm", "ss 111 V 01 oo iiiiiiiiiiii bbbbb ttttt", {
    f: { i: (r, f) => r.nextInt(Math.floor((BASE_OFFSET - 16) / accessSize(f)) + 1) },
    ok: (f) => singleOk(f, true),
    finish: atBase,
  }),
  tpl("LDUR/STUR", "ss 111 V 00 oo 0 iiiiiiiii 00 bbbbb ttttt", { f: { i: imm9 }, ok: (f) => singleOk(f, true) && spAligned(f, f.i), finish: atBase }),
  tpl("LDTR/STTR", "ss 111 0 00 oo 0 iiiiiiiii 10 bbbbb ttttt", { f: { i: imm9 }, ok: (f) => singleOk({ ...f, V: 0 }, false) && spAligned(f, f.i), finish: atBase }),
  tpl("LDR/STR_post/pre", "ss 111 V 00 oo 0 iiiiiiiii w1 bbbbb ttttt", {
    f: { i: imm9 },
    ok: (f) => singleOk(f, false) && !wbClash(f, f.t) && spAligned(f, f.i),
    finish: atBase,
  }),
  tpl("LDR/STR_reg", "ss 111 V 00 oo 1 mmmmm xxx S 10 bbbbb ttttt", {
    f: { x: [0b010, 0b011, 0b110, 0b111], m: (r) => r.nextInt(31) },
    ok: (f) => singleOk(f, true) && f.m !== f.b,
    finish: (insn, f, r) => {
      atBase(insn, f);
      // Rm holds a small index; UXTW/SXTW ignore its top half, so fill that with garbage.
      let v = f.x === 0b010 ? BigInt(r.nextInt(16)) : smallSigned(r, 15);
      if (f.x === 0b010 || f.x === 0b110) v = (BigInt(r.nextU32()) << 32n) | BigInt.asUintN(32, v);
      insn.regs = [{ reg: f.m, value: v }];
    },
  }),
  tpl("LDR_literal", "oo 011 V 00 iiiiiiiiiiiiiiiiiii ttttt", {
    // Backwards into this case's own prologue: the same bytes on both sides
    // (our direct mode patches the word after the body, so never look forward).
    f: { i: (r) => between(r, -40, -4) & 0x7ffff }, // at least 16 bytes back: a Q load must end before the body
    ok: (f) => !(f.V && f.o === 3),
  }),
  tpl("LDP/STP", "oo 101 V 0 ii L kkkkkkk uuuuu bbbbb ttttt", {
    f: {
      i: [1, 2, 3, 0],
      k: (r, f) => {
        const scale = f.V ? 4 << f.o : f.o === 2 ? 8 : 4;
        const lim = Math.floor((BASE_OFFSET - 2 * scale) / scale);
        return between(r, -Math.min(lim, 64), Math.min(lim, 63)) & 0x7f;
      },
    },
    ok: (f) => {
      if (f.o === 3) return false;
      if (!spAligned(f, ((f.k << 25) >> 25) * (f.V ? 4 << f.o : f.o === 2 ? 8 : 4))) return false;
      if (!f.V && f.o === 1 && (!f.L || f.i === 0)) return false; // STGP; LDNP has no signed form
      if (f.L && f.t === f.u) return false;
      if (f.i !== 2 && f.i !== 0 && (wbClash(f, f.t) || wbClash(f, f.u))) return false;
      return true;
    },
    finish: (insn, f) => {
      atBase(insn, f);
      // qemu loads SIMD&FP pairs register by register: a fault on the second leaves the first written (UNKNOWN).
      if (f.V && f.L) insn.unknownOnFault = [`v${f.t}`, `v${f.u}`];
    },
  }),
  tpl("LD<op>/SWP", "ss 111 0 00 A R 1 ccccc o ppp 00 bbbbb ttttt", {
    ok: (f) => (f.o === 0 || f.p === 0) && f.t !== f.b && f.c !== f.b,
    finish: atBase,
  }),
  tpl("CAS", "ss 001000 1 L 1 ccccc o 11111 bbbbb ttttt", { ok: (f) => f.t !== f.b && f.c !== f.b, finish: atBase }),
  tpl("CASP", "0 s 001000 0 L 1 ccccc o 11111 bbbbb ttttt", {
    f: { c: (r) => 2 * r.nextInt(15), t: (r) => 2 * r.nextInt(15) },
    ok: (f) => f.b !== f.t && f.b !== f.t + 1 && f.b !== f.c && f.b !== f.c + 1,
    finish: atBase,
  }),
  tpl("LDAR/STLR", "ss 001000 1 L 0 11111 1 11111 bbbbb ttttt", { finish: atBase }),
  // qemu 7.2 does not alignment-check LDAPR (LDAR/LDAXR it does); the architecture requires it without FEAT_LSE2.
  tpl("LDAPR", "ss 111 0 00 1 0 1 11111 1 100 00 bbbbb ttttt", { finish: (insn, f) => { atBase(insn, f); insn.alignedBase = true; } }),
  // LDXR/LDAXR followed by STXR/STLXR of the same size at the same address (the store must succeed).
  tpl("LDXR+STXR", "ss 001000 0 1 0 11111 o 11111 bbbbb ttttt", {
    f: { t: (r, f) => { for (;;) { const t = r.nextInt(31); if (t !== f.b) return t; } } },
    finish: (insn, f, r) => {
      atBase(insn, f);
      let w = 0;
      let u = 0;
      do {
        w = r.nextInt(31);
        u = r.nextInt(32);
      } while (w === f.b || w === u);
      const o0 = r.nextInt(2);
      // STXR Ws, Rt, [Rn]: size 001000 0 0 0 Rs o0 11111 Rn Rt
      insn.more = [((f.s << 30) | (0b001000 << 24) | (w << 16) | (o0 << 15) | (31 << 10) | (f.b << 5) | u) >>> 0];
    },
  }),
  // LDXP/LDAXP then STXP/STLXP (pairs of W or X registers, naturally aligned at the base).
  tpl("LDXP+STXP", "1 s 001000 0 1 1 11111 o uuuuu bbbbb ttttt", {
    ok: (f) => f.t !== f.u && f.t !== 31 && f.u !== 31 && f.t !== f.b && f.u !== f.b,
    finish: (insn, f, r) => {
      atBase(insn, f);
      let w = 0;
      do w = r.nextInt(31); while (w === f.b || w === f.t || w === f.u);
      const t = r.nextInt(32);
      const t2 = r.nextInt(32);
      const o0 = r.nextInt(2);
      // STXP Ws, Rt, Rt2, [Rn]: 1 sz 001000 0 0 1 Rs o0 Rt2 Rn Rt (Ws must differ from Rt, Rt2, Rn)
      const word = (1 << 31) | (f.s << 30) | (0b001000 << 24) | (1 << 21) | (w << 16) | (o0 << 15) | (t2 << 10) | (f.b << 5) | t;
      if (w === t || w === t2) return finishRetry(insn);
      insn.more = [word >>> 0];
    },
  }),
];

/** A pair whose second half could not be drawn validly degrades to the first instruction alone. */
function finishRetry(insn: Insn): void {
  insn.more = [];
}
