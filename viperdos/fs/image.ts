// A disk image as an array of 4 KiB blocks, for the ViperFS layers. The host
// tools use MemoryImage over a Uint8Array (loaded from and saved to a file);
// the kernel driver will implement BlockDevice over virtio-blk.

import { readFileSync, writeFileSync } from "node:fs";
import { BLOCK_SIZE, FsError } from "./format.js";

/** What the file system layers need from a disk. */
export interface BlockDevice {
  /** Whole blocks the device holds (a trailing partial block is not counted). */
  readonly blockCount: number;
  /** A copy of block `n`. Throws FsError if n is out of range. */
  readBlock(n: number): Uint8Array;
  /** Replace block `n` with `data` (4096 bytes). Throws FsError if n is out of range. */
  writeBlock(n: number, data: Uint8Array): void;
  /** Block `n` without a copy, for reading only (optional: the kernel's block cache). Throws as readBlock. */
  peek?(n: number): Uint8Array;
}

export class MemoryImage implements BlockDevice {
  readonly blockCount: number;
  /** Blocks written since creation, in order (inspection, crash tests). */
  writes = 0;

  /** Wrap `bytes` (not copied: writes change it). */
  constructor(readonly bytes: Uint8Array) {
    this.blockCount = Math.floor(bytes.length / BLOCK_SIZE);
  }

  /** A zero-filled image of `blocks` blocks. */
  static blank(blocks: number): MemoryImage {
    return new MemoryImage(new Uint8Array(blocks * BLOCK_SIZE));
  }

  /** Read a whole image file into memory. Throws FsError naming the file on failure. */
  static load(path: string): MemoryImage {
    try {
      return new MemoryImage(new Uint8Array(readFileSync(path)));
    } catch (e) {
      throw new FsError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  /** Write the image back to `path`. Throws FsError on failure. */
  save(path: string): void {
    try {
      writeFileSync(path, this.bytes);
    } catch (e) {
      throw new FsError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  /** An independent copy. */
  clone(): MemoryImage {
    return new MemoryImage(this.bytes.slice());
  }

  private check(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.blockCount) {
      throw new FsError(`${what} of block ${n} beyond the image (${this.blockCount} blocks)`);
    }
  }

  readBlock(n: number): Uint8Array {
    this.check(n, "read");
    return this.bytes.slice(n * BLOCK_SIZE, (n + 1) * BLOCK_SIZE);
  }

  writeBlock(n: number, data: Uint8Array): void {
    this.check(n, "write");
    if (data.length !== BLOCK_SIZE) throw new FsError(`write of ${data.length} bytes to block ${n}: blocks are ${BLOCK_SIZE}`);
    this.bytes.set(data, n * BLOCK_SIZE);
    this.writes++;
  }
}
