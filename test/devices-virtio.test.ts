import { describe, expect, it } from "vitest";
import { Machine, INTID_VIRTIO0 } from "../emulator/machine.js";
import { RAM_BASE } from "../emulator/bus.js";
import { GICD } from "../emulator/devices/gic.js";
import { STATUS, VIRTIO_MMIO as R, VIRTIO_MMIO_MAGIC } from "../emulator/devices/virtio-mmio.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../emulator/devices/virtqueue.js";
import { Rng } from "../emulator/rng.js";

const DESC = RAM_BASE + 0x10000;
const AVAIL = RAM_BASE + 0x11000;
const USED = RAM_BASE + 0x12000;
const BUF = RAM_BASE + 0x20000;
const QSIZE = 8;

/** A minimal host-side virtio driver speaking to slot `slot` through the bus. */
function driver(m: Machine, slot = 0) {
  const base = m.virtioBase(slot);
  const bus = m.bus;
  const rd = (o: number) => bus.read32(base + o);
  const wr = (o: number, v: number) => bus.write32(base + o, v);
  const view = bus.ramView;
  const at = (pa: number) => pa - RAM_BASE;
  let availIdx = 0;
  return {
    rd, wr,
    /** Negotiate `features` (as two 32-bit words); returns the final Status. */
    negotiate(lo: number, hi: number): number {
      wr(R.STATUS, 0);
      wr(R.STATUS, STATUS.ACKNOWLEDGE);
      wr(R.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
      wr(R.DRIVER_FEATURES_SEL, 0);
      wr(R.DRIVER_FEATURES, lo);
      wr(R.DRIVER_FEATURES_SEL, 1);
      wr(R.DRIVER_FEATURES, hi);
      wr(R.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
      return rd(R.STATUS);
    },
    /** Set up queue 0 at DESC/AVAIL/USED and go DRIVER_OK. */
    start(): void {
      bus.fill(DESC, 0x3000);
      wr(R.QUEUE_SEL, 0);
      wr(R.QUEUE_NUM, QSIZE);
      wr(R.QUEUE_DESC_LOW, DESC); wr(R.QUEUE_DESC_HIGH, 0);
      wr(R.QUEUE_DRIVER_LOW, AVAIL); wr(R.QUEUE_DRIVER_HIGH, 0);
      wr(R.QUEUE_DEVICE_LOW, USED); wr(R.QUEUE_DEVICE_HIGH, 0);
      wr(R.QUEUE_READY, 1);
      wr(R.STATUS, rd(R.STATUS) | STATUS.DRIVER_OK);
    },
    desc(i: number, addr: number, len: number, flags: number, next = 0): void {
      const d = at(DESC + 16 * i);
      view.setBigUint64(d, BigInt(addr), true);
      view.setUint32(d + 8, len, true);
      view.setUint16(d + 12, flags, true);
      view.setUint16(d + 14, next, true);
    },
    /** Make chain `head` available and notify queue 0. */
    submit(head: number): void {
      view.setUint16(at(AVAIL + 4 + 2 * (availIdx % QSIZE)), head, true);
      availIdx = (availIdx + 1) & 0xffff;
      view.setUint16(at(AVAIL + 2), availIdx, true);
      wr(R.QUEUE_NOTIFY, 0);
    },
    usedIdx: () => view.getUint16(at(USED + 2), true),
    used: (i: number) => ({ id: view.getUint32(at(USED + 4 + 8 * i), true), len: view.getUint32(at(USED + 8 + 8 * i), true) }),
    setUsedEvent: (v: number) => view.setUint16(at(AVAIL + 4 + 2 * QSIZE), v, true),
    setAvailFlags: (v: number) => view.setUint16(at(AVAIL), v, true),
  };
}

const gicPending = (m: Machine, intid: number) => (m.bus.read32(0x0800_0000 + GICD.ISPENDR + 4 * (intid >> 5)) >>> (intid & 31)) & 1;

describe("virtio-mmio transport", () => {
  it("is discoverable: rng in slot 0, empty slots report device 0", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    const d0 = driver(m, 0);
    expect(d0.rd(R.MAGIC)).toBe(VIRTIO_MMIO_MAGIC);
    expect(d0.rd(R.VERSION)).toBe(2);
    expect(d0.rd(R.DEVICE_ID)).toBe(4);
    const d5 = driver(m, 5);
    expect(d5.rd(R.MAGIC)).toBe(VIRTIO_MMIO_MAGIC);
    expect(d5.rd(R.DEVICE_ID)).toBe(0);
    expect(m.bus.read32(m.virtioBase(31) + R.MAGIC)).toBe(VIRTIO_MMIO_MAGIC);
  });

  it("offers VERSION_1 and accepts only a subset that includes it", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    const d = driver(m);
    d.wr(R.DEVICE_FEATURES_SEL, 1);
    expect(d.rd(R.DEVICE_FEATURES) & 1).toBe(1); // bit 32
    expect(d.negotiate(0, 0) & STATUS.FEATURES_OK).toBe(0); // no VERSION_1
    expect(d.negotiate(1 << 3, 1) & STATUS.FEATURES_OK).toBe(0); // bit 3 not offered
    expect(d.negotiate(0, 1) & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
    d.wr(R.STATUS, 0);
    expect(d.rd(R.STATUS)).toBe(0);
    d.wr(R.QUEUE_SEL, 0);
    expect(d.rd(R.QUEUE_NUM_MAX)).toBeGreaterThanOrEqual(QSIZE);
    d.wr(R.QUEUE_SEL, 1);
    expect(d.rd(R.QUEUE_NUM_MAX)).toBe(0); // rng has one queue
  });
});

describe("virtio-rng through a split virtqueue", () => {
  it("fills a buffer with the seeded stream, updates the used ring and interrupts", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16, seed: 7 });
    const d = driver(m);
    m.bus.write32(0x0800_0000 + GICD.CTLR, 1);
    m.bus.write32(0x0800_0000 + GICD.ISENABLER + 4, 1 << (INTID_VIRTIO0 - 32));
    expect(d.negotiate(0, 1) & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
    d.start();
    d.desc(0, BUF, 64, VIRTQ_DESC_F_WRITE);
    d.submit(0);
    expect(d.usedIdx()).toBe(1);
    expect(d.used(0)).toEqual({ id: 0, len: 64 });
    const expected = new Uint8Array(64);
    new Rng(7).fill(expected);
    expect(m.bus.readBytes(BUF, 64)).toEqual(expected);
    expect(d.rd(R.INTERRUPT_STATUS) & 1).toBe(1);
    expect(gicPending(m, INTID_VIRTIO0)).toBe(1);
    d.wr(R.INTERRUPT_ACK, 1);
    expect(d.rd(R.INTERRUPT_STATUS)).toBe(0);
    expect(gicPending(m, INTID_VIRTIO0)).toBe(0);
  });

  it("fills chained and indirect writable buffers", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    const d = driver(m);
    d.negotiate(0, 1);
    d.start();
    d.desc(1, BUF, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    d.desc(2, BUF + 0x100, 20, VIRTQ_DESC_F_WRITE);
    d.submit(1);
    expect(d.used(0)).toEqual({ id: 1, len: 30 });
    // An indirect table of two writable descriptors.
    const table = RAM_BASE + 0x30000;
    const v = m.bus.ramView;
    const put = (i: number, addr: number, len: number, flags: number, next: number) => {
      const o = table - RAM_BASE + 16 * i;
      v.setBigUint64(o, BigInt(addr), true); v.setUint32(o + 8, len, true); v.setUint16(o + 12, flags, true); v.setUint16(o + 14, next, true);
    };
    put(0, BUF + 0x200, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put(1, BUF + 0x300, 8, VIRTQ_DESC_F_WRITE, 0);
    d.desc(3, table, 32, VIRTQ_DESC_F_INDIRECT);
    d.submit(3);
    expect(d.usedIdx()).toBe(2);
    expect(d.used(1)).toEqual({ id: 3, len: 16 });
    expect(d.rd(R.STATUS) & STATUS.DEVICE_NEEDS_RESET).toBe(0);
  });

  it("suppresses interrupts with EVENT_IDX until used_event is reached", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    const d = driver(m);
    expect(d.negotiate(1 << 29, 1) & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
    d.start();
    d.setUsedEvent(1); // interrupt when the second buffer is used
    d.desc(0, BUF, 4, VIRTQ_DESC_F_WRITE);
    d.submit(0);
    expect(d.usedIdx()).toBe(1);
    expect(d.rd(R.INTERRUPT_STATUS)).toBe(0);
    d.submit(0);
    expect(d.usedIdx()).toBe(2);
    expect(d.rd(R.INTERRUPT_STATUS)).toBe(1);
  });

  it("honours NO_INTERRUPT without EVENT_IDX", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    const d = driver(m);
    d.negotiate(0, 1);
    d.start();
    d.setAvailFlags(1);
    d.desc(0, BUF, 4, VIRTQ_DESC_F_WRITE);
    d.submit(0);
    expect(d.usedIdx()).toBe(1);
    expect(d.rd(R.INTERRUPT_STATUS)).toBe(0);
  });

  const malformed: [string, (d: ReturnType<typeof driver>) => number][] = [
    ["a buffer outside RAM", (d) => { d.desc(0, 0x1000, 64, VIRTQ_DESC_F_WRITE); return 0; }],
    ["a buffer running past the end of RAM", (d) => { d.desc(0, RAM_BASE + 16 * 1024 * 1024 - 8, 64, VIRTQ_DESC_F_WRITE); return 0; }],
    ["a huge 64-bit address", (d) => { d.desc(0, 2 ** 62, 64, VIRTQ_DESC_F_WRITE); return 0; }],
    ["a descriptor loop", (d) => { d.desc(0, BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1); d.desc(1, BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0); return 0; }],
    ["a next index past the table", (d) => { d.desc(0, BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 200); return 0; }],
    ["a head index past the table", () => 9],
    ["an indirect table outside RAM", (d) => { d.desc(0, 0x10, 32, VIRTQ_DESC_F_INDIRECT); return 0; }],
    ["an indirect table of odd length", (d) => { d.desc(0, BUF, 24, VIRTQ_DESC_F_INDIRECT); return 0; }],
    ["a nested indirect table", (d) => { d.desc(0, BUF, 16, VIRTQ_DESC_F_INDIRECT); return 0; }],
    ["a readable after a writable descriptor", (d) => { d.desc(0, BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1); d.desc(1, BUF, 4, 0); return 0; }],
  ];

  for (const [what, build] of malformed) {
    it(`survives ${what}: DEVICE_NEEDS_RESET, no used entry, recovers after reset`, () => {
      const m = new Machine({ cpus: 1, ramMiB: 16 });
      const d = driver(m);
      d.negotiate(0, 1);
      d.start();
      // A nested indirect needs the first table entry to be indirect itself.
      if (what.startsWith("a nested")) {
        const o = BUF - RAM_BASE;
        m.bus.ramView.setBigUint64(o, BigInt(BUF + 0x100), true);
        m.bus.ramView.setUint32(o + 8, 16, true);
        m.bus.ramView.setUint16(o + 12, VIRTQ_DESC_F_INDIRECT, true);
      }
      const head = build(d);
      expect(() => d.submit(head)).not.toThrow();
      expect(d.usedIdx()).toBe(0);
      expect(d.rd(R.STATUS) & STATUS.DEVICE_NEEDS_RESET).toBe(STATUS.DEVICE_NEEDS_RESET);
      expect(d.rd(R.INTERRUPT_STATUS) & 2).toBe(2); // config change
      // Reset and start over with a good buffer.
      d.negotiate(0, 1);
      d.start();
      d.desc(0, BUF, 8, VIRTQ_DESC_F_WRITE);
      const d2 = driver(m); // fresh avail index counter
      d2.submit(0);
      expect(d.usedIdx()).toBe(1);
      expect(d.used(0)).toEqual({ id: 0, len: 8 });
    });
  }

  it("refuses QueueReady for rings outside RAM", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    const d = driver(m);
    d.negotiate(0, 1);
    d.wr(R.QUEUE_SEL, 0);
    d.wr(R.QUEUE_NUM, QSIZE);
    d.wr(R.QUEUE_DESC_LOW, 0x100);
    d.wr(R.QUEUE_READY, 1);
    expect(d.rd(R.QUEUE_READY)).toBe(0);
    expect(d.rd(R.STATUS) & STATUS.DEVICE_NEEDS_RESET).toBe(STATUS.DEVICE_NEEDS_RESET);
  });
});
