// Loads and stores against the reference CPU (qemu-aarch64, via
// test/support/diff.ts): every addressing mode, size and register class,
// pairs, exclusives, CAS and LD<op>, with pseudo-random registers and memory.
// Differences are reported field by field with qemu's value as the truth.
//
// Not compared here: alignment faults of LDAR/STLR/CAS/LD<op> (qemu's "max"
// CPU has FEAT_LSE2, which allows them inside 16 bytes; we model a CPU
// without it, see test/ldst_atomic.test.ts) and a plain store between LDXR
// and STXR (whether it clears the local monitor is IMPLEMENTATION DEFINED),
// and a misaligned STXR without a reservation: the Arm ARM's
// ExclusiveMonitorsPass() checks alignment before the monitor, so we fault,
// while qemu fails it (status 1) without looking at the address.

import { describe, expect, it } from "vitest";
import { diffBatch, DiffCase, InitState, SCRATCH_SIZE, SIG } from "./support/diff.js";
import { CASE_STRIDE, OFF_SIGNO, scratchAddr } from "./support/stub.js";
import { assemble } from "./support/asm.js";

/** `asm` with the 5-bit register field at `lo` replaced (forms the assembler refuses as UNPREDICTABLE). */
function patched(asm: string, lo: number, value: number): string {
  const w = assemble(asm, "armv8.1-a")[0];
  return `.inst 0x${(((w & ~(31 << lo)) | (value << lo)) >>> 0).toString(16)} // ${asm}, field ${lo} = ${value}`;
}

/** Deterministic xorshift64* stream, so the cached qemu run stays valid. */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s ^= s >> 12n;
    s ^= BigInt.asUintN(64, s << 25n);
    s ^= s >> 27n;
    return BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn);
  };
}

// Register roles in every case:
//   x1 = scratch + 256, x2 = scratch + 512, sp = scratch + 768 (bases)
//   x3 = 5, x4 = -3, x5 = 0xffffffff_fffffffe (SXTW -2, UXTW 2^32-2), x7 = 0x100000003
//   x6, x8..x30 random; V0..V31 random; scratch random.
function init(seed: number, extra: Partial<InitState> = {}): InitState {
  const next = rng(BigInt(seed) * 0x9e3779b97f4a7c15n + 1n);
  const x = Array.from({ length: 31 }, () => next());
  x[3] = 5n;
  x[4] = -3n;
  x[5] = 0xffff_ffff_ffff_fffen;
  x[7] = 0x1_0000_0003n;
  const v = Array.from({ length: 32 }, () => (next() << 64n) | next());
  const scratch = new Uint8Array(SCRATCH_SIZE);
  for (let i = 0; i < SCRATCH_SIZE; i += 8) new DataView(scratch.buffer).setBigUint64(i, next(), true);
  return {
    x, v, scratch,
    scratchRegs: [{ reg: 1, offset: 256 }, { reg: 2, offset: 512 }, { reg: 31, offset: 768 }],
    ...extra,
  };
}

function cases(bodies: string[], seed: number): DiffCase[] {
  return bodies.map((asm, i) => ({ asm, init: init(seed + i) }));
}

const GPR_LOADS = ["ldr x9", "ldr w9", "ldrh w9", "ldrb w9", "ldrsb x9", "ldrsb w9", "ldrsh x9", "ldrsh w9", "ldrsw x9"];
const GPR_STORES = ["str x9", "str w9", "strh w9", "strb w9", "str xzr", "strb wzr"];
const FP_REGS = ["b9", "h9", "s9", "d9", "q9"];
const SCALE: Record<string, number> = { x: 8, w: 4, h: 2, b: 1, s: 4, d: 8, q: 16 };

/** Size letter of a "mnemonic reg" pair: ldrh/strb by the mnemonic, else by the register. */
function sizeOf(op: string): number {
  const [mn, reg] = op.split(" ");
  const m = /^(?:ld|st)r(?:s)?([bh])$/.exec(mn);
  if (m) return SCALE[m[1]];
  if (mn === "ldrsw") return 4;
  return SCALE[reg[0]];
}

/** Every addressing mode of one single-register load/store. */
function singleModes(op: string): string[] {
  const s = sizeOf(op);
  const shift = Math.log2(s);
  const u = op.replace(/^ldr/, "ldur").replace(/^str/, "stur");
  const out = [
    `${op}, [x1]`,
    `${op}, [x1, #${3 * s}]`,
    `${u}, [x2, #-3]`,
    `${u}, [x1, #-17]`,
    `${op}, [x1, #${2 * s}]!`,
    `${op}, [x2, #-${s}]!`,
    `${op}, [x1], #${s}`,
    `${op}, [x2], #-7`,
    `${op}, [x1, x3]`,
    `${op}, [x1, x4, lsl #${shift}]`,
    `${op}, [x1, w5, sxtw]`,
    `${op}, [x1, w5, sxtw #${shift}]`,
    `${op}, [x1, w3, uxtw #${shift}]`,
    `${op}, [x2, x4, sxtx #${shift}]`,
    `${op}, [sp, #${s}]`,
    `${op}, [sp, #-${s}]!`,
  ];
  return out;
}

describe("loads and stores vs qemu-aarch64", () => {
  it("GPR single-register loads and stores, every addressing mode", () => {
    const bodies: string[] = [];
    for (const op of [...GPR_LOADS, ...GPR_STORES]) bodies.push(...singleModes(op));
    bodies.push("ldtr x9, [x1, #-9]", "ldtrsh w9, [x2, #3]", "ldtrsw x9, [x1, #255]", "sttr x9, [x1, #-256]", "sttrh w9, [x2, #1]");
    bodies.push("str x1, [x1, #8]", "ldr x1, [x1, #8]", "ldrb w1, [x1, x1]");
    const r = diffBatch(cases(bodies, 100));
    expect(r.report).toBe("");
    expect(r.compared).toBe(bodies.length);
  });

  it("SIMD&FP single-register loads and stores, every addressing mode", () => {
    const bodies: string[] = [];
    for (const reg of FP_REGS) {
      bodies.push(...singleModes(`ldr ${reg}`), ...singleModes(`str ${reg}`));
    }
    const r = diffBatch(cases(bodies, 2000));
    expect(r.report).toBe("");
  });

  it("literal loads", () => {
    const lit = (insn: string) => `${insn}, 1f\nb 2f\n.balign 16\n1: .quad 0x8877665544332211, 0xf0e0d0c0b0a09080\n2: nop`;
    const bodies = ["ldr x9", "ldr w9", "ldrsw x9", "ldr s9", "ldr d9", "ldr q9", "prfm pldl1keep"].map(lit);
    bodies.push("ldrsw x9, 1f\nb 2f\n1: .word 0x80000000\n2: nop");
    const r = diffBatch(cases(bodies, 3000));
    expect(r.report).toBe("");
  });

  it("pairs of every size, offset / pre / post / no-allocate", () => {
    const regs = [["x9", "x10", 8], ["w9", "w10", 4], ["s9", "s10", 4], ["d9", "d10", 8], ["q9", "q10", 16]] as const;
    const bodies: string[] = [];
    for (const [a, b2, s] of regs) {
      for (const op of ["ldp", "stp"]) {
        bodies.push(
          `${op} ${a}, ${b2}, [x1]`,
          `${op} ${a}, ${b2}, [x1, #${-4 * s}]`,
          `${op} ${a}, ${b2}, [x2, #${2 * s}]!`,
          `${op} ${a}, ${b2}, [x1], #${-2 * s}`,
          `${op} ${a}, ${b2}, [sp, #-${2 * s}]!`,
          `${op.replace("p", "np")} ${a}, ${b2}, [x1, #${s}]`,
        );
      }
    }
    bodies.push("ldpsw x9, x10, [x1, #-8]", "ldpsw x9, x10, [x2], #4", "ldpsw x9, x10, [x1, #8]!");
    bodies.push("stp x1, x2, [x1, #-16]", "ldp x1, x2, [x2, #16]", "stp xzr, xzr, [x1]", "ldp xzr, x9, [x1]");
    const r = diffBatch(cases(bodies, 4000));
    expect(r.report).toBe("");
  });

  it("accesses crossing a 4 KiB page", () => {
    // Choose, per case, the scratch offset that lands on a page boundary.
    const bodies = [
      "ldr x9, [x1, #-3]", "str x9, [x1, #-5]", "ldr w9, [x1, #-1]", "strh w9, [x1, #-1]",
      "ldp x9, x10, [x1, #-8]", "sub x8, x1, #12\nstp x9, x10, [x8]", "sub x8, x1, #5\nldp x9, x10, [x8]",
      "sub x8, x1, #3\nstp w9, w10, [x8]", "sub x8, x1, #20\nstp q9, q10, [x8]", "sub x8, x1, #7\nldp q9, q10, [x8]", "ldr q9, [x1, #-9]", "str q9, [x1, #-15]",
      "ldp q9, q10, [x1, #-16]", "stp q9, q10, [x1, #-32]", "ldp w9, w10, [x1, #-4]", "ldpsw x9, x10, [x1, #-4]",
      "ldur d9, [x1, #-6]", "stur s9, [x1, #-2]", "ldr x9, [x1, #-7]!", "str x9, [x1], #-1",
    ];
    const all: DiffCase[] = [];
    let i = 0;
    for (const asm of bodies) {
      // Find a case index whose scratch area holds a page boundary 64 bytes from either end.
      for (;;) {
        const s = scratchAddr(all.length);
        const page = Math.ceil(s / 4096) * 4096;
        if (page - s >= 64 && page - s <= SCRATCH_SIZE - 64) {
          all.push({ asm, init: init(5000 + i, { scratchRegs: [{ reg: 1, offset: page - s }] }) });
          break;
        }
        all.push({ asm: "nop", init: {} });
      }
      i++;
    }
    const r = diffBatch(all);
    expect(r.report).toBe("");
  });

  it("exclusives, acquire/release and their alignment faults", () => {
    const bodies = [
      "ldxr x9, [x1]\nstxr w10, x11, [x1]",
      "ldaxr w9, [x1]\nstlxr w10, w11, [x1]",
      "ldxrb w9, [x1]\nstxrb w10, w11, [x1]",
      "ldxrh w9, [x1]\nstlxrh w10, w11, [x1]",
      "ldxp x9, x10, [x1]\nstxp w11, x12, x13, [x1]",
      "ldaxp w9, w10, [x1]\nstlxp w11, w12, w13, [x1]",
      "stxr w10, x11, [x1]",
      "ldxr x9, [x1]\nclrex\nstxr w10, x11, [x1]",
      "ldxr x9, [x1]\nstxr w10, x11, [x2]",
      "ldxr x9, [x1]\nstxr w10, x11, [x1]\nstxr w12, x13, [x1]",
      "add x8, x1, #4\nldxr x9, [x8]", // misaligned: alignment fault
      "add x8, x1, #2\nldxr w9, [x8]",
      "add x8, x1, #1\nldaxrh w9, [x8]",
      "add x8, x1, #8\nldxp x9, x10, [x8]",
      "ldar x9, [x1]", "ldarb w9, [x1]", "ldarh w9, [x1]", "ldar w9, [x1]",
      "stlr x9, [x1]", "stlrb w9, [x1]", "stlrh w9, [x1]", "stlr w9, [x1]",
    ];
    const r = diffBatch(cases(bodies, 6000));
    expect(r.report).toBe("");
  });

  it("CAS, CASP, SWP and LD<op> at every size, matching and not", () => {
    const bodies: string[] = [];
    const sizes = [["b", "w"], ["h", "w"], ["", "w"], ["", "x"]] as const;
    for (const [suf, r] of sizes) {
      for (const ord of ["", "a", "l", "al"]) {
        bodies.push(`cas${ord}${suf} ${r}9, ${r}10, [x1]`);
        bodies.push(`ldr${suf === "" ? "" : suf} ${r}9, [x1]\ncas${ord}${suf} ${r}9, ${r}10, [x1]`);
      }
      for (const op of ["ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin", "swp"]) {
        bodies.push(`${op}${suf} ${r}9, ${r}10, [x1]`, `${op}al${suf} ${r}11, ${r}11, [x2]`);
        if (op !== "swp") bodies.push(`${op.replace(/^ld/, "st")}l${suf} ${r}12, [x1]`);
      }
    }
    bodies.push("casp x8, x9, x10, x11, [x1]", "ldp x8, x9, [x1]\ncaspal x8, x9, x10, x11, [x1]");
    bodies.push("casp w8, w9, w10, w11, [x1]", "ldp w8, w9, [x1]\ncaspl w8, w9, w10, w11, [x1]");
    const r = diffBatch(cases(bodies, 7000));
    expect(r.report).toBe("");
  });

  it("CONSTRAINED UNPREDICTABLE register overlaps make qemu's choices", () => {
    const bodies = [
      patched("ldr x9, [x1], #8", 5, 9), // ldr x9, [x9], #8
      patched("ldrb w9, [x1, #3]!", 5, 9),
      patched("str x9, [x1], #8", 5, 9),
      patched("strh w9, [x1, #-2]!", 5, 9),
      patched("ldp x9, x10, [x1]", 10, 9), // ldp x9, x9
      patched("ldp w9, w10, [x1]", 10, 9),
      patched("ldpsw x9, x10, [x1]", 10, 9),
      patched("ldp s9, s10, [x1]", 10, 9),
      patched("ldp d9, d10, [x1]", 10, 9),
      patched("ldp q9, q10, [x1]", 10, 9),
      patched("ldp x9, x10, [x1], #16", 5, 9),
      patched("ldp x9, x10, [x1, #16]!", 5, 10),
      patched("stp x9, x10, [x1, #16]!", 5, 9),
      patched("stp x9, x10, [x1], #-16", 5, 10),
      `ldxr x8, [x1]\n${patched("stxr w9, x8, [x1]", 0, 9)}`, // Rs == Rt
      `ldxr x8, [x1]\n${patched("stxr w9, x8, [x1]", 5, 9)}`.replace("ldxr x8, [x1]", "ldxr x8, [x9]"), // Rs == Rn
      patched("ldxp x9, x10, [x1]", 10, 9),
    ];
    const r = diffBatch(cases(bodies, 8000).map((c) => ({ ...c, init: { ...c.init, scratchRegs: [...c.init.scratchRegs!, { reg: 9, offset: 384 }] } })));
    expect(r.report).toBe("");
  });

  it("LDAPUR/STLUR (FEAT_LRCPC2), aligned", () => {
    const bodies = [
      "ldapur x9, [x1, #-8]", "ldapur w9, [x1, #4]", "ldapurh w9, [x1, #-2]", "ldapurb w9, [x1, #255]",
      "ldapursb x9, [x1, #1]", "ldapursb w9, [x1, #3]", "ldapursh x9, [x1, #-6]", "ldapursh w9, [x1, #2]",
      "ldapursw x9, [x1, #-256]", "stlur x9, [x1, #16]", "stlur w9, [x1, #-4]", "stlurh w9, [x1, #2]", "stlurb w9, [x1, #-1]",
    ];
    const r = diffBatch(cases(bodies, 9000), { march: "armv8.4-a+lse" });
    expect(r.report).toBe("");
  });

  it("unallocated load/store encodings are UNDEFINED on both", () => {
    const bodies = [
      ".inst 0xf8620829", // ldr x9, [x1, w2, uxtb]: option<1> = 0
      ".inst 0xb9c00029", // size 10, opc 11 (no LDRSW to W)
      ".inst 0x7dc00029", // SIMD&FP opc<1> = 1 with size 01
      ".inst 0x3c400829", // LDTR with V = 1
      ".inst 0xf8800c29", // PRFM pre-index slot
      ".inst 0x48237c24", // CASP with odd Rs
      ".inst 0x48227c23", // CASP with odd Rt
    ];
    const r = diffBatch(cases(bodies, 10000));
    expect(r.report).toBe("");
    const q = new DataView(r.qemu.buffer, r.qemu.byteOffset);
    // Every one is SIGILL in qemu, not a silent pass or another fault.
    bodies.forEach((_, i) => expect(Number(q.getBigUint64(i * CASE_STRIDE + OFF_SIGNO, true))).toBe(SIG.ILL));
  });
});
