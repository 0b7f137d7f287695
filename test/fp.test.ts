// Scalar FP behaviour, one named property per test, for reading: each case
// states the bits the architecture gives (IEEE 754 facts) and is also
// checked against qemu-aarch64 with the whole register state.
import { describe, expect, it } from "vitest";
import { emuRun, FpCase, mismatches } from "./support/fpref.js";

const RP = 1 << 22, RM = 2 << 22, RZ = 3 << 22, FZ = 1 << 24, DN = 1 << 25;
const IOC = 1, DZC = 2, OFC = 4, UFC = 8, IXC = 16, IDC = 128;
const ONE = 0x3ff0000000000000n, THREE = 0x4008000000000000n, MAXD = 0x7fefffffffffffffn;
const SNAN_D = 0x7ff0000000000001n, QNAN_D = 0x7ff8000000000002n;

interface Expect { case: FpCase; low: bigint; fpsr: number }

/** Result register V0's low 64 bits (or X0 for conversions) and FPSR, on our CPU, agreeing with qemu. */
function run(e: Expect, reg: "v0" | "x0" = "v0"): void {
  expect(mismatches([e.case])).toEqual([]);
  const [o] = emuRun([e.case]);
  expect(reg === "v0" ? o.v[0] & 0xffffffffffffffffn : o.x[0]).toBe(e.low);
  expect(o.fpsr).toBe(e.fpsr);
}

const div = (fpcr: number, a: bigint, b: bigint): FpCase => ({ insn: "fdiv d0, d1, d2", fpcr, v: [0n, a, b, 0n] });

describe("rounding modes on an inexact quotient (1/3)", () => {
  it.each([
    ["RN", 0, 0x3fd5555555555555n],
    ["RP", RP, 0x3fd5555555555556n],
    ["RM", RM, 0x3fd5555555555555n],
    ["RZ", RZ, 0x3fd5555555555555n],
  ])("%s", (_n, fpcr, bits) => run({ case: div(fpcr, ONE, THREE), low: bits, fpsr: IXC }));
  it("-1/3 under RM rounds away from zero", () => run({ case: div(RM, ONE | (1n << 63n), THREE), low: 0xbfd5555555555556n, fpsr: IXC }));
});

describe("overflow depends on the rounding mode", () => {
  const mul = (fpcr: number, a: bigint): FpCase => ({ insn: "fmul d0, d1, d2", fpcr, v: [0n, a, 0x4000000000000000n, 0n] });
  it("RN: +inf", () => run({ case: mul(0, MAXD), low: 0x7ff0000000000000n, fpsr: OFC | IXC }));
  it("RZ: max normal", () => run({ case: mul(RZ, MAXD), low: MAXD, fpsr: OFC | IXC }));
  it("RM, positive: max normal", () => run({ case: mul(RM, MAXD), low: MAXD, fpsr: OFC | IXC }));
  it("RM, negative: -inf", () => run({ case: mul(RM, MAXD | (1n << 63n)), low: 0xfff0000000000000n, fpsr: OFC | IXC }));
});

describe("underflow and denormals", () => {
  const half = 0x3fe0000000000000n;
  const mul = (fpcr: number, a: bigint): FpCase => ({ insn: "fmul d0, d1, d2", fpcr, v: [0n, a, half, 0n] });
  it("exact denormal result: no UFC", () => run({ case: mul(0, 0x0000000000000002n), low: 1n, fpsr: 0 }));
  it("inexact denormal result: UFC and IXC (ties to even)", () => run({ case: mul(0, 0x0000000000000003n), low: 2n, fpsr: UFC | IXC }));
  it("FZ flushes a denormal input (IDC) ", () => run({ case: mul(FZ, 0x0000000000000003n), low: 0n, fpsr: IDC }));
  it("FZ flushes a denormal output (UFC, no IXC)", () => run({ case: mul(FZ, 0x0010000000000000n), low: 0n, fpsr: UFC }));
});

describe("NaNs", () => {
  const add = (fpcr: number, a: bigint, b: bigint): FpCase => ({ insn: "fadd d0, d1, d2", fpcr, v: [0n, a, b, 0n] });
  it("a signalling NaN wins over an earlier quiet NaN, and is quieted (IOC)", () => run({ case: add(0, QNAN_D, SNAN_D), low: 0x7ff8000000000001n, fpsr: IOC }));
  it("the first quiet NaN propagates", () => run({ case: add(0, QNAN_D, 0xfff8000000000009n), low: QNAN_D, fpsr: 0 }));
  it("DN gives the default NaN", () => run({ case: add(DN, SNAN_D, ONE), low: 0x7ff8000000000000n, fpsr: IOC }));
  it("inf - inf is invalid: default NaN, IOC", () => run({ case: add(0, 0x7ff0000000000000n, 0xfff0000000000000n), low: 0x7ff8000000000000n, fpsr: IOC }));
  it("single precision signalling NaN keeps its payload", () => run({ case: { insn: "fmul s0, s1, s2", v: [0n, 0x7f800123n, 0x3f800000n, 0n] }, low: 0x7fc00123n, fpsr: IOC }));
  it("division by zero: inf, DZC", () => run({ case: div(0, ONE, 0x8000000000000000n), low: 0xfff0000000000000n, fpsr: DZC }));
});

describe("signed zeros", () => {
  const sub = (fpcr: number): FpCase => ({ insn: "fsub d0, d1, d1", fpcr, v: [0n, ONE, 0n, 0n] });
  it("x - x is +0 in RN", () => run({ case: sub(0), low: 0n, fpsr: 0 }));
  it("x - x is -0 in RM", () => run({ case: sub(RM), low: 1n << 63n, fpsr: 0 }));
  it("sqrt(-0) = -0", () => run({ case: { insn: "fsqrt d0, d1", v: [0n, 1n << 63n, 0n, 0n] }, low: 1n << 63n, fpsr: 0 }));
});

describe("conversions to integers saturate", () => {
  const cvt = (insn: string, a: bigint): FpCase => ({ insn, v: [0n, a, 0n, 0n] });
  it("NaN -> 0 with IOC", () => run({ case: cvt("fcvtzs x0, d1", QNAN_D), low: 0n, fpsr: IOC }, "x0"));
  it("1e300 -> INT64_MAX with IOC", () => run({ case: cvt("fcvtzs x0, d1", 0x7e37e43c8800759cn), low: 0x7fffffffffffffffn, fpsr: IOC }, "x0"));
  it("-1.5 -> unsigned 0 with IOC", () => run({ case: cvt("fcvtzu w0, d1", 0xbff8000000000000n), low: 0n, fpsr: IOC }, "x0"));
  it("-0.5 -> unsigned 0, only inexact", () => run({ case: cvt("fcvtzu w0, d1", 0xbfe0000000000000n), low: 0n, fpsr: IXC }, "x0"));
  it("FCVTNS 2.5 -> 2 (ties to even), FCVTAS 2.5 -> 3 (ties away)", () => {
    run({ case: cvt("fcvtns w0, d1", 0x4004000000000000n), low: 2n, fpsr: IXC }, "x0");
    run({ case: cvt("fcvtas w0, d1", 0x4004000000000000n), low: 3n, fpsr: IXC }, "x0");
  });
  it("FCVTMS -2.5 -> -3 (as a W register: zero-extended)", () => run({ case: cvt("fcvtms w0, d1", 0xc004000000000000n), low: 0xfffffffdn, fpsr: IXC }, "x0"));
});

describe("scalar writes zero the rest of the vector register", () => {
  it("fadd s0 clears bits 32..127 of V0", () => {
    const [o] = emuRun([{ insn: "fadd s0, s1, s2", v: [(1n << 128n) - 1n, 0x3f800000n, 0x3f800000n, 0n] }]);
    expect(o.v[0]).toBe(0x40000000n);
  });
  it("fmov v0.d[1], x1 keeps the low half", () => {
    const [o] = emuRun([{ insn: "fmov v0.d[1], x1", v: [0x1234n, 0n, 0n, 0n], x: [0n, 0xabcdn] }]);
    expect(o.v[0]).toBe((0xabcdn << 64n) | 0x1234n);
  });
});

describe("unhandled encodings", () => {
  it("half precision is UNDEFINED", () => {
    const [o] = emuRun([{ insn: ".inst 0x1ee22820 // fadd h0, h1, h2" }]);
    expect(o.exit).toMatch(/^Undefined/);
  });
});
