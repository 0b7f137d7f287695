// Differential runner for single FP/SIMD instructions: each case (one
// instruction, the inputs V0..V3, X0..X3, FPCR, NZCV) runs on our CPU and on
// qemu-aarch64 (the reference), and the outputs V0..V3, X0..X3, FPSR, NZCV
// are returned from both for comparison. QEMU results are cached on disk by
// content hash (build/fpref-cache), so reruns do not need qemu.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PhysicalBus } from "../../emulator/bus.js";
import { Mmu } from "../../emulator/mmu/mmu.js";
import { CpuState, ExitKind } from "../../emulator/cpu/state.js";
import { runEl0, Translator } from "../../emulator/cpu/translate.js";
import { assemble } from "./asm.js";
import { CODE_BASE } from "./snippet.js";

export interface FpCase {
  /** One instruction using only V0..V3 and X0..X3. */
  insn: string;
  /** V0..V3 as 128-bit values (missing: a fixed junk pattern). */
  v?: bigint[];
  x?: bigint[];
  fpcr?: number;
  nzcv?: number;
}

export interface FpOutcome {
  v: bigint[];
  x: bigint[];
  fpsr: number;
  nzcv: number;
  /** Set when our CPU did not reach the BRK after the instruction. */
  exit?: string;
}

const CACHE = join(process.cwd(), "build", "fpref-cache");
const CASE_BYTES = 112; // 4 x 16 (V) + 4 x 8 (X) + FPCR + NZCV, in and out
const M128 = (1n << 128n) - 1n;
const JUNK = [0x0123456789abcdeffedcba9876543210n, 0x1111222233334444555566667777888n, 0xa5a5a5a55a5a5a5af0f0f0f00f0f0f0fn, 0xdeadbeefcafef00d0badc0de8badf00dn];

/** Inputs with defaults filled in. */
function inputs(k: FpCase): { v: bigint[]; x: bigint[]; fpcr: number; nzcv: number } {
  return {
    v: [0, 1, 2, 3].map((i) => (k.v?.[i] ?? JUNK[i]) & M128),
    x: [0, 1, 2, 3].map((i) => BigInt.asUintN(64, k.x?.[i] ?? BigInt(0x1000 + i))),
    fpcr: k.fpcr ?? 0,
    nzcv: k.nzcv ?? 0,
  };
}

function encodeInputs(cases: FpCase[]): Buffer {
  const buf = Buffer.alloc(cases.length * CASE_BYTES);
  cases.forEach((k, i) => {
    const s = inputs(k);
    const o = i * CASE_BYTES;
    s.v.forEach((v, j) => {
      buf.writeBigUInt64LE(v & ((1n << 64n) - 1n), o + 16 * j);
      buf.writeBigUInt64LE(v >> 64n, o + 16 * j + 8);
    });
    s.x.forEach((x, j) => buf.writeBigUInt64LE(x, o + 64 + 8 * j));
    buf.writeBigUInt64LE(BigInt(s.fpcr >>> 0), o + 96);
    buf.writeBigUInt64LE(BigInt(s.nzcv >>> 0), o + 104);
  });
  return buf;
}

function decodeOutcomes(buf: Buffer, count: number): FpOutcome[] {
  const out: FpOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * CASE_BYTES;
    const v = [0, 1, 2, 3].map((j) => buf.readBigUInt64LE(o + 16 * j) | (buf.readBigUInt64LE(o + 16 * j + 8) << 64n));
    const x = [0, 1, 2, 3].map((j) => buf.readBigUInt64LE(o + 64 + 8 * j));
    out.push({ v, x, fpsr: Number(buf.readBigUInt64LE(o + 96)), nzcv: Number(buf.readBigUInt64LE(o + 104)) });
  }
  return out;
}

/** Run the cases on qemu-aarch64 (one static program for all of them). */
export function qemuRun(cases: FpCase[], march = "armv8.2-a"): FpOutcome[] {
  const data = encodeInputs(cases);
  const key = createHash("sha256").update(march).update(cases.map((k) => k.insn).join("\n")).update(data).digest("hex").slice(0, 24);
  const outFile = join(CACHE, key + ".out");
  if (!existsSync(outFile)) {
    mkdirSync(CACHE, { recursive: true });
    const body = cases.map((k) => `
      ldp q0, q1, [x19]
      ldp q2, q3, [x19, #32]
      ldp x0, x1, [x19, #64]
      ldp x2, x3, [x19, #80]
      ldr x9, [x19, #96]
      msr fpcr, x9
      ldr x9, [x19, #104]
      msr nzcv, x9
      msr fpsr, xzr
      ${k.insn}
      mrs x9, fpsr
      mrs x10, nzcv
      stp q0, q1, [x20]
      stp q2, q3, [x20, #32]
      stp x0, x1, [x20, #64]
      stp x2, x3, [x20, #80]
      stp x9, x10, [x20, #96]
      add x19, x19, #${CASE_BYTES}
      add x20, x20, #${CASE_BYTES}`).join("\n");
    const src = `
      .text
      .globl _start
    _start:
      adrp x19, input
      add x19, x19, :lo12:input
      adrp x20, output
      add x20, x20, :lo12:output
      ${body}
      mov x0, #1
      adrp x1, output
      add x1, x1, :lo12:output
      movz x2, #${data.length & 0xffff}
      movk x2, #${data.length >>> 16}, lsl #16
      mov x8, #64
      svc #0
      mov x0, #0
      mov x8, #93
      svc #0
      .data
      .balign 16
    input:
      .incbin "${join(CACHE, key + ".in")}"
      .bss
      .balign 16
    output:
      .skip ${data.length}
    `;
    writeFileSync(join(CACHE, key + ".in"), data);
    writeFileSync(join(CACHE, key + ".s"), src);
    const exe = join(CACHE, key + ".elf");
    execFileSync("clang", ["--target=aarch64-linux-gnu", `-march=${march}`, "-nostdlib", "-static", "-fuse-ld=lld", "-x", "assembler", join(CACHE, key + ".s"), "-o", exe]);
    const out = execFileSync("qemu-aarch64", [exe], { maxBuffer: 1 << 28 });
    if (out.length !== data.length) throw new Error(`qemuRun: expected ${data.length} bytes, got ${out.length}`);
    writeFileSync(outFile, out);
  }
  return decodeOutcomes(readFileSync(outFile), cases.length);
}

/** Run the cases on our CPU: every distinct instruction (up to 15) is placed once, 64-byte aligned, followed by BRK #0. */
export function emuRun(cases: FpCase[]): FpOutcome[] {
  const distinct = [...new Set(cases.map((k) => k.insn))];
  const slot = new Map(distinct.map((s, i) => [s, i]));
  const words = assemble(distinct.map((s) => `.balign 64\n${s}\nbrk #0`).join("\n"), "armv8.2-a");
  const bus = new PhysicalBus(4 * 1024 * 1024);
  bus.writeBytes(CODE_BASE, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  const cpu = new CpuState(0);
  const mmu = new Mmu(bus, cpu);
  const t = new Translator(bus);
  t.attach(mmu);
  return cases.map((k) => {
    const s = inputs(k);
    s.v.forEach((v, j) => {
      cpu.vd[2 * j] = v & ((1n << 64n) - 1n);
      cpu.vd[2 * j + 1] = v >> 64n;
    });
    for (let j = 8; j < 64; j++) cpu.vd[j] = 0n;
    cpu.x.fill(0n);
    s.x.forEach((x, j) => (cpu.x[j] = x));
    cpu.fpcr = s.fpcr;
    cpu.fpsr = 0;
    cpu.nzcv = s.nzcv;
    cpu.pc = CODE_BASE + 64 * (slot.get(k.insn) ?? 0);
    const exit = runEl0(t, cpu, mmu, 10);
    const v = [0, 1, 2, 3].map((j) => cpu.vd[2 * j] | (cpu.vd[2 * j + 1] << 64n));
    const r: FpOutcome = { v, x: [0, 1, 2, 3].map((j) => cpu.x[j]), fpsr: cpu.fpsr, nzcv: cpu.nzcv >>> 0 };
    if (exit !== ExitKind.Brk) r.exit = `${ExitKind[exit]}${cpu.hostError ? `: ${cpu.hostError}` : ""}`;
    return r;
  });
}

const hex = (v: bigint | number): string => "0x" + v.toString(16);

/** A readable line for a case and its outcome, for mismatch reports. */
export function describe(k: FpCase, o: FpOutcome): string {
  return `${k.insn} fpcr=${hex(k.fpcr ?? 0)} in v=[${inputs(k).v.map(hex).join(",")}] x=[${inputs(k).x.map(hex).join(",")}] -> v=[${o.v.map(hex).join(",")}] x=[${o.x.map(hex).join(",")}] fpsr=${hex(o.fpsr)} nzcv=${hex(o.nzcv)}${o.exit ? " exit=" + o.exit : ""}`;
}

/** Run on both and return a report line for each case whose outcome differs (empty when all agree). */
export function mismatches(cases: FpCase[], limit = 12): string[] {
  const ref = qemuRun(cases);
  const ours = emuRun(cases);
  const bad: string[] = [];
  cases.forEach((k, i) => {
    const a = ours[i], b = ref[i];
    const same = !a.exit && a.fpsr === b.fpsr && a.nzcv === b.nzcv && a.v.every((v, j) => v === b.v[j]) && a.x.every((x, j) => x === b.x[j]);
    if (!same && bad.length < limit) bad.push(`ours: ${describe(k, a)}\n qemu: ${describe(k, b)}`);
  });
  return bad;
}
