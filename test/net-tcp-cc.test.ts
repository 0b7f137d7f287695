// Congestion control: the window rules of NewReno (RFC 5681) and CUBIC
// (RFC 9438) on a synthetic ACK clock, then both on a simulated bottleneck
// through the whole engine, read back from the connection traces.

import { beforeAll, describe, expect, it } from "vitest";
import { Cubic } from "../viperdos/kernel/net/tcp/cc/cubic.js";
import { NewReno } from "../viperdos/kernel/net/tcp/cc/newreno.js";
import type { CcWindows, CongestionController } from "../viperdos/kernel/net/tcp/cc/types.js";
import type { CongestionControlName, TcpConn, TcpTraceSample } from "../viperdos/kernel/net/tcp/api.js";
import { IP_A, IP_B, MS, TwoStacks } from "./net-tcp-harness.js";

const MSS = 1000;

/** One round trip of ACKs: every segment of the window acknowledged (one ACK each). */
function roundTrip(cc: CongestionController, w: CcWindows, nowNs: number, rttNs: number): void {
  const segs = Math.floor(w.cwnd / w.mss);
  for (let i = 0; i < segs; i++) cc.onAck(w, w.mss, nowNs + (rttNs * i) / segs, rttNs);
}

describe("NewReno windows (RFC 5681)", () => {
  it("slow start doubles per round trip, congestion avoidance adds one SMSS, loss halves", () => {
    const cc = new NewReno();
    const w = { cwnd: 2 * MSS, ssthresh: 16 * MSS, mss: MSS };
    const series: number[] = [];
    for (let r = 0; r < 6; r++) {
      roundTrip(cc, w, r * 100 * MS, 100 * MS);
      series.push(w.cwnd / MSS);
    }
    expect(series).toEqual([4, 8, 16, 17, 18, 19]);
    cc.onCongestion(w, 19 * MSS);
    expect(w.ssthresh).toBe(9500);
    expect(w.cwnd).toBe(9500);
    cc.onRto(w, 3 * MSS);
    expect(w.cwnd).toBe(MSS);
    expect(w.ssthresh).toBe(2 * MSS); // never below 2*SMSS
  });

  it("byte counting: a delayed ACK covering two segments grows slow start by two", () => {
    const cc = new NewReno();
    const w = { cwnd: 4 * MSS, ssthresh: 100 * MSS, mss: MSS };
    cc.onAck(w, 2 * MSS);
    expect(w.cwnd).toBe(6 * MSS);
    cc.onAck(w, 10 * MSS); // a stretch ACK still adds at most 2*SMSS (RFC 3465 L)
    expect(w.cwnd).toBe(8 * MSS);
  });
});

describe("CUBIC windows (RFC 9438)", () => {
  it("multiplicative decrease 0.7, then concave growth to W_max near t = K, then convex", () => {
    const cc = new Cubic();
    const w = { cwnd: 100 * MSS, ssthresh: 100 * MSS, mss: MSS };
    const rtt = 100 * MS;
    cc.onCongestion(w);
    expect(w.cwnd).toBe(70 * MSS);
    expect(w.ssthresh).toBe(70 * MSS);
    const k = Math.cbrt((100 * 0.3) / 0.4); // 4.22 s
    const series: { t: number; cwnd: number }[] = [];
    let t = 0;
    for (let r = 0; r < 90; r++) {
      roundTrip(cc, w, t, rtt);
      t += rtt;
      series.push({ t: t / 1e9, cwnd: w.cwnd / MSS });
    }
    expect(cc.state().k).toBeCloseTo(k, 5);
    const inc = series.map((s, i) => (i === 0 ? s.cwnd - 70 : s.cwnd - series[i - 1]!.cwnd));
    const before = series.findIndex((s) => s.t > k - 1.5);
    const after = series.findIndex((s) => s.t > k + 1.5);
    // Concave: increments shrink approaching the plateau...
    expect(inc[3]!).toBeGreaterThan(inc[before]!);
    expect(inc[before]!).toBeGreaterThan(inc[series.findIndex((s) => s.t > k - 0.3)]!);
    // ...the window sits near W_max around K...
    const atK = series.find((s) => s.t >= k)!;
    expect(atK.cwnd).toBeGreaterThan(97);
    expect(atK.cwnd).toBeLessThan(104);
    // ...and convex beyond it: increments grow again.
    expect(inc[after + 10]!).toBeGreaterThan(inc[after]!);
    expect(inc[after]!).toBeGreaterThan(inc[series.findIndex((s) => s.t > k + 0.3)]!);
    expect(cc.region).toBe("convex");
  });

  it("fast convergence: a loss below the previous W_max lowers W_max to cwnd*(1+beta)/2", () => {
    const cc = new Cubic();
    const w = { cwnd: 100 * MSS, ssthresh: 100 * MSS, mss: MSS };
    cc.onCongestion(w);
    expect(cc.state().wMax).toBe(100);
    w.cwnd = 80 * MSS;
    cc.onCongestion(w);
    expect(cc.state().wMax).toBeCloseTo(80 * 0.85, 6);
    const plain = new Cubic(false);
    const w2 = { cwnd: 100 * MSS, ssthresh: 100 * MSS, mss: MSS };
    plain.onCongestion(w2);
    w2.cwnd = 80 * MSS;
    plain.onCongestion(w2);
    expect(plain.state().wMax).toBe(80);
  });

  it("Reno-friendly region: with a short RTT and small window, cwnd follows the Reno estimate", () => {
    const cc = new Cubic();
    const w = { cwnd: 10 * MSS, ssthresh: 10 * MSS, mss: MSS };
    cc.onCongestion(w); // cwnd 7
    let t = 0;
    for (let r = 0; r < 20; r++) {
      roundTrip(cc, w, t, 1 * MS);
      t += 1 * MS;
    }
    expect(cc.region).toBe("reno-friendly");
    // alpha = 3(1-0.7)/(1+0.7) = 0.53 segments per RTT, then 1 once past cwnd_prior: well above W_cubic(20 ms) ~ 7.
    expect(w.cwnd / MSS).toBeGreaterThan(14);
    expect(w.cwnd / MSS).toBeLessThan(30);
  });
});

// ---------------------------------------------------------------------------
// Through the engine
// ---------------------------------------------------------------------------

/** a -> b bulk transfer of size bytes over a bottleneck; returns the sender's trace. */
function bulk(cc: CongestionControlName, size: number): { trace: TcpTraceSample[]; conn: TcpConn } {
  const net = new TwoStacks({ delayNs: 20 * MS, rateBytesPerSec: 2_500_000, queuePackets: 40 }, { cc, traceCapacity: 100_000 }, {}, 5);
  const l = net.b.listen(IP_B, 5001, 4);
  const c = net.a.connect(IP_A, IP_B, 5001, 0);
  if (typeof l === "number" || typeof c === "number") throw new Error("setup");
  let srv: TcpConn | undefined;
  let sent = 0;
  let got = 0;
  const chunk = new Uint8Array(65536);
  const ok = net.run(600_000 * MS, () => got >= size, () => {
    srv ??= l.accept();
    while (sent < size) {
      const n = c.send(chunk.subarray(0, Math.min(chunk.length, size - sent)), net.now);
      if (n <= 0) break;
      sent += n;
    }
    for (let r = srv?.recv(1 << 20); r && r !== "eof"; r = srv!.recv(1 << 20)) got += r.length;
  });
  expect(ok).toBe(true);
  return { trace: c.trace(), conn: c };
}

function reductions(trace: TcpTraceSample[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < trace.length; i++) {
    if (trace[i]!.event === "recovery-enter" && trace[i - 1]!.event === "loss") out.push(trace[i]!.ssthresh / trace[i - 1]!.cwnd);
  }
  return out;
}

describe("NewReno and CUBIC on a bottleneck (engine traces)", () => {
  let reno: ReturnType<typeof bulk>;
  let cubic: ReturnType<typeof bulk>;
  beforeAll(() => {
    reno = bulk("newreno", 6 * 1024 * 1024);
    cubic = bulk("cubic", 6 * 1024 * 1024);
  });

  it("slow start roughly doubles cwnd per round trip until the first loss", () => {
    for (const { trace } of [reno, cubic]) {
      const firstLoss = trace.findIndex((t) => t.event === "loss");
      expect(firstLoss).toBeGreaterThan(0);
      const ss = trace.slice(1, firstLoss);
      const rtt = 40 * MS;
      // cwnd one base RTT after the start of slow start vs. two RTTs later.
      const at = (tNs: number) => [...ss].reverse().find((s) => s.tNs <= tNs)!.cwnd;
      const t0 = ss[0]!.tNs;
      const ratio1 = at(t0 + 2 * rtt) / at(t0 + rtt);
      const ratio2 = at(t0 + 3 * rtt) / at(t0 + 2 * rtt);
      expect(ratio1).toBeGreaterThan(1.6);
      expect(ratio1).toBeLessThan(2.3);
      expect(ratio2).toBeGreaterThan(1.6);
      expect(ratio2).toBeLessThan(2.3);
    }
  });

  it("NewReno halves on loss, CUBIC reduces to 0.7", () => {
    const r = reductions(reno.trace);
    const c = reductions(cubic.trace);
    expect(r.length).toBeGreaterThan(0);
    expect(c.length).toBeGreaterThan(0);
    for (const x of r) {
      expect(x).toBeGreaterThan(0.4);
      expect(x).toBeLessThan(0.6);
    }
    for (const x of c) {
      expect(x).toBeGreaterThan(0.6);
      expect(x).toBeLessThan(0.8);
    }
  });

});

/** One scripted loss (the 150th data packet) on a 200 ms RTT path with no bottleneck. */
function oneLoss(cc: CongestionControlName): TcpTraceSample[] {
  const net = new TwoStacks({ delayNs: 100 * MS, dropPackets: [150] }, { cc, traceCapacity: 100_000 }, { rcvBuf: 1 << 20 }, 5);
  const l = net.b.listen(IP_B, 5001, 4);
  const c = net.a.connect(IP_A, IP_B, 5001, 0);
  if (typeof l === "number" || typeof c === "number") throw new Error("setup");
  let srv: TcpConn | undefined;
  let sent = 0;
  let got = 0;
  const size = 10 * 1024 * 1024;
  const chunk = new Uint8Array(65536);
  expect(net.run(600_000 * MS, () => got >= size, () => {
    srv ??= l.accept();
    while (sent < size) {
      const n = c.send(chunk.subarray(0, Math.min(chunk.length, size - sent)), net.now);
      if (n <= 0) break;
      sent += n;
    }
    for (let r = srv?.recv(1 << 20); r && r !== "eof"; r = srv!.recv(1 << 20)) got += r.length;
  })).toBe(true);
  return c.trace();
}

/** cwnd at time tNs (the last sample at or before it). */
function cwndAt(trace: TcpTraceSample[], tNs: number): number {
  let v = NaN;
  for (const s of trace) {
    if (s.tNs > tNs) break;
    v = s.cwnd;
  }
  return v;
}

describe("growth after a single loss (engine traces)", () => {
  it("CUBIC: 0.7 reduction, concave growth back to W_max near t = K, then convex (RFC 9438 figure 1)", () => {
    const trace = oneLoss("cubic");
    const loss = trace.find((t) => t.event === "loss")!;
    const enter = trace.find((t) => t.event === "recovery-enter")!;
    expect(trace.filter((t) => t.event === "loss")).toHaveLength(1);
    const wMax = loss.cwnd;
    expect(enter.ssthresh / wMax).toBeCloseTo(0.7, 2);
    const mss = 1460;
    const kNs = Math.cbrt(((wMax / mss) * 0.3) / 0.4) * 1e9;
    const t0 = loss.tNs;
    const at = (x: number) => cwndAt(trace, t0 + x * kNs);
    // Near the plateau around K...
    expect(Math.abs(at(1) - wMax) / wMax).toBeLessThan(0.03);
    // ...approached concavely (fast, then slower)...
    expect(at(0.5) - at(0.25)).toBeGreaterThan(2 * (at(1) - at(0.75)));
    // ...and left convexly (slow, then faster).
    expect(at(1.75) - at(1.5)).toBeGreaterThan(2 * (at(1.25) - at(1)));
  });

  it("NewReno: halves, then grows about one MSS per round trip, linearly", () => {
    const trace = oneLoss("newreno");
    const loss = trace.find((t) => t.event === "loss")!;
    const enter = trace.find((t) => t.event === "recovery-enter")!;
    const exit = trace.find((t) => t.event === "recovery-exit")!;
    expect(enter.ssthresh / loss.cwnd).toBeGreaterThan(0.45);
    expect(enter.ssthresh / loss.cwnd).toBeLessThan(0.55);
    const rtt = 200 * MS;
    const at = (n: number) => cwndAt(trace, exit.tNs + n * rtt);
    const first = (at(10) - at(0)) / 10;
    const later = (at(30) - at(20)) / 10;
    expect(first).toBeGreaterThan(0.7 * 1460);
    expect(first).toBeLessThan(1.3 * 1460);
    expect(later / first).toBeGreaterThan(0.8);
    expect(later / first).toBeLessThan(1.25);
  });
});
