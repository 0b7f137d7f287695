// ViperFS on-disk format: constants, CRC-32, and encode/decode of the
// superblock, inodes, directory entries and journal blocks. Shared by the
// host tools (mkfs, fsck, fs) and, later, the kernel driver. All fields are
// little-endian; 64-bit fields are decoded to JS numbers (values beyond 2^53
// are out of range for any image anyway and fail the range checks).
//
// Facts below are from VIPERDOS.md and upstream's format headers
// (tools/viperfs_format.h, kernel/fs/viperfs/format.hpp); the code is ours.
//
// Layout of an image of N blocks (4 KiB each):
//   0                superblock
//   1 .. 1+B-1       block bitmap (bit b of byte b/8 set = block in use)
//   ...              inode table, 16 inodes of 256 bytes per block
//   data_start ..    data blocks (first: the root directory)
//   N-17 .. N-2      journal (header block, then descriptor/data/commit)
//   N-1              backup superblock
// VIPERDOS.md puts the journal in the 16 blocks *before* the backup
// superblock; upstream's kernel uses the last 16 blocks, overlapping its own
// backup. We follow VIPERDOS.md.

import * as zlib from "node:zlib";

export const BLOCK_SIZE = 4096;
export const INODE_SIZE = 256;
export const INODES_PER_BLOCK = BLOCK_SIZE / INODE_SIZE;
export const PTRS_PER_BLOCK = BLOCK_SIZE / 8;
export const VIPERFS_MAGIC = 0x53465056; // "VPFS"
export const VIPERFS_VERSION = 1;
export const ROOT_INODE = 2;
/** Offset of the superblock CRC-32 (upstream kernel format header). */
export const SUPERBLOCK_CHECKSUM_OFFSET = 168;
export const LABEL_BYTES = 64;
export const DIRECT_POINTERS = 12;
export const DIR_ENTRY_HEADER = 12;
export const MAX_NAME_LEN = 255;
export const JOURNAL_MAGIC = 0x4a524e4c; // "JRNL"
export const JOURNAL_VERSION = 1;
export const JOURNAL_BLOCKS = 16;
/** Block records one descriptor block holds (upstream MAX_JOURNAL_BLOCKS). */
export const MAX_JOURNAL_TXN_BLOCKS = 32;

/** Inode mode: type in the top nibble, simplified permission bits below. */
export const MODE = { TYPE_MASK: 0xf000, FILE: 0x8000, DIR: 0x4000, LINK: 0xa000, READ: 4, WRITE: 2, EXEC: 1 } as const;
/** Directory entry file_type codes. */
export const FTYPE = { UNKNOWN: 0, FILE: 1, DIR: 2, LINK: 7 } as const;
/** Journal descriptor states. */
export const TXN = { INVALID: 0, ACTIVE: 1, COMMITTED: 2, COMPLETE: 3 } as const;

/** Errors every ViperFS layer reports with: a readable message, never a host exception. */
export class FsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FsError";
  }
}

// ---------------------------------------------------------------- CRC-32

let table: Uint32Array | undefined;
/** CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib). Uses node:zlib's crc32 when present (Node >= 20.15). */
export function crc32(data: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === "function") return native(data) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const u64 = (v: DataView, o: number): number => Number(v.getBigUint64(o, true));
const put64 = (v: DataView, o: number, n: number): void => v.setBigUint64(o, BigInt(n), true);
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

// ------------------------------------------------------------ superblock

/**
 * Superblock (block 0), offsets from upstream's format header:
 *   0 u32 magic | 4 u32 version | 8 u64 block_size | 16 u64 total_blocks
 *  24 u64 free_blocks | 32 u64 inode_count | 40 u64 root_inode
 *  48 u64 bitmap_start | 56 u64 bitmap_blocks | 64 u64 inode_table_start
 *  72 u64 inode_table_blocks | 80 u64 data_start | 88 u8 uuid[16]
 * 104 char label[64] | 168 u32 checksum | 172.. reserved (zero)
 */
export interface Superblock {
  magic: number; version: number; blockSize: number; totalBlocks: number; freeBlocks: number;
  inodeCount: number; rootInode: number; bitmapStart: number; bitmapBlocks: number;
  inodeTableStart: number; inodeTableBlocks: number; dataStart: number;
  uuid: number[]; label: string; checksum: number;
}

/** CRC-32 of a 4096-byte superblock block with the checksum field taken as zero (upstream crc32_superblock). */
export function superblockCrc(block: Uint8Array): number {
  const b = block.slice(0, BLOCK_SIZE);
  b.fill(0, SUPERBLOCK_CHECKSUM_OFFSET, SUPERBLOCK_CHECKSUM_OFFSET + 4);
  return crc32(b);
}

/** Decode block 0 (or the backup). Precondition: block.length >= 4096. Never throws. */
export function decodeSuperblock(block: Uint8Array): Superblock {
  const v = view(block);
  const labelBytes = block.subarray(104, 104 + LABEL_BYTES);
  const nul = labelBytes.indexOf(0);
  return {
    magic: v.getUint32(0, true), version: v.getUint32(4, true), blockSize: u64(v, 8), totalBlocks: u64(v, 16),
    freeBlocks: u64(v, 24), inodeCount: u64(v, 32), rootInode: u64(v, 40), bitmapStart: u64(v, 48),
    bitmapBlocks: u64(v, 56), inodeTableStart: u64(v, 64), inodeTableBlocks: u64(v, 72), dataStart: u64(v, 80),
    uuid: [...block.subarray(88, 104)],
    label: new TextDecoder("latin1").decode(labelBytes.subarray(0, nul < 0 ? LABEL_BYTES : nul)),
    checksum: v.getUint32(SUPERBLOCK_CHECKSUM_OFFSET, true),
  };
}

/** Encode a superblock into a fresh 4096-byte block with its CRC-32 filled in (sb.checksum is ignored). */
export function encodeSuperblock(sb: Superblock): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  const v = view(b);
  v.setUint32(0, sb.magic, true); v.setUint32(4, sb.version, true);
  put64(v, 8, sb.blockSize); put64(v, 16, sb.totalBlocks); put64(v, 24, sb.freeBlocks); put64(v, 32, sb.inodeCount);
  put64(v, 40, sb.rootInode); put64(v, 48, sb.bitmapStart); put64(v, 56, sb.bitmapBlocks); put64(v, 64, sb.inodeTableStart);
  put64(v, 72, sb.inodeTableBlocks); put64(v, 80, sb.dataStart);
  b.set(sb.uuid.slice(0, 16), 88);
  const label = new TextEncoder().encode(sb.label).subarray(0, LABEL_BYTES - 1); // NUL-terminated like strncpy(.., 63)
  b.set(label, 104);
  v.setUint32(SUPERBLOCK_CHECKSUM_OFFSET, superblockCrc(b), true);
  return b;
}

// ----------------------------------------------------------------- inode

/**
 * Inode, 256 bytes (upstream kernel format header, plus our link count):
 *   0 u64 inode_num | 8 u32 mode | 12 u16 uid | 14 u16 gid | 16 u64 size
 *  24 u64 blocks (data blocks held) | 32 u64 atime | 40 u64 mtime | 48 u64 ctime
 *  56 u64 direct[12] | 152 u64 indirect | 160 u64 double_indirect
 * 168 u64 triple_indirect (unused) | 176 u64 generation | 184 u32 flags
 * 188 u32 links: ours, in bytes upstream reserves (zero there = "not
 *     recorded"); the number of directory entries naming the inode,
 *     "." and ".." included.
 * An inode is in use when mode != 0 (upstream kernel's allocator rule).
 */
export interface Inode {
  inodeNum: number; mode: number; uid: number; gid: number; size: number; blocks: number;
  atime: number; mtime: number; ctime: number; direct: number[]; indirect: number; doubleIndirect: number;
  tripleIndirect: number; generation: number; flags: number; links: number;
  /** A fast symlink's target (see FAST_LINK_MAX); its pointer fields then read as 0. */
  inline?: Uint8Array;
}

/**
 * Symbolic links (mode 0xA000, directory type 7; VIPERDOS.md names the
 * syscalls, upstream's format header the mode, neither the storage, so this
 * is ours, in the spirit of ext2): the inode's size is the target's length
 * in bytes (UTF-8, no NUL). A target of at most FAST_LINK_MAX bytes is a
 * "fast" link: it is stored in the 120 bytes of the block pointers (offsets
 * 56..175: direct[12], indirect, double_indirect, triple_indirect) and
 * `blocks` is 0, which is what marks it fast. A longer target (up to
 * MAX_LINK_TARGET in volume.ts) is a "slow" link: one data block in
 * direct[0], `blocks` 1, like a small file.
 */
export const FAST_LINK_MAX = 120;
const POINTERS_OFFSET = 56;

/** True when `ino` is a symlink whose target lives in its pointer bytes. */
export function isFastLink(ino: Pick<Inode, "mode" | "blocks">): boolean {
  return (ino.mode & 0xf000) === 0xa000 && ino.blocks === 0;
}

export function emptyInode(): Inode {
  return {
    inodeNum: 0, mode: 0, uid: 0, gid: 0, size: 0, blocks: 0, atime: 0, mtime: 0, ctime: 0,
    direct: new Array<number>(DIRECT_POINTERS).fill(0), indirect: 0, doubleIndirect: 0, tripleIndirect: 0,
    generation: 0, flags: 0, links: 0,
  };
}

/** Decode the 256 bytes at `offset` of `block`. Never throws for offset + 256 <= length. */
export function decodeInode(block: Uint8Array, offset = 0): Inode {
  const v = new DataView(block.buffer, block.byteOffset + offset, INODE_SIZE);
  const direct: number[] = [];
  for (let i = 0; i < DIRECT_POINTERS; i++) direct.push(u64(v, 56 + 8 * i));
  const ino: Inode = {
    inodeNum: u64(v, 0), mode: v.getUint32(8, true), uid: v.getUint16(12, true), gid: v.getUint16(14, true),
    size: u64(v, 16), blocks: u64(v, 24), atime: u64(v, 32), mtime: u64(v, 40), ctime: u64(v, 48), direct,
    indirect: u64(v, 152), doubleIndirect: u64(v, 160), tripleIndirect: u64(v, 168), generation: u64(v, 176),
    flags: v.getUint32(184, true), links: v.getUint32(188, true),
  };
  if (isFastLink(ino)) {
    const at = block.byteOffset + offset + POINTERS_OFFSET;
    ino.inline = new Uint8Array(block.buffer, at, FAST_LINK_MAX).slice(0, Math.min(ino.size, FAST_LINK_MAX));
    ino.direct.fill(0);
    ino.indirect = ino.doubleIndirect = ino.tripleIndirect = 0;
  }
  return ino;
}

/** Encode `ino` into the 256 bytes at `offset` of `block` (reserved bytes zeroed). */
export function encodeInode(ino: Inode, block: Uint8Array, offset = 0): void {
  block.fill(0, offset, offset + INODE_SIZE);
  const v = new DataView(block.buffer, block.byteOffset + offset, INODE_SIZE);
  put64(v, 0, ino.inodeNum); v.setUint32(8, ino.mode, true); v.setUint16(12, ino.uid, true); v.setUint16(14, ino.gid, true);
  put64(v, 16, ino.size); put64(v, 24, ino.blocks); put64(v, 32, ino.atime); put64(v, 40, ino.mtime); put64(v, 48, ino.ctime);
  for (let i = 0; i < DIRECT_POINTERS; i++) put64(v, 56 + 8 * i, ino.direct[i] ?? 0);
  put64(v, 152, ino.indirect); put64(v, 160, ino.doubleIndirect); put64(v, 168, ino.tripleIndirect);
  put64(v, 176, ino.generation); v.setUint32(184, ino.flags, true); v.setUint32(188, ino.links, true);
  if (ino.inline) block.set(ino.inline.subarray(0, FAST_LINK_MAX), offset + POINTERS_OFFSET);
}

/** Directory-entry type for an inode mode. */
export function modeToFileType(mode: number): number {
  switch (mode & MODE.TYPE_MASK) {
    case MODE.FILE: return FTYPE.FILE;
    case MODE.DIR: return FTYPE.DIR;
    case MODE.LINK: return FTYPE.LINK;
    default: return FTYPE.UNKNOWN;
  }
}

// ------------------------------------------------------- directory entry

/**
 * Directory entry (ext2 style): 0 u64 inode (0 = unused) | 8 u16 rec_len |
 * 10 u8 name_len | 11 u8 file_type | 12 name (no NUL), padded so records
 * are 8-byte aligned. The last record of a block stretches to its end.
 */
export interface DirEntry {
  offset: number; inode: number; recLen: number; nameLen: number; fileType: number; name: string;
}

/** Record length a name of `nameLen` bytes needs. */
export function dirEntrySize(nameLen: number): number {
  return (DIR_ENTRY_HEADER + nameLen + 7) & ~7;
}

const UTF8 = new TextDecoder();

/** Decode the header and name at `offset`. Precondition: offset + 12 <= block.length. Never throws. */
export function decodeDirEntry(block: Uint8Array, offset: number): DirEntry {
  const v = view(block);
  const nameLen = block[offset + 10];
  const nameEnd = Math.min(block.length, offset + DIR_ENTRY_HEADER + nameLen);
  return {
    offset, inode: u64(v, offset), recLen: v.getUint16(offset + 8, true), nameLen, fileType: block[offset + 11],
    name: UTF8.decode(block.subarray(offset + DIR_ENTRY_HEADER, nameEnd)),
  };
}

/** Write an entry at `offset` (name as UTF-8 bytes; callers check it fits in 255). */
export function encodeDirEntry(block: Uint8Array, offset: number, e: { inode: number; recLen: number; fileType: number; name: string }): void {
  const name = nameBytes(e.name);
  const v = view(block);
  put64(v, offset, e.inode);
  v.setUint16(offset + 8, e.recLen, true);
  block[offset + 10] = name.length;
  block[offset + 11] = e.fileType;
  block.set(name, offset + DIR_ENTRY_HEADER);
}

/** Bytes of a name as stored: UTF-8 (upstream stores raw bytes; ASCII names agree). */
export function nameBytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

// --------------------------------------------------------------- journal

/** Journal header (first journal block): 0 magic | 4 version | 8 u64 sequence | 16 start_block | 24 num_blocks | 32 head | 40 tail. */
export interface JournalHeader {
  magic: number; version: number; sequence: number; startBlock: number; numBlocks: number; head: number; tail: number;
}

export function decodeJournalHeader(block: Uint8Array): JournalHeader {
  const v = view(block);
  return {
    magic: v.getUint32(0, true), version: v.getUint32(4, true), sequence: u64(v, 8), startBlock: u64(v, 16),
    numBlocks: u64(v, 24), head: u64(v, 32), tail: u64(v, 40),
  };
}

export function encodeJournalHeader(h: JournalHeader): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  const v = view(b);
  v.setUint32(0, h.magic, true); v.setUint32(4, h.version, true); put64(v, 8, h.sequence); put64(v, 16, h.startBlock);
  put64(v, 24, h.numBlocks); put64(v, 32, h.head); put64(v, 40, h.tail);
  return b;
}

/**
 * Transaction descriptor: 0 u32 magic | 4 u8 state | 5 u8 num_blocks |
 * 8 u64 sequence | 16 u64 timestamp | 24 records[32] of
 * {u64 block_num, u32 crc32 of the logged data, u32 reserved}.
 */
export interface JournalDescriptor {
  magic: number; state: number; sequence: number; timestamp: number; records: { block: number; checksum: number }[];
}

export function decodeJournalDescriptor(block: Uint8Array): JournalDescriptor {
  const v = view(block);
  const n = Math.min(block[5], MAX_JOURNAL_TXN_BLOCKS);
  const records: { block: number; checksum: number }[] = [];
  for (let i = 0; i < n; i++) records.push({ block: u64(v, 24 + 16 * i), checksum: v.getUint32(32 + 16 * i, true) });
  return { magic: v.getUint32(0, true), state: block[4], sequence: u64(v, 8), timestamp: u64(v, 16), records };
}

/** Raw num_blocks byte of a descriptor (may exceed 32 when corrupt). */
export function journalDescriptorCount(block: Uint8Array): number {
  return block[5];
}

export function encodeJournalDescriptor(d: JournalDescriptor): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  const v = view(b);
  v.setUint32(0, d.magic, true);
  b[4] = d.state;
  b[5] = d.records.length;
  put64(v, 8, d.sequence); put64(v, 16, d.timestamp);
  d.records.forEach((r, i) => { put64(v, 24 + 16 * i, r.block); v.setUint32(32 + 16 * i, r.checksum, true); });
  return b;
}

/** Commit block: 0 u32 magic | 8 u64 sequence (matches the descriptor) | 16 u32 checksum (upstream writes 0). */
export interface JournalCommit {
  magic: number; sequence: number; checksum: number;
}

export function decodeJournalCommit(block: Uint8Array): JournalCommit {
  const v = view(block);
  return { magic: v.getUint32(0, true), sequence: u64(v, 8), checksum: v.getUint32(16, true) };
}

export function encodeJournalCommit(c: JournalCommit): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  const v = view(b);
  v.setUint32(0, c.magic, true); put64(v, 8, c.sequence); v.setUint32(16, c.checksum, true);
  return b;
}

// ---------------------------------------------------------------- layout

/** Where things are in an image of `totalBlocks` blocks, as our mkfs lays it out. */
export interface Layout {
  totalBlocks: number; bitmapStart: number; bitmapBlocks: number; inodeTableStart: number; inodeTableBlocks: number;
  inodeCount: number; dataStart: number; journalStart: number; backupBlock: number;
}

/**
 * Layout for `totalBlocks` blocks, sized as upstream mkfs does: bitmap
 * ceil(N / 32768) blocks from block 1, inode table N/64 + 1 blocks (at least
 * 4), then data; journal and backup at the end. Throws FsError if the image
 * cannot hold the metadata, a root directory block and the journal.
 */
export function computeLayout(totalBlocks: number): Layout {
  const bitmapBlocks = Math.ceil(totalBlocks / (BLOCK_SIZE * 8));
  const inodeTableBlocks = Math.max(4, Math.floor(totalBlocks / 64) + 1);
  const inodeTableStart = 1 + bitmapBlocks;
  const dataStart = inodeTableStart + inodeTableBlocks;
  const l = {
    totalBlocks, bitmapStart: 1, bitmapBlocks, inodeTableStart, inodeTableBlocks, inodeCount: inodeTableBlocks * INODES_PER_BLOCK,
    dataStart, journalStart: totalBlocks - 1 - JOURNAL_BLOCKS, backupBlock: totalBlocks - 1,
  };
  if (l.journalStart < dataStart + 1) throw new FsError(`image of ${totalBlocks} blocks is too small (needs at least ${dataStart + 2 + JOURNAL_BLOCKS})`);
  return l;
}

/** Journal start for a superblock: the 16 blocks before the backup superblock. */
export function journalStartOf(sb: Superblock): number {
  return sb.totalBlocks - 1 - JOURNAL_BLOCKS;
}
