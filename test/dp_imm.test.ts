// Data processing (immediate): table-driven cases whose expected values are
// worked out from the Arm ARM pseudocode (ADR/ADRP, AddWithCarry, DecodeBitMasks,
// MOVZ/MOVN/MOVK, BFM/SBFM/UBFM, EXTR). The qemu comparison is dp_diff.test.ts.

import { describe, expect, it } from "vitest";
import { CODE_BASE, runAsm, STACK_TOP } from "./support/snippet.js";
import { ExitKind } from "../emulator/cpu/state.js";
import { decodeBitMasks, DP_IMM_UNHANDLED } from "../emulator/cpu/a64/dp_imm.js";
import { DP_REG_UNHANDLED } from "../emulator/cpu/a64/dp_reg.js";

const N = 0x8000_0000, Z = 0x4000_0000, C = 0x2000_0000, V = 0x1000_0000;
const ALL = 0xffff_ffff_ffff_ffffn;
const SP = BigInt(STACK_TOP);

interface Case {
  asm: string;
  /** Initial X registers by number (31 = SP) and NZCV. */
  x?: Record<number, bigint>;
  nzcv?: number;
  /** Expected X registers (31 = SP) and NZCV. */
  want: Record<number, bigint>;
  flags?: number;
}

function check(c: Case): void {
  const r = runAsm(c.asm, (cpu) => {
    for (const [k, v] of Object.entries(c.x ?? {})) cpu.x[Number(k)] = BigInt.asUintN(64, v);
    cpu.nzcv = c.nzcv ?? 0;
  });
  expect(r.cpu.hostError).toBeUndefined();
  expect(r.exit).toBe(ExitKind.Brk);
  for (const [k, v] of Object.entries(c.want)) expect(r.cpu.x[Number(k)], `${c.asm}: x${k}`).toBe(BigInt.asUintN(64, v));
  if (c.flags !== undefined) expect(r.cpu.nzcv >>> 0, `${c.asm}: nzcv`).toBe(c.flags >>> 0);
}

function table(cases: Case[]): void {
  for (const c of cases) check(c);
}

describe("DecodeBitMasks", () => {
  const cases: [number, number, number, 32 | 64, bigint | undefined][] = [
    // N, imms, immr, size -> wmask
    [1, 0b000000, 0, 64, 1n],
    [1, 0b111110, 1, 64, 0xbfffffffffffffffn], // 63 ones rotated right by 1
    [0, 0b011110, 31, 64, 0xfffffffefffffffen], // esize 32: 31 ones, ROR 31
    [0, 0b011110, 31, 32, 0xfffffffen],
    [0, 0b100111, 8, 64, 0xff00ff00ff00ff00n], // esize 16
    [0, 0b110011, 4, 64, 0xf0f0f0f0f0f0f0f0n], // esize 8
    [0, 0b111000, 1, 64, 0x8888888888888888n], // esize 4
    [0, 0b111100, 0, 64, 0x5555555555555555n], // esize 2
    [0, 0b111100, 1, 32, 0xaaaaaaaan],
    [1, 0b111111, 0, 64, undefined], // all-ones element
    [0, 0b011111, 0, 32, undefined], // all-ones 32-bit element
    [0, 0b111101, 0, 64, undefined], // esize 2, all ones
    [0, 0b111110, 0, 64, undefined], // no element size
    [0, 0b111111, 0, 64, undefined],
    [1, 0b000000, 0, 32, undefined], // 64-bit element in a 32-bit operation
  ];
  it.each(cases)("N=%i imms=%i immr=%i size %i", (n, imms, immr, size, want) => {
    expect(decodeBitMasks(n, imms, immr, size)).toBe(want);
  });
});

describe("ADR, ADRP", () => {
  it("are PC-relative, ADRP to the 4 KiB page", () => {
    const pc = BigInt(CODE_BASE);
    table([
      { asm: "adr x0, .", want: { 0: pc } },
      { asm: "nop\nadr x1, .+8", want: { 1: pc + 12n } },
      { asm: "nop\nnop\nadr x2, .-0x10", want: { 2: pc + 8n - 16n } },
      // ADRP words by hand: the snippet assembler leaves page relocations unresolved.
      { asm: "nop\n.inst 0xd0000003", want: { 3: ((pc + 4n) & ~0xfffn) + 0x2000n } }, // adrp x3, +2 pages
      { asm: ".inst 0x90fff804", want: { 4: pc - 0x100000n } }, // adrp x4, -256 pages
    ]);
  });
});

describe("ADD/SUB (immediate)", () => {
  it("computes 64- and 32-bit results, wraps, zeroes the upper half of W results", () => {
    table([
      { asm: "add x0, x1, #1, lsl #12", x: { 1: ALL }, want: { 0: 0xfffn } },
      { asm: "add w0, w1, #1", x: { 1: ALL, 0: 5n }, want: { 0: 0n } },
      { asm: "sub w0, w1, #1", x: { 1: 0xabcd_0000_0000_0000n }, want: { 0: 0xffffffffn } },
      { asm: "sub x0, x1, #4095", x: { 1: 0n }, want: { 0: -4095n } },
      { asm: "add x0, x0, #0", x: { 0: 7n }, want: { 0: 7n } },
    ]);
  });

  it("sets NZCV at the carry and overflow boundaries", () => {
    table([
      { asm: "adds x0, x1, #1", x: { 1: 0x7fffffffffffffffn }, want: { 0: 1n << 63n }, flags: N | V },
      { asm: "adds x0, x1, #1", x: { 1: ALL }, want: { 0: 0n }, flags: Z | C },
      { asm: "adds w0, w1, #1", x: { 1: 0x7fffffffn }, want: { 0: 0x80000000n }, flags: N | V },
      { asm: "adds w0, w1, #1", x: { 1: 0x1_ffff_ffffn }, want: { 0: 0n }, flags: Z | C },
      { asm: "subs x0, x1, #1", x: { 1: 0n }, want: { 0: ALL }, flags: N },
      { asm: "subs x0, x1, #1", x: { 1: 1n << 63n }, want: { 0: 0x7fffffffffffffffn }, flags: C | V },
      { asm: "subs w0, w1, #1", x: { 1: 0x80000000n }, want: { 0: 0x7fffffffn }, flags: C | V },
      { asm: "cmp w1, #0", x: { 1: 0x1_0000_0000n }, nzcv: N | V, want: { 1: 0x1_0000_0000n }, flags: Z | C },
      { asm: "cmp x1, #5", x: { 1: 5n }, want: { 31: SP }, flags: Z | C },
      { asm: "cmn x1, #1", x: { 1: ALL }, want: {}, flags: Z | C },
      { asm: "subs x0, x1, #0", x: { 1: 0n }, want: { 0: 0n }, flags: Z | C },
    ]);
  });

  it("reads and writes SP for register 31, except Rd of ADDS/SUBS (XZR)", () => {
    table([
      { asm: "mov x0, sp", want: { 0: SP } },
      { asm: "add x0, sp, #16", want: { 0: SP + 16n } },
      { asm: "add sp, sp, #16", want: { 31: SP + 16n } },
      { asm: "sub sp, x1, #1, lsl #12", x: { 1: 0x10000n }, want: { 31: 0xf000n } },
      { asm: "add wsp, w1, #4", x: { 1: ALL }, want: { 31: 3n } },
      { asm: "adds x0, sp, #0", want: { 0: SP }, flags: 0 },
      { asm: "cmp sp, #0x200, lsl #12", want: { 31: SP }, flags: C },
      { asm: "adds xzr, x1, #1", x: { 1: 2n }, want: { 31: SP } },
    ]);
  });
});

describe("logical (immediate)", () => {
  it("AND/ORR/EOR/ANDS with masks of every element size", () => {
    table([
      { asm: "mov x0, #0x5555555555555555", want: { 0: 0x5555555555555555n } },
      { asm: "and x0, x1, #0x3333333333333333", x: { 1: ALL }, want: { 0: 0x3333333333333333n } },
      { asm: "orr x0, x1, #0xf0f0f0f0f0f0f0f0", x: { 1: 1n }, want: { 0: 0xf0f0f0f0f0f0f0f1n } },
      { asm: "eor x0, x1, #0xff00ff00ff00ff00", x: { 1: ALL }, want: { 0: 0x00ff00ff00ff00ffn } },
      { asm: "and x0, x1, #0xffffffff00000000", x: { 1: 0x1234_5678_9abc_def0n }, want: { 0: 0x1234_5678_0000_0000n } },
      { asm: "eor x0, x1, #0x7fffffffffffffff", x: { 1: 0n }, want: { 0: 0x7fffffffffffffffn } },
      { asm: "orr w0, w1, #0x80000001", x: { 1: 0xffff_0000_0000_0000n }, want: { 0: 0x80000001n } },
      { asm: "eor w0, w1, #0x0f0f0f0f", x: { 1: ALL }, want: { 0: 0xf0f0f0f0n } },
      { asm: "and w0, w1, #0x1", x: { 1: ALL }, want: { 0: 1n } },
    ]);
  });

  it("ANDS/TST set N and Z and clear C and V", () => {
    table([
      { asm: "ands x0, x1, #0x8000000000000000", x: { 1: ALL }, nzcv: C | V, want: { 0: 1n << 63n }, flags: N },
      { asm: "tst w1, #0x80000000", x: { 1: 0x7fffffffn }, nzcv: N | C | V, want: { 31: SP }, flags: Z },
      { asm: "ands w0, w1, #0xff", x: { 1: 0x180n }, want: { 0: 0x80n }, flags: 0 },
    ]);
  });

  it("writes SP for Rd 31 of AND/ORR/EOR, XZR for ANDS; Rn 31 is XZR", () => {
    table([
      { asm: "and sp, x1, #0xfffffffffffffff0", x: { 1: 0x1237n }, want: { 31: 0x1230n } },
      { asm: "orr wsp, w1, #0xff", x: { 1: ALL }, want: { 31: 0xffffffffn } },
      { asm: "orr x0, xzr, #0xff", want: { 0: 0xffn } },
    ]);
  });
});

describe("MOVZ, MOVN, MOVK", () => {
  it("move wide immediates at every halfword", () => {
    table([
      { asm: "movz x0, #0xbeef, lsl #48", x: { 0: ALL }, want: { 0: 0xbeef_0000_0000_0000n } },
      { asm: "movz w0, #0xbeef, lsl #16", x: { 0: ALL }, want: { 0: 0xbeef_0000n } },
      { asm: "movn x0, #1, lsl #16", want: { 0: 0xffff_ffff_fffe_ffffn } },
      { asm: "movn w0, #0", want: { 0: 0xffffffffn } },
      { asm: "movn w0, #0xffff, lsl #16", want: { 0: 0xffffn } },
      { asm: "movk x0, #0xbeef, lsl #16", x: { 0: 0x1111_2222_3333_4444n }, want: { 0: 0x1111_2222_beef_4444n } },
      { asm: "movk x0, #0xbeef, lsl #48", x: { 0: 0x1111_2222_3333_4444n }, want: { 0: 0xbeef_2222_3333_4444n } },
      { asm: "movk w0, #0xbeef, lsl #16", x: { 0: 0x1111_2222_3333_4444n }, want: { 0: 0xbeef_4444n } },
      { asm: "movz xzr, #1", want: { 31: SP } },
    ]);
  });
});

describe("bitfield moves", () => {
  it("sign and zero extension, shifts by immediate", () => {
    table([
      { asm: "sxtb x0, w1", x: { 1: 0x80n }, want: { 0: 0xffffffffffffff80n } },
      { asm: "sxth w0, w1", x: { 1: 0x1234_8000n }, want: { 0: 0xffff8000n } },
      { asm: "sxtw x0, w1", x: { 1: 0xffffffff_7fffffffn }, want: { 0: 0x7fffffffn } },
      { asm: "sxtw x0, w1", x: { 1: 0x80000000n }, want: { 0: 0xffffffff_80000000n } },
      { asm: "uxtb w0, w1", x: { 1: 0xfffn }, want: { 0: 0xffn } },
      { asm: "uxth w0, w1", x: { 1: ALL }, want: { 0: 0xffffn } },
      { asm: "lsl x0, x1, #4", x: { 1: 0xf000000000000001n }, want: { 0: 0x10n } },
      { asm: "lsl w0, w1, #31", x: { 1: 3n }, want: { 0: 0x80000000n } },
      { asm: "lsr w0, w1, #4", x: { 1: 0xffffffff_f0000000n }, want: { 0: 0x0f000000n } },
      { asm: "lsr x0, x1, #63", x: { 1: ALL }, want: { 0: 1n } },
      { asm: "asr w0, w1, #4", x: { 1: 0x80000000n }, want: { 0: 0xf8000000n } },
      { asm: "asr x0, x1, #63", x: { 1: 1n << 63n }, want: { 0: ALL } },
      { asm: "asr x0, x1, #1", x: { 1: 0x4000000000000000n }, want: { 0: 0x2000000000000000n } },
    ]);
  });

  it("field extracts and inserts (SBFX, UBFX, SBFIZ, UBFIZ, BFI, BFXIL, BFC)", () => {
    table([
      { asm: "sbfx x0, x1, #4, #4", x: { 1: 0x80n }, want: { 0: -8n } },
      { asm: "sbfx w0, w1, #4, #4", x: { 1: 0x70n }, want: { 0: 7n } },
      { asm: "ubfx x0, x1, #60, #4", x: { 1: 0xa000000000000000n }, want: { 0: 0xan } },
      { asm: "ubfx w0, w1, #1, #31", x: { 1: ALL }, want: { 0: 0x7fffffffn } },
      { asm: "sbfiz x0, x1, #60, #4", x: { 1: 0xfn }, want: { 0: 0xf000000000000000n } },
      { asm: "sbfiz w0, w1, #1, #3", x: { 1: 4n }, want: { 0: 0xfffffff8n } },
      { asm: "ubfiz x0, x1, #32, #8", x: { 1: 0x1ffn }, want: { 0: 0xff_0000_0000n } },
      { asm: "bfi x0, x1, #8, #4", x: { 0: 0xffffn, 1: 0x15n }, want: { 0: 0xf5ffn } },
      { asm: "bfi w0, w1, #28, #4", x: { 0: ALL, 1: 0n }, want: { 0: 0x0fffffffn } },
      { asm: "bfxil w0, w1, #4, #8", x: { 0: ALL, 1: 0xabc0n }, want: { 0: 0xffffffbcn } },
      { asm: "bfxil x0, x1, #60, #4", x: { 0: 0n, 1: 0x9000000000000000n }, want: { 0: 9n } },
      { asm: "bfc x0, #4, #56", x: { 0: ALL }, want: { 0: 0xf00000000000000fn } },
    ]);
  });
});

describe("EXTR", () => {
  it("extracts from a register pair; ROR is EXTR of one register", () => {
    table([
      { asm: "extr x0, x1, x2, #8", x: { 1: 0x11n, 2: 0x2233445566778899n }, want: { 0: 0x1122334455667788n } },
      { asm: "extr w0, w1, w2, #8", x: { 1: 0xffffffff_00000011n, 2: 0x22334455n }, want: { 0: 0x11223344n } },
      { asm: "extr x0, x1, x2, #0", x: { 1: 1n, 2: 2n }, want: { 0: 2n } },
      { asm: "extr w0, w1, w2, #0", x: { 1: 1n, 2: ALL }, want: { 0: 0xffffffffn } },
      { asm: "ror w0, w1, #4", x: { 1: 0xffffffff_0000000fn }, want: { 0: 0xf0000000n } },
      { asm: "ror x0, x1, #63", x: { 1: 1n << 63n }, want: { 0: 1n } },
    ]);
  });
});

describe("reserved encodings", () => {
  it.each([
    ["logical immediate, 32-bit with N = 1", 0x12400000],
    ["logical immediate with an all-ones element", 0x927ffc00],
    ["MOVZ 32-bit with hw = 2", 0x52c00000],
    ["move wide opc = 01", 0x32800000],
    ["SBFM 32-bit with N = 1", 0x13400000],
    ["SBFM 32-bit with immr = 32", 0x13200000],
    ["bitfield opc = 11", 0x73000000],
    ["EXTR 64-bit with N = 0", 0x93800000],
  ])("%s is UNDEFINED", (_name, word) => {
    const r = runAsm(`.inst 0x${word.toString(16)}`);
    expect(r.exit).toBe(ExitKind.Undefined);
    expect(r.cpu.pc).toBe(CODE_BASE);
  });
});

describe("encodings listed as deliberately unhandled", () => {
  it.each([...DP_IMM_UNHANDLED, ...DP_REG_UNHANDLED].map((p) => [p.name, p.value] as const))("%s stays UNDEFINED", (_name, word) => {
    const r = runAsm(`.inst 0x${(word >>> 0).toString(16)}`);
    expect(r.exit).toBe(ExitKind.Undefined);
  });
});

describe("generated code", () => {
  it("folds immediates, masks and shift amounts at translate time", () => {
    const r = runAsm("mov x0, #0xff00ff00ff00ff00\nadd x1, x1, #0x5, lsl #12\nubfx x2, x3, #4, #8\nmovk x4, #0xbeef, lsl #32");
    const src = r.translator.sourceFor(r.mmu, CODE_BASE);
    expect(src).toContain("0xff00ff00ff00ff00n");
    expect(src).toContain("0x5000n");
    expect(src).toContain("0xffn");
    expect(src).toContain("0xbeef00000000n");
    expect(src).not.toMatch(/\bh\d+\(/); // no helper calls
    expect(src).not.toContain("asIntN");
  });
});
