// AddressSpace: one process's user virtual memory (TTBR0 region) — VMAs,
// 4-level tables in guest RAM, an ASID, demand paging and copy-on-write
// (DESIGN.md "Physical memory"; layout in layout.ts).
//
// Pages are mapped lazily: a VMA says what belongs at an address (zero-fill,
// bytes of an ELF file, or given frames for shared memory / devices) and the
// first access faults; handleFault then maps one page:
//   - zero-fill: a fresh zeroed frame;
//   - file: a fresh frame with the segment's file bytes copied in (the rest
//     of the page, e.g. .bss, stays zero);
//   - frames: the given frame (shared memory: refcounted; device: not).
// fork() shares every private page between parent and child read-only with
// DESC_SW_COW set and the frame's refcount raised; a write fault on a COW
// page copies it (or, when this space is the last sharer, just makes it
// writable again). Shared memory pages (DESC_SW_SHARED) are shared as is.
//
// Every mapped private or shared leaf holds one reference on its frame
// (pmm.ref/unref); device frames hold none. Whenever a valid leaf changes,
// its VA is invalidated on every CPU's TLB (TLBI VAE1 semantics through
// each Mmu), since any CPU may have run this space.

import { EC, type CpuState } from "../../../emulator/cpu/state.js";
import type { Mmu } from "../../../emulator/mmu/mmu.js";
import { checkAccess, walk, type Access } from "../../../emulator/mmu/walk.js";
import {
  decodeLeaf,
  descriptorAddress,
  descriptorKind,
  DESC_AP_RO,
  DESC_SW_COW,
  DESC_SW_SHARED,
  faultName,
  makePageDescriptor,
} from "../../../emulator/mmu/descriptors.js";
import { AsidAllocator } from "./asid.js";
import {
  hex,
  IMAGE_END,
  isPageAligned,
  MMAP_BASE,
  MMAP_END,
  MM_E,
  PAGE,
  pageDown,
  pageUp,
  PROT_EXEC,
  PROT_MASK,
  PROT_READ,
  PROT_WRITE,
  protString,
  SHM_BASE,
  SHM_END,
  STACK_BOTTOM,
  STACK_TOP,
  USER_BASE,
  USER_END,
} from "./layout.js";
import { PageTable } from "./pagetable.js";
import type { Pmm } from "./pmm.js";

export type VmaKind = "text" | "data" | "heap" | "stack" | "mmap" | "shm" | "device";

/** What fills a VMA's pages on first touch. */
export type Backing =
  | { type: "zero" }
  /** Byte at VA v is file[fileOffset + (v - vaddr)] for v - vaddr in [0, fileSize); zero elsewhere. */
  | { type: "file"; file: Uint8Array; fileOffset: number; vaddr: number; fileSize: number; name?: string }
  /** Page at VA v is frames[(v - vaBase) / 4096]; refcounted frames are shared memory, others device memory. */
  | { type: "frames"; frames: readonly number[]; vaBase: number; refcounted: boolean };

export interface Vma {
  start: number;
  end: number;
  prot: number;
  kind: VmaKind;
  backing: Backing;
}

export type FaultResult = "handled" | "segv";

export interface VmCounters {
  faults: number;
  zeroFills: number;
  fileLoads: number;
  frameMaps: number;
  cowCopies: number;
  cowReuses: number;
  spurious: number;
  segv: number;
  tlbInvalidations: number;
}

/** Why the last fault was refused (for fault reports): "" when it was handled. */
export type SegvReason = "" | "no-vma" | "protection" | "no-memory" | "destroyed";

/**
 * The access an EL0 abort was making, from ESR_EL1: an instruction abort
 * (EC 0x20) is "exec"; a data abort (EC 0x24) is "write" when ISS.WnR
 * (bit 6) is set, else "read".
 */
export function accessFromEsr(esr: number): Access {
  if (esr >>> 26 === EC.IABT_LOW) return "exec";
  return (esr >>> 6) & 1 ? "write" : "read";
}

/** TCR_EL1 for a user space: T0SZ = 16 (48-bit VA, walk from level 0), TG0 = 4 KiB, EPD1 = 1 (no TTBR1 walks). */
export const USER_TCR = 16n | (1n << 23n);

/** Above this many pages, range operations invalidate the whole ASID instead of page by page. */
const TLBI_RANGE_LIMIT = 32;

const asidPools = new WeakMap<Pmm, AsidAllocator>();

/** The ASID allocator shared by every address space on `pmm`'s machine. */
export function asidAllocatorFor(pmm: Pmm): AsidAllocator {
  let a = asidPools.get(pmm);
  if (!a) {
    a = new AsidAllocator();
    asidPools.set(pmm, a);
  }
  return a;
}

export class AddressSpace {
  private vmaList: Vma[] = [];
  private heapStart = USER_BASE;
  private brkValue = USER_BASE;
  private destroyed = false;
  readonly counters: VmCounters = { faults: 0, zeroFills: 0, fileLoads: 0, frameMaps: 0, cowCopies: 0, cowReuses: 0, spurious: 0, segv: 0, tlbInvalidations: 0 };
  lastSegv: { va: number; access: Access; reason: SegvReason } | undefined = undefined;

  private constructor(
    readonly pmm: Pmm,
    readonly mmus: readonly Mmu[],
    readonly asids: AsidAllocator,
    readonly asid: number,
    private readonly pt: PageTable,
  ) {}

  /**
   * An empty address space: a level-0 table and a fresh ASID. `mmus` are
   * every CPU's MMU (TLB maintenance reaches all of them). Returns -3 when
   * no page or no ASID is left.
   */
  static create(pmm: Pmm, mmus: readonly Mmu[], asids: AsidAllocator = asidAllocatorFor(pmm)): AddressSpace | number {
    const asid = asids.alloc();
    if (asid < 0) return MM_E.NO_MEMORY;
    const pt = PageTable.create(pmm);
    if (typeof pt === "number") {
      asids.free(asid);
      return pt;
    }
    return new AddressSpace(pmm, mmus, asids, asid, pt);
  }

  /** PA of the level-0 table (TTBR0_EL1.BADDR). */
  get root(): number {
    return this.pt.root;
  }

  /** TTBR0_EL1 value: table base with the ASID in bits 63:48. */
  get ttbr0(): bigint {
    // asid and root never change for an address space: build the BigInt once (activate runs on every switch).
    return (this.ttbr0Value ??= (BigInt(this.asid) << 48n) | BigInt(this.pt.root));
  }

  private ttbr0Value: bigint | undefined = undefined;

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** The VMAs, sorted by start (do not mutate). */
  get vmas(): readonly Vma[] {
    return this.vmaList;
  }

  /** Current program break. */
  get brkEnd(): number {
    return this.brkValue;
  }

  /** Where the heap starts (the initial break). */
  get heapBase(): number {
    return this.heapStart;
  }

  /**
   * Make this the current space of a CPU: TTBR0 (base + ASID), TCR, SCTLR.M,
   * then `mmu.contextChanged()` so the fast TLB follows. No TLB flush is
   * needed: entries are ASID-tagged.
   */
  activate(cpu: CpuState, mmu: Mmu): void {
    cpu.ttbr0 = this.ttbr0;
    cpu.tcr = USER_TCR;
    if ((cpu.sctlr & 1n) === 0n) cpu.sctlr |= 1n;
    mmu.contextChanged();
  }

  /** The VMA containing `va`, if any. */
  findVma(va: number): Vma | undefined {
    for (const v of this.vmaList) if (va >= v.start && va < v.end) return v;
    return undefined;
  }

  /** True if [start, end) intersects no VMA (ignoring `except`). */
  private isFree(start: number, end: number, except?: Vma): boolean {
    return this.vmaList.every((v) => v === except || v.end <= start || v.start >= end);
  }

  /**
   * Add a VMA (nothing is mapped until touched). Returns 0, -2 for a
   * misaligned/empty/out-of-range area or bad prot, -5 if it overlaps a VMA.
   */
  addVma(vma: Vma): number {
    if (this.destroyed) return MM_E.INVALID_ARG;
    const { start, end, prot } = vma;
    if (!isPageAligned(start) || !isPageAligned(end) || start >= end || start < USER_BASE || end > USER_END) return MM_E.INVALID_ARG;
    if (!Number.isInteger(prot) || (prot & ~PROT_MASK) !== 0) return MM_E.INVALID_ARG;
    if (!this.isFree(start, end)) return MM_E.EXISTS;
    this.vmaList.push({ ...vma });
    this.vmaList.sort((a, b) => a.start - b.start);
    return 0;
  }

  /** Set the initial break (page-aligned end of the ELF image). Returns 0 or -2. */
  initHeap(brk: number): number {
    if (!isPageAligned(brk) || brk < USER_BASE || brk > IMAGE_END) return MM_E.INVALID_ARG;
    this.heapStart = brk;
    this.brkValue = brk;
    return 0;
  }

  /** Add the 1 MiB user stack VMA ending at STACK_TOP. Returns the initial SP (STACK_TOP) or an error. */
  mapStack(): number {
    const r = this.addVma({ start: STACK_BOTTOM, end: STACK_TOP, prot: PROT_READ | PROT_WRITE, kind: "stack", backing: { type: "zero" } });
    return r < 0 ? r : STACK_TOP;
  }

  // --- TLB maintenance ---------------------------------------------------------

  /**
   * The kernel's own TLB for uaccess (copyin/copyout): virtual page -> frame
   * and EL0 writability, filled by successful walks and invalidated exactly
   * where the CPUs' TLBs are (tlbVa/tlbAsid), so it is never stale.
   */
  readonly uaccessTlb = new UaccessTlb();

  private tlbVa(va: number): void {
    this.uaccessTlb.delete(Math.floor(va / PAGE));
    const bva = BigInt(va);
    for (const m of this.mmus) m.invalidateVa(bva, this.asid);
    this.counters.tlbInvalidations++;
  }

  private tlbAsid(): void {
    this.uaccessTlb.clear();
    for (const m of this.mmus) m.invalidateAsid(this.asid);
    this.counters.tlbInvalidations++;
  }

  private tlbRange(vas: number[]): void {
    if (vas.length > TLBI_RANGE_LIMIT) this.tlbAsid();
    else for (const va of vas) this.tlbVa(va);
  }

  // --- Faults ------------------------------------------------------------------

  private segv(va: number, access: Access, reason: SegvReason): FaultResult {
    this.counters.segv++;
    this.lastSegv = { va, access, reason };
    return "segv";
  }

  /** Protection bits an access needs (a write-only mapping is readable: AArch64 has no write-only pages). */
  private static allows(prot: number, access: Access): boolean {
    if (access === "write") return (prot & PROT_WRITE) !== 0;
    if (access === "exec") return (prot & PROT_EXEC) !== 0;
    return (prot & (PROT_READ | PROT_WRITE)) !== 0;
  }

  /** The page descriptor for frame `pa` under `prot`; COW pages stay read-only whatever prot says. */
  private static leafFor(pa: number, prot: number, cow: boolean, shared: boolean): bigint {
    return makePageDescriptor(pa, {
      user: prot !== 0,
      writable: (prot & PROT_WRITE) !== 0 && !cow,
      executable: (prot & PROT_EXEC) !== 0,
      cow,
      shared,
    });
  }

  /**
   * Resolve an EL0 fault at `va` (from FAR_EL1) for `access` (from ESR: WnR,
   * instruction abort). Returns "handled" when the access can be retried
   * (page mapped, COW resolved, or the fault was a stale TLB entry), "segv"
   * when no VMA allows it or memory ran out (reason in lastSegv).
   */
  handleFault(va: number, access: Access): FaultResult {
    this.counters.faults++;
    if (this.destroyed) return this.segv(va, access, "destroyed");
    const vma = this.findVma(va);
    if (!vma) return this.segv(va, access, "no-vma");
    if (!AddressSpace.allows(vma.prot, access)) return this.segv(va, access, "protection");
    const page = pageDown(va);
    const slot = this.pt.slotFor(page, true);
    if (slot < 0) return this.segv(va, access, "no-memory");
    const d = this.pt.read(slot);
    if (descriptorKind(d, 3) !== "page") {
      const pa = this.populate(vma, page);
      if (pa < 0) return this.segv(va, access, "no-memory");
      this.pt.write(slot, AddressSpace.leafFor(pa, vma.prot, false, vma.kind === "shm"));
      // The entry was invalid, so no TLB can hold it: no invalidation needed.
      return "handled";
    }
    if (access === "write" && (d & DESC_SW_COW) !== 0n) return this.breakCow(vma, page, slot, d) ? "handled" : this.segv(va, access, "no-memory");
    const leaf = decodeLeaf(d);
    const ok = leaf.user && (access !== "write" || leaf.writable) && (access !== "exec" || !leaf.uxn);
    if (!ok) return this.segv(va, access, "protection");
    // The tables allow it: some TLB held an older, stricter entry.
    this.counters.spurious++;
    this.tlbVa(page);
    return "handled";
  }

  /** A frame with the contents `vma` defines for `page`; -1 when out of memory. Takes a reference. */
  private populate(vma: Vma, page: number): number {
    const b = vma.backing;
    if (b.type === "frames") {
      const pa = b.frames[(page - b.vaBase) / PAGE];
      if (pa === undefined) return -1;
      if (b.refcounted) this.pmm.ref(pa);
      this.counters.frameMaps++;
      return pa;
    }
    const pa = this.pmm.alloc();
    if (pa < 0) return -1;
    if (b.type === "zero") {
      this.counters.zeroFills++;
      return pa;
    }
    // File-backed: copy the part of [page, page+4096) that lies in the file image.
    const from = Math.max(page, b.vaddr);
    const to = Math.min(page + PAGE, b.vaddr + b.fileSize);
    if (to > from) {
      const off = b.fileOffset + (from - b.vaddr);
      this.pmm.bus.writeBytes(pa + (from - page), b.file.subarray(off, off + (to - from)));
    }
    this.counters.fileLoads++;
    return pa;
  }

  /** Write fault on a COW page: reuse it if we are the last sharer, else copy. False when out of memory. */
  private breakCow(vma: Vma, page: number, slot: number, d: bigint): boolean {
    const old = descriptorAddress(d);
    if (this.pmm.refCount(old) === 1) {
      this.pt.write(slot, AddressSpace.leafFor(old, vma.prot, false, false));
      this.counters.cowReuses++;
    } else {
      const pa = this.pmm.alloc();
      if (pa < 0) return false;
      this.pmm.bus.writeBytes(pa, this.pmm.bus.readBytes(old, PAGE));
      this.pt.write(slot, AddressSpace.leafFor(pa, vma.prot, false, false));
      this.pmm.unref(old);
      this.counters.cowCopies++;
    }
    this.tlbVa(page);
    return true;
  }

  // --- fork --------------------------------------------------------------------

  /**
   * A copy of this space for a child process: same VMAs and break, private
   * pages shared copy-on-write (both sides read-only + DESC_SW_COW, frame
   * refcount raised), shared-memory and device pages shared as they are.
   * Returns the child, or -3 when memory or ASIDs run out (nothing leaks).
   */
  fork(): AddressSpace | number {
    if (this.destroyed) return MM_E.INVALID_ARG;
    const child = AddressSpace.create(this.pmm, this.mmus, this.asids);
    if (typeof child === "number") return child;
    child.vmaList = this.vmaList.map((v) => ({ ...v }));
    child.heapStart = this.heapStart;
    child.brkValue = this.brkValue;
    let failed = false;
    for (const vma of this.vmaList) {
      this.pt.forEachLeaf(vma.start, vma.end, (va, slot, d) => {
        if (failed) return;
        const cslot = child.pt.slotFor(va, true);
        if (cslot < 0) {
          failed = true;
          return;
        }
        const pa = descriptorAddress(d);
        let cd = d;
        if (vma.backing.type !== "frames") {
          cd = d | DESC_AP_RO | DESC_SW_COW;
          this.pt.write(slot, cd);
        }
        if (vma.backing.type !== "frames" || vma.backing.refcounted) this.pmm.ref(pa);
        child.pt.write(cslot, cd);
      });
    }
    // Our pages just lost write permission: drop cached writable entries.
    this.tlbAsid();
    if (failed) {
      child.destroy();
      return MM_E.NO_MEMORY;
    }
    return child;
  }

  // --- Unmapping helpers -------------------------------------------------------

  /** Unmap every page in [start, end) (frames released per their VMA). Returns the VAs unmapped. */
  private unmapPages(start: number, end: number): number[] {
    const vas: number[] = [];
    for (const vma of this.vmaList) {
      const lo = Math.max(start, vma.start);
      const hi = Math.min(end, vma.end);
      if (lo >= hi) continue;
      const counted = vma.backing.type !== "frames" || vma.backing.refcounted;
      this.pt.forEachLeaf(lo, hi, (va, slot, d) => {
        this.pt.write(slot, 0n);
        if (counted) this.pmm.unref(descriptorAddress(d));
        vas.push(va);
      });
    }
    return vas;
  }

  /** Remove [start, end) from the VMA list, splitting VMAs that straddle it. */
  private cutVmas(start: number, end: number): void {
    const out: Vma[] = [];
    for (const v of this.vmaList) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      if (v.start < start) out.push({ ...v, end: start });
      if (v.end > end) out.push({ ...v, start: end });
    }
    this.vmaList = out.sort((a, b) => a.start - b.start);
  }

  private static validRange(va: number, len: number): boolean {
    return isPageAligned(va) && Number.isSafeInteger(len) && len > 0 && va >= USER_BASE && va + len <= USER_END;
  }

  // --- brk / mmap / munmap / mprotect ------------------------------------------

  /**
   * Move the program break to `newEnd`. Growing adds heap pages (mapped on
   * first touch); shrinking frees the pages wholly above the new break.
   * Returns the new break, -2 if newEnd is below the heap start, -3 if the
   * heap would reach the mmap area or another mapping.
   */
  brk(newEnd: number): number {
    if (this.destroyed || !Number.isSafeInteger(newEnd) || newEnd < this.heapStart) return MM_E.INVALID_ARG;
    const oldTop = pageUp(this.brkValue);
    const newTop = pageUp(newEnd);
    if (newTop > IMAGE_END) return MM_E.NO_MEMORY;
    if (newTop > oldTop) {
      if (!this.isFree(oldTop, newTop)) return MM_E.NO_MEMORY;
      // Extend the heap VMA ending at the old top if it is plain RW heap
      // (munmap/mprotect may have split the heap); else start a new one.
      const last = this.vmaList.find((v) => v.kind === "heap" && v.end === oldTop && v.prot === (PROT_READ | PROT_WRITE));
      if (last) last.end = newTop;
      else this.addVma({ start: oldTop, end: newTop, prot: PROT_READ | PROT_WRITE, kind: "heap", backing: { type: "zero" } });
    } else if (newTop < oldTop) {
      this.tlbRange(this.unmapPages(newTop, oldTop));
      this.cutVmas(newTop, oldTop);
    }
    this.brkValue = newEnd;
    return newEnd;
  }

  /** sbrk: move the break by `increment` bytes; returns the old break or an error (as brk). */
  sbrk(increment: number): number {
    const old = this.brkValue;
    if (increment === 0) return old;
    const r = this.brk(old + increment);
    return r < 0 ? r : old;
  }

  /**
   * Anonymous private mapping of `len` bytes (rounded up to pages), placed
   * first-fit from MMAP_BASE (0x2_0000_0000) upward. Returns its VA, -2 for
   * len <= 0 or bad prot, -3 when the mmap area has no gap that large.
   */
  mmap(len: number, prot: number): number {
    if (this.destroyed || !Number.isSafeInteger(len) || len <= 0 || !Number.isInteger(prot) || (prot & ~PROT_MASK) !== 0) return MM_E.INVALID_ARG;
    const size = pageUp(len);
    const va = this.findGap(MMAP_BASE, MMAP_END, size);
    if (va < 0) return MM_E.NO_MEMORY;
    this.addVma({ start: va, end: va + size, prot, kind: "mmap", backing: { type: "zero" } });
    return va;
  }

  /** First VA in [lo, hi) with `size` free bytes, or -1. */
  private findGap(lo: number, hi: number, size: number): number {
    let cand = lo;
    for (const v of this.vmaList) {
      if (v.end <= cand || v.start >= hi) continue;
      if (v.start - cand >= size) break;
      cand = Math.max(cand, v.end);
    }
    return cand + size <= hi ? cand : -1;
  }

  /**
   * Remove mappings in [va, va+len) (len rounded up to pages): frames are
   * released, VMAs trimmed or split, TLBs invalidated. Holes in the range
   * are fine. Returns 0, or -2 for a misaligned/empty/out-of-range request.
   */
  munmap(va: number, len: number): number {
    if (this.destroyed || !AddressSpace.validRange(va, len)) return MM_E.INVALID_ARG;
    const end = va + pageUp(len);
    this.tlbRange(this.unmapPages(va, end));
    this.cutVmas(va, end);
    return 0;
  }

  /**
   * Change the protection of [va, va+len) to `prot`. The range must be fully
   * covered by VMAs. Mapped pages get new descriptors (COW pages stay
   * read-only until their write fault) and every CPU's TLB drops them.
   * Returns 0, -2 for bad arguments, -4 if part of the range is unmapped.
   */
  mprotect(va: number, len: number, prot: number): number {
    if (this.destroyed || !AddressSpace.validRange(va, len) || !Number.isInteger(prot) || (prot & ~PROT_MASK) !== 0) return MM_E.INVALID_ARG;
    const end = va + pageUp(len);
    let covered = va;
    for (const v of this.vmaList) {
      if (v.end <= covered || v.start >= end) continue;
      if (v.start > covered) break;
      covered = v.end;
    }
    if (covered < end) return MM_E.NOT_FOUND;
    // Split at the edges, then retag the VMAs inside.
    const inside: Vma[] = [];
    const out: Vma[] = [];
    for (const v of this.vmaList) {
      if (v.end <= va || v.start >= end) {
        out.push(v);
        continue;
      }
      if (v.start < va) out.push({ ...v, end: va });
      if (v.end > end) out.push({ ...v, start: end });
      const mid = { ...v, start: Math.max(v.start, va), end: Math.min(v.end, end), prot };
      out.push(mid);
      inside.push(mid);
    }
    this.vmaList = out.sort((a, b) => a.start - b.start);
    const vas: number[] = [];
    this.pt.forEachLeaf(va, end, (pva, slot, d) => {
      const cow = (d & DESC_SW_COW) !== 0n;
      const shared = (d & DESC_SW_SHARED) !== 0n;
      this.pt.write(slot, AddressSpace.leafFor(descriptorAddress(d), prot, cow, shared));
      vas.push(pva);
    });
    this.tlbRange(vas);
    return 0;
  }

  /**
   * Map `frames` (page PAs) contiguously, eagerly, not copy-on-write: shared
   * memory (kind "shm": each frame gains a reference, released on unmap) or
   * device memory (kind "device": no references). Placed at `at` if given
   * (page-aligned, must be free), else first-fit in the shm area from
   * 0x70_0000_0000. Returns the VA, -2 for bad arguments, -3 when no room
   * (or no memory for tables), -5 when `at` overlaps a mapping.
   */
  mapFrames(frames: readonly number[], prot: number, kind: "shm" | "device" = "shm", at?: number): number {
    if (this.destroyed || frames.length === 0 || !Number.isInteger(prot) || (prot & ~PROT_MASK) !== 0) return MM_E.INVALID_ARG;
    const refcounted = kind === "shm";
    for (const pa of frames) {
      if (!Number.isInteger(pa) || pa % PAGE !== 0) return MM_E.INVALID_ARG;
      if (refcounted && this.pmm.refCount(pa) === 0) return MM_E.INVALID_ARG;
    }
    const size = frames.length * PAGE;
    const va = at ?? this.findGap(SHM_BASE, SHM_END, size);
    if (va < 0) return MM_E.NO_MEMORY;
    const backing: Backing = { type: "frames", frames: [...frames], vaBase: va, refcounted };
    const r = this.addVma({ start: va, end: va + size, prot, kind, backing });
    if (r < 0) return r;
    for (let i = 0; i < frames.length; i++) {
      const slot = this.pt.slotFor(va + i * PAGE, true);
      if (slot < 0) {
        this.munmap(va, size);
        return MM_E.NO_MEMORY;
      }
      if (refcounted) this.pmm.ref(frames[i]);
      this.pt.write(slot, AddressSpace.leafFor(frames[i], prot, false, refcounted));
    }
    return va;
  }

  // --- destroy -----------------------------------------------------------------

  /**
   * Free everything: each mapped frame's reference, every table page, the
   * ASID (after invalidating it on every CPU). Idempotent. Precondition: no
   * CPU still runs with this space's TTBR0 (switch it away first). After it, the
   * Pmm's free count is what it was before this space (and its pages) were
   * created, unless other spaces still share frames.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.unmapPages(USER_BASE, USER_END);
    this.vmaList = [];
    this.pt.freeTables();
    this.tlbAsid();
    this.asids.free(this.asid);
    this.destroyed = true;
  }

  // --- Inspection --------------------------------------------------------------

  /** The MMU's own walk of `va` through this space's tables, for fault reports. */
  walkVa(va: number): WalkReport {
    const w = walk(this.pmm.bus, this.ttbr0, USER_TCR, BigInt(va), true);
    const steps = w.steps.map((s) => ({
      level: s.level,
      table: hex(s.tableAddr),
      index: s.index,
      descriptor: hex(s.descriptor),
      kind: descriptorKind(s.descriptor, s.level),
    }));
    if (!w.ok) return { va: hex(va), ok: false, fault: faultName(w.fsc), steps };
    const perm = (a: Access): boolean => checkAccess(w, a, 0) === 0;
    return {
      va: hex(va),
      ok: true,
      pa: hex(w.pagePa + (va % PAGE)),
      el0: (perm("read") ? "r" : "-") + (perm("write") ? "w" : "-") + (perm("exec") ? "x" : "-"),
      steps,
    };
  }

  /** Number of mapped user pages. */
  residentPages(): number {
    let n = 0;
    this.pt.forEachLeaf(0, USER_END, () => n++);
    return n;
  }

  /** Plain JSON view: ASID, root, break, VMAs, every table with its valid entries, counters. */
  snapshot(): AddressSpaceSnapshot {
    const tables = this.destroyed
      ? []
      : this.pt.tablesWithBase().map((t) => {
          const entries: PageTableEntrySnapshot[] = [];
          for (let i = 0; i < 512; i++) {
            const d = this.pt.read(t.pa + i * 8);
            const kind = descriptorKind(d, t.level);
            if (kind === "invalid") continue;
            const va = t.vaBase + i * 2 ** (39 - 9 * t.level);
            const e: PageTableEntrySnapshot = { index: i, va: hex(va), descriptor: hex(d), kind };
            if (kind === "table") e.next = hex(descriptorAddress(d));
            else {
              const l = decodeLeaf(d);
              const pa = descriptorAddress(d);
              e.frame = hex(pa);
              e.perms = (l.user ? "r" : "-") + (l.user && l.writable ? "w" : "-") + (l.user && !l.uxn ? "x" : "-");
              e.cow = l.cow;
              e.shared = l.shared;
              e.refs = this.pmm.refCount(pa);
            }
            entries.push(e);
          }
          return { level: t.level, pa: hex(t.pa), vaBase: hex(t.vaBase), entries };
        });
    return {
      asid: this.asid,
      root: hex(this.pt.root),
      ttbr0: hex(this.ttbr0),
      destroyed: this.destroyed,
      heapStart: hex(this.heapStart),
      brk: hex(this.brkValue),
      residentPages: this.destroyed ? 0 : this.residentPages(),
      tablePages: this.destroyed ? 0 : this.pt.tables,
      vmas: this.vmaList.map(vmaSnapshot),
      tables,
      counters: { ...this.counters },
      lastSegv: this.lastSegv ? { va: hex(this.lastSegv.va), access: this.lastSegv.access, reason: this.lastSegv.reason } : null,
    };
  }
}

export interface WalkReport {
  va: string;
  ok: boolean;
  /** Physical address of va (ok only). */
  pa?: string;
  /** EL0 permissions of the leaf, "rwx" style (ok only). */
  el0?: string;
  /** Fault name when the walk failed, e.g. "translation fault, level 3". */
  fault?: string;
  steps: { level: number; table: string; index: number; descriptor: string; kind: string }[];
}

export interface PageTableEntrySnapshot {
  index: number;
  va: string;
  descriptor: string;
  kind: string;
  next?: string;
  frame?: string;
  perms?: string;
  cow?: boolean;
  shared?: boolean;
  refs?: number;
}

export interface VmaSnapshot {
  start: string;
  end: string;
  pages: number;
  prot: string;
  kind: VmaKind;
  backing: string;
}

export interface AddressSpaceSnapshot {
  asid: number;
  root: string;
  ttbr0: string;
  destroyed: boolean;
  heapStart: string;
  brk: string;
  residentPages: number;
  tablePages: number;
  vmas: VmaSnapshot[];
  tables: { level: number; pa: string; vaBase: string; entries: PageTableEntrySnapshot[] }[];
  counters: VmCounters;
  lastSegv: { va: string; access: string; reason: string } | null;
}

function vmaSnapshot(v: Vma): VmaSnapshot {
  const b = v.backing;
  const backing =
    b.type === "zero"
      ? "zero-fill"
      : b.type === "file"
        ? `file${b.name ? " " + b.name : ""} offset ${hex(b.fileOffset)} size ${hex(b.fileSize)} at ${hex(b.vaddr)}`
        : `${b.frames.length} ${b.refcounted ? "shared" : "device"} frames from ${hex(b.frames[0] ?? 0)}`;
  return { start: hex(v.start), end: hex(v.end), pages: (v.end - v.start) / PAGE, prot: protString(v.prot), kind: v.kind, backing };
}

/**
 * The uaccess TLB: direct-mapped, UACCESS_TLB_ENTRIES entries indexed by the
 * low bits of the virtual page number, tags and frames in typed arrays. Not a
 * Map: user stack pages (near 0x7FFF_FFFF_0000) have page numbers beyond V8's
 * small integers, so a Map would hash and box them on every syscall. A
 * conflict evicts (the next access walks again); nothing here can be stale,
 * since invalidation mirrors the CPUs' TLBs (AddressSpace.tlbVa/tlbAsid).
 */
export const UACCESS_TLB_ENTRIES = 256;

export class UaccessTlb {
  private readonly tags = new Float64Array(UACCESS_TLB_ENTRIES).fill(-1);
  private readonly frames = new Float64Array(UACCESS_TLB_ENTRIES);
  private readonly writable = new Uint8Array(UACCESS_TLB_ENTRIES);

  /** Frame PA of virtual page `vpage` if cached and, for `write`, EL0-writable; else -1. */
  lookup(vpage: number, write: boolean): number {
    const i = vpage & (UACCESS_TLB_ENTRIES - 1);
    if (this.tags[i] !== vpage || (write && this.writable[i] === 0)) return -1;
    return this.frames[i];
  }

  /** Cache a successful EL0-readable walk of `vpage`. */
  set(vpage: number, pa: number, writable: boolean): void {
    const i = vpage & (UACCESS_TLB_ENTRIES - 1);
    this.tags[i] = vpage;
    this.frames[i] = pa;
    this.writable[i] = writable ? 1 : 0;
  }

  delete(vpage: number): void {
    const i = vpage & (UACCESS_TLB_ENTRIES - 1);
    if (this.tags[i] === vpage) this.tags[i] = -1;
  }

  clear(): void {
    this.tags.fill(-1);
  }
}
