// Scalar floating-point templates (Arm ARM C4.1.92 "Data Processing --
// Scalar Floating-Point and Advanced SIMD", the FP scalar rows). Half
// precision arithmetic (FEAT_FP16) is left out; conversions from and to half
// precision (FCVT) are base Armv8.0 and included. ftype t: 00 single,
// 01 double, 11 half (only where allowed).

import { Fields, Insn, Template, tpl } from "./template.js";

const kindOf = (t: number): "s" | "d" | "h" => (t === 0 ? "s" : t === 1 ? "d" : "h");
const hint = (insn: Insn, f: Fields) => {
  insn.fp = kindOf(f.t);
};

export const FP: Template[] = [
  tpl("FP_2src", "000 11110 tt 1 mmmmm oooo 10 nnnnn ddddd", { f: { t: [0, 1], o: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, finish: hint }),
  tpl("FP_1src", "000 11110 tt 1 oooooo 10000 nnnnn ddddd", {
    f: { t: [0, 1], o: [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 14, 15] },
    ok: (f) => {
      if (f.o >= 4 && f.o <= 7) return (f.o & 3) !== f.t && (f.o & 3) < 2 && f.t < 2; // FCVT between S and D
      return f.t !== 3; // arithmetic on half precision needs FEAT_FP16
    },
    finish: hint,
  }),
  tpl("FP_3src", "000 11111 tt o mmmmm p aaaaa nnnnn ddddd", { f: { t: [0, 1] }, finish: hint }),
  tpl("FCMP/FCMPE", "000 11110 tt 1 mmmmm 00 1000 nnnnn oo 000", {
    f: { t: [0, 1] },
    ok: (f) => (f.o & 1) === 0 || f.m === 0, // the compare-with-zero forms have Rm = 00000
    finish: hint,
  }),
  tpl("FCCMP/FCCMPE", "000 11110 tt 1 mmmmm cccc 01 nnnnn o ffff", { f: { t: [0, 1] }, finish: hint }),
  tpl("FCSEL", "000 11110 tt 1 mmmmm cccc 11 nnnnn ddddd", { f: { t: [0, 1] }, finish: hint }),
  tpl("FP<->int", "s 00 11110 tt 1 rr ooo 000000 nnnnn ddddd", {
    f: { t: [0, 1, 2] },
    ok: (f) => {
      if (f.t === 2) return f.s === 1 && f.r === 1 && (f.o === 6 || f.o === 7); // FMOV Xd <-> Vn.D[1]
      if (f.o === 6 || f.o === 7) return f.r === 0 && f.s === f.t; // FMOV general
      if (f.o === 2 || f.o === 3) return f.r === 0; // SCVTF/UCVTF
      if (f.o === 4 || f.o === 5) return f.r === 0; // FCVTAS/FCVTAU
      return true; // FCVT{N,P,M,Z}{S,U}
    },
    finish: hint,
  }),
  tpl("FP<->fixed", "s 00 11110 tt 0 rr ooo kkkkkk nnnnn ddddd", {
    f: { t: [0, 1], o: [0, 1, 2, 3] },
    ok: (f) => (f.o < 2 ? f.r === 3 : f.r === 0) && (f.s === 1 || f.k >= 32),
    finish: hint,
  }),
  tpl("FMOV_imm", "000 11110 tt 1 iiiiiiii 100 00000 ddddd", { f: { t: [0, 1] }, finish: hint }),
];

// FCVT to or from half precision (base Armv8.0, not FEAT_FP16), kept apart until our CPU has it.
export const FP_HALF_CVT: Template[] = [
  tpl("FCVT_half", "000 11110 tt 1 0001 oo 10000 nnnnn ddddd", {
    ok: (f) => f.t !== 2 && f.o !== 2 && f.o !== f.t && (f.t === 3 || f.o === 3),
    finish: (insn, f) => { insn.fp = f.t === 0 ? "s" : f.t === 1 ? "d" : "h"; },
  }),
];
