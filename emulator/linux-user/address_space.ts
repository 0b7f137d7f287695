// A Linux process's address space in guest RAM: a physical page allocator,
// real 4-level stage-1 page tables (4 KiB granule, T0SZ = 16, so VAs below
// 2^48 walk levels 0..3), and a list of virtual memory areas (VMAs) that say
// which addresses the process may touch and with which permissions.
//
// Pages inside a VMA are mapped lazily: the first access takes a translation
// fault, the run loop calls `handleFault`, which maps a zeroed page and lets
// the instruction run again (demand paging). An access outside every VMA, or
// one the VMA's permissions forbid, is a segmentation fault.

import { PhysicalBus, RAM_BASE, PAGE_SIZE } from "../bus.js";
import { CpuState } from "../cpu/state.js";
import { Mmu } from "../mmu/mmu.js";
import {
  descriptorAddress,
  descriptorKind,
  makePageDescriptor,
  makeTableDescriptor,
  tableIndex,
  FSC_TRANSLATION,
} from "../mmu/descriptors.js";

/** Linux PROT_* bits (also used for VMA permissions). */
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

export interface Vma {
  start: number;
  end: number;
  prot: number;
  name: string;
}

/** Thrown when guest RAM has no free page left (the process is killed). */
export class OutOfMemory extends Error {
  constructor() {
    super("out of guest physical memory");
  }
}

const PAGE = PAGE_SIZE;

export class AddressSpace {
  /** Physical address of the level-0 table (goes into TTBR0_EL1). */
  readonly root: number;
  private nextFree: number;
  private readonly freePages: number[] = [];
  /** VMAs sorted by start, never overlapping. */
  readonly vmas: Vma[] = [];
  /** Pages currently mapped (for statistics). */
  mappedPages = 0;

  constructor(readonly bus: PhysicalBus, readonly mmu: Mmu) {
    this.nextFree = RAM_BASE;
    this.root = this.allocPage();
  }

  /** Point `cpu` at these tables and turn stage-1 translation on. */
  activate(cpu: CpuState): void {
    cpu.tcr = 16n; // T0SZ = 16: 48-bit VAs, TG0 = 4 KiB, walks from level 0
    cpu.mair = 0xffn; // Attr0 = Normal memory, write-back
    cpu.ttbr0 = BigInt(this.root); // ASID 0
    cpu.sctlr = 1n; // M: stage-1 translation on
    this.mmu.contextChanged();
  }

  // --- Physical pages --------------------------------------------------------

  /** A zeroed physical page; throws OutOfMemory when RAM is exhausted. */
  allocPage(): number {
    let pa = this.freePages.pop();
    if (pa === undefined) {
      if (this.nextFree + PAGE > RAM_BASE + this.bus.ramSize) throw new OutOfMemory();
      pa = this.nextFree;
      this.nextFree += PAGE;
    }
    this.bus.fill(pa, PAGE);
    return pa;
  }

  // --- VMAs ------------------------------------------------------------------

  /** The VMA containing `va`, if any. */
  findVma(va: number): Vma | undefined {
    for (const v of this.vmas) {
      if (va < v.start) return undefined;
      if (va < v.end) return v;
    }
    return undefined;
  }

  /** True if no VMA intersects [start, end). */
  isFree(start: number, end: number): boolean {
    return !this.vmas.some((v) => v.start < end && start < v.end);
  }

  /** Add a VMA for [start, end) (page-aligned, must be free). */
  addVma(start: number, end: number, prot: number, name: string): void {
    if (start % PAGE || end % PAGE || end <= start || !this.isFree(start, end)) {
      throw new Error(`addVma: bad or overlapping range 0x${start.toString(16)}-0x${end.toString(16)}`);
    }
    this.vmas.push({ start, end, prot, name });
    this.vmas.sort((a, b) => a.start - b.start);
    this.coalesce();
  }

  /** Merge neighbouring VMAs with the same permissions and name (a growing heap stays one VMA). */
  private coalesce(): void {
    for (let i = this.vmas.length - 1; i > 0; i--) {
      const a = this.vmas[i - 1];
      const b = this.vmas[i];
      if (a.end === b.start && a.prot === b.prot && a.name === b.name) {
        a.end = b.end;
        this.vmas.splice(i, 1);
      }
    }
  }

  /** Split VMAs so that `start` and `end` are VMA boundaries. */
  private splitAt(addr: number): void {
    const v = this.vmas.find((x) => x.start < addr && addr < x.end);
    if (!v) return;
    this.vmas.push({ start: addr, end: v.end, prot: v.prot, name: v.name });
    v.end = addr;
    this.vmas.sort((a, b) => a.start - b.start);
  }

  /** Remove [start, end) from the VMAs and unmap (free) its pages. */
  removeRange(start: number, end: number): void {
    this.splitAt(start);
    this.splitAt(end);
    for (let i = this.vmas.length - 1; i >= 0; i--) {
      const v = this.vmas[i];
      if (v.start >= start && v.end <= end) {
        this.unmapPages(v.start, v.end);
        this.vmas.splice(i, 1);
      }
    }
  }

  /** Change the permissions of [start, end) (which must be fully covered by VMAs). */
  protectRange(start: number, end: number, prot: number): boolean {
    if (!this.covered(start, end)) return false;
    this.splitAt(start);
    this.splitAt(end);
    for (const v of this.vmas) {
      if (v.start >= start && v.end <= end) v.prot = prot;
    }
    this.coalesce();
    for (let va = start; va < end; va += PAGE) {
      const slot = this.leafSlot(va, false);
      if (slot === undefined) continue;
      const d = this.bus.ram64[slot];
      if (descriptorKind(d, 3) !== "page") continue;
      this.bus.ram64[slot] = this.leafFor(descriptorAddress(d), prot);
    }
    this.flushTlbRange(start, end);
    return true;
  }

  /** True if every byte of [start, end) lies in some VMA. */
  covered(start: number, end: number): boolean {
    let at = start;
    for (const v of this.vmas) {
      if (v.end <= at) continue;
      if (v.start > at) return false;
      at = v.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  // --- Page tables -------------------------------------------------------------

  /**
   * RAM index (into bus.ram64) of the level-3 descriptor for `va`, creating
   * the intermediate tables when `create` is set; undefined if absent.
   */
  private leafSlot(va: number, create: boolean): number | undefined {
    const big = BigInt(va);
    let table = this.root;
    for (let level = 0; level < 3; level++) {
      const slot = (table - RAM_BASE) / 8 + tableIndex(big, level);
      const d = this.bus.ram64[slot];
      if (descriptorKind(d, level) === "table") {
        table = descriptorAddress(d);
        continue;
      }
      if (!create) return undefined;
      const next = this.allocPage();
      this.bus.ram64[slot] = makeTableDescriptor(next);
      table = next;
    }
    return (table - RAM_BASE) / 8 + tableIndex(big, 3);
  }

  private leafFor(pa: number, prot: number): bigint {
    // AP[2:1] and UXN carry R/W/X; EL0 reads are always allowed once mapped
    // (AArch64 has no write-only or execute-only-without-read for EL0 here).
    return makePageDescriptor(pa, {
      user: prot !== 0, // PROT_NONE: keep the page but deny EL0 any access
      writable: (prot & PROT_WRITE) !== 0,
      executable: (prot & PROT_EXEC) !== 0,
    });
  }

  /** Physical address backing `va`, or undefined if the page is not mapped. */
  physicalOf(va: number): number | undefined {
    const slot = this.leafSlot(va, false);
    if (slot === undefined) return undefined;
    const d = this.bus.ram64[slot];
    if (descriptorKind(d, 3) !== "page") return undefined;
    return descriptorAddress(d) + (va % PAGE);
  }

  /**
   * Map a fresh zeroed page at page-aligned `va` with `prot`; returns its PA.
   * The descriptor was invalid, and invalid entries are never cached in a
   * TLB, so no TLB maintenance is needed.
   */
  mapZeroPage(va: number, prot: number): number {
    const pa = this.allocPage();
    const slot = this.leafSlot(va, true)!;
    this.bus.ram64[slot] = this.leafFor(pa, prot);
    this.mappedPages++;
    return pa;
  }

  private unmapPages(start: number, end: number): void {
    let any = false;
    for (let va = start; va < end; va += PAGE) {
      const slot = this.leafSlot(va, false);
      if (slot === undefined) {
        va = Math.floor(va / (512 * PAGE)) * 512 * PAGE + 511 * PAGE; // skip the missing level-3 table
        continue;
      }
      const d = this.bus.ram64[slot];
      if (descriptorKind(d, 3) !== "page") continue;
      this.bus.ram64[slot] = 0n;
      this.freePages.push(descriptorAddress(d));
      this.mappedPages--;
      any = true;
    }
    if (any) this.flushTlbRange(start, end);
  }

  private flushTlbRange(_start: number, _end: number): void {
    // TLBI VMALLE1 rather than per-page TLBI VAE1: Mmu.invalidateVa
    // currently truncates the virtual page number to 32 bits, missing pages
    // above 16 TiB (where mmap and the stack live). munmap/mprotect are rare.
    this.mmu.invalidateAll();
  }

  // --- Faults and user copies ---------------------------------------------------

  /**
   * Demand paging: a translation fault at `va` for `access`. Maps a zero
   * page and returns true when `va` lies in a VMA allowing the access;
   * returns false (a segmentation fault) otherwise. Throws OutOfMemory.
   */
  handleFault(va: number, access: "read" | "write" | "exec", fsc: number): boolean {
    if ((fsc & 0x3c) !== FSC_TRANSLATION) return false;
    const v = this.findVma(va);
    if (!v || !allows(v.prot, access)) return false;
    const page = va - (va % PAGE);
    if (this.physicalOf(page) !== undefined) return false; // mapped yet faulting: not ours to fix
    this.mapZeroPage(page, v.prot);
    return true;
  }

  /** PA for a host access to user `va` with `access` rights, demand-paging as needed; undefined = EFAULT. */
  private userPa(va: number, access: "read" | "write"): number | undefined {
    if (!Number.isSafeInteger(va) || va < 0 || va >= 2 ** 48) return undefined;
    const v = this.findVma(va);
    if (!v || !allows(v.prot, access)) return undefined;
    const pa = this.physicalOf(va);
    if (pa !== undefined) return pa;
    this.mapZeroPage(va - (va % PAGE), v.prot);
    return this.physicalOf(va);
  }

  /** True if every byte of user [va, va+len) may be accessed with `access` (no pages are mapped). */
  accessible(va: number, len: number, access: "read" | "write"): boolean {
    if (!Number.isSafeInteger(va) || va < 0 || va + len > 2 ** 48) return false;
    for (let at = va; at < va + len; at = at - (at % PAGE) + PAGE) {
      const v = this.findVma(at);
      if (!v || !allows(v.prot, access)) return false;
    }
    return true;
  }

  /** Copy `len` bytes from user memory at `va`; undefined if any byte is inaccessible (EFAULT). */
  copyIn(va: number, len: number): Uint8Array | undefined {
    const out = this.copyInPrefix(va, len);
    return out.length === len ? out : undefined;
  }

  /** The accessible prefix of user [va, va+len) (what Linux copies before a fault). */
  copyInPrefix(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const pa = this.userPa(va + done, "read");
      if (pa === undefined) break;
      const n = Math.min(len - done, PAGE - (pa % PAGE));
      out.set(this.bus.ram.subarray(pa - RAM_BASE, pa - RAM_BASE + n), done);
      done += n;
    }
    return out.subarray(0, done);
  }

  /**
   * Copy `data` into user memory at `va`. Checks every page first, so a bad
   * pointer writes nothing; returns false (EFAULT) in that case.
   */
  copyOut(va: number, data: Uint8Array): boolean {
    const pas: number[] = [];
    for (let done = 0; done < data.length; ) {
      const pa = this.userPa(va + done, "write");
      if (pa === undefined) return false;
      pas.push(pa);
      done += Math.min(data.length - done, PAGE - (pa % PAGE));
    }
    let done = 0;
    for (const pa of pas) {
      const n = Math.min(data.length - done, PAGE - (pa % PAGE));
      this.bus.writeBytes(pa, data.subarray(done, done + n));
      done += n;
    }
    return true;
  }

  /** Write bytes at `va` ignoring VMA write permission (the loader filling read-only segments). */
  poke(va: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const at = va + done;
      const v = this.findVma(at);
      if (!v) throw new Error(`AddressSpace.poke: 0x${at.toString(16)} is outside every VMA`);
      let pa = this.physicalOf(at);
      if (pa === undefined) pa = this.mapZeroPage(at - (at % PAGE), v.prot) + (at % PAGE);
      const n = Math.min(data.length - done, PAGE - (pa % PAGE));
      this.bus.writeBytes(pa, data.subarray(done, done + n));
      done += n;
    }
  }
}

function allows(prot: number, access: "read" | "write" | "exec"): boolean {
  if (access === "write") return (prot & PROT_WRITE) !== 0;
  if (access === "exec") return (prot & PROT_EXEC) !== 0;
  return (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0;
}
