// The differential-test program: one static AArch64 ELF per batch of cases,
// built by clang + lld, that runs the same way under qemu-aarch64 (Linux
// user mode, the reference CPU) and on our emulator with translation off
// (VA = PA; everything is linked inside our RAM window).
//
// Per case the program runs
//   prologue   load X0-X30, SP, NZCV, FPCR, FPSR, V0-V31 from the case's
//              input block (X30 carries the block's address and is loaded last)
//   body       the case's code               [bodyStart, bodyEnd)
//   epilogue   store the same state into the case's output block (X30 is
//              parked in TPIDR_EL0 while X30 points at the block)
// then falls into the next case. After the last case it writes the output
// region (output blocks and scratch areas) to stdout (write, x8 = 64) and
// exits (x8 = 93).
//
// A fault in a body (SIGILL, SIGSEGV, SIGBUS, SIGTRAP, SIGFPE) lands in a
// handler on an alternate signal stack that records the signal, the
// faulting PC and the register state at the fault (from the signal frame)
// in the current output block, and jumps to the next case.
//
// State block layout (input and output blocks share it), byte offsets:
//
//      0 ..  247   X0..X30            (8 bytes each)
//    248           SP
//    256           NZCV               (bits 31:28)
//    264           FPCR
//    272           FPSR
//    280           reserved
//    288 ..  799   V0..V31            (16 bytes each, little-endian)
//    800           signal number      (0: the body ran to its end)
//    808           faulting PC
//    816           resume address     (next case's prologue; output only)
//    824           reserved
//    832           end
//
// Data region layout: for each case, its output block followed by its scratch
// area (SCRATCH_SIZE bytes, preset to the case's scratch bytes); after all
// cases, the input blocks. Only the output region goes to stdout.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TEXT_BASE = 0x4001_0000;
export const DATA_BASE = 0x4040_0000;
export const ALTSTACK_SIZE = 0x10000;
/**
 * End of everything mapped: the stub's last section (.edge, 64 KiB of zeros)
 * ends here, where qemu-user maps nothing more and our RAM ends too, so an
 * access across EDGE_END faults on both sides.
 */
export const EDGE_END = 0x4100_0000;
const EDGE_SIZE = 0x10000;
/** Bytes below EDGE_END that `resetEdge` stubs zero before every case. */
export const EDGE_RESET_BYTES = 1024;

export const OFF_X = 0;
export const OFF_SP = 248;
export const OFF_NZCV = 256;
export const OFF_FPCR = 264;
export const OFF_FPSR = 272;
export const OFF_V = 288;
export const OFF_SIGNO = 800;
export const OFF_FAULT_PC = 808;
export const OFF_RESUME = 816;
export const BLOCK_SIZE = 832;
/** Bytes of scratch memory each case gets (16-byte aligned). */
export const SCRATCH_SIZE = 1024;
/** Bytes per case in the output region. */
export const CASE_STRIDE = BLOCK_SIZE + SCRATCH_SIZE;

/** One case's starting state, as the ELF loads it. */
export interface StubCase {
  /** GNU-syntax A64 source of the body (no branches out of it). */
  asm: string;
  /** The input block, BLOCK_SIZE bytes, already filled in. */
  input: Uint8Array;
  /** Initial scratch bytes (SCRATCH_SIZE). */
  scratch: Uint8Array;
}

export interface BuiltStub {
  /** Path of the linked ELF. */
  elf: string;
  /** Content hash the ELF is cached under. */
  key: string;
  /** Directory holding the ELF and its companions. */
  dir: string;
}

/** Address of case `i`'s output block (its scratch area follows it). */
export function outBlockAddr(i: number): number {
  return DATA_BASE + i * CASE_STRIDE;
}

/** Address of case `i`'s scratch area. */
export function scratchAddr(i: number): number {
  return outBlockAddr(i) + BLOCK_SIZE;
}

function bytesDirective(b: Uint8Array): string {
  const lines: string[] = [];
  for (let o = 0; o < b.length; o += 8) {
    // Little-endian quads keep the source short.
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[o + k] ?? 0);
    lines.push(`.quad 0x${v.toString(16)}`);
  }
  return lines.join("\n");
}

function prologue(i: number, resetEdge: boolean): string {
  const l: string[] = [`case${i}:`];
  if (resetEdge) {
    // Zero the top of the edge area, so stores of earlier cases (possibly partial
    // where they faulted, which the architecture allows) are not seen by loads.
    l.push("adrp x0, edge_tail", "add x0, x0, :lo12:edge_tail", `mov x1, #${EDGE_RESET_BYTES / 16}`);
    l.push("6:", "stp xzr, xzr, [x0], #16", "subs x1, x1, #1", "b.ne 6b");
  }
  // Publish the current output block for the signal handler (X0/X1 are loaded later).
  l.push(`adrp x0, out${i}`, `add x0, x0, :lo12:out${i}`);
  l.push("adrp x1, cur_out", "str x0, [x1, :lo12:cur_out]");
  l.push(`adrp x30, in${i}`, `add x30, x30, :lo12:in${i}`);
  for (let v = 0; v < 32; v += 2) l.push(`ldp q${v}, q${v + 1}, [x30, #${OFF_V + v * 16}]`);
  l.push(`ldr x0, [x30, #${OFF_NZCV}]`, "msr nzcv, x0");
  l.push(`ldr x0, [x30, #${OFF_FPCR}]`, "msr fpcr, x0");
  l.push(`ldr x0, [x30, #${OFF_FPSR}]`, "msr fpsr, x0");
  l.push(`ldr x0, [x30, #${OFF_SP}]`, "mov sp, x0");
  for (let r = 0; r < 30; r += 2) l.push(`ldp x${r}, x${r + 1}, [x30, #${r * 8}]`);
  l.push(`ldr x30, [x30, #${30 * 8}]`);
  l.push(`body${i}:`);
  return l.join("\n");
}

function epilogue(i: number): string {
  const l: string[] = [`end${i}:`, "msr tpidr_el0, x30"];
  l.push(`adrp x30, out${i}`, `add x30, x30, :lo12:out${i}`);
  for (let r = 0; r < 30; r += 2) l.push(`stp x${r}, x${r + 1}, [x30, #${r * 8}]`);
  l.push("mrs x0, tpidr_el0", `str x0, [x30, #${30 * 8}]`);
  l.push("mov x0, sp", `str x0, [x30, #${OFF_SP}]`);
  l.push("mrs x0, nzcv", `str x0, [x30, #${OFF_NZCV}]`);
  l.push("mrs x0, fpcr", `str x0, [x30, #${OFF_FPCR}]`);
  l.push("mrs x0, fpsr", `str x0, [x30, #${OFF_FPSR}]`);
  for (let v = 0; v < 32; v += 2) l.push(`stp q${v}, q${v + 1}, [x30, #${OFF_V + v * 16}]`);
  return l.join("\n");
}

// Linux arm64 numbers.
const SYS_SIGALTSTACK = 132;
const SYS_RT_SIGACTION = 134;
const SYS_WRITE = 64;
const SYS_EXIT = 93;
const SYS_RT_SIGRETURN = 139;
const SA_SIGINFO = 0x4;
const SA_ONSTACK = 0x0800_0000;
const SA_RESTORER = 0x0400_0000;
const SA_NODEFER = 0x4000_0000;
/** SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV. */
const CAUGHT_SIGNALS = [4, 5, 7, 8, 11];
// The arm64 ucontext as Linux (and qemu-user) lay it out: uc_mcontext at 176 =
// { fault_address; regs[31]; sp; pc; pstate; __reserved[] (16-aligned, at 464) },
// and the first __reserved record is the fpsimd_context:
// { magic, size (u32 each); fpsr, fpcr (u32 each); vregs[32] (16 bytes each) }.
const UC_REGS = 184;
const UC_SP = UC_REGS + 31 * 8;
const UC_PC = UC_SP + 8;
const UC_PSTATE = UC_PC + 8;
const UC_FPSIMD = 464;
const FPSIMD_MAGIC = 0x46508001;

function runtime(n: number): string {
  const sa = SA_SIGINFO | SA_ONSTACK | SA_RESTORER | SA_NODEFER;
  const l: string[] = [
    ".globl _start",
    "_start:",
    "adrp x0, altstack_desc", "add x0, x0, :lo12:altstack_desc", "mov x1, #0", `mov x8, #${SYS_SIGALTSTACK}`, "svc #0",
  ];
  for (const s of CAUGHT_SIGNALS) {
    l.push(`mov x0, #${s}`, "adrp x1, sigact", "add x1, x1, :lo12:sigact", "mov x2, #0", "mov x3, #8", `mov x8, #${SYS_RT_SIGACTION}`, "svc #0");
  }
  l.push("b case0");
  l.push(
    "handler:", // x0 = signo, x2 = ucontext: record the signal and the state at the fault
    "adrp x9, cur_out", "ldr x9, [x9, :lo12:cur_out]",
    `str x0, [x9, #${OFF_SIGNO}]`,
    `ldr x10, [x2, #${UC_PC}]`, `str x10, [x9, #${OFF_FAULT_PC}]`,
    `add x11, x2, #${UC_REGS}`, "mov x12, x9", "mov x13, #31",
    "3:", "ldr x10, [x11], #8", "str x10, [x12], #8", "subs x13, x13, #1", "b.ne 3b",
    `ldr x10, [x2, #${UC_SP}]`, `str x10, [x9, #${OFF_SP}]`,
    `ldr x10, [x2, #${UC_PSTATE}]`, "and x10, x10, #0xf0000000", `str x10, [x9, #${OFF_NZCV}]`,
    `add x11, x2, #${UC_FPSIMD}`, "ldr w10, [x11]", `movz w12, #${FPSIMD_MAGIC & 0xffff}`, `movk w12, #${FPSIMD_MAGIC >>> 16}, lsl #16`,
    "cmp w10, w12", "b.ne 5f",
    "ldr w10, [x11, #8]", `str x10, [x9, #${OFF_FPSR}]`,
    "ldr w10, [x11, #12]", `str x10, [x9, #${OFF_FPCR}]`,
    "add x11, x11, #16", `add x12, x9, #${OFF_V}`, "mov x13, #32",
    "4:", "ldr q0, [x11], #16", "str q0, [x12], #16", "subs x13, x13, #1", "b.ne 4b",
    "5:",
    `ldr x10, [x9, #${OFF_RESUME}]`, "br x10",
    "restorer:", `mov x8, #${SYS_RT_SIGRETURN}`, "svc #0",
  );
  l.push(
    `case${n}:`,
    "finish:",
    "adrp x1, out_start", "add x1, x1, :lo12:out_start",
    "adrp x2, out_end", "add x2, x2, :lo12:out_end", "sub x2, x2, x1",
    "1:", "mov x0, #1", `mov x8, #${SYS_WRITE}`, "svc #0",
    "cmp x0, #0", "b.le 2f", "add x1, x1, x0", "sub x2, x2, x0", "cbnz x2, 1b",
    "2:", "mov x0, #0", `mov x8, #${SYS_EXIT}`, "svc #0",
  );
  l.push(
    ".data", ".balign 16",
    "altstack_desc:", ".quad altstack", ".word 0", ".word 0", `.quad ${ALTSTACK_SIZE}`,
    "sigact:", ".quad handler", `.quad 0x${sa.toString(16)}`, ".quad restorer", ".quad 0",
    "cur_out:", ".quad 0",
    ".bss", ".balign 16", "altstack:", `.zero ${ALTSTACK_SIZE}`,
    ".section .edge, \"aw\", @nobits", `.zero ${EDGE_SIZE - EDGE_RESET_BYTES}`, "edge_tail:", `.zero ${EDGE_RESET_BYTES}`,
  );
  return l.join("\n");
}

/** The full assembly source of a batch. */
export function stubSource(cases: StubCase[], resetEdge = false): string {
  const text: string[] = [".text", ".balign 4"];
  cases.forEach((c, i) => {
    text.push(prologue(i, resetEdge), c.asm, epilogue(i));
  });
  text.push("b finish");
  const data: string[] = [".section .outdata, \"aw\"", ".balign 16", "out_start:"];
  cases.forEach((c, i) => {
    if (c.input.length !== BLOCK_SIZE || c.scratch.length !== SCRATCH_SIZE) throw new Error("stubSource: bad block sizes");
    const out = new Uint8Array(BLOCK_SIZE);
    data.push(`out${i}:`, bytesDirective(out.subarray(0, OFF_RESUME)), `.quad case${i + 1}`, ".quad 0");
    data.push(`scratch${i}:`, bytesDirective(c.scratch));
  });
  data.push("out_end:", ".section .indata, \"aw\"", ".balign 16");
  cases.forEach((c, i) => data.push(`in${i}:`, bytesDirective(c.input)));
  return [...text, runtime(cases.length), ...data].join("\n") + "\n";
}

const LINKER_SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 0x${TEXT_BASE.toString(16)};
  .text : { *(.text*) }
  . = 0x${DATA_BASE.toString(16)};
  .outdata : { *(.outdata) }
  .indata : { *(.indata) }
  .data : { *(.data*) *(.rodata*) }
  .bss : { *(.bss*) }
  . = 0x${(EDGE_END - EDGE_SIZE).toString(16)};
  .edge : { *(.edge) }
  /DISCARD/ : { *(.comment) *(.note*) }
}
`;

const CACHE = join(process.cwd(), "build", "diff-cache");
/** Batches kept in the cache (each is about 1.5 MB: ELF, qemu's dump, symbols); oldest go first. */
const CACHE_KEEP = 150;

/** Drop the least recently built batches beyond CACHE_KEEP. */
function pruneCache(): void {
  const elfs = readdirSync(CACHE).filter((f) => f.endsWith(".elf"));
  if (elfs.length <= CACHE_KEEP) return;
  const byAge = elfs.map((f) => ({ key: f.slice(0, -4), t: statSync(join(CACHE, f)).mtimeMs })).sort((a, b) => a.t - b.t);
  const drop = new Set(byAge.slice(0, elfs.length - CACHE_KEEP).map((e) => e.key));
  for (const f of readdirSync(CACHE)) if (drop.has(f.split(".")[0])) rmSync(join(CACHE, f), { force: true });
}

/**
 * Assemble and link `cases` into a static ELF, cached under build/diff-cache
 * by the hash of the source (the source itself is not kept: it is
 * regenerated from the cases). With `resetEdge` each case first zeroes the
 * EDGE_RESET_BYTES below EDGE_END. Throws (with clang's message) if a body
 * does not assemble; the source is then left beside the cache for reading.
 */
export function buildStub(cases: StubCase[], march = "armv8.2-a+lse+crc+fp16", resetEdge = false): BuiltStub {
  const src = stubSource(cases, resetEdge);
  const key = createHash("sha256").update(march + "\n" + LINKER_SCRIPT + src).digest("hex").slice(0, 24);
  mkdirSync(CACHE, { recursive: true });
  const elf = join(CACHE, key + ".elf");
  if (!existsSync(elf)) {
    const tag = `${key}.${process.pid}`;
    const s = join(CACHE, tag + ".s");
    const ld = join(CACHE, tag + ".ld");
    const tmp = join(CACHE, tag + ".tmp");
    writeFileSync(s, src);
    writeFileSync(ld, LINKER_SCRIPT);
    execFileSync("clang", [
      "--target=aarch64-linux-gnu", `-march=${march}`, "-nostdlib", "-static", "-fuse-ld=lld",
      "-x", "assembler", s, `-Wl,-T,${ld}`, "-Wl,--no-relax", "-o", tmp,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    renameSync(tmp, elf);
    rmSync(s);
    rmSync(ld);
    pruneCache();
  } else {
    utimesSync(elf, new Date(), new Date()); // recently used: keep it
  }
  return { elf, key, dir: CACHE };
}
