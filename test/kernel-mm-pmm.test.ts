// Physical memory: the buddy allocator (one source of truth, mirrored in the
// frame bitmap), reserve(), refcounts, zeroed pages, and slab caches.

import { describe, expect, it } from "vitest";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";
import { BuddyAllocator, MAX_ORDER } from "../viperdos/kernel/mm/buddy.js";
import { Pmm } from "../viperdos/kernel/mm/pmm.js";
import { SlabCache, slabStats } from "../viperdos/kernel/mm/slab.js";

const MiB = 1 << 20;

describe("BuddyAllocator", () => {
  it("starts with maximal aligned blocks covering every frame", () => {
    const b = new BuddyAllocator(1024 + 3); // 4 MiB + 3 pages: not a power of two
    expect(b.freeFrames).toBe(1027);
    expect(b.runsByOrder()[MAX_ORDER]).toBe(1);
    expect(b.runsByOrder()[1]).toBe(1);
    expect(b.runsByOrder()[0]).toBe(1);
    expect(b.check()).toBe("");
  });

  it("splits on allocation and merges buddies back on free", () => {
    const b = new BuddyAllocator(1024);
    const a = b.allocRun(0);
    const c = b.allocRun(3);
    expect(a % 1).toBe(0);
    expect(c % 8).toBe(0);
    expect(b.freeFrames).toBe(1024 - 1 - 8);
    expect(b.bitmap.test(a)).toBe(true);
    expect(b.check()).toBe("");
    b.unref(a);
    b.freeRun(c, 3);
    expect(b.freeFrames).toBe(1024);
    expect(b.runsByOrder()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(b.check()).toBe("");
  });

  it("fails cleanly when no run is large enough, and rejects bad orders", () => {
    const b = new BuddyAllocator(16);
    expect(b.allocRun(5)).toBe(-1);
    expect(b.allocRun(11)).toBe(-1);
    expect(b.allocRun(-1)).toBe(-1);
    expect(b.allocRun(4)).toBe(0);
    expect(b.allocRun(0)).toBe(-1);
    expect(b.counters.failures).toBe(2);
  });

  it("double free and freeing with the wrong order are loud kernel bugs", () => {
    const b = new BuddyAllocator(64);
    const r = b.allocRun(2);
    expect(() => b.freeRun(r, 1)).toThrow(/freeRun/);
    b.freeRun(r, 2);
    expect(() => b.freeRun(r, 2)).toThrow(/freeRun/);
  });

  it("reserve() splits the blocks around the range and never hands it out", () => {
    const b = new BuddyAllocator(1024);
    expect(b.reserve(5, 10)).toBe(10);
    expect(b.freeFrames).toBe(1014);
    expect(b.check()).toBe("");
    const got = new Set<number>();
    for (;;) {
      const f = b.allocRun(0);
      if (f < 0) break;
      got.add(f);
    }
    expect(got.size).toBe(1014);
    for (let i = 5; i < 15; i++) expect(got.has(i)).toBe(false);
  });

  it("refcounts: a shared frame is freed by its last sharer", () => {
    const b = new BuddyAllocator(8);
    const f = b.allocRun(0);
    b.ref(f);
    expect(b.refCount(f)).toBe(2);
    expect(b.unref(f)).toBe(1);
    expect(b.bitmap.test(f)).toBe(true);
    expect(b.unref(f)).toBe(0);
    expect(b.bitmap.test(f)).toBe(false);
    expect(() => b.ref(f)).toThrow(/ref/);
  });
});

describe("Pmm", () => {
  it("hands out zeroed pages in RAM and counts them", () => {
    const bus = new PhysicalBus(4 * MiB);
    const pmm = new Pmm(bus);
    const pa = pmm.alloc();
    expect(pa).toBeGreaterThanOrEqual(RAM_BASE);
    bus.fill(pa, 4096, 0xaa);
    pmm.free(pa);
    // Take everything: the dirtied page must come back zeroed.
    const pages: number[] = [];
    for (let p = pmm.alloc(); p >= 0; p = pmm.alloc()) pages.push(p);
    expect(pages).toContain(pa);
    expect(bus.readBytes(pa, 4096).every((x) => x === 0)).toBe(true);
    expect(pmm.stats()).toMatchObject({ totalPages: 1024, freePages: 0, usedPages: 1024 });
    expect(pmm.alloc()).toBe(-1);
    expect(pmm.snapshot().counters.failures).toBeGreaterThan(0);
  });

  it("reserve(pa, bytes) keeps the kernel's range out of circulation", () => {
    const bus = new PhysicalBus(4 * MiB);
    const pmm = new Pmm(bus);
    expect(pmm.reserve(RAM_BASE, 1 * MiB + 1)).toBe(257); // rounded out to pages
    expect(pmm.stats().reservedPages).toBe(257);
    for (let p = pmm.alloc(); p >= 0; p = pmm.alloc()) expect(p).toBeGreaterThanOrEqual(RAM_BASE + 257 * 4096);
    const snap = pmm.snapshot();
    expect(snap.map[0]).toEqual(["0x40000000", 257, "reserved"]);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it("allocRun returns aligned, zeroed runs", () => {
    const bus = new PhysicalBus(8 * MiB);
    const pmm = new Pmm(bus);
    pmm.alloc(); // disturb the alignment of the first free block
    const pa = pmm.allocRun(4);
    expect((pa - RAM_BASE) % (16 * 4096)).toBe(0);
    expect(pmm.stats().usedPages).toBe(17);
    pmm.freeRun(pa, 4);
    expect(pmm.stats().usedPages).toBe(1);
    expect(() => pmm.free(RAM_BASE + 0x123)).toThrow(/Pmm/);
  });
});

describe("SlabCache", () => {
  it("carves pages into objects, reuses freed ones zeroed, and reports stats", () => {
    const bus = new PhysicalBus(4 * MiB);
    const pmm = new Pmm(bus);
    const msg = new SlabCache(pmm, "msg-256", 256);
    const small = new SlabCache(pmm, "knode", 20); // rounded to 24
    expect(small.objectSize).toBe(24);
    const before = pmm.freePages;
    const objs = Array.from({ length: 17 }, () => msg.alloc());
    expect(pmm.freePages).toBe(before - 2); // 16 per page
    expect(new Set(objs).size).toBe(17);
    bus.fill(objs[3], 256, 0x55);
    msg.free(objs[3]);
    const again = msg.alloc();
    expect(again).toBe(objs[3]);
    expect(bus.readBytes(again, 256).every((x) => x === 0)).toBe(true);
    expect(() => msg.free(objs[0] + 8)).toThrow(/SlabCache.free/);
    const s = msg.stats();
    expect(s).toMatchObject({ name: "msg-256", objectsPerSlab: 16, slabs: 2, inUse: 17, allocs: 18, frees: 1 });
    expect(slabStats(pmm).map((x) => x.name)).toEqual(["msg-256", "knode"]);
    expect(msg.destroy()).toBe(-8); // still in use
    for (const o of objs) msg.free(o);
    expect(msg.destroy()).toBe(0);
    expect(pmm.freePages).toBe(before);
    expect(slabStats(pmm).map((x) => x.name)).toEqual(["knode"]);
  });

  it("returns -1 when RAM is exhausted", () => {
    const pmm = new Pmm(new PhysicalBus(64 * 1024)); // 16 pages
    const c = new SlabCache(pmm, "page", 4096);
    let n = 0;
    while (c.alloc() >= 0) n++;
    expect(n).toBe(16);
    expect(c.stats().failures).toBe(1);
    expect(() => new SlabCache(pmm, "page", 64)).toThrow(/already exists/);
  });
});
