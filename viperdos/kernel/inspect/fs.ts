// Read-only views of the mounted file systems for notebooks (%fs, %journal,
// path completion): what is on the disk now, read from the virtio-blk
// device's current image (never through the kernel's block cache, so taking
// a view changes no LRU order, statistic or pending I/O). Blocks the cache
// holds dirty (not yet written back) are listed beside, so a view taken in
// the middle of a transaction says what it cannot show yet.

import type { Kernel } from "../kernel.js";
import type { Mount } from "../fs/vfs.js";
import { BLOCK_SIZE, decodeDirEntry, DIR_ENTRY_HEADER, FsError, MODE, PTRS_PER_BLOCK, type Inode } from "../../fs/format.js";
import type { BlockDevice } from "../../fs/image.js";
import { Volume } from "../../fs/volume.js";
import { readJournal } from "../../fs/journal.js";

/** The disk behind a mount, read-only, as the device holds it now. */
function diskOf(k: Kernel, m: Mount): BlockDevice | undefined {
  const dev = m.name === "SYS" ? k.disks.sys : k.disks.user;
  if (!dev) return undefined;
  const blockCount = m.cache.blockCount;
  return {
    blockCount,
    readBlock(n: number): Uint8Array {
      if (!Number.isSafeInteger(n) || n < 0 || n >= blockCount) throw new FsError(`block ${n} beyond the disk (${blockCount} blocks)`);
      const b = new Uint8Array(BLOCK_SIZE);
      dev.readBytes(n * BLOCK_SIZE, b);
      return b;
    },
    writeBlock(): void {
      throw new FsError("inspection views are read-only");
    },
  };
}

const TYPE_NAMES: Record<number, string> = { [MODE.FILE]: "file", [MODE.DIR]: "directory", [MODE.LINK]: "symlink" };

export interface FsPathSnapshot {
  path: string;
  /** Mount ("SYS" or "D1") and the path inside the volume. */
  volume: string;
  volumePath: string;
  ino: number;
  type: string;
  inode: Omit<Inode, "inline"> & { inlineTarget?: string };
  /** Logical -> physical block of every data block (0: a hole). */
  blockMap: { logical: number; physical: number }[];
  /** Pointer blocks: the indirect block, the double-indirect block and its second-level blocks. */
  pointerBlocks: { role: string; block: number }[];
  /** For a directory: every record of every block, deleted ones (inode 0) included. */
  dirRecords: { block: number; logical: number; offset: number; inode: number; recLen: number; nameLen: number; fileType: number; name: string; deleted: boolean; slack: number }[] | null;
  /** Blocks of this file the cache holds dirty (newer than the disk view). */
  dirtyInCache: number[];
}

/**
 * The inode, block map and directory records of `path` (an assign path such
 * as "C:hello.prg" or "SYS:", or relative to process `pid`'s current
 * directory). Returns an error message for a missing path, no disk or a
 * damaged structure (never throws for bad input).
 */
export function inspectPath(k: Kernel, path: string, pid?: number): FsPathSnapshot | { error: string } {
  const p = pid === undefined ? undefined : k.process(pid);
  const loc = k.vfs.resolve(p?.state === "live" ? p : undefined, path);
  if (typeof loc === "number") return { error: `${path}: cannot resolve (error ${loc}${loc === -4 ? ": no such file or directory" : ""})` };
  const dev = diskOf(k, loc.mount);
  if (!dev) return { error: `${path}: volume ${loc.mount.name} has no disk` };
  try {
    const vol = Volume.open(dev, { replay: false });
    const ino = vol.lookup(loc.path);
    const inode = vol.readInode(ino);
    const type = TYPE_NAMES[inode.mode & MODE.TYPE_MASK] ?? `mode 0x${inode.mode.toString(16)}`;
    const blockMap: FsPathSnapshot["blockMap"] = [];
    if (!inode.inline) for (let i = 0; i * BLOCK_SIZE < inode.size; i++) blockMap.push({ logical: i, physical: vol.blockOf(inode, i) });
    const pointerBlocks: FsPathSnapshot["pointerBlocks"] = [];
    if (!inode.inline) {
      if (inode.indirect) pointerBlocks.push({ role: "indirect", block: inode.indirect });
      if (inode.doubleIndirect) {
        pointerBlocks.push({ role: "double-indirect", block: inode.doubleIndirect });
        const d = new DataView(dev.readBlock(inode.doubleIndirect).buffer);
        for (let i = 0; i < PTRS_PER_BLOCK; i++) {
          const l1 = Number(d.getBigUint64(8 * i, true));
          if (l1) pointerBlocks.push({ role: `double-indirect[${i}]`, block: l1 });
        }
      }
    }
    let dirRecords: FsPathSnapshot["dirRecords"] = null;
    if ((inode.mode & MODE.TYPE_MASK) === MODE.DIR) {
      dirRecords = [];
      for (const { logical, physical } of blockMap) {
        if (physical === 0) continue;
        const data = dev.readBlock(physical);
        for (let pos = 0; pos < BLOCK_SIZE; ) {
          const e = decodeDirEntry(data, pos);
          if (e.recLen < DIR_ENTRY_HEADER || e.recLen % 8 !== 0 || pos + e.recLen > BLOCK_SIZE) {
            return { error: `${path}: directory block ${logical} (block ${physical}) has a bad record length ${e.recLen} at offset ${pos}` };
          }
          const used = e.inode === 0 ? 0 : (DIR_ENTRY_HEADER + e.nameLen + 7) & ~7;
          dirRecords.push({ block: physical, logical, offset: pos, inode: e.inode, recLen: e.recLen, nameLen: e.nameLen, fileType: e.fileType, name: e.inode === 0 ? "" : e.name, deleted: e.inode === 0, slack: e.recLen - used });
          pos += e.recLen;
        }
      }
    }
    const mine = new Set([...blockMap.map((b) => b.physical), ...pointerBlocks.map((b) => b.block), vol.inodeLocation(ino).block]);
    const dirtyInCache = loc.mount.cache.snapshot().dirtyBlocks.filter((b) => mine.has(b));
    const { inline, ...rest } = inode;
    return {
      path,
      volume: loc.mount.name,
      volumePath: loc.path,
      ino,
      type,
      inode: { ...rest, direct: [...rest.direct], ...(inline ? { inlineTarget: new TextDecoder().decode(inline) } : {}) },
      blockMap,
      pointerBlocks,
      dirRecords,
      dirtyInCache,
    };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Names in directory `path` (assigns resolved; relative to `pid`'s current
 * directory), for completion: name, type, size. An error message when it is
 * not a readable directory.
 */
export function listDirectory(k: Kernel, path: string, pid?: number): { name: string; type: string; size: number }[] | { error: string } {
  const s = inspectPath(k, path, pid);
  if ("error" in s) return s;
  if (!s.dirRecords) return { error: `${path}: not a directory` };
  const dev = diskOf(k, k.vfs.mounts.get(s.volume)!)!;
  try {
    const vol = Volume.open(dev, { replay: false });
    return s.dirRecords
      .filter((r) => !r.deleted && r.name !== "." && r.name !== "..")
      .map((r) => {
        const i = vol.readInode(r.inode);
        return { name: r.name, type: TYPE_NAMES[i.mode & MODE.TYPE_MASK] ?? "other", size: i.size };
      });
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Every mount's journal: the kernel writer's counters and last transaction, and the on-disk journal with each transaction's state. */
export function inspectJournal(k: Kernel) {
  return {
    mounts: [...k.vfs.mounts.values()].map((m) => {
      const dev = diskOf(k, m);
      let onDisk: ReturnType<typeof readJournal> | { error: string } | null = null;
      if (dev) {
        try {
          const vol = Volume.open(dev, { replay: false });
          onDisk = readJournal(dev, vol.sb);
        } catch (e) {
          onDisk = { error: e instanceof Error ? e.message : String(e) };
        }
      }
      const cache = m.cache.snapshot();
      return {
        volume: m.name,
        label: m.vol.sb.label,
        writer: m.journal?.snapshot() ?? null,
        onDisk,
        cache: { dirty: cache.dirtyBlocks, holdDirty: m.cache.holdDirty },
      };
    }),
    assigns: k.vfs.snapshot().assigns,
  };
}

export type JournalSnapshot = ReturnType<typeof inspectJournal>;
