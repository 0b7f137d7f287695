import { describe, expect, it } from "vitest";
import { Machine, INTID_VIRTIO0 } from "../emulator/machine.js";
import { RAM_BASE } from "../emulator/bus.js";
import { GICD } from "../emulator/devices/gic.js";
import { INT_CONFIG_CHANGE, INT_USED_BUFFER, STATUS, VIRTIO_MMIO as R } from "../emulator/devices/virtio-mmio.js";
import { VIRTIO_ID_NET, VirtioNet } from "../emulator/devices/virtio-net.js";
import { HostNetDriver } from "../emulator/net/host-driver.js";
import { Link } from "../emulator/net/link.js";
import { Switch } from "../emulator/net/switch.js";
import { parseMac } from "../emulator/net/endpoint.js";
import { Rng } from "../emulator/rng.js";

const MAC_A = "52:54:00:00:00:0a";
const MAC_B = "52:54:00:00:00:0b";
const MAC_C = "52:54:00:00:00:0c";

/** An Ethernet frame dst, src, EtherType 0x88b5 (local experimental), a sequence number, padded to len. */
function frame(dst: string, src: string, seq: number, len = 1000): Uint8Array {
  const f = new Uint8Array(len);
  f.set(parseMac(dst)!, 0);
  f.set(parseMac(src)!, 6);
  f[12] = 0x88; f[13] = 0xb5;
  new DataView(f.buffer).setUint32(14, seq, true);
  f.fill(seq & 0xff, 18);
  return f;
}
const seqOf = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(14, true);

/** A machine without CPUs running: the tests drive the clock and the devices directly. */
function nicOn(m: Machine, mac: string, region: number, rxBuffers?: number) {
  const nic = new VirtioNet({ clock: m.clock, mac });
  const slot = m.attachVirtio(nic);
  const drv = new HostNetDriver(m.bus, m.virtioBase(slot), region, { rxBuffers });
  return { nic, slot, drv };
}

const gicPending = (m: Machine, intid: number) => (m.bus.read32(0x0800_0000 + GICD.ISPENDR + 4 * (intid >> 5)) >>> (intid & 31)) & 1;

describe("virtio-net device", () => {
  it("is discoverable and negotiates MAC, STATUS, VERSION_1", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false });
    const a = nicOn(m, MAC_A, RAM_BASE + 0x100000);
    expect(a.drv["rd"](R.DEVICE_ID)).toBe(VIRTIO_ID_NET);
    expect(a.drv.init() & STATUS.FEATURES_OK).toBe(STATUS.FEATURES_OK);
    expect(a.drv["rd"](R.STATUS) & STATUS.DRIVER_OK).toBe(STATUS.DRIVER_OK);
    expect(a.drv.mac()).toBe(MAC_A);
    expect(a.drv.linkStatus()).toBe(1);
    expect(a.nic.snapshot()).toMatchObject({ mac: MAC_A, driverReady: true, linkUp: true, plugged: false, rxBuffersAvailable: 16 });
  });

  it("two NICs on one machine: frames arrive after exactly delay + serialisation, with an interrupt", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false });
    const a = nicOn(m, MAC_A, RAM_BASE + 0x100000);
    const b = nicOn(m, MAC_B, RAM_BASE + 0x200000);
    a.drv.init();
    b.drv.init();
    new Link(a.nic, b.nic, { params: { delayNs: 5_000_000, bandwidthBps: 10_000_000 } });
    m.clock.runDue(1_000_000);
    for (let i = 0; i < 3; i++) expect(a.drv.send(frame(MAC_B, MAC_A, i))).toBe(true);
    // 1000 bytes at 10 Mb/s = 800 us each, after 5 ms of propagation.
    m.clock.runDue(1_000_000 + 5_800_000 - 1);
    expect(b.drv.receive()).toEqual([]);
    expect(gicPending(m, INTID_VIRTIO0 + b.slot)).toBe(0);
    m.clock.runDue(1_000_000 + 5_800_000);
    const first = b.drv.receive();
    expect(first).toEqual([frame(MAC_B, MAC_A, 0)]);
    expect(gicPending(m, INTID_VIRTIO0 + b.slot)).toBe(1);
    expect(b.drv.ackInterrupt() & INT_USED_BUFFER).toBe(INT_USED_BUFFER);
    m.clock.runDue(1_000_000 + 7_400_000 - 1);
    expect(b.drv.receive().map(seqOf)).toEqual([1]);
    m.clock.runDue(1_000_000 + 7_400_000);
    expect(b.drv.receive().map(seqOf)).toEqual([2]);
    expect(b.nic.counters).toMatchObject({ rxPackets: 3, rxBytes: 3000, rxDroppedNoBuffer: 0 });
    expect(a.nic.counters).toMatchObject({ txPackets: 3, txBytes: 3000, txErrors: 0 });
    // And back the other way.
    b.drv.send(frame(MAC_A, MAC_B, 99, 60));
    m.clock.runDue(m.clock.now() + 5_000_000 + 48_000);
    expect(a.drv.receive().map(seqOf)).toEqual([99]);
  });

  it("two machines with their own clocks, advanced in lockstep", () => {
    const m1 = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false, seed: 1 });
    const m2 = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false, seed: 2 });
    const a = nicOn(m1, MAC_A, RAM_BASE + 0x100000);
    const b = nicOn(m2, MAC_B, RAM_BASE + 0x100000);
    a.drv.init();
    b.drv.init();
    new Link(a.nic, b.nic, { params: { delayNs: 200_000, bandwidthBps: 100_000_000 } });
    const got: [number, number][] = [];
    for (let t = 0; t <= 2_000_000; t += 1000) {
      m1.clock.runDue(t);
      m2.clock.runDue(t);
      if (t === 100_000) a.drv.send(frame(MAC_B, MAC_A, 1, 1500));
      for (const f of b.drv.receive()) got.push([seqOf(f), m2.clock.now()]);
    }
    expect(got).toEqual([[1, 100_000 + 200_000 + 120_000]]);
  });

  it("drops with a counter when no RX buffer is posted or the driver is not ready", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false });
    const a = nicOn(m, MAC_A, RAM_BASE + 0x100000);
    const b = nicOn(m, MAC_B, RAM_BASE + 0x200000, 2);
    new Link(a.nic, b.nic);
    a.drv.init();
    a.drv.send(frame(MAC_B, MAC_A, 0)); // b not initialised yet
    m.clock.runDue(10);
    expect(b.nic.counters.rxDroppedNotReady).toBe(1);
    b.drv.init();
    for (let i = 1; i <= 4; i++) a.drv.send(frame(MAC_B, MAC_A, i));
    m.clock.runDue(20);
    expect(b.drv.receive().map(seqOf)).toEqual([1, 2]);
    expect(b.nic.counters.rxDroppedNoBuffer).toBe(2);
    // Buffers were reposted by receive(): traffic flows again.
    a.drv.send(frame(MAC_B, MAC_A, 5));
    m.clock.runDue(30);
    expect(b.drv.receive().map(seqOf)).toEqual([5]);
  });

  it("link down: config change interrupt, status bit clear, frames dropped", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false });
    const a = nicOn(m, MAC_A, RAM_BASE + 0x100000);
    const b = nicOn(m, MAC_B, RAM_BASE + 0x200000);
    new Link(a.nic, b.nic);
    a.drv.init();
    b.drv.init();
    b.nic.setLinkUp(false);
    expect(b.drv.linkStatus()).toBe(0);
    expect(b.drv.ackInterrupt() & INT_CONFIG_CHANGE).toBe(INT_CONFIG_CHANGE);
    a.drv.send(frame(MAC_B, MAC_A, 0));
    m.clock.runDue(10);
    expect(b.drv.receive()).toEqual([]);
    expect(b.nic.counters.rxDroppedNotReady).toBe(1);
    b.nic.setLinkUp(true);
    expect(b.drv.linkStatus()).toBe(1);
  });

  it("bad TX chains and descriptors never throw", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false });
    const a = nicOn(m, MAC_A, RAM_BASE + 0x100000);
    const b = nicOn(m, MAC_B, RAM_BASE + 0x200000);
    new Link(a.nic, b.nic);
    a.drv.init();
    b.drv.init();
    expect(a.drv.send(new Uint8Array(0))).toBe(true); // header only
    expect(a.drv.send(new Uint8Array(10))).toBe(true); // runt
    expect(a.drv.send(new Uint8Array(2000))).toBe(true); // longer than 1514
    expect(a.nic.counters.txErrors).toBe(3);
    m.clock.runDue(10);
    expect(b.drv.receive()).toEqual([]);
    // A descriptor pointing outside RAM: the transport flags DEVICE_NEEDS_RESET.
    const txDesc = RAM_BASE + 0x100000 + 0x3000;
    const v = m.bus.ramView;
    expect(a.drv.send(frame(MAC_B, MAC_A, 1))).toBe(true);
    v.setBigUint64(txDesc + 16 * 4 - RAM_BASE, 0xdead_0000_0000n, true);
    v.setUint32(txDesc + 16 * 4 + 8 - RAM_BASE, 100, true);
    // Re-publish descriptor 4 by hand.
    const avail = RAM_BASE + 0x100000 + 0x4000 - RAM_BASE;
    const idx = v.getUint16(avail + 2, true);
    v.setUint16(avail + 4 + 2 * (idx % 16), 4, true);
    v.setUint16(avail + 2, idx + 1, true);
    expect(() => m.bus.write32(m.virtioBase(a.slot) + R.QUEUE_NOTIFY, 1)).not.toThrow();
    expect(m.bus.read32(m.virtioBase(a.slot) + R.STATUS) & STATUS.DEVICE_NEEDS_RESET).toBe(STATUS.DEVICE_NEEDS_RESET);
    // An RX buffer too small for the frame is returned empty and counted.
    const c = nicOn(m, MAC_C, RAM_BASE + 0x300000);
    c.drv.init();
    m.bus.ramView.setUint32(RAM_BASE + 0x300000 + 8 - RAM_BASE, 100, true); // shrink RX descriptor 0
    new Link(b.nic, c.nic);
    b.drv.send(frame(MAC_C, MAC_B, 7, 500));
    b.drv.send(frame(MAC_C, MAC_B, 8, 500));
    m.clock.runDue(20);
    expect(c.drv.receive().map(seqOf)).toEqual([8]);
    expect(c.nic.counters.rxDroppedTooSmall).toBe(1);
  });

  it("three machines through a learning switch: unknown destinations flood, learned ones do not", () => {
    const ms = [1, 2, 3].map((seed) => new Machine({ cpus: 1, ramMiB: 16, virtioRng: false, seed }));
    const nics = [MAC_A, MAC_B, MAC_C].map((mac, i) => nicOn(ms[i], mac, RAM_BASE + 0x100000));
    const sw = new Switch(ms[0].clock, { ports: 4 });
    nics.forEach((n, i) => {
      n.drv.init();
      new Link(n.nic, sw.port(i), { params: { delayNs: 1000 } });
    });
    const step = (t: number) => ms.forEach((m) => m.clock.runDue(t));
    const rx = () => nics.map((n) => n.drv.receive().map(seqOf));
    nics[0].drv.send(frame(MAC_B, MAC_A, 1)); // B unknown: flooded to B and C
    step(10_000);
    expect(rx()).toEqual([[], [1], [1]]);
    nics[1].drv.send(frame(MAC_A, MAC_B, 2)); // A learned: only A
    step(20_000);
    expect(rx()).toEqual([[2], [], []]);
    nics[0].drv.send(frame(MAC_B, MAC_A, 3)); // B learned now
    nics[2].drv.send(frame("ff:ff:ff:ff:ff:ff", MAC_C, 4)); // broadcast
    step(30_000);
    expect(rx()).toEqual([[4], [3, 4], []]);
    expect(sw.snapshot().macTable.map((e) => [e.mac, e.port])).toEqual([[MAC_A, 0], [MAC_B, 1], [MAC_C, 2]]);
  });
});

describe("virtio-net fuzz", () => {
  it("random ring contents and kicks never throw; the device keeps counting", () => {
    const rng = new Rng(2024);
    for (let round = 0; round < 20; round++) {
      const m = new Machine({ cpus: 1, ramMiB: 16, virtioRng: false });
      const a = nicOn(m, MAC_A, RAM_BASE + 0x100000);
      const b = nicOn(m, MAC_B, RAM_BASE + 0x200000);
      new Link(a.nic, b.nic, { params: { delayNs: 100 } });
      a.drv.init();
      b.drv.init();
      const region = RAM_BASE + 0x100000;
      const base = m.virtioBase(a.slot);
      const body = () => {
        for (let i = 0; i < 200; i++) {
          // Scribble on a random descriptor, ring slot or index, then kick a random queue.
          const off = rng.nextInt(0x6000);
          m.bus.ramView.setUint32(region + off - RAM_BASE, rng.nextU32(), true);
          m.bus.write32(base + R.QUEUE_NOTIFY, rng.nextInt(3));
          if (i % 7 === 0) a.drv.send(frame(MAC_B, MAC_A, i, 18 + rng.nextInt(1600)));
          b.drv.send(frame(MAC_A, MAC_B, i, 60));
          m.clock.runDue(m.clock.now() + 50);
          a.drv.receive();
          b.drv.receive();
        }
      };
      expect(body).not.toThrow();
      const c = a.nic.counters;
      expect(c.txPackets + c.txErrors + c.rxPackets + c.rxDroppedNoBuffer + c.rxDroppedTooSmall + c.rxDroppedNotReady).toBeGreaterThan(0);
    }
  });
});
