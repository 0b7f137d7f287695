// Advanced SIMD structure loads/stores (Arm ARM C4.1.84: LD1-LD4/ST1-ST4
// multiple and single structures, LD1R-LD4R), with and without post-index.
// The base register points at the middle of the scratch area; the largest
// transfer is 64 bytes, so every access stays inside it.

import { Fields, Insn, Template, tpl } from "./template.js";
import { BASE_OFFSET } from "./ldst.js";
import { interestingU64 } from "./values.js";

const MULTI_OPS = [0b0000, 0b0010, 0b0100, 0b0110, 0b0111, 0b1000, 0b1010];

function multiOk(f: Fields): boolean {
  const interleaved = f.o === 0b0000 || f.o === 0b0100 || f.o === 0b1000; // LD4/LD3/LD2
  return !(interleaved && f.z === 3 && f.Q === 0);
}

function singleOk(f: Fields): boolean {
  switch (f.o >> 1) {
    case 0: return true; // bytes
    case 1: return (f.z & 1) === 0; // halfwords
    case 2: return (f.z & 2) === 0 && !(f.z === 1 && f.S === 1); // words / doublewords
    default: return f.L === 1 && f.S === 0; // LDnR
  }
}

function finish(insn: Insn, f: Fields): void {
  insn.base = { reg: f.b, offset: BASE_OFFSET };
  // A structure load that faults part-way may have written some elements (qemu does).
  if (f.L) insn.unknownOnFault = Array.from({ length: 32 }, (_, n) => `v${n}`);
}

function finishPost(insn: Insn, f: Fields, r: import("../../emulator/rng.js").Rng): void {
  finish(insn, f);
  if (f.m !== 31) insn.regs = [{ reg: f.m, value: interestingU64(r) }];
}

const notBase = (f: Fields) => f.m !== f.b;

export const SIMD_LDST: Template[] = [
  tpl("LD/ST_multiple", "0 Q 0011000 L 000000 oooo zz bbbbb ttttt", { f: { o: MULTI_OPS }, ok: multiOk, finish }),
  tpl("LD/ST_multiple_post", "0 Q 0011001 L 0 mmmmm oooo zz bbbbb ttttt", { f: { o: MULTI_OPS }, ok: (f) => multiOk(f) && notBase(f), finish: finishPost }),
  tpl("LD/ST_single", "0 Q 0011010 L R 00000 ooo S zz bbbbb ttttt", { ok: singleOk, finish }),
  tpl("LD/ST_single_post", "0 Q 0011011 L R mmmmm ooo S zz bbbbb ttttt", { ok: (f) => singleOk(f) && notBase(f), finish: finishPost }),
];
