// fpu.ts functions that only Advanced SIMD instructions use (FMULX, FABD,
// FRECPS, FRSQRTS, FCMxx/FACxx predicates, FCVTXN), called directly on
// register elements and compared with qemu-aarch64 running the scalar
// Advanced SIMD form of each instruction.
import { describe, expect, it } from "vitest";
import { CpuState } from "../emulator/cpu/state.js";
import * as fpu from "../emulator/cpu/fpu.js";
import { FpCase, qemuRun } from "./support/fpref.js";

const RP = 1 << 22, RM = 2 << 22, FZ = 1 << 24, DN = 1 << 25;
const MODES = [0, RP, RM, FZ, DN];
const D = [0n, 1n << 63n, 0x3ff0000000000000n, 0xbff8000000000000n, 0x4008000000000000n, 0x3fd5555555555555n, 0x0010000000000000n,
  0x7fefffffffffffffn, 0x0000000000000003n, 0x800fffffffffffffn, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000005n,
  0xfff8000000000006n, 0x7ff0000000000007n, 0x5fe0000000000001n, 0x1ff0000000000001n];
const S = [0n, 0x80000000n, 0x3f800000n, 0xbfc00000n, 0x40400000n, 0x3eaaaaabn, 0x00800000n, 0x7f7fffffn, 0x00000003n, 0x807fffffn,
  0x7f800000n, 0xff800000n, 0x7fc00005n, 0xffc00006n, 0x7f800007n, 0x5f000001n, 0x1f800001n];

type Apply = (c: CpuState, size: 32 | 64) => void;

/** Run `insn` (writing V0 as a scalar of `size`) on qemu and `apply` on a fresh CpuState; compare V0 and FPSR. */
function compare(insn: string, size: 32 | 64, apply: Apply, unary = false): void {
  const vals = size === 32 ? S : D;
  const cases: FpCase[] = [];
  for (const fpcr of MODES) for (const a of vals) for (const b of unary ? [0n] : vals) cases.push({ insn, fpcr, v: [0n, a, b, 0n] });
  const ref = qemuRun(cases);
  const bad: string[] = [];
  cases.forEach((k, i) => {
    const c = new CpuState(0);
    c.vd[2] = k.v![1];
    c.vd[4] = k.v![2];
    c.fpcr = k.fpcr!;
    apply(c, size);
    if (size === 32) c.vw[1] = 0;
    c.vd[1] = 0n;
    const got = c.vd[0], want = ref[i].v[0];
    if ((got !== want || c.fpsr !== ref[i].fpsr) && bad.length < 10) {
      bad.push(`${insn} fpcr=${k.fpcr!.toString(16)} a=${k.v![1].toString(16)} b=${k.v![2].toString(16)}: ours ${got.toString(16)}/${c.fpsr.toString(16)} qemu ${want.toString(16)}/${ref[i].fpsr.toString(16)}`);
    }
  });
  expect(bad).toEqual([]);
}

const el = (size: 32 | 64, r: number): number => (size === 32 ? 4 * r : 2 * r);
const bin = (fn: (c: CpuState, size: 32 | 64, d: number, n: number, m: number) => void): Apply => (c, size) => fn(c, size, 0, el(size, 1), el(size, 2));

describe("SIMD-only FP element operations vs qemu", () => {
  for (const size of [32, 64] as const) {
    const r = size === 32 ? "s" : "d";
    it(`fmulx ${r}`, () => compare(`fmulx ${r}0, ${r}1, ${r}2`, size, bin(fpu.fmulx)));
    it(`fabd ${r}`, () => compare(`fabd ${r}0, ${r}1, ${r}2`, size, bin(fpu.fabd)));
    it(`frecps ${r}`, () => compare(`frecps ${r}0, ${r}1, ${r}2`, size, bin(fpu.frecps)));
    it(`frsqrts ${r}`, () => compare(`frsqrts ${r}0, ${r}1, ${r}2`, size, bin(fpu.frsqrts)));
    it(`fcmeq/fcmge/fcmgt ${r}`, () => {
      compare(`fcmeq ${r}0, ${r}1, ${r}2`, size, bin(fpu.fcmeq));
      compare(`fcmge ${r}0, ${r}1, ${r}2`, size, bin(fpu.fcmge));
      compare(`fcmgt ${r}0, ${r}1, ${r}2`, size, bin(fpu.fcmgt));
    });
    it(`facge/facgt ${r}`, () => {
      compare(`facge ${r}0, ${r}1, ${r}2`, size, bin(fpu.facge));
      compare(`facgt ${r}0, ${r}1, ${r}2`, size, bin(fpu.facgt));
    });
    it(`compares with #0.0 ${r} (negative index = +0.0)`, () => {
      compare(`fcmeq ${r}0, ${r}1, #0.0`, size, (c) => fpu.fcmeq(c, size, 0, el(size, 1), -1), true);
      compare(`fcmle ${r}0, ${r}1, #0.0`, size, (c) => fpu.fcmge(c, size, 0, -1, el(size, 1)), true);
      compare(`fcmlt ${r}0, ${r}1, #0.0`, size, (c) => fpu.fcmgt(c, size, 0, -1, el(size, 1)), true);
    });
  }
  it("fcvtxn s0, d1 (round to odd)", () => compare("fcvtxn s0, d1", 64, (c) => fpu.fcvt(c, 64, 32, 0, 2, fpu.RO), true));
});

describe("estimates vs qemu", () => {
  for (const size of [32, 64] as const) {
    const r = size === 32 ? "s" : "d";
    const extra = size === 32
      ? [0x00400000n, 0x00200001n, 0x00000001n, 0x7e800000n, 0x7effffffn, 0x7f000000n, 0x3fffffffn, 0x3f7fffffn, 0x40800000n, 0xc0000000n, 0x00100000n]
      : [0x0008000000000000n, 0x0004000000000001n, 0x0000000000000001n, 0x7fd0000000000000n, 0x7fcfffffffffffffn, 0x7fe0000000000000n, 0x3fffffffffffffffn, 0x3fefffffffffffffn, 0x4010000000000000n, 0xc000000000000000n, 0x0002000000000000n];
    const run = (insn: string, fn: (c: CpuState, size: 32 | 64, d: number, n: number) => void): void => {
      const vals = [...(size === 32 ? S : D), ...extra];
      for (let i = 0; i < 64; i++) vals.push(size === 32 ? BigInt((0x3f800000 + i * 0x1fd11) >>> 0) : 0x3ff0000000000000n + BigInt(i) * 0x3fd1100000000n);
      const cases: FpCase[] = [];
      for (const fpcr of [0, RP, RM, 3 << 22, FZ, DN]) for (const a of vals) cases.push({ insn, fpcr, v: [0n, a, 0n, 0n] });
      const ref = qemuRun(cases);
      const bad: string[] = [];
      cases.forEach((k, i) => {
        const c = new CpuState(0);
        c.vd[2] = k.v![1];
        c.fpcr = k.fpcr!;
        fn(c, size, 0, el(size, 1));
        if (size === 32) c.vw[1] = 0;
        c.vd[1] = 0n;
        if ((c.vd[0] !== ref[i].v[0] || c.fpsr !== ref[i].fpsr) && bad.length < 10) {
          bad.push(`${insn} fpcr=${k.fpcr!.toString(16)} a=${k.v![1].toString(16)}: ours ${c.vd[0].toString(16)}/${c.fpsr.toString(16)} qemu ${ref[i].v[0].toString(16)}/${ref[i].fpsr.toString(16)}`);
        }
      });
      expect(bad).toEqual([]);
    };
    it(`frecpe ${r}`, () => run(`frecpe ${r}0, ${r}1`, fpu.frecpe));
    it(`frsqrte ${r}`, () => run(`frsqrte ${r}0, ${r}1`, fpu.frsqrte));
    it(`frecpx ${r}`, () => run(`frecpx ${r}0, ${r}1`, fpu.frecpx));
  }
});
