// The TCP engine's small parts: segment format and checksum, sequence
// arithmetic, RFC 6528 ISNs, the RFC 6298 estimator, buffers, the trace
// ring, and the error codes it shares with errors.ts.

import { describe, expect, it } from "vitest";
import { E } from "../viperdos/kernel/errors.js";
import { TCP_ERR } from "../viperdos/kernel/net/tcp/api.js";
import { ByteRing, ReassemblyQueue } from "../viperdos/kernel/net/tcp/buffer.js";
import { IsnGenerator, halfSipHash } from "../viperdos/kernel/net/tcp/isn.js";
import { RttEstimator } from "../viperdos/kernel/net/tcp/rtt.js";
import { SackScoreboard } from "../viperdos/kernel/net/tcp/sack.js";
import {
  ACK, FIN, PSH, SYN, flagNames, parseSegment, seqAdd, seqDiff, seqGt, seqLt, serializeSegment, tcpChecksum, type TcpSegment,
} from "../viperdos/kernel/net/tcp/segment.js";
import { TraceRing } from "../viperdos/kernel/net/tcp/trace.js";
import { IP_A, IP_B, MS, rng32 } from "./net-tcp-harness.js";

const base: TcpSegment = { srcPort: 1234, dstPort: 80, seq: 0xfffffff0, ack: 42, flags: ACK | PSH, window: 512, urgent: 0, options: {}, payload: new Uint8Array([1, 2, 3]) };

describe("segments (RFC 9293 3.1)", () => {
  it("round-trips header fields, every option and the payload", () => {
    const seg: TcpSegment = {
      ...base, flags: SYN | ACK,
      options: { mss: 1460, windowScale: 7, sackPermitted: true, timestamp: { value: 0xdeadbeef, echo: 7 }, sack: [{ left: 1, right: 2 }] },
    };
    const b = serializeSegment(IP_A, IP_B, seg);
    expect(b.length % 4).toBe(3); // header a multiple of 4, payload 3
    const p = parseSegment(IP_A, IP_B, b);
    if (typeof p === "string") throw new Error(p);
    expect(p.srcPort).toBe(1234);
    expect(p.seq).toBe(0xfffffff0);
    expect(p.ack).toBe(42);
    expect(flagNames(p.flags)).toBe("SYN,ACK");
    expect(p.options).toEqual(seg.options);
    expect([...p.payload]).toEqual([1, 2, 3]);
  });

  it("the checksum covers the pseudo-header and every byte", () => {
    const b = serializeSegment(IP_A, IP_B, base);
    expect(tcpChecksum(IP_A, IP_B, b)).toBe(0);
    expect(parseSegment(IP_A, IP_B + 1, b)).toBe("bad checksum"); // another destination
    for (let i = 0; i < b.length; i++) {
      const c = b.slice();
      c[i] ^= 0x10;
      // Byte 12 holds the data offset, checked first; everything else fails the checksum.
      expect(parseSegment(IP_A, IP_B, c)).toBe(i === 12 ? "bad data offset 16" : "bad checksum");
    }
  });

  it("rejects short segments, bad data offsets and bad option lengths with a reason", () => {
    expect(parseSegment(IP_A, IP_B, new Uint8Array(19), false)).toMatch(/too short/);
    const b = serializeSegment(IP_A, IP_B, base);
    const off = b.slice();
    off[12] = 4 << 4;
    expect(parseSegment(IP_A, IP_B, off, false)).toMatch(/data offset/);
    off[12] = 15 << 4;
    expect(parseSegment(IP_A, IP_B, off, false)).toMatch(/data offset/);
    const opt = serializeSegment(IP_A, IP_B, { ...base, options: { mss: 1000 } });
    opt[21] = 9; // MSS length 9 runs past the header
    expect(parseSegment(IP_A, IP_B, opt, false)).toMatch(/option/);
    opt[21] = 0;
    expect(parseSegment(IP_A, IP_B, opt, false)).toMatch(/option/);
  });

  it("leaves out SACK blocks that do not fit in 40 option bytes", () => {
    const blocks = [1, 2, 3, 4].map((i) => ({ left: i * 10, right: i * 10 + 5 }));
    const p = parseSegment(IP_A, IP_B, serializeSegment(IP_A, IP_B, { ...base, options: { sack: blocks } }));
    if (typeof p === "string") throw new Error(p);
    expect(p.options.sack).toHaveLength(4);
    const q = parseSegment(IP_A, IP_B, serializeSegment(IP_A, IP_B, { ...base, options: { timestamp: { value: 1, echo: 2 }, sack: blocks } }));
    if (typeof q === "string") throw new Error(q);
    expect(q.options.sack).toHaveLength(3);
  });

  it("sequence comparisons wrap modulo 2^32", () => {
    expect(seqAdd(0xffffffff, 2)).toBe(1);
    expect(seqLt(0xfffffff0, 5)).toBe(true);
    expect(seqGt(5, 0xfffffff0)).toBe(true);
    expect(seqDiff(0xfffffff0, 5)).toBe(21);
    expect(flagNames(FIN | ACK)).toBe("FIN,ACK");
  });
});

describe("initial sequence numbers (RFC 6528)", () => {
  it("differ per 4-tuple and per key, and advance with the 4 us clock", () => {
    const g = new IsnGenerator(rng32(1));
    const a = g.isn(IP_A, 1000, IP_B, 80, 0);
    expect(g.isn(IP_A, 1001, IP_B, 80, 0)).not.toBe(a);
    expect(g.isn(IP_A, 1000, IP_B, 81, 0)).not.toBe(a);
    expect(new IsnGenerator(rng32(2)).isn(IP_A, 1000, IP_B, 80, 0)).not.toBe(a);
    expect(seqDiff(a, g.isn(IP_A, 1000, IP_B, 80, 1 * MS))).toBe(250);
  });

  it("HalfSipHash spreads one-bit input changes over about half the output bits", () => {
    let total = 0;
    for (let bit = 0; bit < 32; bit++) {
      const x = halfSipHash(1, 2, [0, 0, 0]) ^ halfSipHash(1, 2, [1 << bit, 0, 0]);
      total += x.toString(2).split("").filter((c) => c === "1").length;
    }
    expect(total / 32).toBeGreaterThan(12);
    expect(total / 32).toBeLessThan(20);
  });
});

describe("RTO estimator (RFC 6298)", () => {
  it("first sample, smoothing, bounds and backoff", () => {
    const r = new RttEstimator(200 * MS, 60_000 * MS, 1000 * MS);
    expect(r.rtoNs).toBe(1000 * MS);
    r.sample(100 * MS);
    expect(r.srttNs).toBe(100 * MS);
    expect(r.rttvarNs).toBe(50 * MS);
    expect(r.rtoNs).toBe(300 * MS);
    r.sample(200 * MS);
    expect(r.rttvarNs).toBe(0.75 * 50 * MS + 0.25 * 100 * MS);
    expect(r.srttNs).toBe(0.875 * 100 * MS + 0.125 * 200 * MS);
    const small = new RttEstimator(200 * MS, 60_000 * MS, 1000 * MS);
    small.sample(1 * MS);
    expect(small.rtoNs).toBe(200 * MS); // the floor
    for (let i = 0; i < 20; i++) small.backoff();
    expect(small.rtoNs).toBe(60_000 * MS); // the ceiling
    small.sample(1 * MS);
    expect(small.backoffs).toBe(0);
  });
});

describe("buffers", () => {
  it("ByteRing wraps and never takes more than its capacity", () => {
    const b = new ByteRing(8);
    expect(b.push(new Uint8Array([1, 2, 3, 4, 5, 6]))).toBe(6);
    b.drop(4);
    expect(b.push(new Uint8Array([7, 8, 9, 10, 11, 12, 13]))).toBe(6);
    expect([...b.peek(0, 100)]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(b.free).toBe(0);
  });

  it("ReassemblyQueue merges overlaps, bounds the number of ranges, hands data back in order", () => {
    const q = new ReassemblyQueue(2);
    expect(q.insert(110, new Uint8Array(10).fill(2))).toBe(true);
    expect(q.insert(130, new Uint8Array(10).fill(3))).toBe(true);
    expect(q.insert(150, new Uint8Array(10).fill(4))).toBe(false); // a third range: dropped
    expect(q.insert(115, new Uint8Array(20).fill(9))).toBe(true); // bridges both
    expect(q.count).toBe(1);
    expect(q.pull(100)).toBeUndefined();
    const d = q.pull(112)!;
    expect(d.length).toBe(28);
    expect(d[0]).toBe(2);
    expect(d[3]).toBe(9);
  });

  it("SackScoreboard ignores blocks outside (SND.UNA, SND.MAX] and finds lost holes", () => {
    const s = new SackScoreboard();
    s.update([{ left: 50, right: 60 }, { left: 500, right: 600 }, { left: 10, right: 5 }], 100, 400);
    expect(s.isEmpty).toBe(true);
    s.update([{ left: 200, right: 300 }, { left: 400 - 50, right: 400 }], 100, 400);
    const holes = s.holes(100, 400, 40);
    expect(holes).toEqual([{ start: 100, end: 200, lost: true }, { start: 300, end: 350, lost: false }]);
    s.advance(250);
    expect(s.blocks()).toEqual([{ left: 250, right: 300 }, { left: 350, right: 400 }]);
  });
});

describe("trace ring and error codes", () => {
  it("keeps the newest samples, oldest first", () => {
    const t = new TraceRing(3);
    for (let i = 0; i < 5; i++) t.push({ tNs: i, cwnd: 0, ssthresh: 0, srttNs: 0, rttvarNs: 0, rtoNs: 0, inFlight: 0, retransmits: 0 });
    expect(t.samples().map((s) => s.tNs)).toEqual([2, 3, 4]);
    expect(t.recorded).toBe(5);
  });

  it("TCP_ERR mirrors errors.ts", () => {
    for (const [name, code] of Object.entries(TCP_ERR)) expect(E[name as keyof typeof E]).toBe(code);
  });
});

describe("buffer memory", () => {
  it("ByteRing storage grows with use and shrinks when drained", () => {
    const b = new ByteRing(1 << 20);
    expect(b.allocated).toBe(4096);
    b.push(new Uint8Array(100_000).fill(5));
    expect(b.allocated).toBeGreaterThanOrEqual(100_000);
    expect(b.allocated).toBeLessThanOrEqual(1 << 20);
    expect(b.peek(99_999, 1)[0]).toBe(5);
    b.drop(100_000);
    expect(b.allocated).toBe(4096);
  });
});
