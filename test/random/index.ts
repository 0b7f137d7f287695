// Instruction classes for the random differential tester, and the drawing
// of complete cases (instruction words plus a random starting state) from
// a seed, so any failure reproduces from (class, seed, count).

import { Rng } from "../../emulator/rng.js";
import type { DiffCase, InitState } from "../support/diff.js";
import { EDGE_END, EDGE_RESET_BYTES, SCRATCH_SIZE } from "../support/stub.js";
import { DP_IMM, DP_REG, SKIP_BRANCHES } from "./dp.js";
import { FP, FP_HALF_CVT } from "./fp.js";
import { BASE_OFFSET, LDST } from "./ldst.js";
import { SIMD, SIMD_EXTRA, SIMD_SCALAR } from "./simd.js";
import { SIMD_LDST } from "./simd_ldst.js";
import { Insn, Template } from "./template.js";
import { fpVector, interestingU64, intVector } from "./values.js";

export interface InsnClass {
  name: string;
  templates: Template[];
  /** Bodies of this many instructions (default 1); multi-instruction bodies also draw from `skips`. */
  length?: [number, number];
  /** One-instruction forward skips mixed into sequences (never the last instruction). */
  skips?: Template[];
  /**
   * Memory templates mixed into sequences. All of them share one base register
   * (bits 9:5 rewritten), which no instruction of the sequence may write.
   */
  mem?: Template[];
  /** Randomise FPCR (rounding mode, FZ, DN, AHP) and seed V registers with FP values. */
  fp: boolean;
  /**
   * Point every memory base at this unmapped address instead of the scratch
   * area: each access faults, and the state at the fault must agree.
   */
  faultAt?: bigint;
  /**
   * Point every memory base at a value drawn here instead (accesses may
   * straddle the end of mapped memory); the stub zeroes the edge per case.
   */
  edgeBase?: (r: Rng) => bigint;
  /**
   * Wrap each sequence in a counted loop (MOVZ counter; body; SUB(S); B.NE or
   * CBNZ back), the counter register being one no body instruction writes.
   */
  loop?: boolean;
}

export const CLASSES: InsnClass[] = [
  { name: "dp_imm", templates: DP_IMM, fp: false },
  { name: "dp_reg", templates: DP_REG, fp: false },
  { name: "ldst", templates: LDST, fp: false },
  { name: "fp", templates: FP, fp: true },
  { name: "fp_half_cvt", templates: FP_HALF_CVT, fp: true },
  { name: "simd", templates: SIMD, fp: true },
  { name: "simd_extra", templates: SIMD_EXTRA, fp: true },
  { name: "simd_scalar", templates: SIMD_SCALAR, fp: true },
  { name: "simd_ldst", templates: SIMD_LDST, fp: false },
  // Loads, stores and atomics at an unmapped address (below our RAM, not mapped by qemu-user).
  { name: "ldst_fault", templates: [...LDST.filter((t) => t.name !== "LDR_literal"), ...SIMD_LDST], fp: false, faultAt: 0x1000_0000n },
  // The same with the base just below the end of mapped memory: some accesses
  // fit, some fault, some straddle the edge (the fault must leave no trace).
  {
    name: "ldst_edge",
    templates: [...LDST.filter((t) => t.name !== "LDR_literal"), ...SIMD_LDST],
    fp: false,
    edgeBase: (r) => {
      const below = BigInt(1 + r.nextInt(EDGE_RESET_BYTES / 4));
      return BigInt(EDGE_END) - (r.nextInt(2) ? (below + 15n) & ~15n : below); // half aligned (atomics)
    },
  },
  // Sequences of flag setters and flag users (with forward skips): deferred NZCV across instructions.
  { name: "seq", templates: [...DP_IMM, ...DP_REG], fp: false, length: [2, 6], skips: SKIP_BRANCHES },
  // Counted loops around such sequences: flags and values carried across iterations.
  { name: "loop", templates: [...DP_IMM, ...DP_REG], fp: false, length: [1, 6], skips: SKIP_BRANCHES, loop: true },
  // The same with loads, stores and atomics in between (flags must survive memory accesses).
  {
    name: "seq_mem",
    templates: [...DP_IMM, ...DP_REG],
    fp: false,
    length: [2, 6],
    skips: SKIP_BRANCHES,
    mem: LDST.filter((t) => ["LDR/STR_uimm", "LDUR/STUR", "LDTR/STTR", "LDP/STP", "LD<op>/SWP", "CAS", "LDAR/STLR", "LDAPR"].includes(t.name)),
  },
];

/**
 * MOVZ Xc, #count; body; then SUBS Xc, Xc, #1; B.NE start (flags from the
 * counter) or SUB Xc, Xc, #1; CBNZ Xc, start (the body's flags live on).
 */
function loopAround(body: number[], c: number, count: number, cbnz: boolean): number[] {
  const back = -(body.length + 1) & 0x7ffff; // from the branch to the first body word
  const movz = 0xd2800000 | (count << 5) | c;
  const sub = (cbnz ? 0xd1000400 : 0xf1000400) | (c << 5) | c;
  const br = cbnz ? 0xb5000000 | (back << 5) | c : 0x54000000 | (back << 5) | 1;
  return [movz, ...body, sub, br].map((w) => w >>> 0);
}

/** Could `word` (a load/store or data-processing instruction) write register `reg`? Conservative. */
function mayWrite(word: number, reg: number, isMem: boolean): boolean {
  if ((word & 31) === reg) return true;
  if (!isMem) return false;
  return ((word >>> 10) & 31) === reg || ((word >>> 16) & 31) === reg;
}

/** Load/store pair forms with writeback (bits 24:23 = 01 post, 11 pre) would walk the base away. */
function isPairWriteback(word: number): boolean {
  return (word & 0x3a000000) === 0x28000000 && ((word >>> 23) & 1) === 1;
}

const FPCR_AHP = 1 << 26;
const FPCR_DN = 1 << 25;
const FPCR_FZ = 1 << 24;
const FPSR_CUMULATIVE = [0, 1, 2, 3, 4, 7, 27]; // IOC DZC OFC UFC IXC IDC QC

function randomFpcr(r: Rng): number {
  let v = r.nextInt(4) << 22; // RMode
  if (r.nextInt(3) === 0) v |= FPCR_FZ;
  if (r.nextInt(3) === 0) v |= FPCR_DN;
  if (r.nextInt(5) === 0) v |= FPCR_AHP;
  return v;
}

function randomFpsr(r: Rng): number {
  if (r.nextInt(4) !== 0) return 0;
  let v = 0;
  for (const b of FPSR_CUMULATIVE) if (r.nextInt(2)) v |= 1 << b;
  return v >>> 0;
}

/** A random starting state suited to `insn`. */
function initFor(r: Rng, cls: InsnClass, insn: Insn): InitState {
  const x = Array.from({ length: 31 }, () => interestingU64(r));
  const v = Array.from({ length: 32 }, () => {
    if (!cls.fp) return intVector(r);
    const kinds = ["h", "s", "d"] as const;
    const kind = insn.fp && r.nextInt(4) !== 0 ? insn.fp : kinds[r.nextInt(3)];
    return fpVector(r, kind);
  });
  const scratch = new Uint8Array(SCRATCH_SIZE);
  r.fill(scratch);
  const init: InitState = {
    x,
    v,
    nzcv: r.nextInt(16) << 28,
    fpcr: cls.fp ? randomFpcr(r) : 0,
    fpsr: randomFpsr(r),
    scratch,
  };
  for (const { reg, value } of insn.regs ?? []) x[reg] = value;
  if (insn.base && (cls.faultAt !== undefined || cls.edgeBase)) {
    let a = cls.edgeBase ? cls.edgeBase(r) : cls.faultAt! + BigInt(insn.base.offset);
    if (insn.base.reg === 31 || insn.alignedBase) a &= ~15n; // SP stays 16-byte aligned
    if (insn.base.reg === 31) init.sp = a;
    else x[insn.base.reg] = a;
  } else if (insn.base) {
    init.scratchRegs = [insn.base];
  }
  return init;
}

function hex32(w: number): string {
  return "0x" + (w >>> 0).toString(16).padStart(8, "0");
}

export interface RandomCase extends DiffCase {
  /** Template name (or "seqN" for sequences). */
  template: string;
  /** The body's instruction words. */
  words: number[];
}

/** Draw `count` cases of class `cls` from `seed` (same arguments, same cases). */
export function drawCases(cls: InsnClass, count: number, seed: number): RandomCase[] {
  const r = new Rng(seed);
  const out: RandomCase[] = [];
  const drawFrom = (list: Template[]): Insn => {
    const t = list[r.nextInt(list.length)];
    const insn = t.draw(r);
    if (!insn) throw new Error(`drawCases: template ${t.name} of ${cls.name} refuses every draw`);
    return insn;
  };
  while (out.length < count) {
    const [lo, hi] = cls.length ?? [1, 1];
    const n = lo + r.nextInt(hi - lo + 1);
    const insns: Insn[] = [];
    const base = r.nextInt(31);
    for (let k = 0; k < n; k++) {
      const skip = cls.skips && k < n - 1 && r.nextInt(4) === 0;
      if (skip) {
        insns.push(drawFrom(cls.skips!));
        continue;
      }
      for (;;) {
        const isMem = cls.mem !== undefined && r.nextInt(3) === 0;
        const insn = drawFrom(isMem ? cls.mem! : cls.templates);
        if (cls.loop && mayWrite(insn.word, base, false)) continue;
        if (cls.mem) {
          if (isMem) insn.word = ((insn.word & ~(31 << 5)) | (base << 5)) >>> 0;
          if (mayWrite(insn.word, base, isMem) || (isMem && isPairWriteback(insn.word))) continue;
          if (isMem) insn.base = { reg: base, offset: BASE_OFFSET };
        }
        insns.push(insn);
        break;
      }
    }
    let words = insns.flatMap((i) => [i.word, ...(i.more ?? [])]);
    if (cls.loop) words = loopAround(words, base, 1 + r.nextInt(12), r.nextInt(2) === 0);
    const name = insns.map((i) => i.name).join(" ; ");
    // A sequence's needs: the first instruction's register values (single-instruction
    // classes) or the shared memory base (memory sequences).
    const first = cls.mem ? { ...insns[0], regs: undefined, base: { reg: base, offset: BASE_OFFSET } } : insns[0];
    const unknown = insns.flatMap((i) => i.unknownOnFault ?? []);
    out.push({
      asm: words.map((w) => `.inst ${hex32(w)}`).join("\n"),
      init: initFor(r, cls, first),
      template: cls.loop ? `loop${n}` : n === 1 ? name : `seq${n}`,
      words,
      ...(unknown.length ? { ignoreOnFault: unknown } : {}),
    });
  }
  return out;
}
