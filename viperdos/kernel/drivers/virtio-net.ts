// virtio-net driver over the virtio-mmio v2 transport (virtio 1.x 3.1
// initialisation, 2.7 split virtqueues, 5.1 network device). Like the
// block driver, everything goes through architectural interfaces: MMIO
// registers and guest RAM pages from the kernel's Pmm.
//
// Layout (queue size n = the device's QueueNumMax, at most 256: a window's
// worth of segments can arrive at one virtual instant on an unlimited link,
// and every frame beyond the posted buffers would be dropped):
//   RX queue 0: desc / avail / used pages, n buffers of 2 KiB (two per page)
//   TX queue 1: desc / avail / used pages, n buffers of 2 KiB
// Descriptor i of each queue always points at buffer i (one descriptor per
// frame, no chains), so a used entry's id names the buffer.
// Every buffer starts with the 12-byte virtio_net_hdr (VERSION_1); we offer
// no offloads, so TX writes a zero header and RX skips it.
//
// Receive: every RX buffer is posted at start. The device fills one per
// frame and raises INTID 48+slot; onInterrupt() acknowledges, takes each
// used entry, copies the frame out, reposts the buffer, kicks RX once, and
// hands the frames to `onFrame` (the NetStack) after the ring is whole again.
// Transmit: copy into a free TX buffer, publish, kick. Buffers come back
// through the TX used ring, reclaimed at the next transmit (TX completions
// raise no interrupt: NO_INTERRUPT in the TX avail flags). Our device
// completes at the kick; with none free the frame is dropped and counted.

import { RAM_BASE } from "../../../emulator/bus.js";
import type { Machine } from "../../../emulator/machine.js";
import type { Pmm } from "../mm/pmm.js";
import type { VirtioDeviceInfo } from "./virtio-probe.js";
import { VirtioTransport } from "./virtio-transport.js";

export const VIRTIO_NET_DEVICE_ID = 1;
const MAX_QUEUE = 256;
const BUF_SIZE = 2048;
const HDR_LEN = 12;
const RXQ = 0;
const TXQ = 1;

const F_MAC = 1 << 5;
const F_STATUS = 1 << 16;
const DESC_F_WRITE = 2;

interface Ring {
  index: number;
  desc: number;
  avail: number;
  used: number;
  availIdx: number;
  lastUsed: number;
  buffers: number[];
}

export interface VirtioNetDriverCounters {
  rxFrames: number; rxBytes: number; txFrames: number; txBytes: number;
  /** TX dropped: no free buffer, or a frame too large for one. */
  txDropped: number;
  /** RX completions too short to hold a header + Ethernet header. */
  rxErrors: number;
  interrupts: number;
}

export interface VirtioNetDriverSnapshot {
  slot: number;
  intid: number;
  mac: string;
  linkUp: boolean;
  queueSize: number;
  txFree: number;
  counters: VirtioNetDriverCounters;
}

export class VirtioNetDriver {
  readonly slot: number;
  readonly intid: number;
  readonly base: number;
  readonly mac = new Uint8Array(6);
  queueSize = 0;
  private hasStatus = false;
  private rx!: Ring;
  private tx!: Ring;
  private txFree: number[] = [];
  readonly counters: VirtioNetDriverCounters = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txDropped: 0, rxErrors: 0, interrupts: 0 };
  /** Where received frames go (the NetStack's input). */
  onFrame: (frame: Uint8Array) => void = () => {};
  /** Called when the device reports a configuration change (link status). */
  onLinkChange: (up: boolean) => void = () => {};
  private readonly pages: number[] = [];

  private readonly io: VirtioTransport;

  private constructor(private readonly machine: Machine, info: VirtioDeviceInfo) {
    this.io = new VirtioTransport(machine, info, "virtio-net");
    this.slot = info.slot;
    this.intid = info.intid;
    this.base = info.base;
  }

  /**
   * Initialise the network device `info` (virtio 1.x 3.1.1): reset,
   * negotiate VERSION_1 (+ MAC, STATUS if offered), both queues in pages
   * from `pmm`, post every RX buffer, DRIVER_OK. Returns the driver or a
   * reason string (status FAILED set, pages given back).
   */
  static init(machine: Machine, pmm: Pmm, info: VirtioDeviceInfo): VirtioNetDriver | string {
    if (info.deviceId !== VIRTIO_NET_DEVICE_ID) return `slot ${info.slot} is not a network device (id ${info.deviceId})`;
    const d = new VirtioNetDriver(machine, info);
    const r = d.start(pmm);
    if (typeof r === "string") for (const p of d.pages) pmm.free(p);
    return r;
  }

  private start(pmm: Pmm): VirtioNetDriver | string {
    const io = this.io;
    const want = io.negotiate(F_MAC | F_STATUS, F_MAC, "a MAC address (VIRTIO_NET_F_MAC)");
    if (typeof want === "string") return want;
    this.hasStatus = (want & F_STATUS) !== 0;
    for (let i = 0; i < 6; i++) this.mac[i] = io.config8(i);

    const n = Math.min(MAX_QUEUE, io.queueMax(RXQ), io.queueMax(TXQ));
    if (n < 2) return io.failed(`queues hold ${n} descriptors, need at least 2`);
    this.queueSize = n;
    const rings: Ring[] = [];
    for (const q of [RXQ, TXQ]) {
      const ringPages = [pmm.alloc(), pmm.alloc(), pmm.alloc()];
      this.pages.push(...ringPages.filter((p) => p >= 0));
      if (ringPages.some((p) => p < 0)) return io.failed("out of memory for the virtqueues");
      const buffers: number[] = [];
      for (let i = 0; i < n; i += 2) {
        const page = pmm.alloc();
        if (page < 0) return io.failed("out of memory for the packet buffers");
        this.pages.push(page);
        buffers.push(page, page + BUF_SIZE);
      }
      for (const p of ringPages) this.machine.bus.fill(p, 4096);
      const ring: Ring = { index: q, desc: ringPages[0], avail: ringPages[1], used: ringPages[2], availIdx: 0, lastUsed: 0, buffers: buffers.slice(0, n) };
      rings.push(ring);
      const bad = io.setupQueue(q, n, ring.desc, ring.avail, ring.used);
      if (bad !== undefined) return bad;
      for (let i = 0; i < n; i++) this.putDesc(ring, i, q === RXQ ? BUF_SIZE : 0, q === RXQ ? DESC_F_WRITE : 0);
    }
    [this.rx, this.tx] = rings;
    // TX completions are reclaimed when sending: no interrupt for them (avail.flags NO_INTERRUPT, 2.7.7).
    this.machine.bus.ramView.setUint16(this.tx.avail - RAM_BASE, 1, true);
    this.txFree = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n; i++) this.publish(this.rx, i);
    io.driverOk();
    io.notify(RXQ);
    return this;
  }

  /** Descriptor i of `ring` -> buffer i, `len` bytes. */
  private putDesc(ring: Ring, i: number, len: number, flags: number): void {
    const v = this.machine.bus.ramView;
    const at = ring.desc + 16 * i - RAM_BASE;
    v.setUint32(at, ring.buffers[i] % 2 ** 32, true);
    v.setUint32(at + 4, Math.floor(ring.buffers[i] / 2 ** 32), true);
    v.setUint32(at + 8, len, true);
    v.setUint16(at + 12, flags, true);
    v.setUint16(at + 14, 0, true);
  }

  /** Put descriptor `head` on the avail ring and publish the new index. */
  private publish(ring: Ring, head: number): void {
    const v = this.machine.bus.ramView;
    v.setUint16(ring.avail + 4 + 2 * (ring.availIdx % this.queueSize) - RAM_BASE, head, true);
    ring.availIdx = (ring.availIdx + 1) & 0xffff;
    v.setUint16(ring.avail + 2 - RAM_BASE, ring.availIdx, true);
  }

  /** Used entries since the last call: [id, len][]. */
  private takeUsed(ring: Ring): [number, number][] {
    const v = this.machine.bus.ramView;
    const out: [number, number][] = [];
    const idx = v.getUint16(ring.used + 2 - RAM_BASE, true);
    while (ring.lastUsed !== idx) {
      const e = ring.used + 4 + 8 * (ring.lastUsed % this.queueSize) - RAM_BASE;
      out.push([v.getUint32(e, true), v.getUint32(e + 4, true)]);
      ring.lastUsed = (ring.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /** The link status bit (always up without VIRTIO_NET_F_STATUS). */
  linkUp(): boolean {
    if (!this.hasStatus) return true;
    return (this.io.config8(6) & 1) !== 0; // virtio_net_config.status, VIRTIO_NET_S_LINK_UP
  }

  /**
   * Queue one Ethernet frame (14..1514 bytes) and kick the device. Returns
   * false when it was dropped (no free TX buffer, bad size).
   */
  transmit(frame: Uint8Array): boolean {
    for (const [id] of this.takeUsed(this.tx)) if (id < this.queueSize) this.txFree.push(id);
    const i = this.txFree.shift();
    if (i === undefined || frame.length < 14 || frame.length > BUF_SIZE - HDR_LEN) {
      if (i !== undefined) this.txFree.unshift(i);
      this.counters.txDropped++;
      return false;
    }
    const bus = this.machine.bus;
    const addr = this.tx.buffers[i];
    bus.fill(addr, HDR_LEN);
    bus.writeBytes(addr + HDR_LEN, frame);
    this.putDesc(this.tx, i, HDR_LEN + frame.length, 0);
    this.publish(this.tx, i);
    this.counters.txFrames++;
    this.counters.txBytes += frame.length;
    this.io.notify(TXQ);
    return true;
  }

  /** The device's interrupt (INTID 48+slot): acknowledge, receive, reclaim TX. */
  onInterrupt(): void {
    this.counters.interrupts++;
    const st = this.io.ackInterrupt();
    if (st & 2) this.onLinkChange(this.linkUp());
    this.poll();
  }

  /** Take received frames off the RX used ring (also usable without interrupts). */
  poll(): void {
    const frames: Uint8Array[] = [];
    const ram = this.machine.bus.ram;
    for (const [id, len] of this.takeUsed(this.rx)) {
      if (id >= this.queueSize) continue;
      if (len >= HDR_LEN + 14 && len <= BUF_SIZE) {
        const a = this.rx.buffers[id] - RAM_BASE;
        frames.push(ram.slice(a + HDR_LEN, a + len));
        this.counters.rxFrames++;
        this.counters.rxBytes += len - HDR_LEN;
      } else this.counters.rxErrors++;
      this.putDesc(this.rx, id, BUF_SIZE, DESC_F_WRITE);
      this.publish(this.rx, id);
    }
    if (frames.length === 0) return;
    this.io.notify(RXQ);
    for (const f of frames) this.onFrame(f);
  }

  /** JSON view for the inspection API. */
  snapshot(): VirtioNetDriverSnapshot {
    const mac = [...this.mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
    return { slot: this.slot, intid: this.intid, mac, linkUp: this.linkUp(), queueSize: this.queueSize, txFree: this.txFree.length, counters: { ...this.counters } };
  }
}
