// mkfs for ViperFS: lay out an empty volume the way upstream's
// tools/mkfs.viperfs sizes it (bitmap from block 1, inode table of
// total/64 + 1 blocks (at least 4), root directory in the first data block),
// plus what VIPERDOS.md adds: a CRC-32 in the superblock, a backup copy in the
// last block, and an empty journal in the 16 blocks before it (both marked
// used in the bitmap so no file ever lands there). Then directories and
// files are added through the Volume layer. Images are reproducible: the
// same inputs give the same bytes (timestamps and UUID come from options).

import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import {
  BLOCK_SIZE, computeLayout, crc32, emptyInode, encodeInode, encodeJournalHeader, encodeSuperblock, FsError, INODE_SIZE,
  INODES_PER_BLOCK, MODE, ROOT_INODE, Superblock, VIPERFS_MAGIC, VIPERFS_VERSION,
} from "./format.js";
import { MemoryImage } from "./image.js";
import { emptyJournalHeader } from "./journal.js";
import { dirBlock, splitPath, Volume } from "./volume.js";

export interface BuildImageOptions {
  /** Image size in bytes (rounded down to whole 4 KiB blocks). */
  size: number;
  /** Volume label (at most 63 bytes; default "ViperDOS", upstream's). */
  label?: string;
  /** Files to add: image path ("c/hello.prg" or "/c/hello.prg") -> contents. Parents are created. */
  files?: Map<string, Uint8Array>;
  /** Directories to create even if empty ("t", "s", ...). */
  dirs?: string[];
  /** Symbolic links to create: image path -> target text (stored as given). Parents are created. */
  links?: Map<string, string>;
  /** Seconds since 1970 for every timestamp (default 0, for reproducible images). */
  time?: number;
  /** 16-byte volume UUID (default: derived from label and size). */
  uuid?: number[];
}

/**
 * Build a ViperFS image in memory. Returns its bytes (size rounded down to
 * 4 KiB). Errors (FsError): too small (under ~100 KiB), full, bad names,
 * a file path that is also a directory.
 */
export function buildImage(opts: BuildImageOptions): Uint8Array {
  const img = formatImage(opts);
  const vol = Volume.open(img, { replay: false, now: () => opts.time ?? 0 });
  for (const d of [...(opts.dirs ?? [])].sort()) vol.mkdirs(d);
  const files = [...(opts.files ?? new Map<string, Uint8Array>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [path, data] of files) {
    const parts = splitPath(path);
    if (parts.length === 0) throw new FsError(`'${path}' is not a file path`);
    vol.mkdirs(parts.slice(0, -1).join("/"));
    vol.writeFile(parts.join("/"), data);
  }
  for (const [path, target] of [...(opts.links ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const parts = splitPath(path);
    if (parts.length === 0) throw new FsError(`'${path}' is not a link path`);
    vol.mkdirs(parts.slice(0, -1).join("/"));
    vol.symlink(parts.join("/"), target);
  }
  vol.sync();
  return img.bytes;
}

/** An empty, consistent volume (root directory only) as a MemoryImage. Errors as buildImage. */
export function formatImage(opts: Pick<BuildImageOptions, "size" | "label" | "time" | "uuid">): MemoryImage {
  if (!Number.isFinite(opts.size) || opts.size < 0) throw new FsError(`bad image size ${opts.size}`);
  const l = computeLayout(Math.floor(opts.size / BLOCK_SIZE));
  const img = MemoryImage.blank(l.totalBlocks);
  const t = opts.time ?? 0;
  const label = opts.label ?? "ViperDOS";
  if (new TextEncoder().encode(label).length > 63) throw new FsError(`label '${label}' is longer than 63 bytes`);

  // Bitmap: metadata, the root directory block, the journal and the backup superblock.
  const bitmap = new Uint8Array(l.bitmapBlocks * BLOCK_SIZE);
  const mark = (b: number): void => { bitmap[b >> 3] |= 1 << (b & 7); };
  let used = 0;
  for (let b = 0; b <= l.dataStart; b++, used++) mark(b);
  for (let b = l.journalStart; b < l.totalBlocks; b++, used++) mark(b);
  for (let i = 0; i < l.bitmapBlocks; i++) img.writeBlock(l.bitmapStart + i, bitmap.slice(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));

  // Root directory: inode 2, "." and ".." both itself, in the first data block.
  const root = { ...emptyInode(), inodeNum: ROOT_INODE, mode: MODE.DIR | MODE.READ | MODE.WRITE | MODE.EXEC, size: BLOCK_SIZE, blocks: 1, atime: t, mtime: t, ctime: t, links: 2 };
  root.direct[0] = l.dataStart;
  const table = new Uint8Array(BLOCK_SIZE);
  encodeInode(root, table, (ROOT_INODE % INODES_PER_BLOCK) * INODE_SIZE);
  img.writeBlock(l.inodeTableStart + Math.floor(ROOT_INODE / INODES_PER_BLOCK), table);
  img.writeBlock(l.dataStart, dirBlock(ROOT_INODE, ROOT_INODE));

  const sb: Superblock = {
    magic: VIPERFS_MAGIC, version: VIPERFS_VERSION, blockSize: BLOCK_SIZE, totalBlocks: l.totalBlocks, freeBlocks: l.totalBlocks - used,
    inodeCount: l.inodeCount, rootInode: ROOT_INODE, bitmapStart: l.bitmapStart, bitmapBlocks: l.bitmapBlocks,
    inodeTableStart: l.inodeTableStart, inodeTableBlocks: l.inodeTableBlocks, dataStart: l.dataStart,
    uuid: opts.uuid ?? defaultUuid(label, l.totalBlocks), label, checksum: 0,
  };
  img.writeBlock(l.journalStart, encodeJournalHeader(emptyJournalHeader(sb)));
  const block = encodeSuperblock(sb);
  img.writeBlock(0, block);
  img.writeBlock(l.backupBlock, block);
  return img;
}

function defaultUuid(label: string, blocks: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const c = crc32(new TextEncoder().encode(`${i}:${label}:${blocks}`));
    out.push(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24);
  }
  out[6] = (out[6] & 0x0f) | 0x40; // RFC 4122 version 4 layout, like a random UUID
  out[8] = (out[8] & 0x3f) | 0x80;
  return out;
}

/**
 * Read a host directory tree for buildImage: every regular file (by its
 * path relative to `root`, '/'-separated), every directory, and every
 * symbolic link (kept as a link with its target text, not followed). Other
 * special files are skipped. Errors: FsError naming the path.
 */
export function readHostTree(root: string): { files: Map<string, Uint8Array>; dirs: string[]; links: Map<string, string> } {
  const files = new Map<string, Uint8Array>();
  const dirs: string[] = [];
  const links = new Map<string, string>();
  const walk = (host: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(host).sort();
    } catch (e) {
      throw new FsError(`cannot read directory ${host}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    for (const n of names) {
      const hp = join(host, n);
      const rp = rel ? `${rel}/${n}` : n;
      const st = lstatSync(hp, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isSymbolicLink()) links.set(rp, readlinkSync(hp));
      else if (st.isDirectory()) {
        dirs.push(rp);
        walk(hp, rp);
      } else if (st.isFile()) files.set(rp, new Uint8Array(readFileSync(hp)));
    }
  };
  walk(root, "");
  return { files, dirs, links };
}

/** Parse an image size: bytes, or with K/M/G (KiB/MiB/GiB) suffix ("2M", "8MiB", "512K"). Returns undefined if malformed. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+)\s*([kmg])?(i?b)?$/i.exec(s.trim());
  if (!m) return undefined;
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? "").toLowerCase()] ?? 1;
  return Number(m[1]) * mult;
}
