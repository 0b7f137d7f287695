// The kernel's storage stack end to end: the virtio-blk driver (virtio-mmio
// init, descriptor chains in guest RAM), the LRU block cache, the VFS with
// assigns and per-process directories, and the file syscalls, exercised by
// fs.c on a machine with sys.img and user.img built by our mkfs. After the
// run, fsck of the disks (as the device holds them) is clean and the host
// tools see what the program wrote.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { fsck } from "../viperdos/fs/fsck.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { Volume } from "../viperdos/fs/volume.js";
import { BlockCache, type BlockDriver } from "../viperdos/kernel/fs/blockcache.js";
import { Vfs, O } from "../viperdos/kernel/fs/vfs.js";
import { E } from "../viperdos/kernel/errors.js";
import { VirtioBlkDriver } from "../viperdos/kernel/drivers/virtio-blk.js";
import { dispatchSyscall } from "../viperdos/kernel/syscall/dispatch.js";
import { SYS } from "../viperdos/kernel/syscall/table.js";

const text = (s: string) => new TextEncoder().encode(s);

function program(name: string): Uint8Array {
  const path = buildGuest({ name: `vd-${name}`, sources: [`viperdos/user/tests/${name}.c`], opt: "-O2", os: "viperdos" });
  return new Uint8Array(readFileSync(path));
}

function disks() {
  const sys = buildImage({ size: 2 << 20, label: "SYS", files: new Map([["vinit.sys", text("VSYS")]]) });
  const user = buildImage({
    size: 8 << 20,
    label: "USER",
    dirs: ["s", "t", "l", "certs"],
    files: new Map([["c/vd-hello.prg", program("hello")], ["s/startup", text("echo hi\n")]]),
  });
  return { sys, user };
}

/** A driver over a MemoryImage, counting calls, for cache tests. */
class FakeDriver implements BlockDriver {
  reads = 0;
  writes: number[] = [];
  flushes = 0;
  constructor(readonly img: MemoryImage) {}
  get blockCount() { return this.img.blockCount; }
  readBlock(n: number) { this.reads++; return this.img.readBlock(n); }
  writeBlock(n: number, d: Uint8Array) { this.writes.push(n); this.img.writeBlock(n, d); return 0; }
  flush() { this.flushes++; return 0; }
}

describe("block cache", () => {
  it("hits after the first read, evicts least recently used, writes back dirty blocks on eviction and flush", () => {
    const drv = new FakeDriver(MemoryImage.blank(16));
    const c = new BlockCache(drv, 2);
    c.readBlock(1);
    c.readBlock(1);
    expect(drv.reads).toBe(1);
    c.writeBlock(2, new Uint8Array(4096).fill(9));
    expect(drv.writes).toEqual([]); // write-back, not write-through
    c.readBlock(1); // 1 becomes most recent; 2 is the LRU
    c.readBlock(3); // evicts 2, writing it back
    expect(drv.writes).toEqual([2]);
    expect(drv.img.readBlock(2)[0]).toBe(9);
    expect(c.snapshot().lru).toEqual([1, 3]);
    c.writeBlock(3, new Uint8Array(4096).fill(4));
    c.flush();
    expect(drv.writes).toEqual([2, 3]);
    expect(drv.flushes).toBe(1);
    expect(c.dirtyCount).toBe(0);
  });

  it("never evicts a pinned block; out-of-range blocks throw FsError for the Volume layer", () => {
    const drv = new FakeDriver(MemoryImage.blank(16));
    const c = new BlockCache(drv, 1);
    c.pin(5);
    c.readBlock(6);
    c.readBlock(7);
    expect(c.snapshot().lru).toContain(5);
    c.unpin(5);
    c.readBlock(8);
    expect(c.snapshot().lru).toEqual([8]);
    expect(() => c.readBlock(16)).toThrow(/beyond the disk/);
    expect(() => c.writeBlock(0, new Uint8Array(10))).toThrow(/blocks are 4096/);
  });

  it("runs a ViperFS Volume: files written through the cache are on the image after flush", () => {
    const img = new MemoryImage(buildImage({ size: 1 << 20, label: "T" }));
    const c = new BlockCache(new FakeDriver(img), 8);
    const v = Volume.open(c);
    v.writeFile("/x", text("cached"));
    v.sync();
    c.flush();
    expect(fsck(img.bytes).clean).toBe(true);
    expect(new TextDecoder().decode(Volume.open(img).readData(Volume.open(img).lookup("/x")))).toBe("cached");
  });
});

describe("virtio-blk driver", () => {
  it("negotiates, reads and writes 4 KiB blocks through the virtqueue, and rejects bad blocks with -500", () => {
    const { sys } = disks();
    const k = new Kernel({ cpus: 1, disks: { sys } });
    k.boot();
    expect(k.disks.sys!.snapshot().writes).toBe(0); // mounting writes nothing
    const drv = k.blockDrivers.sys!;
    expect(drv).toBeInstanceOf(VirtioBlkDriver);
    expect(drv.blockCount).toBe(512);
    const b0 = drv.readBlock(0);
    expect(b0).toBeInstanceOf(Uint8Array);
    expect((b0 as Uint8Array).subarray(0, 4)).toEqual(sys.subarray(0, 4)); // "VPFS" magic
    expect(drv.writeBlock(300, new Uint8Array(4096).fill(0x5a))).toBe(0);
    expect(drv.flush()).toBe(0);
    expect(k.disks.sys!.currentImage()[300 * 4096]).toBe(0x5a);
    expect(sys[300 * 4096]).toBe(0); // the original image is untouched
    expect(drv.readBlock(512)).toBe(E.IO);
    expect(drv.writeBlock(1, new Uint8Array(3))).toBe(E.INVALID_ARG);
    const snap = drv.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap).toMatchObject({ writes: 1, flushes: 1, errors: 1 });
    expect(k.disks.sys!.snapshot().reads).toBeGreaterThan(0);
  });

  it("boots with disks: mounts SYS:, D0:, D1: and C: S: L: T: CERTS:; without disks the VFS is empty", () => {
    const out: number[] = [];
    const k = new Kernel({ cpus: 1, disks: disks(), onConsole: (b) => out.push(...b) });
    k.boot();
    const log = Buffer.from(out).toString();
    expect(log).toMatch(/ViperFS "SYS" mounted as SYS: D0:/);
    expect(log).toMatch(/ViperFS "USER" mounted as D1: C: S: L: T: CERTS:/);
    const snap = k.vfs.snapshot();
    expect(snap.assigns.map((a) => a.name)).toEqual(["C", "CERTS", "D0", "D1", "L", "S", "SYS", "T"]);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    const bare = new Kernel({ cpus: 1 });
    bare.boot();
    expect(bare.vfs.mounts.size).toBe(0);
  });

  it("a disk that is not ViperFS is left unmounted", () => {
    const out: number[] = [];
    const k = new Kernel({ cpus: 1, disks: { user: new Uint8Array(1 << 20) }, onConsole: (b) => out.push(...b) });
    k.boot();
    expect(Buffer.from(out).toString()).toMatch(/no ViperFS volume mounted \(error -508\)/);
    expect(k.vfs.mounts.size).toBe(0);
  });
});

describe("VFS paths", () => {
  it("resolves assigns case-insensitively, '..' and '.', and reports unknown assigns", () => {
    const k = new Kernel({ cpus: 1, disks: disks() });
    k.boot();
    const v: Vfs = k.vfs;
    const loc = v.resolve(undefined, "c:x/../vd-hello.prg");
    expect(typeof loc === "number" ? loc : v.display(loc)).toBe("D1:c/vd-hello.prg");
    expect(v.resolve(undefined, "NOPE:x")).toBe(E.NO_ASSIGN);
    expect(v.resolve(undefined, "relative")).toBe(E.NOT_FOUND);
    const sysRoot = v.resolve(undefined, "SYS:..");
    expect(typeof sysRoot === "number" ? sysRoot : sysRoot.path).toBe("/");
    expect(v.open(v.resolve(undefined, "T:") as never, O.WRONLY)).toBe(E.IS_DIR);
  });
});

describe("fs.c on a machine with both disks", () => {
  it("passes every check; fsck is clean afterwards and the host sees the files", () => {
    const out: number[] = [];
    const r = runProgram("fs", program("fs"), { cpus: 2, disks: disks(), onConsole: (b) => out.push(...b), limitNs: 20e9 });
    const textOut = Buffer.from(out).toString();
    expect(textOut).not.toContain("FAIL");
    expect(textOut).toContain("hello from ViperDOS, argc=");
    expect(textOut).toContain("fs: ok");
    expect(r.exitCode).toBe(0);
    const user = r.kernel.disks.user!.currentImage();
    const sys = r.kernel.disks.sys!.currentImage();
    const ru = fsck(user);
    expect(ru.problems).toEqual([]);
    expect(ru.clean).toBe(true);
    expect(fsck(sys).clean).toBe(true);
    const vol = Volume.open(new MemoryImage(user));
    expect(new TextDecoder().decode(vol.readData(vol.lookup("/t/keep.txt")))).toBe("kept by fs.c\n");
    expect(new TextDecoder().decode(vol.readData(vol.lookup("/made/moved.txt")))).toBe("moved");
    expect(vol.list("/t").map((e) => e.name).sort()).toEqual([".", "..", "keep.txt"]);
    // Every descriptor was closed at exit.
    expect(r.kernel.vfs.snapshot().processes).toEqual([]);
  });

  it("is deterministic: two runs leave the same disks and the same trace", () => {
    const run = () => runProgram("fs", program("fs"), { cpus: 2, disks: disks(), limitNs: 20e9 });
    const a = run();
    const b = run();
    expect(a.kernel.trace.hash()).toBe(b.kernel.trace.hash());
    expect(Buffer.from(a.kernel.disks.user!.currentImage()).equals(Buffer.from(b.kernel.disks.user!.currentImage()))).toBe(true);
  });

  it("file syscalls with random arguments never throw", () => {
    const k = new Kernel({ cpus: 1, disks: disks() });
    k.boot();
    const p = k.spawn("fs", program("fs"), "");
    if (typeof p === "number") throw new Error(`spawn ${p}`);
    const nums = [SYS.OPEN, SYS.CLOSE, SYS.READ, SYS.WRITE, SYS.LSEEK, SYS.STAT, SYS.FSTAT, SYS.DUP, SYS.DUP2, SYS.FSYNC,
      SYS.READDIR, SYS.MKDIR, SYS.RMDIR, SYS.UNLINK, SYS.RENAME, SYS.SYMLINK, SYS.READLINK, SYS.GETCWD, SYS.CHDIR, SYS.FS_OPEN_ROOT, SYS.FS_OPEN,
      SYS.IO_READ, SYS.IO_WRITE, SYS.IO_SEEK, SYS.FS_READ_DIR, SYS.FS_CLOSE, SYS.FS_REWIND_DIR,
      SYS.ASSIGN_SET, SYS.ASSIGN_GET, SYS.ASSIGN_REMOVE, SYS.ASSIGN_LIST, SYS.ASSIGN_RESOLVE];
    const vals = [0n, 1n, 3n, 4n, 0x8000_0000n, 0x7fff_fffe_fff0n, 0xffff_ffff_ffff_ffffn, 0x1000n, 64n, 2n ** 40n];
    let seed = 7;
    const pick = () => vals[(seed = (seed * 1103515245 + 12345) & 0x7fffffff) % vals.length];
    for (let i = 0; i < 3000; i++) {
      const num = nums[i % nums.length];
      const out = dispatchSyscall(k, p.mainTask, num, [pick(), pick(), pick(), pick(), 0n, 0n]);
      expect(typeof out === "string" || out.s <= 0).toBe(true);
    }
    expect(fsck(k.disks.user!.currentImage()).clean).toBe(true);
  });
});
