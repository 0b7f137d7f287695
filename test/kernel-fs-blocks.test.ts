// Block-granular file writes and the refcounted inode cache, on the host:
// the kernel's VFS over a BlockCache over a driver that records every block
// written. A write must touch only the data blocks in its range (plus the
// metadata the journal logs), whatever the file's size; appends, overwrites
// in the middle, writes past the end (holes) and O_TRUNC keep fsck clean;
// every open of a file shares one cached inode, freed at the last close.

import { describe, expect, it } from "vitest";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { fsck } from "../viperdos/fs/fsck.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { Volume } from "../viperdos/fs/volume.js";
import { BLOCK_SIZE, journalStartOf } from "../viperdos/fs/format.js";
import { BlockCache, type BlockDriver } from "../viperdos/kernel/fs/blockcache.js";
import { O, SEEK, Vfs, type Location, type Mount, type OpenFile } from "../viperdos/kernel/fs/vfs.js";
import { E } from "../viperdos/kernel/errors.js";

class RecDriver implements BlockDriver {
  writes: number[] = [];
  constructor(readonly img: MemoryImage) {}
  get blockCount() { return this.img.blockCount; }
  readBlock(n: number) { return this.img.readBlock(n); }
  writeBlock(n: number, d: Uint8Array) { this.writes.push(n); this.img.writeBlock(n, d); return 0; }
  flush() { return 0; }
}

function setup() {
  const img = new MemoryImage(buildImage({ size: 8 << 20, label: "U", dirs: ["t"] }));
  const drv = new RecDriver(img);
  const vfs = new Vfs();
  const m = vfs.mount("D1", new BlockCache(drv, 64)) as Mount;
  if (typeof m === "number") throw new Error(`mount ${m}`);
  const at = (p: string) => vfs.resolve(undefined, p) as Location;
  const open = (p: string, flags: number) => {
    const f = vfs.open(at(p), flags);
    if (typeof f === "number") throw new Error(`open ${p}: ${f}`);
    f.retain();
    return f;
  };
  const journal = journalStartOf(m.vol.sb);
  /** Data-area blocks written (journal, inode table, bitmap, superblocks excluded) by `f`. */
  const dataWrites = (f: () => void): number[] => {
    drv.writes = [];
    f();
    return [...new Set(drv.writes.filter((b) => b >= m.vol.sb.dataStart && b < journal))];
  };
  const pattern = (n: number, seed: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 0xff;
    return b;
  };
  return { img, drv, vfs, m, at, open, dataWrites, pattern };
}

const readAll = (vfs: Vfs, f: OpenFile): Uint8Array => {
  vfs.seek(f, 0, SEEK.SET);
  const r = vfs.read(f, 1 << 22);
  if (typeof r === "number") throw new Error(`read ${r}`);
  return r;
};

describe("block-granular writes", () => {
  it("an overwrite in the middle of a large file writes one data block and logs a few metadata blocks", () => {
    const { vfs, m, open, dataWrites, pattern, img } = setup();
    const f = open("D1:t/big", O.RDWR | O.CREAT);
    const big = pattern(2 << 20, 1); // 512 blocks: direct, indirect and double-indirect ranges
    for (let at = 0; at < big.length; at += 1 << 20) expect(vfs.write(f, big.subarray(at, at + (1 << 20)))).toBe(1 << 20);
    for (const off of [100, 40 * BLOCK_SIZE + 7, 600 * BLOCK_SIZE - 300]) {
      vfs.seek(f, Math.min(off, big.length - 10), SEEK.SET);
      const before = m.journal!.snapshot();
      const touched = dataWrites(() => expect(vfs.write(f, new Uint8Array(10).fill(0xee))).toBe(10));
      const after = m.journal!.snapshot();
      // One new (copy-on-write) data block written ordered; the other data-area writes are logged indirect blocks going home.
      expect(after.last!.ordered.length).toBe(1);
      expect(touched.filter((b) => !after.last!.logged.includes(b))).toEqual(after.last!.ordered);
      expect(after.transactions - before.transactions).toBe(1);
      expect(after.loggedBlocks - before.loggedBlocks).toBeLessThanOrEqual(5); // sb, bitmap, inode, indirect levels
      big.fill(0xee, Math.min(off, big.length - 10), Math.min(off, big.length - 10) + 10);
    }
    expect(Buffer.from(readAll(vfs, f)).equals(Buffer.from(big))).toBe(true); // (toEqual on 2 MiB is slow)
    expect(fsck(img.bytes).problems).toEqual([]);
  });

  it("append touches only the tail block; a straddling write touches two", () => {
    const { vfs, open, dataWrites, pattern } = setup();
    const f = open("D1:t/log", O.WRONLY | O.CREAT | O.APPEND);
    vfs.write(f, pattern(5000, 2));
    expect(dataWrites(() => vfs.write(f, pattern(100, 3))).length).toBe(1);
    expect(dataWrites(() => vfs.write(f, pattern(4000, 4))).length).toBe(2); // 5100..9099 spans blocks 1 and 2
    const g = open("D1:t/log", O.RDONLY);
    const all = readAll(vfs, g);
    expect(all.length).toBe(9100);
    expect(all.subarray(5000, 5100)).toEqual(pattern(100, 3));
  });

  it("writes past the end leave holes that read as zeros and hold no blocks; fsck stays clean", () => {
    const { vfs, open, img, at } = setup();
    const f = open("D1:t/sparse", O.RDWR | O.CREAT);
    vfs.write(f, new Uint8Array([1, 2, 3]));
    vfs.seek(f, 300 * BLOCK_SIZE + 5, SEEK.SET);
    vfs.write(f, new Uint8Array([9]));
    const st = vfs.stat(at("D1:t/sparse"));
    if (typeof st === "number") throw new Error(String(st));
    expect(st.size).toBe(300 * BLOCK_SIZE + 6);
    expect(st.blocks).toBe(2);
    const all = readAll(vfs, f);
    expect([...all.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(all.subarray(4, 300 * BLOCK_SIZE + 5).every((b) => b === 0)).toBe(true);
    expect(all[300 * BLOCK_SIZE + 5]).toBe(9);
    expect(fsck(img.bytes).problems).toEqual([]);
  });

  it("O_TRUNC frees the blocks; a write that finds the volume full fails with -506 and fsck stays clean", () => {
    const { vfs, m, open, img, pattern } = setup();
    const free0 = m.vol.sb.freeBlocks;
    const f = open("D1:t/x", O.WRONLY | O.CREAT);
    vfs.write(f, pattern(70000, 5));
    expect(m.vol.sb.freeBlocks).toBeLessThan(free0 - 17);
    const g = open("D1:t/x", O.WRONLY | O.TRUNC);
    expect(vfs.sizeOf(g)).toBe(0);
    expect(vfs.sizeOf(f)).toBe(0); // the other open sees the same inode
    expect(m.vol.sb.freeBlocks).toBe(free0); // an empty file holds no blocks
    const huge = vfs.open(vfs.resolve(undefined, "D1:t/huge") as Location, O.WRONLY | O.CREAT) as OpenFile;
    huge.retain();
    const before = Buffer.from(img.bytes);
    const chunk = new Uint8Array(1 << 20);
    let r = 0;
    for (let i = 0; i < 10 && r >= 0; i++) r = vfs.write(huge, chunk);
    expect(r).toBe(E.NO_SPACE);
    expect(fsck(img.bytes).problems).toEqual([]);
    expect(Buffer.from(img.bytes).equals(before)).toBe(false); // earlier chunks landed
  });
});

describe("inode cache", () => {
  it("every open of a file shares one cached inode, pinned while open, freed at the last close", () => {
    const { vfs, m, open, pattern } = setup();
    const a = open("D1:t/shared", O.RDWR | O.CREAT);
    const b = open("D1:t/shared", O.RDONLY);
    const ino = a.ino;
    expect(b.ino).toBe(ino);
    expect(m.icache.refs(ino)).toBe(2);
    const entry = m.icache.snapshot().inodes.find((i) => i.ino === ino)!;
    expect(m.cache.snapshot().pinnedBlocks).toContain(entry.pinnedBlock);
    vfs.write(a, pattern(1234, 1));
    expect(vfs.sizeOf(b)).toBe(1234);
    const s = m.icache.snapshot();
    expect(s.inodes.find((i) => i.ino === ino)).toMatchObject({ refs: 2, dirty: false, size: 1234 });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    const hits = s.hits;
    vfs.read(b, 10);
    expect(m.icache.snapshot().hits).toBeGreaterThan(hits); // READ answered from the cache
    a.release();
    expect(m.icache.refs(ino)).toBe(1);
    b.release();
    expect(m.icache.refs(ino)).toBe(0);
    expect(m.icache.snapshot().inodes.some((i) => i.ino === ino)).toBe(false);
    expect(m.cache.snapshot().pinned).toBe(0);
  });

  it("a rolled-back change leaves the cached inode as on disk", () => {
    const { vfs, m, open } = setup();
    const f = open("D1:t/r", O.RDWR | O.CREAT);
    vfs.write(f, new Uint8Array(10));
    vfs.seek(f, 2 ** 40, SEEK.SET); // beyond the double-indirect range: the write fails
    expect(vfs.write(f, new Uint8Array(1))).toBe(E.FILE_TOO_LARGE);
    expect(vfs.sizeOf(f)).toBe(10);
    expect(m.icache.snapshot().inodes.find((i) => i.ino === f.ino)).toMatchObject({ dirty: false, size: 10 });
    expect(Volume.open(new MemoryImage(m.cache.driver instanceof RecDriver ? m.cache.driver.img.bytes : new Uint8Array())).readInode(f.ino).size).toBe(10);
  });
});
