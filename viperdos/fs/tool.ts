// Host-side file operations on a ViperFS image (the `viperdos fs` command):
// ls, cat, put, rm, mkdir, ln, readlink. Each opens the image through Volume (replaying a
// committed journal), works, and for updates writes the bitmap and both
// superblocks back, so fsck stays clean. Errors are FsError.

import { FsError, FTYPE, MODE } from "./format.js";
import { MemoryImage } from "./image.js";
import { Volume } from "./volume.js";

/** One `ls` line per entry: type, size, inode, name ("d" directories, "-" files, "l" links). */
export function fsLs(img: MemoryImage, path: string): string[] {
  const vol = Volume.open(img);
  const ino = vol.lookup(path);
  if ((vol.readInode(ino).mode & MODE.TYPE_MASK) !== MODE.DIR) {
    const i = vol.readInode(ino);
    return [`- ${String(i.size).padStart(9)} ${String(ino).padStart(5)} ${path}`];
  }
  return vol.list(path)
    .filter((e) => e.name !== "." && e.name !== "..")
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => {
      const t = e.fileType === FTYPE.DIR ? "d" : e.fileType === FTYPE.LINK ? "l" : "-";
      const arrow = e.fileType === FTYPE.LINK ? ` -> ${linkText(vol, e.inode)}` : "";
      return `${t} ${String(e.size).padStart(9)} ${String(e.inode).padStart(5)} ${e.name}${arrow}`;
    });
}

function linkText(vol: Volume, ino: number): string {
  try {
    return vol.readLink(ino);
  } catch (e) {
    return `(bad link: ${(e as Error).message})`;
  }
}

/** Create symbolic link `path` -> `target` (creating missing parent directories). Returns the inode. Errors: exists, bad target. */
export function fsLn(img: MemoryImage, path: string, target: string, now = 0): number {
  const vol = Volume.open(img, { now: () => now });
  const parts = path.split("/").filter((p) => p !== "");
  vol.mkdirs(parts.slice(0, -1).join("/"));
  const ino = vol.symlink(path, target);
  vol.sync();
  return ino;
}

/** The target text of symbolic link `path` (the link itself, not followed). Errors: missing, not a link. */
export function fsReadlink(img: MemoryImage, path: string): string {
  const vol = Volume.open(img);
  return vol.readLink(vol.lookup(path));
}

/** The contents of file `path`. Errors: missing, a directory, bad pointers. */
export function fsCat(img: MemoryImage, path: string): Uint8Array {
  const vol = Volume.open(img);
  const ino = vol.lookup(path);
  if ((vol.readInode(ino).mode & MODE.TYPE_MASK) === MODE.DIR) throw new FsError(`${path}: is a directory`);
  return vol.readData(ino);
}

/** Create or replace `path` with `data`, creating missing parent directories. Returns the inode. */
export function fsPut(img: MemoryImage, path: string, data: Uint8Array, now = 0): number {
  const vol = Volume.open(img, { now: () => now });
  const parts = path.split("/").filter((p) => p !== "");
  vol.mkdirs(parts.slice(0, -1).join("/"));
  const ino = vol.writeFile(path, data);
  vol.sync();
  return ino;
}

/** Remove file `path` (or an empty directory). */
export function fsRm(img: MemoryImage, path: string): void {
  const vol = Volume.open(img);
  vol.remove(path);
  vol.sync();
}

/** Create directory `path` and missing parents. Returns its inode. */
export function fsMkdir(img: MemoryImage, path: string, now = 0): number {
  const vol = Volume.open(img, { now: () => now });
  const ino = vol.mkdirs(path);
  vol.sync();
  return ino;
}
