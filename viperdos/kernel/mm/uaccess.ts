// Kernel access to user memory: copyIn / copyOut / copyInString and u32/u64
// helpers (DESIGN.md "Physical memory"; xv6's copyin/copyout).
//
// Each page is checked the way an EL0 access would be (the MMU's own walk and
// permission check from emulator/mmu/walk.ts, with EL0 permissions, like
// LDTR/STTR), and a page that is not accessible yet goes through the
// address space's fault handler first, so a syscall on a never-touched heap
// page, a lazily loaded data page or a COW page works as a user load/store
// would. Errors, never exceptions:
//   -2 INVALID_ARG  NULL, below 0x8000_0000, beyond the user range, no VMA
//   -6 PERMISSION   a VMA is there but does not allow the access
//   -3 NO_MEMORY    a page could not be allocated to satisfy the fault
// copyOut checks every page before writing, so a failing copy writes nothing.

import { RAM_BASE } from "../../../emulator/bus.js";
import { checkAccess, walk, type Access } from "../../../emulator/mmu/walk.js";
import { MM_E, PAGE, USER_BASE, USER_END } from "./layout.js";
import { USER_TCR, type AddressSpace } from "./vm.js";

/** Largest single copy (64 MiB): a guard against absurd lengths from user programs. */
export const MAX_COPY = 64 << 20;

/** PA of the page holding `va` if EL0 may `access` it (faulting it in), or an error. */
function userPage(as: AddressSpace, va: number, access: Access): number {
  const vpage = Math.floor(va / PAGE);
  if (access !== "exec") {
    const hit = as.uaccessTlb.lookup(vpage, access === "write");
    if (hit >= 0) return hit;
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    const w = walk(as.pmm.bus, as.ttbr0, USER_TCR, BigInt(va));
    // A device mapping (MAP_DEVICE) is not memory the kernel copies to or from: a bad pointer.
    if (w.ok && !as.pmm.bus.isRam(w.pagePa, PAGE)) return MM_E.INVALID_ARG;
    if (w.ok && checkAccess(w, access, 0) === 0) {
      if (checkAccess(w, "read", 0) === 0) as.uaccessTlb.set(vpage, w.pagePa, checkAccess(w, "write", 0) === 0);
      return w.pagePa;
    }
    if (attempt === 1 || as.handleFault(va, access) !== "handled") break;
  }
  switch (as.lastSegv?.reason) {
    case "protection":
      return MM_E.PERMISSION;
    case "no-memory":
      return MM_E.NO_MEMORY;
    default:
      return MM_E.INVALID_ARG;
  }
}

function badRange(as: AddressSpace, va: number, len: number): boolean {
  return as.isDestroyed || !Number.isSafeInteger(va) || !Number.isSafeInteger(len) || len < 0 || len > MAX_COPY || va < USER_BASE || va + len > USER_END;
}

/** Physical pieces [pa, length] covering [va, va+len) for `access`, or an error. */
function userPieces(as: AddressSpace, va: number, len: number, access: Access): [number, number][] | number {
  if (badRange(as, va, len)) return MM_E.INVALID_ARG;
  const pieces: [number, number][] = [];
  let v = va;
  while (v < va + len) {
    const off = v % PAGE;
    const n = Math.min(PAGE - off, va + len - v);
    const pa = userPage(as, v, access);
    if (pa < 0) return pa;
    pieces.push([pa + off, n]);
    v += n;
  }
  return pieces;
}

/**
 * PA of [va, va+len) when the range lies in one page and the uaccess TLB
 * already vouches for `access` there (the common case of small syscall
 * buffers), else -1: the caller takes the general path (same result, just
 * slower). Never faults, never allocates.
 */
function fastPa(as: AddressSpace, va: number, len: number, write: boolean): number {
  if (badRange(as, va, len)) return -1;
  const off = va % PAGE;
  if (off + len > PAGE) return -1;
  const frame = as.uaccessTlb.lookup((va - off) / PAGE, write);
  if (frame < 0) return -1;
  const pa = frame + off;
  return as.pmm.bus.isRam(pa, len) ? pa : -1;
}

/**
 * Copy `len` bytes from user `va`. Returns the bytes, or -2 / -6 / -3 (see
 * header). Never throws.
 */
export function copyIn(as: AddressSpace, va: number, len: number): Uint8Array | number {
  const pa = fastPa(as, va, len, false);
  if (pa >= 0) return as.pmm.bus.ram.slice(pa - RAM_BASE, pa - RAM_BASE + len);
  const pieces = userPieces(as, va, len, "read");
  if (typeof pieces === "number") return pieces;
  const out = new Uint8Array(len);
  let o = 0;
  for (const [pa, n] of pieces) {
    out.set(as.pmm.bus.ram.subarray(pa - RAM_BASE, pa - RAM_BASE + n), o);
    o += n;
  }
  return out;
}

/**
 * The bytes at user `va` for reading right away: a view of guest RAM when the
 * range lies in one page the uaccess TLB vouches for (no copy), else a copy
 * (copyIn). The caller must use it before any guest memory changes and must
 * not keep it. Errors as copyIn.
 */
export function userBytes(as: AddressSpace, va: number, len: number): Uint8Array | number {
  const pa = fastPa(as, va, len, false);
  if (pa >= 0) return as.pmm.bus.ram.subarray(pa - RAM_BASE, pa - RAM_BASE + len);
  return copyIn(as, va, len);
}

/**
 * Copy `bytes` to user `va`. Returns 0, or -2 / -6 / -3; on error nothing
 * was written. Writes go through the bus, so translated code on the pages
 * is invalidated. Never throws.
 */
export function copyOut(as: AddressSpace, va: number, bytes: Uint8Array): number {
  const pa = fastPa(as, va, bytes.length, true);
  if (pa >= 0) {
    as.pmm.bus.writeBytes(pa, bytes);
    return 0;
  }
  const pieces = userPieces(as, va, bytes.length, "write");
  if (typeof pieces === "number") return pieces;
  let o = 0;
  for (const [pa, n] of pieces) {
    as.pmm.bus.writeBytes(pa, bytes.subarray(o, o + n));
    o += n;
  }
  return 0;
}

/**
 * A NUL-terminated UTF-8 string of at most `max` bytes (NUL excluded) from
 * user `va`. Returns the string, -2 when no NUL comes within `max` bytes or
 * the pointer is bad, -6 on a permission failure. Never throws.
 */
export function copyInString(as: AddressSpace, va: number, max: number): string | number {
  if (badRange(as, va, 0) || !Number.isSafeInteger(max) || max < 0 || max > MAX_COPY) return MM_E.INVALID_ARG;
  const chunks: Uint8Array[] = [];
  let v = va;
  let total = 0;
  while (total <= max) {
    if (v >= USER_END) return MM_E.INVALID_ARG;
    const pa = userPage(as, v, "read");
    if (pa < 0) return pa;
    const off = v % PAGE;
    const n = Math.min(PAGE - off, max + 1 - total);
    const base = pa + off - RAM_BASE;
    const bytes = as.pmm.bus.ram.subarray(base, base + n);
    const nul = bytes.indexOf(0);
    if (nul >= 0) {
      chunks.push(bytes.slice(0, nul));
      return new TextDecoder().decode(concat(chunks));
    }
    chunks.push(bytes.slice());
    total += n;
    v += n;
  }
  return MM_E.INVALID_ARG;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Little-endian u32 at user `va` (any alignment): the value (>= 0) or an error (< 0). */
export function readU32(as: AddressSpace, va: number): number {
  const pa = fastPa(as, va, 4, false);
  if (pa >= 0) {
    const ram = as.pmm.bus.ram;
    const o = pa - RAM_BASE;
    return (ram[o] | (ram[o + 1] << 8) | (ram[o + 2] << 16) | (ram[o + 3] << 24)) >>> 0;
  }
  const b = copyIn(as, va, 4);
  if (typeof b === "number") return b;
  return new DataView(b.buffer).getUint32(0, true);
}

/** Little-endian u64 at user `va`: the value as a bigint, or an error as a (negative) number. */
export function readU64(as: AddressSpace, va: number): bigint | number {
  const b = copyIn(as, va, 8);
  if (typeof b === "number") return b;
  return new DataView(b.buffer).getBigUint64(0, true);
}

/** Store a little-endian u32 at user `va`. Returns 0 or an error. */
export function writeU32(as: AddressSpace, va: number, value: number): number {
  const pa = fastPa(as, va, 4, true);
  if (pa >= 0) {
    const bus = as.pmm.bus;
    const o = pa - RAM_BASE;
    bus.noteWrite(o, 4); // translated code on the page is invalidated, as writeBytes does
    const ram = bus.ram;
    ram[o] = value & 0xff;
    ram[o + 1] = (value >>> 8) & 0xff;
    ram[o + 2] = (value >>> 16) & 0xff;
    ram[o + 3] = (value >>> 24) & 0xff;
    return 0;
  }
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return copyOut(as, va, b);
}

/** Store a little-endian u64 at user `va`. Returns 0 or an error. */
export function writeU64(as: AddressSpace, va: number, value: bigint): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return copyOut(as, va, b);
}
