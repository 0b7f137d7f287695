// Static AArch64 ELF64 loader for ViperDOS programs (.sys / .prg): checks
// every header field a loader relies on, then describes the image as lazily
// loaded VMAs (ELF specification, "ELF-64 Object File Format" and the
// AArch64 ELF ABI; VIPERDOS.md "Programs are static AArch64 ELF64").
//
//  ELF header (64 bytes)                    program header (56 bytes each)
//   0 e_ident: 7f 'E' 'L' 'F', class 2       0 p_type   (1 = PT_LOAD, 3 = PT_INTERP)
//      (64-bit), data 1 (LE), version 1      4 p_flags  (X 1, W 2, R 4)
//  16 e_type (2 EXEC, 3 DYN)                 8 p_offset
//  18 e_machine (183 = EM_AARCH64)          16 p_vaddr
//  20 e_version (1)   24 e_entry            24 p_paddr
//  32 e_phoff  40 e_shoff  48 e_flags       32 p_filesz
//  52 e_ehsize 54 e_phentsize 56 e_phnum    40 p_memsz
//                                           48 p_align
//
// Decisions:
// - Segments must lie in [0x8000_0000, 0x2_0000_0000) (the image area; the
//   heap follows the image and mmap starts at 0x2_0000_0000), must not
//   share a page with each other, and need p_vaddr ≡ p_offset (mod 4096).
// - ET_DYN (static-PIE) images linked at 0 are placed at 0x8000_0000 (load
//   bias); their R_AARCH64_RELATIVE relocations are applied by the libc
//   start-up (viperdos/user/libc/src/start.c), not here, so pages can stay
//   lazily loaded straight from the file.
// - PT_INTERP is refused (no dynamic linking); other segment types
//   (PT_TLS, PT_GNU_STACK, PT_DYNAMIC, ...) are ignored.
// - The text VMA is R-X, data RW- (RWX if the file asks for W+X);
//   initial brk = page-aligned end of the highest segment.

import { IMAGE_END, MM_E, PAGE, pageDown, pageUp, PROT_EXEC, PROT_READ, PROT_WRITE, USER_BASE } from "./layout.js";
import type { AddressSpace, Vma } from "./vm.js";

export const EM_AARCH64 = 183;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const MAX_PHNUM = 256;

export interface ElfSegment {
  vaddr: number;
  memsz: number;
  offset: number;
  filesz: number;
  flags: number;
  prot: number;
}

export interface ElfImage {
  ok: true;
  type: "exec" | "dyn";
  /** Entry point after the load bias. */
  entry: number;
  /** Added to every p_vaddr (0 for ET_EXEC). */
  bias: number;
  segments: ElfSegment[];
  /** VMAs to add, with lazy file backing (not yet installed). */
  vmas: Vma[];
  /** Initial program break: page-aligned end of the highest segment. */
  brk: number;
}

export interface ElfError {
  ok: false;
  /** Always -2 (INVALID_ARG). */
  error: number;
  reason: string;
}

export type ElfResult = ElfImage | ElfError;

function fail(reason: string): ElfError {
  return { ok: false, error: MM_E.INVALID_ARG, reason };
}

/** u64 field as a number, or -1 if it does not fit in 2^53 (no valid image needs more). */
function u64(dv: DataView, off: number): number {
  const v = dv.getBigUint64(off, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

/**
 * Parse and validate `file` as a ViperDOS program. Returns the image
 * (segments, entry, lazy VMAs, initial brk) or { ok: false, error: -2,
 * reason }. Never throws. The VMAs reference `file` itself: the caller must
 * not modify it afterwards (loadElf copies it).
 */
export function parseElf(file: Uint8Array, name?: string): ElfResult {
  if (file.length < EHDR_SIZE) return fail(`file too short for an ELF header (${file.length} bytes)`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file[0] !== 0x7f || file[1] !== 0x45 || file[2] !== 0x4c || file[3] !== 0x46) return fail("bad ELF magic");
  if (file[4] !== 2) return fail(`EI_CLASS ${file[4]}: not ELFCLASS64`);
  if (file[5] !== 1) return fail(`EI_DATA ${file[5]}: not little-endian`);
  if (file[6] !== 1) return fail(`EI_VERSION ${file[6]}: not EV_CURRENT`);
  const eType = dv.getUint16(16, true);
  if (eType !== ET_EXEC && eType !== ET_DYN) return fail(`e_type ${eType}: not ET_EXEC or ET_DYN`);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_AARCH64) return fail(`e_machine ${machine}: not EM_AARCH64 (183)`);
  if (dv.getUint32(20, true) !== 1) return fail(`e_version ${dv.getUint32(20, true)}: not EV_CURRENT`);
  const entryRaw = u64(dv, 24);
  const phoff = u64(dv, 32);
  const ehsize = dv.getUint16(52, true);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (ehsize < EHDR_SIZE) return fail(`e_ehsize ${ehsize} below 64`);
  if (phentsize !== PHDR_SIZE) return fail(`e_phentsize ${phentsize}: expected 56`);
  if (phnum === 0 || phnum > MAX_PHNUM) return fail(`e_phnum ${phnum} out of range 1..${MAX_PHNUM}`);
  if (phoff < 0 || phoff + phnum * PHDR_SIZE > file.length) return fail("program header table outside the file");
  if (entryRaw < 0) return fail("e_entry out of range");

  const raw: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * PHDR_SIZE;
    const type = dv.getUint32(p, true);
    if (type === PT_INTERP) return fail("PT_INTERP: dynamically linked programs are not supported");
    if (type !== PT_LOAD) continue;
    const flags = dv.getUint32(p + 4, true);
    const offset = u64(dv, p + 8);
    const vaddr = u64(dv, p + 16);
    const filesz = u64(dv, p + 32);
    const memsz = u64(dv, p + 40);
    if (offset < 0 || vaddr < 0 || filesz < 0 || memsz < 0) return fail(`segment ${i}: field out of range`);
    if (offset + filesz > file.length) return fail(`segment ${i}: file bytes [${offset}, ${offset + filesz}) outside the file (${file.length} bytes)`);
    if (filesz > memsz) return fail(`segment ${i}: p_filesz ${filesz} > p_memsz ${memsz}`);
    if (vaddr % PAGE !== offset % PAGE) return fail(`segment ${i}: p_vaddr 0x${vaddr.toString(16)} and p_offset 0x${offset.toString(16)} not congruent mod 4096`);
    if (memsz === 0) continue;
    const prot = (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
    raw.push({ vaddr, memsz, offset, filesz, flags, prot });
  }
  if (raw.length === 0) return fail("no PT_LOAD segment");

  const lowest = Math.min(...raw.map((s) => s.vaddr));
  const bias = eType === ET_DYN && lowest < USER_BASE ? USER_BASE - pageDown(lowest) : 0;
  const segments = raw.map((s) => ({ ...s, vaddr: s.vaddr + bias })).sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s.vaddr < USER_BASE) return fail(`segment at 0x${s.vaddr.toString(16)} below the user base 0x80000000`);
    if (pageUp(s.vaddr + s.memsz) > IMAGE_END) return fail(`segment at 0x${s.vaddr.toString(16)} reaches the mmap area (0x200000000)`);
    if (i > 0 && pageDown(s.vaddr) < pageUp(segments[i - 1].vaddr + segments[i - 1].memsz)) {
      return fail(`segments at 0x${segments[i - 1].vaddr.toString(16)} and 0x${s.vaddr.toString(16)} overlap (page granularity)`);
    }
  }
  const entry = entryRaw + bias;
  if (!segments.some((s) => s.prot & PROT_EXEC && entry >= s.vaddr && entry < s.vaddr + s.memsz)) {
    return fail(`entry 0x${entry.toString(16)} is not inside an executable segment`);
  }
  if (entry % 4 !== 0) return fail(`entry 0x${entry.toString(16)} not 4-byte aligned`);

  const vmas: Vma[] = segments.map((s) => ({
    start: pageDown(s.vaddr),
    end: pageUp(s.vaddr + s.memsz),
    prot: s.prot,
    kind: s.prot & PROT_EXEC ? "text" : "data",
    backing: { type: "file", file, fileOffset: s.offset, vaddr: s.vaddr, fileSize: s.filesz, name },
  }));
  const brk = pageUp(Math.max(...segments.map((s) => s.vaddr + s.memsz)));
  return { ok: true, type: eType === ET_EXEC ? "exec" : "dyn", entry, bias, segments, vmas, brk };
}

/**
 * Parse `file` and install its VMAs and initial break in `as` (an empty
 * space). Nothing is read into memory yet: pages load on first touch.
 * Returns the image, or an ElfError (-2 with a reason; also when the space
 * already has overlapping VMAs). The file is copied, so the caller may
 * reuse its buffer.
 */
export function loadElf(as: AddressSpace, file: Uint8Array, name?: string): ElfResult {
  const image = parseElf(file.slice(), name);
  if (!image.ok) return image;
  for (const v of image.vmas) {
    const r = as.addVma(v);
    if (r < 0) return fail(`cannot add VMA 0x${v.start.toString(16)}-0x${v.end.toString(16)} (error ${r})`);
  }
  const r = as.initHeap(image.brk);
  if (r < 0) return fail(`bad initial break 0x${image.brk.toString(16)}`);
  return image;
}

/** Plain JSON view of a parse result for notebooks (no file bytes). */
export function elfSnapshot(r: ElfResult): object {
  if (!r.ok) return { ok: false, error: r.error, reason: r.reason };
  const h = (n: number): string => "0x" + n.toString(16);
  return {
    ok: true,
    type: r.type,
    entry: h(r.entry),
    bias: h(r.bias),
    brk: h(r.brk),
    segments: r.segments.map((s) => ({ vaddr: h(s.vaddr), memsz: s.memsz, offset: h(s.offset), filesz: s.filesz, prot: s.prot })),
    vmas: r.vmas.map((v) => ({ start: h(v.start), end: h(v.end), prot: v.prot, kind: v.kind })),
  };
}
