// The virtio-mmio transport as a driver sees it (virtio 1.x, 4.2.2): register
// access, the initialisation sequence of 3.1.1 up to FEATURES_OK, placing a
// split virtqueue, DRIVER_OK, notify and interrupt acknowledge. The block and
// network drivers (virtio-blk.ts, virtio-net.ts) share it; each keeps its own
// rings and requests.

import type { Machine } from "../../../emulator/machine.js";
import type { VirtioDeviceInfo } from "./virtio-probe.js";

/** Register offsets of the virtio-mmio (version 2) layout. */
export const VIRTIO_REG = {
  DEVICE_FEATURES: 0x010, DEVICE_FEATURES_SEL: 0x014, DRIVER_FEATURES: 0x020, DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030, QUEUE_NUM_MAX: 0x034, QUEUE_NUM: 0x038, QUEUE_READY: 0x044, QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060, INTERRUPT_ACK: 0x064, STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080, QUEUE_DESC_HIGH: 0x084, QUEUE_DRIVER_LOW: 0x090, QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0, QUEUE_DEVICE_HIGH: 0x0a4, CONFIG: 0x100,
} as const;

/** Device status bits (2.1). */
export const VIRTIO_STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, NEEDS_RESET: 0x40, FAILED: 0x80 } as const;

/** VIRTIO_F_VERSION_1 is feature bit 32: bit 0 of the high feature word. */
const F_VERSION_1_HI = 1;
const NEGOTIATED = VIRTIO_STATUS.ACKNOWLEDGE | VIRTIO_STATUS.DRIVER | VIRTIO_STATUS.FEATURES_OK;

export class VirtioTransport {
  readonly slot: number;
  readonly intid: number;
  readonly base: number;

  /** `name` prefixes failure reasons ("virtio-blk"). */
  constructor(private readonly machine: Machine, info: VirtioDeviceInfo, private readonly name: string) {
    this.slot = info.slot;
    this.intid = info.intid;
    this.base = info.base;
  }

  rd(off: number): number {
    return this.machine.bus.read32(this.base + off) >>> 0;
  }

  wr(off: number, v: number): void {
    this.machine.bus.write32(this.base + off, v >>> 0);
  }

  /** Set FAILED in the device status; returns the reason, prefixed with the device. */
  failed(reason: string): string {
    this.wr(VIRTIO_REG.STATUS, this.rd(VIRTIO_REG.STATUS) | VIRTIO_STATUS.FAILED);
    return `${this.name} slot ${this.slot}: ${reason}`;
  }

  /**
   * Reset, ACKNOWLEDGE, DRIVER, then accept the offered low-word features in
   * `wanted` plus VERSION_1, and FEATURES_OK. Returns the accepted low-word
   * features, or a reason (FAILED set) when VERSION_1 or a `required` bit is
   * missing or the device refuses the set.
   */
  negotiate(wanted: number, required = 0, requiredWhy = "a required feature"): number | string {
    const R = VIRTIO_REG;
    this.wr(R.STATUS, 0);
    this.wr(R.STATUS, VIRTIO_STATUS.ACKNOWLEDGE);
    this.wr(R.STATUS, VIRTIO_STATUS.ACKNOWLEDGE | VIRTIO_STATUS.DRIVER);
    this.wr(R.DEVICE_FEATURES_SEL, 0);
    const lo = this.rd(R.DEVICE_FEATURES);
    this.wr(R.DEVICE_FEATURES_SEL, 1);
    const hi = this.rd(R.DEVICE_FEATURES);
    if ((hi & F_VERSION_1_HI) === 0) return this.failed("device does not offer VIRTIO_F_VERSION_1");
    if ((lo & required) !== required) return this.failed(`device lacks ${requiredWhy}`);
    const want = lo & wanted;
    this.wr(R.DRIVER_FEATURES_SEL, 0);
    this.wr(R.DRIVER_FEATURES, want);
    this.wr(R.DRIVER_FEATURES_SEL, 1);
    this.wr(R.DRIVER_FEATURES, F_VERSION_1_HI);
    this.wr(R.STATUS, NEGOTIATED);
    if ((this.rd(R.STATUS) & VIRTIO_STATUS.FEATURES_OK) === 0) return this.failed("device refused the feature set");
    return want;
  }

  /** QUEUE_NUM_MAX of queue `q`. */
  queueMax(q: number): number {
    this.wr(VIRTIO_REG.QUEUE_SEL, q);
    return this.rd(VIRTIO_REG.QUEUE_NUM_MAX);
  }

  /** Place queue `q` (size `n`) at the given ring addresses and enable it. Returns a reason (FAILED set) if the device does not take it. */
  setupQueue(q: number, n: number, desc: number, avail: number, used: number): string | undefined {
    const R = VIRTIO_REG;
    this.wr(R.QUEUE_SEL, q);
    this.wr(R.QUEUE_NUM, n);
    this.wr(R.QUEUE_DESC_LOW, desc);
    this.wr(R.QUEUE_DESC_HIGH, Math.floor(desc / 2 ** 32));
    this.wr(R.QUEUE_DRIVER_LOW, avail);
    this.wr(R.QUEUE_DRIVER_HIGH, Math.floor(avail / 2 ** 32));
    this.wr(R.QUEUE_DEVICE_LOW, used);
    this.wr(R.QUEUE_DEVICE_HIGH, Math.floor(used / 2 ** 32));
    this.wr(R.QUEUE_READY, 1);
    return this.rd(R.QUEUE_READY) === 1 ? undefined : this.failed(`queue ${q} was not accepted`);
  }

  /** DRIVER_OK: the device is live. */
  driverOk(): void {
    this.wr(VIRTIO_REG.STATUS, NEGOTIATED | VIRTIO_STATUS.DRIVER_OK);
  }

  notify(q: number): void {
    this.wr(VIRTIO_REG.QUEUE_NOTIFY, q);
  }

  /** Read and acknowledge the interrupt status; returns it (0: not this device). */
  ackInterrupt(): number {
    const st = this.rd(VIRTIO_REG.INTERRUPT_STATUS);
    if (st) this.wr(VIRTIO_REG.INTERRUPT_ACK, st);
    return st;
  }

  /** A byte of the device-specific configuration space. */
  config8(off: number): number {
    return Number(this.machine.bus.read(this.base + VIRTIO_REG.CONFIG + off, 1));
  }

  /** A 64-bit field of the configuration space (two 32-bit reads, low first). */
  config64(off: number): number {
    return this.rd(VIRTIO_REG.CONFIG + off) + this.rd(VIRTIO_REG.CONFIG + off + 4) * 2 ** 32;
  }
}
