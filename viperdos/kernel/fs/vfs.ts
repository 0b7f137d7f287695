// The VFS: mounted ViperFS volumes (viperdos/fs/volume.ts over a BlockCache
// over the virtio-blk driver), assigns, per-process current directory and
// descriptor table, and open files (KernelObjects, so the same object backs
// a descriptor and a handle of the handle-fs calls).
//
// Paths (VIPERDOS.md, "Shell"): `/`-separated with an optional assign
// prefix, case-insensitive: `C:hello.prg`, `SYS:/s/startup`, `/c` (root of
// the current directory's volume), `t/x` (relative to the current
// directory). "." and ".." are resolved here (".." stops at a volume root).
//
// Assigns are kernel-wide (Amiga-style logical names), each naming a
// directory: SYS: and D0: the system disk's root; D1: the user disk's root
// (ours: the spec names no volume assign for it); C: /c, S: /s, L: /l,
// T: /t and CERTS: /certs of the user disk. SYS:, D0: and D1: cannot be
// removed or replaced (-6).
//
// Consistency (decision): every call that changes a volume is one journal
// transaction (journal-writer.ts): durable and whole when the call returns,
// and a crash at any point leaves the old or the new tree after the mount's
// replay. Volumes without a journal (upstream mkfs images) fall back to the
// volume's sync() and the cache's flush() after each call. A file write
// touches only the blocks in its range (Volume.writeAt: copy-on-write data
// blocks written "ordered", then inode/indirect/bitmap/superblock logged),
// so its cost is O(bytes written), not O(file size).
//
// Symbolic links (ViperFS fast/slow links, format.ts) are followed by
// walk(): always in the middle of a path, in the last component for open,
// stat and chdir (not for unlink, rename, mkdir, symlink, readlink); a target
// may be an assign path, absolute on its volume, or relative to the link's
// directory; more than MAX_LINK_HOPS (8) links in one walk is -512.
// Every OpenFile holds a reference on the mount's inode cache
// (inode-cache.ts): all opens of a file share one in-memory inode.
//
// A process's descriptors 0-2 are the console (syscall/dispatch.ts); file
// descriptors are 3..MAX_FDS-1. Per-process state lives in a WeakMap keyed by
// the Process, so proc/process.ts needs no file-system fields; the kernel
// calls inheritOnSpawn/inheritOnFork/closeAll at spawn, fork and exit.

import { BLOCK_SIZE, FsError, MODE, ROOT_INODE, type Inode } from "../../fs/format.js";
import { checkName, MAX_LINK_TARGET, Volume } from "../../fs/volume.js";
import { KernelObject, type IdSource } from "../cap/objects.js";
import { E } from "../errors.js";
import type { Process } from "../proc/process.js";
import { WouldBlock, type BlockCache } from "./blockcache.js";
import { InodeCache } from "./inode-cache.js";
import { JournalWriter, replayBeforeMount } from "./journal-writer.js";

/** First descriptor number for files (0-2 are the console). */
export const FIRST_FILE_FD = 3;
/** Descriptors per process (3..63 for files). */
export const MAX_FDS = 64;
/** Open flags (Linux values, as C programs expect). */
export const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, ACCMODE: 3, CREAT: 0x40, EXCL: 0x80, TRUNC: 0x200, APPEND: 0x400 } as const;
export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;
/** Symbolic links followed in one path walk before -512 (ELOOP). */
export const MAX_LINK_HOPS = 8;
/** Assigns that cannot be removed or re-pointed. */
const FIXED_ASSIGNS = new Set(["SYS", "D0", "D1"]);

export interface Mount {
  /** Volume assign name: "SYS" (system disk) or "D1" (user disk). */
  readonly name: string;
  readonly vol: Volume;
  readonly cache: BlockCache;
  /** Transactions for changes; undefined on a volume without a journal. */
  readonly journal?: JournalWriter;
  /** Inodes of open files, shared by every open (inode-cache.ts). */
  readonly icache: InodeCache;
}

/** A directory or file on a mount: `path` is absolute within the volume ("/" the root). */
export interface Location {
  mount: Mount;
  path: string;
}

/** An open file or directory. Descriptors and handles both hold references. */
export class OpenFile extends KernelObject {
  /** File position (bytes) or, for a directory, the index of the next entry. */
  pos = 0;

  constructor(
    readonly loc: Location,
    readonly ino: number,
    readonly isDir: boolean,
    readonly flags: number,
    ids?: IdSource,
  ) {
    super(isDir ? "dir" : "file", ids);
    loc.mount.icache.acquire(ino); // the caller checked that `ino` exists
  }

  /** The shared in-memory inode (inode cache), current as of the last change. */
  get inode(): Inode {
    return this.loc.mount.icache.lookup(this.ino) ?? this.loc.mount.vol.readInode(this.ino);
  }

  protected override onLastRelease(): void {
    this.loc.mount.icache.release(this.ino);
  }

  get readable(): boolean {
    return (this.flags & O.ACCMODE) !== O.WRONLY;
  }

  get writable(): boolean {
    return (this.flags & O.ACCMODE) !== O.RDONLY;
  }

  override describe(): Record<string, unknown> {
    return { volume: this.loc.mount.name, path: this.loc.path, ino: this.ino, pos: this.pos, flags: this.flags };
  }
}

interface ProcFs {
  cwd: Location;
  fds: Map<number, OpenFile>;
}

/** Map a Volume error to a kernel error code (never throws). */
export function fsErrorCode(e: unknown): number {
  if (!(e instanceof FsError)) throw e; // a kernel bug, not a user error
  const m = e.message;
  if (/no such file|not in directory/.test(m)) return E.NOT_FOUND;
  if (/already exists/.test(m)) return E.EXISTS;
  if (/not empty/.test(m)) return E.NOT_EMPTY;
  if (/is a directory/.test(m)) return E.IS_DIR;
  if (/not a directory/.test(m)) return E.NOT_DIR;
  if (/no free|too large/.test(m)) return /too large/.test(m) ? E.FILE_TOO_LARGE : E.NO_SPACE;
  if (/must be 1\.\.\d+ bytes/.test(m)) return E.NAME_TOO_LONG;
  if (/not a valid file name|into itself|root directory|symlink target must be/.test(m)) return E.INVALID_ARG;
  if (/I\/O error/.test(m)) return E.IO;
  return E.BAD_FS;
}

const isDirInode = (i: Inode): boolean => (i.mode & MODE.TYPE_MASK) === MODE.DIR;

/** Join and normalise path components ("." dropped, ".." pops, never above the root). */
function normalise(base: string, rel: string): string {
  const parts = rel.startsWith("/") ? [] : base.split("/").filter((p) => p !== "");
  for (const p of rel.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.join("/");
}

export interface VfsSnapshot {
  mounts: {
    name: string; label: string; totalBlocks: number; freeBlocks: number; cache: ReturnType<BlockCache["snapshot"]>;
    journal: ReturnType<JournalWriter["snapshot"]> | null; inodes: ReturnType<InodeCache["snapshot"]>;
  }[];
  assigns: { name: string; volume: string; path: string }[];
  processes: { pid: number; cwd: string; fds: { fd: number; path: string; pos: number; flags: number }[] }[];
}

export class Vfs {
  readonly mounts = new Map<string, Mount>();
  readonly assigns = new Map<string, Location>();
  /** Why the last mount of a volume name failed (for the boot log), by name. */
  readonly mountProblems = new Map<string, string>();
  private readonly procs = new WeakMap<Process, ProcFs>();
  /** Processes with state, for snapshots (weak map is not iterable). */
  private readonly known = new Set<Process>();

  constructor(private readonly ids?: IdSource) {}

  /**
   * Mount a ViperFS volume from `cache` as `name` ("SYS" or "D1") and set its
   * assigns. Returns the mount, or -508 (not ViperFS) / -500 (I/O error).
   */
  mount(name: "SYS" | "D1", cache: BlockCache): Mount | number {
    let vol: Volume;
    this.mountProblems.delete(name);
    try {
      replayBeforeMount(cache); // home blocks durable before the journal is emptied
      vol = Volume.open(cache);
      checkMountable(vol);
      // Mounting writes nothing unless a journal was replayed (upstream wrote to its disks at every boot).
      if (vol.replayed > 0) {
        vol.sync();
        cache.flush();
      }
    } catch (e) {
      const c = fsErrorCode(e);
      this.mountProblems.set(name, (e as Error).message);
      return c === E.IO ? c : E.BAD_FS;
    }
    let journal: JournalWriter | undefined;
    try {
      journal = new JournalWriter(vol, cache);
    } catch {
      journal = undefined; // no journal (upstream image): write in place
    }
    const m: Mount = { name, vol, cache, journal, icache: new InodeCache(vol, cache) };
    this.mounts.set(name, m);
    this.assigns.set(name, { mount: m, path: "/" });
    if (name === "SYS") this.assigns.set("D0", { mount: m, path: "/" });
    if (name === "D1") {
      for (const [a, dir] of [["C", "/c"], ["S", "/s"], ["L", "/l"], ["T", "/t"], ["CERTS", "/certs"]]) this.assigns.set(a, { mount: m, path: dir });
    }
    return m;
  }

  /** The mount a process starts in: SYS:, else the user disk, else undefined (no disks). */
  private defaultMount(): Mount | undefined {
    return this.mounts.get("SYS") ?? this.mounts.get("D1");
  }

  /** File-system state of `p` (created on first use: cwd at the default volume's root). */
  private state(p: Process): ProcFs | undefined {
    let s = this.procs.get(p);
    if (!s) {
      const m = this.defaultMount();
      if (!m) return undefined;
      s = { cwd: { mount: m, path: "/" }, fds: new Map() };
      this.procs.set(p, s);
      this.known.add(p);
    }
    return s;
  }

  /** A spawned child starts in its parent's current directory with no file descriptors. */
  inheritOnSpawn(parent: Process | undefined, child: Process): void {
    const ps = parent && this.procs.get(parent);
    if (!ps) return;
    this.procs.set(child, { cwd: { ...ps.cwd }, fds: new Map() });
    this.known.add(child);
  }

  /** A forked child shares its parent's open files (same offsets) and current directory. */
  inheritOnFork(parent: Process, child: Process): void {
    const ps = this.procs.get(parent);
    if (!ps) return;
    const fds = new Map<number, OpenFile>();
    for (const [fd, f] of ps.fds) {
      f.retain();
      fds.set(fd, f);
    }
    this.procs.set(child, { cwd: { ...ps.cwd }, fds });
    this.known.add(child);
  }

  /** Close every descriptor of an exiting process. */
  closeAll(p: Process): void {
    const s = this.procs.get(p);
    if (!s) return;
    for (const f of s.fds.values()) f.release();
    s.fds.clear();
    this.known.delete(p);
  }

  // --- paths --------------------------------------------------------------------------------

  /**
   * Resolve `path` for process `p` (undefined: assign paths only) to a location (which need not exist).
   * Errors: -2 empty path, -514 unknown assign, -4 no volume mounted.
   */
  resolve(p: Process | undefined, path: string): Location | number {
    if (path.length === 0) return E.INVALID_ARG;
    const colon = path.indexOf(":");
    if (colon >= 0 && !path.slice(0, colon).includes("/")) {
      const a = this.assigns.get(path.slice(0, colon).toUpperCase());
      if (!a) return E.NO_ASSIGN;
      const rest = path.slice(colon + 1);
      return { mount: a.mount, path: normalise(a.path, rest.startsWith("/") ? rest.slice(1) : rest) };
    }
    const s = p && this.state(p);
    if (!s) return E.NOT_FOUND;
    return { mount: s.cwd.mount, path: normalise(s.cwd.path, path) };
  }

  /** Inode at `loc` (symbolic links followed), or -4 (missing) / -502 (a non-directory on the way) / -512 (loop) / -508. */
  lookup(loc: Location): number {
    const r = this.walk(loc, true);
    return typeof r === "number" ? r : r.ino;
  }

  /**
   * Walk `loc` component by component from its volume's root, following
   * symbolic links in the middle of the path always and in the last
   * component when `followLast`. Returns the link-free location reached and
   * its inode (-4 when only the last component is missing: the location is
   * then where it would be created), or an error: -4 a missing directory on
   * the way, -502 a non-directory on the way, -512 more than MAX_LINK_HOPS
   * links, -514 a link to an unknown assign, -508 a malformed link.
   *
   * A link's target is an assign path ("C:tools/x": that assign), absolute
   * ("/x": the root of the link's own volume) or relative (to the directory
   * holding the link); the rest of the path is appended and "." / ".." are
   * resolved on the result (lexically, as everywhere in this VFS).
   */
  walk(loc: Location, followLast: boolean): { loc: Location; ino: number } | number {
    try {
      let mount = loc.mount;
      let parts = loc.path.split("/").filter((p) => p !== "");
      let hops = 0;
      for (;;) {
        const vol = mount.vol;
        let ino = ROOT_INODE;
        const done: string[] = [];
        let restarted = false;
        for (let i = 0; i < parts.length && !restarted; i++) {
          if (!isDirInode(vol.readInode(ino))) return E.NOT_DIR;
          const name = parts[i];
          const last = i === parts.length - 1;
          const child = vol.lookupIn(ino, name);
          if (child === 0) return last ? { loc: { mount, path: "/" + [...done, name].join("/") }, ino: E.NOT_FOUND } : E.NOT_FOUND;
          const inode = vol.readInode(child);
          if ((inode.mode & MODE.TYPE_MASK) === MODE.LINK && (!last || followLast)) {
            if (++hops > MAX_LINK_HOPS) return E.LOOP;
            const target = vol.readLink(child);
            const rest = parts.slice(i + 1).join("/");
            const colon = target.indexOf(":");
            let base: Location;
            if (colon >= 0 && !target.slice(0, colon).includes("/")) {
              const a = this.resolve(undefined, target);
              if (typeof a === "number") return a;
              base = a;
            } else base = { mount, path: normalise("/" + done.join("/"), target) };
            mount = base.mount;
            parts = normalise(base.path, rest).split("/").filter((p) => p !== "");
            restarted = true;
            continue;
          }
          done.push(name);
          ino = child;
        }
        if (!restarted) return { loc: { mount, path: "/" + done.join("/") }, ino };
      }
    } catch (e) {
      const c = fsErrorCode(e);
      return c === E.INVALID_ARG ? E.NOT_FOUND : c;
    }
  }

  /** `loc` with every link on the way resolved (the last one too when `followLast`), or an error from walk(). */
  private canonical(loc: Location, followLast: boolean): { loc: Location; ino: number } | number {
    return this.walk(loc, followLast);
  }

  /** Displayable name of a location: `SYS:`, `D1:c/hello.prg`. */
  display(loc: Location): string {
    return `${loc.mount.name}:${loc.path.slice(1)}`;
  }

  /** Run a volume change as one transaction (else sync the volume and flush its cache). Returns 0 or an error code. */
  private change(m: Mount, f: () => void): number {
    try {
      if (m.journal) m.journal.run(f);
      else {
        f();
        m.vol.sync();
        m.cache.flush();
      }
      m.icache.committed();
      return 0;
    } catch (e) {
      try {
        m.icache.rolledBack();
      } catch {
        // An I/O error reloading: the entries keep their last contents.
      }
      return fsErrorCode(e);
    }
  }

  /** Parent directory of `loc` must exist and be a directory; the last name must be valid. */
  private checkParent(loc: Location): number {
    if (loc.path === "/") return E.INVALID_ARG;
    const name = loc.path.slice(loc.path.lastIndexOf("/") + 1);
    try {
      checkName(name);
    } catch (e) {
      return fsErrorCode(e);
    }
    const parent = this.lookup({ mount: loc.mount, path: loc.path.slice(0, loc.path.lastIndexOf("/")) || "/" });
    if (parent < 0) return parent;
    return isDirInode(loc.mount.vol.readInode(parent)) ? 0 : E.NOT_DIR;
  }

  // --- open files ---------------------------------------------------------------------------

  /**
   * Open `loc` with O_* `flags`. Returns the OpenFile (refcount 0: the caller
   * retains it through a descriptor or handle) or an error: -4 missing (no
   * O_CREAT), -5 exists (O_CREAT|O_EXCL), -503 directory opened for writing,
   * -502 parent not a directory, -2 bad flags.
   */
  open(where: Location, flags: number): OpenFile | number {
    if ((flags & O.ACCMODE) === 3) return E.INVALID_ARG;
    const w = this.canonical(where, true);
    if (typeof w === "number") return w;
    const loc = w.loc;
    let ino = w.ino;
    if (ino === E.NOT_FOUND && flags & O.CREAT) {
      const bad = this.checkParent(loc);
      if (bad < 0) return bad;
      const r = this.change(loc.mount, () => void loc.mount.vol.writeFile(loc.path, new Uint8Array(0)));
      if (r < 0) return r;
      ino = this.lookup(loc);
    } else if (ino >= 0 && flags & O.CREAT && flags & O.EXCL) {
      return E.EXISTS;
    }
    if (ino < 0) return ino;
    const inode = loc.mount.vol.readInode(ino);
    const dir = isDirInode(inode);
    if (dir && (flags & O.ACCMODE) !== O.RDONLY) return E.IS_DIR;
    if (!dir && flags & O.TRUNC && (flags & O.ACCMODE) !== O.RDONLY && inode.size > 0) {
      const r = this.change(loc.mount, () => loc.mount.vol.truncateFile(ino));
      if (r < 0) return r;
    }
    try {
      return new OpenFile({ ...loc }, ino, dir, flags, this.ids);
    } catch (e) {
      return fsErrorCode(e);
    }
  }

  /** Drop an OpenFile that open() returned but no descriptor or handle took (its inode reference goes). */
  discard(f: OpenFile): void {
    if (f.refcount === 0 && !f.destroyed) {
      f.retain();
      f.release();
    }
  }

  /** Size of an open file now. */
  sizeOf(f: OpenFile): number {
    return f.inode.size;
  }

  /**
   * Read up to `len` bytes at the file position, advancing it. Returns the
   * bytes or -503/-6/-500. With the mount's cache in asyncMisses mode, a
   * miss throws WouldBlock (position unchanged) after starting the reads.
   */
  read(f: OpenFile, len: number): Uint8Array | number {
    if (f.isDir) return E.IS_DIR;
    if (!f.readable) return E.PERMISSION;
    try {
      const vol = f.loc.mount.vol;
      const inode = f.inode;
      const end = Math.min(inode.size, f.pos + len);
      if (end <= f.pos) return new Uint8Array(0);
      const cache = f.loc.mount.cache;
      if (cache.asyncMisses) {
        // Interrupt-driven: start every missing data block of the range at once, then wait for the first.
        let first = -1;
        for (let idx = Math.floor(f.pos / BLOCK_SIZE); idx * BLOCK_SIZE < end; idx++) {
          const b = vol.blockOf(inode, idx);
          if (b && !cache.has(b) && cache.startLoad(b) && first < 0) first = b;
        }
        if (first >= 0) throw new WouldBlock(first);
      }
      const first = Math.floor(f.pos / BLOCK_SIZE);
      if (Math.floor((end - 1) / BLOCK_SIZE) === first) {
        // Within one block: a view of the cached block, no copy (the syscall copies it to the user).
        const b = vol.blockOf(inode, first);
        const within = f.pos % BLOCK_SIZE;
        const view = b ? cache.peek(b).subarray(within, within + end - f.pos) : new Uint8Array(end - f.pos);
        f.pos = end;
        return view;
      }
      const out = new Uint8Array(end - f.pos);
      for (let at = f.pos; at < end; ) {
        const idx = Math.floor(at / BLOCK_SIZE);
        const within = at % BLOCK_SIZE;
        const n = Math.min(BLOCK_SIZE - within, end - at);
        const b = vol.blockOf(inode, idx);
        if (b) out.set(cache.peek(b).subarray(within, within + n), at - f.pos);
        at += n;
      }
      f.pos = end;
      return out;
    } catch (e) {
      return fsErrorCode(e);
    }
  }

  /**
   * Write `data` at the position (the end with O_APPEND), advancing it: one
   * transaction touching only the blocks in range (Volume.writeAt), by
   * inode, so an open file renamed meanwhile is still the one written.
   * Returns bytes written or an error (-6 not writable, -503, -513, -506, -500).
   */
  write(f: OpenFile, data: Uint8Array): number {
    if (f.isDir) return E.IS_DIR;
    if (!f.writable) return E.PERMISSION;
    if (data.length === 0) return 0;
    const vol = f.loc.mount.vol;
    let at = f.pos;
    const r = this.change(f.loc.mount, () => {
      if (f.flags & O.APPEND) at = vol.readInode(f.ino).size;
      vol.writeAt(f.ino, at, data);
    });
    if (r < 0) return r;
    f.pos = at + data.length;
    return data.length;
  }

  /** LSEEK: returns the new position or -2 (bad whence, negative result). */
  seek(f: OpenFile, offset: number, whence: number): number {
    const base = whence === SEEK.SET ? 0 : whence === SEEK.CUR ? f.pos : whence === SEEK.END ? (f.isDir ? 0 : this.sizeOf(f)) : -1;
    if (base < 0 || !Number.isSafeInteger(offset)) return E.INVALID_ARG;
    const to = base + offset;
    if (to < 0) return E.INVALID_ARG;
    f.pos = to;
    return to;
  }

  /** Every entry of an open directory ("." and ".." skipped); callers index them with the OpenFile position. Errors: -502, -508. */
  dirEntries(f: OpenFile): { name: string; ino: number; type: number; size: number }[] | number {
    if (!f.isDir) return E.NOT_DIR;
    try {
      const vol = f.loc.mount.vol;
      return vol.readDir(f.ino).filter((e) => e.name !== "." && e.name !== "..").map((e) => ({
        name: e.name, ino: e.inode, type: e.fileType, size: vol.readInode(e.inode).size,
      }));
    } catch (e) {
      return fsErrorCode(e);
    }
  }

  // --- names --------------------------------------------------------------------------------

  /** Inode metadata at `loc`, or an error from lookup. */
  stat(where: Location): Inode | number {
    const w = this.canonical(where, true);
    if (typeof w === "number") return w;
    return w.ino < 0 ? w.ino : w.loc.mount.vol.readInode(w.ino);
  }

  /** SYMLINK: a link at `where` (its last component not followed) to `target`. -5 exists, -4/-502 parent, -2 bad target, -505 name. */
  symlink(where: Location, target: string): number {
    const w = this.canonical(where, false);
    if (typeof w === "number") return w;
    if (w.ino >= 0) return E.EXISTS;
    const loc = w.loc;
    const bad = this.checkParent(loc);
    if (bad < 0) return bad;
    if (target.length === 0 || target.includes("\0") || new TextEncoder().encode(target).length > MAX_LINK_TARGET) return E.INVALID_ARG;
    return this.change(loc.mount, () => void loc.mount.vol.symlink(loc.path, target));
  }

  /** READLINK: the target text of the link at `where` (not followed). -4 missing, -2 not a link. */
  readlink(where: Location): string | number {
    const w = this.canonical(where, false);
    if (typeof w === "number") return w;
    if (w.ino < 0) return w.ino;
    try {
      const vol = w.loc.mount.vol;
      if ((vol.readInode(w.ino).mode & MODE.TYPE_MASK) !== MODE.LINK) return E.INVALID_ARG;
      return vol.readLink(w.ino);
    } catch (e) {
      return fsErrorCode(e);
    }
  }

  /** MKDIR: -5 exists, -4/-502 parent, -505 name. */
  mkdir(where: Location): number {
    const w = this.canonical(where, false);
    if (typeof w === "number") return w;
    if (w.ino >= 0) return E.EXISTS;
    const loc = w.loc;
    const bad = this.checkParent(loc);
    if (bad < 0) return bad;
    return this.change(loc.mount, () => void loc.mount.vol.mkdir(loc.path));
  }

  /** UNLINK (files) and RMDIR (empty directories): -4, -503/-502 wrong kind, -507 not empty, -8 a current directory. */
  remove(where: Location, wantDir: boolean): number {
    const w = this.canonical(where, false);
    if (typeof w === "number") return w;
    const { loc, ino } = w;
    if (ino < 0) return ino;
    if (loc.path === "/") return E.BUSY;
    const dir = isDirInode(loc.mount.vol.readInode(ino));
    if (dir !== wantDir) return wantDir ? E.NOT_DIR : E.IS_DIR;
    if (dir && this.inUseAsDirectory(loc.mount, ino)) return E.BUSY;
    return this.change(loc.mount, () => loc.mount.vol.remove(loc.path));
  }

  private inUseAsDirectory(m: Mount, ino: number): boolean {
    for (const a of this.assigns.values()) if (a.mount === m && this.lookup(a) === ino) return true;
    for (const p of this.known) {
      const s = this.procs.get(p);
      if (s && s.cwd.mount === m && this.lookup(s.cwd) === ino) return true;
    }
    return false;
  }

  /** RENAME: -511 across volumes, -4 source, -5 target exists, -2 into itself. */
  rename(fromWhere: Location, toWhere: Location): number {
    const f = this.canonical(fromWhere, false);
    if (typeof f === "number") return f;
    const t = this.canonical(toWhere, false);
    if (typeof t === "number") return t;
    const from = f.loc;
    const to = t.loc;
    if (from.mount !== to.mount) return E.CROSS_DEVICE;
    if (f.ino < 0) return f.ino;
    if (t.ino >= 0) return E.EXISTS;
    const bad = this.checkParent(to);
    if (bad < 0) return bad;
    return this.change(from.mount, () => from.mount.vol.rename(from.path, to.path));
  }

  // --- current directory ------------------------------------------------------------------------

  /** The current directory of `p` as text (`SYS:`, `D1:c`), or -4 with no volume. */
  getcwd(p: Process): string | number {
    const s = this.state(p);
    return s ? this.display(s.cwd) : E.NOT_FOUND;
  }

  /** CHDIR: -4 missing, -502 not a directory. */
  chdir(p: Process, loc: Location): number {
    const s = this.state(p);
    if (!s) return E.NOT_FOUND;
    const w = this.canonical(loc, true);
    if (typeof w === "number") return w;
    if (w.ino < 0) return w.ino;
    if (!isDirInode(w.loc.mount.vol.readInode(w.ino))) return E.NOT_DIR;
    s.cwd = { ...w.loc };
    return 0;
  }

  // --- descriptors ------------------------------------------------------------------------------

  /** Put `f` at the lowest free descriptor >= 3 (retaining it). Returns the fd or -509, -4 (no volume). */
  installFd(p: Process, f: OpenFile): number {
    const s = this.state(p);
    if (!s) return E.NOT_FOUND;
    for (let fd = FIRST_FILE_FD; fd < MAX_FDS; fd++) {
      if (!s.fds.has(fd)) {
        f.retain();
        s.fds.set(fd, f);
        return fd;
      }
    }
    return E.TOO_MANY_FILES;
  }

  /** The open file behind `fd`, or -100 (not open). */
  fd(p: Process, fd: number): OpenFile | number {
    return this.procs.get(p)?.fds.get(fd) ?? E.INVALID_HANDLE;
  }

  /** CLOSE: -100 when not open. */
  closeFd(p: Process, fd: number): number {
    const s = this.procs.get(p);
    const f = s?.fds.get(fd);
    if (!s || !f) return E.INVALID_HANDLE;
    s.fds.delete(fd);
    f.release();
    return 0;
  }

  /** DUP2 (newFd >= 3; closes newFd first) and DUP (newFd undefined: lowest free). Returns the fd or an error. */
  dup(p: Process, fd: number, newFd?: number): number {
    const f = this.fd(p, fd);
    if (typeof f === "number") return f;
    if (newFd === undefined) return this.installFd(p, f);
    if (!Number.isInteger(newFd) || newFd < FIRST_FILE_FD || newFd >= MAX_FDS) return E.INVALID_ARG;
    if (newFd === fd) return fd;
    const s = this.procs.get(p)!;
    const old = s.fds.get(newFd);
    f.retain();
    s.fds.set(newFd, f);
    old?.release();
    return newFd;
  }

  // --- assigns ------------------------------------------------------------------------------------

  /** ASSIGN_SET: NAME (letters, digits, _ -; 1..31) -> directory. -2 bad name, -6 fixed assign. */
  assignSet(name: string, dir: Location): number {
    const key = name.replace(/:$/, "").toUpperCase();
    if (!/^[A-Z0-9_-]{1,31}$/.test(key)) return E.INVALID_ARG;
    if (FIXED_ASSIGNS.has(key)) return E.PERMISSION;
    this.assigns.set(key, { ...dir });
    return 0;
  }

  /** ASSIGN_REMOVE: -514 unknown, -6 fixed. */
  assignRemove(name: string): number {
    const key = name.replace(/:$/, "").toUpperCase();
    if (FIXED_ASSIGNS.has(key)) return E.PERMISSION;
    return this.assigns.delete(key) ? 0 : E.NO_ASSIGN;
  }

  /** ASSIGN_GET: the assign's directory, or -514. */
  assignGet(name: string): Location | number {
    return this.assigns.get(name.replace(/:$/, "").toUpperCase()) ?? E.NO_ASSIGN;
  }

  /** Write back every mount's dirty blocks (shutdown, tests). Returns 0 or -500. */
  syncAll(): number {
    for (const m of this.mounts.values()) {
      const r = this.change(m, () => {});
      if (r < 0) return r;
    }
    return 0;
  }

  snapshot(): VfsSnapshot {
    return {
      mounts: [...this.mounts.values()].map((m) => ({
        name: m.name, label: m.vol.sb.label, totalBlocks: m.vol.sb.totalBlocks, freeBlocks: m.vol.sb.freeBlocks, cache: m.cache.snapshot(), journal: m.journal?.snapshot() ?? null,
        inodes: m.icache.snapshot(),
      })),
      assigns: [...this.assigns].map(([name, l]) => ({ name, volume: l.mount.name, path: l.path })).sort((a, b) => a.name.localeCompare(b.name)),
      processes: [...this.known].map((p) => {
        const s = this.procs.get(p)!;
        return { pid: p.pid, cwd: this.display(s.cwd), fds: [...s.fds].map(([fd, f]) => ({ fd, path: this.display(f.loc), pos: f.pos, flags: f.flags })) };
      }),
    };
  }
}

/**
 * Refuse a volume whose root cannot serve as one (checks beyond the
 * superblock's: root inode 2 is a directory whose records parse and whose
 * "." names itself). Deeper damage is found lazily: every later access
 * reports -508 for what it cannot read, never more. Errors: FsError.
 */
function checkMountable(vol: Volume): void {
  const root = vol.readInode(ROOT_INODE);
  if ((root.mode & MODE.TYPE_MASK) !== MODE.DIR) throw new FsError(`root inode ${ROOT_INODE} is not a directory (mode 0x${root.mode.toString(16)})`);
  const entries = vol.readDir(ROOT_INODE);
  if (entries[0]?.name !== "." || entries[0].inode !== ROOT_INODE) throw new FsError(`root directory does not start with "." naming inode ${ROOT_INODE}`);
}

/**
 * The bytes of the program TASK_SPAWN names, from the mounted volumes: the
 * path as given (an assign path, or relative to the parent's current
 * directory), then `C:<name>` and `C:<name>.prg`. Returns undefined when no
 * candidate is a regular file (the caller falls back to the boot image).
 */
export function findProgram(vfs: Vfs, parent: Process | undefined, path: string): Uint8Array | undefined {
  if (vfs.mounts.size === 0 || path.length === 0) return undefined;
  const base = path.replace(/^[^:/]*:/, "").replace(/^.*\//, "");
  const candidates = [path, ...(base ? [`C:${base}`, `C:${base}.prg`] : [])];
  for (const c of candidates) {
    const loc = vfs.resolve(parent, c);
    if (typeof loc === "number") continue;
    const ino = vfs.lookup(loc);
    if (ino < 0) continue;
    try {
      const inode = loc.mount.vol.readInode(ino);
      if ((inode.mode & MODE.TYPE_MASK) !== MODE.FILE) continue;
      return loc.mount.vol.readData(ino);
    } catch {
      continue;
    }
  }
  return undefined;
}
