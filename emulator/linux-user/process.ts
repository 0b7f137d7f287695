// runLinuxElf: run a static AArch64 Linux executable on one emulated CPU,
// with this module playing the kernel (like qemu-user): load the image,
// then run EL0 in slices, serving system calls, demand-paging faults inside
// the process's VMAs and turning every other exception into a fatal signal.

import { PhysicalBus } from "../bus.js";
import { CpuState, EC, ExitKind, INSNS_PER_NS } from "../cpu/state.js";
import { runEl0, Translator } from "../cpu/translate.js";
import { Mmu } from "../mmu/mmu.js";
import { faultName } from "../mmu/descriptors.js";
import { AddressSpace, OutOfMemory } from "./address_space.js";
import { parseElf } from "./elf.js";
import { loadProcess } from "./loader.js";
import { Rng } from "../rng.js";
import { doSyscall, LinuxProcess, ProcessIo } from "./syscalls.js";

export interface RunElfOptions {
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
  /** All of standard input, or a reader returning up to `max` bytes (empty = EOF). */
  stdin?: Uint8Array | ((max: number) => Uint8Array);
  /** Stop the guest after this many instructions (status 124). Default: no limit. */
  maxInsns?: number;
  /** Seeds AT_RANDOM and getrandom. Default 1. */
  seed?: number;
  /** Guest RAM in bytes (page tables + resident pages). Default 1 GiB. */
  ramSize?: number;
  /** The environment strings. Default: a small fixed environment. */
  env?: string[];
}

export interface RunElfResult {
  /** Exit status: the guest's, 139 after a fatal fault, 124 on the instruction limit. */
  status: number;
  retired: number;
  /** Virtual time the guest saw, in nanoseconds. */
  virtualNs: number;
  wallMs: number;
  /** The fault report line (also written to stderr), when the guest died. */
  fault?: string;
  /** Pages mapped at exit (resident set). */
  residentPages: number;
}

/** Status for a guest killed by a fatal fault (128 + SIGSEGV, as a shell reports it). */
export const STATUS_FAULT = 139;
/** Status when maxInsns ran out (as timeout(1) reports it). */
export const STATUS_LIMIT = 124;
export const DEFAULT_ENV = ["HOME=/", "PATH=/bin", "TERM=dumb", "LANG=C"];
/** Instructions per runEl0 slice. */
const SLICE = 20_000_000;

const KIND_NAMES: Partial<Record<ExitKind, string>> = {
  [ExitKind.Abort]: "segmentation fault",
  [ExitKind.Undefined]: "undefined instruction",
  [ExitKind.Brk]: "breakpoint",
  [ExitKind.Alignment]: "alignment fault",
  [ExitKind.SysRegTrap]: "trapped system register access",
  [ExitKind.Irq]: "unexpected interrupt",
};

function hex(n: number | bigint): string {
  return "0x" + n.toString(16);
}

function stdinReader(s: RunElfOptions["stdin"]): (max: number) => Uint8Array {
  if (typeof s === "function") return s;
  const data = s ?? new Uint8Array(0);
  let at = 0;
  return (max) => {
    const out = data.subarray(at, Math.min(data.length, at + max));
    at += out.length;
    return out;
  };
}

/**
 * Load `file` (an ELF image) and run it with `argv` (argv[0] as given).
 * Throws ElfError for a malformed or unsupported file (before running
 * anything); otherwise returns how the process ended. A guest fault writes
 * "run-elf: <kind> at pc=0x..., addr=0x..., esr=0x..." to stderr and gives
 * status 139. Never throws for anything the guest does.
 */
export function runLinuxElf(file: Uint8Array, argv: string[], opts: RunElfOptions = {}): RunElfResult {
  const t0 = performance.now();
  const image = parseElf(file);
  const bus = new PhysicalBus(opts.ramSize ?? 1024 * 1024 * 1024);
  const cpu = new CpuState(0);
  const mmu = new Mmu(bus, cpu);
  const translator = new Translator(bus);
  translator.attach(mmu);
  if (process.env.VDL_DUMP_BLOCKS) translator.onCompile = (b, src) => process.stderr.write(`--- block ${b.va.toString(16)}\n${src}\n`);
  const space = new AddressSpace(bus, mmu);
  const rng = new Rng(opts.seed ?? 1);
  const random16 = new Uint8Array(16);
  rng.fill(random16);
  const loaded = loadProcess(space, image, file, argv, opts.env ?? DEFAULT_ENV, random16);
  space.activate(cpu);
  cpu.pc = loaded.entry;
  cpu.x[31] = BigInt(loaded.sp);

  const stderr = opts.stderr ?? (() => {});
  const io: ProcessIo = { stdout: opts.stdout ?? (() => {}), stderr, stdin: stdinReader(opts.stdin) };
  const proc = new LinuxProcess(cpu, space, io, rng, loaded.brkStart);
  const limit = opts.maxInsns ?? Infinity;

  let status: number | undefined;
  let fault: string | undefined;
  const die = (line: string, st: number): void => {
    fault = line;
    stderr(new TextEncoder().encode(line + "\n"));
    status = st;
  };
  while (status === undefined) {
    const left = limit - cpu.retired;
    if (left <= 0) {
      die(`run-elf: instruction limit of ${limit} reached at pc=${hex(cpu.pc)}`, STATUS_LIMIT);
      break;
    }
    const exit = runEl0(translator, cpu, mmu, Math.min(SLICE, left));
    try {
      switch (exit) {
        case ExitKind.Budget:
        case ExitKind.Wfi:
        case ExitKind.None:
          continue;
        case ExitKind.Svc:
          doSyscall(proc);
          if (proc.exitStatus !== undefined) status = proc.exitStatus;
          continue;
        case ExitKind.Abort:
          if (cpu.hostError === undefined && demandPage(space, cpu)) continue;
          break;
      }
    } catch (e) {
      if (!(e instanceof OutOfMemory)) throw e;
      die(`run-elf: out of memory (guest RAM ${bus.ramSize} bytes) at pc=${hex(cpu.pc)}`, STATUS_FAULT);
      break;
    }
    die(faultReport(exit, cpu, mmu, bus), STATUS_FAULT);
  }
  const retired = cpu.retired;
  return {
    status: status!,
    retired,
    virtualNs: Math.floor(retired / INSNS_PER_NS),
    wallMs: performance.now() - t0,
    fault,
    residentPages: space.mappedPages,
  };
}

/** Serve a data/instruction abort by demand paging; false = a real fault. */
function demandPage(space: AddressSpace, cpu: CpuState): boolean {
  const ec = cpu.esr >>> 26;
  const fsc = cpu.esr & 0x3f;
  const access = ec === EC.IABT_LOW ? "exec" : cpu.esr & (1 << 6) ? "write" : "read";
  if (cpu.far >= 1n << 48n) return false;
  return space.handleFault(Number(cpu.far), access, fsc);
}

/** The one-line report of a fatal exception. */
function faultReport(exit: ExitKind, cpu: CpuState, mmu: Mmu, bus: PhysicalBus): string {
  if (cpu.hostError !== undefined) return `run-elf: internal error at pc=${hex(cpu.pc)}: ${cpu.hostError}`;
  const kind = KIND_NAMES[exit] ?? `exit kind ${exit}`;
  let line = `run-elf: ${kind} at pc=${hex(cpu.pc)}, addr=${hex(cpu.far)}, esr=${hex(cpu.esr >>> 0)}`;
  if (exit === ExitKind.Abort) line += ` (${faultName(cpu.esr & 0x3f)})`;
  if (exit === ExitKind.Undefined || exit === ExitKind.Brk || exit === ExitKind.SysRegTrap) {
    const pa = mmu.tryTranslate(BigInt(cpu.pc), "exec");
    if (pa >= 0 && bus.isRam(pa, 4)) line += `, insn=${hex(bus.read32(pa) >>> 0)}`;
  }
  return line;
}
