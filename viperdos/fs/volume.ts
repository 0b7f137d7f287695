// A small ViperFS implementation over a BlockDevice: mount (superblock,
// backup, journal replay), path lookup, reading files and directories, and
// the updates the host tools need (create/replace a file, make a directory,
// remove a file or an empty directory) keeping the bitmap, free count, link
// counts and directory records consistent. Writes go straight to the device
// (host tools work offline; the kernel will add journaling and caches).
// Every failure is an FsError with a readable message.

import {
  BLOCK_SIZE, decodeDirEntry, decodeInode, decodeSuperblock, DIR_ENTRY_HEADER, DIRECT_POINTERS, DirEntry,
  dirEntrySize, emptyInode, encodeDirEntry, encodeInode, encodeSuperblock, FsError, FTYPE, Inode, INODE_SIZE,
  INODES_PER_BLOCK, journalStartOf, MAX_NAME_LEN, MODE, modeToFileType, nameBytes, FAST_LINK_MAX, PTRS_PER_BLOCK, ROOT_INODE,
  Superblock, superblockCrc, VIPERFS_MAGIC, BLOCK_SIZE as BS,
} from "./format.js";
import type { BlockDevice } from "./image.js";
import { replayJournal } from "./journal.js";

/** Why a superblock is unusable, or undefined if it is fine. Never throws. */
export function superblockProblem(block: Uint8Array, devBlocks: number): string | undefined {
  const sb = decodeSuperblock(block);
  if (sb.magic !== VIPERFS_MAGIC) return `bad magic 0x${sb.magic.toString(16).padStart(8, "0")} (expected 0x${VIPERFS_MAGIC.toString(16)} "VPFS")`;
  if (sb.checksum !== 0 && superblockCrc(block) !== sb.checksum) {
    return `CRC-32 0x${superblockCrc(block).toString(16)} does not match stored 0x${sb.checksum.toString(16)}`;
  }
  if (sb.blockSize !== BLOCK_SIZE) return `block size ${sb.blockSize}, expected ${BLOCK_SIZE}`;
  if (sb.totalBlocks < 8 || sb.totalBlocks > devBlocks) return `total_blocks ${sb.totalBlocks} does not fit the image (${devBlocks} blocks)`;
  if (sb.bitmapStart !== 1 || sb.bitmapBlocks !== Math.ceil(sb.totalBlocks / (BLOCK_SIZE * 8))) return `bitmap at ${sb.bitmapStart}+${sb.bitmapBlocks} is malformed`;
  if (sb.inodeTableStart !== sb.bitmapStart + sb.bitmapBlocks) return "inode table does not follow the bitmap";
  if (sb.inodeTableBlocks < 1 || sb.inodeCount !== sb.inodeTableBlocks * INODES_PER_BLOCK) return `inode count ${sb.inodeCount} does not match ${sb.inodeTableBlocks} table blocks`;
  if (sb.dataStart !== sb.inodeTableStart + sb.inodeTableBlocks || sb.dataStart >= sb.totalBlocks) return "data area does not follow the inode table";
  if (sb.rootInode !== ROOT_INODE) return `root inode ${sb.rootInode}, expected ${ROOT_INODE}`;
  return undefined;
}

export interface OpenOptions {
  /** Replay a committed journal at mount (default true). */
  replay?: boolean;
  /** Seconds since 1970 for new timestamps (default: 0, for reproducible images). */
  now?: () => number;
}

/** What Volume needs from an inode cache: a cached copy (or undefined) and a notice of every inode write. */
export interface InodeHook {
  lookup(ino: number): Inode | undefined;
  store(ino: number, inode: Inode): void;
}

/** A deep copy of an inode (its pointer array and inline bytes are not shared). */
export function cloneInode(i: Inode): Inode {
  return { ...i, direct: [...i.direct], inline: i.inline?.slice() };
}

/** Largest file: 12 direct + 512 indirect + 512*512 double-indirect blocks. */
export const MAX_FILE_BYTES = (DIRECT_POINTERS + PTRS_PER_BLOCK + PTRS_PER_BLOCK * PTRS_PER_BLOCK) * BLOCK_SIZE;

/** Largest symlink target (bytes); targets up to FAST_LINK_MAX live in the inode itself. */
export const MAX_LINK_TARGET = 1023;

export interface DirListing {
  name: string;
  inode: number;
  fileType: number;
  mode: number;
  size: number;
}

export class Volume {
  sb: Superblock;
  /** Which superblock was used: "primary" or "backup". */
  readonly mountedFrom: "primary" | "backup";
  readonly replayed: number;
  private bitmap: Uint8Array;
  private bitmapDirty = false;
  private readonly now: () => number;
  /**
   * When set, allocBlock() only takes blocks this accepts (the kernel's
   * journal writer: blocks freed in the open transaction are not reused
   * until it commits, so their old contents stay valid on disk).
   */
  allocFilter: ((b: number) => boolean) | undefined;
  /**
   * The kernel's inode cache (kernel/fs/inode-cache.ts), when set: readInode
   * asks it first and writeInode tells it, so every open of a file sees one
   * in-memory inode. Absent for the host tools.
   */
  inodeHook: InodeHook | undefined;

  private constructor(readonly dev: BlockDevice, sb: Superblock, from: "primary" | "backup", opts: OpenOptions) {
    this.sb = sb;
    this.mountedFrom = from;
    this.now = opts.now ?? (() => 0);
    this.replayed = opts.replay === false ? 0 : replayJournal(dev, sb);
    if (this.replayed > 0) {
      // A replayed transaction may have rewritten the superblock (free count): use it, not the pre-replay copy.
      const now = dev.readBlock(0);
      if (!superblockProblem(now, dev.blockCount)) this.sb = decodeSuperblock(now);
    }
    this.bitmap = new Uint8Array(sb.bitmapBlocks * BLOCK_SIZE);
    for (let i = 0; i < sb.bitmapBlocks; i++) this.bitmap.set(dev.readBlock(sb.bitmapStart + i), i * BLOCK_SIZE);
  }

  /**
   * Mount: validate block 0, else fall back to the backup superblock in the
   * last block. Replays a committed journal unless opts.replay is false.
   * Errors (FsError): neither superblock usable, garbage journal.
   */
  static open(dev: BlockDevice, opts: OpenOptions = {}): Volume {
    if (dev.blockCount < 8) throw new FsError(`image is ${dev.blockCount} blocks, too small for ViperFS`);
    const primary = dev.readBlock(0);
    const why = superblockProblem(primary, dev.blockCount);
    if (!why) return new Volume(dev, decodeSuperblock(primary), "primary", opts);
    const candidates = [decodeSuperblock(primary).totalBlocks - 1, dev.blockCount - 1];
    for (const b of candidates) {
      if (!Number.isSafeInteger(b) || b <= 0 || b >= dev.blockCount) continue;
      const backup = dev.readBlock(b);
      if (!superblockProblem(backup, dev.blockCount)) return new Volume(dev, decodeSuperblock(backup), "backup", opts);
    }
    throw new FsError(`not a ViperFS image: superblock ${why}; no valid backup superblock`);
  }

  // --------------------------------------------------------------- inodes

  private inodeLoc(ino: number): { block: number; offset: number } {
    if (!Number.isSafeInteger(ino) || ino < 1 || ino >= this.sb.inodeCount) throw new FsError(`inode ${ino} out of range 1..${this.sb.inodeCount - 1}`);
    return { block: this.sb.inodeTableStart + Math.floor(ino / INODES_PER_BLOCK), offset: (ino % INODES_PER_BLOCK) * INODE_SIZE };
  }

  /** Inode `ino` (in use or not), a copy the caller may change. Errors: out of range. */
  readInode(ino: number): Inode {
    const cached = this.inodeHook?.lookup(ino);
    if (cached) return cloneInode(cached);
    const { block, offset } = this.inodeLoc(ino);
    return decodeInode(this.dev.peek ? this.dev.peek(block) : this.dev.readBlock(block), offset); // decode copies
  }

  /** Inode table block and byte offset of inode `ino`. Errors: out of range. */
  inodeLocation(ino: number): { block: number; offset: number } {
    return this.inodeLoc(ino);
  }

  writeInode(ino: number, inode: Inode): void {
    const { block, offset } = this.inodeLoc(ino);
    const b = this.dev.readBlock(block);
    encodeInode(inode, b, offset);
    this.dev.writeBlock(block, b);
    this.inodeHook?.store(ino, inode);
  }

  /** Lowest free inode (mode 0), first fit. Reads only the mode words of the table blocks. Errors: table full. */
  private allocInode(): number {
    for (let ino = ROOT_INODE + 1; ino < this.sb.inodeCount; ) {
      const { block } = this.inodeLoc(ino);
      const b = this.dev.peek ? this.dev.peek(block) : this.dev.readBlock(block);
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (; ino < this.sb.inodeCount && this.inodeLoc(ino).block === block; ino++) {
        if (v.getUint32((ino % INODES_PER_BLOCK) * INODE_SIZE + 8, true) === 0) return ino;
      }
    }
    throw new FsError(`no free inodes (${this.sb.inodeCount} in the table)`);
  }

  // --------------------------------------------------------------- blocks

  isUsed(b: number): boolean {
    return (this.bitmap[b >> 3] & (1 << (b & 7))) !== 0;
  }

  private setUsed(b: number, used: boolean): void {
    if (used) this.bitmap[b >> 3] |= 1 << (b & 7);
    else this.bitmap[b >> 3] &= ~(1 << (b & 7));
    this.bitmapDirty = true;
  }

  /** First free block of the data area (never the journal or backup). Errors: volume full. */
  allocBlock(contents?: Uint8Array): number {
    const end = Math.min(journalStartOf(this.sb), this.sb.totalBlocks - 1);
    for (let b = this.sb.dataStart; b < end; b++) {
      if ((b & 7) === 0 && this.bitmap[b >> 3] === 0xff) {
        b += 7; // eight blocks in use: skip the byte (first fit all the same)
        continue;
      }
      if (!this.isUsed(b) && (!this.allocFilter || this.allocFilter(b))) {
        this.setUsed(b, true);
        this.sb.freeBlocks--;
        this.dev.writeBlock(b, contents ?? new Uint8Array(BLOCK_SIZE));
        return b;
      }
    }
    throw new FsError("no free blocks left on the volume");
  }

  private freeBlock(b: number): void {
    if (b >= this.sb.dataStart && b < this.sb.totalBlocks && this.isUsed(b)) {
      this.setUsed(b, false);
      this.sb.freeBlocks++;
    }
  }

  private checkPtr(p: number, what: string): number {
    // The data area ends where the journal starts: a pointer into the journal or the backup superblock is damage.
    const end = Math.min(journalStartOf(this.sb), this.sb.totalBlocks - 1);
    if (p !== 0 && (!Number.isSafeInteger(p) || p < this.sb.dataStart || p >= end)) {
      throw new FsError(`${what} points to block ${p}, outside the data area ${this.sb.dataStart}..${end - 1}`);
    }
    return p;
  }

  private ptrAt(block: number, i: number): number {
    const b = this.dev.peek ? this.dev.peek(block) : this.dev.readBlock(block);
    return this.checkPtr(Number(new DataView(b.buffer, b.byteOffset).getBigUint64(8 * i, true)), `indirect block ${block}[${i}]`);
  }

  /** Physical block of logical block `idx` of `inode`, 0 for a hole. Errors: pointer out of range, beyond double-indirect. */
  blockOf(inode: Inode, idx: number): number {
    if (inode.inline) return 0;
    if (idx < DIRECT_POINTERS) return this.checkPtr(inode.direct[idx], `inode ${inode.inodeNum} direct[${idx}]`);
    idx -= DIRECT_POINTERS;
    if (idx < PTRS_PER_BLOCK) {
      const ind = this.checkPtr(inode.indirect, `inode ${inode.inodeNum} indirect`);
      return ind === 0 ? 0 : this.ptrAt(ind, idx);
    }
    idx -= PTRS_PER_BLOCK;
    if (idx >= PTRS_PER_BLOCK * PTRS_PER_BLOCK) throw new FsError(`inode ${inode.inodeNum}: file block beyond the double-indirect range`);
    const dbl = this.checkPtr(inode.doubleIndirect, `inode ${inode.inodeNum} double_indirect`);
    if (dbl === 0) return 0;
    const l1 = this.ptrAt(dbl, Math.floor(idx / PTRS_PER_BLOCK));
    return l1 === 0 ? 0 : this.ptrAt(l1, idx % PTRS_PER_BLOCK);
  }

  private setPtr(block: number, i: number, v: number): void {
    const b = this.dev.readBlock(block);
    new DataView(b.buffer).setBigUint64(8 * i, BigInt(v), true);
    this.dev.writeBlock(block, b);
  }

  /** Map logical block `idx` of `inode` to a newly allocated block (allocating indirect blocks); returns it. */
  private mapNew(inode: Inode, idx: number): number {
    const b = this.allocBlock();
    this.setMapping(inode, idx, b);
    return b;
  }

  /**
   * Point logical block `idx` of `inode` at physical block `b` (0: a hole),
   * allocating indirect blocks on the way; returns the block it replaced (0 if
   * none). The caller writes the inode. Errors: beyond the double-indirect range, full.
   */
  private setMapping(inode: Inode, idx: number, b: number): number {
    if (idx < DIRECT_POINTERS) {
      const old = this.checkPtr(inode.direct[idx], `inode ${inode.inodeNum} direct[${idx}]`);
      inode.direct[idx] = b;
      return old;
    }
    idx -= DIRECT_POINTERS;
    if (idx < PTRS_PER_BLOCK) {
      if (inode.indirect === 0) inode.indirect = this.allocBlock();
      const old = this.ptrAt(inode.indirect, idx);
      this.setPtr(inode.indirect, idx, b);
      return old;
    }
    idx -= PTRS_PER_BLOCK;
    if (idx >= PTRS_PER_BLOCK * PTRS_PER_BLOCK) throw new FsError("file too large for ViperFS (double-indirect limit)");
    if (inode.doubleIndirect === 0) inode.doubleIndirect = this.allocBlock();
    const i1 = Math.floor(idx / PTRS_PER_BLOCK);
    let l1 = this.ptrAt(inode.doubleIndirect, i1);
    if (l1 === 0) {
      l1 = this.allocBlock();
      this.setPtr(inode.doubleIndirect, i1, l1);
    }
    const old = this.ptrAt(l1, idx % PTRS_PER_BLOCK);
    this.setPtr(l1, idx % PTRS_PER_BLOCK, b);
    return old;
  }

  /** Free every data and indirect block of `inode` and clear its pointers. */
  private truncate(inode: Inode): void {
    if (inode.inline) {
      // A fast symlink: the "pointers" are the target's bytes.
      inode.inline = undefined;
      inode.direct.fill(0);
      inode.indirect = inode.doubleIndirect = inode.tripleIndirect = 0;
      inode.size = inode.blocks = 0;
      return;
    }
    const nblocks = Math.ceil(inode.size / BLOCK_SIZE);
    for (let i = 0; i < nblocks; i++) {
      const b = this.blockOf(inode, i);
      if (b) this.freeBlock(b);
    }
    if (inode.doubleIndirect) {
      for (let i = 0; i < PTRS_PER_BLOCK; i++) {
        const l1 = this.ptrAt(inode.doubleIndirect, i);
        if (l1) this.freeBlock(l1);
      }
      this.freeBlock(inode.doubleIndirect);
    }
    if (inode.indirect) this.freeBlock(inode.indirect);
    inode.direct.fill(0);
    inode.indirect = inode.doubleIndirect = 0;
    inode.size = inode.blocks = 0;
  }

  // ------------------------------------------------------------ contents

  /** The bytes of inode `ino` (holes read as zeros). Errors: bad pointers, a size larger than the volume. */
  readData(ino: number): Uint8Array {
    const inode = this.readInode(ino);
    if (inode.size > this.sb.totalBlocks * BLOCK_SIZE) throw new FsError(`inode ${ino} claims ${inode.size} bytes, more than the volume holds`);
    if (inode.inline) return inode.inline.slice();
    const out = new Uint8Array(inode.size);
    for (let i = 0; i * BLOCK_SIZE < inode.size; i++) {
      const b = this.blockOf(inode, i);
      if (b) out.set(this.dev.readBlock(b).subarray(0, Math.min(BLOCK_SIZE, inode.size - i * BLOCK_SIZE)), i * BLOCK_SIZE);
    }
    return out;
  }

  /** Records of directory `ino`, in on-disk order, with their block index. Errors: not a directory, malformed records. */
  private dirRecords(ino: number): { idx: number; phys: number; data: Uint8Array; entries: DirEntry[] }[] {
    const inode = this.readInode(ino);
    if ((inode.mode & MODE.TYPE_MASK) !== MODE.DIR) throw new FsError(`inode ${ino} is not a directory`);
    if (inode.size % BLOCK_SIZE !== 0 || inode.size > this.sb.totalBlocks * BLOCK_SIZE) throw new FsError(`directory inode ${ino} has size ${inode.size}`);
    const out = [];
    for (let idx = 0; idx * BLOCK_SIZE < inode.size; idx++) {
      const phys = this.blockOf(inode, idx);
      if (phys === 0) throw new FsError(`directory inode ${ino} has a hole at block ${idx}`);
      const data = this.dev.readBlock(phys);
      const entries: DirEntry[] = [];
      for (let pos = 0; pos < BLOCK_SIZE; ) {
        if (pos + DIR_ENTRY_HEADER > BLOCK_SIZE) throw new FsError(`directory inode ${ino} block ${idx}: record at offset ${pos} runs past the block`);
        const e = decodeDirEntry(data, pos);
        if (e.recLen < DIR_ENTRY_HEADER || e.recLen % 8 !== 0 || pos + e.recLen > BLOCK_SIZE) {
          throw new FsError(`directory inode ${ino} block ${idx}: bad rec_len ${e.recLen} at offset ${pos}`);
        }
        if (e.inode !== 0 && dirEntrySize(e.nameLen) > e.recLen) throw new FsError(`directory inode ${ino}: name of ${e.nameLen} bytes overflows its record at ${pos}`);
        entries.push(e);
        pos += e.recLen;
      }
      out.push({ idx, phys, data, entries });
    }
    return out;
  }

  /** Entries of directory `ino` in use, "." and ".." included. */
  readDir(ino: number): DirEntry[] {
    return this.dirRecords(ino).flatMap((r) => r.entries.filter((e) => e.inode !== 0));
  }

  /** Inode of `name` in directory `dir`, or 0. */
  lookupIn(dir: number, name: string): number {
    return this.readDir(dir).find((e) => e.name === name)?.inode ?? 0;
  }

  /** Inode of absolute or root-relative `path` ("/" is the root). Errors: a missing component, a non-directory in the middle. */
  lookup(path: string): number {
    let ino = ROOT_INODE;
    for (const part of splitPath(path)) {
      const next = this.lookupIn(ino, part);
      if (next === 0) throw new FsError(`${path}: no such file or directory`);
      ino = next;
    }
    return ino;
  }

  /** Directory listing with sizes and modes. Errors as lookup/readDir. */
  list(path: string): DirListing[] {
    const ino = this.lookup(path);
    return this.readDir(ino).map((e) => {
      const i = this.readInode(e.inode);
      return { name: e.name, inode: e.inode, fileType: e.fileType, mode: i.mode, size: i.size };
    });
  }

  // -------------------------------------------------------------- updates

  private addEntry(dir: number, name: string, ino: number, fileType: number): void {
    const need = dirEntrySize(nameBytes(name).length);
    for (const r of this.dirRecords(dir)) {
      for (const e of r.entries) {
        const used = e.inode === 0 ? 0 : dirEntrySize(e.nameLen);
        if (e.recLen - used < need) continue;
        if (e.inode === 0) {
          r.data.fill(0, e.offset, e.offset + e.recLen);
          encodeDirEntry(r.data, e.offset, { inode: ino, recLen: e.recLen, fileType, name });
        } else {
          encodeDirEntry(r.data, e.offset, { inode: e.inode, recLen: used, fileType: e.fileType, name: e.name });
          r.data.fill(0, e.offset + used, e.offset + e.recLen);
          encodeDirEntry(r.data, e.offset + used, { inode: ino, recLen: e.recLen - used, fileType, name });
        }
        this.dev.writeBlock(r.phys, r.data);
        return;
      }
    }
    // No room: append a block holding just this entry (upstream add_dirent).
    const inode = this.readInode(dir);
    const phys = this.mapNew(inode, inode.size / BLOCK_SIZE);
    const data = new Uint8Array(BS);
    encodeDirEntry(data, 0, { inode: ino, recLen: BLOCK_SIZE, fileType, name });
    this.dev.writeBlock(phys, data);
    inode.size += BLOCK_SIZE;
    inode.blocks++;
    inode.mtime = this.now();
    this.writeInode(dir, inode);
  }

  private removeEntry(dir: number, name: string): void {
    for (const r of this.dirRecords(dir)) {
      const i = r.entries.findIndex((e) => e.inode !== 0 && e.name === name);
      if (i < 0) continue;
      const e = r.entries[i];
      if (i === 0) {
        r.data.fill(0, e.offset, e.offset + e.recLen);
        encodeDirEntry(r.data, e.offset, { inode: 0, recLen: e.recLen, fileType: 0, name: "" });
      } else {
        const prev = r.entries[i - 1];
        const v = new DataView(r.data.buffer);
        v.setUint16(prev.offset + 8, prev.recLen + e.recLen, true);
        r.data.fill(0, e.offset, e.offset + e.recLen);
      }
      this.dev.writeBlock(r.phys, r.data);
      return;
    }
    throw new FsError(`${name}: not in directory inode ${dir}`);
  }

  private adjustLinks(ino: number, delta: number): Inode {
    const i = this.readInode(ino);
    if (i.links !== 0) i.links += delta; // 0 = not recorded (upstream images): leave it
    return i;
  }

  private parentOf(path: string): { dir: number; name: string } {
    const parts = splitPath(path);
    if (parts.length === 0) throw new FsError("the root directory cannot be replaced or removed");
    const name = parts[parts.length - 1];
    checkName(name);
    const dir = this.lookup("/" + parts.slice(0, -1).join("/"));
    if ((this.readInode(dir).mode & MODE.TYPE_MASK) !== MODE.DIR) throw new FsError(`${path}: parent is not a directory`);
    return { dir, name };
  }

  /** Create directory `path` (parents must exist). Returns its inode. Errors: exists, bad name, full. */
  mkdir(path: string): number {
    const { dir, name } = this.parentOf(path);
    if (this.lookupIn(dir, name)) throw new FsError(`${path}: already exists`);
    const ino = this.allocInode();
    const t = this.now();
    const inode = { ...emptyInode(), inodeNum: ino, mode: MODE.DIR | MODE.READ | MODE.WRITE | MODE.EXEC, atime: t, mtime: t, ctime: t, links: 2 };
    const phys = this.mapNew(inode, 0);
    this.dev.writeBlock(phys, dirBlock(ino, dir));
    inode.size = BLOCK_SIZE;
    inode.blocks = 1;
    this.writeInode(ino, inode);
    this.addEntry(dir, name, ino, FTYPE.DIR);
    this.writeInode(dir, this.adjustLinks(dir, +1));
    return ino;
  }

  /** Create every missing directory along `path`; returns the last one's inode. */
  mkdirs(path: string): number {
    let ino = ROOT_INODE;
    let at = "";
    for (const part of splitPath(path)) {
      at += "/" + part;
      const next = this.lookupIn(ino, part);
      ino = next || this.mkdir(at);
      if ((this.readInode(ino).mode & MODE.TYPE_MASK) !== MODE.DIR) throw new FsError(`${at}: not a directory`);
    }
    return ino;
  }

  /** Create or replace regular file `path` with `data`. Returns its inode. Errors: parent missing, a directory there, full. */
  writeFile(path: string, data: Uint8Array): number {
    const { dir, name } = this.parentOf(path);
    let ino = this.lookupIn(dir, name);
    const t = this.now();
    let inode: Inode;
    if (ino) {
      inode = this.readInode(ino);
      if ((inode.mode & MODE.TYPE_MASK) === MODE.DIR) throw new FsError(`${path}: is a directory`);
      this.truncate(inode);
    } else {
      ino = this.allocInode();
      inode = { ...emptyInode(), inodeNum: ino, mode: MODE.FILE | MODE.READ | MODE.WRITE, atime: t, ctime: t, links: 1 };
      this.writeInode(ino, inode); // claim it before allocating blocks
    }
    for (let i = 0; i * BLOCK_SIZE < data.length; i++) {
      const b = this.mapNew(inode, i);
      const block = new Uint8Array(BLOCK_SIZE);
      block.set(data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
      this.dev.writeBlock(b, block);
      inode.blocks++;
    }
    inode.size = data.length;
    inode.mtime = t;
    this.writeInode(ino, inode);
    if (!this.lookupIn(dir, name)) this.addEntry(dir, name, ino, FTYPE.FILE);
    return ino;
  }

  /**
   * Write `data` into regular file `ino` at byte `offset`, block by block:
   * only the logical blocks the range touches change. Each touched block is
   * written copy-on-write: its new contents go to a freshly allocated block
   * (free on disk, so the journal writes it "ordered", not logged) and the
   * pointer to it replaces the old one, which is freed. So one write is one
   * small metadata transaction (inode, indirect blocks on the way, bitmap,
   * superblock) whatever its size, and a crash leaves the old bytes or the
   * new ones. Bytes between the old end and `offset` read as zeros (holes
   * for whole blocks). Returns the new size. Errors (FsError): not a
   * regular file, beyond the double-indirect range, volume full.
   */
  writeAt(ino: number, offset: number, data: Uint8Array): number {
    const inode = this.readInode(ino);
    if ((inode.mode & MODE.TYPE_MASK) !== MODE.FILE) throw new FsError(`inode ${ino} is not a regular file`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new FsError(`offset ${offset} is not a valid file position`);
    const end = offset + data.length;
    if (end > MAX_FILE_BYTES) throw new FsError(`file too large for ViperFS (${end} bytes, double-indirect limit)`);
    for (let at = offset; at < end; ) {
      const idx = Math.floor(at / BLOCK_SIZE);
      const within = at % BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - within, end - at);
      const old = this.blockOf(inode, idx);
      const block = n === BLOCK_SIZE || old === 0 ? new Uint8Array(BLOCK_SIZE) : this.dev.readBlock(old);
      block.set(data.subarray(at - offset, at - offset + n), within);
      const fresh = this.allocBlock(block);
      this.setMapping(inode, idx, fresh);
      if (old) this.freeBlock(old);
      else inode.blocks++;
      at += n;
    }
    inode.size = Math.max(inode.size, end);
    inode.mtime = this.now();
    this.writeInode(ino, inode);
    return inode.size;
  }

  /** Cut regular file `ino` to zero bytes, freeing its blocks (O_TRUNC). Errors (FsError): not a regular file. */
  truncateFile(ino: number): void {
    const inode = this.readInode(ino);
    if ((inode.mode & MODE.TYPE_MASK) !== MODE.FILE) throw new FsError(`inode ${ino} is not a regular file`);
    if (inode.size === 0 && inode.blocks === 0) return;
    this.truncate(inode);
    inode.mtime = this.now();
    this.writeInode(ino, inode);
  }

  /**
   * Create symbolic link `path` whose target is the text `target` (stored
   * as given: resolution is the kernel's business). Returns its inode.
   * Errors (FsError): exists, parent missing, bad name, target empty or
   * longer than MAX_LINK_TARGET bytes.
   */
  symlink(path: string, target: string): number {
    const bytes = nameBytes(target);
    if (bytes.length === 0 || bytes.length > MAX_LINK_TARGET || target.includes("\0")) {
      throw new FsError(`symlink target must be 1..${MAX_LINK_TARGET} bytes without NUL (is ${bytes.length})`);
    }
    const { dir, name } = this.parentOf(path);
    if (this.lookupIn(dir, name)) throw new FsError(`${path}: already exists`);
    const ino = this.allocInode();
    const t = this.now();
    const inode: Inode = { ...emptyInode(), inodeNum: ino, mode: MODE.LINK | MODE.READ | MODE.WRITE | MODE.EXEC, atime: t, mtime: t, ctime: t, links: 1, size: bytes.length };
    if (bytes.length <= FAST_LINK_MAX) inode.inline = bytes.slice();
    else {
      this.writeInode(ino, { ...inode, mode: MODE.FILE }); // claim it before allocating its block
      const block = new Uint8Array(BLOCK_SIZE);
      block.set(bytes);
      inode.direct[0] = this.allocBlock(block);
      inode.blocks = 1;
    }
    this.writeInode(ino, inode);
    this.addEntry(dir, name, ino, FTYPE.LINK);
    return ino;
  }

  /** Target text of symlink inode `ino`. Errors (FsError): not a symlink, a malformed one. */
  readLink(ino: number): string {
    const inode = this.readInode(ino);
    if ((inode.mode & MODE.TYPE_MASK) !== MODE.LINK) throw new FsError(`inode ${ino} is not a symbolic link`);
    if (inode.size === 0 || inode.size > MAX_LINK_TARGET) throw new FsError(`symlink inode ${ino} has a target of ${inode.size} bytes`);
    if (!inode.inline && inode.size <= FAST_LINK_MAX) throw new FsError(`symlink inode ${ino}: short target stored in a block`);
    return new TextDecoder().decode(this.readData(ino));
  }

  /** Remove file `path`, or directory `path` if empty. Errors: missing, non-empty directory, root. */
  remove(path: string): void {
    const { dir, name } = this.parentOf(path);
    const ino = this.lookupIn(dir, name);
    if (!ino) throw new FsError(`${path}: no such file or directory`);
    const inode = this.readInode(ino);
    const isDir = (inode.mode & MODE.TYPE_MASK) === MODE.DIR;
    if (isDir && this.readDir(ino).some((e) => e.name !== "." && e.name !== "..")) throw new FsError(`${path}: directory not empty`);
    this.removeEntry(dir, name);
    if (isDir) this.writeInode(dir, this.adjustLinks(dir, -1));
    const left = isDir ? 0 : inode.links - 1;
    if (left > 0) {
      this.writeInode(ino, { ...inode, links: left });
      return;
    }
    this.truncate(inode);
    this.writeInode(ino, emptyInode()); // mode 0 and inode_num 0: free for upstream's kernel and fsck alike
  }

  /**
   * Rename or move `from` to `to` (same volume; the inode keeps its number).
   * Errors (FsError): source missing, target exists, moving a directory into
   * itself, a parent missing or not a directory, bad name.
   */
  rename(from: string, to: string): void {
    const src = this.parentOf(from);
    const dst = this.parentOf(to);
    const ino = this.lookupIn(src.dir, src.name);
    if (!ino) throw new FsError(`${from}: no such file or directory`);
    if (this.lookupIn(dst.dir, dst.name)) throw new FsError(`${to}: already exists`);
    const inode = this.readInode(ino);
    const isDir = (inode.mode & MODE.TYPE_MASK) === MODE.DIR;
    if (isDir) {
      // The target's parent chain must not pass through the moved directory.
      for (let d = dst.dir; d !== ROOT_INODE; d = this.lookupIn(d, "..")) {
        if (d === ino) throw new FsError(`${to}: cannot move a directory into itself`);
        if (d === 0) break;
      }
    }
    this.addEntry(dst.dir, dst.name, ino, modeToFileType(inode.mode));
    this.removeEntry(src.dir, src.name);
    if (isDir && src.dir !== dst.dir) {
      this.removeEntry(ino, "..");
      this.addEntry(ino, "..", dst.dir, FTYPE.DIR);
      this.writeInode(src.dir, this.adjustLinks(src.dir, -1));
      this.writeInode(dst.dir, this.adjustLinks(dst.dir, +1));
    }
  }

  /** Re-read the free-block bitmap from the device (after a rolled-back transaction). Errors: I/O (FsError). */
  reloadBitmap(): void {
    for (let i = 0; i < this.sb.bitmapBlocks; i++) this.bitmap.set(this.dev.readBlock(this.sb.bitmapStart + i), i * BLOCK_SIZE);
    this.bitmapDirty = false;
  }

  /** Write the bitmap and the superblock (with CRC) plus its backup copy. */
  sync(): void {
    if (this.bitmapDirty) {
      for (let i = 0; i < this.sb.bitmapBlocks; i++) this.dev.writeBlock(this.sb.bitmapStart + i, this.bitmap.slice(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
      this.bitmapDirty = false;
    }
    const block = encodeSuperblock(this.sb);
    this.dev.writeBlock(0, block);
    this.dev.writeBlock(this.sb.totalBlocks - 1, block);
  }

  /** Plain figures for a notebook view. */
  snapshot(): { superblock: Superblock; mountedFrom: string; replayed: number; usedBlocks: number } {
    let used = 0;
    for (let b = 0; b < this.sb.totalBlocks; b++) if (this.isUsed(b)) used++;
    return { superblock: { ...this.sb, uuid: [...this.sb.uuid] }, mountedFrom: this.mountedFrom, replayed: this.replayed, usedBlocks: used };
  }
}

/** A fresh directory block: "." (16 bytes) then ".." to the end of the block. */
export function dirBlock(self: number, parent: number): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  encodeDirEntry(b, 0, { inode: self, recLen: dirEntrySize(1), fileType: FTYPE.DIR, name: "." });
  encodeDirEntry(b, dirEntrySize(1), { inode: parent, recLen: BLOCK_SIZE - dirEntrySize(1), fileType: FTYPE.DIR, name: ".." });
  return b;
}

/** Components of a path; "" and "." parts are dropped. */
export function splitPath(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}

/** Errors (FsError) for names a directory entry cannot hold. */
export function checkName(name: string): void {
  const n = nameBytes(name).length;
  if (n === 0 || n > MAX_NAME_LEN) throw new FsError(`name '${name.slice(0, 40)}${name.length > 40 ? "..." : ""}' must be 1..${MAX_NAME_LEN} bytes (is ${n})`);
  if (name === "." || name === ".." || name.includes("\0") || name.includes("/")) throw new FsError(`'${name}' is not a valid file name`);
}
