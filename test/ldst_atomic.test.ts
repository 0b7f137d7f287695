// Exclusives, load-acquire/store-release and FEAT_LSE atomics
// (emulator/cpu/a64/ldst_scalar.ts): the local exclusive monitor's success
// and failure paths, CAS/CASP, every LD<op> and SWP at every size, and the
// alignment faults of the forms that require natural alignment.

import { describe, expect, it } from "vitest";
import { runAsm, CODE_BASE, DATA_BASE } from "./support/snippet.js";
import { assemble } from "./support/asm.js";
import { CpuState, ExitKind } from "../emulator/cpu/state.js";
import { PhysicalBus } from "../emulator/bus.js";
import { LDST_SCALAR_UNHANDLED } from "../emulator/cpu/a64/ldst_scalar.js";

const D = BigInt(DATA_BASE);

function run(src: string, regs: Record<number, bigint> = {}, setup?: (c: CpuState, bus: PhysicalBus) => void) {
  const r = runAsm(src, (c, bus) => {
    c.x[1] = D;
    for (const [k, v] of Object.entries(regs)) c.x[Number(k)] = BigInt.asUintN(64, v);
    setup?.(c, bus);
  });
  expect(r.cpu.hostError).toBeUndefined();
  return r;
}

function runOk(src: string, regs: Record<number, bigint> = {}, setup?: (c: CpuState, bus: PhysicalBus) => void) {
  const r = run(src, regs, setup);
  expect(r.exit).toBe(ExitKind.Brk);
  return r;
}

const mem = (at: number, v: bigint, n: 1 | 2 | 4 | 8 = 8) => (_c: CpuState, bus: PhysicalBus) => bus.write(at, n, v);

describe("exclusive monitor", () => {
  it("LDXR then STXR succeeds (status 0) and stores", () => {
    const r = runOk(`
      ldxr x2, [x1]
      stxr w3, x4, [x1]
    `, { 3: 0x55n, 4: 0x4444n }, mem(DATA_BASE, 0x1234n));
    expect(r.cpu.x[2]).toBe(0x1234n);
    expect(r.cpu.x[3]).toBe(0n);
    expect(r.bus.read(DATA_BASE, 8)).toBe(0x4444n);
    expect(r.cpu.exclusiveAddr).toBe(-1);
  });

  it("STXR without LDXR fails (status 1) and stores nothing", () => {
    const r = runOk(`stxr w3, x4, [x1]`, { 4: 0x4444n }, mem(DATA_BASE, 0x1234n));
    expect(r.cpu.x[3]).toBe(1n);
    expect(r.bus.read(DATA_BASE, 8)).toBe(0x1234n);
  });

  it("STXR to a different address, of a different size, after CLREX, or a second time fails", () => {
    const r = runOk(`
      ldxr x2, [x1]
      stxr w3, x4, [x1, #0]
      stxr w5, x4, [x1]
      ldxr x2, [x1]
      add x9, x1, #8
      stxr w6, x4, [x9]
      ldxr w2, [x1]
      stxr w7, x4, [x1]
      ldxr x2, [x1]
      clrex
      stxr w8, x4, [x1]
    `, { 4: 0x4444n });
    // The first pair succeeds; every later attempt fails.
    expect([r.cpu.x[3], r.cpu.x[5], r.cpu.x[6], r.cpu.x[7], r.cpu.x[8]]).toEqual([0n, 1n, 1n, 1n, 1n]);
    expect(r.bus.read(DATA_BASE + 8, 8)).toBe(0n);
  });

  it("byte, halfword and word exclusives; acquire/release variants", () => {
    const r = runOk(`
      ldxrb w2, [x20]
      stxrb w3, w10, [x20]
      ldaxrh w4, [x21]
      stlxrh w5, w10, [x21]
      ldaxr w6, [x22]
      stlxr w7, w10, [x22]
    `, { 10: 0xa1a2a3a4a5n, 20: D + 1n, 21: D + 2n, 22: D + 4n }, mem(DATA_BASE, 0x8877665544332211n));
    const x = r.cpu.x;
    expect([x[2], x[4], x[6]]).toEqual([0x22n, 0x4433n, 0x88776655n]);
    expect([x[3], x[5], x[7]]).toEqual([0n, 0n, 0n]);
    expect(r.bus.read(DATA_BASE, 8)).toBe(0xa2a3a4a5a4a5a511n);
  });

  it("LDXP/STXP move a pair and mark the whole of it", () => {
    const r = runOk(`
      ldxp x2, x3, [x1]
      stxp w4, x10, x11, [x1]
      ldaxp w5, w6, [x20]
      stlxp w7, w11, w10, [x20]
      ldxp x2, x3, [x1]
      stxr w8, x10, [x1]
    `, { 10: 0xaan, 11: 0xbbn, 20: D + 16n }, (_c, bus) => {
      bus.write(DATA_BASE, 8, 0x1111n);
      bus.write(DATA_BASE + 8, 8, 0x2222n);
      bus.write(DATA_BASE + 16, 8, 0x4444_0000_3333n);
    });
    const x = r.cpu.x;
    expect([x[5], x[6]]).toEqual([0x3333n, 0x4444n]);
    expect([x[2], x[3]]).toEqual([0xaan, 0xbbn]);
    expect([x[4], x[7]]).toEqual([0n, 0n]);
    expect(x[8]).toBe(1n); // a 16-byte reservation does not match an 8-byte store
    expect(r.bus.read(DATA_BASE + 16, 8)).toBe(0xaa_0000_00bbn);
  });

  it("STXR with Rs == Rt stores the original value (qemu's choice)", () => {
    // stxr w2, x2, [x1] -- assemblers reject it, so encode by hand: 0xc8027c22.
    const r = runOk(`
      ldxr x3, [x1]
      .inst 0xc8027c22
    `, { 2: 0x77n });
    expect(r.bus.read(DATA_BASE, 8)).toBe(0x77n);
    expect(r.cpu.x[2]).toBe(0n);
  });
});

describe("load-acquire / store-release", () => {
  it("LDAR/STLR/LDLAR/STLLR/LDAPR of every size are plain aligned accesses", () => {
    // LDAPR (FEAT_LRCPC) is encoded by hand: the test assembler targets v8.1.
    const r = runOk(`
      stlr x10, [x1]
      ldar x2, [x1]
      stlrb w10, [x11]
      ldarb w3, [x11]
      stlrh w10, [x12]
      ldarh w4, [x12]
      stllr w10, [x13]
      ldlar w5, [x13]
      .inst 0xf8bfc026 // ldapr x6, [x1]
      .inst 0x38bfc167 // ldaprb w7, [x11]
      .inst 0x78bfc188 // ldaprh w8, [x12]
      .inst 0xb8bfc1a9 // ldapr w9, [x13]
    `, { 10: 0x0102030405060708n, 11: D + 9n, 12: D + 10n, 13: D + 12n }, mem(DATA_BASE, 0n));
    const x = r.cpu.x;
    expect(x[2]).toBe(0x0102030405060708n);
    expect([x[3], x[4], x[5]]).toEqual([0x08n, 0x0708n, 0x05060708n]);
    expect([x[6], x[7], x[8], x[9]]).toEqual([0x0102030405060708n, 0x08n, 0x0708n, 0x05060708n]);
  });
});

/** Assemble v8.4 instructions (runAsm targets v8.1) and return them as .inst lines. */
function v84(src: string): string {
  return [...assemble(src, "armv8.4-a")].map((w) => `.inst 0x${w.toString(16)}`).join("\n");
}

describe("LDAPUR/STLUR (FEAT_LRCPC2)", () => {
  it("are LDUR/STUR that require natural alignment", () => {
    const r = runOk(v84(`
      stlur x10, [x1, #8]
      ldapur w2, [x1, #12]
      ldapursh x3, [x1, #14]
      ldapursb w4, [x1, #15]
      stlurb w10, [x1, #-1]
    `), { 1: D + 16n, 10: 0x80ff_0000_0000_0001n });
    expect(r.bus.read(DATA_BASE + 24, 8)).toBe(0x80ff_0000_0000_0001n);
    expect(r.cpu.x[2]).toBe(0x80ff0000n);
    expect(r.cpu.x[3]).toBe(0xffffffffffff80ffn);
    expect(r.cpu.x[4]).toBe(0xffffff80n);
    expect(r.bus.read(DATA_BASE + 15, 1)).toBe(1n);
    const f = run(v84("ldapur x2, [x1, #4]"), { 2: 0x22n });
    expect(f.exit).toBe(ExitKind.Alignment);
    expect(f.cpu.esr & 0x3f).toBe(0x21);
    expect(f.cpu.far).toBe(D + 4n);
    expect(f.cpu.x[2]).toBe(0x22n);
  });
});

describe("compare and swap", () => {
  it("CAS success stores Rt; failure stores nothing; Rs gets the old value either way", () => {
    const r = runOk(`
      cas x2, x3, [x1]
      casal x4, x5, [x1]
      casb w6, w7, [x20]
      casah w8, w9, [x21]
      casl w10, w11, [x22]
    `, {
      2: 0x1111n, 3: 0x2222n, // matches: memory becomes 0x2222
      4: 0x1111n, 5: 0x3333n, // no longer matches
      6: 0xff00n | 0x33n, 7: 0xabn, // only the low byte is compared
      8: 0x9999n, 9: 0x7777n, // mismatch
      10: 0xffff_ffff_0000_0044n, 11: 0x12345678n,
      20: D + 8n, 21: D + 10n, 22: D + 12n,
    }, (_c, bus) => {
      bus.write(DATA_BASE, 8, 0x1111n);
      bus.write(DATA_BASE + 8, 8, 0x0000_0044_5555_0033n);
    });
    const x = r.cpu.x;
    expect(x[2]).toBe(0x1111n);
    expect(x[4]).toBe(0x2222n);
    expect(r.bus.read(DATA_BASE, 8)).toBe(0x2222n);
    expect(x[6]).toBe(0x33n);
    expect(x[8]).toBe(0x5555n);
    expect(x[10]).toBe(0x44n);
    expect(r.bus.read(DATA_BASE + 8, 8)).toBe(0x1234_5678_5555_00abn);
  });

  it("CASP compares and swaps register pairs", () => {
    const r = runOk(`
      casp x2, x3, x4, x5, [x1]
      caspal w6, w7, w8, w9, [x20]
      casp x10, x11, x4, x5, [x1]
    `, {
      2: 0xaan, 3: 0xbbn, 4: 0xccn, 5: 0xddn,
      6: 0x11n, 7: 0x22n, 8: 0x33n, 9: 0x44n,
      10: 0n, 11: 0n, 20: D + 16n,
    }, (_c, bus) => {
      bus.write(DATA_BASE, 8, 0xaan);
      bus.write(DATA_BASE + 8, 8, 0xbbn);
      bus.write(DATA_BASE + 16, 8, 0x22_0000_0012n);
    });
    const x = r.cpu.x;
    expect([x[2], x[3]]).toEqual([0xaan, 0xbbn]);
    expect([r.bus.read(DATA_BASE, 8), r.bus.read(DATA_BASE + 8, 8)]).toEqual([0xccn, 0xddn]);
    expect([x[6], x[7]]).toEqual([0x12n, 0x22n]);
    expect(r.bus.read(DATA_BASE + 16, 8)).toBe(0x22_0000_0012n);
    expect([x[10], x[11]]).toEqual([0xccn, 0xddn]); // failed compare, old values returned
  });

  it("CASP with an odd first register is UNDEFINED", () => {
    // casp x3, x4, x4, x5, [x1] with Rs = 3: 0x48237c24.
    const r = run(`.inst 0x48237c24`);
    expect(r.exit).toBe(ExitKind.Undefined);
  });
});

/** LD<op> reference semantics, from the Arm ARM pseudocode, on `bits`-bit unsigned values. */
const OPS: Record<string, (o: bigint, s: bigint, bitsN: number) => bigint> = {
  add: (o, s, n) => BigInt.asUintN(n, o + s),
  clr: (o, s) => o & ~s,
  eor: (o, s) => o ^ s,
  set: (o, s) => o | s,
  smax: (o, s, n) => (BigInt.asIntN(n, o) > BigInt.asIntN(n, s) ? o : s),
  smin: (o, s, n) => (BigInt.asIntN(n, o) < BigInt.asIntN(n, s) ? o : s),
  umax: (o, s) => (o > s ? o : s),
  umin: (o, s) => (o < s ? o : s),
  swp: (_o, s) => s,
};

const SIZES = [
  { suffix: "b", reg: "w", bitsN: 8 },
  { suffix: "h", reg: "w", bitsN: 16 },
  { suffix: "", reg: "w", bitsN: 32 },
  { suffix: "", reg: "x", bitsN: 64 },
] as const;

describe("LD<op> and SWP", () => {
  // Operand pairs chosen to separate signed from unsigned order and to carry out.
  const PAIRS: [bigint, bigint][] = [
    [0x80n, 0x7fn],
    [0x01n, 0xffn],
    [0x5an, 0xa5n],
  ];
  for (const { suffix, reg, bitsN } of SIZES) {
    for (const [op, ref] of Object.entries(OPS)) {
      const ordering = ["", "a", "l", "al"][(op.length + bitsN) % 4]; // vary the ordering bits too
      const mnemonic = op === "swp" ? `swp${ordering}${suffix}` : `ld${op}${ordering}${suffix}`;
      it(`${mnemonic} ${reg}: Rt = old, memory = op(old, Rs)`, () => {
        const scale = (v: bigint) => v << BigInt(bitsN - 8); // put the test bytes in the top byte
        const src = PAIRS.map((_, i) => `${mnemonic} ${reg}${10 + i}, ${reg}${2 + i}, [x${20 + i}]`).join("\n");
        const regs: Record<number, bigint> = {};
        PAIRS.forEach(([, s], i) => { regs[2 + i] = 0xdeadn; regs[20 + i] = D + BigInt(8 * i); regs[10 + i] = scale(s) | 3n | (bitsN < 64 ? 0xf00n << BigInt(bitsN) : 0n); });
        const r = runOk(src, regs, (_c, bus) => PAIRS.forEach(([o], i) => bus.write(DATA_BASE + 8 * i, 8, scale(o) | 5n | (bitsN < 64 ? 0x77n << BigInt(bitsN) : 0n))));
        PAIRS.forEach(([o, s], i) => {
          const old = scale(o) | 5n;
          const sv = scale(s) | 3n;
          const want = ref(old, sv, bitsN);
          expect(r.cpu.x[2 + i]).toBe(old);
          const above = bitsN < 64 ? 0x77n << BigInt(bitsN) : 0n; // bytes above the access stay
          expect(r.bus.read(DATA_BASE + 8 * i, 8)).toBe(above | BigInt.asUintN(bitsN, want));
        });
      });
    }
  }

  it("ST<op> (Rt = XZR) updates memory only", () => {
    const r = runOk(`
      stadd x2, [x1]
      stclrh w3, [x20]
      stsmaxb w4, [x21]
    `, { 2: 5n, 3: 0xf0f0n, 4: 0x7fn, 20: D + 8n, 21: D + 16n }, (_c, bus) => {
      bus.write(DATA_BASE, 8, 10n);
      bus.write(DATA_BASE + 8, 8, 0xffffn);
      bus.write(DATA_BASE + 16, 8, 0x80n);
    });
    expect(r.bus.read(DATA_BASE, 8)).toBe(15n);
    expect(r.bus.read(DATA_BASE + 8, 8)).toBe(0x0f0fn);
    expect(r.bus.read(DATA_BASE + 16, 8)).toBe(0x7fn);
  });
});

describe("alignment faults", () => {
  // Each body: x9 = 1 before, the faulting instruction at CODE_BASE + 4, then x9 = 2.
  const CASES: [string, string, number, boolean][] = [
    // [instruction, description, misaligned offset, write?]
    ["ldxr x2, [x1]", "LDXR", 4, false],
    ["ldxr w2, [x1]", "LDXR W", 2, false],
    ["ldaxrh w2, [x1]", "LDAXRH", 1, false],
    ["ldxp x2, x3, [x1]", "LDXP (needs 16)", 8, false],
    ["stxr w3, x2, [x1]", "STXR", 4, true],
    ["ldar x2, [x1]", "LDAR", 1, false],
    [".inst 0xb8bfc022 // ldapr w2, [x1]", "LDAPR", 2, false],
    ["stlr x2, [x1]", "STLR", 4, true],
    ["cas x2, x3, [x1]", "CAS", 4, true],
    ["casp x2, x3, x4, x5, [x1]", "CASP (needs 16)", 8, true],
    ["ldadd w2, w3, [x1]", "LDADD", 2, true],
    ["swph w2, w3, [x1]", "SWPH", 1, true],
  ];
  for (const [insn, what, off, write] of CASES) {
    it(`${what} of a misaligned address raises an alignment fault with no register change`, () => {
      const before = { 2: 0x22n, 3: 0x33n, 4: 0x44n, 5: 0x55n };
      const r = run(`
        mov x9, #1
        ${insn}
        mov x9, #2
      `, { ...before, 1: D + BigInt(off) });
      expect(r.exit).toBe(ExitKind.Alignment);
      expect(r.cpu.esr >>> 26).toBe(0x24); // data abort from a lower EL
      expect(r.cpu.esr & 0x3f).toBe(0x21); // DFSC: alignment fault
      expect((r.cpu.esr >>> 6) & 1).toBe(write ? 1 : 0); // WnR
      expect(r.cpu.far).toBe(D + BigInt(off));
      expect(r.cpu.pc).toBe(CODE_BASE + 4);
      expect(r.cpu.x[9]).toBe(1n);
      for (const [k, v] of Object.entries(before)) expect(r.cpu.x[Number(k)]).toBe(v);
      expect(r.cpu.x[1]).toBe(D + BigInt(off));
    });
  }

  it("byte-sized exclusives and acquires have no alignment requirement", () => {
    const r = runOk(`
      ldxrb w2, [x1]
      stxrb w3, w2, [x1]
      ldarb w4, [x1]
      casb w5, w6, [x1]
    `, { 1: D + 3n });
    expect(r.cpu.x[3]).toBe(0n);
  });
});

describe("encodings left unhandled", () => {
  for (const u of LDST_SCALAR_UNHANDLED) {
    it(`${u.name} is UNDEFINED (${u.reason})`, () => {
      const r = run(`.inst 0x${u.value.toString(16)}`, { 0: D });
      expect(r.exit).toBe(ExitKind.Undefined);
      expect(r.cpu.pc).toBe(CODE_BASE);
    });
  }
});
