// File-system syscalls over kernel/fs/vfs.ts: descriptors (0x40-0x49, files
// are fds >= 3; 0-2 are the console in dispatch.ts, which hands READ/WRITE
// on fds >= 3 to fileRead/fileWrite here), directories and the current
// directory (0x60-0x68; SYMLINK/READLINK: symbolic links, fs/vfs.ts walk()),
// handle-based access (0x80-0x87) and assigns
// (0xC0-0xC4). User memory goes through mm/uaccess: bad pointers give -2/-6.
//
// Structures written to user memory (little-endian; ours, frozen once used):
//   struct vd_stat (56 B):       u64 ino | u32 mode | u32 links | u64 size |
//                                u64 blocks | u64 atime | u64 mtime | u64 ctime
//   READDIR record (8-aligned):  u64 ino | u16 reclen | u8 type | u8 namelen |
//                                char name[namelen] NUL, padded to reclen
//                                ("." and ".." are not listed; 0 bytes = end)
//   struct vd_fs_dirent (280 B): u64 ino | u64 size | u32 type | u32 name_len |
//                                char name[256] (NUL-terminated)
//   struct vd_assign_info (256 B): char name[32] | char target[224], both
//                                NUL-terminated; target like "D1:c"
// type: 1 file, 2 directory, 7 symbolic link (ViperFS FTYPE).

import { E } from "../errors.js";
import { SYS } from "./table.js";
import { copyIn, copyInString, copyOut } from "../mm/uaccess.js";
import { Rights } from "../cap/rights.js";
import type { Kernel } from "../kernel.js";
import type { Task } from "../proc/process.js";
import { OpenFile, O, type Location } from "../fs/vfs.js";
import { WouldBlock } from "../fs/blockcache.js";
import { BLOCK, err, i32, i64, n, ok, u32, type HandlerTable, type Outcome } from "./abi.js";

const PATH_MAX = 1024;
/** Largest single read or write. */
const MAX_IO = 1 << 20;
export const VD_STAT_SIZE = 56;
export const VD_FS_DIRENT_SIZE = 280;
export const VD_ASSIGN_INFO_SIZE = 256;
const FILE_RIGHTS = Rights.READ | Rights.WRITE | Rights.DERIVE | Rights.TRANSFER;
const DIR_RIGHTS = Rights.READ | Rights.LIST | Rights.TRAVERSE | Rights.CREATE | Rights.DELETE | Rights.DERIVE | Rights.TRANSFER;
const utf8 = new TextEncoder();

function pathArg(k: Kernel, t: Task, va: bigint): Location | number {
  const s = copyInString(t.process.as, n(va), PATH_MAX);
  if (typeof s === "number") return s;
  return k.vfs.resolve(t.process, s);
}

function encodeStat(ino: number, i: { mode: number; links: number; size: number; blocks: number; atime: number; mtime: number; ctime: number }): Uint8Array {
  const out = new Uint8Array(VD_STAT_SIZE);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(ino), true);
  v.setUint32(8, i.mode >>> 0, true);
  v.setUint32(12, i.links >>> 0, true);
  v.setBigUint64(16, BigInt(i.size), true);
  v.setBigUint64(24, BigInt(i.blocks), true);
  v.setBigUint64(32, BigInt(i.atime), true);
  v.setBigUint64(40, BigInt(i.mtime), true);
  v.setBigUint64(48, BigInt(i.ctime), true);
  return out;
}

/** A C string field of `size` bytes (truncated, always NUL-terminated). */
function cField(out: Uint8Array, at: number, size: number, s: string): void {
  out.set(utf8.encode(s).subarray(0, size - 1), at);
}

/** READ on a file descriptor (fd >= 3). */
export function fileRead(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const f = k.vfs.fd(t.process, i32(a[0]));
  if (typeof f === "number") return err(f);
  return ioRead(f, t, a[1], a[2], k);
}

/** WRITE on a file descriptor (fd >= 3). */
export function fileWrite(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const f = k.vfs.fd(t.process, i32(a[0]));
  if (typeof f === "number") return err(f);
  return ioWrite(f, t, a[1], a[2], k);
}

function ioRead(f: OpenFile, t: Task, buf: bigint, lenArg: bigint, k: Kernel): Outcome {
  const len = Math.min(n(lenArg), MAX_IO);
  if (len < 0) return err(E.INVALID_ARG);
  const saved = f.pos;
  const bytes = readOrBlock(k, t, f, len);
  if (bytes === BLOCK) return BLOCK;
  if (typeof bytes === "number") return err(bytes);
  if (bytes.length === 0) return ok(0);
  const r = copyOut(t.process.as, n(buf), bytes);
  if (r < 0) {
    f.pos = saved; // nothing was delivered
    return err(r);
  }
  return ok(bytes.length);
}

/**
 * vfs.read with interrupt-driven misses: a block not in the cache is read
 * asynchronously and the task blocks (wait kind "irq" on the disk's INTID)
 * until the device's used-ring interrupt delivers it (drivers/virtio-blk.ts
 * onInterrupt -> BlockCache load callback -> wake); the READ then
 * re-executes from the start (nothing was changed). Without a driver that
 * can read asynchronously the read completes synchronously.
 */
function readOrBlock(k: Kernel, t: Task, f: OpenFile, len: number): Uint8Array | number | typeof BLOCK {
  const cache = f.loc.mount.cache;
  const intid = (cache.driver as { intid?: number }).intid;
  cache.asyncMisses = intid !== undefined;
  try {
    return k.vfs.read(f, len);
  } catch (e) {
    if (!(e instanceof WouldBlock)) throw e;
    cache.asyncMisses = false;
    if (!cache.whenLoaded(e.block, () => k.wakeTask(t, 0))) return k.vfs.read(f, len); // already arrived
    return k.blockOn(t, { kind: "irq", intid: intid! });
  } finally {
    cache.asyncMisses = false;
  }
}

function ioWrite(f: OpenFile, t: Task, buf: bigint, lenArg: bigint, k: Kernel): Outcome {
  const len = n(lenArg);
  if (len < 0 || len > MAX_IO) return err(E.INVALID_ARG);
  if (len === 0) return ok(0);
  const bytes = copyIn(t.process.as, n(buf), len);
  if (typeof bytes === "number") return err(bytes);
  const r = k.vfs.write(f, bytes);
  return r < 0 ? err(r) : ok(r);
}

function fdArg(k: Kernel, t: Task, v: bigint): OpenFile | number {
  return k.vfs.fd(t.process, i32(v));
}

function statOut(t: Task, va: bigint, loc: Location, ino: number, k: Kernel): Outcome {
  void k;
  const inode = loc.mount.vol.readInode(ino);
  const r = copyOut(t.process.as, n(va), encodeStat(ino, inode));
  return r < 0 ? err(r) : ok();
}

/** Open `loc` and put it in the caller's handle table. */
function openHandle(k: Kernel, t: Task, loc: Location, flags: number): Outcome {
  const f = k.vfs.open(loc, flags);
  if (typeof f === "number") return err(f);
  const rights = f.isDir ? DIR_RIGHTS : FILE_RIGHTS & ((f.readable ? Rights.READ : 0) | (f.writable ? Rights.WRITE : 0) | Rights.DERIVE | Rights.TRANSFER);
  const h = t.process.handles.insert(f, rights);
  if (h < 0) k.vfs.discard(f);
  return h < 0 ? err(h) : ok(h);
}

function handleFile(t: Task, h: bigint, need: number): OpenFile | number {
  return t.process.handles.getObject(u32(h), OpenFile, need);
}

function readDirRecords(f: OpenFile, k: Kernel, len: number): Uint8Array | number {
  const all = k.vfs.dirEntries(f);
  if (typeof all === "number") return all;
  const parts: Uint8Array[] = [];
  let used = 0;
  for (let i = f.pos; i < all.length; i++) {
    const e = all[i];
    const name = utf8.encode(e.name);
    const reclen = (12 + name.length + 1 + 7) & ~7;
    if (used + reclen > len) {
      if (used === 0) return E.INVALID_ARG; // buffer too small for one entry
      break;
    }
    const rec = new Uint8Array(reclen);
    const v = new DataView(rec.buffer);
    v.setBigUint64(0, BigInt(e.ino), true);
    v.setUint16(8, reclen, true);
    rec[10] = e.type;
    rec[11] = name.length;
    rec.set(name, 12);
    parts.push(rec);
    used += reclen;
  }
  const out = new Uint8Array(used);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return Object.assign(out, { entries: parts.length });
}

export const FS_HANDLERS: HandlerTable = [
  // --- descriptors -----------------------------------------------------------------------
  [SYS.OPEN, (k, t, a) => {
    const loc = pathArg(k, t, a[0]);
    if (typeof loc === "number") return err(loc);
    const f = k.vfs.open(loc, u32(a[1]));
    if (typeof f === "number") return err(f);
    const fd = k.vfs.installFd(t.process, f);
    if (fd < 0) k.vfs.discard(f);
    return fd < 0 ? err(fd) : ok(fd);
  }],
  [SYS.CLOSE, (k, t, a) => {
    const fd = i32(a[0]);
    if (fd >= 0 && fd < 3) return ok(); // the console stays open
    const r = k.vfs.closeFd(t.process, fd);
    return r < 0 ? err(r) : ok();
  }],
  [SYS.LSEEK, (k, t, a) => {
    const f = fdArg(k, t, a[0]);
    if (typeof f === "number") return err(f);
    const r = k.vfs.seek(f, i64(a[1]), i32(a[2]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.STAT, (k, t, a) => {
    const loc = pathArg(k, t, a[0]);
    if (typeof loc === "number") return err(loc);
    const ino = k.vfs.lookup(loc);
    return ino < 0 ? err(ino) : statOut(t, a[1], loc, ino, k);
  }],
  [SYS.FSTAT, (k, t, a) => {
    const f = fdArg(k, t, a[0]);
    if (typeof f === "number") return err(f);
    return statOut(t, a[1], f.loc, f.ino, k);
  }],
  [SYS.DUP, (k, t, a) => {
    const r = k.vfs.dup(t.process, i32(a[0]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.DUP2, (k, t, a) => {
    const r = k.vfs.dup(t.process, i32(a[0]), i32(a[1]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.FSYNC, (k, t, a) => {
    const f = fdArg(k, t, a[0]);
    if (typeof f === "number") return err(f);
    const r = k.vfs.syncAll(); // every change is already on disk (vfs.ts): this only flushes the device
    return r < 0 ? err(r) : ok();
  }],

  // --- directories -------------------------------------------------------------------------
  [SYS.READDIR, (k, t, a) => {
    const f = fdArg(k, t, a[0]);
    if (typeof f === "number") return err(f);
    const len = Math.min(n(a[2]), MAX_IO);
    if (len < 0) return err(E.INVALID_ARG);
    const recs = readDirRecords(f, k, len);
    if (typeof recs === "number") return err(recs);
    if (recs.length > 0) {
      const r = copyOut(t.process.as, n(a[1]), recs);
      if (r < 0) return err(r);
      f.pos += (recs as Uint8Array & { entries: number }).entries;
    }
    return ok(recs.length);
  }],
  [SYS.MKDIR, (k, t, a) => pathCall(k, t, a[0], (loc) => k.vfs.mkdir(loc))],
  [SYS.RMDIR, (k, t, a) => pathCall(k, t, a[0], (loc) => k.vfs.remove(loc, true))],
  [SYS.UNLINK, (k, t, a) => pathCall(k, t, a[0], (loc) => k.vfs.remove(loc, false))],
  [SYS.RENAME, (k, t, a) => {
    const from = pathArg(k, t, a[0]);
    if (typeof from === "number") return err(from);
    const to = pathArg(k, t, a[1]);
    if (typeof to === "number") return err(to);
    const r = k.vfs.rename(from, to);
    return r < 0 ? err(r) : ok();
  }],
  [SYS.SYMLINK, (k, t, a) => {
    const target = copyInString(t.process.as, n(a[0]), PATH_MAX);
    if (typeof target === "number") return err(target);
    const loc = pathArg(k, t, a[1]);
    if (typeof loc === "number") return err(loc);
    const r = k.vfs.symlink(loc, target);
    return r < 0 ? err(r) : ok();
  }],
  [SYS.READLINK, (k, t, a) => {
    const loc = pathArg(k, t, a[0]);
    if (typeof loc === "number") return err(loc);
    const target = k.vfs.readlink(loc);
    if (typeof target === "number") return err(target);
    const bytes = utf8.encode(target).subarray(0, Math.max(0, Math.min(n(a[2]), PATH_MAX)));
    if (bytes.length === 0) return ok(0);
    const r = copyOut(t.process.as, n(a[1]), bytes);
    return r < 0 ? err(r) : ok(bytes.length); // not NUL-terminated (VIPERDOS.md table)
  }],
  [SYS.GETCWD, (k, t, a) => {
    const cwd = k.vfs.getcwd(t.process);
    if (typeof cwd === "number") return err(cwd);
    const bytes = utf8.encode(cwd);
    const len = n(a[1]);
    if (len < bytes.length + 1) return err(E.INVALID_ARG);
    const out = new Uint8Array(bytes.length + 1);
    out.set(bytes);
    const r = copyOut(t.process.as, n(a[0]), out);
    return r < 0 ? err(r) : ok(bytes.length);
  }],
  [SYS.CHDIR, (k, t, a) => pathCall(k, t, a[0], (loc) => k.vfs.chdir(t.process, loc))],

  // --- handle-based file system ------------------------------------------------------------
  [SYS.FS_OPEN_ROOT, (k, t) => {
    const root = k.vfs.assignGet("SYS");
    if (typeof root === "number") return err(E.NOT_FOUND);
    return openHandle(k, t, root, O.RDONLY);
  }],
  [SYS.FS_OPEN, (k, t, a) => {
    const dir = handleFile(t, a[0], Rights.TRAVERSE);
    if (typeof dir === "number") return err(dir);
    if (!dir.isDir) return err(E.NOT_DIR);
    const len = n(a[2]);
    if (len <= 0 || len > PATH_MAX) return err(E.INVALID_ARG);
    const raw = copyIn(t.process.as, n(a[1]), len);
    if (typeof raw === "number") return err(raw);
    const name = new TextDecoder().decode(raw);
    if (name.includes(":") || name.includes("\0")) return err(E.INVALID_ARG);
    const base = dir.loc.path === "/" ? "" : dir.loc.path;
    const path = name.startsWith("/") ? name : `${base}/${name}`;
    const loc = k.vfs.resolve(t.process, `${dir.loc.mount.name}:${path}`);
    if (typeof loc === "number") return err(loc);
    return openHandle(k, t, loc, u32(a[3]));
  }],
  [SYS.IO_READ, (k, t, a) => {
    const f = handleFile(t, a[0], Rights.READ);
    return typeof f === "number" ? err(f) : ioRead(f, t, a[1], a[2], k);
  }],
  [SYS.IO_WRITE, (k, t, a) => {
    const f = handleFile(t, a[0], Rights.WRITE);
    return typeof f === "number" ? err(f) : ioWrite(f, t, a[1], a[2], k);
  }],
  [SYS.IO_SEEK, (k, t, a) => {
    const f = handleFile(t, a[0], 0);
    if (typeof f === "number") return err(f);
    const r = k.vfs.seek(f, i64(a[1]), i32(a[2]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.FS_READ_DIR, (k, t, a) => {
    const f = handleFile(t, a[0], Rights.LIST);
    if (typeof f === "number") return err(f);
    const all = k.vfs.dirEntries(f);
    if (typeof all === "number") return err(all);
    if (f.pos >= all.length) return ok(0);
    const e = all[f.pos];
    const out = new Uint8Array(VD_FS_DIRENT_SIZE);
    const v = new DataView(out.buffer);
    v.setBigUint64(0, BigInt(e.ino), true);
    v.setBigUint64(8, BigInt(e.size), true);
    v.setUint32(16, e.type, true);
    v.setUint32(20, utf8.encode(e.name).length, true);
    cField(out, 24, 256, e.name);
    const r = copyOut(t.process.as, n(a[1]), out);
    if (r < 0) return err(r);
    f.pos++;
    return ok(1);
  }],
  [SYS.FS_CLOSE, (_k, t, a) => {
    const f = handleFile(t, a[0], 0);
    if (typeof f === "number") return err(f);
    const r = t.process.handles.close(u32(a[0]));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.FS_REWIND_DIR, (_k, t, a) => {
    const f = handleFile(t, a[0], 0);
    if (typeof f === "number") return err(f);
    if (!f.isDir) return err(E.NOT_DIR);
    f.pos = 0;
    return ok();
  }],

  // --- assigns ---------------------------------------------------------------------------------
  [SYS.ASSIGN_SET, (k, t, a) => {
    const name = copyInString(t.process.as, n(a[0]), 64);
    if (typeof name === "number") return err(name);
    const dir = handleFile(t, a[1], 0);
    if (typeof dir === "number") return err(dir);
    if (!dir.isDir) return err(E.NOT_DIR);
    const r = k.vfs.assignSet(name, dir.loc);
    return r < 0 ? err(r) : ok();
  }],
  [SYS.ASSIGN_GET, (k, t, a) => {
    const name = copyInString(t.process.as, n(a[0]), 64);
    if (typeof name === "number") return err(name);
    const loc = k.vfs.assignGet(name);
    return typeof loc === "number" ? err(loc) : openHandle(k, t, loc, O.RDONLY);
  }],
  [SYS.ASSIGN_REMOVE, (k, t, a) => {
    const name = copyInString(t.process.as, n(a[0]), 64);
    if (typeof name === "number") return err(name);
    const r = k.vfs.assignRemove(name);
    return r < 0 ? err(r) : ok();
  }],
  [SYS.ASSIGN_LIST, (k, t, a) => {
    const list = [...k.vfs.assigns].sort(([x], [y]) => x.localeCompare(y));
    if (a[0] === 0n) return ok(list.length);
    const take = list.slice(0, Math.max(0, u32(a[1])));
    const out = new Uint8Array(take.length * VD_ASSIGN_INFO_SIZE);
    take.forEach(([name, loc], i) => {
      cField(out, i * VD_ASSIGN_INFO_SIZE, 32, name);
      cField(out, i * VD_ASSIGN_INFO_SIZE + 32, 224, k.vfs.display(loc));
    });
    const r = copyOut(t.process.as, n(a[0]), out);
    return r < 0 ? err(r) : ok(take.length);
  }],
  [SYS.ASSIGN_RESOLVE, (k, t, a) => {
    const loc = pathArg(k, t, a[0]);
    if (typeof loc === "number") return err(loc);
    return openHandle(k, t, loc, u32(a[1]) & ~(O.CREAT | O.TRUNC | O.EXCL));
  }],
];

function pathCall(k: Kernel, t: Task, va: bigint, f: (loc: Location) => number): Outcome {
  const loc = pathArg(k, t, va);
  if (typeof loc === "number") return err(loc);
  const r = f(loc);
  return r < 0 ? err(r) : ok();
}
