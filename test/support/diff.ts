// Differential testing against qemu-aarch64 (Debian's qemu-user, the
// reference CPU). A batch of cases becomes one static ELF (see stub.ts);
// qemu runs it as a Linux process and prints every case's final state; our
// emulator runs the same ELF's bytes with translation off (VA = PA) and the
// two dumps are compared field by field.
//
// Our side runs in one of two modes:
//  - "direct" (default): the case's starting state is put straight into the
//    CpuState and only the body runs (its end is patched with a BRK), so a
//    difference always points at the body, even while the loads/stores and
//    MSRs of the prologue are not implemented yet;
//  - "full": the whole ELF runs, prologue and epilogue included, with the
//    test harness playing the Linux kernel (write, exit, sigaction, and
//    "signal delivery" by jumping to the next case).
//
// Usage (see test/diff-smoke.test.ts):
//
//   const r = diffSnippet("adds x0, x1, x2", { x: [0n, 1n, -1n] });
//   expect(r.report).toBe("");                 // "" when qemu and we agree
//
//   const r = diffBatch(cases.map((c) => ({ asm: c, init: { x, v, nzcv, fpcr } })));
//
// A case gets SCRATCH_SIZE bytes of scratch memory; `scratchRegs` points
// registers (31 = SP) into it. Faults are part of the comparison: the
// signal, the faulting PC and the whole register state at the fault.
// Addresses at or above EDGE_END are unmapped on both sides.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PhysicalBus, RAM_BASE } from "../../emulator/bus.js";
import { Mmu } from "../../emulator/mmu/mmu.js";
import { CpuState, ExitKind } from "../../emulator/cpu/state.js";
import { runEl0, Translator } from "../../emulator/cpu/translate.js";
import {
  BLOCK_SIZE, buildStub, BuiltStub, CASE_STRIDE, EDGE_END, EDGE_RESET_BYTES, OFF_FAULT_PC, OFF_FPCR, OFF_FPSR, OFF_NZCV, OFF_RESUME, OFF_SIGNO,
  OFF_SP, OFF_V, OFF_X, outBlockAddr, SCRATCH_SIZE, scratchAddr, StubCase,
} from "./stub.js";

export { SCRATCH_SIZE } from "./stub.js";

/** A case's starting state. Anything left out starts as zero. */
export interface InitState {
  /** X0..X30 (unsigned or signed; reduced modulo 2^64). */
  x?: bigint[];
  /** SP; default: the middle of the scratch area (16-byte aligned). */
  sp?: bigint;
  /** NZCV in bits 31:28. */
  nzcv?: number;
  /** FPCR (bits qemu does not implement read back as zero). */
  fpcr?: number;
  fpsr?: number;
  /** V0..V31 as 128-bit unsigned values. */
  v?: bigint[];
  /** Initial scratch bytes (SCRATCH_SIZE; shorter arrays are zero-padded). */
  scratch?: Uint8Array;
  /** Registers set to (scratch address + offset); reg 31 is SP. Applied after `x`/`sp`. */
  scratchRegs?: { reg: number; offset: number }[];
}

export interface DiffCase {
  asm: string;
  init: InitState;
  /** Field names not compared for this case (e.g. "fpsr", "x3", "v0"). */
  ignore?: string[];
  /**
   * Fields not compared when both sides took the same signal: what the
   * architecture leaves UNKNOWN at a fault (e.g. the vector registers of a
   * multi-element structure load, which qemu fills element by element).
   */
  ignoreOnFault?: string[];
}

export interface DiffOptions {
  /** "direct" (default) or "full"; see the header comment. */
  mode?: "direct" | "full";
  /** -march for assembling the bodies. */
  march?: string;
  /** Field names never compared in this batch. */
  ignore?: string[];
  /** Instructions one body may retire on our side before it counts as hung. */
  budgetPerCase?: number;
  /** Zero the EDGE_RESET_BYTES below EDGE_END before every case (for tests that access it). */
  resetEdge?: boolean;
  /** Test hook (direct mode): change our CPU before case `i` runs. */
  tamper?: (cpu: CpuState, i: number) => void;
  /** Test hook: change qemu's dump before comparing (to check the differ). */
  tamperQemu?: (out: Uint8Array) => void;
}

/** One field that differs: qemu's value is the truth. */
export interface FieldDiff {
  field: string;
  qemu: string;
  ours: string;
}

export interface CaseDiff {
  index: number;
  asm: string;
  /** Address of the body's first instruction. */
  bodyAddr: number;
  /** Where our CPU stopped with a signal (undefined if it ran to the end). */
  oursFaultPc?: number;
  /** llvm-objdump's disassembly of the body, one line per instruction. */
  disasm: string[];
  fields: FieldDiff[];
}

export interface DiffResult {
  compared: number;
  /** Cases in which qemu took a signal (a well-formed random case should not). */
  qemuFaults: number;
  diffs: CaseDiff[];
  /** Readable text of all differences ("" when none). */
  report: string;
  /** The raw dumps (CASE_STRIDE bytes per case). */
  qemu: Uint8Array;
  ours: Uint8Array;
}

/** Signal numbers as qemu-user reports them; -1 means "ran out of budget". */
export const SIG = { ILL: 4, TRAP: 5, BUS: 7, FPE: 8, SEGV: 11, HUNG: -1, OTHER: 99 } as const;

const END_BRK_IMM = 0xd1ff;
const QEMU_CPU = "max";

// --- Input blocks ---------------------------------------------------------------

function toU64(v: bigint): bigint {
  return BigInt.asUintN(64, v);
}

/** Build the BLOCK_SIZE-byte input block of case `i` from `init`. */
export function inputBlock(init: InitState, i: number): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  const d = new DataView(b.buffer);
  const x = init.x ?? [];
  for (let r = 0; r < 31; r++) d.setBigUint64(OFF_X + r * 8, toU64(x[r] ?? 0n), true);
  d.setBigUint64(OFF_SP, toU64(init.sp ?? BigInt(scratchAddr(i) + SCRATCH_SIZE / 2)), true);
  for (const { reg, offset } of init.scratchRegs ?? []) {
    const a = BigInt(scratchAddr(i) + offset);
    d.setBigUint64(reg === 31 ? OFF_SP : OFF_X + reg * 8, a, true);
  }
  d.setBigUint64(OFF_NZCV, BigInt((init.nzcv ?? 0) & 0xf000_0000), true);
  d.setBigUint64(OFF_FPCR, BigInt((init.fpcr ?? 0) >>> 0), true);
  d.setBigUint64(OFF_FPSR, BigInt((init.fpsr ?? 0) >>> 0), true);
  const v = init.v ?? [];
  for (let n = 0; n < 32; n++) {
    const q = BigInt.asUintN(128, v[n] ?? 0n);
    d.setBigUint64(OFF_V + n * 16, q & 0xffff_ffff_ffff_ffffn, true);
    d.setBigUint64(OFF_V + n * 16 + 8, q >> 64n, true);
  }
  return b;
}

function scratchBytes(init: InitState): Uint8Array {
  const s = new Uint8Array(SCRATCH_SIZE);
  if (init.scratch) s.set(init.scratch.subarray(0, SCRATCH_SIZE));
  return s;
}

// --- The ELF on our side -----------------------------------------------------------

interface LoadedElf {
  entry: number;
  segments: { vaddr: number; bytes: Uint8Array; memsz: number }[];
  symbols: Map<string, number>;
}

/** Write a cache file so that concurrent test processes never read it half-written. */
function writeAtomic(file: string, data: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Read the PT_LOAD segments and the symbols (llvm-nm) of a built stub. */
function loadElf(stub: BuiltStub): LoadedElf {
  const f = readFileSync(stub.elf);
  const d = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const entry = Number(d.getBigUint64(0x18, true));
  const phoff = Number(d.getBigUint64(0x20, true));
  const phentsize = d.getUint16(0x36, true);
  const phnum = d.getUint16(0x38, true);
  const segments: LoadedElf["segments"] = [];
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * phentsize;
    if (d.getUint32(p, true) !== 1) continue; // PT_LOAD
    const off = Number(d.getBigUint64(p + 8, true));
    const vaddr = Number(d.getBigUint64(p + 16, true));
    const filesz = Number(d.getBigUint64(p + 32, true));
    const memsz = Number(d.getBigUint64(p + 40, true));
    segments.push({ vaddr, bytes: new Uint8Array(f.subarray(off, off + filesz)), memsz });
  }
  const symFile = join(stub.dir, stub.key + ".syms");
  if (!existsSync(symFile)) writeAtomic(symFile, execFileSync("llvm-nm", [stub.elf], { maxBuffer: 64 << 20 }));
  const symbols = new Map<string, number>();
  for (const line of readFileSync(symFile, "utf8").split("\n")) {
    const m = /^([0-9a-f]+) \w (\S+)$/.exec(line);
    if (m) symbols.set(m[2], parseInt(m[1], 16));
  }
  return { entry, segments, symbols };
}

function sym(elf: LoadedElf, name: string): number {
  const a = elf.symbols.get(name);
  if (a === undefined) throw new Error(`diff: symbol ${name} missing from the stub`);
  return a;
}

/** Our RAM ends where the stub's mappings end (see EDGE_END). */
const RAM_SIZE = EDGE_END - RAM_BASE;

function newMachine(elf: LoadedElf): { bus: PhysicalBus; cpu: CpuState; mmu: Mmu; t: Translator } {
  const bus = new PhysicalBus(RAM_SIZE);
  for (const s of elf.segments) {
    if (!bus.isRam(s.vaddr, s.memsz)) throw new Error(`diff: segment at 0x${s.vaddr.toString(16)} is outside RAM`);
    bus.writeBytes(s.vaddr, s.bytes);
  }
  const cpu = new CpuState(0);
  const mmu = new Mmu(bus, cpu);
  const t = new Translator(bus);
  t.attach(mmu);
  return { bus, cpu, mmu, t };
}

/** The Linux signal qemu-user would deliver for the exception our CPU took. */
function signalFor(cpu: CpuState, exit: ExitKind): number {
  switch (exit) {
    case ExitKind.Undefined:
    case ExitKind.SysRegTrap: return SIG.ILL;
    case ExitKind.Brk: return SIG.TRAP;
    case ExitKind.Alignment: return SIG.BUS;
    case ExitKind.Abort: return (cpu.esr & 0x3f) === 0x21 ? SIG.BUS : SIG.SEGV;
    case ExitKind.Budget: return SIG.HUNG;
    default: return SIG.OTHER;
  }
}

function resetCpu(cpu: CpuState, input: Uint8Array): void {
  const d = new DataView(input.buffer, input.byteOffset, input.byteLength);
  for (let r = 0; r < 31; r++) cpu.x[r] = d.getBigUint64(OFF_X + r * 8, true);
  cpu.x[31] = d.getBigUint64(OFF_SP, true);
  cpu.nzcv = Number(d.getBigUint64(OFF_NZCV, true));
  cpu.fpcr = Number(d.getBigUint64(OFF_FPCR, true));
  cpu.fpsr = Number(d.getBigUint64(OFF_FPSR, true));
  cpu.vb.set(input.subarray(OFF_V, OFF_V + 512));
  cpu.exclusiveAddr = -1;
  cpu.exclusiveSize = 0;
  cpu.tpidrEl0 = 0n;
  cpu.exit = ExitKind.None;
  cpu.hostError = undefined;
}

function dumpCpu(cpu: CpuState, out: DataView): void {
  for (let r = 0; r < 31; r++) out.setBigUint64(OFF_X + r * 8, cpu.x[r], true);
  out.setBigUint64(OFF_SP, cpu.x[31], true);
  out.setBigUint64(OFF_NZCV, BigInt(cpu.nzcv >>> 0), true);
  out.setBigUint64(OFF_FPCR, BigInt(cpu.fpcr >>> 0), true);
  out.setBigUint64(OFF_FPSR, BigInt(cpu.fpsr >>> 0), true);
  new Uint8Array(out.buffer, out.byteOffset + OFF_V, 512).set(cpu.vb);
}

/** Direct mode: run each body alone from its input state. Returns the dump. */
function runOursDirect(elf: LoadedElf, inputs: Uint8Array[], opts: DiffOptions): Uint8Array {
  const { bus, cpu, mmu, t } = newMachine(elf);
  const n = inputs.length;
  const brk = 0xd4200000 | (END_BRK_IMM << 5);
  for (let i = 0; i < n; i++) bus.write32(sym(elf, `end${i}`), brk);
  const budget = opts.budgetPerCase ?? 10_000;
  for (let i = 0; i < n; i++) {
    resetCpu(cpu, inputs[i]);
    if (opts.resetEdge) bus.fill(EDGE_END - EDGE_RESET_BYTES, EDGE_RESET_BYTES);
    cpu.pc = sym(elf, `body${i}`);
    opts.tamper?.(cpu, i);
    const exit = runEl0(t, cpu, mmu, budget);
    const out = new DataView(bus.ram.buffer, outBlockAddr(i) - RAM_BASE, BLOCK_SIZE);
    const finished = exit === ExitKind.Brk && cpu.pc === sym(elf, `end${i}`) && (cpu.esr & 0xffff) === END_BRK_IMM;
    // On a fault the state is dumped as well, as qemu's handler does from the signal frame.
    dumpCpu(cpu, out);
    if (!finished) {
      out.setBigUint64(OFF_SIGNO, BigInt(signalFor(cpu, exit)), true);
      out.setBigUint64(OFF_FAULT_PC, BigInt(cpu.pc), true);
    }
  }
  const start = outBlockAddr(0) - RAM_BASE;
  return bus.ram.slice(start, start + n * CASE_STRIDE);
}

/** Full mode: run the whole ELF, the harness standing in for Linux. */
function runOursFull(elf: LoadedElf, n: number): Uint8Array {
  const { bus, cpu, mmu, t } = newMachine(elf);
  cpu.pc = elf.entry;
  const written: Uint8Array[] = [];
  let budget = 100_000 + n * 10_000;
  for (;;) {
    const before = cpu.retired;
    const exit = runEl0(t, cpu, mmu, budget);
    budget -= cpu.retired - before;
    if (exit === ExitKind.Budget || budget <= 0) throw new Error("diff: our run of the full stub did not finish");
    if (exit === ExitKind.Svc) {
      const nr = Number(cpu.x[8]);
      if (nr === 93 || nr === 94) break;
      if (nr === 64) {
        const len = Number(cpu.x[2]);
        written.push(bus.readBytes(Number(cpu.x[1]), len));
        cpu.x[0] = BigInt(len);
      } else {
        cpu.x[0] = 0n; // sigaltstack, rt_sigaction: accepted
      }
      continue;
    }
    // A fault in a body: record it as the signal handler would, resume with the next case.
    const cur = Number(bus.read(sym(elf, "cur_out"), 8));
    if (!bus.isRam(cur, BLOCK_SIZE)) throw new Error(`diff: fault outside any case (exit ${ExitKind[exit]}, pc 0x${cpu.pc.toString(16)}, ${cpu.hostError ?? ""})`);
    dumpCpu(cpu, new DataView(bus.ram.buffer, cur - RAM_BASE, BLOCK_SIZE));
    bus.write(cur + OFF_SIGNO, 8, BigInt(signalFor(cpu, exit)));
    bus.write(cur + OFF_FAULT_PC, 8, BigInt(cpu.pc));
    cpu.pc = Number(bus.read(cur + OFF_RESUME, 8));
  }
  const total = written.reduce((s, w) => s + w.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const w of written) {
    out.set(w, o);
    o += w.length;
  }
  return out;
}

/** qemu's dump for a built stub (cached beside the ELF: qemu is deterministic here). */
function runQemu(stub: BuiltStub, n: number): Uint8Array {
  const file = join(stub.dir, `${stub.key}.qemu-${QEMU_CPU}.out`);
  if (existsSync(file)) {
    const b = readFileSync(file);
    if (b.length === n * CASE_STRIDE) return new Uint8Array(b);
  }
  let out: Buffer;
  try {
    out = execFileSync("qemu-aarch64", ["-cpu", QEMU_CPU, stub.elf], { maxBuffer: 256 << 20, timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`diff: qemu-aarch64 failed on ${stub.elf}: ${(e as Error).message}`);
  }
  if (out.length !== n * CASE_STRIDE) throw new Error(`diff: qemu wrote ${out.length} bytes, expected ${n * CASE_STRIDE}`);
  writeAtomic(file, out);
  return new Uint8Array(out);
}

// --- Comparison ----------------------------------------------------------------

const hex = (v: bigint, digits: number) => "0x" + v.toString(16).padStart(digits, "0");

function readQ(d: DataView, off: number): bigint {
  return (d.getBigUint64(off + 8, true) << 64n) | d.getBigUint64(off, true);
}

/** Field-by-field differences of case `i` between two dumps (qemu first). */
export function compareCase(qemu: Uint8Array, ours: Uint8Array, i: number, ignore: Set<string>, ignoreOnFault: string[] = []): FieldDiff[] {
  const q = new DataView(qemu.buffer, qemu.byteOffset + i * CASE_STRIDE, CASE_STRIDE);
  const o = new DataView(ours.buffer, ours.byteOffset + i * CASE_STRIDE, CASE_STRIDE);
  const diffs: FieldDiff[] = [];
  const u64 = (field: string, off: number) => {
    if (ignore.has(field)) return;
    const a = q.getBigUint64(off, true);
    const b = o.getBigUint64(off, true);
    if (a !== b) diffs.push({ field, qemu: hex(a, 16), ours: hex(b, 16) });
  };
  const sigName = (s: bigint) => (s === 0n ? "none" : `${BigInt.asIntN(64, s)} (${Object.entries(SIG).find(([, v]) => BigInt(v) === BigInt.asIntN(64, s))?.[0] ?? "?"})`);
  const qs = q.getBigUint64(OFF_SIGNO, true);
  const os = o.getBigUint64(OFF_SIGNO, true);
  if (qs !== 0n && qs === os) ignore = new Set([...ignore, ...ignoreOnFault]);
  if (qs !== os) diffs.push({ field: "signal", qemu: sigName(qs), ours: sigName(os) + (os !== 0n ? ` at ${hex(o.getBigUint64(OFF_FAULT_PC, true), 8)}` : "") });
  else if (qs !== 0n) u64("faultPc", OFF_FAULT_PC);
  // With the same outcome (both ran to the end, or both took the same signal) the
  // whole state must agree: a faulting instruction leaves no architectural change.
  if (qs === os) {
    for (let r = 0; r < 31; r++) u64(`x${r}`, OFF_X + r * 8);
    u64("sp", OFF_SP);
    u64("nzcv", OFF_NZCV);
    u64("fpsr", OFF_FPSR);
    for (let n = 0; n < 32; n++) {
      const field = `v${n}`;
      if (ignore.has(field)) continue;
      const a = readQ(q, OFF_V + n * 16);
      const b = readQ(o, OFF_V + n * 16);
      if (a !== b) diffs.push({ field, qemu: hex(a, 32), ours: hex(b, 32) });
    }
  }
  if (!ignore.has("scratch")) {
    for (let k = 0; k < SCRATCH_SIZE; k += 8) u64(`scratch+${k}`, BLOCK_SIZE + k);
  }
  return diffs;
}

/** Disassemble [from, to) of the ELF: one "addr: insn" line per instruction. */
function disassemble(elf: string, from: number, to: number): string[] {
  const text = execFileSync("llvm-objdump", ["-d", `--start-address=0x${from.toString(16)}`, `--stop-address=0x${to.toString(16)}`, elf], { encoding: "utf8", maxBuffer: 64 << 20 });
  const lines: string[] = [];
  for (const l of text.split("\n")) {
    // "400100b8: 00 42 3b d5   mrs x0, NZCV" -> "400100b8: d53b4200 mrs x0, NZCV"
    const m = /^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} ){3}[0-9a-f]{2})\s+(.*)$/.exec(l);
    if (m) lines.push(`${m[1]}: ${m[2].split(" ").reverse().join("")} ${m[3].replace(/\s+/g, " ").trim()}`);
  }
  return lines;
}

/** Readable text of `diffs`: one header line per case (index, disassembly), one line per field. */
export function formatReport(diffs: CaseDiff[], limit = 50): string {
  const out: string[] = [];
  for (const d of diffs.slice(0, limit)) {
    out.push(`case ${d.index}: ${d.disasm.join(" ; ") || d.asm.replace(/\n/g, " ; ")}`);
    for (const f of d.fields) out.push(`  ${f.field.padEnd(12)} qemu ${f.qemu}  ours ${f.ours}`);
  }
  if (diffs.length > limit) out.push(`... and ${diffs.length - limit} more cases`);
  return out.join("\n");
}

/**
 * Run every case on qemu-aarch64 and on our CPU and compare the final
 * states. Throws only when the toolchain or qemu fail (a body that does not
 * assemble, qemu dying); every architectural difference, including faults
 * and UNDEFINED, is reported in the result.
 */
export function diffBatch(cases: DiffCase[], opts: DiffOptions = {}): DiffResult {
  if (cases.length === 0) return { compared: 0, qemuFaults: 0, diffs: [], report: "", qemu: new Uint8Array(0), ours: new Uint8Array(0) };
  const inputs = cases.map((c, i) => inputBlock(c.init, i));
  const stubCases: StubCase[] = cases.map((c, i) => ({ asm: c.asm, input: inputs[i], scratch: scratchBytes(c.init) }));
  const stub = buildStub(stubCases, opts.march, opts.resetEdge);
  const qemu = runQemu(stub, cases.length);
  opts.tamperQemu?.(qemu);
  const elf = loadElf(stub);
  const ours = (opts.mode ?? "direct") === "full" ? runOursFull(elf, cases.length) : runOursDirect(elf, inputs, opts);
  if (ours.length !== qemu.length) throw new Error(`diff: our dump has ${ours.length} bytes, qemu's ${qemu.length}`);
  const diffs: CaseDiff[] = [];
  const batchIgnore = opts.ignore ?? [];
  cases.forEach((c, i) => {
    const fields = compareCase(qemu, ours, i, new Set([...batchIgnore, ...(c.ignore ?? [])]), c.ignoreOnFault);
    if (fields.length > 0) {
      const o = new DataView(ours.buffer, ours.byteOffset + i * CASE_STRIDE, BLOCK_SIZE);
      const faulted = o.getBigUint64(OFF_SIGNO, true) !== 0n;
      diffs.push({ index: i, asm: c.asm, bodyAddr: sym(elf, `body${i}`), oursFaultPc: faulted ? Number(o.getBigUint64(OFF_FAULT_PC, true)) : undefined, disasm: [], fields });
    }
  });
  for (const d of diffs.slice(0, 50)) d.disasm = disassemble(stub.elf, sym(elf, `body${d.index}`), sym(elf, `end${d.index}`));
  const qd = new DataView(qemu.buffer, qemu.byteOffset, qemu.byteLength);
  let qemuFaults = 0;
  for (let i = 0; i < cases.length; i++) if (qd.getBigUint64(i * CASE_STRIDE + OFF_SIGNO, true) !== 0n) qemuFaults++;
  return { compared: cases.length, qemuFaults, diffs, report: formatReport(diffs), qemu, ours };
}

/** diffBatch of one case. */
export function diffSnippet(asm: string, init: InitState = {}, opts: DiffOptions = {}): DiffResult {
  return diffBatch([{ asm, init }], opts);
}
