import { describe, expect, it } from "vitest";
import { VirtualClock } from "../emulator/clock.js";
import { Link, serialisationNs, IDEAL_LINK, type LinkOptions } from "../emulator/net/link.js";
import { Capture, PCAP_MAGIC_NS } from "../emulator/net/capture.js";
import type { FrameSink, NetEndpoint } from "../emulator/net/endpoint.js";

/** A bare endpoint recording (time, sequence number) of each frame it receives. */
function endpoint(clock: VirtualClock, name: string) {
  let tx: FrameSink | undefined;
  const got: { t: number; seq: number; len: number }[] = [];
  const ep: NetEndpoint & { send(seq: number, len?: number): void; got: typeof got } = {
    name, clock, got,
    receive(f) { got.push({ t: clock.now(), seq: new DataView(f.buffer, f.byteOffset).getUint32(14, true), len: f.length }); },
    connect(t) { tx = t; },
    send(seq, len = 1000) {
      const f = new Uint8Array(len);
      new DataView(f.buffer).setUint32(14, seq, true);
      tx?.(f);
    },
  };
  return ep;
}

function pair(opts: LinkOptions) {
  const clock = new VirtualClock();
  const a = endpoint(clock, "a");
  const b = endpoint(clock, "b");
  const link = new Link(a, b, opts);
  return { clock, a, b, link };
}

/** Send n frames from a, one every `gapNs`, then run the clock out. */
function blast(p: ReturnType<typeof pair>, n: number, gapNs = 0, len = 1000): void {
  for (let i = 0; i < n; i++) {
    p.clock.runDue(i * gapNs);
    p.a.send(i, len);
  }
  p.clock.runDue(1e15);
}

describe("link timing", () => {
  it("delivers after exactly delay + serialisation, back-to-back frames queue behind each other", () => {
    const p = pair({ params: { delayNs: 5_000_000, bandwidthBps: 10_000_000 } });
    expect(serialisationNs(p.link.params("aToB"), 1000)).toBe(800_000);
    p.a.send(0);
    p.a.send(1);
    p.a.send(2);
    p.clock.runDue(5_799_999);
    expect(p.b.got).toEqual([]);
    p.clock.runDue(1e12);
    expect(p.b.got.map((g) => g.t)).toEqual([5_800_000, 6_600_000, 7_400_000]);
    expect(p.b.got.map((g) => g.seq)).toEqual([0, 1, 2]);
    expect(p.a.got).toEqual([]);
  });

  it("is full duplex with independent directions and overhead bytes", () => {
    const p = pair({ params: { delayNs: 1000 }, bToA: { delayNs: 3000, bandwidthBps: 8e9, overheadBytes: 24 } });
    p.a.send(7, 100);
    p.b.send(8, 100);
    p.clock.runDue(1e9);
    expect(p.b.got).toEqual([{ t: 1000, seq: 7, len: 100 }]);
    expect(p.a.got).toEqual([{ t: 3000 + 124, seq: 8, len: 100 }]);
  });

  it("changes while running affect only later frames", () => {
    const p = pair({ params: { delayNs: 1_000_000 } });
    p.a.send(0);
    p.link.set({ delayNs: 100 }, "aToB");
    p.a.send(1);
    p.clock.runDue(1e9);
    expect(p.b.got.map((g) => [g.seq, g.t])).toEqual([[1, 100], [0, 1_000_000]]);
    expect(p.link.params("bToA").delayNs).toBe(1_000_000);
  });

  it("rejects bad parameters with RangeError and keeps the old ones", () => {
    const p = pair({});
    expect(() => p.link.set({ lossRate: 1.5 })).toThrow(RangeError);
    expect(() => p.link.set({ delayNs: -1 })).toThrow(RangeError);
    expect(() => p.link.set({ red: { minThreshold: 5, maxThreshold: 5, maxP: 0.1, weight: 0.1 } })).toThrow(RangeError);
    expect(p.link.params("aToB")).toEqual({ ...IDEAL_LINK });
    expect(() => new Link(p.a, p.a)).toThrow(RangeError);
  });

  it("drops everything while down, including frames in flight", () => {
    const p = pair({ params: { delayNs: 1000 } });
    p.a.send(0);
    p.link.up = false;
    p.a.send(1);
    p.clock.runDue(1e6);
    expect(p.b.got).toEqual([]);
    expect(p.link.counters("aToB").droppedDown).toBe(2);
    p.link.up = true;
    p.a.send(2);
    p.clock.runDue(2e6);
    expect(p.b.got.map((g) => g.seq)).toEqual([2]);
  });
});

describe("link clocks", () => {
  it("counts deliveries made late because the receiver's clock ran ahead", () => {
    const ca = new VirtualClock();
    const cb = new VirtualClock();
    const a = endpoint(ca, "a");
    const b = endpoint(cb, "b");
    const link = new Link(a, b, { params: { delayNs: 1000 } });
    cb.runDue(5000); // b ran ahead by a slice longer than the delay
    a.send(1);
    cb.runDue(5000);
    expect(b.got).toEqual([{ t: 5000, seq: 1, len: 1000 }]);
    expect(link.counters("aToB")).toMatchObject({ late: 1, maxLateNs: 4000 });
  });

  it("uses the sender's finer transmit time when it has one", () => {
    const clock = new VirtualClock();
    const a = Object.assign(endpoint(clock, "a"), { txTimeNs: () => 700 });
    const b = endpoint(clock, "b");
    new Link(a, b, { params: { delayNs: 1000 } });
    a.send(1);
    clock.runDue(1e6);
    expect(b.got[0].t).toBe(1700);
  });
});

describe("link queue", () => {
  it("drop-tail in packets: a burst beyond the limit is dropped, the queue drains with time", () => {
    const p = pair({ params: { bandwidthBps: 8_000_000, queueLimit: 5 } }); // 1 ms per 1000-byte frame
    for (let i = 0; i < 20; i++) p.a.send(i);
    const c = p.link.counters("aToB");
    expect(c.droppedQueue).toBe(15);
    expect(p.link.snapshot().aToB.queuePackets).toBe(5);
    p.clock.runDue(2_000_000); // two frames serialised
    p.a.send(100);
    p.a.send(101);
    p.a.send(102);
    p.clock.runDue(1e12);
    expect(p.b.got.map((g) => g.seq)).toEqual([0, 1, 2, 3, 4, 100, 101]);
    expect(p.link.counters("aToB").droppedQueue).toBe(16);
  });

  it("drop-tail in bytes", () => {
    const p = pair({ params: { bandwidthBps: 1e6, queueLimit: 2500, queueUnit: "bytes" } });
    for (let i = 0; i < 5; i++) p.a.send(i);
    p.a.send(9, 400); // still fits: 2000 + 400 <= 2500
    p.clock.runDue(1e12);
    expect(p.b.got.map((g) => g.seq)).toEqual([0, 1, 9]);
    expect(p.link.counters("aToB").droppedQueue).toBe(3);
  });

  it("RED drops early, keeps the average below the hard limit, and repeats exactly", () => {
    const run = (seed: number) => {
      const p = pair({ seed, params: { bandwidthBps: 8_000_000, queueLimit: 100, red: { minThreshold: 5, maxThreshold: 15, maxP: 0.1, weight: 0.2 } } });
      blast(p, 3000, 900_000); // offered 1.11x the link rate
      return { seqs: p.b.got.map((g) => g.seq), c: p.link.counters("aToB"), snap: p.link.snapshot() };
    };
    const r1 = run(3);
    expect(r1.c.droppedRed).toBeGreaterThan(100);
    expect(r1.c.droppedQueue).toBe(0);
    expect(r1.c.deliveredPackets + r1.c.droppedRed).toBe(3000);
    expect(run(3)).toEqual(r1);
    expect(run(4).seqs).not.toEqual(r1.seqs);
    // Without RED the same load fills the queue to its limit instead.
    const p = pair({ params: { bandwidthBps: 8_000_000, queueLimit: 100 } });
    blast(p, 3000, 900_000);
    expect(p.link.counters("aToB").droppedRed).toBe(0);
    expect(p.link.counters("aToB").droppedQueue).toBeGreaterThan(100);
  });
});

describe("link impairments (seeded)", () => {
  const N = 10_000;
  // Within 4.5 standard deviations of n*p: a broken implementation fails, a correct one essentially never.
  const near = (k: number, rate: number) => expect(Math.abs(k - N * rate)).toBeLessThan(4.5 * Math.sqrt(N * rate * (1 - rate)));

  it("loses about lossRate of the frames, the same ones for the same seed", () => {
    const run = (seed: number) => {
      const p = pair({ seed, params: { lossRate: 0.1, delayNs: 1000 } });
      blast(p, N, 10);
      return p;
    };
    const p1 = run(42);
    const c = p1.link.counters("aToB");
    near(c.lost, 0.1);
    expect(c.deliveredPackets).toBe(N - c.lost);
    expect(p1.b.got).toEqual(run(42).b.got);
    expect(p1.b.got).not.toEqual(run(43).b.got);
  });

  it("duplicates about duplicateRate of the frames, copies arriving together", () => {
    const p = pair({ seed: 7, params: { duplicateRate: 0.05, delayNs: 1000 } });
    blast(p, N, 10);
    const c = p.link.counters("aToB");
    near(c.duplicated, 0.05);
    expect(p.b.got.length).toBe(N + c.duplicated);
    const seen = new Map<number, number[]>();
    for (const g of p.b.got) seen.set(g.seq, [...(seen.get(g.seq) ?? []), g.t]);
    const twice = [...seen.values()].filter((ts) => ts.length === 2);
    expect(twice.length).toBe(c.duplicated);
    for (const ts of twice) expect(ts[0]).toBe(ts[1]);
  });

  it("reorders about reorderRate of the frames by holding them back", () => {
    const p = pair({ seed: 9, params: { reorderRate: 0.1, reorderDelayNs: 50_000, delayNs: 1000 } });
    blast(p, N, 10_000);
    const c = p.link.counters("aToB");
    near(c.reordered, 0.1);
    const seqs = p.b.got.map((g) => g.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
    // Each held-back frame is overtaken by the following ones: count frames arriving after a higher number.
    let late = 0;
    let max = -1;
    for (const s of seqs) {
      if (s < max) late++;
      max = Math.max(max, s);
    }
    // Only held-back frames arrive late; one near the end of the run may have no one left to overtake it.
    expect(late).toBeLessThanOrEqual(c.reordered);
    expect(late).toBeGreaterThanOrEqual(c.reordered - 5);
  });

  it("keeps each impairment's pattern when another rate changes", () => {
    const lostSet = (dup: number) => {
      const p = pair({ seed: 5, params: { lossRate: 0.2, duplicateRate: dup } });
      blast(p, 2000, 10);
      const got = new Set(p.b.got.map((g) => g.seq));
      return Array.from({ length: 2000 }, (_, i) => i).filter((i) => !got.has(i));
    };
    expect(lostSet(0.3)).toEqual(lostSet(0));
  });

  it("snapshot is plain JSON", () => {
    const p = pair({ params: { lossRate: 0.5 } });
    blast(p, 10);
    const s = p.link.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.aToB.params.queueLimit).toBe("unlimited");
    expect(s.aToB.counters.sentPackets).toBe(10);
  });
});

describe("link capture", () => {
  it("records each frame's fate in virtual time and exports pcap", () => {
    const cap = new Capture(100);
    const p = pair({ seed: 11, capture: cap, params: { delayNs: 1500, bandwidthBps: 8e9, queueLimit: 2, lossRate: 0.3 } });
    for (let i = 0; i < 10; i++) p.a.send(i, 100);
    p.clock.runDue(1e9);
    const c = p.link.counters("aToB");
    const snap = cap.snapshot();
    expect(snap.byEvent).toEqual({ send: 10, "drop-queue": c.droppedQueue, ...(c.lost ? { lost: c.lost } : {}), deliver: c.deliveredPackets });
    const delivers = cap.records((r) => r.event === "deliver");
    expect(delivers.map((r) => r.tNs)).toEqual(p.b.got.map((g) => g.t));
    expect(delivers[0].where).toBe("a <-> b aToB");
    const pcap = cap.toPcap();
    const v = new DataView(pcap.buffer);
    expect(v.getUint32(0, true)).toBe(PCAP_MAGIC_NS);
    expect(v.getUint32(20, true)).toBe(1);
    expect(pcap.length).toBe(24 + delivers.length * (16 + 100));
    expect(v.getUint32(24 + 4, true)).toBe(delivers[0].tNs); // ns part of the first timestamp
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it("keeps only the newest records when full", () => {
    const cap = new Capture(3);
    const p = pair({ capture: cap });
    for (let i = 0; i < 5; i++) p.a.send(i);
    expect(cap.records().length).toBe(3);
    expect(cap.overwritten).toBe(2);
    expect(cap.records().map((r) => r.frame[14])).toEqual([2, 3, 4]);
    expect(() => new Capture(0)).toThrow(RangeError);
  });
});

describe("link state", () => {
  it("save and load mid-run resumes exactly, frames in flight included", () => {
    const opts: LinkOptions = { seed: 21, params: { delayNs: 30_000, bandwidthBps: 80_000_000, queueLimit: 8, lossRate: 0.1, duplicateRate: 0.05, reorderRate: 0.1, reorderDelayNs: 20_000 } };
    const drive = (p: ReturnType<typeof pair>, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        p.clock.runDue(i * 50_000 / 4);
        p.a.send(i);
        if (i % 3 === 0) p.a.send(10_000 + i);
      }
    };
    const ref = pair(opts);
    drive(ref, 0, 400);
    ref.clock.runDue(1e12);
    const half = pair(opts);
    drive(half, 0, 200);
    const clockState = half.clock.saveState();
    const st = JSON.parse(JSON.stringify(half.link.saveState()));
    expect(st.aToB.inFlight.length).toBeGreaterThan(0);
    const resumed = pair(opts);
    resumed.clock.loadState(clockState);
    resumed.link.loadState(st);
    drive(resumed, 200, 400);
    resumed.clock.runDue(1e12);
    // What arrived before the save plus what arrived after the load equals the uninterrupted run.
    const before = half.b.got;
    expect([...before, ...resumed.b.got]).toEqual(ref.b.got);
    expect(resumed.link.counters("aToB")).toEqual(ref.link.counters("aToB"));
  });
});
