// Run a short piece of A64 code on one CPU with translation off (VA = PA),
// for instruction-level unit tests. Code sits at CODE_BASE; a data area at
// DATA_BASE. The run stops at the first exit (BRK #0 ends a snippet).

import { PhysicalBus, RAM_BASE } from "../../emulator/bus.js";
import { Mmu } from "../../emulator/mmu/mmu.js";
import { CpuState, ExitKind } from "../../emulator/cpu/state.js";
import { runEl0, Translator } from "../../emulator/cpu/translate.js";
import { assemble } from "./asm.js";

export const CODE_BASE = RAM_BASE + 0x10000;
export const DATA_BASE = RAM_BASE + 0x100000;
export const STACK_TOP = RAM_BASE + 0x200000;

export interface SnippetRun {
  cpu: CpuState;
  bus: PhysicalBus;
  mmu: Mmu;
  exit: ExitKind;
  translator: Translator;
}

/** Assemble and run `source`; `setup` may preset registers and memory. */
export function runAsm(source: string, setup?: (c: CpuState, bus: PhysicalBus) => void, budget = 1_000_000): SnippetRun {
  const words = assemble(source + "\nbrk #0\n");
  const bus = new PhysicalBus(4 * 1024 * 1024);
  bus.writeBytes(CODE_BASE, new Uint8Array(words.buffer));
  const cpu = new CpuState(0);
  cpu.pc = CODE_BASE;
  cpu.x[31] = BigInt(STACK_TOP);
  const mmu = new Mmu(bus, cpu);
  const translator = new Translator(bus);
  translator.attach(mmu);
  setup?.(cpu, bus);
  const exit = runEl0(translator, cpu, mmu, budget);
  return { cpu, bus, mmu, exit, translator };
}
