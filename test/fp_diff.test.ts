// Scalar FP instructions against qemu-aarch64: every case runs on our CPU and
// on qemu, and V0..V3, X0..X3, FPSR and NZCV must agree bit for bit.
// Operands cover signed zeros, denormals, min/max normals, infinities, quiet
// and signalling NaNs with payloads, and values whose results are inexact,
// under each rounding mode and with FPCR.FZ / FPCR.DN.
import { describe, expect, it } from "vitest";
import { FpCase, mismatches } from "./support/fpref.js";

const D = [
  0x0000000000000000n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n,
  0x3fd5555555555555n, 0x4008000000000000n, 0x0010000000000000n, 0x7fefffffffffffffn,
  0xffefffffffffffffn, 0x0000000000000001n, 0x000fffffffffffffn, 0x8000000000000003n,
  0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000123n, 0xfff8000000000456n,
  0x7ff0000000000789n, 0xfff0000000000abcn, 0x3ff0000000000001n, 0xc00921fb54442d18n,
  0x7e37e43c8800759cn, 0x01a56e1fc2f8f359n, 0x43e0000000000000n, 0xc1e0000000200000n,
];
const S = [
  0x00000000n, 0x80000000n, 0x3f800000n, 0xbf800000n, 0x3eaaaaabn, 0x40400000n, 0x00800000n, 0x7f7fffffn,
  0xff7fffffn, 0x00000001n, 0x007fffffn, 0x80000003n, 0x7f800000n, 0xff800000n, 0x7fc00123n, 0xffc00456n,
  0x7f800789n, 0xff800abcn, 0x3f800001n, 0xc0490fdbn, 0x5f800000n, 0x1f800000n, 0x4f000000n, 0xcf000001n,
];
const RP = 1 << 22, RM = 2 << 22, RZ = 3 << 22, FZ = 1 << 24, DN = 1 << 25;
const MODES = [0, RP, RM, RZ, FZ, DN, FZ | DN | RM];

const JUNK = 0xa5a5a5a55a5a5a5af0f0f0f00f0f0f0fn;
/** A 128-bit register whose low `size` bits hold `bits` and the rest junk. */
function reg(size: 32 | 64, bits: bigint): bigint {
  const mask = (1n << BigInt(size)) - 1n;
  return (JUNK & ~mask) | (bits & mask);
}

function check(cases: FpCase[]): void {
  expect(mismatches(cases)).toEqual([]);
}

/** Deterministic pseudo-random 64-bit values (xorshift). */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return s;
  };
}

/** Random encodings of `size` with the exponent drawn near the middle or the edges. */
function randomValues(size: 32 | 64, count: number, seed: bigint): bigint[] {
  const r = rng(seed);
  const out: bigint[] = [];
  const E = size === 32 ? 8 : 11, F = size === 32 ? 23 : 52;
  const bias = (1 << (E - 1)) - 1;
  for (let i = 0; i < count; i++) {
    const v = r();
    const pick = Number(v & 7n);
    let e: number;
    if (pick < 5) e = bias + Number((v >> 3n) % 40n) - 20;
    else if (pick === 5) e = Number((v >> 3n) % 4n); // denormals and the smallest normals
    else e = (1 << E) - 2 - Number((v >> 3n) % 3n); // near overflow
    const frac = (v >> 11n) & ((1n << BigInt(F)) - 1n);
    const sign = (v >> 63n) & 1n;
    out.push((sign << BigInt(size - 1)) | (BigInt(e) << BigInt(F)) | (pick === 7 ? frac & ~0xffn : frac));
  }
  return out;
}

const BINARY = ["fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fnmul"];

describe("scalar FP two-operand arithmetic vs qemu", () => {
  for (const op of BINARY) {
    for (const size of [32, 64] as const) {
      it(`${op} ${size === 32 ? "S" : "D"}: special values x every FPCR mode`, () => {
        const vals = size === 32 ? S : D;
        const r = size === 32 ? "s" : "d";
        const cases: FpCase[] = [];
        for (const fpcr of MODES) {
          for (const a of vals) for (const b of vals) cases.push({ insn: `${op} ${r}0, ${r}1, ${r}2`, fpcr, v: [JUNK, reg(size, a), reg(size, b), JUNK] });
        }
        check(cases);
      });
      it(`${op} ${size === 32 ? "S" : "D"}: random operands, aliased registers`, () => {
        const r = size === 32 ? "s" : "d";
        const xs = randomValues(size, 400, 0x9e3779b97f4a7c15n + BigInt(op.length * size));
        const cases: FpCase[] = [];
        for (let i = 0; i + 1 < xs.length; i += 2) {
          const fpcr = MODES[i % MODES.length];
          cases.push({ insn: `${op} ${r}1, ${r}1, ${r}2`, fpcr, v: [JUNK, reg(size, xs[i]), reg(size, xs[i + 1]), JUNK] });
          cases.push({ insn: `${op} ${r}3, ${r}1, ${r}1`, fpcr, v: [JUNK, reg(size, xs[i]), reg(size, xs[i + 1]), JUNK] });
        }
        check(cases);
      });
    }
  }
});

describe("scalar FP one-operand ops vs qemu", () => {
  const ONE = ["fsqrt", "fabs", "fneg", "fmov", "frintn", "frintp", "frintm", "frintz", "frinta", "frintx", "frinti"];
  for (const op of ONE) {
    for (const size of [32, 64] as const) {
      it(`${op} ${size === 32 ? "S" : "D"}`, () => {
        const r = size === 32 ? "s" : "d";
        const extra = size === 32 ? [0x3fc00000n, 0xbfc00000n, 0x40200000n, 0x3f000000n, 0xbf000000n, 0x4b000001n, 0x3effffffn] : [0x3ff8000000000000n, 0xbff8000000000000n, 0x4004000000000000n, 0x3fe0000000000000n, 0xbfe0000000000000n, 0x4330000000000001n, 0x3fdfffffffffffffn];
        const vals = [...(size === 32 ? S : D), ...extra, ...randomValues(size, 60, 77n)];
        const cases: FpCase[] = [];
        for (const fpcr of MODES) for (const a of vals) cases.push({ insn: `${op} ${r}0, ${r}1`, fpcr, v: [JUNK, reg(size, a), JUNK, JUNK] });
        check(cases);
      });
    }
  }
});

describe("fused multiply-add vs qemu", () => {
  for (const op of ["fmadd", "fmsub", "fnmadd", "fnmsub"]) {
    for (const size of [32, 64] as const) {
      it(`${op} ${size === 32 ? "S" : "D"}`, () => {
        const r = size === 32 ? "s" : "d";
        const base = (size === 32 ? S : D).filter((_, i) => i % 2 === 0 || i >= 14);
        const cases: FpCase[] = [];
        for (const fpcr of [0, RM, FZ | DN]) {
          for (const a of base) for (const b of base) for (const c of [base[0], base[2], base[7], base[8], base[12], base[9], base[7]]) {
            cases.push({ insn: `${op} ${r}0, ${r}1, ${r}2, ${r}3`, fpcr, v: [JUNK, reg(size, a), reg(size, b), reg(size, c)] });
          }
        }
        // Random triples, and addends that nearly cancel the product.
        const xs = randomValues(size, 600, 12345n + BigInt(size));
        for (let i = 0; i + 2 < xs.length; i += 3) {
          const fpcr = MODES[i % MODES.length];
          cases.push({ insn: `${op} ${r}0, ${r}1, ${r}2, ${r}3`, fpcr, v: [JUNK, reg(size, xs[i]), reg(size, xs[i + 1]), reg(size, xs[i + 2])] });
          cases.push({ insn: `${op} ${r}3, ${r}1, ${r}1, ${r}3`, fpcr, v: [JUNK, reg(size, xs[i]), JUNK, reg(size, xs[i] ^ 1n)] });
        }
        check(cases);
      });
    }
  }
});

describe("fused multiply-add: addends that cancel the product", () => {
  const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);
  const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
  const asD = (b: bigint): number => ((u64[0] = b), f64[0]);
  const bitsD = (x: number): bigint => ((f64[0] = x), u64[0]);
  const asS = (b: bigint): number => ((u32[0] = Number(b)), f32[0]);
  const bitsS = (x: number): bigint => ((f32[0] = x), BigInt(u32[0]));
  for (const size of [32, 64] as const) {
    it(`fmsub/fmadd ${size === 32 ? "S" : "D"} with a = +-round(n*m) and neighbours`, () => {
      const r = size === 32 ? "s" : "d";
      const xs = randomValues(size, 300, 4242n + BigInt(size));
      const cases: FpCase[] = [];
      for (let i = 0; i + 1 < xs.length; i += 2) {
        const p = size === 32 ? bitsS(Math.fround(asS(xs[i]) * asS(xs[i + 1]))) : bitsD(asD(xs[i]) * asD(xs[i + 1]));
        for (const a of [p, p + 1n, p - 1n]) {
          const fpcr = [0, RP, RM, RZ][i % 4];
          cases.push({ insn: `fmsub ${r}0, ${r}1, ${r}2, ${r}3`, fpcr, v: [JUNK, reg(size, xs[i]), reg(size, xs[i + 1]), reg(size, a)] });
          cases.push({ insn: `fnmadd ${r}0, ${r}1, ${r}2, ${r}3`, fpcr: 0, v: [JUNK, reg(size, xs[i]), reg(size, xs[i + 1]), reg(size, a)] });
        }
      }
      check(cases);
    });
  }
});

describe("compares and selects vs qemu", () => {
  for (const size of [32, 64] as const) {
    const r = size === 32 ? "s" : "d";
    const vals = size === 32 ? S : D;
    it(`fcmp/fcmpe ${r} (register and #0.0)`, () => {
      const cases: FpCase[] = [];
      for (const fpcr of [0, FZ]) {
        for (const a of vals) {
          for (const b of vals) {
            cases.push({ insn: `fcmp ${r}1, ${r}2`, fpcr, v: [JUNK, reg(size, a), reg(size, b), JUNK] });
            cases.push({ insn: `fcmpe ${r}1, ${r}2`, fpcr, v: [JUNK, reg(size, a), reg(size, b), JUNK] });
          }
          cases.push({ insn: `fcmp ${r}1, #0.0`, fpcr, v: [JUNK, reg(size, a), JUNK, JUNK] });
          cases.push({ insn: `fcmpe ${r}1, #0.0`, fpcr, v: [JUNK, reg(size, a), JUNK, JUNK] });
        }
      }
      check(cases);
    });
    it(`fccmp/fccmpe/fcsel ${r}`, () => {
      const cases: FpCase[] = [];
      for (const nzcv of [0, 0x40000000, 0x80000000, 0x30000000]) {
        for (const a of vals.slice(0, 18)) {
          for (const b of [vals[2], vals[14], vals[16]]) {
            cases.push({ insn: `fccmp ${r}1, ${r}2, #0b1010, eq`, nzcv, v: [JUNK, reg(size, a), reg(size, b), JUNK] });
            cases.push({ insn: `fccmpe ${r}1, ${r}2, #0b0101, mi`, nzcv, v: [JUNK, reg(size, a), reg(size, b), JUNK] });
            cases.push({ insn: `fcsel ${r}0, ${r}1, ${r}2, ge`, nzcv, v: [JUNK, reg(size, a), reg(size, b), JUNK] });
          }
        }
      }
      check(cases);
    });
  }
});

describe("conversions vs qemu", () => {
  const INT_OPS = ["fcvtzs", "fcvtzu", "fcvtns", "fcvtnu", "fcvtas", "fcvtau", "fcvtms", "fcvtmu", "fcvtps", "fcvtpu"];
  for (const size of [32, 64] as const) {
    const r = size === 32 ? "s" : "d";
    const extra = size === 32
      ? [0x3fc00000n, 0xbfc00000n, 0x40200000n, 0x3f000000n, 0xbf000000n, 0x4effffffn, 0xcf000000n, 0x4f800000n, 0x5effffffn, 0xdf000000n, 0x5f000000n, 0xbf7fffffn]
      : [0x3ff8000000000000n, 0xbff8000000000000n, 0x4004000000000000n, 0x3fe0000000000000n, 0xbfe0000000000000n, 0x41dfffffffc00000n, 0x41dfffffffe00000n, 0xc1e0000000000000n, 0x41efffffffe00000n, 0x43dfffffffffffffn, 0xc3e0000000000000n, 0x43f0000000000000n, 0x4330000000000001n, 0xbfefffffffffffffn];
    const vals = [...(size === 32 ? S : D), ...extra, ...randomValues(size, 40, 99n)];
    it(`fp -> int ${r} (all roundings, W and X, saturation)`, () => {
      const cases: FpCase[] = [];
      for (const op of INT_OPS) for (const a of vals) {
        cases.push({ insn: `${op} w0, ${r}1`, fpcr: FZ, v: [JUNK, reg(size, a), JUNK, JUNK] });
        cases.push({ insn: `${op} x0, ${r}1`, v: [JUNK, reg(size, a), JUNK, JUNK] });
      }
      check(cases);
    });
    it(`fp -> fixed point ${r}`, () => {
      const cases: FpCase[] = [];
      for (const a of vals) for (const [dst, fb] of [["w0", 1], ["w0", 31], ["x0", 3], ["x0", 64], ["w0", 32]] as const) {
        cases.push({ insn: `fcvtzs ${dst}, ${r}1, #${fb}`, v: [JUNK, reg(size, a), JUNK, JUNK] });
        cases.push({ insn: `fcvtzu ${dst}, ${r}1, #${fb}`, v: [JUNK, reg(size, a), JUNK, JUNK] });
      }
      check(cases);
    });
    it(`int/fixed -> fp ${r} (every rounding mode)`, () => {
      const ints = [0n, 1n, 3n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0x1000001n, 0x20000003n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0x20000000000001n, 0x1fffffffffffffn, 0x7ffffe8000000000n, 0xfffffe8000000001n, ...randomValues(64, 20, 5n)];
      const cases: FpCase[] = [];
      for (const fpcr of [0, RP, RM, RZ]) for (const x of ints) {
        for (const op of ["scvtf", "ucvtf"]) {
          cases.push({ insn: `${op} ${r}0, w1`, fpcr, x: [0n, x] });
          cases.push({ insn: `${op} ${r}0, x1`, fpcr, x: [0n, x] });
          cases.push({ insn: `${op} ${r}0, x1, #64`, fpcr, x: [0n, x] });
          cases.push({ insn: `${op} ${r}0, w1, #7`, fpcr, x: [0n, x] });
        }
      }
      check(cases);
    });
  }
  it("fcvt single <-> double (NaN payloads, rounding, FZ, DN)", () => {
    const cases: FpCase[] = [];
    const ds = [...D, ...randomValues(64, 80, 3n), 0x36a0000000000000n, 0x36a0000000000001n, 0x3690000000000000n, 0x380fffffffffffffn, 0x47efffffe0000000n, 0x47efffffefffffffn, 0x47effffff0000000n];
    for (const fpcr of MODES) {
      for (const a of ds) cases.push({ insn: "fcvt s0, d1", fpcr, v: [JUNK, reg(64, a), JUNK, JUNK] });
      for (const a of S) cases.push({ insn: "fcvt d0, s1", fpcr, v: [JUNK, reg(32, a), JUNK, JUNK] });
    }
    check(cases);
  });
});

describe("moves vs qemu", () => {
  it("fmov between general and FP registers, D[1], immediates", () => {
    const cases: FpCase[] = [];
    const insns = ["fmov w0, s1", "fmov x0, d1", "fmov s0, w1", "fmov d0, x1", "fmov x0, v1.d[1]", "fmov v0.d[1], x1", "fmov s0, s1", "fmov d0, d1",
      "fmov s0, #1.0", "fmov d0, #-2.5", "fmov s0, #0.125", "fmov d0, #31.0", "fmov s0, #-1.9375", "fmov d0, #0.1875", "fmov s0, wzr", "fmov d0, xzr"];
    for (const insn of insns) cases.push({ insn, v: [JUNK, 0x0123456789abcdef7ff0000000000789n, JUNK, JUNK], x: [0n, 0xfedcba9876543210n] });
    check(cases);
  });
});

describe("FPSR accumulation vs qemu", () => {
  it("flags from a sequence accumulate (a second op does not clear the first's)", () => {
    const cases: FpCase[] = [
      { insn: "fdiv d0, d1, d2\nfadd d3, d1, d1", v: [JUNK, reg(64, D[2]), reg(64, 0n), JUNK] },
      { insn: "fsqrt s0, s1\nfmul s3, s2, s2", v: [JUNK, reg(32, S[3]), reg(32, S[7]), JUNK] },
      { insn: "fcvtzs w0, d1\nfadd d3, d1, d2", v: [JUNK, reg(64, D[16]), reg(64, D[4]), JUNK] },
    ];
    check(cases);
  });
});
