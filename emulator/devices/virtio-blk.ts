// virtio block device (virtio 1.x section 5.2): device ID 2, one request
// queue, backed by a host disk image.
//
// A request is one descriptor chain (5.2.6):
//   readable   struct virtio_blk_req header, 16 bytes:
//                le32 type | le32 reserved | le64 sector
//   readable   data (T_OUT)                      \ a multiple of 512 bytes
//   writable   data (T_IN, T_GET_ID: 20 bytes)   /
//   writable   u8 status: OK 0, IOERR 1, UNSUPP 2 (always the last byte)
// Types handled: T_IN 0, T_OUT 1, T_FLUSH 4, T_GET_ID 8; anything else is
// UNSUPP. Requests complete at once, in order.
//
// Config space (5.2.4), little-endian:
//   0x00 le64 capacity (512-byte sectors)   0x08 le32 size_max
//   0x0c le32 seg_max                       0x10 geometry (4 bytes, unused)
//   0x14 le32 blk_size                      0x18..0x1f topology (unused)
//   0x20 u8 writeback                       0x22 le16 num_queues
//
// Storage: the original image bytes are never modified. Writes land in a
// copy-on-write overlay of 4 KiB chunks; with `writeThrough` and a file
// path, a completed T_FLUSH writes the dirty chunks back to the file. Every
// completed write and flush is appended to a write log, from which
// crashImage() builds what a power cut would leave behind: writes followed by
// a completed flush are durable; writes after the last flush may each be
// lost or land in any order (at 512-byte sector granularity).
//
// Robustness: a short header, a data length that is not a whole number of
// sectors, a sector range beyond the capacity or a missing status byte gives
// IOERR (or, with no writable byte at all, a used entry of length 0); nothing
// a guest writes makes this module throw.

import { readFileSync, openSync, writeSync, closeSync } from "node:fs";
import { Rng } from "../rng.js";
import type { VirtioBackend } from "./virtio-mmio.js";
import type { Chain, Virtqueue } from "./virtqueue.js";

export const VIRTIO_ID_BLOCK = 2;
export const SECTOR_SIZE = 512;

/** Request types (5.2.6). */
export const VIRTIO_BLK_T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 } as const;
/** Request status byte values (5.2.6). */
export const VIRTIO_BLK_S = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
/** Feature bits (5.2.3). */
export const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
export const VIRTIO_BLK_F_RO = 1n << 5n;
export const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
export const VIRTIO_BLK_F_FLUSH = 1n << 9n;

const HEADER_SIZE = 16;
const ID_BYTES = 20;
const CHUNK = 4096;
const SEG_MAX = 126;

export interface VirtioBlkOptions {
  /** The disk contents (never modified), or a host file path read at start. */
  image: Uint8Array | string;
  /** Refuse writes (VIRTIO_BLK_F_RO; T_OUT gives IOERR). */
  readOnly?: boolean;
  /** With a file path: a completed T_FLUSH writes the overlay back to the file. */
  writeThrough?: boolean;
  /** The serial number T_GET_ID returns (at most 20 bytes). */
  serial?: string;
  /** Record writes and flushes for crashImage() (default true). */
  recordWrites?: boolean;
}

/** One entry of the write log, in completion order. */
export type BlkLogEntry = { kind: "write"; sector: number; data: Uint8Array } | { kind: "flush" };

/** Plain counters and layout for a notebook view. */
export interface VirtioBlkSnapshot {
  capacitySectors: number;
  readOnly: boolean;
  writeThrough: boolean;
  serial: string;
  overlayChunks: number;
  reads: number;
  writes: number;
  flushes: number;
  errors: number;
  unsupported: number;
  bytesRead: number;
  bytesWritten: number;
  logEntries: number;
  lastError: string | undefined;
}

interface BlkCounters {
  reads: number; writes: number; flushes: number; errors: number; unsupported: number; bytesRead: number; bytesWritten: number;
}

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly config = new Uint8Array(0x24);
  readonly queueCount = 1;
  readonly queueNumMax = 256;
  readonly capacitySectors: number;
  readonly readOnly: boolean;
  readonly writeThrough: boolean;
  readonly serial: string;
  /** The original bytes (a copy when read from a file; never written). */
  private readonly base: Uint8Array;
  private readonly path: string | undefined;
  /** Copy-on-write overlay: chunk index -> 4 KiB chunk. */
  private overlay = new Map<number, Uint8Array>();
  /** Chunks written since the last write-through flush. */
  private dirty = new Set<number>();
  private log: BlkLogEntry[] = [];
  private recordWrites: boolean;
  private counters: BlkCounters = { reads: 0, writes: 0, flushes: 0, errors: 0, unsupported: 0, bytesRead: 0, bytesWritten: 0 };
  lastError: string | undefined;

  /**
   * Build a block device over `opts.image`. Throws (host configuration error,
   * not guest input) if a path cannot be read or writeThrough lacks a path.
   */
  constructor(opts: VirtioBlkOptions) {
    if (typeof opts.image === "string") {
      this.path = opts.image;
      this.base = new Uint8Array(readFileSync(opts.image));
    } else {
      this.base = opts.image;
    }
    if (opts.writeThrough && this.path === undefined) throw new Error("VirtioBlk: writeThrough needs a file path image");
    this.readOnly = opts.readOnly ?? false;
    this.writeThrough = opts.writeThrough ?? false;
    this.recordWrites = opts.recordWrites ?? true;
    this.serial = (opts.serial ?? "viperdos-disk").slice(0, ID_BYTES);
    this.capacitySectors = Math.floor(this.base.length / SECTOR_SIZE);
    this.features = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | (this.readOnly ? VIRTIO_BLK_F_RO : 0n);
    const cfg = new DataView(this.config.buffer);
    cfg.setBigUint64(0x00, BigInt(this.capacitySectors), true);
    cfg.setUint32(0x0c, SEG_MAX, true);
    cfg.setUint32(0x14, SECTOR_SIZE, true);
    cfg.setUint16(0x22, 1, true);
  }

  /** Serve every available request on the queue. */
  onNotify(_queueIndex: number, queue: Virtqueue): void {
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) this.serve(queue, chain);
  }

  private fail(reason: string): number {
    this.counters.errors++;
    this.lastError = reason;
    return VIRTIO_BLK_S.IOERR;
  }

  private serve(queue: Virtqueue, chain: Chain): void {
    if (chain.writableLength < 1) {
      // Nowhere to put a status byte: return the chain untouched.
      this.fail("request without a writable status byte");
      queue.pushUsed(chain, 0);
      return;
    }
    const out = new Uint8Array(chain.writableLength);
    const dataLen = chain.writableLength - 1;
    let status: number;
    let written = 1;
    if (chain.readableLength < HEADER_SIZE) {
      status = this.fail(`request header is ${chain.readableLength} bytes, needs ${HEADER_SIZE}`);
    } else {
      const req = queue.readChain(chain);
      const hv = new DataView(req.buffer, req.byteOffset, HEADER_SIZE);
      const type = hv.getUint32(0, true);
      const sector = Number(hv.getBigUint64(8, true));
      switch (type) {
        case VIRTIO_BLK_T.IN:
          status = this.doRead(sector, out.subarray(0, dataLen));
          if (status === VIRTIO_BLK_S.OK) written = chain.writableLength;
          break;
        case VIRTIO_BLK_T.OUT:
          status = this.doWrite(sector, req.subarray(HEADER_SIZE));
          break;
        case VIRTIO_BLK_T.FLUSH:
          status = this.flush();
          break;
        case VIRTIO_BLK_T.GET_ID: {
          const id = new TextEncoder().encode(this.serial);
          out.set(id.subarray(0, Math.min(dataLen, ID_BYTES)));
          written = chain.writableLength;
          status = VIRTIO_BLK_S.OK;
          break;
        }
        default:
          this.counters.unsupported++;
          status = VIRTIO_BLK_S.UNSUPP;
      }
    }
    out[out.length - 1] = status;
    // Only the status byte is written on failure (its position is fixed: last).
    if (written === chain.writableLength) queue.writeChain(chain, out);
    else this.writeStatusOnly(queue, chain, status);
    queue.pushUsed(chain, written);
  }

  /** Write just the last writable byte of the chain (the status). */
  private writeStatusOnly(queue: Virtqueue, chain: Chain, status: number): void {
    // writeChain fills buffers front to back, so rebuild with the old bytes
    // would need a read; instead write a one-byte chain view of the tail.
    let seg = chain.writable[chain.writable.length - 1];
    for (let i = chain.writable.length - 1; i >= 0 && seg.len === 0; i--) seg = chain.writable[i];
    if (seg.len === 0) return;
    queue.writeChain({ head: chain.head, readable: [], writable: [{ addr: seg.addr + seg.len - 1, len: 1 }], readableLength: 0, writableLength: 1 }, Uint8Array.of(status));
  }

  private checkRange(sector: number, bytes: number, what: string): string | undefined {
    if (bytes % SECTOR_SIZE !== 0) return `${what}: length ${bytes} is not a multiple of ${SECTOR_SIZE}`;
    if (!Number.isSafeInteger(sector) || sector + bytes / SECTOR_SIZE > this.capacitySectors) {
      return `${what}: sectors ${sector}+${bytes / SECTOR_SIZE} beyond capacity ${this.capacitySectors}`;
    }
    return undefined;
  }

  private doRead(sector: number, into: Uint8Array): number {
    const bad = this.checkRange(sector, into.length, "T_IN");
    if (bad) return this.fail(bad);
    this.readBytes(sector * SECTOR_SIZE, into);
    this.counters.reads++;
    this.counters.bytesRead += into.length;
    return VIRTIO_BLK_S.OK;
  }

  private doWrite(sector: number, data: Uint8Array): number {
    if (this.readOnly) return this.fail("T_OUT on a read-only device");
    const bad = this.checkRange(sector, data.length, "T_OUT");
    if (bad) return this.fail(bad);
    this.writeBytes(sector * SECTOR_SIZE, data);
    this.counters.writes++;
    this.counters.bytesWritten += data.length;
    if (this.recordWrites) this.log.push({ kind: "write", sector, data: data.slice() });
    return VIRTIO_BLK_S.OK;
  }

  /** Complete a flush: with write-through, push dirty chunks to the file. Returns a status byte. */
  private flush(): number {
    if (this.writeThrough && this.path !== undefined && this.dirty.size > 0) {
      let fd: number | undefined;
      try {
        fd = openSync(this.path, "r+");
        for (const c of [...this.dirty].sort((a, b) => a - b)) {
          const chunk = this.overlay.get(c)!;
          const n = Math.min(CHUNK, this.base.length - c * CHUNK);
          writeSync(fd, chunk, 0, n, c * CHUNK);
        }
        this.dirty.clear();
      } catch (e) {
        return this.fail(`flush: ${(e as Error).message}`);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    this.counters.flushes++;
    if (this.recordWrites) this.log.push({ kind: "flush" });
    return VIRTIO_BLK_S.OK;
  }

  /** Copy `into.length` bytes of the current contents (overlay over original) from byte `offset`. Precondition: in range. */
  readBytes(offset: number, into: Uint8Array): void {
    for (let o = 0; o < into.length; ) {
      const c = Math.floor((offset + o) / CHUNK);
      const within = (offset + o) % CHUNK;
      const n = Math.min(CHUNK - within, into.length - o);
      const chunk = this.overlay.get(c);
      if (chunk) into.set(chunk.subarray(within, within + n), o);
      else into.set(this.base.subarray(offset + o, offset + o + n), o);
      o += n;
    }
  }

  private writeBytes(offset: number, data: Uint8Array): void {
    for (let o = 0; o < data.length; ) {
      const c = Math.floor((offset + o) / CHUNK);
      const within = (offset + o) % CHUNK;
      const n = Math.min(CHUNK - within, data.length - o);
      let chunk = this.overlay.get(c);
      if (!chunk) {
        chunk = new Uint8Array(CHUNK);
        chunk.set(this.base.subarray(c * CHUNK, Math.min(this.base.length, (c + 1) * CHUNK)));
        this.overlay.set(c, chunk);
      }
      chunk.set(data.subarray(o, o + n), within);
      this.dirty.add(c);
      o += n;
    }
  }

  /** The disk as the guest sees it now (original plus overlay), as a new array. */
  currentImage(): Uint8Array {
    const out = new Uint8Array(this.capacitySectors * SECTOR_SIZE);
    this.readBytes(0, out);
    return out;
  }

  /** The write log so far (completed writes and flushes, in order). */
  writeLog(): readonly BlkLogEntry[] {
    return this.log;
  }

  /** Forget the write log (the overlay stays). */
  clearWriteLog(): void {
    this.log = [];
  }

  /**
   * The image a power cut after the first `prefixLen` log entries would leave:
   * every write followed (within the prefix) by a flush is applied in order;
   * the writes after the last flush are all applied in order when
   * `reorderSeed` is undefined, otherwise split into 512-byte sectors of
   * which a seeded choice survives, landing in a seeded order.
   * Precondition: the log was recorded from the original image (recordWrites).
   */
  crashImage(prefixLen: number, reorderSeed?: number): Uint8Array {
    const img = this.base.slice(0, this.capacitySectors * SECTOR_SIZE);
    const prefix = this.log.slice(0, Math.max(0, prefixLen));
    let lastFlush = -1;
    prefix.forEach((e, i) => { if (e.kind === "flush") lastFlush = i; });
    for (let i = 0; i <= lastFlush; i++) {
      const e = prefix[i];
      if (e.kind === "write") img.set(e.data, e.sector * SECTOR_SIZE);
    }
    const pending = prefix.slice(lastFlush + 1).filter((e): e is Extract<BlkLogEntry, { kind: "write" }> => e.kind === "write");
    if (reorderSeed === undefined) {
      for (const e of pending) img.set(e.data, e.sector * SECTOR_SIZE);
      return img;
    }
    const sectors: { sector: number; data: Uint8Array }[] = [];
    for (const e of pending) {
      for (let s = 0; s < e.data.length / SECTOR_SIZE; s++) {
        sectors.push({ sector: e.sector + s, data: e.data.subarray(s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE) });
      }
    }
    const rng = new Rng(reorderSeed);
    for (let i = sectors.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [sectors[i], sectors[j]] = [sectors[j], sectors[i]];
    }
    for (const s of sectors) if (rng.nextInt(2) === 1) img.set(s.data, s.sector * SECTOR_SIZE);
    return img;
  }

  reset(): void {}

  snapshot(): VirtioBlkSnapshot {
    return {
      capacitySectors: this.capacitySectors, readOnly: this.readOnly, writeThrough: this.writeThrough, serial: this.serial,
      overlayChunks: this.overlay.size, ...this.counters, logEntries: this.log.length, lastError: this.lastError,
    };
  }

  /** Overlay and counters (the original image is configuration, not state). */
  saveState(): { overlay: [number, string][]; dirty: number[]; counters: BlkCounters } {
    return {
      overlay: [...this.overlay].map(([c, b]) => [c, Buffer.from(b).toString("base64")]),
      dirty: [...this.dirty],
      counters: { ...this.counters },
    };
  }

  loadState(st: unknown): void {
    const s = st as ReturnType<VirtioBlk["saveState"]>;
    this.overlay = new Map(s.overlay.map(([c, b]) => [c, new Uint8Array(Buffer.from(b, "base64"))]));
    this.dirty = new Set(s.dirty);
    this.counters = { ...s.counters };
  }
}
