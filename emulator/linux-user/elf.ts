// ELF64 parsing and validation for the Linux-user harness (System V gABI,
// "ELF-64 Object File Format", and the AArch64 ELF ABI for EM_AARCH64 and
// its relocation numbers). Only what a static executable needs: the file
// header, program headers, PT_LOAD segments and, for static-PIE (ET_DYN),
// the RELA table named by PT_DYNAMIC.
//
// Every problem is reported as an ElfError with a one-line message; nothing
// here throws anything else for any input bytes.
//
// ELF64 file header (64 bytes)             Program header (56 bytes)
//   0  e_ident[16]  magic, class, data...    0  p_type   u32
//  16  e_type     u16                        4  p_flags  u32  (X=1 W=2 R=4)
//  18  e_machine  u16                        8  p_offset u64
//  20  e_version  u32                       16  p_vaddr  u64
//  24  e_entry    u64                       24  p_paddr  u64
//  32  e_phoff    u64                       32  p_filesz u64
//  40  e_shoff    u64                       40  p_memsz  u64
//  48  e_flags    u32                       48  p_align  u64
//  52  e_ehsize   u16
//  54  e_phentsize u16, 56 e_phnum u16, 58 e_shentsize, 60 e_shnum, 62 e_shstrndx

export const EM_AARCH64 = 183;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const MAX_PHNUM = 256;
/** User VAs are below 2^48 (TTBR0 with T0SZ = 16). */
export const VA_LIMIT = 2 ** 48;
/** Largest total memory image we accept (the guest RAM is smaller anyway). */
export const MAX_IMAGE = 1024 * 1024 * 1024;

const DT_NULL = 0;
const DT_RELA = 7;
const DT_RELASZ = 8;
const DT_RELAENT = 9;
const DT_REL = 17;
const DT_RELRSZ = 35;
const R_AARCH64_NONE = 0;
export const R_AARCH64_RELATIVE = 1027;

export type ElfErrorKind =
  | "truncated"
  | "not-elf"
  | "unsupported"
  | "wrong-machine"
  | "bad-header"
  | "bad-phdr"
  | "bad-segment"
  | "overlap"
  | "too-large"
  | "bad-entry"
  | "bad-relocation";

/** A malformed or unsupported executable; `message` is one line. */
export class ElfError extends Error {
  constructor(readonly kind: ElfErrorKind, message: string) {
    super(message);
    this.name = "ElfError";
  }
}

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** One RELA entry to apply at load time (only R_AARCH64_RELATIVE here). */
export interface Relocation {
  offset: number;
  addend: bigint;
}

export interface ElfImage {
  type: typeof ET_EXEC | typeof ET_DYN;
  /** Entry point before adding the load bias. */
  entry: number;
  phoff: number;
  phnum: number;
  phdrs: ProgramHeader[];
  /** The PT_LOAD headers, sorted by vaddr. */
  loads: ProgramHeader[];
  /** Unbiased VA of the program headers in memory (for AT_PHDR), or 0 if not loaded. */
  phdrVaddr: number;
  /** Lowest and highest (exclusive) unbiased VAs of the PT_LOAD segments. */
  lowVaddr: number;
  highVaddr: number;
  /** Largest PT_LOAD alignment (at least 4096). */
  maxAlign: number;
  relocations: Relocation[];
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}

/** Read a u64 as a JS number, rejecting values that do not fit in 2^53 exactly. */
function u64(v: DataView, off: number, what: string): number {
  const big = v.getBigUint64(off, true);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError("bad-header", `${what} 0x${big.toString(16)} is out of range`);
  return Number(big);
}

/**
 * Parse and validate an AArch64 ELF64 executable. Returns its image
 * description; throws ElfError (only) for anything malformed or unsupported:
 * truncation, wrong magic/class/endianness/machine/type, program headers or
 * segments outside the file, p_filesz > p_memsz, bad alignment, overlapping
 * segments, addresses at or above 2^48, an entry point outside executable
 * code, dynamic linking (PT_INTERP) or relocations other than RELATIVE.
 */
export function parseElf(bytes: Uint8Array): ElfImage {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError("not-elf", "not an ELF file (bad magic)");
  }
  if (bytes.length < EHDR_SIZE) throw new ElfError("truncated", `truncated ELF header (${bytes.length} bytes, need ${EHDR_SIZE})`);
  if (bytes[4] !== 2) throw new ElfError("unsupported", `unsupported ELF class ${bytes[4]} (need ELFCLASS64)`);
  if (bytes[5] !== 1) throw new ElfError("unsupported", `unsupported ELF data encoding ${bytes[5]} (need little-endian)`);
  if (bytes[6] !== 1) throw new ElfError("unsupported", `unsupported ELF version ${bytes[6]}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  if (machine !== EM_AARCH64) throw new ElfError("wrong-machine", `wrong machine ${machine} (not AArch64, need EM_AARCH64 = 183)`);
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfError("unsupported", `unsupported ELF type ${type} (need ET_EXEC or static-PIE ET_DYN)`);
  if (v.getUint32(20, true) !== 1) throw new ElfError("unsupported", `unsupported e_version ${v.getUint32(20, true)}`);
  const entry = u64(v, 24, "e_entry");
  const phoff = u64(v, 32, "e_phoff");
  const ehsize = v.getUint16(52, true);
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  if (ehsize !== EHDR_SIZE) throw new ElfError("bad-header", `bad e_ehsize ${ehsize}`);
  if (phnum === 0) throw new ElfError("bad-phdr", "no program headers");
  if (phentsize !== PHDR_SIZE) throw new ElfError("bad-phdr", `bad e_phentsize ${phentsize} (need ${PHDR_SIZE})`);
  if (phnum > MAX_PHNUM) throw new ElfError("bad-phdr", `too many program headers (${phnum})`);
  if (phoff % 8 !== 0) throw new ElfError("bad-phdr", `misaligned e_phoff ${hex(phoff)}`);
  if (phoff + phnum * PHDR_SIZE > bytes.length) {
    throw new ElfError("bad-phdr", `program headers at ${hex(phoff)}+${phnum}*${PHDR_SIZE} lie outside the file (${bytes.length} bytes)`);
  }

  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * PHDR_SIZE;
    phdrs.push({
      type: v.getUint32(o, true),
      flags: v.getUint32(o + 4, true),
      offset: u64(v, o + 8, "p_offset"),
      vaddr: u64(v, o + 16, "p_vaddr"),
      filesz: u64(v, o + 32, "p_filesz"),
      memsz: u64(v, o + 40, "p_memsz"),
      align: u64(v, o + 48, "p_align"),
    });
  }
  if (phdrs.some((p) => p.type === PT_INTERP)) {
    throw new ElfError("unsupported", "dynamically linked executable (PT_INTERP) is not supported; link with -static");
  }

  const loads = validateLoads(phdrs, bytes.length);
  const lowVaddr = loads[0].vaddr - (loads[0].vaddr % 4096);
  const last = loads[loads.length - 1];
  const highVaddr = last.vaddr + last.memsz;
  if (highVaddr - lowVaddr > MAX_IMAGE) throw new ElfError("too-large", `memory image of ${highVaddr - lowVaddr} bytes is too large`);
  const maxAlign = Math.max(4096, ...loads.map((p) => p.align));
  if (!loads.some((p) => (p.flags & PF_X) !== 0 && entry >= p.vaddr && entry < p.vaddr + p.memsz)) {
    throw new ElfError("bad-entry", `entry point ${hex(entry)} is outside every executable segment`);
  }
  if (entry % 4 !== 0) throw new ElfError("bad-entry", `entry point ${hex(entry)} is not 4-byte aligned`);

  const phdrVaddr = findPhdrVaddr(phdrs, loads, phoff, phnum);
  const relocations = type === ET_DYN ? readRelocations(v, phdrs, loads) : [];
  return { type, entry, phoff, phnum, phdrs, loads, phdrVaddr, lowVaddr, highVaddr, maxAlign, relocations };
}

/** Check the PT_LOAD headers against the file and each other; returns them sorted by vaddr. */
function validateLoads(phdrs: ProgramHeader[], fileSize: number): ProgramHeader[] {
  const loads = phdrs.filter((p) => p.type === PT_LOAD && p.memsz > 0);
  if (loads.length === 0) throw new ElfError("bad-segment", "no loadable (PT_LOAD) segments");
  for (const p of loads) {
    const name = `PT_LOAD at ${hex(p.vaddr)}`;
    if (p.filesz > p.memsz) throw new ElfError("bad-segment", `${name}: p_filesz ${hex(p.filesz)} > p_memsz ${hex(p.memsz)}`);
    if (p.offset + p.filesz > fileSize) {
      throw new ElfError("bad-segment", `${name}: file range ${hex(p.offset)}+${hex(p.filesz)} lies outside the file (${fileSize} bytes)`);
    }
    if (p.memsz > MAX_IMAGE) throw new ElfError("too-large", `${name}: p_memsz ${hex(p.memsz)} is too large`);
    if (p.vaddr + p.memsz > VA_LIMIT) throw new ElfError("bad-segment", `${name}: segment ends above 2^48`);
    if (p.align > 1 && (p.align & (p.align - 1)) !== 0) throw new ElfError("bad-segment", `${name}: p_align ${hex(p.align)} is not a power of two`);
    if (p.align > 1 && p.vaddr % p.align !== p.offset % p.align) {
      throw new ElfError("bad-segment", `${name}: p_vaddr and p_offset disagree modulo p_align ${hex(p.align)}`);
    }
    if (p.vaddr % 4096 !== p.offset % 4096) throw new ElfError("bad-segment", `${name}: p_vaddr and p_offset disagree modulo the page size`);
  }
  loads.sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < loads.length; i++) {
    const a = loads[i - 1];
    const b = loads[i];
    if (b.vaddr < a.vaddr + a.memsz) {
      throw new ElfError("overlap", `PT_LOAD segments overlap: ${hex(a.vaddr)}+${hex(a.memsz)} and ${hex(b.vaddr)}+${hex(b.memsz)}`);
    }
  }
  return loads;
}

/** Unbiased VA of the program header table: PT_PHDR, else the PT_LOAD covering e_phoff. */
function findPhdrVaddr(phdrs: ProgramHeader[], loads: ProgramHeader[], phoff: number, phnum: number): number {
  const pt = phdrs.find((p) => p.type === PT_PHDR);
  if (pt) return pt.vaddr;
  const end = phoff + phnum * PHDR_SIZE;
  const seg = loads.find((p) => phoff >= p.offset && end <= p.offset + p.filesz);
  return seg ? seg.vaddr + (phoff - seg.offset) : 0;
}

/** The file bytes of unbiased VA range [va, va+len), if a PT_LOAD holds them in the file. */
function fileOffsetOf(loads: ProgramHeader[], va: number, len: number): number | undefined {
  for (const p of loads) {
    if (va >= p.vaddr && va + len <= p.vaddr + p.filesz) return p.offset + (va - p.vaddr);
  }
  return undefined;
}

/**
 * Static-PIE relocations: walk the dynamic section (Elf64_Dyn: d_tag i64,
 * d_val u64) for DT_RELA/DT_RELASZ/DT_RELAENT and read the Elf64_Rela
 * entries (r_offset u64, r_info u64 = sym << 32 | type, r_addend i64).
 */
function readRelocations(v: DataView, phdrs: ProgramHeader[], loads: ProgramHeader[]): Relocation[] {
  const dyn = phdrs.find((p) => p.type === PT_DYNAMIC);
  if (!dyn) return [];
  if (dyn.offset + dyn.filesz > v.byteLength || dyn.filesz % 16 !== 0) throw new ElfError("bad-relocation", "PT_DYNAMIC lies outside the file");
  let rela = -1;
  let relasz = 0;
  let relaent = 24;
  for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.filesz; o += 16) {
    const tag = Number(v.getBigInt64(o, true));
    if (tag === DT_NULL) break;
    const val = v.getBigUint64(o + 8, true);
    if (val > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError("bad-relocation", `dynamic entry ${tag} out of range`);
    if (tag === DT_RELA) rela = Number(val);
    else if (tag === DT_RELASZ) relasz = Number(val);
    else if (tag === DT_RELAENT) relaent = Number(val);
    else if (tag === DT_REL) throw new ElfError("bad-relocation", "DT_REL relocations are not supported (AArch64 uses RELA)");
    else if (tag === DT_RELRSZ && val !== 0n) throw new ElfError("bad-relocation", "DT_RELR relocations are not supported");
  }
  if (rela < 0 || relasz === 0) return [];
  if (relaent !== 24 || relasz % 24 !== 0) throw new ElfError("bad-relocation", `bad DT_RELAENT ${relaent} / DT_RELASZ ${relasz}`);
  const off = fileOffsetOf(loads, rela, relasz);
  if (off === undefined) throw new ElfError("bad-relocation", `RELA table at ${hex(rela)} is not in a loaded part of the file`);
  const out: Relocation[] = [];
  for (let o = off; o < off + relasz; o += 24) {
    const rOffset = v.getBigUint64(o, true);
    const rType = Number(v.getBigUint64(o + 8, true) & 0xffffffffn);
    if (rType === R_AARCH64_NONE) continue;
    if (rType !== R_AARCH64_RELATIVE) throw new ElfError("bad-relocation", `unsupported relocation type ${rType} in static-PIE`);
    const target = Number(rOffset);
    if (rOffset > BigInt(VA_LIMIT) || !loads.some((p) => target >= p.vaddr && target + 8 <= p.vaddr + p.memsz)) {
      throw new ElfError("bad-relocation", `relocation target ${hex(target)} is outside the loaded segments`);
    }
    out.push({ offset: target, addend: v.getBigInt64(o + 16, true) });
  }
  return out;
}
