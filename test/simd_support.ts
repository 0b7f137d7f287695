// Helpers for the Advanced SIMD tests: 128-bit register values as BigInts,
// lanes split/joined, a deterministic value generator, and a runner that
// presets V registers and returns them after a snippet.

import { expect } from "vitest";
import { runAsm, SnippetRun } from "./support/snippet.js";
import { CpuState, ExitKind } from "../emulator/cpu/state.js";
import type { PhysicalBus } from "../emulator/bus.js";

export const M64 = 0xffff_ffff_ffff_ffffn;
export const M128 = (1n << 128n) - 1n;

/** Vn as a 128-bit unsigned BigInt. */
export function getV(c: CpuState, n: number): bigint {
  return (c.vd[2 * n + 1] << 64n) | c.vd[2 * n];
}

export function setV(c: CpuState, n: number, v: bigint): void {
  const u = BigInt.asUintN(128, v);
  c.vd[2 * n] = u & M64;
  c.vd[2 * n + 1] = u >> 64n;
}

/** Split a value into `count` unsigned lanes of `bits` bits (lane 0 = least significant). */
export function lanes(v: bigint, bits: number, count = 128 / bits): bigint[] {
  const out: bigint[] = [];
  const mask = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < count; i++) out.push((v >> BigInt(i * bits)) & mask);
  return out;
}

/** Join lanes (each reduced modulo 2^bits) into a value. */
export function join(ls: bigint[], bits: number): bigint {
  const mask = (1n << BigInt(bits)) - 1n;
  return ls.reduce((acc, l, i) => acc | ((BigInt.asUintN(bits, l) & mask) << BigInt(i * bits)), 0n);
}

/** Signed reading of an unsigned lane. */
export function s(v: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, v);
}

/** Deterministic 128-bit values (xorshift64*), mixed with edge patterns. */
export function values(count: number, seed = 1n): bigint[] {
  let x = seed * 0x9e3779b97f4a7c15n + 1n;
  const next = () => {
    x ^= x << 13n;
    x &= M64;
    x ^= x >> 7n;
    x ^= x << 17n;
    x &= M64;
    return x;
  };
  const edges = [0n, M128, 1n << 127n, (1n << 127n) - 1n, 0x7f7f7f7f7f7f7f7f_8080808080808080n, 0x00ff00ff7fff8000_0000ffff80007fffn];
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push(i < edges.length ? edges[i] : (next() << 64n) | next());
  return out;
}

/** Run `asm` with V registers preset ({reg: value}); expects the snippet to reach its BRK. */
export function runV(asm: string, regs: Record<number, bigint>, setup?: (c: CpuState) => void, setupBus?: (bus: PhysicalBus) => void): SnippetRun {
  const r = runAsm(asm, (c, bus) => {
    for (const [n, v] of Object.entries(regs)) setV(c, Number(n), v);
    setup?.(c);
    setupBus?.(bus);
  });
  expect(r.cpu.hostError).toBeUndefined();
  expect(ExitKind[r.exit], `exit at pc 0x${r.cpu.pc.toString(16)} for ${asm}`).toBe("Brk");
  return r;
}

/** Hex of a 128-bit value, for readable failure messages. */
export function hex(v: bigint): string {
  return "0x" + v.toString(16).padStart(32, "0");
}
