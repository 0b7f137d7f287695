// Advanced SIMD moves and permutes: DUP/INS/UMOV/SMOV, MOVI and friends,
// ZIP/UZP/TRN, EXT, TBL/TBX, with expected values built from the lane
// definitions in the Arm ARM.

import { describe, expect, it } from "vitest";
import { getV, join, lanes, runV, values } from "./simd_support.js";

const [A, B, C, D, E] = values(11, 3n).slice(6);
const LOW = (1n << 64n) - 1n;

describe("SIMD copy", () => {
  it("DUP element/general, INS element/general, UMOV/SMOV", () => {
    const r = runV(`
      dup v3.16b, v1.b[9]
      dup v4.4h, v1.h[6]
      dup v5.2d, v1.d[1]
      dup v6.4s, w0
      dup v7.2d, x0
      mov v8.16b, v2.16b
      mov v8.s[2], v1.s[1]
      mov v9.16b, v2.16b
      mov v9.h[7], w0
      umov w1, v1.b[15]
      umov x2, v1.d[1]
      smov x3, v1.h[3]
      smov w4, v1.b[7]
      mov w5, v1.s[2]
      mov s10, v1.s[3]
      mov d11, v1.d[1]
    `, { 1: A, 2: B, 10: C, 11: C }, (c) => { c.x[0] = 0x8899aabbccddeeffn; c.x[4] = -1n; });
    const c = r.cpu;
    const b = lanes(A, 8), h = lanes(A, 16), w = lanes(A, 32), d = lanes(A, 64);
    expect(getV(c, 3)).toBe(join(Array(16).fill(b[9]), 8));
    expect(getV(c, 4)).toBe(join(Array(4).fill(h[6]), 16));
    expect(getV(c, 5)).toBe(join([d[1], d[1]], 64));
    expect(getV(c, 6)).toBe(join(Array(4).fill(0xccddeeffn), 32));
    expect(getV(c, 7)).toBe(join([0x8899aabbccddeeffn, 0x8899aabbccddeeffn], 64));
    const bw = lanes(B, 32);
    expect(getV(c, 8)).toBe(join([bw[0], bw[1], w[1], bw[3]], 32));
    const bh = lanes(B, 16);
    expect(getV(c, 9)).toBe(join([...bh.slice(0, 7), 0xeeffn], 16));
    expect(c.x[1]).toBe(b[15]);
    expect(c.x[2]).toBe(d[1]);
    expect(c.x[3]).toBe(BigInt.asUintN(64, BigInt.asIntN(16, h[3])));
    expect(c.x[4]).toBe(BigInt.asUintN(32, BigInt.asIntN(8, b[7])));
    expect(c.x[5]).toBe(w[2]);
    expect(getV(c, 10)).toBe(w[3]);
    expect(getV(c, 11)).toBe(d[1]);
  });
});

describe("SIMD modified immediate", () => {
  it("MOVI/MVNI/ORR/BIC for every cmode, MOVI byte mask, FMOV vector", () => {
    const r = runV(`
      movi v0.4s, #0xab, lsl #16
      movi v1.8h, #0x12, lsl #8
      movi v2.2s, #0x34, msl #16
      movi v3.16b, #0xe5
      movi d4, #0xff00ff0000ffff00
      movi v5.2d, #0x00ff0000000000ff
      mvni v6.4s, #0x10, lsl #24
      mvni v7.4h, #0x80
      orr v8.4s, #0x1, lsl #8
      bic v9.8h, #0xff
      fmov v10.4s, #1.5
      fmov v11.2d, #-0.125
      fmov v12.2s, #31.0
      mvni v13.2s, #0x7f, msl #8
    `, { 8: A, 9: B, 4: C, 12: C });
    const c = r.cpu;
    const rep = (v: bigint, bits: number) => join(Array(128 / bits).fill(v), bits);
    expect(getV(c, 0)).toBe(rep(0xab0000n, 32));
    expect(getV(c, 1)).toBe(rep(0x1200n, 16));
    expect(getV(c, 2)).toBe(rep(0x34ffffn, 32) & LOW);
    expect(getV(c, 3)).toBe(rep(0xe5n, 8));
    expect(getV(c, 4)).toBe(0xff00ff0000ffff00n);
    expect(getV(c, 5)).toBe(rep(0x00ff0000000000ffn, 64));
    expect(getV(c, 6)).toBe(rep(0xefffffffn, 32));
    expect(getV(c, 7)).toBe(rep(0xff7fn, 16) & LOW);
    expect(getV(c, 8)).toBe(join(lanes(A, 32).map((x) => x | 0x100n), 32));
    expect(getV(c, 9)).toBe(join(lanes(B, 16).map((x) => x & 0xff00n), 16));
    expect(getV(c, 10)).toBe(rep(0x3fc00000n, 32));
    expect(getV(c, 11)).toBe(rep(0xbfc0000000000000n, 64));
    expect(getV(c, 12)).toBe(rep(0x41f80000n, 32) & LOW);
    expect(getV(c, 13)).toBe(rep(0xffff8000n, 32) & LOW);
  });
});

describe("SIMD permutes, EXT, TBL/TBX", () => {
  it("ZIP/UZP/TRN in several arrangements, including Vd = Vn", () => {
    const cases: [string, number, boolean, (n: bigint[], m: bigint[]) => bigint[]][] = [
      ["zip1", 8, true, (n, m) => n.slice(0, 8).flatMap((x, i) => [x, m[i]])],
      ["zip2", 16, true, (n, m) => n.slice(4).flatMap((x, i) => [x, m[i + 4]])],
      ["uzp1", 32, true, (n, m) => [n[0], n[2], m[0], m[2]]],
      ["uzp2", 8, false, (n, m) => [1, 3, 5, 7].map((i) => n[i]).concat([1, 3, 5, 7].map((i) => m[i]))],
      ["trn1", 16, false, (n, m) => [n[0], m[0], n[2], m[2]]],
      ["trn2", 64, true, (n, m) => [n[1], m[1]]],
      ["zip1", 32, false, (n, m) => [n[0], m[0]]],
    ];
    const arr: Record<number, string> = { 8: "b", 16: "h", 32: "s", 64: "d" };
    for (const [op, bits, q, f] of cases) {
      const t = `${(q ? 128 : 64) / bits}${arr[bits]}`;
      const count = (q ? 128 : 64) / bits;
      const want = join(f(lanes(A, bits, count), lanes(B, bits, count)), bits);
      for (const asm of [`${op} v0.${t}, v1.${t}, v2.${t}`, `${op} v1.${t}, v1.${t}, v2.${t}`]) {
        const r = runV(asm, { 0: C, 1: A, 2: B });
        expect(getV(r.cpu, asm.startsWith(`${op} v0`) ? 0 : 1), asm).toBe(want);
      }
    }
  });

  it("EXT takes bytes from Vn then Vm (Q and D forms, aliasing)", () => {
    const r = runV("ext v0.16b, v1.16b, v2.16b, #5\next v3.8b, v1.8b, v2.8b, #3\next v1.16b, v1.16b, v1.16b, #8", { 1: A, 2: B });
    const a = lanes(A, 8), b = lanes(B, 8);
    expect(getV(r.cpu, 0)).toBe(join([...a, ...b].slice(5, 21), 8));
    expect(getV(r.cpu, 3)).toBe(join([...a.slice(0, 8), ...b.slice(0, 8)].slice(3, 11), 8));
    expect(getV(r.cpu, 1)).toBe(join([...a.slice(8), ...a.slice(0, 8)], 8));
  });

  it("TBL/TBX with 1-4 table registers, wrapping at V31, out of range indices", () => {
    const idx = join([0, 17, 33, 63, 64, 255, 5, 48, 31, 47, 2, 16, 32, 15, 62, 1].map(BigInt), 8);
    const tab = [A, B, C, D];
    const bytes = tab.flatMap((v) => lanes(v, 8));
    for (let regs = 1; regs <= 4; regs++) {
      const list = Array.from({ length: regs }, (_, k) => `v${(30 + k) % 32}.16b`).join(", ");
      const pre: Record<number, bigint> = { 10: E, 5: idx, 6: E };
      for (let k = 0; k < regs; k++) pre[(30 + k) % 32] = tab[k];
      const r = runV(`tbl v10.16b, {${list}}, v5.16b\ntbx v6.16b, {${list}}, v5.16b\ntbl v7.8b, {${list}}, v5.8b`, pre);
      const sel = (fallback: bigint[]) => lanes(idx, 8).map((i, k) => (i < BigInt(16 * regs) ? bytes[Number(i)] : fallback[k]));
      expect(getV(r.cpu, 10), `tbl ${regs}`).toBe(join(sel(Array(16).fill(0n)), 8));
      expect(getV(r.cpu, 6), `tbx ${regs}`).toBe(join(sel(lanes(E, 8)), 8));
      expect(getV(r.cpu, 7), `tbl 8b ${regs}`).toBe(join(sel(Array(16).fill(0n)), 8) & LOW);
    }
  });

  it("TBL whose destination is in the table reads the old table", () => {
    const idx = join(Array.from({ length: 16 }, (_, i) => BigInt(31 - i)), 8);
    const r = runV("tbl v1.16b, {v1.16b, v2.16b}, v3.16b", { 1: A, 2: B, 3: idx });
    const bytes = [...lanes(A, 8), ...lanes(B, 8)];
    expect(getV(r.cpu, 1)).toBe(join(lanes(idx, 8).map((i) => bytes[Number(i)]), 8));
  });
});
