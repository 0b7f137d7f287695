// Encoding templates for the random instruction tester: a 32-character bit
// pattern (spaces ignored) where 0/1 are fixed bits and letters are fields,
// each field's bits read MSB first wherever they appear. A template draws a
// random value for every field (uniform, or from a per-field choice list or
// function), rejects combinations its `ok` test refuses (reserved,
// UNPREDICTABLE or legitimately-different encodings), and assembles the word.

import { Rng } from "../../emulator/rng.js";

export type Fields = Record<string, number>;
export type FieldSpec = number[] | ((r: Rng, f: Fields) => number);

/** One drawn instruction plus what its starting state must hold. */
export interface Insn {
  word: number;
  /** Template name (for reports and per-template counts). */
  name: string;
  /** Registers that must hold a given value (applied after the random state). */
  regs?: { reg: number; value: bigint }[];
  /** Register (31 = SP) that must point at the scratch area, and where in it. */
  base?: { reg: number; offset: number };
  /** Which FP format the operands should mostly be drawn from. */
  fp?: "h" | "s" | "d";
  /** Extra instruction words after this one (e.g. STXR after LDXR). */
  more?: number[];
  /** The base must stay naturally aligned wherever it is moved (see InsnClass.edgeBase). */
  alignedBase?: boolean;
  /** Registers UNKNOWN after a fault of this instruction (compared only without a fault). */
  unknownOnFault?: string[];
}

export interface Template {
  name: string;
  /** Draw one instruction, or undefined after too many rejected draws. */
  draw(r: Rng): Insn | undefined;
}

interface FieldLayout {
  name: string;
  /** Bit positions, MSB of the field first. */
  positions: number[];
}

function parseLayout(layout: string): { fixed: number; fields: FieldLayout[] } {
  const s = layout.replace(/\s+/g, "");
  if (s.length !== 32) throw new Error(`template: layout "${layout}" has ${s.length} bits`);
  let fixed = 0;
  const map = new Map<string, number[]>();
  for (let k = 0; k < 32; k++) {
    const ch = s[k];
    const bit = 31 - k;
    if (ch === "1") fixed |= 1 << bit;
    else if (ch !== "0") {
      const p = map.get(ch) ?? [];
      p.push(bit);
      map.set(ch, p);
    }
  }
  return { fixed: fixed >>> 0, fields: [...map].map(([name, positions]) => ({ name, positions })) };
}

export interface TemplateOptions {
  /** Per-field value choices or generators; fields not named are uniform. */
  f?: Record<string, FieldSpec>;
  /** Accept this field combination? */
  ok?: (f: Fields) => boolean;
  /** Add the starting-state requirements (memory base, register values). */
  finish?: (insn: Insn, f: Fields, r: Rng) => void;
}

/**
 * A template named `name` over `layout`. Throws at definition time on a
 * malformed layout; draw() returns undefined if 200 draws in a row are refused.
 */
export function tpl(name: string, layout: string, opts: TemplateOptions = {}): Template {
  const { fixed, fields } = parseLayout(layout);
  return {
    name,
    draw(r: Rng): Insn | undefined {
      for (let attempt = 0; attempt < 200; attempt++) {
        const f: Fields = {};
        for (const fl of fields) {
          const spec = opts.f?.[fl.name];
          const width = fl.positions.length;
          if (Array.isArray(spec)) f[fl.name] = spec[r.nextInt(spec.length)];
          else if (spec) f[fl.name] = spec(r, f);
          else f[fl.name] = width >= 32 ? r.nextU32() : r.nextInt(2 ** width);
        }
        if (opts.ok && !opts.ok(f)) continue;
        let word = fixed;
        for (const fl of fields) {
          const v = f[fl.name];
          const w = fl.positions.length;
          fl.positions.forEach((bit, k) => {
            if ((v >>> (w - 1 - k)) & 1) word |= 1 << bit;
          });
        }
        const insn: Insn = { word: word >>> 0, name };
        opts.finish?.(insn, f, r);
        return insn;
      }
      return undefined;
    },
  };
}

/** A random integer in [lo, hi]. */
export function between(r: Rng, lo: number, hi: number): number {
  return lo + r.nextInt(hi - lo + 1);
}

/** Field spec: a register number other than those listed. */
export function regExcept(...avoid: number[]): (r: Rng) => number {
  return (r) => {
    for (;;) {
      const n = r.nextInt(32);
      if (!avoid.includes(n)) return n;
    }
  };
}
