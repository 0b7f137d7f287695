// Advanced SIMD floating point (placeholder until the FP core lands).
import type { BlockBuilder } from "../builder.js";

/** FP three-same (opcode 11xxx), vector or scalar. Returns false when not handled. */
export function emitFp3Same(_b: BlockBuilder, _insn: number, _scalar: boolean): boolean {
  return false;
}

/** FP two-register misc, vector or scalar. */
export function emitFpMisc(_b: BlockBuilder, _insn: number, _scalar: boolean): boolean {
  return false;
}

/** FP across lanes (FMAXV, FMINV, FMAXNMV, FMINNMV). */
export function emitFpAcross(_b: BlockBuilder, _insn: number): boolean {
  return false;
}

/** FP pairwise scalar (FADDP, FMAXP, ... Sd/Dd). */
export function emitFpPairScalar(_b: BlockBuilder, _insn: number): boolean {
  return false;
}

/** FP by element (FMUL/FMLA/FMLS/FMULX), vector or scalar. */
export function emitFpByElement(_b: BlockBuilder, _insn: number, _scalar: boolean): boolean {
  return false;
}

/** SCVTF/UCVTF/FCVTZS/FCVTZU with a fixed-point shift (shift-by-immediate group). */
export function emitFpFixed(_b: BlockBuilder, _insn: number, _scalar: boolean): boolean {
  return false;
}
