// Advanced SIMD integer instructions, lane by lane against reference
// formulas written here from the Arm ARM definitions.

import { describe, expect, it } from "vitest";
import { runAsm } from "./support/snippet.js";
import { ExitKind } from "../emulator/cpu/state.js";
import { getV, hex, join, lanes, runV, s, values } from "./simd_support.js";

const FPSR_QC = 1 << 27;
const VALS = values(8, 7n);
const A = VALS[6], B = VALS[7], C = VALS[4];

/** Element-wise check: Vd = f(Vn lane, Vm lane) over `bits`-bit lanes, D (64-bit) or Q form. */
function check3(asm: string, bits: number, q: boolean, f: (a: bigint, b: bigint, d: bigint) => bigint, a = A, b = B, d = C): void {
  const r = runV(asm, { 0: d, 1: a, 2: b });
  const n = (q ? 128 : 64) / bits;
  const la = lanes(a, bits, n), lb = lanes(b, bits, n), ld = lanes(d, bits, n);
  const want = join(la.map((x, i) => f(x, lb[i], ld[i])), bits);
  expect(hex(getV(r.cpu, 0)), asm).toBe(hex(want));
}

function satS(v: bigint, bits: number): [bigint, boolean] {
  const hi = (1n << BigInt(bits - 1)) - 1n, lo = -(1n << BigInt(bits - 1));
  return v > hi ? [hi, true] : v < lo ? [lo, true] : [v, false];
}
function satU(v: bigint, bits: number): [bigint, boolean] {
  const hi = (1n << BigInt(bits)) - 1n;
  return v > hi ? [hi, true] : v < 0n ? [0n, true] : [v, false];
}

describe("SIMD integer three-same", () => {
  it("ADD/SUB/MUL/MLA/MLS in every arrangement, D forms clear bits 127:64", () => {
    for (const [t, bits, q] of [["16b", 8, true], ["8b", 8, false], ["8h", 16, true], ["4h", 16, false], ["4s", 32, true], ["2s", 32, false], ["2d", 64, true]] as const) {
      check3(`add v0.${t}, v1.${t}, v2.${t}`, bits, q, (a, b) => a + b);
      check3(`sub v0.${t}, v1.${t}, v2.${t}`, bits, q, (a, b) => a - b);
      if (bits === 64) continue;
      check3(`mul v0.${t}, v1.${t}, v2.${t}`, bits, q, (a, b) => a * b);
      check3(`mla v0.${t}, v1.${t}, v2.${t}`, bits, q, (a, b, d) => d + a * b);
      check3(`mls v0.${t}, v1.${t}, v2.${t}`, bits, q, (a, b, d) => d - a * b);
    }
  });

  it("destination aliasing both sources", () => {
    const r = runV("add v1.4s, v1.4s, v1.4s\nmla v2.8h, v2.8h, v2.8h", { 1: A, 2: B });
    expect(getV(r.cpu, 1)).toBe(join(lanes(A, 32).map((x) => 2n * x), 32));
    expect(getV(r.cpu, 2)).toBe(join(lanes(B, 16).map((x) => x + x * x), 16));
  });

  it("SQADD/UQADD/SQSUB/UQSUB saturate and set FPSR.QC", () => {
    const a = 0x7f_80_01_ff_7f_80_00_10n | (0x8000_7fff_0001_ffffn << 64n);
    const b = 0x01_ff_7f_01_80_80_00_f0n | (0x8000_0001_ffff_0001n << 64n);
    for (const [op, sat, sgn, sub] of [["sqadd", satS, true, false], ["uqadd", satU, false, false], ["sqsub", satS, true, true], ["uqsub", satU, false, true]] as const) {
      for (const [t, bits] of [["16b", 8], ["8h", 16]] as const) {
        const r = runV(`${op} v0.${t}, v1.${t}, v2.${t}`, { 1: a, 2: b });
        let qc = false;
        const want = join(lanes(a, bits).map((x, i) => {
          const y = lanes(b, bits)[i];
          const [v, sq] = sat(sgn ? (sub ? s(x, bits) - s(y, bits) : s(x, bits) + s(y, bits)) : sub ? x - y : x + y, bits);
          qc ||= sq;
          return v;
        }), bits);
        expect(hex(getV(r.cpu, 0)), `${op} ${t}`).toBe(hex(want));
        expect((r.cpu.fpsr & FPSR_QC) !== 0, `${op} ${t} QC`).toBe(qc);
      }
    }
    // No saturation leaves QC clear.
    const r = runV("sqadd v0.4s, v1.4s, v2.4s", { 1: 1n, 2: 2n });
    expect(r.cpu.fpsr & FPSR_QC).toBe(0);
    expect(getV(r.cpu, 0)).toBe(3n);
  });

  it("halving, max/min, absolute difference, pairwise", () => {
    check3("shadd v0.16b, v1.16b, v2.16b", 8, true, (a, b) => (s(a, 8) + s(b, 8)) >> 1n);
    check3("urhadd v0.8h, v1.8h, v2.8h", 16, true, (a, b) => (a + b + 1n) >> 1n);
    check3("smax v0.4s, v1.4s, v2.4s", 32, true, (a, b) => (s(a, 32) > s(b, 32) ? a : b));
    check3("umin v0.8b, v1.8b, v2.8b", 8, false, (a, b) => (a < b ? a : b));
    check3("sabd v0.8h, v1.8h, v2.8h", 16, true, (a, b) => { const d = s(a, 16) - s(b, 16); return d < 0n ? -d : d; });
    check3("uaba v0.4s, v1.4s, v2.4s", 32, true, (a, b, d) => d + (a > b ? a - b : b - a));
    const r = runV("addp v0.4s, v1.4s, v2.4s\nsmaxp v3.8b, v1.8b, v2.8b\naddp d4, v1.2d\naddp v5.2d, v1.2d, v5.2d", { 1: A, 2: B, 5: C });
    const la = lanes(A, 32), lb = lanes(B, 32);
    expect(getV(r.cpu, 0)).toBe(join([la[0] + la[1], la[2] + la[3], lb[0] + lb[1], lb[2] + lb[3]], 32));
    const a8 = lanes(A, 8, 8), b8 = lanes(B, 8, 8);
    const mx = (x: bigint, y: bigint) => (s(x, 8) > s(y, 8) ? x : y);
    expect(getV(r.cpu, 3)).toBe(join([0, 2, 4, 6].map((i) => mx(a8[i], a8[i + 1])).concat([0, 2, 4, 6].map((i) => mx(b8[i], b8[i + 1]))), 8));
    const d = lanes(A, 64);
    expect(getV(r.cpu, 4)).toBe(BigInt.asUintN(64, d[0] + d[1]));
    const c = lanes(C, 64);
    expect(getV(r.cpu, 5)).toBe(join([d[0] + d[1], c[0] + c[1]], 64));
  });

  it("compares: register, zero and scalar D forms", () => {
    const all = (bits: number) => (1n << BigInt(bits)) - 1n;
    check3("cmgt v0.16b, v1.16b, v2.16b", 8, true, (a, b) => (s(a, 8) > s(b, 8) ? all(8) : 0n));
    check3("cmhi v0.8h, v1.8h, v2.8h", 16, true, (a, b) => (a > b ? all(16) : 0n));
    check3("cmhs v0.2s, v1.2s, v2.2s", 32, false, (a, b) => (a >= b ? all(32) : 0n));
    check3("cmge v0.2d, v1.2d, v2.2d", 64, true, (a, b) => (s(a, 64) >= s(b, 64) ? all(64) : 0n));
    check3("cmeq v0.4s, v1.4s, v2.4s", 32, true, (a, b) => (a === b ? all(32) : 0n), A, A ^ 0xff00n);
    check3("cmtst v0.16b, v1.16b, v2.16b", 8, true, (a, b) => ((a & b) !== 0n ? all(8) : 0n));
    check3("cmle v0.8h, v1.8h, #0", 16, true, (a) => (s(a, 16) <= 0n ? all(16) : 0n), A & ~0xffffn);
    check3("cmlt v0.4s, v1.4s, #0", 32, true, (a) => (s(a, 32) < 0n ? all(32) : 0n));
    check3("cmeq v0.16b, v1.16b, #0", 8, true, (a) => (a === 0n ? all(8) : 0n), A & 0xff00ff00n);
    const r = runV("cmeq d0, d1, d2\ncmgt d3, d1, #0\nadd d4, d1, d2\nushr d5, d1, #3", { 0: C, 1: 5n | (7n << 64n), 2: 5n, 3: C, 4: C, 5: C });
    expect(getV(r.cpu, 0)).toBe(0xffff_ffff_ffff_ffffn);
    expect(getV(r.cpu, 3)).toBe(0xffff_ffff_ffff_ffffn);
    expect(getV(r.cpu, 4)).toBe(10n);
    expect(getV(r.cpu, 5)).toBe(0n);
  });

  it("logical ops and bitwise selects", () => {
    const d = C, n = A, m = B;
    const r = runV(`
      and v3.16b, v1.16b, v2.16b
      bic v4.8b, v1.8b, v2.8b
      orr v5.16b, v1.16b, v2.16b
      orn v6.16b, v1.16b, v2.16b
      eor v7.16b, v1.16b, v2.16b
      mov v8.16b, v0.16b
      bsl v8.16b, v1.16b, v2.16b
      mov v9.16b, v0.16b
      bit v9.16b, v1.16b, v2.16b
      mov v10.16b, v0.16b
      bif v10.16b, v1.16b, v2.16b
      not v11.8b, v1.8b
      mov v12.16b, v1.16b
    `, { 0: d, 1: n, 2: m });
    const M = (1n << 128n) - 1n, L = (1n << 64n) - 1n;
    expect(getV(r.cpu, 3)).toBe(n & m);
    expect(getV(r.cpu, 4)).toBe(n & ~m & L);
    expect(getV(r.cpu, 5)).toBe(n | m);
    expect(getV(r.cpu, 6)).toBe((n | ~m) & M);
    expect(getV(r.cpu, 7)).toBe(n ^ m);
    expect(getV(r.cpu, 8)).toBe((d & n) | (~d & m & M));
    expect(getV(r.cpu, 9)).toBe((d & ~m & M) | (n & m));
    expect(getV(r.cpu, 10)).toBe((d & m) | (n & ~m & M));
    expect(getV(r.cpu, 11)).toBe(~n & L);
    expect(getV(r.cpu, 12)).toBe(n);
  });
});

describe("SIMD shifts", () => {
  it("shift by immediate: SHL/SSHR/USHR/SRSHR/URSHR/SSRA/USRA/SLI/SRI", () => {
    const one = (asm: string, bits: number, f: (a: bigint, d: bigint) => bigint) => check3(asm, bits, true, (a, _b, d) => f(a, d));
    one("shl v0.16b, v1.16b, #3", 8, (a) => a << 3n);
    one("sshr v0.8h, v1.8h, #16", 16, (a) => s(a, 16) >> 16n);
    one("ushr v0.4s, v1.4s, #32", 32, () => 0n);
    one("ushr v0.2d, v1.2d, #5", 64, (a) => a >> 5n);
    one("srshr v0.4s, v1.4s, #7", 32, (a) => (s(a, 32) + 64n) >> 7n);
    one("urshr v0.16b, v1.16b, #8", 8, (a) => (a + 128n) >> 8n);
    one("ssra v0.8h, v1.8h, #2", 16, (a, d) => d + (s(a, 16) >> 2n));
    one("usra v0.2d, v1.2d, #64", 64, (_a, d) => d);
    one("sli v0.4s, v1.4s, #9", 32, (a, d) => (a << 9n) | (d & 0x1ffn));
    one("sri v0.16b, v1.16b, #3", 8, (a, d) => (a >> 3n) | (d & 0xe0n));
    one("sri v0.2d, v1.2d, #64", 64, (_a, d) => d);
  });

  it("SSHL/USHL/URSHL by register (negative amounts shift right)", () => {
    const amounts = join([1n, -1n, 7n, -8n, 0n, 31n, -31n, 40n], 16);
    check3("sshl v0.8h, v1.8h, v2.8h", 16, true, (a, b) => {
      const sh = Number(s(b & 0xffn, 8));
      return sh >= 0 ? (sh >= 16 ? 0n : a << BigInt(sh)) : s(a, 16) >> BigInt(Math.min(-sh, 16));
    }, A, amounts);
    check3("ushl v0.8h, v1.8h, v2.8h", 16, true, (a, b) => {
      const sh = Number(s(b & 0xffn, 8));
      return sh >= 0 ? (sh >= 16 ? 0n : a << BigInt(sh)) : a >> BigInt(-sh);
    }, A, amounts);
    check3("urshl v0.2d, v1.2d, v2.2d", 64, true, (a, b) => {
      const sh = Number(s(b & 0xffn, 8));
      return sh >= 0 ? a << BigInt(sh) : (a + (1n << BigInt(-sh - 1))) >> BigInt(-sh);
    }, A, join([-3n, -64n], 64));
  });

  it("widening and narrowing: SXTL/UXTL(2), SHLL, XTN(2), SHRN, RSHRN, SQXTN/UQXTN/SQXTUN, SQSHRN", () => {
    const r = runV(`
      sxtl v3.8h, v1.8b
      uxtl2 v4.4s, v1.8h
      ushll v5.2d, v1.2s, #5
      shll2 v6.4s, v1.8h, #16
      xtn v7.8b, v1.8h
      mov v8.16b, v0.16b
      xtn2 v8.4s, v1.2d
      shrn v9.4h, v1.4s, #9
      rshrn2 v10.16b, v1.8h, #3
      sqxtn v11.8b, v1.8h
      uqxtn v12.4h, v1.4s
      sqxtun v13.2s, v1.2d
    `, { 0: C, 1: A, 10: B });
    const c = r.cpu;
    expect(getV(c, 3)).toBe(join(lanes(A, 8, 8).map((x) => s(x, 8)), 16));
    expect(getV(c, 4)).toBe(join(lanes(A, 16).slice(4), 32));
    expect(getV(c, 5)).toBe(join(lanes(A, 32, 2).map((x) => x << 5n), 64));
    expect(getV(c, 6)).toBe(join(lanes(A, 16).slice(4).map((x) => x << 16n), 32));
    expect(getV(c, 7)).toBe(join(lanes(A, 16), 8));
    expect(getV(c, 8)).toBe((C & ((1n << 64n) - 1n)) | (join(lanes(A, 64), 32) << 64n));
    expect(getV(c, 9)).toBe(join(lanes(A, 32).map((x) => x >> 9n), 16));
    expect(getV(c, 10)).toBe((B & ((1n << 64n) - 1n)) | (join(lanes(A, 16).map((x) => (x + 4n) >> 3n), 8) << 64n));
    expect(getV(c, 11)).toBe(join(lanes(A, 16).map((x) => satS(s(x, 16), 8)[0]), 8));
    expect(getV(c, 12)).toBe(join(lanes(A, 32).map((x) => satU(x, 16)[0]), 16));
    expect(getV(c, 13)).toBe(join(lanes(A, 64).map((x) => satU(s(x, 64), 32)[0]), 32));
    const q = runV("sqshrn v0.4h, v1.4s, #4", { 1: join([0x7ffffn, -0x90000n, 0x100n, -1n], 32) });
    expect(getV(q.cpu, 0)).toBe(join([0x7fffn, -0x8000n, 0x10n, -1n], 16));
    expect(q.cpu.fpsr & FPSR_QC).toBe(FPSR_QC);
  });

  it("scalar saturating narrow writes element 0 only", () => {
    const r = runV("sqxtn s0, d1\nuqxtn b2, h1", { 0: -1n, 1: 0x1_0000_1234n | (5n << 64n), 2: -1n });
    expect(getV(r.cpu, 0)).toBe(0x7fff_ffffn);
    expect(getV(r.cpu, 2)).toBe(0xffn);
  });
});

describe("SIMD long, wide and across-lanes", () => {
  it("SMULL/UMULL2/SMLAL/UMLSL/SADDL/UADDW2/SSUBL/SABDL", () => {
    const r = runV(`
      smull v3.4s, v1.4h, v2.4h
      umull2 v4.2d, v1.4s, v2.4s
      mov v5.16b, v0.16b
      smlal v5.8h, v1.8b, v2.8b
      mov v6.16b, v0.16b
      umlsl2 v6.4s, v1.8h, v2.8h
      saddl v7.2d, v1.2s, v2.2s
      uaddw2 v8.8h, v0.8h, v1.16b
      ssubl v9.4s, v1.4h, v2.4h
      sabdl2 v10.8h, v1.16b, v2.16b
    `, { 0: C, 1: A, 2: B });
    const c = r.cpu;
    const h = (v: bigint, bits: number, hi: boolean) => lanes(v, bits).slice(hi ? 64 / bits : 0, hi ? 128 / bits : 64 / bits);
    expect(getV(c, 3)).toBe(join(h(A, 16, false).map((x, i) => s(x, 16) * s(h(B, 16, false)[i], 16)), 32));
    expect(getV(c, 4)).toBe(join(h(A, 32, true).map((x, i) => x * h(B, 32, true)[i]), 64));
    expect(getV(c, 5)).toBe(join(lanes(C, 16).map((d, i) => d + s(h(A, 8, false)[i], 8) * s(h(B, 8, false)[i], 8)), 16));
    expect(getV(c, 6)).toBe(join(lanes(C, 32).map((d, i) => d - h(A, 16, true)[i] * h(B, 16, true)[i]), 32));
    expect(getV(c, 7)).toBe(join(h(A, 32, false).map((x, i) => s(x, 32) + s(h(B, 32, false)[i], 32)), 64));
    expect(getV(c, 8)).toBe(join(lanes(C, 16).map((d, i) => d + h(A, 8, true)[i]), 16));
    expect(getV(c, 9)).toBe(join(h(A, 16, false).map((x, i) => s(x, 16) - s(h(B, 16, false)[i], 16)), 32));
    expect(getV(c, 10)).toBe(join(h(A, 8, true).map((x, i) => { const d = s(x, 8) - s(h(B, 8, true)[i], 8); return d < 0n ? -d : d; }), 16));
  });

  it("by element: MUL/MLA 4S by S[i], SMULL by H[i] (Rm aliasing Vd)", () => {
    const r = runV("mul v3.4s, v1.4s, v2.s[3]\nmov v4.16b, v0.16b\nmla v4.8h, v1.8h, v2.h[5]\nsmull v2.4s, v1.4h, v2.h[7]", { 0: C, 1: A, 2: B });
    const b32 = lanes(B, 32)[3], b16 = lanes(B, 16);
    expect(getV(r.cpu, 3)).toBe(join(lanes(A, 32).map((x) => x * b32), 32));
    expect(getV(r.cpu, 4)).toBe(join(lanes(C, 16).map((d, i) => d + lanes(A, 16)[i] * b16[5]), 16));
    expect(getV(r.cpu, 2)).toBe(join(lanes(A, 16, 4).map((x) => s(x, 16) * s(b16[7], 16)), 32));
  });

  it("UADDLP/SADALP, ADDV/UMAXV/SMINV/UADDLV/SADDLV", () => {
    const r = runV(`
      uaddlp v3.8h, v1.16b
      mov v4.16b, v0.16b
      sadalp v4.2d, v1.4s
      addv b5, v1.16b
      umaxv h6, v1.8h
      sminv s7, v1.4s
      uaddlv h8, v1.8b
      saddlv d9, v1.4s
    `, { 0: C, 1: A, 5: -1n, 6: -1n, 7: -1n, 8: -1n, 9: -1n });
    const c = r.cpu;
    const b = lanes(A, 8), w = lanes(A, 32);
    expect(getV(c, 3)).toBe(join([0, 2, 4, 6, 8, 10, 12, 14].map((i) => b[i] + b[i + 1]), 16));
    expect(getV(c, 4)).toBe(join(lanes(C, 64).map((d, i) => d + s(w[2 * i], 32) + s(w[2 * i + 1], 32)), 64));
    expect(getV(c, 5)).toBe(b.reduce((x, y) => x + y) & 0xffn);
    expect(getV(c, 6)).toBe(lanes(A, 16).reduce((x, y) => (x > y ? x : y)));
    expect(getV(c, 7)).toBe(BigInt.asUintN(32, w.map((x) => s(x, 32)).reduce((x, y) => (x < y ? x : y))));
    expect(getV(c, 8)).toBe(b.slice(0, 8).reduce((x, y) => x + y));
    expect(getV(c, 9)).toBe(BigInt.asUintN(64, w.map((x) => s(x, 32)).reduce((x, y) => x + y)));
  });

  it("CNT, CLZ, CLS, RBIT, REV16/32/64, ABS, NEG, SQABS", () => {
    const r = runV(`
      cnt v3.16b, v1.16b
      clz v4.4s, v1.4s
      cls v5.8h, v1.8h
      rbit v6.8b, v1.8b
      rev16 v7.16b, v1.16b
      rev32 v8.8h, v1.8h
      rev64 v9.4s, v1.4s
      abs v10.16b, v1.16b
      neg v11.2d, v1.2d
      sqabs v12.8h, v1.8h
    `, { 1: values(1)[0] | 0x0000_8000_0001_00ff_0080_7f00_ff10_0301n });
    const c = r.cpu;
    const a = getV(c, 1);
    const pop = (x: bigint) => BigInt([...x.toString(2)].filter((ch) => ch === "1").length);
    const clz = (x: bigint, bits: number) => BigInt(bits - (x === 0n ? 0 : x.toString(2).length));
    expect(getV(c, 3)).toBe(join(lanes(a, 8).map(pop), 8));
    expect(getV(c, 4)).toBe(join(lanes(a, 32).map((x) => clz(x, 32)), 32));
    expect(getV(c, 5)).toBe(join(lanes(a, 16).map((x) => clz(s(x, 16) < 0n ? x ^ 0xffffn : x, 16) - 1n), 16));
    expect(getV(c, 6)).toBe(join(lanes(a, 8, 8).map((x) => BigInt("0b" + [...x.toString(2).padStart(8, "0")].reverse().join(""))), 8));
    expect(getV(c, 7)).toBe(join(lanes(a, 16).map((x) => ((x & 0xffn) << 8n) | (x >> 8n)), 16));
    expect(getV(c, 8)).toBe(join(lanes(a, 32).map((x) => ((x & 0xffffn) << 16n) | (x >> 16n)), 32));
    expect(getV(c, 9)).toBe(join(lanes(a, 64).map((x) => ((x & 0xffffffffn) << 32n) | (x >> 32n)), 64));
    expect(getV(c, 10)).toBe(join(lanes(a, 8).map((x) => (s(x, 8) < 0n ? -s(x, 8) : x)), 8));
    expect(getV(c, 11)).toBe(join(lanes(a, 64).map((x) => -x), 64));
    expect(getV(c, 12)).toBe(join(lanes(a, 16).map((x) => satS(s(x, 16) < 0n ? -s(x, 16) : x, 16)[0]), 16));
  });

  it("reserved encodings are UNDEFINED: ADD with size 11 and Q = 0, MUL .2D", () => {
    for (const word of [0x0ee08420, 0x4ee09c20]) {
      const r = runAsm(`.inst 0x${word.toString(16)}`);
      expect(ExitKind[r.exit]).toBe("Undefined");
    }
  });
});
