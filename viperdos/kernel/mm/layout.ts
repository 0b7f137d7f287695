// The ViperDOS user address-space layout and the mm error codes
// (VIPERDOS.md, "Memory" and "Error codes"; DESIGN.md "Physical memory").
//
//   0x0000_0000_0000 .. 0x0000_7FFF_FFFF  never mapped: NULL and low pointers
//                                         are rejected by syscalls (-2)
//   0x0000_8000_0000                      code (ELF image), heap after it
//   0x0002_0000_0000 .. 0x005F_FFFF_FFFF  mmap area (first fit, upward)
//   0x0060_0000_0000                      framebuffer mapping
//   0x0070_0000_0000 ..                   shared memory objects
//   0x7FFF_FFEF_0000 .. 0x7FFF_FFFF_0000  1 MiB user stack (grows down)
//
// Virtual addresses are JS numbers: every user VA is below 2^48, exact in a
// double. Only table-index arithmetic goes through BigInt (descriptors.ts).

export const PAGE = 4096;
export const USER_BASE = 0x8000_0000;
export const MMAP_BASE = 0x2_0000_0000;
export const FRAMEBUFFER_BASE = 0x60_0000_0000;
export const MMAP_END = FRAMEBUFFER_BASE;
export const SHM_BASE = 0x70_0000_0000;
export const STACK_TOP = 0x7fff_ffff_0000;
export const STACK_SIZE = 1 << 20;
export const STACK_BOTTOM = STACK_TOP - STACK_SIZE;
export const SHM_END = STACK_BOTTOM;
/** First VA above the user range (TTBR0 region with T0SZ = 16 is 2^48; we use the lower half). */
export const USER_END = 0x8000_0000_0000;
/** ELF images (and the heap that follows them) live below the mmap area. */
export const IMAGE_END = MMAP_BASE;

/** mmap/mprotect protection bits (POSIX values, as in viperdos/user libc sys/mman.h). */
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const PROT_MASK = 7;

/**
 * The error codes mm returns, with VIPERDOS.md's numbers (the same values as
 * E in viperdos/kernel/errors.ts; kept here so mm has no upward dependency).
 */
export const MM_E = {
  OK: 0,
  INVALID_ARG: -2,
  NO_MEMORY: -3,
  NOT_FOUND: -4,
  EXISTS: -5,
  PERMISSION: -6,
  BUSY: -8,
} as const;

export function pageDown(va: number): number {
  return va - (va % PAGE);
}

export function pageUp(va: number): number {
  return Math.ceil(va / PAGE) * PAGE;
}

export function isPageAligned(va: number): boolean {
  return Number.isSafeInteger(va) && va % PAGE === 0;
}

/** "rwx" rendering of protection bits, for snapshots. */
export function protString(prot: number): string {
  return (prot & PROT_READ ? "r" : "-") + (prot & PROT_WRITE ? "w" : "-") + (prot & PROT_EXEC ? "x" : "-");
}

export function hex(n: number | bigint): string {
  return "0x" + n.toString(16);
}
