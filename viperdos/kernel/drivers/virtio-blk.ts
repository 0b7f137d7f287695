// virtio-blk driver over the virtio-mmio v2 transport (virtio 1.x sections
// 3.1 "device initialization", 2.7 "split virtqueues", 4.2.3 "MMIO
// transport", 5.2 "block device"). Everything goes through architectural
// interfaces: MMIO register accesses and guest RAM (the rings and buffers
// are pages from the kernel's Pmm).
//
// One request queue (queue 0) of QUEUE_SIZE descriptors in three pages:
//   desc page    descriptor table, 16 B each: le64 addr | le32 len | le16 flags | le16 next
//   avail page   le16 flags | le16 idx | le16 ring[QUEUE_SIZE]
//   used page    le16 flags | le16 idx | { le32 id, le32 len }[QUEUE_SIZE]
// and request slots: slot i owns descriptors 3i..3i+2 (a chain: header
// device-readable, data device-writable for T_IN / readable for T_OUT,
// status device-writable), 32 bytes of the header page (16-byte request
// header at 32i, status byte at 32i+16) and one 4 KiB data page.
//
// Completion by interrupt. A request is put on the avail ring and the
// device notified; the device puts the chain on the used ring and raises
// its interrupt (INTID 48+slot) through the GIC. The kernel's IRQ handler
// calls onInterrupt(), which acknowledges the device (InterruptACK) and
// reaps the used ring: each finished request's callback runs there. That is
// how a READ that misses the block cache waits (submitRead(); the task
// blocks, kernel/syscall/fs.ts; the callback fills the cache and wakes it).
// Requests issued inside a journal transaction or a mount (readBlock,
// writeBlock, flush) are synchronous: the caller cannot sleep half-way
// through a transaction, so after the notify the driver reaps the used ring
// itself (our device completes at the notify; a slower one is waited for up
// to a bound, then -500) and acks the interrupt it raised. Both paths share
// one reaper, so an asynchronous completion seen during a synchronous
// request still runs its callback.

import type { Machine } from "../../../emulator/machine.js";
import type { Pmm } from "../mm/pmm.js";
import type { VirtioDeviceInfo } from "./virtio-probe.js";
import { VirtioTransport } from "./virtio-transport.js";

export const VIRTIO_BLK_DEVICE_ID = 2;
export const SECTOR_SIZE = 512;
export const BLK_BLOCK_SIZE = 4096;
const QUEUE_SIZE = 32;
/** Request slots (3 descriptors each). */
const SLOTS = Math.floor(QUEUE_SIZE / 3);
const SLOT_HDR = 32;

const F_RO = 1 << 5;
const F_BLK_SIZE = 1 << 6;
const F_FLUSH = 1 << 9;
const DESC_F_NEXT = 1;
const DESC_F_WRITE = 2;
const T_IN = 0;
const T_OUT = 1;
const T_FLUSH = 4;

/** Driver counters for the inspection API. */
export interface VirtioBlkDriverSnapshot {
  slot: number;
  intid: number;
  capacitySectors: number;
  readOnly: boolean;
  flushSupported: boolean;
  reads: number;
  writes: number;
  flushes: number;
  errors: number;
  interrupts: number;
  /** Requests completed through the interrupt path (reaped in onInterrupt) / by the synchronous caller. */
  irqCompletions: number;
  syncCompletions: number;
  asyncReads: number;
  inFlight: number;
  lastError: string | undefined;
}

/** One request in flight. */
interface Req {
  slot: number;
  done: boolean;
  status: number;
  /** Asynchronous reads: called from the reaper with the block or -500. */
  onDone?: (r: Uint8Array | number) => void;
  block: number;
}

export class VirtioBlkDriver {
  readonly slot: number;
  readonly intid: number;
  readonly base: number;
  capacitySectors = 0;
  readOnly = false;
  flushSupported = false;
  private desc = 0;
  private avail = 0;
  private used = 0;
  private hdrPage = 0;
  private dataPages: number[] = [];
  private availIdx = 0;
  private lastUsed = 0;
  private readonly freeSlots: number[] = [];
  private readonly inflight = new Map<number, Req>();
  private inIrq = false;
  private counters = { reads: 0, writes: 0, flushes: 0, errors: 0, interrupts: 0, irqCompletions: 0, syncCompletions: 0, asyncReads: 0 };
  lastError: string | undefined;

  private readonly io: VirtioTransport;

  private constructor(private readonly machine: Machine, info: VirtioDeviceInfo) {
    this.io = new VirtioTransport(machine, info, "virtio-blk");
    this.slot = info.slot;
    this.intid = info.intid;
    this.base = info.base;
  }

  /**
   * Initialise the block device `info` (virtio 1.x 3.1.1): reset,
   * ACKNOWLEDGE, DRIVER, feature negotiation, FEATURES_OK, queue 0 in pages
   * from `pmm`, DRIVER_OK. Returns the driver, or a reason string when the
   * device refuses (status FAILED is then set) or memory runs out.
   */
  static init(machine: Machine, pmm: Pmm, info: VirtioDeviceInfo): VirtioBlkDriver | string {
    if (info.deviceId !== VIRTIO_BLK_DEVICE_ID) return `slot ${info.slot} is not a block device (id ${info.deviceId})`;
    const d = new VirtioBlkDriver(machine, info);
    return d.start(pmm);
  }

  private start(pmm: Pmm): VirtioBlkDriver | string {
    const io = this.io;
    const want = io.negotiate(F_RO | F_BLK_SIZE | F_FLUSH);
    if (typeof want === "string") return want;
    this.readOnly = (want & F_RO) !== 0;
    this.flushSupported = (want & F_FLUSH) !== 0;
    this.capacitySectors = io.config64(0);

    const max = io.queueMax(0);
    if (max < QUEUE_SIZE) return io.failed(`queue 0 holds ${max} descriptors, need ${QUEUE_SIZE}`);
    const pages = Array.from({ length: 4 + SLOTS }, () => pmm.alloc());
    if (pages.some((p) => p < 0)) {
      for (const p of pages) if (p >= 0) pmm.free(p);
      return io.failed("out of memory for the virtqueue");
    }
    [this.desc, this.avail, this.used, this.hdrPage] = pages;
    this.dataPages = pages.slice(4);
    for (let i = SLOTS - 1; i >= 0; i--) this.freeSlots.push(i);
    const bad = io.setupQueue(0, QUEUE_SIZE, this.desc, this.avail, this.used);
    if (bad !== undefined) return bad;
    io.driverOk();
    return this;
  }

  /** Whole 4 KiB blocks on the disk. */
  get blockCount(): number {
    return Math.floor((this.capacitySectors * SECTOR_SIZE) / BLK_BLOCK_SIZE);
  }

  private putDesc(i: number, addr: number, len: number, flags: number, next: number): void {
    const bus = this.machine.bus;
    const at = this.desc + 16 * i;
    bus.write(at, 8, BigInt(addr));
    bus.write(at + 8, 4, BigInt(len));
    bus.write(at + 12, 2, BigInt(flags));
    bus.write(at + 14, 2, BigInt(next));
  }

  /** Put slot `slot`'s request chain on the avail ring and notify the device. */
  private submit(slot: number, type: number, sector: number, dataLen: number, deviceWrites: boolean): void {
    const bus = this.machine.bus;
    const hdr = this.hdrPage + SLOT_HDR * slot;
    const d = 3 * slot;
    bus.write(hdr, 4, BigInt(type));
    bus.write(hdr + 4, 4, 0n);
    bus.write(hdr + 8, 8, BigInt(sector));
    bus.write(hdr + 16, 1, 0xffn); // status: overwritten by the device
    if (dataLen > 0) {
      this.putDesc(d, hdr, 16, DESC_F_NEXT, d + 1);
      this.putDesc(d + 1, this.dataPages[slot], dataLen, DESC_F_NEXT | (deviceWrites ? DESC_F_WRITE : 0), d + 2);
      this.putDesc(d + 2, hdr + 16, 1, DESC_F_WRITE, 0);
    } else {
      this.putDesc(d, hdr, 16, DESC_F_NEXT, d + 2);
      this.putDesc(d + 2, hdr + 16, 1, DESC_F_WRITE, 0);
    }
    bus.write(this.avail + 4 + 2 * (this.availIdx % QUEUE_SIZE), 2, BigInt(d)); // chain head
    this.availIdx = (this.availIdx + 1) & 0xffff;
    bus.write(this.avail + 2, 2, BigInt(this.availIdx)); // publish (the store order is the barrier here)
    this.io.notify(0);
  }

  /** Take every finished chain off the used ring: record its status, free its slot, run its callback. Returns how many. */
  private reap(): number {
    const bus = this.machine.bus;
    let n = 0;
    for (let usedIdx = Number(bus.read(this.used + 2, 2)); this.lastUsed !== usedIdx; n++) {
      const head = Number(bus.read(this.used + 4 + 8 * (this.lastUsed % QUEUE_SIZE), 4));
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      const req = this.inflight.get(head);
      if (!req) continue; // not ours (a device bug): ignore
      this.inflight.delete(head);
      req.done = true;
      req.status = Number(bus.read(this.hdrPage + SLOT_HDR * req.slot + 16, 1));
      if (this.inIrq) this.counters.irqCompletions++;
      else this.counters.syncCompletions++;
      if (req.onDone) {
        let r: Uint8Array | number;
        if (req.status === 0) {
          this.counters.reads++;
          r = bus.readBytes(this.dataPages[req.slot], BLK_BLOCK_SIZE);
        } else r = this.ioError(`read of block ${req.block}`, req.status);
        this.freeSlots.push(req.slot);
        req.onDone(r);
      }
      usedIdx = Number(bus.read(this.used + 2, 2));
    }
    return n;
  }

  /**
   * Run one request synchronously in slot-free order; `fill` prepares the
   * slot's data page. Returns the device status and the slot (its data page
   * is valid until the next request), or status -1 (no completion / no slot).
   */
  private request(type: number, sector: number, dataLen: number, deviceWrites: boolean, fill?: (page: number) => void): { status: number; slot: number } {
    if (this.freeSlots.length === 0) this.reap();
    const slot = this.freeSlots.pop();
    if (slot === undefined) return { status: -1, slot: -1 };
    fill?.(this.dataPages[slot]);
    const req: Req = { slot, done: false, status: -1, block: -1 };
    this.inflight.set(3 * slot, req);
    this.submit(slot, type, sector, dataLen, deviceWrites);
    for (let spins = 0; spins < 1000 && !req.done; spins++) this.reap();
    this.io.ackInterrupt();
    this.freeSlots.push(slot);
    if (!req.done) {
      this.inflight.delete(3 * slot);
      return { status: -1, slot };
    }
    return { status: req.status, slot };
  }

  /**
   * Start reading block `n` without waiting: `onDone` runs from the
   * interrupt handler (onInterrupt) with the block or -500. Returns false
   * when no request slot is free or `n` is out of range (nothing started).
   */
  submitRead(n: number, onDone: (r: Uint8Array | number) => void): boolean {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.blockCount) return false;
    const slot = this.freeSlots.pop();
    if (slot === undefined) return false;
    this.inflight.set(3 * slot, { slot, done: false, status: -1, onDone, block: n });
    this.counters.asyncReads++;
    this.submit(slot, T_IN, n * (BLK_BLOCK_SIZE / SECTOR_SIZE), BLK_BLOCK_SIZE, true);
    return true;
  }

  /** The kernel's IRQ hook for INTID 48+slot: acknowledge at the device, then reap the used ring (completion callbacks run here). */
  onInterrupt(): void {
    this.counters.interrupts++;
    this.io.ackInterrupt();
    this.inIrq = true;
    try {
      this.reap();
    } finally {
      this.inIrq = false;
    }
  }

  private ioError(what: string, status: number): number {
    this.counters.errors++;
    this.lastError = `${what}: ${status < 0 ? "no completion" : `device status ${status}`}`;
    return -500;
  }

  /** Read 4 KiB block `n` into a new array. Returns it, or -500 (I/O error, out of range). */
  readBlock(n: number): Uint8Array | number {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.blockCount) return this.ioError(`read of block ${n} out of range`, -1);
    const { status, slot } = this.request(T_IN, n * (BLK_BLOCK_SIZE / SECTOR_SIZE), BLK_BLOCK_SIZE, true);
    if (status !== 0) return this.ioError(`read of block ${n}`, status);
    this.counters.reads++;
    return this.machine.bus.readBytes(this.dataPages[slot], BLK_BLOCK_SIZE);
  }

  /** Write 4 KiB `data` to block `n`. Returns 0 or -500 (I/O error, read-only, out of range), -2 (bad size). */
  writeBlock(n: number, data: Uint8Array): number {
    if (data.length !== BLK_BLOCK_SIZE) return -2;
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.blockCount) return this.ioError(`write of block ${n} out of range`, -1);
    if (this.readOnly) return this.ioError(`write of block ${n} on a read-only disk`, -1);
    const { status } = this.request(T_OUT, n * (BLK_BLOCK_SIZE / SECTOR_SIZE), BLK_BLOCK_SIZE, false, (page) => this.machine.bus.writeBytes(page, data));
    if (status !== 0) return this.ioError(`write of block ${n}`, status);
    this.counters.writes++;
    return 0;
  }

  /** T_FLUSH: make completed writes durable. Returns 0 (also when the device has no cache to flush) or -500. */
  flush(): number {
    if (!this.flushSupported) return 0;
    const { status } = this.request(T_FLUSH, 0, 0, false);
    if (status !== 0) return this.ioError("flush", status);
    this.counters.flushes++;
    return 0;
  }

  snapshot(): VirtioBlkDriverSnapshot {
    return {
      slot: this.slot, intid: this.intid, capacitySectors: this.capacitySectors, readOnly: this.readOnly,
      flushSupported: this.flushSupported, ...this.counters, inFlight: this.inflight.size, lastError: this.lastError,
    };
  }
}
