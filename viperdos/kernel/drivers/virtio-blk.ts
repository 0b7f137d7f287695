// virtio-blk driver over the virtio-mmio v2 transport (virtio 1.x sections
// 3.1 "device initialization", 2.7 "split virtqueues", 4.2.3 "MMIO
// transport", 5.2 "block device"). Everything goes through architectural
// interfaces: MMIO register accesses and guest RAM (the rings and buffers
// are pages from the kernel's Pmm).
//
// One request queue (queue 0) of QUEUE_SIZE descriptors, three pages:
//   desc page    descriptor table, 16 B each: le64 addr | le32 len | le16 flags | le16 next
//   avail page   le16 flags | le16 idx | le16 ring[QUEUE_SIZE]
//   used page    le16 flags | le16 idx | { le32 id, le32 len }[QUEUE_SIZE]
// and two request pages: `hdrPage` holds the 16-byte request header at 0 and
// the status byte at 16; `dataPage` is the 4 KiB bounce buffer.
//
// A request is a chain of three descriptors: header (device-readable), data
// (device-writable for T_IN, readable for T_OUT), status (device-writable).
//
// Completion. The driver submits (avail ring + QueueNotify), then waits for
// the used ring to advance. Our device model completes at notify, so the
// wait is a poll of the used index that succeeds at once; a device that
// completed later would be waited for by the same loop (bounded, then
// IO error). The interrupt (INTID 48+slot) is acknowledged here
// (InterruptACK) so the line drops; `onInterrupt()` is the GIC hook the
// kernel calls if the line was seen anyway (it acks and counts).
// Decision: synchronous requests are the first step the brief allows; the
// request runs inside the syscall that needed the block.

import type { Machine } from "../../../emulator/machine.js";
import type { Pmm } from "../mm/pmm.js";
import type { VirtioDeviceInfo } from "./virtio-probe.js";

export const VIRTIO_BLK_DEVICE_ID = 2;
export const SECTOR_SIZE = 512;
export const BLK_BLOCK_SIZE = 4096;
const QUEUE_SIZE = 8;

const REG = {
  DEVICE_FEATURES: 0x010, DEVICE_FEATURES_SEL: 0x014, DRIVER_FEATURES: 0x020, DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030, QUEUE_NUM_MAX: 0x034, QUEUE_NUM: 0x038, QUEUE_READY: 0x044, QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060, INTERRUPT_ACK: 0x064, STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080, QUEUE_DESC_HIGH: 0x084, QUEUE_DRIVER_LOW: 0x090, QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0, QUEUE_DEVICE_HIGH: 0x0a4, CONFIG: 0x100,
} as const;
const STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, NEEDS_RESET: 0x40, FAILED: 0x80 } as const;
/** Feature bits we accept: VERSION_1 (32), FLUSH (9), RO (5), BLK_SIZE (6). */
const F_VERSION_1_HI = 1; // bit 32 = bit 0 of the high word
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
  lastError: string | undefined;
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
  private dataPage = 0;
  private availIdx = 0;
  private lastUsed = 0;
  private counters = { reads: 0, writes: 0, flushes: 0, errors: 0, interrupts: 0 };
  lastError: string | undefined;

  private constructor(private readonly machine: Machine, info: VirtioDeviceInfo) {
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

  private rd(off: number): number {
    return this.machine.bus.read32(this.base + off) >>> 0;
  }

  private wr(off: number, v: number): void {
    this.machine.bus.write32(this.base + off, v >>> 0);
  }

  private start(pmm: Pmm): VirtioBlkDriver | string {
    this.wr(REG.STATUS, 0);
    this.wr(REG.STATUS, STATUS.ACKNOWLEDGE);
    this.wr(REG.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
    this.wr(REG.DEVICE_FEATURES_SEL, 0);
    const lo = this.rd(REG.DEVICE_FEATURES);
    this.wr(REG.DEVICE_FEATURES_SEL, 1);
    const hi = this.rd(REG.DEVICE_FEATURES);
    if ((hi & F_VERSION_1_HI) === 0) return this.failed("device does not offer VIRTIO_F_VERSION_1");
    const want = lo & (F_RO | F_BLK_SIZE | F_FLUSH);
    this.wr(REG.DRIVER_FEATURES_SEL, 0);
    this.wr(REG.DRIVER_FEATURES, want);
    this.wr(REG.DRIVER_FEATURES_SEL, 1);
    this.wr(REG.DRIVER_FEATURES, F_VERSION_1_HI);
    this.wr(REG.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
    if ((this.rd(REG.STATUS) & STATUS.FEATURES_OK) === 0) return this.failed("device refused the feature set");
    this.readOnly = (want & F_RO) !== 0;
    this.flushSupported = (want & F_FLUSH) !== 0;
    const cap = this.machine.bus.read(this.base + REG.CONFIG, 4) + (this.machine.bus.read(this.base + REG.CONFIG + 4, 4) << 32n);
    this.capacitySectors = Number(cap);

    this.wr(REG.QUEUE_SEL, 0);
    const max = this.rd(REG.QUEUE_NUM_MAX);
    if (max < QUEUE_SIZE) return this.failed(`queue 0 holds ${max} descriptors, need ${QUEUE_SIZE}`);
    const pages = [pmm.alloc(), pmm.alloc(), pmm.alloc(), pmm.alloc(), pmm.alloc()];
    if (pages.some((p) => p < 0)) {
      for (const p of pages) if (p >= 0) pmm.free(p);
      return this.failed("out of memory for the virtqueue");
    }
    [this.desc, this.avail, this.used, this.hdrPage, this.dataPage] = pages;
    this.wr(REG.QUEUE_NUM, QUEUE_SIZE);
    this.wr(REG.QUEUE_DESC_LOW, this.desc);
    this.wr(REG.QUEUE_DESC_HIGH, Math.floor(this.desc / 2 ** 32));
    this.wr(REG.QUEUE_DRIVER_LOW, this.avail);
    this.wr(REG.QUEUE_DRIVER_HIGH, Math.floor(this.avail / 2 ** 32));
    this.wr(REG.QUEUE_DEVICE_LOW, this.used);
    this.wr(REG.QUEUE_DEVICE_HIGH, Math.floor(this.used / 2 ** 32));
    this.wr(REG.QUEUE_READY, 1);
    if (this.rd(REG.QUEUE_READY) !== 1) return this.failed("queue 0 was not accepted");
    this.wr(REG.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK);
    return this;
  }

  private failed(reason: string): string {
    this.wr(REG.STATUS, this.rd(REG.STATUS) | STATUS.FAILED);
    return `virtio-blk slot ${this.slot}: ${reason}`;
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

  /** Submit one request chain and wait for it; returns the device status byte or -1 (no completion). */
  private request(type: number, sector: number, dataLen: number, deviceWrites: boolean): number {
    const bus = this.machine.bus;
    bus.write(this.hdrPage, 4, BigInt(type));
    bus.write(this.hdrPage + 4, 4, 0n);
    bus.write(this.hdrPage + 8, 8, BigInt(sector));
    bus.write(this.hdrPage + 16, 1, 0xffn); // status: overwritten by the device
    if (dataLen > 0) {
      this.putDesc(0, this.hdrPage, 16, DESC_F_NEXT, 1);
      this.putDesc(1, this.dataPage, dataLen, DESC_F_NEXT | (deviceWrites ? DESC_F_WRITE : 0), 2);
      this.putDesc(2, this.hdrPage + 16, 1, DESC_F_WRITE, 0);
    } else {
      this.putDesc(0, this.hdrPage, 16, DESC_F_NEXT, 2);
      this.putDesc(2, this.hdrPage + 16, 1, DESC_F_WRITE, 0);
    }
    bus.write(this.avail + 4 + 2 * (this.availIdx % QUEUE_SIZE), 2, 0n); // chain head: descriptor 0
    this.availIdx = (this.availIdx + 1) & 0xffff;
    bus.write(this.avail + 2, 2, BigInt(this.availIdx)); // publish (the store order is the barrier here)
    this.wr(REG.QUEUE_NOTIFY, 0);
    // Wait for the used ring (completes at notify in our device model).
    for (let spins = 0; spins < 1000; spins++) {
      const usedIdx = Number(bus.read(this.used + 2, 2));
      if (usedIdx !== this.lastUsed) {
        this.lastUsed = usedIdx;
        this.ackInterrupt();
        return Number(bus.read(this.hdrPage + 16, 1));
      }
    }
    return -1;
  }

  private ackInterrupt(): void {
    const st = this.rd(REG.INTERRUPT_STATUS);
    if (st) this.wr(REG.INTERRUPT_ACK, st);
  }

  /** The kernel's IRQ hook for INTID 48+slot: acknowledge at the device. */
  onInterrupt(): void {
    this.counters.interrupts++;
    this.ackInterrupt();
  }

  private ioError(what: string, status: number): number {
    this.counters.errors++;
    this.lastError = `${what}: ${status < 0 ? "no completion" : `device status ${status}`}`;
    return -500;
  }

  /** Read 4 KiB block `n` into a new array. Returns it, or -500 (I/O error, out of range). */
  readBlock(n: number): Uint8Array | number {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.blockCount) return this.ioError(`read of block ${n} out of range`, -1);
    const s = this.request(T_IN, n * (BLK_BLOCK_SIZE / SECTOR_SIZE), BLK_BLOCK_SIZE, true);
    if (s !== 0) return this.ioError(`read of block ${n}`, s);
    this.counters.reads++;
    return this.machine.bus.readBytes(this.dataPage, BLK_BLOCK_SIZE);
  }

  /** Write 4 KiB `data` to block `n`. Returns 0 or -500 (I/O error, read-only, out of range), -2 (bad size). */
  writeBlock(n: number, data: Uint8Array): number {
    if (data.length !== BLK_BLOCK_SIZE) return -2;
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.blockCount) return this.ioError(`write of block ${n} out of range`, -1);
    if (this.readOnly) return this.ioError(`write of block ${n} on a read-only disk`, -1);
    this.machine.bus.writeBytes(this.dataPage, data);
    const s = this.request(T_OUT, n * (BLK_BLOCK_SIZE / SECTOR_SIZE), BLK_BLOCK_SIZE, false);
    if (s !== 0) return this.ioError(`write of block ${n}`, s);
    this.counters.writes++;
    return 0;
  }

  /** T_FLUSH: make completed writes durable. Returns 0 (also when the device has no cache to flush) or -500. */
  flush(): number {
    if (!this.flushSupported) return 0;
    const s = this.request(T_FLUSH, 0, 0, false);
    if (s !== 0) return this.ioError("flush", s);
    this.counters.flushes++;
    return 0;
  }

  snapshot(): VirtioBlkDriverSnapshot {
    return {
      slot: this.slot, intid: this.intid, capacitySectors: this.capacitySectors, readOnly: this.readOnly,
      flushSupported: this.flushSupported, ...this.counters, lastError: this.lastError,
    };
  }
}
