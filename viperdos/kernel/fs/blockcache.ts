// The kernel's block cache (VIPERDOS.md, ViperFS: "an LRU block cache with
// pinning"): 4 KiB blocks of one disk kept in memory, least recently used
// evicted first, pinned blocks never evicted, writes kept dirty until
// flush() or eviction writes them back (write-back). It implements
// viperdos/fs/image.ts's BlockDevice so viperdos/fs/volume.ts runs on it.
//
// Errors: the BlockDevice contract throws FsError; a failed device read or
// write does so with the driver's reason, and the VFS turns it into -500.

import { BLOCK_SIZE, FsError } from "../../fs/format.js";
import type { BlockDevice } from "../../fs/image.js";

/** What the cache needs from a disk driver (VirtioBlkDriver): status codes, never throws. */
export interface BlockDriver {
  readonly blockCount: number;
  readBlock(n: number): Uint8Array | number;
  writeBlock(n: number, data: Uint8Array): number;
  flush(): number;
  /** Start a read that completes later (from the device's interrupt); false when it cannot start. Optional. */
  submitRead?(n: number, onDone: (r: Uint8Array | number) => void): boolean;
}

/**
 * Thrown (not an FsError: it passes through the Volume and VFS layers) by a
 * read that missed the cache while `asyncMisses` is set: the block is being
 * read by interrupt-driven I/O; the syscall blocks until whenLoaded() fires
 * and re-executes. Nothing was changed before it was thrown.
 */
export class WouldBlock {
  constructor(readonly block: number) {}
}

interface Entry {
  data: Uint8Array;
  dirty: boolean;
  pins: number;
}

export interface BlockCacheSnapshot {
  capacity: number;
  cached: number;
  dirty: number;
  pinned: number;
  hits: number;
  misses: number;
  /** Blocks that arrived by interrupt-driven reads; blocks loading now. */
  asyncLoads: number;
  loading: number[];
  evictions: number;
  writebacks: number;
  /** Cached block numbers, least recently used first. */
  lru: number[];
  /** Blocks pinned (never evicted) and blocks dirty (waiting for write-back), ascending. */
  pinnedBlocks: number[];
  dirtyBlocks: number[];
}

export class BlockCache implements BlockDevice {
  readonly blockCount: number;
  /** Insertion order of a Map is the LRU order: a hit re-inserts at the end. */
  private readonly blocks = new Map<number, Entry>();
  /** Numbers of the dirty entries (kept with Entry.dirty, so a commit need not scan the whole cache). */
  private readonly dirtySet = new Set<number>();
  private stats = { hits: 0, misses: 0, evictions: 0, writebacks: 0, asyncLoads: 0 };
  /**
   * While true, dirty blocks are never written back by eviction (they may
   * exceed the capacity): the journal writer (journal-writer.ts) decides
   * when and where they reach the disk.
   */
  holdDirty = false;
  /**
   * While true, a miss starts an asynchronous read (driver.submitRead) and
   * throws WouldBlock instead of waiting; set by the READ syscalls only
   * (never inside a transaction).
   */
  asyncMisses = false;
  /** Blocks being read asynchronously -> callbacks to run when they arrive. */
  private readonly loading = new Map<number, (() => void)[]>();

  /** A cache of at most `capacity` blocks (pinned blocks may exceed it) over `driver`. */
  constructor(readonly driver: BlockDriver, readonly capacity = 256) {
    this.blockCount = driver.blockCount;
  }

  private check(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.blockCount) throw new FsError(`${what} of block ${n} beyond the disk (${this.blockCount} blocks)`);
  }

  /** The entry for block `n`, loaded on a miss; marks it most recently used. Throws FsError on an I/O error. */
  private entry(n: number): Entry {
    const e = this.blocks.get(n);
    if (e) {
      this.stats.hits++;
      this.blocks.delete(n);
      this.blocks.set(n, e);
      return e;
    }
    this.stats.misses++;
    if (this.asyncMisses && this.startLoad(n)) throw new WouldBlock(n);
    const data = this.driver.readBlock(n);
    if (typeof data === "number") throw new FsError(`I/O error reading block ${n} (${data})`);
    const fresh = { data, dirty: false, pins: 0 };
    this.blocks.set(n, fresh);
    this.evict();
    return fresh;
  }

  /** Drop least recently used unpinned blocks (writing dirty ones back) until within capacity. */
  private evict(): void {
    if (this.blocks.size <= this.capacity) return;
    for (const [n, e] of this.blocks) {
      if (this.blocks.size <= this.capacity) break;
      if (e.pins > 0 || (e.dirty && this.holdDirty)) continue;
      if (e.dirty) this.writeBack(n, e);
      this.blocks.delete(n);
      this.stats.evictions++;
    }
  }

  private writeBack(n: number, e: Entry): void {
    const r = this.driver.writeBlock(n, e.data);
    if (r < 0) throw new FsError(`I/O error writing block ${n} (${r})`);
    e.dirty = false;
    this.dirtySet.delete(n);
    this.stats.writebacks++;
  }

  /** A copy of block `n`. Throws FsError (out of range, I/O error). */
  readBlock(n: number): Uint8Array {
    this.check(n, "read");
    return this.entry(n).data.slice();
  }

  /**
   * Block `n` without a copy (the READ path). The caller must not modify it;
   * the array stays as it is (writes replace a block's array, never mutate
   * it), so a view taken now keeps today's bytes. Throws as readBlock.
   */
  peek(n: number): Uint8Array {
    this.check(n, "read");
    return this.entry(n).data;
  }

  /** Replace block `n` in the cache (dirty until flushed). Throws FsError (out of range, wrong size). */
  writeBlock(n: number, data: Uint8Array): void {
    this.check(n, "write");
    if (data.length !== BLOCK_SIZE) throw new FsError(`write of ${data.length} bytes to block ${n}: blocks are ${BLOCK_SIZE}`);
    const e = this.blocks.get(n);
    if (e) {
      this.blocks.delete(n);
      this.blocks.set(n, e);
      e.data = data.slice();
      e.dirty = true;
      this.dirtySet.add(n);
      this.stats.hits++;
      return;
    }
    this.blocks.set(n, { data: data.slice(), dirty: true, pins: 0 });
    this.dirtySet.add(n);
    this.evict();
  }

  /** True when block `n` is in the cache (no I/O, no LRU change). */
  has(n: number): boolean {
    return this.blocks.has(n);
  }

  /**
   * Start reading block `n` asynchronously unless cached or already loading.
   * Returns true if a load is in flight afterwards (false: cached, or the
   * driver cannot start one: the caller reads synchronously).
   */
  startLoad(n: number): boolean {
    if (this.loading.has(n)) return true;
    if (this.blocks.has(n) || !this.driver.submitRead) return false;
    this.loading.set(n, []);
    const started = this.driver.submitRead(n, (r) => {
      const waiters = this.loading.get(n) ?? [];
      this.loading.delete(n);
      // An error is not cached: the re-executed syscall reads again and reports it.
      if (typeof r !== "number" && !this.blocks.has(n)) {
        this.blocks.set(n, { data: r, dirty: false, pins: 0 });
        this.stats.asyncLoads++;
        this.evict();
      }
      for (const w of waiters) w();
    });
    if (!started) this.loading.delete(n);
    return started;
  }

  /** Run `cb` when block `n`'s asynchronous load completes; false (cb not kept) when none is in flight. */
  whenLoaded(n: number, cb: () => void): boolean {
    const w = this.loading.get(n);
    if (!w) return false;
    w.push(cb);
    return true;
  }

  /** Keep block `n` in the cache until unpin(n). Throws FsError (out of range, I/O error). */
  pin(n: number): void {
    this.check(n, "pin");
    this.entry(n).pins++;
  }

  /** Undo one pin(n); no effect on a block that is not pinned. */
  unpin(n: number): void {
    const e = this.blocks.get(n);
    if (e && e.pins > 0) e.pins--;
    this.evict();
  }

  /** Write every dirty block back (ascending order), then flush the device. Throws FsError on an I/O error. */
  flush(): void {
    for (const n of [...this.dirtySet].sort((a, b) => a - b)) this.writeBack(n, this.blocks.get(n)!);
    const r = this.driver.flush();
    if (r < 0) throw new FsError(`I/O error flushing the disk (${r})`);
  }

  /** The dirty blocks (number -> a copy of the data), ascending. For the journal writer. */
  dirtyBlocks(): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const n of [...this.dirtySet].sort((a, b) => a - b)) out.set(n, this.blocks.get(n)!.data.slice());
    return out;
  }

  /** Mark block `n` clean (the caller wrote it to the disk itself). No effect if not cached. */
  markClean(n: number): void {
    const e = this.blocks.get(n);
    if (e) e.dirty = false;
    this.dirtySet.delete(n);
    this.evict();
  }

  /** Drop every dirty block unwritten (a rolled-back transaction): later reads see the disk again. */
  discardDirty(): void {
    for (const n of [...this.dirtySet]) {
      const e = this.blocks.get(n)!;
      this.dirtySet.delete(n);
      if (e.pins === 0) {
        this.blocks.delete(n);
        continue;
      }
      // A pinned block stays (its pins with it): back to the disk's contents.
      const data = this.driver.readBlock(n);
      if (typeof data === "number") throw new FsError(`I/O error reading block ${n} (${data})`);
      e.data = data;
      e.dirty = false;
    }
  }

  /** Dirty blocks waiting for write-back. */
  get dirtyCount(): number {
    return this.dirtySet.size;
  }

  snapshot(): BlockCacheSnapshot {
    const pinnedBlocks: number[] = [];
    const dirtyBlocks: number[] = [];
    for (const [n, e] of this.blocks) {
      if (e.pins > 0) pinnedBlocks.push(n);
      if (e.dirty) dirtyBlocks.push(n);
    }
    return {
      capacity: this.capacity, cached: this.blocks.size, dirty: dirtyBlocks.length, pinned: pinnedBlocks.length, ...this.stats,
      loading: [...this.loading.keys()], lru: [...this.blocks.keys()],
      pinnedBlocks: pinnedBlocks.sort((a, b) => a - b), dirtyBlocks: dirtyBlocks.sort((a, b) => a - b),
    };
  }
}
