// Integer data-processing templates (Arm ARM C4.1.86 "Data Processing --
// Immediate" and C4.1.88 "Data Processing -- Register"). Every reserved
// combination is refused by the template's `ok`, so each draw is an
// allocated, fully defined encoding.

import { Template, tpl } from "./template.js";

// Field letters: s = sf, o = op/opc, S = set flags, d/n/m/a = Rd/Rn/Rm/Ra,
// i/r/k = immediates, h = shift or hw, N = N bit, c = cond, f = nzcv.

export const DP_IMM: Template[] = [
  tpl("ADD/SUB_imm", "s o S 100010 h iiiiiiiiiiii nnnnn ddddd"),
  tpl("logical_imm", "s oo 100100 N rrrrrr kkkkkk nnnnn ddddd", {
    ok: (f) => {
      if (!f.s && f.N) return false;
      if (!f.s && f.r >= 32) return false; // immr<5> set: keep to assembler-reachable forms
      // DecodeBitMasks: len = HighestSetBit(N:NOT(imms)) >= 1; imms<len-1:0> all ones is reserved.
      const v = (f.N << 6) | (~f.k & 0x3f);
      if (v < 2) return false;
      const len = 31 - Math.clz32(v);
      const levels = (1 << len) - 1;
      return (f.k & levels) !== levels;
    },
  }),
  tpl("MOVN/MOVZ/MOVK", "s oo 100101 hh iiiiiiiiiiiiiiii ddddd", { ok: (f) => f.o !== 1 && (f.s === 1 || f.h < 2) }),
  tpl("bitfield", "s oo 100110 N rrrrrr kkkkkk nnnnn ddddd", {
    ok: (f) => f.o !== 3 && f.N === f.s && (f.s === 1 || (f.r < 32 && f.k < 32)),
  }),
  tpl("EXTR", "s 00 100111 N 0 mmmmm kkkkkk nnnnn ddddd", { ok: (f) => f.N === f.s && (f.s === 1 || f.k < 32) }),
  tpl("ADR/ADRP", "p ll 10000 iiiiiiiiiiiiiiiiiii ddddd"),
];

const DP2_OPS = [0b000010, 0b000011, 0b001000, 0b001001, 0b001010, 0b001011, 0b010000, 0b010001, 0b010010, 0b010011, 0b010100, 0b010101, 0b010110, 0b010111];

export const DP_REG: Template[] = [
  tpl("logical_shifted", "s oo 01010 hh N mmmmm iiiiii nnnnn ddddd", { ok: (f) => f.s === 1 || f.i < 32 }),
  tpl("ADD/SUB_shifted", "s o S 01011 hh 0 mmmmm iiiiii nnnnn ddddd", { ok: (f) => f.h !== 3 && (f.s === 1 || f.i < 32) }),
  tpl("ADD/SUB_extended", "s o S 01011 00 1 mmmmm eee iii nnnnn ddddd", { ok: (f) => f.i <= 4 }),
  tpl("ADC/SBC", "s o S 11010000 mmmmm 000000 nnnnn ddddd"),
  tpl("CCMN/CCMP_reg", "s o 1 11010010 mmmmm cccc 0 0 nnnnn 0 ffff"),
  tpl("CCMN/CCMP_imm", "s o 1 11010010 iiiii cccc 1 0 nnnnn 0 ffff"),
  tpl("CSEL/CSINC/CSINV/CSNEG", "s o 0 11010100 mmmmm cccc 0 p nnnnn ddddd"),
  tpl("DP_1src", "s 1 0 11010110 00000 oooooo nnnnn ddddd", {
    f: { o: [0, 1, 2, 3, 4, 5] },
    ok: (f) => f.s === 1 || f.o !== 3,
  }),
  tpl("DP_2src", "s 0 0 11010110 mmmmm oooooo nnnnn ddddd", {
    f: { o: DP2_OPS },
    // CRC32{B,H,W}/CRC32C{B,H,W} need sf = 0, CRC32X/CRC32CX sf = 1.
    ok: (f) => (f.o & 0b010000) === 0 || ((f.o & 3) === 3) === (f.s === 1),
  }),
  tpl("DP_3src", "s 00 11011 ooo mmmmm p aaaaa nnnnn ddddd", {
    f: { o: [0, 0, 0, 1, 2, 5, 6] },
    ok: (f) => {
      if (f.o === 0) return true; // MADD/MSUB
      if (!f.s) return false;
      if (f.o === 2 || f.o === 6) return f.p === 0 && f.a === 31; // SMULH/UMULH: o0 = 0, Ra = 11111
      return true; // SMADDL/SMSUBL/UMADDL/UMSUBL
    },
  }),
];

// Forward branches that skip exactly one instruction (imm = 2 words), used
// inside instruction sequences to exercise conditions on deferred flags.
export const SKIP_BRANCHES: Template[] = [
  tpl("B.cond_skip", "0101010 0 0000000000000000010 0 cccc"),
  tpl("CBZ/CBNZ_skip", "s 011010 o 0000000000000000010 ttttt"),
  tpl("TBZ/TBNZ_skip", "b 011011 o bbbbb 00000000000010 ttttt"),
];
