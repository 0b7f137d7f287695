import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BLOCK_SIZE, computeLayout, decodeSuperblock, FsError, SUPERBLOCK_CHECKSUM_OFFSET, superblockCrc, VIPERFS_MAGIC } from "../viperdos/fs/format.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { buildImage, formatImage } from "../viperdos/fs/mkfs.js";
import { fsck } from "../viperdos/fs/fsck.js";
import { Volume } from "../viperdos/fs/volume.js";
import { commitTransaction, readJournal } from "../viperdos/fs/journal.js";
import { fsCat, fsLs, fsMkdir, fsPut, fsRm } from "../viperdos/fs/tool.js";
import { Rng } from "../emulator/rng.js";
import { fsCommand, fsckCommand, mkfsCommand } from "../bin/fs-commands.js";

const text = (s: string) => new TextEncoder().encode(s);
const MiB = 1024 * 1024;

function sample(): Uint8Array {
  const files = new Map<string, Uint8Array>([
    ["vinit.sys", new Uint8Array(70000).map((_, i) => i & 0xff)],
    ["c/hello.prg", text("hello")],
    ["certs/roots.der", new Uint8Array(3000).fill(3)],
  ]);
  return buildImage({ size: 2 * MiB, label: "SYS", files, dirs: ["s", "t"] });
}

function problemsOf(bytes: Uint8Array): string[] {
  return fsck(bytes).problems;
}

describe("ViperFS format and mkfs", () => {
  it("sizes the layout like upstream mkfs and stores a CRC at offset 168 and a backup", () => {
    const l = computeLayout(512);
    expect(l).toMatchObject({ bitmapStart: 1, bitmapBlocks: 1, inodeTableStart: 2, inodeTableBlocks: 9, inodeCount: 144, dataStart: 11, journalStart: 495, backupBlock: 511 });
    expect(computeLayout(2048).inodeTableBlocks).toBe(33);
    const img = sample();
    expect(img.length).toBe(2 * MiB);
    const sb = decodeSuperblock(img.subarray(0, BLOCK_SIZE));
    expect(sb).toMatchObject({ magic: VIPERFS_MAGIC, version: 1, blockSize: 4096, totalBlocks: 512, rootInode: 2, label: "SYS" });
    const stored = new DataView(img.buffer).getUint32(SUPERBLOCK_CHECKSUM_OFFSET, true);
    expect(stored).toBe(superblockCrc(img.subarray(0, BLOCK_SIZE)));
    expect(stored).not.toBe(0);
    expect(img.subarray(511 * BLOCK_SIZE)).toEqual(img.subarray(0, BLOCK_SIZE));
    expect(buildImage({ size: 2 * MiB })).toEqual(buildImage({ size: 2 * MiB })); // reproducible
    expect(() => buildImage({ size: 40 * 1024 })).toThrow(FsError);
  });

  it("builds images fsck accepts, with contents readable back", () => {
    const img = sample();
    const r = fsck(img);
    expect(r.problems).toEqual([]);
    expect(r.stats).toMatchObject({ files: 3, directories: 5, journal: "clean" });
    const m = new MemoryImage(img);
    expect(fsLs(m, "/")).toEqual([
      expect.stringMatching(/^d .* c$/), expect.stringMatching(/^d .* certs$/), expect.stringMatching(/^d .* s$/),
      expect.stringMatching(/^d .* t$/), expect.stringMatching(/^- +70000 +\d+ vinit\.sys$/),
    ]);
    expect(new TextDecoder().decode(fsCat(m, "c/hello.prg"))).toBe("hello");
    expect(fsCat(m, "/vinit.sys")[69999]).toBe(69999 & 0xff);
  });

  it("stores large files through single and double indirect blocks", () => {
    const big = new Uint8Array((12 + 512 + 3) * BLOCK_SIZE + 5).map((_, i) => (i * 7) & 0xff);
    const img = buildImage({ size: 8 * MiB, files: new Map([["big.bin", big]]) });
    expect(problemsOf(img)).toEqual([]);
    const vol = Volume.open(new MemoryImage(img));
    const ino = vol.lookup("big.bin");
    const inode = vol.readInode(ino);
    expect(inode.indirect).not.toBe(0);
    expect(inode.doubleIndirect).not.toBe(0);
    expect(vol.readData(ino)).toEqual(big);
  });
});

describe("fs put/rm/mkdir", () => {
  it("keeps fsck clean, fills directories past one block and gives space back", () => {
    const m = new MemoryImage(sample());
    const free0 = decodeSuperblock(m.readBlock(0)).freeBlocks;
    for (let i = 0; i < 100; i++) fsPut(m, `t/a-rather-long-file-name-number-${i}.txt`, text(`n${i}`));
    fsMkdir(m, "s/deep/er");
    fsPut(m, "s/deep/er/x", new Uint8Array(60000));
    fsPut(m, "c/hello.prg", text("replaced"));
    expect(problemsOf(m.bytes)).toEqual([]);
    expect(new TextDecoder().decode(fsCat(m, "t/a-rather-long-file-name-number-99.txt"))).toBe("n99");
    expect(Volume.open(m).readInode(Volume.open(m).lookup("t")).size).toBeGreaterThan(BLOCK_SIZE);
    expect(() => fsRm(m, "s/deep")).toThrow(/not empty/);
    fsRm(m, "s/deep/er/x");
    fsRm(m, "s/deep/er");
    fsRm(m, "s/deep");
    for (let i = 0; i < 100; i++) fsRm(m, `t/a-rather-long-file-name-number-${i}.txt`);
    expect(problemsOf(m.bytes)).toEqual([]);
    expect(decodeSuperblock(m.readBlock(0)).freeBlocks).toBe(free0 - 1); // t/ keeps its second block
    expect(() => fsCat(m, "nope")).toThrow(FsError);
    expect(() => fsPut(m, "x".repeat(300), text("a"))).toThrow(/1\.\.255/);
    expect(() => fsRm(m, "/")).toThrow(FsError);
  });
});

/** Patch helpers over a sample image. */
function corrupt(edit: (img: Uint8Array, vol: Volume) => void): string[] {
  const img = sample();
  const vol = Volume.open(new MemoryImage(img.slice()));
  edit(img, vol);
  return problemsOf(img);
}

describe("fsck finds damage", () => {
  it("reports wrong magic, bad CRC, bad backup and truncation", () => {
    expect(corrupt((img) => { img[0] ^= 1; }).join("\n")).toMatch(/bad magic[\s\S]*using the backup/);
    expect(corrupt((img) => { img[200] = 1; }).join("\n")).toMatch(/CRC-32/);
    expect(corrupt((img) => { img[511 * BLOCK_SIZE + 16] ^= 4; }).join("\n")).toMatch(/backup superblock/);
    expect(problemsOf(sample().slice(0, 100 * BLOCK_SIZE)).join("\n")).toMatch(/does not fit the image/);
    expect(problemsOf(new Uint8Array(1000))[0]).toMatch(/too small/);
  });

  it("reports bitmap, pointer, double use, cycles, names and link counts", () => {
    const inodeOff = (vol: Volume, ino: number) => (vol.sb.inodeTableStart + Math.floor(ino / 16)) * BLOCK_SIZE + (ino % 16) * 256;
    const rootBlock = (vol: Volume) => vol.readInode(2).direct[0] * BLOCK_SIZE;
    const dv = (img: Uint8Array) => new DataView(img.buffer);
    expect(corrupt((img, vol) => { img[vol.sb.bitmapStart * BLOCK_SIZE + 1] = 0; }).join("\n")).toMatch(/in use but marked free/);
    expect(corrupt((img, vol) => { dv(img).setBigUint64(inodeOff(vol, vol.lookup("vinit.sys")) + 56, 99999n, true); }).join("\n")).toMatch(/outside the data area/);
    expect(corrupt((img, vol) => {
      const a = vol.readInode(vol.lookup("vinit.sys")).direct[0];
      dv(img).setBigUint64(inodeOff(vol, vol.lookup("c/hello.prg")) + 56, BigInt(a), true);
    }).join("\n")).toMatch(/used twice/);
    // t/'s ".." entry and an entry in t/ pointing back at the root: a cycle.
    expect(corrupt((img, vol) => {
      const t = vol.readInode(vol.lookup("t")).direct[0] * BLOCK_SIZE;
      dv(img).setBigUint64(t + 16, 2n, true); // ".." -> root is fine; make "." -> root instead
      dv(img).setBigUint64(t, 2n, true);
    }).join("\n")).toMatch(/first entry should be "\."/);
    expect(corrupt((img, vol) => {
      const ino = vol.lookup("s");
      const t = vol.readInode(ino).direct[0] * BLOCK_SIZE;
      // Turn s/'s ".." record into a name "up" pointing at the root dir: reached twice.
      dv(img).setUint16(t + 16 + 8, 16, true);
      const e = t + 32;
      dv(img).setBigUint64(e, 2n, true); dv(img).setUint16(e + 8, BLOCK_SIZE - 32, true); img[e + 10] = 2; img[e + 11] = 2; img[e + 12] = 117; img[e + 13] = 112;
    }).join("\n")).toMatch(/reached twice/);
    expect(corrupt((img, vol) => { img[rootBlock(vol) + 16 + 10] = 200; }).join("\n")).toMatch(/name length 200|second entry/);
    expect(corrupt((img, vol) => { dv(img).setUint16(rootBlock(vol) + 8, 6, true); }).join("\n")).toMatch(/bad rec_len 6/);
    expect(corrupt((img, vol) => { dv(img).setUint32(inodeOff(vol, vol.lookup("c/hello.prg")) + 188, 3, true); }).join("\n")).toMatch(/link count 3/);
    expect(corrupt((img, vol) => { dv(img).setUint32(inodeOff(vol, 100) + 8, 0x8000, true); }).join("\n")).toMatch(/inode 100 is in use .* no directory names it/);
  });

  it("reports journal states and checks the replayed view", () => {
    const m = new MemoryImage(sample());
    const vol = Volume.open(m);
    expect(readJournal(m, vol.sb).kind).toBe("clean");
    const target = vol.readInode(vol.lookup("c/hello.prg")).direct[0];
    const data = new Uint8Array(BLOCK_SIZE);
    data.set(text("journaled"));
    commitTransaction(m, vol.sb, new Map([[target, data]]));
    expect(readJournal(m, vol.sb).kind).toBe("committed");
    const r = fsck(m.bytes);
    expect(r.problems).toEqual([expect.stringMatching(/1 committed transaction\(s\) not replayed/)]);
    // Mounting replays it.
    expect(Volume.open(m).replayed).toBe(1);
    expect(new TextDecoder().decode(fsCat(m, "c/hello.prg"))).toBe("journ");
    expect(problemsOf(m.bytes)).toEqual([]);
    // Garbage header.
    const js = readJournal(m, vol.sb).start;
    m.bytes[js * BLOCK_SIZE] ^= 0xff;
    expect(problemsOf(m.bytes).join("\n")).toMatch(/journal: .*not JRNL/);
  });

  it("survives random byte flips: fsck and ls give reports or FsErrors, never host exceptions (seeded)", () => {
    const base = sample();
    const rng = new Rng(42);
    let reported = 0;
    for (let round = 0; round < 60; round++) {
      const img = base.slice();
      const flips = 1 + rng.nextInt(40);
      for (let i = 0; i < flips; i++) {
        // Bias flips to the metadata and the first data blocks where they matter.
        const at = rng.nextInt(2) ? rng.nextInt(40 * BLOCK_SIZE) : rng.nextInt(img.length);
        img[at] ^= 1 << rng.nextInt(8);
      }
      const r = fsck(img);
      expect(r.problems.every((p) => !p.startsWith("fsck stopped"))).toBe(true);
      if (!r.clean) reported++;
      for (const path of ["/", "c", "certs/roots.der"]) {
        try {
          fsLs(new MemoryImage(img.slice()), path);
          fsCat(new MemoryImage(img.slice()), "vinit.sys");
        } catch (e) {
          expect(e).toBeInstanceOf(FsError);
        }
      }
    }
    expect(reported).toBeGreaterThan(20);
  });
});

describe("viperdos mkfs / fsck / fs commands", () => {
  it("make, check, list, put, cat and remove through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "vfs-"));
    const src = join(dir, "src");
    mkdirSync(join(src, "c"), { recursive: true });
    writeFileSync(join(src, "c", "hello.prg"), "hi there");
    const img = join(dir, "user.img");
    expect(mkfsCommand.run([img, "--size", "8M", "--label", "USER", "--from", src])).toBe(0);
    expect(readFileSync(img).length).toBe(8 * MiB);
    expect(fsckCommand.run([img])).toBe(0);
    writeFileSync(join(dir, "new.txt"), "new file");
    expect(fsCommand.run(["put", img, "s/startup", join(dir, "new.txt")])).toBe(0);
    expect(fsCommand.run(["ls", img, "s"])).toBe(0);
    expect(fsCommand.run(["rm", img, "c/hello.prg"])).toBe(0);
    expect(fsCommand.run(["cat", img, "c/hello.prg"])).toBe(1);
    expect(fsckCommand.run([img])).toBe(0);
    const bytes = new Uint8Array(readFileSync(img));
    expect(new TextDecoder().decode(fsCat(new MemoryImage(bytes), "s/startup"))).toBe("new file");
    bytes[0] ^= 0xff;
    bytes[(8 * MiB) - BLOCK_SIZE] ^= 0xff;
    writeFileSync(img, bytes);
    expect(fsckCommand.run([img])).toBe(1);
    expect(fsCommand.run(["ls", img])).toBe(1);
    expect(mkfsCommand.run([img])).toBe(2);
    expect(fsCommand.run(["frob", img])).toBe(2);
  });
});

it("formatImage alone is a clean empty volume", () => {
  expect(problemsOf(formatImage({ size: 2 * MiB }).bytes)).toEqual([]);
});
