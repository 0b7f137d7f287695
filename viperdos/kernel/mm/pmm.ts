// The physical memory manager: every 4 KiB frame of the machine's guest RAM
// (PhysicalBus), handed out zeroed, with kernel-reserved ranges and counters.
//
// Frame state is one source of truth in buddy.ts (free lists mirrored by a
// per-frame bitmap, bitmap.ts); this module speaks physical addresses, zeroes
// pages through the bus (so a recycled page that held translated code drops
// its compiled blocks), and owns the counters a notebook shows.
//
// Contract (DESIGN.md "Physical memory"): alloc() -> PA or -1, free(pa),
// allocRun(order) / freeRun(pa, order), reserve(pa, bytes), stats().

import { PhysicalBus, RAM_BASE, PAGE_SIZE } from "../../../emulator/bus.js";
import { BuddyAllocator, MAX_ORDER } from "./buddy.js";

export interface PmmStats {
  totalPages: number;
  freePages: number;
  usedPages: number;
  reservedPages: number;
  /** Free blocks per buddy order 0..10. */
  runsByOrder: number[];
}

export interface PmmCounters {
  allocs: number;
  frees: number;
  failures: number;
  zeroedPages: number;
  splits: number;
  merges: number;
}

export interface PmmSnapshot extends PmmStats {
  ramBase: string;
  ramBytes: number;
  counters: PmmCounters;
  /** Run-length map of RAM: [first PA (hex), pages, "free"|"used"|"reserved"]. */
  map: [string, number, string][];
}

export class Pmm {
  readonly buddy: BuddyAllocator;
  readonly totalPages: number;
  private allocs = 0;
  private frees = 0;
  private failures = 0;
  private zeroedPages = 0;

  constructor(readonly bus: PhysicalBus) {
    this.totalPages = bus.ramSize / PAGE_SIZE;
    this.buddy = new BuddyAllocator(this.totalPages);
  }

  /** Frame index of physical address `pa`, or -1 if it is not a RAM page address. */
  frameOf(pa: number): number {
    if (!Number.isInteger(pa) || pa % PAGE_SIZE !== 0 || !this.bus.isRam(pa, PAGE_SIZE)) return -1;
    return (pa - RAM_BASE) / PAGE_SIZE;
  }

  /** True if `pa` is a RAM page this allocator manages. */
  owns(pa: number): boolean {
    return this.frameOf(pa) >= 0;
  }

  /**
   * One zeroed page. Returns its physical address, or -1 when RAM is
   * exhausted. The page's refcount is 1.
   */
  alloc(): number {
    return this.allocRun(0);
  }

  /**
   * 2^order contiguous zeroed pages aligned to their size (order 0..10).
   * Returns the PA of the first, or -1 (no run that large, or bad order).
   */
  allocRun(order: number): number {
    const f = this.buddy.allocRun(order);
    if (f < 0) {
      this.failures++;
      return -1;
    }
    const pa = RAM_BASE + f * PAGE_SIZE;
    this.bus.fill(pa, PAGE_SIZE << order);
    this.zeroedPages += 1 << order;
    this.allocs++;
    return pa;
  }

  /**
   * Drop one reference to the page at `pa` (a page from alloc()); it returns
   * to the free pool when no sharer is left. Throws on an address that is
   * not an allocated page: that is a kernel bug, not a user error.
   */
  free(pa: number): void {
    this.unref(pa);
  }

  /** Free a run from allocRun(order). Throws on a mismatched run (kernel bug). */
  freeRun(pa: number, order: number): void {
    const f = this.frameOf(pa);
    if (f < 0) throw new Error(`Pmm.freeRun: 0x${pa.toString(16)} is not a RAM page`);
    this.buddy.freeRun(f, order);
    this.frees++;
  }

  /** Add a sharer to the page at `pa` (COW, shared memory). Throws if it is not allocated. */
  ref(pa: number): void {
    const f = this.frameOf(pa);
    if (f < 0) throw new Error(`Pmm.ref: 0x${pa.toString(16)} is not a RAM page`);
    this.buddy.ref(f);
  }

  /** Drop a sharer; the page is freed at zero. Returns the sharers left. */
  unref(pa: number): number {
    const f = this.frameOf(pa);
    if (f < 0) throw new Error(`Pmm.unref: 0x${pa.toString(16)} is not a RAM page`);
    const left = this.buddy.unref(f);
    if (left === 0) this.frees++;
    return left;
  }

  /** Sharers of the page at `pa` (0 if free, reserved or not RAM). */
  refCount(pa: number): number {
    const f = this.frameOf(pa);
    return f < 0 ? 0 : this.buddy.refCount(f);
  }

  /**
   * Reserve [pa, pa+bytes) (rounded out to pages) for the kernel at boot.
   * Parts outside RAM are ignored. Returns the number of pages newly reserved.
   */
  reserve(pa: number, bytes: number): number {
    if (bytes <= 0) return 0;
    const first = Math.floor((pa - RAM_BASE) / PAGE_SIZE);
    const last = Math.ceil((pa + bytes - RAM_BASE) / PAGE_SIZE);
    return this.buddy.reserve(first, last - first);
  }

  get freePages(): number {
    return this.buddy.freeFrames;
  }

  /** Page counts and free blocks per order. */
  stats(): PmmStats {
    const reservedPages = this.buddy.reserved.countUsed();
    return {
      totalPages: this.totalPages,
      freePages: this.buddy.freeFrames,
      usedPages: this.totalPages - this.buddy.freeFrames,
      reservedPages,
      runsByOrder: this.buddy.runsByOrder(),
    };
  }

  /** Plain JSON view for notebooks: stats, counters and a run-length RAM map. */
  snapshot(): PmmSnapshot {
    const map: [string, number, string][] = [];
    for (const [first, count, used] of this.buddy.bitmap.runs()) {
      // Split used runs into reserved / allocated stretches.
      let s = first;
      for (let i = first + 1; i <= first + count; i++) {
        if (i === first + count || this.buddy.reserved.test(i) !== this.buddy.reserved.test(s)) {
          const kind = !used ? "free" : this.buddy.reserved.test(s) ? "reserved" : "used";
          map.push(["0x" + (RAM_BASE + s * PAGE_SIZE).toString(16), i - s, kind]);
          s = i;
        }
      }
    }
    const b = this.buddy.counters;
    return {
      ...this.stats(),
      ramBase: "0x" + RAM_BASE.toString(16),
      ramBytes: this.bus.ramSize,
      counters: { allocs: this.allocs, frees: this.frees, failures: this.failures, zeroedPages: this.zeroedPages, splits: b.splits, merges: b.merges },
      map,
    };
  }
}

export { MAX_ORDER };
