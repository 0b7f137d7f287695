// Buddy allocator for runs of 2^order physical frames (order 0..10, 4 KiB to
// 4 MiB), plus per-frame reference counts for copy-on-write and shared
// memory.
//
// One source of truth: a frame is free exactly when it lies inside a block
// on one of the free lists; the FrameBitmap (bitmap.ts) mirrors that per
// frame and is updated by every operation here, so `bitmap.test(i)` is
// "in use". Frame indices count from RAM_BASE (0x4000_0000, 1 GiB aligned), so
// index alignment equals physical alignment and a buddy is `i ^ (1 << order)`.
//
// Refcounts: allocRun gives the run's first frame (and, for order 0, the
// frame) a count of 1. ref() adds a sharer; unref() drops one and frees the
// frame (order 0) when the count reaches zero. Runs of order > 0 are freed
// with freeRun and are not refcounted frame by frame.

import { FrameBitmap } from "./bitmap.js";

export const MAX_ORDER = 10;

export interface BuddyCounters {
  allocs: number;
  frees: number;
  splits: number;
  merges: number;
  failures: number;
}

export class BuddyAllocator {
  readonly bitmap: FrameBitmap;
  /** Free blocks per order, by first frame index. */
  private readonly freeLists: Set<number>[] = [];
  /** Reference count per frame (meaningful for allocated order-0 frames and run heads). */
  private readonly refs: Uint16Array;
  /** Order of each allocated run, by head frame (order-0 frames are absent). */
  private readonly runOrder = new Map<number, number>();
  /** Frames taken by reserve(): never handed out, never freed. */
  readonly reserved: FrameBitmap;
  private free = 0;
  readonly counters: BuddyCounters = { allocs: 0, frees: 0, splits: 0, merges: 0, failures: 0 };

  /** All `frames` frames start free. */
  constructor(readonly frames: number) {
    this.bitmap = new FrameBitmap(frames);
    this.reserved = new FrameBitmap(frames);
    this.refs = new Uint16Array(frames);
    for (let o = 0; o <= MAX_ORDER; o++) this.freeLists.push(new Set());
    // Carve [0, frames) into the largest aligned blocks that fit.
    let i = 0;
    while (i < frames) {
      let o = MAX_ORDER;
      while (o > 0 && (i % (1 << o) !== 0 || i + (1 << o) > frames)) o--;
      this.freeLists[o].add(i);
      i += 1 << o;
    }
    this.free = frames;
  }

  get freeFrames(): number {
    return this.free;
  }

  /**
   * Allocate 2^order contiguous frames aligned to their size. Returns the
   * first frame index, or -1 when no block is large enough (or order is out
   * of range). The frames are marked used; the head's refcount becomes 1.
   */
  allocRun(order: number): number {
    if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) return -1;
    let o = order;
    while (o <= MAX_ORDER && this.freeLists[o].size === 0) o++;
    if (o > MAX_ORDER) {
      this.counters.failures++;
      return -1;
    }
    // The oldest block on the list: deterministic (insertion order), O(1).
    const head = this.freeLists[o].values().next().value as number;
    this.freeLists[o].delete(head);
    while (o > order) {
      o--;
      this.freeLists[o].add(head + (1 << o)); // upper half stays free
      this.counters.splits++;
    }
    this.bitmap.setRange(head, 1 << order, true);
    this.refs[head] = 1;
    if (order > 0) this.runOrder.set(head, order);
    this.free -= 1 << order;
    this.counters.allocs++;
    return head;
  }

  /**
   * Return the run at `head` of 2^order frames, merging with free buddies.
   * Throws (a kernel bug, never user-caused) on a frame that is not an
   * allocated run of that order.
   */
  freeRun(head: number, order: number): void {
    const expect = this.runOrder.get(head) ?? 0;
    if (head < 0 || head >= this.frames || !this.bitmap.test(head) || this.reserved.test(head) || expect !== order) {
      throw new Error(`BuddyAllocator.freeRun: frame ${head} is not an allocated run of order ${order}`);
    }
    this.runOrder.delete(head);
    this.refs[head] = 0;
    this.bitmap.setRange(head, 1 << order, false);
    this.free += 1 << order;
    this.counters.frees++;
    let block = head;
    let o = order;
    while (o < MAX_ORDER) {
      const buddy = block ^ (1 << o);
      if (!this.freeLists[o].has(buddy)) break;
      this.freeLists[o].delete(buddy);
      block = Math.min(block, buddy);
      o++;
      this.counters.merges++;
    }
    this.freeLists[o].add(block);
  }

  /**
   * Take frames [first, first+count) out of circulation (kernel image, boot
   * data, device windows in RAM). Frames already in use stay as they are.
   * Returns how many frames were newly reserved.
   */
  reserve(first: number, count: number): number {
    let n = 0;
    const end = Math.min(this.frames, first + count);
    for (let i = Math.max(0, first); i < end; i++) {
      if (this.bitmap.test(i)) continue;
      this.takeFreeFrame(i);
      this.reserved.set(i);
      this.bitmap.set(i);
      this.free--;
      n++;
    }
    return n;
  }

  /** Remove free frame `i` from the free lists, splitting its block. */
  private takeFreeFrame(i: number): void {
    for (let o = 0; o <= MAX_ORDER; o++) {
      const head = i - (i % (1 << o));
      if (!this.freeLists[o].has(head)) continue;
      this.freeLists[o].delete(head);
      // Split down to order 0, keeping the halves that do not hold i.
      let b = head;
      for (let k = o - 1; k >= 0; k--) {
        const upper = b + (1 << k);
        if (i >= upper) {
          this.freeLists[k].add(b);
          b = upper;
        } else {
          this.freeLists[k].add(upper);
        }
        this.counters.splits++;
      }
      return;
    }
    throw new Error(`BuddyAllocator.reserve: free frame ${i} is on no free list`);
  }

  /** Current refcount of frame `i` (0 = free or reserved). */
  refCount(i: number): number {
    return this.refs[i] ?? 0;
  }

  /** Add a sharer to allocated order-0 frame `i`. Throws on a free/reserved frame (kernel bug). */
  ref(i: number): void {
    if (!this.isRefcounted(i)) throw new Error(`BuddyAllocator.ref: frame ${i} is not an allocated page`);
    if (this.refs[i] === 0xffff) throw new Error(`BuddyAllocator.ref: frame ${i} refcount overflow`);
    this.refs[i]++;
  }

  /** Drop a sharer of frame `i`; frees it at zero. Returns the remaining count. */
  unref(i: number): number {
    if (!this.isRefcounted(i)) throw new Error(`BuddyAllocator.unref: frame ${i} is not an allocated page`);
    const left = --this.refs[i];
    if (left === 0) {
      this.refs[i] = 1; // freeRun checks and clears it
      this.freeRun(i, 0);
    }
    return left;
  }

  private isRefcounted(i: number): boolean {
    return Number.isInteger(i) && i >= 0 && i < this.frames && this.bitmap.test(i) && !this.reserved.test(i) && this.refs[i] > 0 && !this.runOrder.has(i);
  }

  /** Number of free blocks on each order's list (index = order). */
  runsByOrder(): number[] {
    return this.freeLists.map((s) => s.size);
  }

  /** Self-check for tests: free lists and bitmap agree, no overlaps. Returns a problem or "". */
  check(): string {
    const seen = new Uint8Array(this.frames);
    let total = 0;
    for (let o = 0; o <= MAX_ORDER; o++) {
      for (const h of this.freeLists[o]) {
        if (h % (1 << o) !== 0) return `block ${h} misaligned for order ${o}`;
        for (let i = h; i < h + (1 << o); i++) {
          if (seen[i]) return `frame ${i} on two free lists`;
          if (this.bitmap.test(i)) return `free frame ${i} marked used`;
          seen[i] = 1;
          total++;
        }
      }
    }
    if (total !== this.free) return `free count ${this.free} but lists hold ${total}`;
    if (this.frames - this.bitmap.countUsed() !== total) return `bitmap free count disagrees`;
    return "";
  }
}
