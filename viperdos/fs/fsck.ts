// fsck for ViperFS: checks an image and reports every problem as one
// readable line. Never throws for any input bytes.
//
// Checks: superblock (magic, CRC-32 when set, layout fields) and its backup
// copy; the journal (absent / clean / committed-not-replayed / garbage) —
// with committed transactions the rest is checked on the replayed view; the
// directory tree from the root (records' rec_len, name lengths, "." and ".."
// first and pointing right, entry types against inode modes, duplicate
// names, directories reached twice (cycles)); each reachable inode's fields
// and block pointers (in the data area, no block claimed twice); the bitmap
// against the blocks in use; free_blocks; link counts (when recorded).
// Images from upstream's mkfs (no CRC, backup, journal or link counts) are
// clean: those absences are notes, not problems.

import {
  BLOCK_SIZE, decodeDirEntry, decodeInode, decodeSuperblock, DIR_ENTRY_HEADER, DIRECT_POINTERS, dirEntrySize, FTYPE, Inode,
  INODE_SIZE, INODES_PER_BLOCK, journalStartOf, MODE, modeToFileType, PTRS_PER_BLOCK, ROOT_INODE, Superblock,
  FAST_LINK_MAX, isFastLink,
} from "./format.js";
import { MemoryImage } from "./image.js";
import { readJournal, replayJournal } from "./journal.js";
import { MAX_LINK_TARGET, superblockProblem } from "./volume.js";

export interface FsckReport {
  clean: boolean;
  /** One line per problem (exit status 1 when any). */
  problems: string[];
  /** Observations that are not problems (upstream-style image, ...). */
  notes: string[];
  stats: { totalBlocks: number; usedBlocks: number; freeBlocks: number; inodesInUse: number; files: number; directories: number; links: number; journal: string };
}

const MAX_PROBLEMS = 200;

/** Check `bytes` (a whole image). The input is not modified. */
export function fsck(bytes: Uint8Array): FsckReport {
  const r: FsckReport = { clean: true, problems: [], notes: [], stats: { totalBlocks: 0, usedBlocks: 0, freeBlocks: 0, inodesInUse: 0, files: 0, directories: 0, links: 0, journal: "unknown" } };
  const problem = (s: string): void => {
    if (r.problems.length < MAX_PROBLEMS) r.problems.push(s);
    else if (r.problems.length === MAX_PROBLEMS) r.problems.push("... more problems not shown");
  };
  try {
    check(new MemoryImage(bytes.slice()), r, problem);
  } catch (e) {
    // A bug here must still give a report, not a crash.
    problem(`fsck stopped: ${(e as Error).message}`);
  }
  r.clean = r.problems.length === 0;
  return r;
}

function check(img: MemoryImage, r: FsckReport, problem: (s: string) => void): void {
  if (img.blockCount < 8) {
    problem(`image is ${img.bytes.length} bytes: too small for ViperFS (truncated?)`);
    return;
  }
  if (img.bytes.length % BLOCK_SIZE !== 0) r.notes.push(`image size ${img.bytes.length} is not a whole number of blocks`);
  const primary = img.readBlock(0);
  let sb: Superblock;
  const why = superblockProblem(primary, img.blockCount);
  const rawTotal = decodeSuperblock(primary).totalBlocks;
  if (why) {
    problem(`superblock: ${why}`);
    const spots = [rawTotal - 1, img.blockCount - 1].filter((b) => Number.isSafeInteger(b) && b > 0 && b < img.blockCount);
    const good = spots.find((b) => !superblockProblem(img.readBlock(b), img.blockCount));
    if (good === undefined) {
      problem("backup superblock: none usable; cannot check further");
      return;
    }
    problem(`superblock: using the backup in block ${good}`);
    sb = decodeSuperblock(img.readBlock(good));
  } else {
    sb = decodeSuperblock(primary);
    if (sb.checksum === 0) r.notes.push("superblock has no CRC-32 (upstream mkfs image)");
    if (sb.totalBlocks < img.blockCount) r.notes.push(`image has ${img.blockCount - sb.totalBlocks} blocks beyond the file system`);
    const backup = img.readBlock(sb.totalBlocks - 1);
    if (backup.every((x) => x === 0)) r.notes.push("no backup superblock (upstream mkfs image)");
    else {
      const bwhy = superblockProblem(backup, img.blockCount);
      if (bwhy) problem(`backup superblock (block ${sb.totalBlocks - 1}): ${bwhy}`);
      else if (!sameSuperblock(backup, primary)) problem(`backup superblock (block ${sb.totalBlocks - 1}) differs from the primary`);
    }
  }
  r.stats.totalBlocks = sb.totalBlocks;

  // Journal: check the view a mount would produce.
  const js = readJournal(img, sb);
  r.stats.journal = js.kind;
  const hasJournal = js.kind !== "absent";
  if (js.kind === "garbage") for (const p of js.problems) problem(`journal: ${p}`);
  else if (js.kind === "absent") r.notes.push("no journal (upstream mkfs image)");
  else {
    const pending = js.transactions.filter((t) => t.status === "committed").length;
    const ignored = js.transactions.length - pending;
    if (ignored) r.notes.push(`journal: ${ignored} uncommitted or torn transaction(s), ignored at mount`);
    if (pending) {
      problem(`journal: ${pending} committed transaction(s) not replayed (mount replays them; checked as replayed)`);
      replayJournal(img, sb);
    }
  }

  const total = sb.totalBlocks;
  const reservedStart = journalStartOf(sb);
  const readBlock = (b: number): Uint8Array => img.readBlock(b);
  const owner = new Map<number, number>(); // block -> inode
  const claim = (b: number, ino: number, what: string): boolean => {
    if (!Number.isSafeInteger(b) || b < sb.dataStart || b >= total - 1) {
      problem(`inode ${ino}: ${what} points to block ${b}, outside the data area ${sb.dataStart}..${total - 2}`);
      return false;
    }
    if (hasJournal && b >= reservedStart) {
      problem(`inode ${ino}: ${what} points to block ${b}, inside the journal`);
      return false;
    }
    const prev = owner.get(b);
    if (prev !== undefined) {
      problem(`block ${b} is used twice: by inode ${prev} and by inode ${ino} (${what})`);
      return false;
    }
    owner.set(b, ino);
    return true;
  };
  const ptrs = (b: number): number[] => {
    const v = new DataView(readBlock(b).buffer);
    const out: number[] = [];
    for (let i = 0; i < PTRS_PER_BLOCK; i++) out.push(Number(v.getBigUint64(8 * i, true)));
    return out;
  };
  const inodeAt = (ino: number): Inode => {
    const tb = sb.inodeTableStart + Math.floor(ino / INODES_PER_BLOCK);
    return decodeInode(readBlock(tb), (ino % INODES_PER_BLOCK) * INODE_SIZE);
  };

  /** Claim an inode's blocks; returns its data blocks by logical index (0 = hole). */
  const inodeBlocks = (ino: number, inode: Inode): number[] => {
    const n = Math.ceil(inode.size / BLOCK_SIZE);
    const data: number[] = new Array<number>(Math.min(n, 1 << 20)).fill(0);
    const take = (b: number, idx: number, what: string): void => {
      if (b === 0) return;
      if (idx >= n) {
        problem(`inode ${ino}: ${what} maps block ${b} beyond its size ${inode.size}`);
        return;
      }
      if (claim(b, ino, what)) data[idx] = b;
    };
    inode.direct.forEach((b, i) => take(b, i, `direct[${i}]`));
    if (inode.indirect && claim(inode.indirect, ino, "indirect")) ptrs(inode.indirect).forEach((b, i) => take(b, DIRECT_POINTERS + i, `indirect[${i}]`));
    if (inode.doubleIndirect && claim(inode.doubleIndirect, ino, "double_indirect")) {
      ptrs(inode.doubleIndirect).forEach((l1, i) => {
        if (l1 && claim(l1, ino, `double_indirect[${i}]`)) {
          ptrs(l1).forEach((b, j) => take(b, DIRECT_POINTERS + PTRS_PER_BLOCK + i * PTRS_PER_BLOCK + j, `double_indirect[${i}][${j}]`));
        }
      });
    }
    if (inode.tripleIndirect) problem(`inode ${ino}: triple_indirect ${inode.tripleIndirect} set (not supported)`);
    const held = data.filter((b) => b !== 0).length;
    if (inode.blocks !== held) problem(`inode ${ino}: blocks field says ${inode.blocks}, holds ${held} data blocks`);
    return data;
  };

  /** A symbolic link (format.ts): fast (target in the pointer bytes, blocks 0, 1..120 bytes) or slow (one block, 121..1023 bytes). */
  const checkLink = (path: string, ino: number, inode: Inode): void => {
    if (inode.size === 0 || inode.size > MAX_LINK_TARGET) {
      problem(`${path}: symlink inode ${ino} has a target of ${inode.size} bytes (1..${MAX_LINK_TARGET})`);
      return;
    }
    if (isFastLink(inode)) {
      if (inode.size > FAST_LINK_MAX) problem(`${path}: fast symlink inode ${ino} claims ${inode.size} bytes, at most ${FAST_LINK_MAX} fit`);
      else if (inode.inline?.includes(0)) problem(`${path}: symlink inode ${ino} target contains a NUL byte`);
      return;
    }
    if (inode.size <= FAST_LINK_MAX) problem(`${path}: symlink inode ${ino} of ${inode.size} bytes should be a fast link (blocks ${inode.blocks})`);
    if (inode.blocks !== 1 || inode.indirect || inode.doubleIndirect || inode.direct.slice(1).some((b) => b !== 0)) {
      problem(`${path}: slow symlink inode ${ino} must hold exactly direct[0] (blocks ${inode.blocks})`);
    }
    inodeBlocks(ino, inode);
  };

  if (sb.inodeCount <= ROOT_INODE) {
    problem("superblock: inode table too small for the root directory");
    return;
  }
  const refs = new Map<number, number>(); // inode -> directory entries naming it
  const seenDirs = new Set<number>();
  const seenFiles = new Set<number>();
  const stack: { ino: number; parent: number; path: string }[] = [{ ino: ROOT_INODE, parent: ROOT_INODE, path: "/" }];
  while (stack.length > 0) {
    const { ino, parent, path } = stack.pop()!;
    if (seenDirs.has(ino)) {
      problem(`${path}: directory inode ${ino} is reached twice (directory cycle or hard link)`);
      continue;
    }
    seenDirs.add(ino);
    const inode = inodeAt(ino);
    if ((inode.mode & MODE.TYPE_MASK) !== MODE.DIR) {
      problem(`${path}: inode ${ino} is not a directory (mode 0x${inode.mode.toString(16)})`);
      continue;
    }
    r.stats.directories++;
    if (inode.inodeNum !== ino) problem(`inode ${ino}: inode_num field says ${inode.inodeNum}`);
    if (inode.size === 0 || inode.size % BLOCK_SIZE !== 0) problem(`${path}: directory size ${inode.size} is not a non-zero multiple of ${BLOCK_SIZE}`);
    if (inode.size > total * BLOCK_SIZE) {
      problem(`${path}: directory size ${inode.size} is larger than the volume`);
      continue;
    }
    const blocks = inodeBlocks(ino, inode);
    const names = new Set<string>();
    blocks.forEach((phys, idx) => {
      if (phys === 0) {
        problem(`${path}: directory block ${idx} is a hole`);
        return;
      }
      const data = readBlock(phys);
      for (let pos = 0, k = 0; pos < BLOCK_SIZE; k++) {
        const e = decodeDirEntry(data, pos);
        const where = `${path}: block ${idx} offset ${pos}`;
        if (e.recLen < DIR_ENTRY_HEADER || e.recLen % 8 !== 0 || pos + e.recLen > BLOCK_SIZE) {
          problem(`${where}: bad rec_len ${e.recLen}`);
          break;
        }
        pos += e.recLen;
        const first = idx === 0 && k === 0;
        const second = idx === 0 && k === 1;
        if (first && (e.name !== "." || e.inode !== ino)) problem(`${path}: first entry should be "." -> ${ino}, is "${e.name}" -> ${e.inode}`);
        if (second && (e.name !== ".." || e.inode !== parent)) problem(`${path}: second entry should be ".." -> ${parent}, is "${e.name}" -> ${e.inode}`);
        if (e.inode === 0) continue;
        if (e.nameLen === 0 || dirEntrySize(e.nameLen) > e.recLen) {
          problem(`${where}: name length ${e.nameLen} does not fit rec_len ${e.recLen}`);
          continue;
        }
        if (e.name.includes("/") || e.name.includes("\0")) problem(`${where}: name "${e.name}" contains '/' or NUL`);
        if (e.inode >= sb.inodeCount || e.inode === 1) {
          problem(`${where}: "${e.name}" names inode ${e.inode}, outside 2..${sb.inodeCount - 1}`);
          continue;
        }
        refs.set(e.inode, (refs.get(e.inode) ?? 0) + 1);
        if ((e.name === "." || e.name === "..") && (first || second)) continue;
        if (e.name === "." || e.name === "..") {
          problem(`${where}: extra "${e.name}" entry`);
          continue;
        }
        if (names.has(e.name)) problem(`${path}: name "${e.name}" appears twice`);
        names.add(e.name);
        const child = inodeAt(e.inode);
        const childPath = path === "/" ? `/${e.name}` : `${path}/${e.name}`;
        if (child.mode === 0) {
          problem(`${childPath}: entry names free inode ${e.inode}`);
          continue;
        }
        if (modeToFileType(child.mode) !== e.fileType) problem(`${childPath}: entry type ${e.fileType} does not match inode ${e.inode} mode 0x${child.mode.toString(16)}`);
        if (modeToFileType(child.mode) === FTYPE.UNKNOWN) {
          problem(`${childPath}: inode ${e.inode} has unknown type (mode 0x${child.mode.toString(16)})`);
          continue;
        }
        if ((child.mode & MODE.TYPE_MASK) === MODE.DIR) stack.push({ ino: e.inode, parent: ino, path: childPath });
        else if (!seenFiles.has(e.inode)) {
          seenFiles.add(e.inode);
          if ((child.mode & MODE.TYPE_MASK) !== MODE.LINK) r.stats.files++;
          if (child.inodeNum !== e.inode) problem(`inode ${e.inode}: inode_num field says ${child.inodeNum}`);
          if (child.size > total * BLOCK_SIZE) problem(`${childPath}: size ${child.size} is larger than the volume`);
          else if ((child.mode & MODE.TYPE_MASK) === MODE.LINK) {
            r.stats.links++;
            checkLink(childPath, e.inode, child);
          } else inodeBlocks(e.inode, child);
        }
      }
    });
  }

  // Inodes in use but unreachable, and link counts.
  let linksRecorded = false;
  for (let ino = ROOT_INODE; ino < sb.inodeCount; ino++) {
    const inode = inodeAt(ino);
    if (inode.mode === 0) continue;
    r.stats.inodesInUse++;
    const reached = seenDirs.has(ino) || seenFiles.has(ino);
    if (!reached) {
      problem(`inode ${ino} is in use (mode 0x${inode.mode.toString(16)}) but no directory names it`);
      continue;
    }
    if (inode.links === 0) continue;
    linksRecorded = true;
    const n = refs.get(ino) ?? 0;
    if (inode.links !== n) problem(`inode ${ino}: link count ${inode.links}, but ${n} directory entries name it`);
  }
  if (!linksRecorded && r.stats.inodesInUse > 0) r.notes.push("link counts not recorded (upstream mkfs image)");

  // Bitmap against the blocks in use.
  const bitmap = new Uint8Array(sb.bitmapBlocks * BLOCK_SIZE);
  for (let i = 0; i < sb.bitmapBlocks; i++) bitmap.set(readBlock(sb.bitmapStart + i), i * BLOCK_SIZE);
  const isSet = (b: number): boolean => (bitmap[b >> 3] & (1 << (b & 7))) !== 0;
  let used = 0;
  let shown = 0;
  const mismatch = (s: string): void => {
    if (shown++ < 20) problem(s);
  };
  for (let b = 0; b < total; b++) {
    const set = isSet(b);
    if (set) used++;
    const reserved = hasJournal && b >= reservedStart;
    if (b < sb.dataStart || reserved) {
      if (!set) mismatch(`bitmap: ${b < sb.dataStart ? "metadata" : "journal/backup"} block ${b} is marked free`);
    } else if (owner.has(b) && !set) mismatch(`bitmap: block ${b} (inode ${owner.get(b)}) is in use but marked free`);
    else if (!owner.has(b) && set && b < total - 1 && !(b >= reservedStart && !hasJournal)) mismatch(`bitmap: block ${b} is marked used but nothing uses it`);
  }
  if (shown > 20) problem(`bitmap: ... and ${shown - 20} more mismatches`);
  r.stats.usedBlocks = used;
  r.stats.freeBlocks = total - used;
  if (sb.freeBlocks !== total - used) problem(`superblock: free_blocks ${sb.freeBlocks}, bitmap says ${total - used}`);
}

function sameSuperblock(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK_SIZE; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The report as text lines, as `viperdos fsck` prints it. */
export function formatFsckReport(r: FsckReport): string[] {
  const s = r.stats;
  const lines = [
    ...r.problems.map((p) => `problem: ${p}`),
    ...r.notes.map((n) => `note: ${n}`),
    `${s.totalBlocks} blocks, ${s.usedBlocks} used, ${s.freeBlocks} free; ${s.inodesInUse} inodes in use (${s.directories} directories, ${s.files} files${s.links ? `, ${s.links} symlinks` : ""}); journal ${s.journal}`,
    r.clean ? "clean" : `${r.problems.length} problem(s)`,
  ];
  return lines;
}
