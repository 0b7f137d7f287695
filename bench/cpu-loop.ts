// Micro-benchmark: the 4-instruction loop of ARCHITECTURE.md ("Speed")
// (ADD, EOR, SUBS, B.NE on 64-bit registers) run by the translator with
// translation off. It measures the ceiling of the translated-code path.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";
import { CpuState, ExitKind } from "../emulator/cpu/state.js";
import { runEl0, Translator } from "../emulator/cpu/translate.js";
import { Mmu } from "../emulator/mmu/mmu.js";
import type { Emit } from "./report.js";

const LOOP = `
  mov x1, #0
  mov x2, #3
1:
  add x1, x1, x0
  eor x2, x2, x1
  subs x0, x0, #1
  b.ne 1b
  brk #0
`;

function assembleWords(src: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "vdl-bench-"));
  execFileSync("clang", ["--target=aarch64-linux-gnu", "-c", "-x", "assembler", "-", "-o", join(dir, "l.o")], { input: src });
  execFileSync("llvm-objcopy", ["-O", "binary", "--only-section=.text", join(dir, "l.o"), join(dir, "l.bin")]);
  return new Uint8Array(readFileSync(join(dir, "l.bin")));
}

/** Run the loop for `iterations` and return guest MIPS (wall clock). */
export function runLoop(iterations: number): { mips: number; retired: number; ms: number } {
  const bus = new PhysicalBus(1 << 20);
  bus.writeBytes(RAM_BASE, assembleWords(LOOP));
  const cpu = new CpuState(0);
  const mmu = new Mmu(bus, cpu);
  const t = new Translator(bus);
  t.attach(mmu);
  cpu.pc = RAM_BASE;
  cpu.x[0] = BigInt(iterations);
  const start = performance.now();
  let exit: ExitKind;
  do exit = runEl0(t, cpu, mmu, 10_000_000);
  while (exit === ExitKind.Budget);
  const ms = performance.now() - start;
  if (exit !== ExitKind.Brk) throw new Error(`loop benchmark stopped with exit ${ExitKind[exit]}${cpu.hostError ? `: ${cpu.hostError}` : ""}`);
  return { mips: cpu.retired / ms / 1000, retired: cpu.retired, ms };
}

export function benchLoop(emit: Emit): void {
  runLoop(1_000_000); // warm-up: compile and let V8 optimise
  const r = runLoop(50_000_000);
  emit({ name: "cpu.loop4.mips", value: r.mips, unit: "MIPS", clock: "wall", note: `${r.retired} insns in ${r.ms.toFixed(0)} ms` });
}
