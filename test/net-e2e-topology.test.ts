// Network labs (emulator/net/topology.ts) with host-only machines: a NIC
// model that records what arrives, so the lab's wiring, timing, link changes
// and snapshots can be checked without booting ViperDOS.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../emulator/clock.js";
import type { FrameSink, NetEndpoint } from "../emulator/net/endpoint.js";
import { Topology, type LabMachine } from "../emulator/net/topology.js";
import { topologyBundle, topologySvg } from "../widgets/topology.js";
import { tcpTraceSpec, traceRows, traceSummary } from "../widgets/tcp.js";
import { checkChartSpec } from "../widgets/chart.js";

class FakeNic implements NetEndpoint {
  tx: FrameSink | undefined;
  readonly got: { t: number; frame: Uint8Array }[] = [];
  constructor(
    readonly name: string,
    readonly clock: VirtualClock,
  ) {}
  connect(tx: FrameSink | undefined): void {
    this.tx = tx;
  }
  receive(frame: Uint8Array): void {
    this.got.push({ t: this.clock.now(), frame });
  }
  send(frame: Uint8Array): void {
    this.tx?.(frame);
  }
}

function frame(dst: string, src: string, len = 100): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst.split(":").map((h) => parseInt(h, 16)), 0);
  f.set(src.split(":").map((h) => parseInt(h, 16)), 6);
  f[12] = 0x08;
  return f;
}

function fakeLab(n: number, link?: Record<string, unknown>) {
  const nics: FakeNic[] = [];
  const lab = new Topology(
    { machines: Array.from({ length: n }, (_, i) => ({ name: `m${i}`, link: i === 1 ? (link as never) : undefined })) },
    (spec): LabMachine => {
      const clock = new VirtualClock();
      const nic = new FakeNic(spec.name, clock);
      nics.push(nic);
      return { name: spec.name, clock, nic, runUntil: (ns) => void clock.runDue(ns), snapshot: () => ({ ip: spec.ip }) };
    },
  );
  return { lab, nics };
}

describe("Topology", () => {
  it("delivers through the switch after both links' delays and the bottleneck's serialisation", () => {
    const { lab, nics } = fakeLab(2, { delayNs: 5e6, bandwidthBps: 8e6 });
    lab.setLink("m0", { delayNs: 1e6 });
    const macA = lab.specs[0].mac;
    const macB = lab.specs[1].mac;
    expect(macA).not.toBe(macB);
    nics[0].send(frame("ff:ff:ff:ff:ff:ff", macA, 1000));
    lab.runFor(20e6);
    expect(nics[1].got.length).toBe(1);
    // 1 ms on m0's link, then m1's link from the switch: 1000 bytes at 8 Mbit/s = 1 ms, + 5 ms.
    expect(nics[1].got[0].t).toBe(1e6 + 1e6 + 5e6);
    // Reply unicast: the switch learned m0's port, nothing is flooded back to m1.
    nics[1].send(frame(macA, macB, 500));
    lab.runFor(20e6);
    expect(nics[0].got.length).toBe(1);
    expect(nics[1].got.length).toBe(1);
    expect(lab.sliceNs()).toBe(1e6);
  });

  it("applies loss set while running, per link, and says why a change is refused", () => {
    const { lab, nics } = fakeLab(3);
    expect(lab.setLink("m2", { lossRate: 1 })).toBeUndefined();
    expect(lab.setLink("nosuch", { lossRate: 0.5 })).toMatch(/no link nosuch/);
    expect(lab.setLink("m1", { lossRate: 2 })).toMatch(/loss/i);
    for (let i = 0; i < 10; i++) nics[0].send(frame("ff:ff:ff:ff:ff:ff", lab.specs[0].mac));
    lab.runFor(5e6);
    expect(nics[1].got.length).toBe(10);
    expect(nics[2].got.length).toBe(0);
    const snap = lab.snapshot();
    expect(JSON.parse(JSON.stringify(snap)).links.find((l: { name: string }) => l.name === "m2").bToA.counters.lost).toBe(10);
    expect(snap.machines.map((m) => m.ip)).toEqual(["10.0.2.15", "10.0.2.16", "10.0.2.17"]);
  });

  it("rejects bad specs", () => {
    const f = () => ({ name: "x", clock: new VirtualClock(), nic: new FakeNic("x", new VirtualClock()), runUntil: () => {} });
    expect(() => new Topology({ machines: [] }, f)).toThrow(RangeError);
    expect(() => new Topology({ machines: [{ name: "a" }, { name: "A" }] }, f)).toThrow(/twice/);
    expect(() => new Topology({ machines: [{ name: "bad name" }] }, f)).toThrow(/bad machine name/);
  });

  it("renders as a diagram and tables", () => {
    const { lab } = fakeLab(2, { delayNs: 20e6, bandwidthBps: 10e6, queueLimit: 50, lossRate: 0.01 });
    const b = topologyBundle(lab.snapshot());
    expect(b["text/plain"]).toMatch(/m1 .*20 ms, 10 Mbit\/s, queue 50 packets, loss 1%/);
    expect(String(b["image/svg+xml"])).toMatch(/^<svg/);
    expect(topologySvg(lab.snapshot())).toContain("m0");
  });
});

describe("TCP trace chart", () => {
  const samples = Array.from({ length: 5000 }, (_, i) => ({
    tNs: 1e9 + i * 1e5,
    cwnd: 14600 + (i % 1000) * 1460,
    ssthresh: i < 1000 ? 0x7fffffff : 500_000,
    retransmits: Math.floor(i / 1000),
    event: i % 1000 === 999 ? "fast-retransmit" : i === 0 ? "established" : undefined,
  }));

  it("is a valid vega-lite spec in virtual time, thinned but keeping every event", () => {
    const spec = tcpTraceSpec([{ label: "newreno", samples }]);
    expect(checkChartSpec(spec)).toEqual([]);
    const rows = traceRows([{ label: "newreno", samples }]);
    expect(rows.filter((r) => r.series === "cwnd").length).toBeLessThanOrEqual(2100);
    expect(rows.filter((r) => r.series === "event").map((r) => r.event)).toEqual(Array(5).fill("fast-retransmit"));
    // ssthresh is drawn only once it is set (not the engine's "infinite" initial value).
    expect(rows.find((r) => r.series === "ssthresh")!.t_ms).toBeGreaterThanOrEqual(100);
    expect(rows[0].t_ms).toBe(0);
  });

  it("summarises each run", () => {
    const { rows } = traceSummary([{ label: "a", samples }, { label: "b", samples: [] }]);
    expect(rows[0]).toEqual(["a", 5000, 499.9, +((14600 + 999 * 1460) / 1024).toFixed(1), +((14600 + 999 * 1460) / 1024).toFixed(1), 0, 5, 0, 4]);
    expect(rows[1][1]).toBe(0);
  });
});
