// Top-level A64 decode (Arm ARM C4.1, table C4-1): op0 = insn[28:25] picks
// the encoding group; each group has its own pattern table.

import { InsnPattern, match } from "./table.js";
import { DP_IMM } from "./dp_imm.js";
import { BRANCH_SYS } from "./branch.js";
import { LOADS_STORES } from "./ldst.js";
import { DP_REG } from "./dp_reg.js";
import { SIMD_FP } from "./simd_fp.js";

/** Find the pattern for `insn`, or undefined (UNDEFINED / unimplemented). */
export function decode(insn: number): InsnPattern | undefined {
  const op0 = (insn >>> 25) & 0xf;
  switch (op0) {
    case 0b1000:
    case 0b1001:
      return match(DP_IMM, insn);
    case 0b1010:
    case 0b1011:
      return match(BRANCH_SYS, insn);
    case 0b0101:
    case 0b1101:
      return match(DP_REG, insn);
    case 0b0111:
    case 0b1111:
      return match(SIMD_FP, insn);
    case 0b0100:
    case 0b0110:
    case 0b1100:
    case 0b1110:
      return match(LOADS_STORES, insn);
    default:
      return undefined; // 0000 reserved (UDF), 0001/0011 unallocated, 0010 SVE
  }
}
