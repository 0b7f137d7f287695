// Advanced SIMD floating point: lanes computed with host IEEE arithmetic
// (single results rounded with Math.fround from exact or double values).

import { describe, expect, it } from "vitest";
import { getV, runV } from "./simd_support.js";

/** A 128-bit value from four floats (lane 0 first). */
function f32s(...xs: number[]): bigint {
  const w = new Uint32Array(new Float32Array(xs).buffer);
  return [...w].reduce((acc, v, i) => acc | (BigInt(v) << BigInt(32 * i)), 0n);
}
function f64s(...xs: number[]): bigint {
  const w = new BigUint64Array(new Float64Array(xs).buffer);
  return [...w].reduce((acc, v, i) => acc | (v << BigInt(64 * i)), 0n);
}
/** Float lanes of a 128-bit value. */
function asF32(v: bigint): number[] {
  const w = new Uint32Array(4).map((_, i) => Number((v >> BigInt(32 * i)) & 0xffffffffn));
  return [...new Float32Array(w.buffer)];
}
function asF64(v: bigint): number[] {
  const w = new BigUint64Array([v & 0xffff_ffff_ffff_ffffn, v >> 64n]);
  return [...new Float64Array(w.buffer)];
}

const FA = [1.5, -2.25, 1e30, 3.0000002];
const FB = [0.1, 4, -1e-3, 7.5];
const DA = [1.0000000000000002, -3.5];
const DB = [1e-300, 2.5];
const r32 = (f: (a: number, b: number) => number) => FA.map((a, i) => Math.fround(f(Math.fround(a), Math.fround(FB[i]))));

describe("SIMD FP arithmetic", () => {
  it("FADD/FSUB/FMUL/FDIV/FMAX/FMIN on 4S, 2S (upper cleared) and 2D", () => {
    const r = runV(`
      fadd v3.4s, v1.4s, v2.4s
      fsub v4.4s, v1.4s, v2.4s
      fmul v5.4s, v1.4s, v2.4s
      fdiv v6.4s, v1.4s, v2.4s
      fmax v7.4s, v1.4s, v2.4s
      fadd v8.2s, v1.2s, v2.2s
      fmul v9.2d, v10.2d, v11.2d
      fdiv v12.2d, v10.2d, v11.2d
      fminnm v13.2d, v10.2d, v11.2d
    `, { 1: f32s(...FA), 2: f32s(...FB), 8: -1n, 10: f64s(...DA), 11: f64s(...DB) });
    const c = r.cpu;
    expect(asF32(getV(c, 3))).toEqual(r32((a, b) => a + b));
    expect(asF32(getV(c, 4))).toEqual(r32((a, b) => a - b));
    expect(asF32(getV(c, 5))).toEqual(r32((a, b) => a * b));
    expect(asF32(getV(c, 6))).toEqual(r32((a, b) => a / b));
    expect(asF32(getV(c, 7))).toEqual(r32((a, b) => Math.max(a, b)));
    expect(asF32(getV(c, 8))).toEqual([...r32((a, b) => a + b).slice(0, 2), 0, 0]);
    expect(asF64(getV(c, 9))).toEqual(DA.map((a, i) => a * DB[i]));
    expect(asF64(getV(c, 12))).toEqual(DA.map((a, i) => a / DB[i]));
    expect(asF64(getV(c, 13))).toEqual(DA.map((a, i) => Math.min(a, DB[i])));
  });

  it("FMLA/FMLS accumulate into Vd (fused)", () => {
    const acc = [10, 20, -30, 0.5];
    const r = runV("fmla v0.4s, v1.4s, v2.4s\nfmls v3.4s, v1.4s, v2.4s", { 0: f32s(...acc), 3: f32s(...acc), 1: f32s(1, 2, 3, 4), 2: f32s(0.5, 0.25, 8, -2) });
    expect(asF32(getV(r.cpu, 0))).toEqual([10.5, 20.5, -6, -7.5]);
    expect(asF32(getV(r.cpu, 3))).toEqual([9.5, 19.5, -54, 8.5]);
  });

  it("FADDP vector and scalar, FMAXP, FMAXNMV/FMINV, pairwise with Vd = Vm", () => {
    const r = runV(`
      faddp v3.4s, v1.4s, v2.4s
      faddp s4, v1.2s
      faddp d5, v10.2d
      fmaxp v6.2s, v1.2s, v2.2s
      fmaxnmv s7, v1.4s
      fminv s8, v2.4s
      faddp v2.4s, v1.4s, v2.4s
    `, { 1: f32s(1, 2, 3, 4), 2: f32s(10, 20, -30, 40), 10: f64s(0.5, 0.25), 4: -1n, 5: -1n, 7: -1n, 8: -1n });
    const c = r.cpu;
    expect(asF32(getV(c, 3))).toEqual([3, 7, 30, 10]);
    expect(getV(c, 4)).toBe(f32s(3, 0, 0, 0));
    expect(getV(c, 5)).toBe(f64s(0.75, 0));
    expect(asF32(getV(c, 6))).toEqual([2, 20, 0, 0]);
    expect(getV(c, 7)).toBe(f32s(4, 0, 0, 0));
    expect(getV(c, 8)).toBe(f32s(-30, 0, 0, 0));
    expect(asF32(getV(c, 2))).toEqual([3, 7, 30, 10]);
  });

  it("FABS/FNEG/FSQRT and FRINTN/M/P/Z/A", () => {
    const x = [-2.5, 2.5, 0.5, -7.75];
    const r = runV(`
      fabs v3.4s, v1.4s
      fneg v4.4s, v1.4s
      fsqrt v5.2d, v10.2d
      frintn v6.4s, v1.4s
      frintm v7.4s, v1.4s
      frintp v8.4s, v1.4s
      frintz v9.4s, v1.4s
      frinta v11.4s, v1.4s
    `, { 1: f32s(...x), 10: f64s(2, 0.25) });
    const c = r.cpu;
    expect(asF32(getV(c, 3))).toEqual(x.map(Math.abs));
    expect(asF32(getV(c, 4))).toEqual(x.map((v) => -v));
    expect(asF64(getV(c, 5))).toEqual([Math.SQRT2, 0.5]);
    expect(asF32(getV(c, 6))).toEqual([-2, 2, 0, -8]);
    expect(asF32(getV(c, 7))).toEqual([-3, 2, 0, -8]);
    expect(asF32(getV(c, 8))).toEqual([-2, 3, 1, -7]);
    expect(asF32(getV(c, 9))).toEqual([-2, 2, 0, -7]);
    expect(asF32(getV(c, 11))).toEqual([-3, 3, 1, -8]);
  });

  it("FCMEQ/FCMGE/FCMGT/FACGT registers and zero forms; NaN compares false", () => {
    const ones = 0xffffffffn;
    const mask = (bs: boolean[]) => bs.reduce((acc, t, i) => acc | ((t ? ones : 0n) << BigInt(32 * i)), 0n);
    const a = [1, -2, NaN, 0], b = [1, 2, 1, -0];
    const r = runV(`
      fcmeq v3.4s, v1.4s, v2.4s
      fcmge v4.4s, v1.4s, v2.4s
      fcmgt v5.4s, v1.4s, v2.4s
      facgt v6.4s, v1.4s, v2.4s
      fcmgt v7.4s, v1.4s, #0.0
      fcmle v8.4s, v1.4s, #0.0
      fcmlt v9.4s, v1.4s, #0.0
      fcmeq v10.4s, v1.4s, #0.0
    `, { 1: f32s(...a), 2: f32s(...b) });
    const c = r.cpu;
    expect(getV(c, 3)).toBe(mask(a.map((x, i) => x === b[i])));
    expect(getV(c, 4)).toBe(mask(a.map((x, i) => x >= b[i])));
    expect(getV(c, 5)).toBe(mask(a.map((x, i) => x > b[i])));
    expect(getV(c, 6)).toBe(mask(a.map((x, i) => Math.abs(x) > Math.abs(b[i]))));
    expect(getV(c, 7)).toBe(mask(a.map((x) => x > 0)));
    expect(getV(c, 8)).toBe(mask(a.map((x) => x <= 0)));
    expect(getV(c, 9)).toBe(mask(a.map((x) => x < 0)));
    expect(getV(c, 10)).toBe(mask(a.map((x) => x === 0)));
  });
});

describe("SIMD FP conversions", () => {
  it("FCVTZS/FCVTZU/FCVTNS (vector, saturating), fixed-point FCVTZS, SCVTF/UCVTF", () => {
    const x = [-1.5, 3.7, 3e9, -3e9];
    const r = runV(`
      fcvtzs v3.4s, v1.4s
      fcvtzu v4.4s, v1.4s
      fcvtns v5.4s, v1.4s
      fcvtzs v6.4s, v1.4s, #4
      scvtf v7.4s, v2.4s
      ucvtf v8.4s, v2.4s
      scvtf v9.2d, v10.2d, #3
      fcvtzs d11, d12
      scvtf s13, s2
    `, { 1: f32s(...x), 2: 0xffff_fff6_0000_0010_8000_0000_0000_0007n, 10: (5n << 64n) | 0xffff_ffff_ffff_fff8n, 12: f64s(-2.9, 1) });
    const c = r.cpu;
    const i32 = (v: bigint) => [0, 1, 2, 3].map((i) => Number(BigInt.asIntN(32, v >> BigInt(32 * i))));
    const u32 = (v: bigint) => [0, 1, 2, 3].map((i) => Number((v >> BigInt(32 * i)) & 0xffffffffn));
    expect(i32(getV(c, 3))).toEqual([-1, 3, 2147483647, -2147483648]);
    expect(u32(getV(c, 4))).toEqual([0, 3, 3000000000, 0]);
    expect(i32(getV(c, 5))).toEqual([-2, 4, 2147483647, -2147483648]);
    expect(i32(getV(c, 6))).toEqual([-24, 59, 2147483647, -2147483648]);
    expect(asF32(getV(c, 7))).toEqual([7, -2147483648, 16, -10]);
    expect(asF32(getV(c, 8))).toEqual([7, 2147483648, 16, Math.fround(4294967286)]);
    expect(asF64(getV(c, 9))).toEqual([-1, 0.625]);
    expect(getV(c, 11)).toBe(0xffff_ffff_ffff_fffen);
    expect(getV(c, 13)).toBe(f32s(7, 0, 0, 0));
    expect(c.fpsr & 1).toBe(1); // IOC from the saturating conversions
  });

  it("FCVTL/FCVTL2/FCVTN/FCVTN2, including Vd = Vn", () => {
    const r = runV(`
      fcvtl v3.2d, v1.2s
      fcvtl2 v4.2d, v1.4s
      fcvtn v5.2s, v10.2d
      mov v6.16b, v1.16b
      fcvtn2 v6.4s, v10.2d
      fcvtl v1.2d, v1.2s
      fcvtn2 v10.4s, v10.2d
    `, { 1: f32s(1.5, -2, 0.1, 1e30), 10: f64s(1 / 3, -1e40), 5: -1n });
    const c = r.cpu;
    expect(asF64(getV(c, 3))).toEqual([1.5, -2]);
    expect(asF64(getV(c, 4))).toEqual([Math.fround(0.1), Math.fround(1e30)]);
    expect(asF32(getV(c, 5))).toEqual([Math.fround(1 / 3), -Infinity, 0, 0]);
    expect(asF32(getV(c, 6))).toEqual([1.5, -2, Math.fround(1 / 3), -Infinity]);
    expect(asF64(getV(c, 1))).toEqual([1.5, -2]);
    const low = asF32(f64s(1 / 3, -1e40)).slice(0, 2);
    expect(asF32(getV(c, 10))).toEqual([...low, Math.fround(1 / 3), -Infinity]);
  });
});

describe("SIMD FP by element", () => {
  it("FMUL/FMLA Vd.4S by Vm.S[i] (with Vd = Vm), FMUL 2D by D[1], scalar FMUL by element", () => {
    const r = runV(`
      fmul v3.4s, v1.4s, v2.s[3]
      mov v4.16b, v0.16b
      fmla v4.4s, v1.4s, v2.s[1]
      fmul v2.4s, v1.4s, v2.s[0]
      fmul v5.2d, v10.2d, v11.d[1]
      fmul s6, s1, v12.s[2]
      fmla d7, d10, v11.d[0]
    `, { 0: f32s(1, 1, 1, 1), 1: f32s(1, 2, 3, 4), 2: f32s(5, 6, 7, 8), 10: f64s(1.5, 2), 11: f64s(4, 0.5), 12: f32s(0, 0, 3, 0), 7: f64s(1, 99) });
    const c = r.cpu;
    expect(asF32(getV(c, 3))).toEqual([8, 16, 24, 32]);
    expect(asF32(getV(c, 4))).toEqual([7, 13, 19, 25]);
    expect(asF32(getV(c, 2))).toEqual([5, 10, 15, 20]);
    expect(asF64(getV(c, 5))).toEqual([0.75, 1]);
    expect(getV(c, 6)).toBe(f32s(3, 0, 0, 0));
    expect(getV(c, 7)).toBe(f64s(7, 0));
  });
});
