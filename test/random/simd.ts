// Advanced SIMD templates (Arm ARM C4.1.92, the vector rows): integer
// three-same / two-register misc / three-different / across-lanes / shift by
// immediate / modified immediate, permutes (ZIP/UZP/TRN, EXT, TBL/TBX, DUP,
// INS, UMOV/SMOV) and the FP vector arithmetic. Optional extensions (FP16,
// dot product, SHA/AES, RDM, BF16...) are left out.

import { Fields, Insn, Template, tpl } from "./template.js";

// Three-same integer opcodes valid with U = 0 and U = 1. Those also allowed on 64-bit lanes (size = 11, Q = 1) are in SAME_D.
const SAME_ANY = [
  0b000000, 0b000001, 0b000010, 0b000100, 0b000101, 0b000110, 0b000111, 0b001000, 0b001001, 0b001010, 0b001011,
  0b001100, 0b001101, 0b001110, 0b001111, 0b010000, 0b010001, 0b010010, 0b010011, 0b010100, 0b010101, 0b010111,
];
const SAME_D = new Set([0b00001, 0b00101, 0b00110, 0b00111, 0b01000, 0b01001, 0b01010, 0b01011, 0b10000, 0b10001]);

function sameOk(f: Fields): boolean {
  const u = f.U;
  const op = f.o;
  if (!SAME_ANY.includes(op)) return false;
  if (op === 0b10111 && u) return false; // ADDP is U = 0 only
  if (op === 0b10011) return u ? f.z === 0 : f.z !== 3; // PMUL bytes; MUL not on D
  if (op === 0b10010 || op === 0b10100 || op === 0b10101) return f.z !== 3; // MLA/MLS, SMAXP/SMINP
  if (op === 0b10111) return f.Q === 1 || f.z !== 3; // ADDP
  if (f.z === 3) return f.Q === 1 && SAME_D.has(op);
  return true;
}

const vfp = (insn: Insn, f: Fields) => {
  insn.fp = f.z ? "d" : "s";
};

// FP three-same by U:a:opcode.
const FP_SAME = [
  [0, 0, 0b11000], [0, 1, 0b11000], [0, 0, 0b11001], [0, 1, 0b11001], [0, 0, 0b11010], [0, 1, 0b11010],
  [0, 0, 0b11011], [0, 0, 0b11100], [0, 0, 0b11110], [0, 1, 0b11110], [0, 0, 0b11111], [0, 1, 0b11111],
  [1, 0, 0b11000], [1, 1, 0b11000], [1, 0, 0b11010], [1, 1, 0b11010], [1, 0, 0b11011], [1, 0, 0b11100],
  [1, 1, 0b11100], [1, 0, 0b11101], [1, 1, 0b11101], [1, 0, 0b11110], [1, 1, 0b11110], [1, 0, 0b11111],
].map(([u, a, o]) => (u << 6) | (a << 5) | o);

// FP two-register misc by U:a:opcode.
const FP_MISC = [
  [0, 1, 0b01111], [1, 1, 0b01111], [1, 1, 0b11111], [0, 0, 0b11000], [0, 0, 0b11001], [0, 1, 0b11000],
  [0, 1, 0b11001], [1, 0, 0b11000], [1, 0, 0b11001], [1, 1, 0b11001], [0, 1, 0b11011], [1, 1, 0b11011],
  [0, 0, 0b11101], [1, 0, 0b11101], [0, 0, 0b11010], [1, 0, 0b11010], [0, 0, 0b11011], [0, 0, 0b11100],
  [0, 1, 0b11101], [1, 1, 0b11101], [0, 1, 0b01100], [0, 1, 0b01101], [0, 1, 0b01110], [1, 1, 0b01100],
  [1, 1, 0b01101], [0, 0, 0b10110], [0, 0, 0b10111],
].map(([u, a, o]) => (u << 6) | (a << 5) | o);

function misc2Ok(f: Fields): boolean {
  const u = f.U;
  switch (f.o) {
    case 0b00000: return u ? f.z < 2 : f.z !== 3; // REV32 / REV64
    case 0b00001: return !u && f.z === 0; // REV16
    case 0b00010: case 0b00110: return f.z !== 3; // SADDLP/UADDLP, SADALP/UADALP
    case 0b00100: return f.z !== 3; // CLS/CLZ
    case 0b00101: return u ? f.z < 2 : f.z === 0; // NOT, RBIT / CNT
    case 0b00111: case 0b01000: case 0b01001: case 0b01011: return f.z !== 3 || f.Q === 1; // SQABS/SQNEG, CMGT/CMGE/CMEQ/CMLE #0, ABS/NEG
    case 0b01010: return !u && (f.z !== 3 || f.Q === 1); // CMLT #0
    case 0b10010: case 0b10100: return f.z !== 3; // XTN/SQXTUN, SQXTN/UQXTN
    default: return false;
  }
}

function copyOk(f: Fields): boolean {
  const lsb = f.i & -f.i; // lowest set bit of imm5 gives the element size
  if (f.i === 0 || lsb > 8) return false;
  switch ((f.p << 4) | f.k) {
    case 0b00000: return !(lsb === 8 && f.Q === 0); // DUP (element)
    case 0b00001: return !(lsb === 8 && f.Q === 0); // DUP (general)
    case 0b00101: return f.Q ? lsb <= 4 : lsb <= 2; // SMOV
    case 0b00111: return f.Q ? lsb === 8 : lsb <= 4; // UMOV
    case 0b00011: return f.Q === 1; // INS (general)
    default: return f.p === 1 && f.Q === 1; // INS (element): imm4 is the source index
  }
}

function shiftOk(f: Fields): boolean {
  if (f.h === 0) return false; // modified immediate space
  const narrow = f.o === 0b10000 || f.o === 0b10001 || f.o === 0b10010 || f.o === 0b10011 || f.o === 0b10100;
  if (narrow) return f.h < 8;
  if (f.h >= 8 && f.Q === 0) return false;
  if (f.o === 0b01000) return f.U === 1; // SRI
  if (f.o === 0b01100) return f.U === 1; // SQSHLU
  return true;
}

export const SIMD: Template[] = [
  tpl("SIMD_3same_int", "0 Q U 01110 zz 1 mmmmm ooooo 1 nnnnn ddddd", { f: { o: SAME_ANY }, ok: sameOk }),
  tpl("SIMD_logical", "0 Q U 01110 zz 1 mmmmm 00011 1 nnnnn ddddd"),
  tpl("SIMD_2misc_int", "0 Q U 01110 zz 10000 ooooo 10 nnnnn ddddd", { ok: misc2Ok }),
  tpl("SIMD_3diff", "0 Q U 01110 zz 1 mmmmm oooo 00 nnnnn ddddd", {
    f: { o: [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14] },
    ok: (f) => f.z !== 3 && (f.o !== 14 || (f.U === 0 && f.z === 0)),
  }),
  tpl("SIMD_across", "0 Q U 01110 zz 11000 ooooo 10 nnnnn ddddd", {
    f: { o: [0b00011, 0b01010, 0b11010, 0b11011] },
    ok: (f) => f.z !== 3 && !(f.z === 2 && f.Q === 0) && !(f.o === 0b11011 && f.U === 1),
  }),
  tpl("SIMD_shift_imm", "0 Q U 011110 hhhh bbb ooooo 1 nnnnn ddddd", {
    f: { o: [0, 2, 4, 6, 8, 10, 12, 14, 16, 17, 18, 19, 20] },
    ok: shiftOk,
  }),
  tpl("SIMD_mod_imm", "0 Q p 0111100000 AAA cccc 0 1 BBBBB ddddd", { ok: (f) => !(f.p === 1 && f.c === 15 && f.Q === 0) }),
  tpl("ZIP/UZP/TRN", "0 Q 001110 zz 0 mmmmm 0 ooo 10 nnnnn ddddd", { ok: (f) => (f.o & 3) !== 0 && !(f.z === 3 && f.Q === 0) }),
  tpl("EXT", "0 Q 101110 00 0 mmmmm 0 iiii 0 nnnnn ddddd", { ok: (f) => f.Q === 1 || f.i < 8 }),
  tpl("TBL/TBX", "0 Q 001110 000 mmmmm 0 ll o 00 nnnnn ddddd"),
  tpl("DUP/INS/UMOV/SMOV", "0 Q p 01110000 iiiii 0 kkkk 1 nnnnn ddddd", { ok: copyOk }),
  tpl("SIMD_3same_fp", "0 Q U 01110 a z 1 mmmmm ooooo 1 nnnnn ddddd", {
    ok: (f) => FP_SAME.includes((f.U << 6) | (f.a << 5) | f.o) && !(f.z === 1 && f.Q === 0),
    f: { o: [0b11000, 0b11001, 0b11010, 0b11011, 0b11100, 0b11101, 0b11110, 0b11111] },
    finish: vfp,
  }),
  tpl("SIMD_2misc_fp", "0 Q U 01110 a z 10000 ooooo 10 nnnnn ddddd", {
    f: { o: [0b01100, 0b01101, 0b01110, 0b01111, 0b10110, 0b10111, 0b11000, 0b11001, 0b11010, 0b11011, 0b11100, 0b11101, 0b11111] },
    ok: (f) => {
      if (!FP_MISC.includes((f.U << 6) | (f.a << 5) | f.o)) return false;
      if (f.o === 0b10110 || f.o === 0b10111) return true; // FCVTN/FCVTL: sz picks the pair of formats
      return !(f.z === 1 && f.Q === 0);
    },
    finish: vfp,
  }),
];

// --- Scalar forms (Arm ARM "Advanced SIMD scalar ...") -------------------------------

// Scalar three-same integer: opcode -> allowed sizes (bitmask over size 0..3).
const SCALAR_SAME: Record<number, number> = {
  0b00001: 0xf, 0b00101: 0xf, 0b01001: 0xf, 0b01011: 0xf, // SQADD/UQADD, SQSUB/UQSUB, SQSHL/UQSHL, SQRSHL/UQRSHL
  0b00110: 0x8, 0b00111: 0x8, 0b01000: 0x8, 0b01010: 0x8, 0b10000: 0x8, 0b10001: 0x8, // CMxx, SSHL, SRSHL, ADD/SUB, CMTST/CMEQ
  0b10110: 0x6, // SQDMULH/SQRDMULH
};

// Scalar FP three-same by U:a:opcode.
const SCALAR_FP_SAME = [
  [0, 0, 0b11011], [0, 0, 0b11100], [0, 0, 0b11111], [0, 1, 0b11111], [1, 0, 0b11100], [1, 0, 0b11101],
  [1, 1, 0b11010], [1, 1, 0b11100], [1, 1, 0b11101],
].map(([u, a, o]) => (u << 6) | (a << 5) | o);

// Scalar FP two-register misc by U:a:opcode (FCVTXN handled separately).
const SCALAR_FP_MISC = [
  0b11010, 0b11011, 0b11100, 0b11101,
].flatMap((o) => [o, 64 | o]).concat(
  [0b01100, 0b01101, 0b11010, 0b11011, 0b11101].flatMap((o) => [32 | o, 96 | o]),
  [32 | 0b01110, 32 | 0b11111],
);

function scalarMiscOk(f: Fields): boolean {
  switch (f.o) {
    case 0b00111: return true; // SQABS/SQNEG
    case 0b01000: case 0b01001: case 0b01011: return f.z === 3; // CMGT/CMGE/CMEQ/CMLE #0, ABS/NEG
    case 0b01010: return f.U === 0 && f.z === 3; // CMLT #0
    case 0b10100: return f.z !== 3; // SQXTN/UQXTN
    case 0b10010: return f.U === 1 && f.z !== 3; // SQXTUN
    default: return false;
  }
}

function scalarShiftOk(f: Fields): boolean {
  if (f.h === 0) return false;
  switch (f.o) {
    case 0b00000: case 0b00010: case 0b00100: case 0b00110: return f.h >= 8; // SSHR SSRA SRSHR SRSRA
    case 0b01010: return f.h >= 8; // SHL / SLI
    case 0b01000: return f.U === 1 && f.h >= 8; // SRI
    case 0b01110: return true; // SQSHL/UQSHL #imm
    case 0b01100: return f.U === 1; // SQSHLU
    case 0b10010: case 0b10011: return f.h < 8; // SQSHRN/SQRSHRN
    case 0b10000: case 0b10001: return f.U === 1 && f.h < 8; // SQSHRUN/SQRSHRUN
    case 0b11100: case 0b11111: return f.h >= 4; // SCVTF/UCVTF, FCVTZS/FCVTZU (fixed point, S or D)
    default: return false;
  }
}

// By-element integer ops by U:opcode.
const ELEM_INT = new Set([0b01000, 0b10000, 0b10100, 0b01010, 0b11010, 0b00010, 0b10010, 0b00110, 0b10110, 0b01100, 0b01101, 0b01011, 0b00011, 0b00111]);
const ELEM_FP = new Set([0b00001, 0b00101, 0b01001, 0b11001]);

export const SIMD_SCALAR: Template[] = [
  tpl("scalar_3same_int", "01 U 11110 zz 1 mmmmm ooooo 1 nnnnn ddddd", {
    f: { o: Object.keys(SCALAR_SAME).map(Number) },
    ok: (f) => ((SCALAR_SAME[f.o] >> f.z) & 1) === 1,
  }),
  tpl("scalar_3same_fp", "01 U 11110 a z 1 mmmmm ooooo 1 nnnnn ddddd", {
    f: { o: [0b11010, 0b11011, 0b11100, 0b11101, 0b11111] },
    ok: (f) => SCALAR_FP_SAME.includes((f.U << 6) | (f.a << 5) | f.o),
    finish: vfp,
  }),
  tpl("scalar_2misc_int", "01 U 11110 zz 10000 ooooo 10 nnnnn ddddd", { ok: scalarMiscOk }),
  tpl("scalar_2misc_fp", "01 U 11110 a z 10000 ooooo 10 nnnnn ddddd", {
    f: { o: [0b01100, 0b01101, 0b01110, 0b10110, 0b11010, 0b11011, 0b11100, 0b11101, 0b11111] },
    ok: (f) => {
      if (f.o === 0b10110) return f.U === 1 && f.a === 0 && f.z === 1; // FCVTXN
      return SCALAR_FP_MISC.includes((f.U << 6) | (f.a << 5) | f.o);
    },
    finish: vfp,
  }),
  tpl("scalar_pairwise", "01 U 11110 zz 11000 ooooo 10 nnnnn ddddd", {
    f: { o: [0b11011, 0b01100, 0b01101, 0b01111] },
    ok: (f) => (f.o === 0b11011 ? f.U === 0 && f.z === 3 : f.U === 1 && (f.o !== 0b01101 || f.z < 2)),
    finish: (insn, f) => { insn.fp = f.z & 1 ? "d" : "s"; },
  }),
  tpl("scalar_shift_imm", "01 U 111110 hhhh bbb ooooo 1 nnnnn ddddd", {
    f: { o: [0, 2, 4, 6, 8, 10, 12, 14, 16, 17, 18, 19, 28, 31] },
    ok: scalarShiftOk,
  }),
  tpl("scalar_DUP", "01 0 11110000 iiiii 0 0000 1 nnnnn ddddd", { ok: (f) => (f.i & 15) !== 0 }),
  tpl("by_element_int", "0 Q U 01111 zz L M mmmm oooo H 0 nnnnn ddddd", {
    ok: (f) => (f.z === 1 || f.z === 2) && ELEM_INT.has((f.U << 4) | f.o),
  }),
  tpl("by_element_fp", "0 Q U 01111 1 z L M mmmm oooo H 0 nnnnn ddddd", {
    ok: (f) => ELEM_FP.has((f.U << 4) | f.o) && (f.z === 0 || (f.L === 0 && f.Q === 1)),
    finish: vfp,
  }),
];

// Less common vector forms, kept apart so the main class stays checked while these land.
export const SIMD_EXTRA: Template[] = [
  tpl("SQDMULH/SQRDMULH", "0 Q U 01110 zz 1 mmmmm 10110 1 nnnnn ddddd", { ok: (f) => f.z === 1 || f.z === 2 }),
  tpl("SUQADD/USQADD", "0 Q U 01110 zz 10000 00011 10 nnnnn ddddd", { ok: (f) => f.z !== 3 || f.Q === 1 }),
  tpl("SHLL", "0 Q 1 01110 zz 10000 10011 10 nnnnn ddddd", { ok: (f) => f.z !== 3 }),
  tpl("SQDMLAL/SQDMLSL/SQDMULL", "0 Q 0 01110 zz 1 mmmmm oooo 00 nnnnn ddddd", { f: { o: [9, 11, 13] }, ok: (f) => f.z === 1 || f.z === 2 }),
  tpl("CVTF/FCVTZ_fixed", "0 Q U 011110 hhhh bbb ooooo 1 nnnnn ddddd", {
    f: { o: [0b11100, 0b11111] },
    ok: (f) => f.h >= 4 && (f.h < 8 || f.Q === 1), // no FP16 (immh = 001x)
    finish: (insn, f) => { insn.fp = f.h >= 8 ? "d" : "s"; },
  }),
  tpl("URECPE/URSQRTE", "0 Q U 01110 1 0 10000 11100 10 nnnnn ddddd"),
  tpl("FCVTXN", "0 Q 1 01110 0 1 10000 10110 10 nnnnn ddddd", { finish: (insn) => { insn.fp = "d"; } }),
  tpl("FMAXV/FMINV/FMAXNMV/FMINNMV", "0 1 1 01110 a 0 11000 ooooo 10 nnnnn ddddd", { f: { o: [0b01100, 0b01111] }, finish: vfp }),
];
