// The kernel's journal writer (viperdos/kernel/fs/journal-writer.ts) on its
// own, over a recording driver: the write/flush order of one transaction,
// replay of a transaction cut off after its commit, rollback of a failed
// change, no reuse of blocks freed in the open transaction, and the cache's
// holdDirty.

import { describe, expect, it } from "vitest";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { fsck } from "../viperdos/fs/fsck.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { Volume } from "../viperdos/fs/volume.js";
import { readJournal } from "../viperdos/fs/journal.js";
import { BLOCK_SIZE, FsError, journalStartOf } from "../viperdos/fs/format.js";
import { BlockCache, type BlockDriver } from "../viperdos/kernel/fs/blockcache.js";
import { JournalWriter } from "../viperdos/kernel/fs/journal-writer.js";

type Op = { kind: "write"; n: number; data: Uint8Array } | { kind: "flush" };

/** A driver over a MemoryImage that logs every write and flush. */
class LogDriver implements BlockDriver {
  ops: Op[] = [];
  constructor(readonly img: MemoryImage) {}
  get blockCount() { return this.img.blockCount; }
  readBlock(n: number) { return this.img.readBlock(n); }
  writeBlock(n: number, d: Uint8Array) { this.ops.push({ kind: "write", n, data: d.slice() }); this.img.writeBlock(n, d); return 0; }
  flush() { this.ops.push({ kind: "flush" }); return 0; }
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

function setup(size = 1 << 20, files = new Map<string, Uint8Array>()) {
  const original = buildImage({ size, label: "J", dirs: ["t"], files });
  const img = new MemoryImage(original.slice());
  const drv = new LogDriver(img);
  const cache = new BlockCache(drv, 64);
  const vol = Volume.open(cache);
  const jw = new JournalWriter(vol, cache);
  return { original, img, drv, cache, vol, jw };
}

/** The image after the first `k` ops of `ops` applied to `base`. */
function prefixImage(base: Uint8Array, ops: Op[], k: number): Uint8Array {
  const img = new MemoryImage(base.slice());
  for (const o of ops.slice(0, k)) if (o.kind === "write") img.writeBlock(o.n, o.data);
  return img.bytes;
}

describe("journal writer", () => {
  it("writes ordered data + log, flushes, commits by the header, checkpoints, flushes, empties the journal", () => {
    const { img, drv, vol, jw } = setup();
    const js = journalStartOf(vol.sb);
    jw.run(() => void vol.writeFile("/t/x", text("journaled")));
    const flushes = drv.ops.map((o, i) => (o.kind === "flush" ? i : -1)).filter((i) => i >= 0);
    expect(flushes.length).toBe(4);
    expect(flushes[3]).toBe(drv.ops.length - 1);
    const headerWrites = drv.ops.map((o, i) => (o.kind === "write" && o.n === js ? i : -1)).filter((i) => i >= 0);
    // The header is written twice, each alone between two flushes: the commit and the emptying.
    expect(headerWrites).toEqual([flushes[0] + 1, flushes[2] + 1]);
    // Before the first flush: only free-on-disk data blocks and the journal's data area.
    for (const o of drv.ops.slice(0, flushes[0])) {
      if (o.kind !== "write") continue;
      expect(o.n > js || (o.n >= vol.sb.dataStart && o.n < js)).toBe(true);
    }
    const st = readJournal(img, vol.sb);
    expect(st.kind).toBe("clean");
    expect(st.header).toMatchObject({ head: 0, tail: 0, sequence: 1 });
    expect(fsck(img.bytes).problems).toEqual([]);
    const v2 = Volume.open(new MemoryImage(img.bytes.slice()));
    expect(str(v2.readData(v2.lookup("/t/x")))).toBe("journaled");
    const snap = jw.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap).toMatchObject({ transactions: 1, sequence: 1, flushes: 4, rolledBack: 0 });
    expect(snap.last!.logged).toContain(0); // the superblock goes through the log
  });

  it("a crash after the commit point is replayed at mount; before it, the old tree stays", () => {
    const { original, drv, vol, jw } = setup();
    jw.run(() => void vol.writeFile("/t/x", text("after")));
    const flushes = drv.ops.map((o, i) => (o.kind === "flush" ? i : -1)).filter((i) => i >= 0);
    const committed = prefixImage(original, drv.ops, flushes[1] + 1);
    const v = Volume.open(new MemoryImage(committed));
    expect(v.replayed).toBe(1);
    expect(str(v.readData(v.lookup("/t/x")))).toBe("after");
    expect(v.sb.freeBlocks).toBe(vol.sb.freeBlocks); // the replayed superblock, not the one read before replay
    v.sync();
    expect(fsck(committed).problems).toEqual([]);
    const before = prefixImage(original, drv.ops, flushes[1] - 1);
    const w = Volume.open(new MemoryImage(before));
    expect(w.replayed).toBe(0);
    expect(() => w.lookup("/t/x")).toThrow(FsError);
    expect(fsck(before).problems).toEqual([]);
  });

  it("rolls a failed change back: nothing written, counts and bitmap restored, the next change works", () => {
    const { img, drv, vol, jw, cache } = setup(256 * BLOCK_SIZE, new Map([["keep", text("old")]]));
    const free = vol.sb.freeBlocks;
    expect(() => jw.run(() => void vol.writeFile("/big", new Uint8Array((free + 5) * BLOCK_SIZE)))).toThrow(/no free blocks/);
    expect(drv.ops).toEqual([]);
    expect(cache.dirtyCount).toBe(0);
    expect(vol.sb.freeBlocks).toBe(free);
    expect(() => vol.lookup("/big")).toThrow(FsError);
    jw.run(() => void vol.writeFile("/small", text("fits")));
    expect(fsck(img.bytes).problems).toEqual([]);
    expect(str(vol.readData(vol.lookup("/keep")))).toBe("old");
    expect(jw.snapshot().rolledBack).toBe(1);
  });

  it("does not reuse blocks freed in the open transaction (the old file stays whole on disk until the commit)", () => {
    const { vol, jw } = setup(1 << 20, new Map([["f", new Uint8Array(3 * BLOCK_SIZE).fill(1)]]));
    const ino = vol.lookup("/f");
    const old = [0, 1, 2].map((i) => vol.blockOf(vol.readInode(ino), i));
    jw.run(() => void vol.writeFile("/f", new Uint8Array(3 * BLOCK_SIZE).fill(2)));
    const now = [0, 1, 2].map((i) => vol.blockOf(vol.readInode(ino), i));
    expect(now.filter((b) => old.includes(b))).toEqual([]);
    expect(jw.snapshot().last!.ordered).toEqual(expect.arrayContaining(now));
    // The next transaction may use them again.
    jw.run(() => void vol.writeFile("/g", new Uint8Array(BLOCK_SIZE).fill(3)));
    expect(old).toContain(vol.blockOf(vol.readInode(vol.lookup("/g")), 0));
  });

  it("refuses a volume without a journal; the cache holds dirty blocks past its capacity while holdDirty", () => {
    const img = new MemoryImage(buildImage({ size: 1 << 20, label: "N" }));
    const sb = Volume.open(img).sb;
    img.writeBlock(journalStartOf(sb), new Uint8Array(BLOCK_SIZE)); // an upstream-style image: no journal
    const cache = new BlockCache(new LogDriver(img), 2);
    expect(() => new JournalWriter(Volume.open(cache), cache)).toThrow(/not usable/);
    const drv = new LogDriver(MemoryImage.blank(16));
    const c = new BlockCache(drv, 2);
    c.holdDirty = true;
    for (let n = 0; n < 5; n++) c.writeBlock(n, new Uint8Array(BLOCK_SIZE).fill(n));
    expect(drv.ops).toEqual([]);
    expect(c.dirtyBlocks().size).toBe(5);
    c.discardDirty();
    expect(c.dirtyCount).toBe(0);
    expect(c.readBlock(3)[0]).toBe(0);
  });
});
