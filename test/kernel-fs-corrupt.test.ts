// Corrupt user disks in the kernel (issue 5): bit flips (in the metadata and
// anywhere), truncation, wrong magic, bad CRC, out-of-range and cross-linked
// block pointers, directory cycles, oversized names and bad records, wild
// inode fields, a garbage journal. For each damaged user.img the kernel
// either refuses the mount with a reason on the boot log or mounts it and
// answers every call with a result or an error code; the kernel never
// throws, and the system disk beside it keeps working (vd-fs-corrupt.c
// writes and reads SYS: and must pass; fsck of sys.img stays clean).
//
// Budget: VD_FS_FUZZ_GUEST images through a booted kernel and the guest
// workload (default 24) and VD_FS_FUZZ_HOST images through the VFS on the
// host with the same kind of workload (default 300). Seeded: the same
// images every run.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { fsck } from "../viperdos/fs/fsck.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { Volume } from "../viperdos/fs/volume.js";
import { BLOCK_SIZE, INODE_SIZE, INODES_PER_BLOCK, journalStartOf, ROOT_INODE } from "../viperdos/fs/format.js";
import { BlockCache, type BlockDriver } from "../viperdos/kernel/fs/blockcache.js";
import { O, SEEK, Vfs, type Location, type Mount, type OpenFile } from "../viperdos/kernel/fs/vfs.js";

const GUEST_IMAGES = Number(process.env.VD_FS_FUZZ_GUEST ?? 24);
const HOST_IMAGES = Number(process.env.VD_FS_FUZZ_HOST ?? 300);
const text = (s: string) => new TextEncoder().encode(s);

function baseUser(): Uint8Array {
  return buildImage({
    size: 1 << 20, label: "USER", dirs: ["s", "t/deep/er", "l", "certs"],
    files: new Map([
      ["c/a.prg", Uint8Array.from({ length: 9000 }, (_, i) => i & 0xff)],
      ["c/big.prg", Uint8Array.from({ length: 80 * 1024 }, (_, i) => (i * 3) & 0xff)], // uses the indirect block
      ["s/startup", text("echo hi\n")],
      ["t/deep/er/x.txt", text("deep")],
      ["certs/roots.der", new Uint8Array(700).fill(7)],
    ]),
    links: new Map([["t/link", "/c/a.prg"]]),
  });
}

/** Seeded generator (LCG), [0, n). */
function rng(seed: number): (n: number) => number {
  let r = seed >>> 0 || 1;
  return (n) => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) >>> 8) % n;
}

interface Damage { kind: string; image: Uint8Array }

/** One damaged copy of `base`, kind chosen by `seed`. */
function corrupt(base: Uint8Array, seed: number): Damage {
  const next = rng(seed * 7919 + 17);
  const img = base.slice();
  const v = new DataView(img.buffer);
  const vol = Volume.open(new MemoryImage(base.slice()));
  const sb = vol.sb;
  const inodeAt = (ino: number) => (sb.inodeTableStart + Math.floor(ino / INODES_PER_BLOCK)) * BLOCK_SIZE + (ino % INODES_PER_BLOCK) * INODE_SIZE;
  const inodes = ["/t", "/c", "/c/a.prg", "/c/big.prg", "/t/deep", "/t/deep/er", "/s/startup", "/t/link"].map((p) => vol.lookup(p));
  const someInode = () => inodes[next(inodes.length)];
  const dirBlock = (p: string) => vol.readInode(vol.lookup(p)).direct[0] * BLOCK_SIZE;
  const kinds = [
    "flip-meta", "flip-any", "truncate", "magic", "crc", "pointer", "cross-link", "cycle", "name", "reclen", "inode-fields", "journal",
  ];
  const kind = kinds[seed % kinds.length];
  switch (kind) {
    case "flip-meta": {
      const end = (sb.dataStart + 4) * BLOCK_SIZE;
      for (let i = 1 + next(24); i > 0; i--) img[next(end)] ^= 1 << next(8);
      break;
    }
    case "flip-any":
      for (let i = 1 + next(64); i > 0; i--) img[next(img.length)] ^= 1 << next(8);
      break;
    case "truncate":
      return { kind, image: img.slice(0, next(img.length)) };
    case "magic":
      v.setUint32(0, next(0xffffffff), true);
      if (next(2)) v.setUint32((sb.totalBlocks - 1) * BLOCK_SIZE, 0x12345678, true);
      break;
    case "crc": // a changed field without a new CRC: the primary is bad; sometimes the backup too
      v.setUint32(24, v.getUint32(24, true) + 1 + next(100), true);
      if (next(2)) img[(sb.totalBlocks - 1) * BLOCK_SIZE + 30] ^= 0x40;
      break;
    case "pointer": {
      const at = inodeAt(someInode());
      const field = [56 + 8 * next(12), 152, 160][next(3)];
      const values = [BigInt(sb.totalBlocks + next(1000)), 2n ** 63n + BigInt(next(1000)), 1n, BigInt(sb.inodeTableStart), BigInt(journalStartOf(sb) + 1), BigInt(sb.totalBlocks - 1)];
      v.setBigUint64(at + field, values[next(values.length)], true);
      break;
    }
    case "cross-link": { // two files share a block; or a file's block is the root directory's
      const a = inodeAt(vol.lookup("/c/a.prg"));
      const other = next(2) ? vol.readInode(vol.lookup("/c/big.prg")).direct[0] : vol.readInode(ROOT_INODE).direct[0];
      v.setBigUint64(a + 56, BigInt(other), true);
      break;
    }
    case "cycle": { // a directory entry naming an ancestor (or itself) as a subdirectory
      const at = dirBlock(["/t/deep/er", "/t/deep", "/t"][next(3)]);
      const target = [ROOT_INODE, vol.lookup("/t"), vol.lookup("/t/deep")][next(3)];
      // Rewrite "." or ".." or the first real entry's inode.
      const entry = next(2) ? at : at + 16;
      v.setBigUint64(entry, BigInt(target), true);
      if (next(2)) {
        // And make "t" in the root name the root itself.
        const root = dirBlock("/");
        for (let off = 0; off < BLOCK_SIZE; ) {
          const len = v.getUint16(root + off + 8, true);
          if (img[root + off + 10] === 1 && img[root + off + 12] === 0x74) v.setBigUint64(root + off, BigInt(ROOT_INODE), true);
          if (len < 12) break;
          off += len;
        }
      }
      break;
    }
    case "name": { // name_len larger than the record
      const at = dirBlock(["/", "/t", "/c"][next(3)]);
      img[at + 16 + 10] = 200 + next(56);
      break;
    }
    case "reclen": {
      const at = dirBlock(["/", "/t", "/c"][next(3)]);
      v.setUint16(at + [0, 16][next(2)] + 8, [0, 4, 13, 8000, 4088][next(5)], true);
      break;
    }
    case "inode-fields": {
      const at = inodeAt(someInode());
      const f = next(4);
      if (f === 0) v.setBigUint64(at + 16, [2n ** 50n, 2n ** 64n - 1n, 4096n * 600n][next(3)], true); // size
      else if (f === 1) v.setUint32(at + 8, [0, 0x1000, 0xffffffff, 0xa000][next(4)], true); // mode
      else if (f === 2) v.setUint32(at + 188, 0, true); // links
      else v.setBigUint64(at + 168, 5n, true); // triple indirect
      break;
    }
    case "journal": { // a garbage header, or a committed transaction aimed at the superblock / beyond the disk
      const j = journalStartOf(sb) * BLOCK_SIZE;
      if (next(2)) for (let i = 0; i < 64; i++) img[j + next(64)] = next(256);
      else {
        v.setUint32(j, 0x4a524e4c, true); v.setUint32(j + 4, 1, true);
        v.setBigUint64(j + 16, BigInt(journalStartOf(sb) + 1), true); v.setBigUint64(j + 24, 15n, true);
        v.setBigUint64(j + 32, 0n, true); v.setBigUint64(j + 40, 3n, true); // head 0, tail 3: one transaction
        const d = j + BLOCK_SIZE;
        v.setUint32(d, 0x4a524e4c, true); img[d + 4] = 2; img[d + 5] = 1; v.setBigUint64(d + 8, v.getBigUint64(j + 8, true), true);
        v.setBigUint64(d + 24, [0n, BigInt(sb.totalBlocks + 5), 1n][next(3)], true); // target block
        v.setUint32(d + 32, 0, true); // crc of the logged block (zeros): wrong on purpose half the time
        const c = d + 2 * BLOCK_SIZE;
        v.setUint32(c, 0x4a524e4c, true); v.setBigUint64(c + 8, v.getBigUint64(j + 8, true), true);
      }
      break;
    }
  }
  return { kind, image: img };
}

class MemDriver implements BlockDriver {
  constructor(readonly img: MemoryImage) {}
  get blockCount() { return this.img.blockCount; }
  readBlock(n: number) { return this.img.readBlock(n); }
  writeBlock(n: number, d: Uint8Array) { this.img.writeBlock(n, d); return 0; }
  flush() { return 0; }
}

/** The guest workload's calls, on the host: every result must be a value or an error code. */
function hostWorkload(vfs: Vfs): number {
  let errors = 0;
  const at = (p: string) => vfs.resolve(undefined, p) as Location;
  const visit = (p: string, depth: number): void => {
    const f = vfs.open(at(p), O.RDONLY);
    if (typeof f === "number") { errors++; return; }
    f.retain();
    if (f.isDir) {
      const es = vfs.dirEntries(f);
      if (typeof es === "number") errors++;
      else for (const e of es.slice(0, 40)) if (depth < 4) visit(`${p}/${e.name}`, depth + 1);
    } else {
      for (let i = 0; i < 30; i++) {
        const r = vfs.read(f, 8192);
        if (typeof r === "number") { errors++; break; }
        if (r.length === 0) break;
      }
    }
    f.release();
  };
  visit("D1:", 0);
  const codes = [
    vfs.mkdir(at("D1:t/fuzz")),
    vfs.symlink(at("D1:t/fl"), "fuzz/new"),
    vfs.rename(at("D1:c/a.prg"), at("D1:t/a2")),
    vfs.remove(at("D1:s/startup"), false),
    vfs.remove(at("D1:t/deep/er"), true),
  ];
  const w = vfs.open(at("D1:t/fl"), O.RDWR | O.CREAT);
  if (typeof w === "number") errors++;
  else {
    w.retain();
    for (const off of [0, 5000, 70000, 2 ** 30]) {
      vfs.seek(w, off, SEEK.SET);
      codes.push(Math.min(0, vfs.write(w as OpenFile, new Uint8Array(3000).fill(1))));
    }
    w.release();
  }
  const t = vfs.open(at("D1:c/big.prg"), O.WRONLY | O.TRUNC);
  if (typeof t === "number") errors++;
  else { t.retain(); t.release(); }
  for (const c of codes) if (c < 0) errors++;
  return errors;
}

describe("corrupt user disks", () => {
  const base = baseUser();

  it("the base image is clean, and every kind of damage is produced", () => {
    expect(fsck(base).problems).toEqual([]);
    const kinds = new Set(Array.from({ length: 12 }, (_, s) => corrupt(base, s).kind));
    expect(kinds.size).toBe(12);
  });

  it(`host: ${HOST_IMAGES} damaged images through mount and a VFS workload never throw; refusals say why`, () => {
    const outcomes: Record<string, { refused: number; mounted: number }> = {};
    for (let s = 0; s < HOST_IMAGES; s++) {
      const { kind, image } = corrupt(base, s);
      const o = (outcomes[kind] ??= { refused: 0, mounted: 0 });
      // fsck never throws either, and finds something in most images.
      expect(() => fsck(image)).not.toThrow();
      const vfs = new Vfs();
      const img = new MemoryImage(image.length >= BLOCK_SIZE ? image.slice(0, image.length - (image.length % BLOCK_SIZE)) : new Uint8Array(0));
      const m = vfs.mount("D1", new BlockCache(new MemDriver(img), 32));
      if (typeof m === "number") {
        o.refused++;
        expect(vfs.mountProblems.get("D1")).toMatch(/\w/);
        continue;
      }
      o.mounted++;
      hostWorkload(vfs);
      expect((m as Mount).vol.sb.totalBlocks).toBeGreaterThan(0);
    }
    // Both outcomes occur: the damage is not all caught at mount, nor all missed.
    const total = Object.values(outcomes).reduce((a, o) => ({ refused: a.refused + o.refused, mounted: a.mounted + o.mounted }), { refused: 0, mounted: 0 });
    expect(total.refused).toBeGreaterThan(0);
    expect(total.mounted).toBeGreaterThan(0);
    console.log(`corrupt images (host): ${HOST_IMAGES}: ${JSON.stringify(outcomes)}`);
  });

  it(`kernel: ${GUEST_IMAGES} damaged user.img boots; the guest workload finishes; SYS: is unharmed`, () => {
    const prog = new Uint8Array(readFileSync(buildGuest({ name: "vd-fs-corrupt", sources: ["viperdos/user/tests/vd-fs-corrupt.c"], opt: "-O2", os: "viperdos" })));
    const sys = buildImage({ size: 2 << 20, label: "SYS", files: new Map([["vinit.sys", text("VSYS")]]) });
    let refused = 0;
    for (let s = 0; s < GUEST_IMAGES; s++) {
      const { kind, image } = corrupt(base, 1000 + s);
      const out: number[] = [];
      const r = runProgram("vd-fs-corrupt", prog, { cpus: 1, disks: { sys, user: image }, onConsole: (b) => out.push(...b), limitNs: 30e9 });
      const log = Buffer.from(out).toString();
      const why = `${kind} (seed ${1000 + s}):\n${log.slice(-600)}`;
      expect(log, why).toMatch(/ViperFS "SYS" mounted as SYS: D0:/);
      const refusal = /no ViperFS volume mounted \(error -\d+\): (.+)/.exec(log);
      if (refusal) {
        refused++;
        expect(refusal[1].length, why).toBeGreaterThan(5);
      } else if (image.length >= 8 * BLOCK_SIZE) expect(log, why).toMatch(/ViperFS "[^"]*" mounted as D1:/);
      expect(log, why).not.toContain("FAIL");
      expect(log, why).toMatch(/corrupt: done \d+/);
      expect(r.exitCode, why).toBe(0);
      expect(fsck(r.kernel.disks.sys!.currentImage()).problems, why).toEqual([]);
    }
    console.log(`corrupt images (kernel): ${GUEST_IMAGES}, ${refused} refused at mount`);
  }, 120_000);
});
