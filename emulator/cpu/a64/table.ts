// Instruction encodings as data (in the manner of QEMU's decodetree): each
// entry is a bit pattern with its mnemonic_variant name and the emitter that
// translates it. Group modules (dp_imm.ts, branch.ts, ...) each export a
// table for one top-level encoding group of the Arm ARM (C4.1).

import type { BlockBuilder } from "../builder.js";

/**
 * Translate one instruction into `b`. Return false if the encoding turns out
 * to be reserved/unallocated after field checks (it becomes UNDEFINED).
 */
export type Emitter = (b: BlockBuilder, insn: number) => boolean | void;

export interface InsnPattern {
  /** Mnemonic and encoding variant, e.g. "ADD_i", "LDR_lit". */
  name: string;
  /** Bits that must match `value` (as unsigned 32-bit numbers). */
  mask: number;
  value: number;
  emit: Emitter;
}

/** An encoding deliberately not handled, with the reason (it stays UNDEFINED). */
export interface UnhandledPattern {
  name: string;
  mask: number;
  value: number;
  reason: string;
}

/** Build a pattern from a 32-character string of 0, 1 and x/- (don't care), MSB first. */
export function pattern(name: string, bits: string, emit: Emitter): InsnPattern {
  const clean = bits.replace(/[ _]/g, "");
  if (clean.length !== 32) throw new Error(`pattern ${name}: need 32 bits, got ${clean.length}`);
  let mask = 0;
  let value = 0;
  for (let i = 0; i < 32; i++) {
    const ch = clean[i];
    const bit = 31 - i;
    if (ch === "0" || ch === "1") {
      mask |= 1 << bit;
      if (ch === "1") value |= 1 << bit;
    } else if (ch !== "x" && ch !== "-") {
      throw new Error(`pattern ${name}: bad character ${ch}`);
    }
  }
  return { name, mask: mask >>> 0, value: value >>> 0, emit };
}

/** First pattern of `table` matching `insn`, or undefined. */
export function match(table: readonly InsnPattern[], insn: number): InsnPattern | undefined {
  for (const p of table) if (((insn & p.mask) >>> 0) === p.value) return p;
  return undefined;
}

/** Extract bits [lo, lo+len) of insn. */
export function bits(insn: number, lo: number, len: number): number {
  return len === 32 ? insn >>> 0 : (insn >>> lo) & ((1 << len) - 1);
}

/** Sign-extend the low `len` bits of v. */
export function sext(v: number, len: number): number {
  const shift = 32 - len;
  return (v << shift) >> shift;
}
