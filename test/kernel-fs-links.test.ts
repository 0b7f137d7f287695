// Symbolic links end to end (vd-fs-links.c on a machine with both disks)
// and interrupt-driven disk reads: the program's first READs of a file the
// host put on the image miss the block cache, so the task blocks and the
// virtio-blk used-ring interrupt (through the GIC) completes them. Plus
// host-side checks of the link format (fast/slow), fsck, mkfs --from with
// host symlinks and the fs tool.

import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { buildImage, readHostTree } from "../viperdos/fs/mkfs.js";
import { fsck } from "../viperdos/fs/fsck.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { Volume } from "../viperdos/fs/volume.js";
import { fsLn, fsLs, fsReadlink } from "../viperdos/fs/tool.js";
import { BLOCK_SIZE, INODE_SIZE, INODES_PER_BLOCK, MODE } from "../viperdos/fs/format.js";
import { TraceKind } from "../viperdos/kernel/inspect/trace.js";

const text = (s: string) => new TextEncoder().encode(s);

function program(name: string): Uint8Array {
  const path = buildGuest({ name, sources: [`viperdos/user/tests/${name}.c`], opt: "-O2", os: "viperdos" });
  return new Uint8Array(readFileSync(path));
}

function disks() {
  const data = Uint8Array.from({ length: 65536 }, (_, i) => (i * 7 + 3) & 0xff);
  const sys = buildImage({ size: 2 << 20, label: "SYS", files: new Map([["vinit.sys", text("VSYS")]]) });
  const user = buildImage({
    size: 8 << 20, label: "USER", dirs: ["s", "t", "l", "certs"],
    files: new Map([["c/vd-hello.prg", text("not really a program")], ["s/startup", text("echo hi\n")], ["t/data.bin", data]]),
  });
  return { sys, user };
}

describe("symbolic links and interrupt-driven reads in the kernel", () => {
  it("vd-fs-links.c passes; cold READs blocked on the disk interrupt; fsck is clean with the links", () => {
    const out: number[] = [];
    const r = runProgram("vd-fs-links", program("vd-fs-links"), { cpus: 2, disks: disks(), onConsole: (b) => out.push(...b), limitNs: 20e9 });
    const log = Buffer.from(out).toString();
    expect(log).not.toContain("FAIL");
    expect(log).toContain("vd-fs-links: ok");
    expect(r.exitCode).toBe(0);
    const drv = r.kernel.blockDrivers.user!.snapshot();
    // 16 data blocks of data.bin (and more) came by interrupt, not by the synchronous path.
    expect(drv.asyncReads).toBeGreaterThanOrEqual(16);
    expect(drv.irqCompletions).toBeGreaterThanOrEqual(16);
    expect(drv.interrupts).toBeGreaterThan(0);
    expect(drv.inFlight).toBe(0);
    const user = r.kernel.vfs.snapshot().mounts.find((m) => m.name === "D1")!;
    expect(user.cache.asyncLoads).toBeGreaterThanOrEqual(16);
    // The disk's interrupt was taken through the GIC (an Irq trace event for its INTID), not only polled.
    expect(r.kernel.trace.events().some((e) => e.kind === TraceKind[TraceKind.Irq] && e.a === drv.intid)).toBe(true);
    const img = r.kernel.disks.user!.currentImage();
    const rep = fsck(img);
    expect(rep.problems).toEqual([]);
    expect(rep.stats.links).toBeGreaterThanOrEqual(10);
    const vol = Volume.open(new MemoryImage(img));
    expect(vol.readLink(vol.lookup("/t/sdir"))).toBe("/s");
    expect(vol.readLink(vol.lookup("/t/long"))).toBe("/t/" + "x".repeat(196));
    expect(new TextDecoder().decode(vol.readData(vol.lookup("/t/made-by-link")))).toBe("via link");
  }, 60_000);
});

describe("symlink format, fsck and tools", () => {
  it("a short target lives in the inode (blocks 0), a long one in one block; fsck catches a damaged link", () => {
    const img = new MemoryImage(buildImage({ size: 1 << 20, label: "L", links: new Map([["a/fast", "C:x.prg"], ["slow", "y".repeat(500)]]) }));
    const vol = Volume.open(img);
    const fast = vol.readInode(vol.lookup("/a/fast"));
    expect(fast.mode & MODE.TYPE_MASK).toBe(MODE.LINK);
    expect(fast.blocks).toBe(0);
    expect(fast.size).toBe(7);
    const slow = vol.readInode(vol.lookup("/slow"));
    expect(slow.blocks).toBe(1);
    expect(vol.readLink(vol.lookup("/slow"))).toBe("y".repeat(500));
    expect(fsck(img.bytes).problems).toEqual([]);
    // The target's bytes sit at inode offset 56 (the pointer area).
    const ino = vol.lookup("/a/fast");
    const at = (vol.sb.inodeTableStart + Math.floor(ino / INODES_PER_BLOCK)) * BLOCK_SIZE + (ino % INODES_PER_BLOCK) * INODE_SIZE;
    expect(new TextDecoder().decode(img.bytes.subarray(at + 56, at + 63))).toBe("C:x.prg");
    // Damage: a fast link claiming 500 bytes.
    const bad = img.bytes.slice();
    new DataView(bad.buffer).setBigUint64(at + 16, 500n, true);
    expect(fsck(bad).problems.join("\n")).toMatch(/symlink inode \d+ .*500 bytes|fast symlink/);
    // Removing a link frees nothing but its inode.
    const free = vol.sb.freeBlocks;
    vol.remove("/slow");
    expect(vol.sb.freeBlocks).toBe(free + 1);
  });

  it("mkfs --from keeps host symlinks; fs ln/readlink/ls show them", () => {
    const dir = mkdtempSync(join(tmpdir(), "vd-links-"));
    mkdirSync(join(dir, "c"));
    writeFileSync(join(dir, "c", "tool.prg"), "T");
    symlinkSync("tool.prg", join(dir, "c", "t"));
    const tree = readHostTree(dir);
    expect(tree.links.get("c/t")).toBe("tool.prg");
    const img = new MemoryImage(buildImage({ size: 1 << 20, files: tree.files, dirs: tree.dirs, links: tree.links }));
    fsLn(img, "s/boot", "C:tool.prg");
    expect(fsReadlink(img, "s/boot")).toBe("C:tool.prg");
    expect(fsLs(img, "c").join("\n")).toMatch(/^l +8 +\d+ t -> tool\.prg$/m);
    expect(() => fsLn(img, "s/boot", "again")).toThrow(/already exists/);
    expect(() => fsLn(img, "s/empty", "")).toThrow(/1\.\.1023 bytes/);
    expect(fsck(img.bytes).problems).toEqual([]);
  });
});
