// A minimal virtio-net driver that runs on the host and talks to a
// virtio-mmio slot through the physical bus: tests, benches and notebooks
// use it to put frames on a wire without a guest kernel. It is a plain
// driver per virtio 1.x 5.1.6 (split rings, one descriptor per buffer, no
// offloads), not a model of the ViperDOS kernel driver.
//
// Memory: `region` (a guest-physical RAM address, 4 KiB aligned) holds, for
// a queue size n: RX desc/avail/used at +0x0000/+0x1000/+0x2000, TX at
// +0x3000/+0x4000/+0x5000, then n RX buffers and n TX buffers of 2 KiB each
// from +0x10000. regionBytes(n) gives the total.

import { RAM_BASE, type PhysicalBus } from "../bus.js";
import { STATUS, VIRTIO_F_VERSION_1, VIRTIO_MMIO as R } from "../devices/virtio-mmio.js";
import { VIRTQ_DESC_F_WRITE } from "../devices/virtqueue.js";
import { VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_HDR_LEN, VIRTIO_NET_RXQ, VIRTIO_NET_TXQ } from "../devices/virtio-net.js";
import { macToString } from "./endpoint.js";

const BUF_SIZE = 2048;

/** Bytes of RAM a driver with queue size `n` needs at `region`. */
export function regionBytes(n: number): number {
  return 0x10000 + 2 * n * BUF_SIZE;
}

export interface HostNetDriverOptions {
  /** Ring size for both queues (default 16, at most 128 so rings fit their 4 KiB pages). */
  queueSize?: number;
  /** RX buffers posted by init() (default queueSize). */
  rxBuffers?: number;
}

interface Ring { desc: number; avail: number; used: number; availIdx: number; lastUsed: number }

export class HostNetDriver {
  readonly n: number;
  private readonly rx: Ring;
  private readonly tx: Ring;
  private txFree: number[] = [];
  private readonly rxPost: number;

  /**
   * `mmioBase`: the slot's physical address (Machine.virtioBase(slot));
   * `region`: RAM for rings and buffers (regionBytes(queueSize) bytes).
   */
  constructor(readonly bus: PhysicalBus, readonly mmioBase: number, readonly region: number, opts: HostNetDriverOptions = {}) {
    this.n = opts.queueSize ?? 16;
    this.rxPost = Math.min(opts.rxBuffers ?? this.n, this.n);
    this.rx = { desc: region, avail: region + 0x1000, used: region + 0x2000, availIdx: 0, lastUsed: 0 };
    this.tx = { desc: region + 0x3000, avail: region + 0x4000, used: region + 0x5000, availIdx: 0, lastUsed: 0 };
  }

  private rd(o: number): number {
    return this.bus.read32(this.mmioBase + o);
  }

  private wr(o: number, v: number): void {
    this.bus.write32(this.mmioBase + o, v);
  }

  private get view(): DataView {
    return this.bus.ramView;
  }

  private rxBuf(i: number): number {
    return this.region + 0x10000 + i * BUF_SIZE;
  }

  private txBuf(i: number): number {
    return this.region + 0x10000 + (this.n + i) * BUF_SIZE;
  }

  /**
   * Reset, negotiate VERSION_1 | MAC | STATUS, set up both queues, post RX
   * buffers and go DRIVER_OK. Returns the final Status register.
   */
  init(): number {
    this.bus.fill(this.region, regionBytes(this.n));
    this.wr(R.STATUS, 0);
    this.wr(R.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
    const f = VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS;
    this.wr(R.DRIVER_FEATURES_SEL, 0);
    this.wr(R.DRIVER_FEATURES, Number(f & 0xffffffffn));
    this.wr(R.DRIVER_FEATURES_SEL, 1);
    this.wr(R.DRIVER_FEATURES, Number(f >> 32n));
    this.wr(R.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
    for (const [q, ring] of [[VIRTIO_NET_RXQ, this.rx], [VIRTIO_NET_TXQ, this.tx]] as const) {
      this.wr(R.QUEUE_SEL, q);
      this.wr(R.QUEUE_NUM, this.n);
      this.wr(R.QUEUE_DESC_LOW, ring.desc); this.wr(R.QUEUE_DESC_HIGH, 0);
      this.wr(R.QUEUE_DRIVER_LOW, ring.avail); this.wr(R.QUEUE_DRIVER_HIGH, 0);
      this.wr(R.QUEUE_DEVICE_LOW, ring.used); this.wr(R.QUEUE_DEVICE_HIGH, 0);
      this.wr(R.QUEUE_READY, 1);
    }
    this.txFree = Array.from({ length: this.n }, (_, i) => i);
    for (let i = 0; i < this.rxPost; i++) this.postRx(i, false);
    this.wr(R.STATUS, this.rd(R.STATUS) | STATUS.DRIVER_OK);
    this.wr(R.QUEUE_NOTIFY, VIRTIO_NET_RXQ);
    return this.rd(R.STATUS);
  }

  /** The MAC from config space. */
  mac(): string {
    const b = new Uint8Array(6);
    for (let i = 0; i < 6; i++) b[i] = Number(this.bus.read(this.mmioBase + R.CONFIG + i, 1));
    return macToString(b);
  }

  /** Config status field: bit 0 link up. */
  linkStatus(): number {
    return Number(this.bus.read(this.mmioBase + R.CONFIG + 6, 1));
  }

  private desc(ring: Ring, i: number, addr: number, len: number, flags: number): void {
    const d = ring.desc + 16 * i - RAM_BASE;
    this.view.setBigUint64(d, BigInt(addr), true);
    this.view.setUint32(d + 8, len, true);
    this.view.setUint16(d + 12, flags, true);
    this.view.setUint16(d + 14, 0, true);
  }

  private publish(ring: Ring, head: number): void {
    this.view.setUint16(ring.avail + 4 + 2 * (ring.availIdx % this.n) - RAM_BASE, head, true);
    ring.availIdx = (ring.availIdx + 1) & 0xffff;
    this.view.setUint16(ring.avail + 2 - RAM_BASE, ring.availIdx, true);
  }

  /** Give RX buffer `i` to the device (notify optional). */
  postRx(i: number, notify = true): void {
    this.desc(this.rx, i, this.rxBuf(i), BUF_SIZE, VIRTQ_DESC_F_WRITE);
    this.publish(this.rx, i);
    if (notify) this.wr(R.QUEUE_NOTIFY, VIRTIO_NET_RXQ);
  }

  /** Used entries not yet consumed: [id, len][]. */
  private takeUsed(ring: Ring): [number, number][] {
    const out: [number, number][] = [];
    const idx = this.view.getUint16(ring.used + 2 - RAM_BASE, true);
    while (ring.lastUsed !== idx) {
      const e = ring.used + 4 + 8 * (ring.lastUsed % this.n) - RAM_BASE;
      out.push([this.view.getUint32(e, true), this.view.getUint32(e + 4, true)]);
      ring.lastUsed = (ring.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /**
   * Queue `frame` (<= 2036 bytes) for transmission and kick the TX queue.
   * Returns false (nothing sent) when every TX buffer is still in flight.
   */
  send(frame: Uint8Array): boolean {
    for (const [id] of this.takeUsed(this.tx)) if (id < this.n) this.txFree.push(id);
    const i = this.txFree.shift();
    if (i === undefined || frame.length > BUF_SIZE - VIRTIO_NET_HDR_LEN) return false;
    const addr = this.txBuf(i);
    this.bus.fill(addr, VIRTIO_NET_HDR_LEN);
    this.bus.writeBytes(addr + VIRTIO_NET_HDR_LEN, frame);
    this.desc(this.tx, i, addr, VIRTIO_NET_HDR_LEN + frame.length, 0);
    this.publish(this.tx, i);
    this.wr(R.QUEUE_NOTIFY, VIRTIO_NET_TXQ);
    return true;
  }

  /**
   * Frames the device has delivered since the last call (header stripped),
   * in order; each buffer is reposted. Zero-length completions (frame too
   * big for the buffer) yield nothing.
   */
  receive(): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const [id, len] of this.takeUsed(this.rx)) {
      if (id >= this.n) continue;
      if (len > VIRTIO_NET_HDR_LEN) {
        const a = this.rxBuf(id) - RAM_BASE;
        frames.push(this.bus.ram.slice(a + VIRTIO_NET_HDR_LEN, a + len));
      }
      this.postRx(id, false);
    }
    if (frames.length > 0) this.wr(R.QUEUE_NOTIFY, VIRTIO_NET_RXQ);
    return frames;
  }

  /** Read and acknowledge InterruptStatus; returns the bits that were set. */
  ackInterrupt(): number {
    const s = this.rd(R.INTERRUPT_STATUS);
    this.wr(R.INTERRUPT_ACK, s);
    return s;
  }
}
