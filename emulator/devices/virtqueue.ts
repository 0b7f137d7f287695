// Split virtqueues in guest RAM (virtio 1.x section 2.7), device side.
//
// Layout (all little-endian):
//   descriptor table  16 bytes each, 16-byte aligned
//     u64 addr | u32 len | u16 flags (NEXT 1, WRITE 2, INDIRECT 4) | u16 next
//   driver area (available ring), 2-byte aligned
//     u16 flags (NO_INTERRUPT 1) | u16 idx | u16 ring[num] | u16 used_event
//   device area (used ring), 4-byte aligned
//     u16 flags (NO_NOTIFY 1) | u16 idx | {u32 id, u32 len} ring[num] | u16 avail_event
//
// Indirect tables (VIRTIO_F_INDIRECT_DESC) are followed whether or not the
// feature was negotiated (lenient).
//
// Robustness: nothing the guest writes can make this module throw. A bad
// ring address, a head or next index out of range, a chain longer than the
// table (a loop), a nested or malformed indirect table, a buffer outside RAM
// or a readable descriptor after a writable one marks the queue broken and
// reports it through `onError` (the transport then sets DEVICE_NEEDS_RESET);
// pop() returns undefined from then on until the queue is reset.

import type { PhysicalBus } from "../bus.js";
import { RAM_BASE } from "../bus.js";

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

/** One guest buffer. */
export interface Segment {
  addr: number;
  len: number;
}

/** A descriptor chain taken from the available ring. */
export interface Chain {
  /** Head descriptor index (goes back in the used ring). */
  head: number;
  /** Device-readable buffers, in order. */
  readable: Segment[];
  /** Device-writable buffers, in order (they follow the readable ones). */
  writable: Segment[];
  readableLength: number;
  writableLength: number;
}

/** JSON form of a queue's registers and progress. */
export interface VirtqueueState {
  num: number; ready: boolean; desc: number; driver: number; device: number;
  lastAvail: number; usedIdx: number; broken: boolean;
}

export class Virtqueue {
  /** QueueNum: ring size chosen by the driver (power of 2 is not required for split rings). */
  num = 0;
  ready = false;
  desc = 0;
  driver = 0;
  device = 0;
  /** Next available-ring index the device will read. */
  lastAvail = 0;
  /** The device's used index (mirrors used.idx in RAM). */
  usedIdx = 0;
  /** Set when the driver broke the protocol; the queue stays idle until reset. */
  broken = false;
  /** VIRTIO_F_EVENT_IDX was negotiated: use used_event instead of NO_INTERRUPT. */
  eventIdx = false;
  /** Called with a reason when the guest gives bad descriptors or rings. */
  onError: (reason: string) => void = () => {};
  /** Called after pushUsed when the driver wants an interrupt. */
  onUsed: () => void = () => {};

  constructor(readonly bus: PhysicalBus, readonly index: number, readonly numMax: number) {}

  /** Forget everything (device reset). */
  reset(): void {
    this.num = 0;
    this.ready = false;
    this.desc = this.driver = this.device = 0;
    this.lastAvail = this.usedIdx = 0;
    this.broken = false;
  }

  /** Check the ring addresses when the driver sets QueueReady; false marks the queue broken. */
  validate(): boolean {
    const n = this.num;
    if (n === 0 || n > this.numMax) return this.fail(`queue ${this.index}: QueueNum ${n} not in 1..${this.numMax}`);
    if (this.desc % 16 !== 0 || !this.bus.isRam(this.desc, 16 * n)) return this.fail(`queue ${this.index}: descriptor table 0x${this.desc.toString(16)} bad`);
    if (this.driver % 2 !== 0 || !this.bus.isRam(this.driver, 6 + 2 * n)) return this.fail(`queue ${this.index}: driver area 0x${this.driver.toString(16)} bad`);
    if (this.device % 4 !== 0 || !this.bus.isRam(this.device, 6 + 8 * n)) return this.fail(`queue ${this.index}: device area 0x${this.device.toString(16)} bad`);
    return true;
  }

  private fail(reason: string): false {
    if (!this.broken) {
      this.broken = true;
      this.onError(reason);
    }
    return false;
  }

  private u16(pa: number): number {
    return this.bus.ramView.getUint16(pa - RAM_BASE, true);
  }

  private u32(pa: number): number {
    return this.bus.ramView.getUint32(pa - RAM_BASE, true);
  }

  private u64(pa: number): number {
    // Addresses beyond 2^53 are not in RAM anyway; the double keeps them out of range.
    return this.u32(pa) + this.u32(pa + 4) * 2 ** 32;
  }

  private put16(pa: number, v: number): void {
    this.bus.noteWrite(pa - RAM_BASE, 2);
    this.bus.ramView.setUint16(pa - RAM_BASE, v & 0xffff, true);
  }

  private put32(pa: number, v: number): void {
    this.bus.noteWrite(pa - RAM_BASE, 4);
    this.bus.ramView.setUint32(pa - RAM_BASE, v >>> 0, true);
  }

  private usable(): boolean {
    return this.ready && !this.broken && this.num > 0;
  }

  /** Number of chains the driver has made available and the device has not taken. */
  availableCount(): number {
    if (!this.usable()) return 0;
    return (this.u16(this.driver + 2) - this.lastAvail) & 0xffff;
  }

  /** Take the next available chain, or undefined if none (or the queue is broken). */
  pop(): Chain | undefined {
    if (!this.usable()) return undefined;
    const avail = this.availableCount();
    if (avail === 0) return undefined;
    if (avail > this.num) {
      this.fail(`queue ${this.index}: avail.idx ran ${avail} entries ahead of a ${this.num}-entry ring`);
      return undefined;
    }
    const head = this.u16(this.driver + 4 + 2 * (this.lastAvail % this.num));
    const chain = this.walk(head);
    if (chain === undefined) return undefined;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (this.eventIdx) this.put16(this.device + 4 + 8 * this.num, this.lastAvail); // avail_event
    return chain;
  }

  /** Follow the chain at `head` (through an indirect table if present). */
  private walk(head: number): Chain | undefined {
    const chain: Chain = { head, readable: [], writable: [], readableLength: 0, writableLength: 0 };
    if (head >= this.num) return this.bad(`head ${head} out of range`);
    let table = this.desc;
    let size = this.num;
    let i = head;
    let indirect = false;
    for (let steps = 0; ; steps++) {
      if (steps >= size) return this.bad("descriptor chain loops or is longer than its table");
      const d = table + 16 * i;
      const addr = this.u64(d);
      const len = this.u32(d + 8);
      const flags = this.u16(d + 12);
      const next = this.u16(d + 14);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (indirect) return this.bad("nested indirect table");
        if (flags & VIRTQ_DESC_F_NEXT) return this.bad("indirect descriptor with NEXT");
        if (len === 0 || len % 16 !== 0 || !this.bus.isRam(addr, len)) return this.bad("bad indirect table");
        indirect = true;
        table = addr;
        size = len / 16;
        i = 0;
        steps = -1;
        continue;
      }
      if (len > 0 && !this.bus.isRam(addr, len)) return this.bad(`buffer 0x${addr.toString(16)}+${len} outside RAM`);
      if (flags & VIRTQ_DESC_F_WRITE) {
        chain.writable.push({ addr, len });
        chain.writableLength += len;
      } else {
        if (chain.writable.length > 0) return this.bad("readable descriptor after a writable one");
        chain.readable.push({ addr, len });
        chain.readableLength += len;
      }
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return chain;
      if (next >= size) return this.bad(`next ${next} out of range`);
      i = next;
    }
  }

  private bad(reason: string): undefined {
    this.fail(`queue ${this.index}: ${reason}`);
    return undefined;
  }

  /** Copy the chain's device-readable bytes out of RAM (at most `max`). */
  readChain(chain: Chain, max = chain.readableLength): Uint8Array {
    const out = new Uint8Array(Math.min(max, chain.readableLength));
    let o = 0;
    for (const s of chain.readable) {
      if (o >= out.length) break;
      const n = Math.min(s.len, out.length - o);
      out.set(this.bus.ram.subarray(s.addr - RAM_BASE, s.addr - RAM_BASE + n), o);
      o += n;
    }
    return out;
  }

  /** Copy `data` into the chain's device-writable buffers; returns bytes written. */
  writeChain(chain: Chain, data: Uint8Array): number {
    let o = 0;
    for (const s of chain.writable) {
      if (o >= data.length) break;
      const n = Math.min(s.len, data.length - o);
      this.bus.noteWrite(s.addr - RAM_BASE, n);
      this.bus.ram.set(data.subarray(o, o + n), s.addr - RAM_BASE);
      o += n;
    }
    return o;
  }

  /**
   * Return a chain to the driver: append {head, written} to the used ring,
   * publish used.idx, and call onUsed if the driver asked for an interrupt
   * (avail.flags NO_INTERRUPT clear, or used_event crossed with EVENT_IDX).
   */
  pushUsed(chain: Chain, written: number): void {
    if (!this.usable()) return;
    const slot = this.device + 4 + 8 * (this.usedIdx % this.num);
    this.put32(slot, chain.head);
    this.put32(slot + 4, written);
    const old = this.usedIdx;
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.put16(this.device + 2, this.usedIdx);
    let notify: boolean;
    if (this.eventIdx) {
      const usedEvent = this.u16(this.driver + 4 + 2 * this.num);
      // vring_need_event: the driver's event index lies in (old, new].
      notify = ((this.usedIdx - usedEvent - 1) & 0xffff) < ((this.usedIdx - old) & 0xffff);
    } else {
      notify = (this.u16(this.driver) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    }
    if (notify) this.onUsed();
  }

  saveState(): VirtqueueState {
    return { num: this.num, ready: this.ready, desc: this.desc, driver: this.driver, device: this.device, lastAvail: this.lastAvail, usedIdx: this.usedIdx, broken: this.broken };
  }

  loadState(st: VirtqueueState): void {
    Object.assign(this, st);
  }
}
