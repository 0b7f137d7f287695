// Process image set-up, as Linux's exec does it for a static AArch64
// executable: PT_LOAD segments mapped with their permissions (bss zeroed),
// static-PIE relocated, a stack VMA with the initial argc/argv/envp/auxv
// block, and the start of the brk heap.
//
// Initial stack (addresses grow upwards; SP at entry points at argc and is
// 16-byte aligned), as laid out by Linux's create_elf_tables():
//
//   SP ->  argc
//          argv[0] ... argv[argc-1], NULL
//          envp[0] ... envp[n-1], NULL
//          auxv: (type, value) pairs ..., (AT_NULL, 0)
//          padding
//          AT_RANDOM's 16 bytes
//          argument and environment strings
//          execfn string (AT_EXECFN), 8 zero bytes   <- STACK_TOP

import { PAGE_SIZE } from "../bus.js";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "./address_space.js";
import { ElfImage, ET_DYN, PF_R, PF_W, PF_X } from "./elf.js";

/** One past the highest stack byte (Linux's typical 48-bit layout). */
export const STACK_TOP = 0x7fff_ffff_f000;
export const STACK_SIZE = 8 * 1024 * 1024;
/** Load address of a static-PIE (ET_DYN) image, before rounding up to its alignment. */
export const PIE_BASE = 0x5555_5555_0000;

// Auxiliary vector types (include/uapi/linux/auxvec.h numbers).
export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;

/**
 * AT_HWCAP bits for the features our CPU implements (arch/arm64 uapi
 * hwcap.h): FP (bit 0), ASIMD (1), CRC32 (7), ATOMICS (8, LSE).
 */
export const HWCAP_FP = 1 << 0;
export const HWCAP_ASIMD = 1 << 1;
export const HWCAP_CRC32 = 1 << 7;
export const HWCAP_ATOMICS = 1 << 8;
export const HWCAP = HWCAP_FP | HWCAP_ASIMD | HWCAP_CRC32 | HWCAP_ATOMICS;

/** The process ids a guest sees (a single root-less process). */
export const GUEST_UID = 1000;

export interface LoadedProcess {
  entry: number;
  sp: number;
  /** Load bias added to every VA of the file (0 for ET_EXEC). */
  bias: number;
  /** First byte after the highest segment, page-aligned: where brk starts. */
  brkStart: number;
}

function protOf(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/**
 * Map `image` (parsed from `file`) into `space`, apply its relocations and
 * build the initial stack for `argv`/`envp`. `random16` fills AT_RANDOM.
 * The ElfImage must come from parseElf (validated); throws OutOfMemory.
 */
export function loadProcess(
  space: AddressSpace,
  image: ElfImage,
  file: Uint8Array,
  argv: string[],
  envp: string[],
  random16: Uint8Array,
): LoadedProcess {
  let bias = 0;
  if (image.type === ET_DYN) bias = Math.ceil(PIE_BASE / image.maxAlign) * image.maxAlign - image.lowVaddr;

  // Page permissions: the union over the segments touching each page.
  const pageProt = new Map<number, number>();
  for (const p of image.loads) {
    const first = Math.floor((p.vaddr + bias) / PAGE_SIZE);
    const last = Math.floor((p.vaddr + bias + p.memsz - 1) / PAGE_SIZE);
    for (let pg = first; pg <= last; pg++) pageProt.set(pg, (pageProt.get(pg) ?? 0) | protOf(p.flags));
  }
  const pages = [...pageProt.keys()].sort((a, b) => a - b);
  for (const pg of pages) space.addVma(pg * PAGE_SIZE, (pg + 1) * PAGE_SIZE, pageProt.get(pg)!, "image");
  for (const p of image.loads) {
    space.poke(p.vaddr + bias, file.subarray(p.offset, p.offset + p.filesz));
    // bss: pages are zero when mapped; make sure every bss page exists so
    // the image is fully resident like a freshly exec'd Linux process.
    const bssStart = p.vaddr + bias + p.filesz;
    const bssEnd = p.vaddr + bias + p.memsz;
    for (let va = bssStart - (bssStart % PAGE_SIZE); va < bssEnd; va += PAGE_SIZE) {
      if (space.physicalOf(va) === undefined) space.poke(Math.max(va, bssStart), new Uint8Array(1));
    }
  }
  for (const r of image.relocations) {
    const word = new Uint8Array(8);
    new DataView(word.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(bias) + r.addend), true);
    space.poke(r.offset + bias, word);
  }

  const highest = (pages[pages.length - 1] + 1) * PAGE_SIZE;
  space.addVma(STACK_TOP - STACK_SIZE, STACK_TOP, PROT_READ | PROT_WRITE, "stack");
  const phdr = image.phdrVaddr ? image.phdrVaddr + bias : 0;
  const auxv: [number, number][] = [
    [AT_HWCAP, HWCAP],
    [AT_PAGESZ, PAGE_SIZE],
    [AT_CLKTCK, 100],
    [AT_PHDR, phdr],
    [AT_PHENT, 56],
    [AT_PHNUM, image.phnum],
    [AT_BASE, 0],
    [AT_FLAGS, 0],
    [AT_ENTRY, image.entry + bias],
    [AT_UID, GUEST_UID],
    [AT_EUID, GUEST_UID],
    [AT_GID, GUEST_UID],
    [AT_EGID, GUEST_UID],
    [AT_SECURE, 0],
    [AT_RANDOM, 0], // filled in by buildStack
    [AT_HWCAP2, 0],
    [AT_EXECFN, 0], // filled in by buildStack
  ];
  const sp = buildStack(space, argv, envp, auxv, random16);
  return { entry: image.entry + bias, sp, bias, brkStart: highest };
}

/** Write the initial stack block below STACK_TOP; returns the SP (16-byte aligned). */
function buildStack(space: AddressSpace, argv: string[], envp: string[], auxv: [number, number][], random16: Uint8Array): number {
  const enc = new TextEncoder();
  let top = STACK_TOP - 8; // 8 zero bytes end the stack, as on Linux
  const pushString = (s: string): number => {
    const b = enc.encode(s + "\0");
    top -= b.length;
    space.poke(top, b);
    return top;
  };
  const execfn = pushString(argv[0] ?? "");
  // Strings ascend in memory: argv[0], ..., argv[n-1], envp[0], ... (push the last first).
  const envPtrs = [...envp].reverse().map(pushString).reverse();
  const argPtrs = [...argv].reverse().map(pushString).reverse();
  top -= 16;
  top -= top % 16;
  const random = top;
  space.poke(random, random16);
  for (const a of auxv) {
    if (a[0] === AT_RANDOM) a[1] = random;
    if (a[0] === AT_EXECFN) a[1] = execfn;
  }
  const words: number[] = [argv.length, ...argPtrs, 0, ...envPtrs, 0];
  for (const [k, v] of auxv) words.push(k, v);
  words.push(AT_NULL, 0);
  let sp = top - words.length * 8;
  sp -= sp % 16;
  const block = new Uint8Array(words.length * 8);
  const dv = new DataView(block.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt(w), true));
  space.poke(sp, block);
  return sp;
}
