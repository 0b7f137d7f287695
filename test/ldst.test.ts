// Loads and stores of single registers and pairs (emulator/cpu/a64/ldst_scalar.ts):
// every addressing mode and size, extension, writeback, literal loads,
// SIMD&FP registers, unaligned and page-crossing accesses, and faults that
// must leave the registers unchanged. Expected values are worked out here
// from the test data and the Arm ARM definitions.

import { describe, expect, it } from "vitest";
import { runAsm, CODE_BASE, DATA_BASE, STACK_TOP } from "./support/snippet.js";
import { assemble } from "./support/asm.js";
import { CpuState, ExitKind } from "../emulator/cpu/state.js";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";

const D = BigInt(DATA_BASE);
/** 8 distinct bytes per doubleword with the top bits set in some, for sign-extension checks. */
const PATTERN = [0x8877665544332211n, 0xf0e0d0c0b0a09080n, 0x0123456789abcdefn, 0xfedcba9876543210n];

function fill(bus: PhysicalBus, at = DATA_BASE, words = PATTERN): void {
  words.forEach((w, i) => bus.write(at + 8 * i, 8, w));
}

/** Run `src` with x1 = DATA_BASE (data filled with PATTERN) and extra registers. */
function run(src: string, regs: Record<number, bigint> = {}, setup?: (c: CpuState, bus: PhysicalBus) => void) {
  const r = runAsm(src, (c, bus) => {
    fill(bus);
    c.x[1] = D;
    for (const [k, v] of Object.entries(regs)) c.x[Number(k)] = BigInt.asUintN(64, v);
    setup?.(c, bus);
  });
  expect(r.cpu.hostError).toBeUndefined();
  expect(r.exit).toBe(ExitKind.Brk);
  return r;
}

const u64 = (v: bigint) => BigInt.asUintN(64, v);
/** Byte k of PATTERN read little-endian. */
function patternBytes(off: number, len: number): bigint {
  let v = 0n;
  for (let k = len - 1; k >= 0; k--) {
    const i = off + k;
    const w = PATTERN[i >> 3] ?? 0n; // zero past the pattern
    v = (v << 8n) | ((w >> BigInt(8 * (i & 7))) & 0xffn);
  }
  return v;
}
const sx = (v: bigint, bitsN: number) => u64(BigInt.asIntN(bitsN, v));

/** Encode `asm`, replace the 5-bit field at `lo` with `value` (for UNPREDICTABLE forms assemblers refuse). */
function patched(asm: string, lo: number, value: number): string {
  const w = assemble(asm)[0];
  return `.inst 0x${(((w & ~(31 << lo)) | (value << lo)) >>> 0).toString(16)}`;
}

describe("LDR/STR immediate, unsigned offset", () => {
  it("loads every size with zero and sign extension", () => {
    const r = run(`
      ldr x2, [x1, #8]
      ldr w3, [x1, #12]
      ldrh w4, [x1, #14]
      ldrb w5, [x1, #15]
      ldrsb x6, [x1, #15]
      ldrsb w7, [x1, #15]
      ldrsh x8, [x1, #14]
      ldrsh w9, [x1, #14]
      ldrsw x10, [x1, #12]
      ldrsw x11, [x1, #16]
      ldrsb x12, [x1, #0]
      ldrsw x13, [x1, #20]
    `);
    const x = r.cpu.x;
    expect(x[2]).toBe(PATTERN[1]);
    expect(x[3]).toBe(patternBytes(12, 4));
    expect(x[4]).toBe(patternBytes(14, 2));
    expect(x[5]).toBe(0xf0n);
    expect(x[6]).toBe(sx(0xf0n, 8));
    expect(x[7]).toBe(0xfffffff0n);
    expect(x[8]).toBe(sx(patternBytes(14, 2), 16));
    expect(x[9]).toBe(BigInt.asUintN(32, BigInt.asIntN(16, patternBytes(14, 2))));
    expect(x[10]).toBe(sx(patternBytes(12, 4), 32));
    expect(x[11]).toBe(sx(patternBytes(16, 4), 32));
    expect(x[12]).toBe(0x11n);
    expect(x[13]).toBe(0x01234567n); // positive: no extension
  });

  it("stores every size and leaves neighbouring bytes alone", () => {
    const r = run(`
      str x2, [x1, #8]
      str w2, [x1, #16]
      strh w2, [x1, #24]
      strb w2, [x1, #30]
      str xzr, [x1]
    `, { 2: 0x1122334455667788n });
    const m = (o: number, n: 1 | 2 | 4 | 8) => r.bus.read(DATA_BASE + o, n);
    expect(m(0, 8)).toBe(0n);
    expect(m(8, 8)).toBe(0x1122334455667788n);
    expect(m(16, 8)).toBe((PATTERN[2] & 0xffffffff00000000n) | 0x55667788n);
    expect(m(24, 2)).toBe(0x7788n);
    expect(m(26, 4)).toBe(patternBytes(26, 4));
    expect(m(30, 1)).toBe(0x88n);
    expect(m(31, 1)).toBe(patternBytes(31, 1));
  });

  it("scales the 12-bit offset by the access size", () => {
    const r = run(`
      ldr x2, [x1, #32760]
      ldr w3, [x1, #16380]
      ldrh w4, [x1, #8190]
    `, {}, (_c, bus) => {
      bus.write(DATA_BASE + 32760, 8, 0xabcdn);
      bus.write(DATA_BASE + 16380, 4, 0x1234n);
      bus.write(DATA_BASE + 8190, 2, 0x77n);
    });
    expect([r.cpu.x[2], r.cpu.x[3], r.cpu.x[4]]).toEqual([0xabcdn, 0x1234n, 0x77n]);
  });

  it("uses SP as the base for register 31 and XZR as Rt", () => {
    const r = run(`
      mov x2, #7
      str x2, [sp, #8]
      ldr x3, [sp, #8]
      ldr xzr, [x1]
    `, {}, (c) => { c.x[31] = BigInt(STACK_TOP - 64); });
    expect(r.cpu.x[3]).toBe(7n);
    expect(r.bus.read(STACK_TOP - 56, 8)).toBe(7n);
    expect(r.cpu.x[31]).toBe(BigInt(STACK_TOP - 64));
  });
});

describe("unscaled, pre-index, post-index, unprivileged", () => {
  it("LDUR/STUR take any byte offset, negative ones too", () => {
    const r = run(`
      ldur x2, [x1, #3]
      ldur w3, [x1, #-1]
      ldursh x4, [x1, #7]
      stur x5, [x1, #-5]
    `, { 1: D + 8n, 5: 0xdeadbeefcafef00dn });
    expect(r.cpu.x[2]).toBe(patternBytes(11, 8));
    expect(r.cpu.x[3]).toBe(patternBytes(7, 4));
    expect(r.cpu.x[4]).toBe(sx(patternBytes(15, 2), 16));
    expect(r.bus.read(DATA_BASE + 3, 8)).toBe(0xdeadbeefcafef00dn);
  });

  it("pre-index accesses base+imm and writes it back; post-index accesses base then adds", () => {
    const r = run(`
      ldr x2, [x1, #8]!
      ldrb w3, [x1], #-3
      str x4, [x5, #-16]!
      strh w4, [x6], #2
      ldrsw x7, [x8, #4]!
    `, { 4: 0x99n, 5: D + 64n, 6: D + 96n, 8: D + 8n });
    const x = r.cpu.x;
    expect(x[2]).toBe(PATTERN[1]);
    expect(x[3]).toBe(patternBytes(8, 1));
    expect(x[1]).toBe(D + 8n - 3n);
    expect(x[5]).toBe(D + 48n);
    expect(r.bus.read(DATA_BASE + 48, 8)).toBe(0x99n);
    expect(x[6]).toBe(D + 98n);
    expect(r.bus.read(DATA_BASE + 96, 2)).toBe(0x99n);
    expect(x[8]).toBe(D + 12n);
    expect(x[7]).toBe(sx(patternBytes(12, 4), 32));
  });

  it("push/pop through SP with writeback", () => {
    const r = run(`
      str x2, [sp, #-16]!
      ldr x3, [sp], #16
    `, { 2: 0x1234n });
    expect(r.cpu.x[3]).toBe(0x1234n);
    expect(r.cpu.x[31]).toBe(BigInt(STACK_TOP));
    expect(r.bus.read(STACK_TOP - 16, 8)).toBe(0x1234n);
  });

  it("writeback with Rt == Rn: loads keep the written-back address, stores store the old base (qemu's choice)", () => {
    const r = run([
      patched("ldr x1, [x2], #8", 5, 1),
      patched("ldr x3, [x2, #16]!", 5, 3),
      patched("str x4, [x2], #8", 5, 4),
      patched("str x5, [x2, #24]!", 5, 5),
    ].join("\n"), { 3: D, 4: D + 64n, 5: D + 64n });
    expect(r.cpu.x[1]).toBe(D + 8n);
    expect(r.cpu.x[3]).toBe(D + 16n);
    expect(r.cpu.x[4]).toBe(D + 72n);
    expect(r.bus.read(DATA_BASE + 64, 8)).toBe(D + 64n);
    expect(r.cpu.x[5]).toBe(D + 88n);
    expect(r.bus.read(DATA_BASE + 88, 8)).toBe(D + 64n);
  });

  it("LDTR/STTR behave as ordinary accesses at EL0", () => {
    const r = run(`
      ldtr x2, [x1, #8]
      ldtrsb x3, [x1, #15]
      ldtrh w4, [x1, #-2]
      sttr w5, [x1, #32]
      sttrb w5, [x1, #40]
    `, { 5: 0xaabbccddn, 1: D + 2n });
    expect(r.cpu.x[2]).toBe(patternBytes(10, 8));
    expect(r.cpu.x[3]).toBe(sx(patternBytes(17, 1), 8));
    expect(r.cpu.x[4]).toBe(patternBytes(0, 2));
    expect(r.bus.read(DATA_BASE + 34, 4)).toBe(0xaabbccddn);
    expect(r.bus.read(DATA_BASE + 42, 1)).toBe(0xddn);
  });
});

describe("register offset", () => {
  it("extends and shifts Rm: LSL, UXTW, SXTW, SXTX", () => {
    const r = run(`
      ldr x2, [x1, x10, lsl #3]
      ldr w3, [x1, w11, uxtw #2]
      ldr x4, [x1, w12, sxtw #3]
      ldrb w5, [x1, x13, sxtx]
      ldrh w6, [x1, x14]
      ldrsw x7, [x1, w15, uxtw]
      str x20, [x1, x10, lsl #3]
    `, {
      1: D + 16n,
      10: 1n, // +8
      11: 0xffffffff_00000001n, // UXTW ignores the top half: +4
      12: 0xffffffffn, // SXTW -1: -8
      13: -3n, // -3
      14: 5n,
      15: 0x1_00000002n, // +2
      20: 0x5a5an,
    });
    const x = r.cpu.x;
    expect(x[2]).toBe(PATTERN[3]);
    expect(x[3]).toBe(patternBytes(20, 4));
    expect(x[4]).toBe(PATTERN[1]);
    expect(x[5]).toBe(patternBytes(13, 1));
    expect(x[6]).toBe(patternBytes(21, 2));
    expect(x[7]).toBe(sx(patternBytes(18, 4), 32));
    expect(r.bus.read(DATA_BASE + 24, 8)).toBe(0x5a5an);
  });

  it("PRFM and PRFUM never fault, even on an unmapped address", () => {
    const r = run(`
      prfm pldl1keep, [x2]
      prfm pstl2strm, [x2, #8]
      prfm pldl1keep, [x2, x3, lsl #3]
      prfum pldl1keep, [x2, #-1]
      prfm pldl1keep, 1f
    1: mov x4, #1
    `, { 2: 0n, 3: 12345n });
    expect(r.cpu.x[4]).toBe(1n);
  });
});

describe("LDR (literal)", () => {
  it("loads W, X, SW, S, D and Q relative to the PC", () => {
    const r = run(`
      ldr x2, lit
      ldr w3, lit
      ldrsw x4, lit + 4
      ldr s0, lit + 4
      ldr d1, lit
      ldr q2, lit
      b 1f
      .balign 16
    lit: .quad 0x8000000180000002, 0x1122334455667788
    1: nop
    `);
    const c = r.cpu;
    expect(c.x[2]).toBe(0x8000000180000002n);
    expect(c.x[3]).toBe(0x80000002n);
    expect(c.x[4]).toBe(0xffffffff80000001n);
    expect(c.vd[0]).toBe(0x80000001n);
    expect(c.vd[1]).toBe(0n);
    expect(c.vd[2]).toBe(0x8000000180000002n);
    expect(c.vd[3]).toBe(0n);
    expect(c.vd[4]).toBe(0x8000000180000002n);
    expect(c.vd[5]).toBe(0x1122334455667788n);
  });
});

describe("SIMD&FP registers", () => {
  const dirty = (c: CpuState) => {
    for (let i = 0; i < 64; i++) c.vd[i] = 0xeeeeeeeeeeeeeeeen;
  };

  it("scalar loads of B/H/S/D zero the rest of the 128-bit register; Q loads all of it", () => {
    const r = run(`
      ldr b0, [x1, #1]
      ldr h1, [x1, #2]
      ldr s2, [x1, #4]
      ldr d3, [x1, #8]
      ldr q4, [x1, #16]
      ldur q5, [x1, #3]
      ldr d6, [x1, x2, lsl #3]
      ldr q7, [x1], #16
    `, { 2: 2n }, dirty);
    const vd = r.cpu.vd;
    expect([vd[0], vd[1]]).toEqual([patternBytes(1, 1), 0n]);
    expect([vd[2], vd[3]]).toEqual([patternBytes(2, 2), 0n]);
    expect([vd[4], vd[5]]).toEqual([patternBytes(4, 4), 0n]);
    expect([vd[6], vd[7]]).toEqual([PATTERN[1], 0n]);
    expect([vd[8], vd[9]]).toEqual([PATTERN[2], PATTERN[3]]);
    expect([vd[10], vd[11]]).toEqual([patternBytes(3, 8), patternBytes(11, 8)]);
    expect([vd[12], vd[13]]).toEqual([PATTERN[2], 0n]);
    expect([vd[14], vd[15]]).toEqual([PATTERN[0], PATTERN[1]]);
    expect(r.cpu.x[1]).toBe(D + 16n);
  });

  it("stores the low B/H/S/D/Q of a register", () => {
    const r = run(`
      str b0, [x1, #64]
      str h0, [x1, #66]
      str s0, [x1, #68]
      str d0, [x1, #72]
      str q0, [x1, #80]
      stur q0, [x1, #97]
      str s0, [x1, #-4]!
    `, { 1: D + 4n }, (c) => { c.vd[0] = 0x0807060504030201n; c.vd[1] = 0x100f0e0d0c0b0a09n; });
    const m = (o: number, n: 1 | 2 | 4 | 8) => r.bus.read(DATA_BASE + 4 + o, n);
    expect(m(64, 1)).toBe(0x01n);
    expect(m(65, 1)).toBe(patternBytes(69, 1));
    expect(m(66, 2)).toBe(0x0201n);
    expect(m(68, 4)).toBe(0x04030201n);
    expect(m(72, 8)).toBe(0x0807060504030201n);
    expect([m(80, 8), m(88, 8)]).toEqual([0x0807060504030201n, 0x100f0e0d0c0b0a09n]);
    expect([m(97, 8), m(105, 8)]).toEqual([0x0807060504030201n, 0x100f0e0d0c0b0a09n]);
    expect(r.bus.read(DATA_BASE, 4)).toBe(0x04030201n);
    expect(r.cpu.x[1]).toBe(D);
  });

  it("LDP/STP/LDNP/STNP of S, D and Q", () => {
    const r = run(`
      ldp s0, s1, [x1]
      ldp d2, d3, [x1, #8]
      ldp q4, q5, [x1]
      ldnp d6, d7, [x1, #16]
      stp q4, q5, [x2, #32]!
      stp s0, s1, [x3], #-8
      stnp d2, d3, [x4, #16]
    `, { 2: D + 128n, 3: D + 256n, 4: D + 320n }, dirty);
    const vd = r.cpu.vd;
    expect([vd[0], vd[1], vd[2], vd[3]]).toEqual([patternBytes(0, 4), 0n, patternBytes(4, 4), 0n]);
    expect([vd[4], vd[5], vd[6], vd[7]]).toEqual([PATTERN[1], 0n, PATTERN[2], 0n]);
    expect([vd[8], vd[9], vd[10], vd[11]]).toEqual(PATTERN);
    expect([vd[12], vd[13], vd[14], vd[15]]).toEqual([PATTERN[2], 0n, PATTERN[3], 0n]);
    for (let i = 0; i < 4; i++) expect(r.bus.read(DATA_BASE + 160 + 8 * i, 8)).toBe(PATTERN[i]);
    expect(r.cpu.x[2]).toBe(D + 160n);
    expect(r.bus.read(DATA_BASE + 256, 8)).toBe(PATTERN[0]);
    expect(r.cpu.x[3]).toBe(D + 248n);
    expect([r.bus.read(DATA_BASE + 336, 8), r.bus.read(DATA_BASE + 344, 8)]).toEqual([PATTERN[1], PATTERN[2]]);
  });
});

describe("pairs", () => {
  it("LDP/STP of X and W, LDPSW, with offset, pre and post index", () => {
    const r = run(`
      ldp x2, x3, [x1, #16]
      ldp w4, w5, [x1, #4]
      ldpsw x6, x7, [x1, #8]
      ldp x8, x9, [x10, #-16]!
      stp x2, x3, [x11], #32
      stp w4, w5, [x11, #-8]!
      ldnp x12, x13, [x1]
      stnp w4, wzr, [x1, #64]
    `, { 10: D + 32n, 11: D + 128n });
    const x = r.cpu.x;
    expect([x[2], x[3]]).toEqual([PATTERN[2], PATTERN[3]]);
    expect([x[4], x[5]]).toEqual([patternBytes(4, 4), patternBytes(8, 4)]);
    expect([x[6], x[7]]).toEqual([sx(patternBytes(8, 4), 32), sx(patternBytes(12, 4), 32)]);
    expect([x[8], x[9], x[10]]).toEqual([PATTERN[2], PATTERN[3], D + 16n]);
    expect([r.bus.read(DATA_BASE + 128, 8), r.bus.read(DATA_BASE + 136, 8)]).toEqual([PATTERN[2], PATTERN[3]]);
    expect(x[11]).toBe(D + 152n);
    expect(r.bus.read(DATA_BASE + 152, 8)).toBe((patternBytes(8, 4) << 32n) | patternBytes(4, 4));
    expect([x[12], x[13]]).toEqual([PATTERN[0], PATTERN[1]]);
    expect(r.bus.read(DATA_BASE + 64, 8)).toBe(patternBytes(4, 4));
  });

  it("STP/LDP through SP (function prologue/epilogue)", () => {
    const r = run(`
      stp x29, x30, [sp, #-32]!
      stp x2, x3, [sp, #16]
      mov x29, #0
      mov x30, #0
      ldp x4, x5, [sp, #16]
      ldp x29, x30, [sp], #32
    `, { 29: 0x29n, 30: 0x30n, 2: 2n, 3: 3n });
    expect([r.cpu.x[29], r.cpu.x[30], r.cpu.x[4], r.cpu.x[5]]).toEqual([0x29n, 0x30n, 2n, 3n]);
    expect(r.cpu.x[31]).toBe(BigInt(STACK_TOP));
  });

  it("UNPREDICTABLE forms follow qemu: Rt == Rt2 keeps the first value, writeback beats a loaded base", () => {
    const r = run([
      patched("ldp x2, x3, [x1]", 10, 2), // ldp x2, x2
      patched("ldp x4, x5, [x6], #16", 5, 4), // ldp x4, x5, [x4], #16
      patched("ldp x8, x7, [x9, #16]!", 5, 7), // ldp x8, x7, [x7, #16]!
      patched("stp x11, x10, [x12, #16]!", 5, 10), // stp x11, x10, [x10, #16]!
    ].join("\n"), { 4: D, 7: D, 10: D + 64n, 11: 0x11n });
    const x = r.cpu.x;
    expect(x[2]).toBe(PATTERN[0]);
    expect([x[4], x[5]]).toEqual([D + 16n, PATTERN[1]]);
    expect([x[7], x[8]]).toEqual([D + 16n, PATTERN[2]]);
    expect(x[10]).toBe(D + 80n);
    expect([r.bus.read(DATA_BASE + 80, 8), r.bus.read(DATA_BASE + 88, 8)]).toEqual([0x11n, D + 64n]);
  });
});

describe("unaligned and page-crossing accesses", () => {
  const PAGE_END = DATA_BASE + 0x1000;

  it("normal loads and stores may be unaligned, also across a 4 KiB page boundary", () => {
    const r = run(`
      str x2, [x1, #-3]
      ldr x3, [x1, #-3]
      ldr w4, [x1, #-2]
      ldrh w5, [x1, #-1]
      stp x2, x6, [x11]
      ldp x7, x8, [x11]
      ldpsw x9, x10, [x12]
      str q0, [x1, #-7]
      ldr q1, [x1, #-7]
    `, { 1: BigInt(PAGE_END), 11: BigInt(PAGE_END - 12), 12: BigInt(PAGE_END - 5), 2: 0x0102030405060708n, 6: 0xa1a2a3a4a5a6a7a8n }, (c) => {
      c.vd[0] = 0x1111222233334444n;
      c.vd[1] = 0x5555666677778888n;
    });
    const x = r.cpu.x;
    expect(x[3]).toBe(0x0102030405060708n);
    expect(x[4]).toBe(0x04050607n);
    expect(x[5]).toBe(0x0506n);
    expect([x[7], x[8]]).toEqual([0x0102030405060708n, 0xa1a2a3a4a5a6a7a8n]);
    expect(x[9]).toBe(sx(0xa6a7a801n, 32)); // x2's top byte, then x6's low three
    expect(x[10]).toBe(sx(0xa2a3a4a5n, 32));
    expect([r.cpu.vd[2], r.cpu.vd[3]]).toEqual([0x1111222233334444n, 0x5555666677778888n]);
    expect(r.bus.read(PAGE_END - 7, 8)).toBe(0x1111222233334444n);
  });

  it("a load faulting on its second half changes no register and reports the PC and FAR", () => {
    const ramEnd = RAM_BASE + 4 * 1024 * 1024;
    const r = runAsm(`
      mov x9, #1
      ldp x2, x3, [x1], #16
      mov x9, #2
    `, (c) => { c.x[1] = BigInt(ramEnd - 8); c.x[2] = 0x22n; c.x[3] = 0x33n; });
    expect(r.exit).toBe(ExitKind.Abort);
    expect(r.cpu.pc).toBe(CODE_BASE + 4);
    expect(r.cpu.esr >>> 26).toBe(0x24);
    expect([r.cpu.x[1], r.cpu.x[2], r.cpu.x[3], r.cpu.x[9]]).toEqual([BigInt(ramEnd - 8), 0x22n, 0x33n, 1n]);
  });

  it("a store faulting on its second part does no writeback", () => {
    const ramEnd = RAM_BASE + 4 * 1024 * 1024;
    const r = runAsm(`
      stp x2, x3, [x1, #8]!
    `, (c) => { c.x[1] = BigInt(ramEnd - 16); });
    expect(r.exit).toBe(ExitKind.Abort);
    expect(r.cpu.pc).toBe(CODE_BASE);
    expect(r.cpu.x[1]).toBe(BigInt(ramEnd - 16));
  });

  it("an address that wraps past 2^64 faults without changing registers", () => {
    const r = runAsm(`ldr x2, [x1, #-8]!`, (c) => { c.x[1] = 4n; c.x[2] = 5n; });
    expect(r.exit).toBe(ExitKind.Abort);
    expect(r.cpu.far).toBe(u64(-4n));
    expect([r.cpu.x[1], r.cpu.x[2]]).toEqual([4n, 5n]);
  });
});
