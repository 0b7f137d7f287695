// Advanced SIMD against qemu-aarch64 (the reference CPU): the forms the
// random-encoding test (test/random/simd.ts) does not draw: scalar forms,
// by-element, shifts and narrowing by immediate, fixed-point conversions,
// FP pairwise/across, structure loads/stores with writeback, and aliasing.
// Every case runs from two seeded starting states.

import { describe, expect, it } from "vitest";
import { DiffCase, diffBatch, InitState } from "./support/diff.js";
import { values } from "./simd_support.js";

/** FP-flavoured 32-bit patterns: ordinary values, zeros, infinities, NaNs, denormals, integers. */
const F32_PATTERNS = [0x3fc00000, 0xc0100000, 0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0x7f800005, 0x00000123, 0x4f000000, 0xcf000001, 0x3effffff, 0x40490fdb, 0x5f000000, 0x3f000000, 0xbf400000];
const F64_PATTERNS = [0x3ff8000000000000n, 0xc002000000000000n, 0n, 0x8000000000000000n, 0x7ff0000000000000n, 0x7ff8000000000001n, 0x7ff0000000000002n, 0x0000000000000123n, 0x43e0000000000000n, 0xc3e0000000000001n, 0x3fdfffffffffffffn, 0x400921fb54442d18n, 0x41dfffffffc00000n, 0x3fe8000000000000n];

function intInit(seed: bigint): InitState {
  return { v: values(32, seed), x: values(31, seed + 100n).map((v) => v & 0xffff_ffff_ffff_ffffn) };
}

function fpInit(seed: number, double: boolean): InitState {
  const v: bigint[] = [];
  let k = seed;
  for (let r = 0; r < 32; r++) {
    let q = 0n;
    if (double) for (let i = 0; i < 2; i++) q |= F64_PATTERNS[(k++ * 5) % F64_PATTERNS.length] << BigInt(64 * i);
    else for (let i = 0; i < 4; i++) q |= BigInt(F32_PATTERNS[(k++ * 7) % F32_PATTERNS.length]) << BigInt(32 * i);
    v.push(q);
  }
  return { v, fpcr: seed % 3 === 2 ? 0x0040_0000 : 0 };
}

function cases(asms: string[], inits: InitState[]): DiffCase[] {
  return asms.flatMap((asm) => inits.map((init) => ({ asm, init })));
}

function expectAgree(list: DiffCase[]): void {
  const r = diffBatch(list);
  expect(r.qemuFaults).toBe(0);
  expect(r.report.slice(0, 6000)).toBe("");
}

const INT = [intInit(11n), intInit(12n)];

describe("SIMD vs qemu-aarch64", () => {
  it("scalar integer forms", () => {
    expectAgree(cases([
      "add d0, d1, d2", "sub d3, d3, d4", "cmeq d0, d1, d2", "cmeq d0, d1, d1", "cmge d5, d6, d7", "cmhi d5, d6, d7", "cmhs d8, d9, d9", "cmtst d1, d2, d3",
      "cmgt d0, d1, #0", "cmle d0, d1, #0", "cmlt d2, d3, #0", "cmeq d4, d5, #0", "abs d0, d1", "neg d2, d3",
      "sqadd b0, b1, b2", "uqadd h3, h4, h5", "sqsub s6, s7, s8", "uqsub d9, d10, d11", "sqabs h0, h1", "sqneg s2, s3",
      "sshl d0, d1, d2", "ushl d3, d4, d5", "srshl d6, d7, d8", "urshl d9, d10, d11", "sqshl b0, b1, b2", "uqrshl s3, s4, s5",
      "ushr d0, d1, #63", "sshr d2, d3, #1", "ssra d4, d5, #64", "ursra d6, d7, #17", "shl d8, d9, #13", "sli d10, d11, #40", "sri d12, d13, #7", "srshr d14, d15, #64",
      "sqshl b0, b1, #3", "uqshl h2, h3, #15", "sqshlu s4, s5, #9", "sqshl d6, d7, #62",
      "sqxtn b0, h1", "uqxtn h2, s3", "sqxtun s4, d5", "sqshrn b6, h7, #3", "uqrshrn s8, d9, #31", "sqrshrun h10, s11, #16",
      "sqdmulh h0, h1, h2", "sqrdmulh s3, s4, s5", "sqdmull s6, h7, h8", "sqdmlal d9, s10, s11", "sqdmlsl s12, h13, h14",
      "sqdmulh s15, s16, v17.s[3]", "sqrdmulh h18, h19, v15.h[7]", "sqdmull d20, s21, v22.s[1]", "sqdmlal s23, h24, v9.h[2]", "sqdmlsl d25, s26, v27.s[0]",
      "suqadd b0, b1", "usqadd d2, d3", "suqadd v4.8h, v5.8h", "usqadd v6.2d, v7.2d", "urecpe v8.4s, v9.4s", "ursqrte v10.2s, v11.2s",
      "sqdmulh v12.8h, v13.8h, v14.8h", "sqrdmulh v15.4s, v16.4s, v17.s[2]", "sqdmull2 v18.4s, v19.8h, v20.8h", "sqdmlal v21.2d, v22.2s, v23.s[3]", "sqdmlsl2 v24.4s, v25.8h, v10.h[6]",
      "addp d0, v1.2d", "mov b2, v3.b[15]", "mov h4, v5.h[3]", "mov s6, v7.s[2]", "mov d8, v9.d[1]", "dup s10, v10.s[3]",
    ], INT));
  });

  it("saturating doubling multiplies at the saturation points (QC)", () => {
    const min16 = 0x8000_8000_8000_8000_8000_8000_8000_8000n, min32 = 0x8000_0000_8000_0000_8000_0000_8000_0000n;
    const inits: InitState[] = [
      { v: [0n, min16, min16, 0x7fff_ffff_7fff_ffff_7fff_ffff_7fff_ffffn] },
      { v: [0n, min32, min32, 0x7fff_ffff_ffff_ffff_7fff_ffff_ffff_ffffn] },
    ];
    expectAgree(cases([
      "sqdmulh v0.8h, v1.8h, v2.8h", "sqrdmulh v0.4s, v1.4s, v2.4s", "sqdmull v0.4s, v1.4h, v2.4h", "sqdmull2 v0.2d, v1.4s, v2.4s",
      "sqdmlal v3.4s, v1.4h, v2.4h", "sqdmlsl v3.2d, v1.2s, v2.2s", "sqdmlal d3, s1, s2", "sqdmulh h0, h1, v2.h[3]", "suqadd v3.4s, v2.4s", "usqadd v3.8h, v1.8h",
    ], inits));
  });

  it("by-element integer multiplies and shift/narrow by immediate (vector)", () => {
    expectAgree(cases([
      "mul v0.4s, v1.4s, v2.s[3]", "mul v0.8h, v1.8h, v15.h[7]", "mla v3.4h, v4.4h, v5.h[1]", "mls v6.2s, v7.2s, v8.s[2]", "mla v9.4s, v10.4s, v9.s[0]",
      "smull v0.4s, v1.4h, v2.h[5]", "umull2 v3.2d, v4.4s, v5.s[1]", "smlal2 v6.4s, v7.8h, v8.h[2]", "umlsl v9.2d, v10.2s, v11.s[3]", "smull v12.2d, v12.2s, v12.s[1]",
      "sqshrn2 v0.16b, v1.8h, #5", "uqshrn v2.4h, v3.4s, #16", "sqrshrn v4.2s, v5.2d, #1", "uqrshrn2 v6.8h, v7.4s, #9", "sqshrun v8.8b, v9.8h, #2", "sqrshrun2 v10.4s, v11.2d, #32",
      "shrn2 v12.4s, v13.2d, #17", "rshrn v14.8b, v14.8h, #4", "sshll2 v15.2d, v16.4s, #31", "ushll v17.8h, v18.8b, #7",
      "sqshlu v19.16b, v20.16b, #6", "uqshl v21.2d, v22.2d, #63", "sqshl v23.4s, v24.4s, #0", "srsra v25.8h, v26.8h, #16", "ursra v27.2d, v28.2d, #1",
      "pmul v0.16b, v1.16b, v2.16b", "pmull2 v3.8h, v4.16b, v5.16b", "addhn2 v6.8h, v7.4s, v8.4s", "rsubhn v9.2s, v10.2d, v11.2d",
      "saddlv h0, v1.16b", "uaddlv s2, v3.8h", "uaddlv d4, v5.4s", "smaxv b6, v7.8b", "uminv h8, v9.4h", "addv s10, v11.4s",
      "zip1 v0.2d, v0.2d, v0.2d", "uzp2 v1.4h, v2.4h, v1.4h", "trn1 v3.16b, v4.16b, v3.16b", "ext v5.16b, v5.16b, v6.16b, #15",
      "tbx v7.8b, {v7.16b, v8.16b, v9.16b}, v10.8b", "tbl v11.16b, {v30.16b, v31.16b, v0.16b, v1.16b}, v2.16b",
      "ins v0.d[1], v0.d[0]", "mov v1.b[0], v1.b[15]", "smov w2, v3.h[7]", "smov x4, v5.s[3]", "umov w6, v7.b[0]", "dup v8.8b, w9", "dup v10.2d, v10.d[1]",
    ], INT));
  });

  it("FP scalar and vector forms the random test leaves out", () => {
    const single = [fpInit(1, false), fpInit(2, false)];
    const double = [fpInit(3, true), fpInit(5, true)];
    expectAgree([
      ...cases([
        "fmul v0.4s, v1.4s, v2.s[3]", "fmla v3.4s, v4.4s, v5.s[1]", "fmls v6.2s, v7.2s, v8.s[0]", "fmulx v9.4s, v10.4s, v11.s[2]", "fmla v12.4s, v13.4s, v12.s[3]",
        "fmul s0, s1, v2.s[1]", "fmla s3, s4, v5.s[3]", "fmulx s6, s7, v8.s[0]",
        "faddp s0, v1.2s", "fmaxp s2, v3.2s", "fminnmp s4, v5.2s", "fmaxnmv s6, v7.4s", "fminnmv s8, v9.4s", "fmaxv s10, v11.4s", "fminv s12, v13.4s",
        "faddp v14.4s, v15.4s, v14.4s", "fmaxnmp v16.2s, v17.2s, v18.2s", "fminp v19.4s, v20.4s, v21.4s",
        "fcmeq s0, s1, s2", "fcmge s3, s4, s5", "fcmgt s6, s7, s8", "facge s9, s10, s11", "facgt s12, s13, s14", "fabd s15, s16, s17", "fmulx s18, s19, s20",
        "frecps s21, s22, s23", "frsqrts s24, s25, s26", "frecpe s27, s28", "frsqrte s29, s30", "frecpx s31, s0",
        "fcmgt s0, s1, #0.0", "fcmge s2, s3, #0.0", "fcmeq s4, s5, #0.0", "fcmle s6, s7, #0.0", "fcmlt s8, s9, #0.0",
        "fcvtzs s0, s1", "fcvtzu s2, s3", "fcvtns s4, s5", "fcvtnu s6, s7", "fcvtms s8, s9", "fcvtmu s10, s11", "fcvtas s12, s13", "fcvtau s14, s15", "fcvtps s16, s17", "fcvtpu s18, s19",
        "scvtf s20, s21", "ucvtf s22, s23",
        "fcvtzs v0.4s, v1.4s, #1", "fcvtzu v2.2s, v3.2s, #32", "scvtf v4.4s, v5.4s, #7", "ucvtf v6.2s, v7.2s, #32", "fcvtzs s8, s9, #16", "ucvtf s10, s11, #3",
        "frintx v12.4s, v13.4s", "frinti v14.2s, v15.2s", "frinta v16.4s, v17.4s", "fcvtl v18.2d, v19.2s", "fcvtl2 v20.2d, v20.4s",
        "fmov v21.4s, #-2.5", "fmov v22.2s, #0.125",
      ], single),
      ...cases([
        "fmul v0.2d, v1.2d, v2.d[1]", "fmla v3.2d, v4.2d, v5.d[0]", "fmls v6.2d, v7.2d, v6.d[1]", "fmul d8, d9, v10.d[1]", "fmla d11, d12, v13.d[0]",
        "faddp d0, v1.2d", "fmaxp d2, v3.2d", "fminnmp d4, v5.2d", "fmaxnmp v6.2d, v7.2d, v8.2d",
        "fcmeq d0, d1, d2", "fcmgt d3, d4, #0.0", "fabd d5, d6, d7", "facgt d8, d9, d10",
        "fcvtzs d0, d1", "fcvtau d2, d3", "scvtf d4, d5", "ucvtf d6, d7", "fcvtzs v8.2d, v9.2d, #52", "ucvtf v10.2d, v11.2d, #64", "scvtf d12, d13, #1",
        "fcvtn v14.2s, v15.2d", "fcvtn2 v16.4s, v16.2d", "fcvtxn s17, d18", "fcvtxn2 v19.4s, v20.2d",
        "fsqrt v21.2d, v22.2d", "frintm v23.2d, v24.2d", "frecpe v25.2d, v26.2d", "fdiv v27.2d, v28.2d, v29.2d", "fmov v30.2d, #3.0",
      ], double),
    ]);
  });

  it("half-precision FCVTL/FCVTN under IEEE and alternative (AHP) formats, DN and FZ", () => {
    const inits = [0, 0x0400_0000, 0x0200_0000, 0x0580_0000].flatMap((fpcr, k) => [fpInit(7 + k, false), intInit(BigInt(40 + k))].map((i) => ({ ...i, fpcr })));
    expectAgree(cases(["fcvtl v0.4s, v1.4h", "fcvtl2 v2.4s, v2.8h", "fcvtn v3.4h, v4.4s", "fcvtn2 v5.8h, v5.4s"], inits));
  });

  it("structure loads and stores with writeback", () => {
    const scratch = new Uint8Array(1024).map((_, i) => (i * 37 + 11) & 0xff);
    const mem = (seed: bigint): InitState => ({
      ...intInit(seed), scratch,
      x: [0n, 0n, 0n, 24n, 0n, 0n, 0n, 0n, -16n],
      scratchRegs: [{ reg: 0, offset: 64 }, { reg: 1, offset: 517 }, { reg: 2, offset: 300 }],
    });
    expectAgree(cases([
      "ld1 {v0.16b}, [x0]", "ld1 {v1.8b, v2.8b}, [x1], #16", "ld1 {v3.4s, v4.4s, v5.4s}, [x0], x3", "ld1 {v30.2d, v31.2d, v0.2d, v1.2d}, [x1]",
      "ld2 {v0.8h, v1.8h}, [x0], #32", "ld2 {v2.2s, v3.2s}, [x1]", "ld3 {v4.16b, v5.16b, v6.16b}, [x0], x8", "ld3 {v7.4h, v8.4h, v9.4h}, [x1], #24",
      "ld4 {v10.2d, v11.2d, v12.2d, v13.2d}, [x0]", "ld4 {v14.8b, v15.8b, v16.8b, v17.8b}, [x1], x3",
      "st1 {v0.16b, v1.16b}, [x2], #32", "st1 {v2.1d, v3.1d, v4.1d}, [x2]", "st2 {v5.4s, v6.4s}, [x2], x3", "st3 {v7.8h, v8.8h, v9.8h}, [x2]",
      "st4 {v10.16b, v11.16b, v12.16b, v13.16b}, [x2], #64", "st4 {v28.4h, v29.4h, v30.4h, v31.4h}, [x1]",
      "ld1 {v0.b}[15], [x1]", "ld1 {v1.h}[3], [x0], #2", "ld2 {v2.s, v3.s}[1], [x1], x3", "ld3 {v4.d, v5.d, v6.d}[1], [x0]", "ld4 {v7.b, v8.b, v9.b, v10.b}[9], [x1], #4",
      "st1 {v11.d}[0], [x2], #8", "st2 {v12.h, v13.h}[7], [x1]", "st3 {v14.s, v15.s, v16.s}[2], [x2], x8", "st4 {v17.b, v18.b, v19.b, v20.b}[0], [x2]",
      "ld1r {v21.16b}, [x1]", "ld1r {v22.4h}, [x0], #2", "ld2r {v23.2d, v24.2d}, [x1], x3", "ld3r {v25.2s, v26.2s, v27.2s}, [x0]", "ld4r {v28.8h, v29.8h, v30.8h, v31.8h}, [x1], #8",
    ], [mem(21n), mem(22n)]));
  });
});
