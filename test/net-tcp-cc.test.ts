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

  it("after a loss, NewReno grows linearly; CUBIC grows fast then flattens near the old maximum (concave)", () => {
    const growth = (trace: TcpTraceSample[]) => {
      // The longest congestion-avoidance stretch: from a recovery exit to the next event.
      let best: TcpTraceSample[] = [];
      for (let i = 0; i < trace.length; i++) {
        if (trace[i]!.event !== "recovery-exit") continue;
        let j = i + 1;
        while (j < trace.length && !trace[j]!.event) j++;
        if (j - i - 1 > best.length) best = trace.slice(i + 1, j);
      }
      return best;
    };
    const rg = growth(reno.trace);
    expect(rg.length).toBeGreaterThan(50);
    // NewReno: about one MSS per RTT; per-RTT increments stay flat.
    /** Mean cwnd growth per RTT over RTTs k .. k+span of the stretch. */
    const perRtt = (seg: TcpTraceSample[], k: number, span = 1) => {
      const t0 = seg[0]!.tNs;
      const rtt = seg[0]!.srttNs;
      const at = (x: number) => [...seg].reverse().find((s) => s.tNs <= t0 + x * rtt)?.cwnd ?? NaN;
      return (at(k + span) - at(k)) / span;
    };
    const mss = reno.conn.snapshot().mss;
    expect(perRtt(rg, 0, 10)).toBeGreaterThan(0.5 * mss);
    expect(perRtt(rg, 0, 10)).toBeLessThan(1.5 * mss);
    expect(perRtt(rg, 10, 10) / perRtt(rg, 0, 10)).toBeGreaterThan(0.6); // linear: no slowing down
    const cg = growth(cubic.trace);
    expect(cg.length).toBeGreaterThan(20);
    // CUBIC in its concave region: growth slows as cwnd nears W_max.
    expect(perRtt(cg, 0, 5)).toBeGreaterThan(1.2 * perRtt(cg, 15, 5));
  });
});
