// Advanced SIMD data processing (Arm ARM C4.1.95, inside op0 = x111): the
// encoding groups as a pattern table. Each group's emitter decodes its
// opcode field through a table of mnemonics in the group's module:
//   simd_int.ts      three same/different, two-reg misc, across lanes,
//                    shift by immediate, by element (integer)
//   simd_perm.ts     copy, modified immediate, permute, EXT, TBL/TBX
//   simd_fparith.ts  the floating-point opcodes of those groups

import { InsnPattern, pattern, UnhandledPattern } from "./table.js";
import {
  emitAcross, emitAddpScalar, emitByElement, emitDiff3, emitMisc, emitSame3, emitScalarByElement, emitScalarDiff3,
  emitScalarMisc, emitScalarSame3, emitScalarShiftImm, emitShiftImm,
} from "./simd_int.js";
import { emitCopy, emitExt, emitModImm, emitPermute, emitScalarDup, emitTbl } from "./simd_perm.js";
import { emitFpPairScalar } from "./simd_fparith.js";
import type { BlockBuilder } from "../builder.js";
import { bits } from "./table.js";

/** Scalar pairwise: ADDP (integer) or the FP pairwise ops. */
function emitScalarPair(b: BlockBuilder, insn: number): boolean {
  if (bits(insn, 29, 1) === 0 && bits(insn, 12, 5) === 0b11011) return emitAddpScalar(b, insn);
  return emitFpPairScalar(b, insn);
}

export const ADV_SIMD: InsnPattern[] = [
  // Vector groups: 0 Q U 0111x ...
  pattern("SIMD_copy", "0xx0 1110 000x xxxx 0xxx x1xx xxxx xxxx", emitCopy),
  pattern("SIMD_table", "0x00 1110 000x xxxx 0xxx 00xx xxxx xxxx", emitTbl),
  pattern("SIMD_permute", "0x00 1110 xx0x xxxx 0xxx 10xx xxxx xxxx", emitPermute),
  pattern("SIMD_extract", "0x10 1110 000x xxxx 0xxx x0xx xxxx xxxx", emitExt),
  pattern("SIMD_3same", "0xx0 1110 xx1x xxxx xxxx x1xx xxxx xxxx", emitSame3),
  pattern("SIMD_3diff", "0xx0 1110 xx1x xxxx xxxx 00xx xxxx xxxx", emitDiff3),
  pattern("SIMD_2misc", "0xx0 1110 xx10 000x xxxx 10xx xxxx xxxx", emitMisc),
  pattern("SIMD_across", "0xx0 1110 xx11 000x xxxx 10xx xxxx xxxx", emitAcross),
  pattern("SIMD_modimm", "0xx0 1111 0000 0xxx xxxx x1xx xxxx xxxx", emitModImm),
  pattern("SIMD_shiftimm", "0xx0 1111 0xxx xxxx xxxx x1xx xxxx xxxx", emitShiftImm),
  pattern("SIMD_byelem", "0xx0 1111 xxxx xxxx xxxx x0xx xxxx xxxx", emitByElement),
  // Scalar groups: 01 U 1111x ...
  pattern("SIMDs_copy", "0101 1110 000x xxxx 0000 01xx xxxx xxxx", emitScalarDup),
  pattern("SIMDs_3same", "01x1 1110 xx1x xxxx xxxx x1xx xxxx xxxx", emitScalarSame3),
  pattern("SIMDs_3diff", "01x1 1110 xx1x xxxx xxxx 00xx xxxx xxxx", emitScalarDiff3),
  pattern("SIMDs_2misc", "01x1 1110 xx10 000x xxxx 10xx xxxx xxxx", emitScalarMisc),
  pattern("SIMDs_pairwise", "01x1 1110 xx11 000x xxxx 10xx xxxx xxxx", emitScalarPair),
  pattern("SIMDs_shiftimm", "01x1 1111 0xxx xxxx xxxx x1xx xxxx xxxx", emitScalarShiftImm),
  pattern("SIMDs_byelem", "01x1 1111 xxxx xxxx xxxx x0xx xxxx xxxx", emitScalarByElement),
];

function unhandled(name: string, bitsStr: string, reason: string): UnhandledPattern {
  const { mask, value } = pattern(name, bitsStr, () => false);
  return { name, mask, value, reason };
}

/** Advanced SIMD encodings deliberately left UNDEFINED. */
export const ADV_SIMD_UNHANDLED: UnhandledPattern[] = [
  unhandled("SIMD_3same_extra", "0xx0 1110 xx0x xxxx 1xxx x1xx xxxx xxxx", "SDOT/UDOT, SQRDMLAH, FCMLA/FCADD: v8.1+/v8.2+ extensions"),
  unhandled("SIMD_3same_fp16", "0xx0 1110 x10x xxxx 00xx x1xx xxxx xxxx", "half-precision arithmetic (FEAT_FP16)"),
  unhandled("SIMD_2misc_fp16", "0xx0 1110 x111 100x xxxx 10xx xxxx xxxx", "half-precision arithmetic (FEAT_FP16)"),
  unhandled("SIMD_crypto_aes", "0100 1110 0010 1000 0xxx 10xx xxxx xxxx", "AES (FEAT_AES)"),
  unhandled("SIMD_crypto_sha", "0101 1110 xx0x xxxx 0xxx 00xx xxxx xxxx", "SHA1/SHA256 (FEAT_SHA1/SHA256)"),
  unhandled("SIMD_pmull_1q", "0x00 1110 111x xxxx 1110 00xx xxxx xxxx", "PMULL 1Q (FEAT_PMULL, crypto)"),
];
