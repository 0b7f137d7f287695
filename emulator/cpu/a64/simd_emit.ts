// Small emission helpers shared by the Advanced SIMD emitters: calling a
// lane helper with constant arguments, and the common instruction fields.

import type { BlockBuilder, VectorView } from "../builder.js";
import { bits } from "./table.js";

/** An argument of a helper call: a constant, or an object/function passed by reference. */
export type HelperArg = number | boolean | object;

/** Emit `helper(c, ...args)`; objects and functions are registered as helpers. */
export function call(b: BlockBuilder, fn: unknown, args: HelperArg[]): void {
  const list = args.map((a) => (typeof a === "object" || typeof a === "function" ? b.helper(a) : String(a)));
  b.emit(`${b.helper(fn)}(c, ${list.join(", ")});`);
}

/** The fields most Advanced SIMD encodings share (Arm ARM C4.1.95). */
export interface SimdFields {
  q: number;
  u: number;
  size: number;
  rm: number;
  rn: number;
  rd: number;
  /** 16 for a Q form, 8 for a D form. */
  bytes: number;
}

//  31 30 29 28    24 23 22 21 20  16 15        10 9   5 4   0
//  |0| Q| U| 0 1 1 1 x| size|  | Rm  |  opcode ...|  Rn |  Rd |
export function fields(insn: number): SimdFields {
  const q = bits(insn, 30, 1);
  return { q, u: bits(insn, 29, 1), size: bits(insn, 22, 2), rm: bits(insn, 16, 5), rn: bits(insn, 5, 5), rd: bits(insn, 0, 5), bytes: q ? 16 : 8 };
}

/** Typed view for an element size (esz = log2 bytes). */
export const VIEW_BY_ESZ: readonly VectorView[] = ["vb", "vh", "vw", "vd"];

/** Emit `vd[2*d+1] = 0n` when a D-form result must clear the upper half. */
export function zeroUpper(b: BlockBuilder, d: number, bytes: number): void {
  if (bytes === 8) b.emit(`${b.view("vd")}[${2 * d + 1}] = 0n;`);
}
