// The kernel's refcounted inode cache (VIPERDOS.md, ViperFS: "a refcounted
// inode cache"), one per mounted volume. Every open of an inode shares one
// in-memory copy: an OpenFile takes a reference at open and drops it at its
// last release. While referenced, the inode's table block is pinned in the
// block cache (so the copy's home never leaves memory) and Volume.readInode
// is answered from the cache (no block decode on the READ path).
//
// Coherence: Volume tells the cache of every inode write (InodeHook.store),
// so a cached copy is never older than the block cache. A changed inode is
// "dirty" until the transaction that changed it commits (committed()); a
// rolled-back transaction reloads every cached inode from the block cache,
// which has dropped the uncommitted blocks (rolledBack()). An entry leaves
// the cache when its last reference goes and it is clean; a dirty one
// leaves at the next commit.
//
// Errors: acquire() reports a bad inode number or an I/O error as FsError,
// which the VFS turns into an error code.

import type { Inode } from "../../fs/format.js";
import { cloneInode, type InodeHook, type Volume } from "../../fs/volume.js";
import type { BlockCache } from "./blockcache.js";

interface Entry {
  inode: Inode;
  refs: number;
  dirty: boolean;
  /** The inode table block, pinned in the block cache while the entry lives. */
  block: number;
}

export interface InodeCacheSnapshot {
  cached: number;
  hits: number;
  misses: number;
  loads: number;
  evictions: number;
  /** Cached inodes by number: references (open files), dirty flag, type and size. */
  inodes: { ino: number; refs: number; dirty: boolean; mode: number; size: number; links: number; pinnedBlock: number }[];
}

export class InodeCache implements InodeHook {
  private readonly entries = new Map<number, Entry>();
  private stats = { hits: 0, misses: 0, loads: 0, evictions: 0 };

  /** A cache for `vol` over `blocks`; installs itself as the volume's inode hook. */
  constructor(readonly vol: Volume, readonly blocks: BlockCache) {
    vol.inodeHook = this;
  }

  /** InodeHook: the cached inode `ino` (the caller copies it), or undefined. */
  lookup(ino: number): Inode | undefined {
    const e = this.entries.get(ino);
    if (e) this.stats.hits++;
    else this.stats.misses++;
    return e?.inode;
  }

  /** InodeHook: Volume wrote inode `ino`; refresh the cached copy and mark it dirty. */
  store(ino: number, inode: Inode): void {
    const e = this.entries.get(ino);
    if (!e) return;
    e.inode = cloneInode(inode);
    e.dirty = true;
  }

  /**
   * Take a reference to inode `ino` (loading and pinning it on first use).
   * Returns the shared copy. Errors: FsError (inode out of range, I/O).
   */
  acquire(ino: number): Inode {
    let e = this.entries.get(ino);
    if (!e) {
      const { block } = this.vol.inodeLocation(ino);
      const inode = this.vol.readInode(ino);
      this.blocks.pin(block);
      e = { inode, refs: 0, dirty: false, block };
      this.entries.set(ino, e);
      this.stats.loads++;
    }
    e.refs++;
    return e.inode;
  }

  /** Drop one reference to `ino`; a clean entry with none left is freed (its block unpinned). */
  release(ino: number): void {
    const e = this.entries.get(ino);
    if (!e || e.refs === 0) return;
    e.refs--;
    if (e.refs === 0 && !e.dirty) this.evict(ino, e);
  }

  private evict(ino: number, e: Entry): void {
    this.entries.delete(ino);
    this.blocks.unpin(e.block);
    this.stats.evictions++;
  }

  /** The transaction that changed cached inodes is on disk: all clean; unreferenced ones go. */
  committed(): void {
    for (const [ino, e] of [...this.entries]) {
      e.dirty = false;
      if (e.refs === 0) this.evict(ino, e);
    }
  }

  /** The transaction was rolled back: reload every cached inode from the (rolled back) block cache. */
  rolledBack(): void {
    const hook = this.vol.inodeHook;
    this.vol.inodeHook = undefined; // read the blocks, not ourselves
    try {
      for (const [ino, e] of [...this.entries]) {
        e.inode = this.vol.readInode(ino);
        e.dirty = false;
        if (e.refs === 0) this.evict(ino, e);
      }
    } finally {
      this.vol.inodeHook = hook;
    }
  }

  /** References held on `ino` (0 when not cached). */
  refs(ino: number): number {
    return this.entries.get(ino)?.refs ?? 0;
  }

  snapshot(): InodeCacheSnapshot {
    return {
      cached: this.entries.size,
      ...this.stats,
      inodes: [...this.entries].sort(([a], [b]) => a - b).map(([ino, e]) => ({
        ino, refs: e.refs, dirty: e.dirty, mode: e.inode.mode, size: e.inode.size, links: e.inode.links, pinnedBlock: e.block,
      })),
    };
  }
}
