// Fuzz: random and malformed segments thrown at both ends of a live transfer
// never make the engine throw, keep its memory bounded and leave the
// connection's byte stream intact. A SYN flood keeps the backlog bounded.

import { describe, expect, it } from "vitest";
import type { TcpConn } from "../viperdos/kernel/net/tcp/api.js";
import { serializeSegment, type TcpOptions } from "../viperdos/kernel/net/tcp/segment.js";
import { ACK, IP_A, IP_B, MS, RST, SYN, ScriptedPeer, TwoStacks, fnv1a, rng32 } from "./net-tcp-harness.js";

const ROUNDS = Number(process.env.TCP_FUZZ_ROUNDS ?? 4000);

function randomOptions(r: () => number): TcpOptions {
  const o: TcpOptions = {};
  if (r() & 1) o.mss = r() & 0xffff;
  if (r() & 1) o.windowScale = r() & 0xff;
  if (r() & 1) o.sackPermitted = true;
  if (r() & 1) o.timestamp = { value: r(), echo: r() };
  if (r() & 1) o.sack = Array.from({ length: 1 + (r() % 4) }, () => ({ left: r(), right: r() }));
  return o;
}

/** One hostile segment for the connection (ports pa -> pb), bytes ready to input. */
function hostile(r: () => number, src: number, dst: number, pa: number, pb: number, near: { seq: number; ack: number }): Uint8Array {
  switch (r() % 5) {
    case 0: // random bytes (mostly bad checksums or headers)
      return Uint8Array.from({ length: r() % 80 }, () => r() & 0xff);
    case 1: { // a valid segment with garbage header bytes and a fixed checksum
      const b = serializeSegment(src, dst, { srcPort: pa, dstPort: pb, seq: r(), ack: r(), flags: r() & 0x3f, window: r() & 0xffff, urgent: 0, options: {}, payload: new Uint8Array(r() % 40) });
      for (let i = 0; i < 3; i++) b[12 + (r() % Math.max(1, b.length - 12))] = r() & 0xff;
      b[16] = 0; b[17] = 0;
      return b; // checksum zeroed: must be rejected
    }
    case 2: // random options, random flags, random sequence numbers on the live 4-tuple
      return serializeSegment(src, dst, { srcPort: pa, dstPort: pb, seq: r(), ack: r(), flags: r() & 0x3f, window: r() & 0xffff, urgent: r() & 0xffff, options: randomOptions(r), payload: new Uint8Array(r() % 100) });
    case 3: // near-miss sequence numbers (outside the window by a little), any flags but a bare RST at RCV.NXT
      return serializeSegment(src, dst, { srcPort: pa, dstPort: pb, seq: (near.seq + 0x10000000 + (r() % 1000)) >>> 0, ack: (near.ack + (r() % 2000) - 1000) >>> 0, flags: r() & 0x3f, window: r() & 0xffff, urgent: 0, options: randomOptions(r), payload: new Uint8Array(r() % 50) });
    default: // to random ports (no connection: RST answers)
      return serializeSegment(src, dst, { srcPort: 1 + (r() % 65535), dstPort: 1 + (r() % 65535), seq: r(), ack: r(), flags: r() & 0x3f, window: r() & 0xffff, urgent: 0, options: randomOptions(r), payload: new Uint8Array(r() % 30) });
  }
}

describe("TCP fuzz", () => {
  it(`${ROUNDS} hostile segments into both ends of a live transfer: no throw, stream intact, memory bounded`, () => {
    const net = new TwoStacks({ delayNs: 2 * MS, rateBytesPerSec: 20_000_000, queuePackets: 200 }, { reassemblyLimit: 64 }, { reassemblyLimit: 64 }, 9);
    const l = net.b.listen(IP_B, 5001, 4);
    const c = net.a.connect(IP_A, IP_B, 5001, 0);
    if (typeof l === "number" || typeof c === "number") throw new Error("setup");
    const size = 1024 * 1024;
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
    let srv: TcpConn | undefined;
    let sent = 0;
    let got = 0;
    let sum = 0x811c9dc5;
    const r = rng32(1234);
    let injected = 0;
    let maxOoo = 0;
    const ok = net.run(120_000 * MS, () => got >= size, () => {
      srv ??= l.accept();
      while (sent < size) {
        const n = c.send(data.subarray(sent, sent + 32768), net.now);
        if (n <= 0) break;
        sent += n;
      }
      for (let x = srv?.recv(1 << 20); x && x !== "eof"; x = srv!.recv(1 << 20)) {
        got += x.length;
        sum = fnv1a(sum, x);
      }
      if (srv && injected < ROUNDS) {
        for (let k = 0; k < 4 && injected < ROUNDS; k++, injected++) {
          const cs = c.snapshot();
          const ss = srv.snapshot();
          if (r() & 1) net.b.input(IP_A, IP_B, hostile(r, IP_A, IP_B, cs.localPort, 5001, { seq: ss.rcvNxt, ack: ss.sndNxt }), net.now);
          else net.a.input(IP_B, IP_A, hostile(r, IP_B, IP_A, 5001, cs.localPort, { seq: cs.rcvNxt, ack: cs.sndNxt }), net.now);
          maxOoo = Math.max(maxOoo, ss.outOfOrderSegments, cs.outOfOrderSegments);
        }
      }
    });
    expect(ok).toBe(true);
    expect(injected).toBe(ROUNDS);
    expect(got).toBe(size);
    expect(sum).toBe(fnv1a(0x811c9dc5, data));
    expect(c.state).toBe("ESTABLISHED");
    expect(srv!.state).toBe("ESTABLISHED");
    expect(maxOoo).toBeLessThanOrEqual(64);
    // Hostile SYNs to the listener may leave half-open connections; they stay bounded.
    expect(net.b.connections().length).toBeLessThanOrEqual(1 + 8);
    expect(net.a.connections().length).toBe(1);
    const counters = net.b.snapshot().counters;
    expect(counters.badChecksum + counters.malformed).toBeGreaterThan(0);
    expect(counters.challengeAcks).toBeGreaterThan(0);
  });

  it("a SYN flood keeps the backlog bounded (cookies off); a real client gets in once the half-open connections expire", () => {
    const p = new ScriptedPeer({ synBacklogLimit: 64, synRetries: 2, synCookies: false });
    const l = p.stack.listen(IP_A, 80, 16);
    if (typeof l === "number") throw new Error("listen");
    const r = rng32(77);
    for (let i = 0; i < 10_000; i++) {
      const src = (0x0b000000 + (r() & 0xffffff)) >>> 0; // spoofed sources
      const bytes = serializeSegment(src, IP_A, { srcPort: 1024 + (r() % 60000), dstPort: 80, seq: r(), ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload: new Uint8Array(0) });
      p.stack.input(src, IP_A, bytes, p.now);
    }
    expect(l.snapshot().synReceived).toBeLessThanOrEqual(32);
    expect(p.stack.connections().length).toBeLessThanOrEqual(64);
    expect(l.snapshot().synDropped).toBeGreaterThan(9000);
    // SYN,ACK retransmissions give up after synRetries (1 + 2 + 4 s).
    p.advance(8000 * MS);
    expect(p.stack.connections()).toHaveLength(0);
    p.drain();
    p.send({ srcPort: 40000, dstPort: 80, seq: 100, flags: SYN, options: { mss: 1460 } });
    const sa = p.take();
    p.send({ srcPort: 40000, dstPort: 80, seq: 101, ack: sa.seq + 1, flags: ACK });
    expect(l.accept()?.state).toBe("ESTABLISHED");
  });

  it("with SYN cookies a real client gets in during the flood; forged and stale cookies get RST", () => {
    const p = new ScriptedPeer({ synBacklogLimit: 64 });
    const l = p.stack.listen(IP_A, 80, 16);
    if (typeof l === "number") throw new Error("listen");
    const r = rng32(78);
    for (let i = 0; i < 10_000; i++) {
      const src = (0x0b000000 + (r() & 0xffffff)) >>> 0;
      const bytes = serializeSegment(src, IP_A, { srcPort: 1024 + (r() % 60000), dstPort: 80, seq: r(), ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload: new Uint8Array(0) });
      p.stack.input(src, IP_A, bytes, p.now);
    }
    const k = p.stack.snapshot().counters;
    expect(k.synCookiesSent).toBeGreaterThan(9000);
    expect(p.stack.connections().length).toBeLessThanOrEqual(64); // cookies keep no state
    p.drain();
    // The real client, while the backlog is still full.
    p.send({ srcPort: 40000, dstPort: 80, seq: 100, flags: SYN, options: { mss: 1400, windowScale: 7, sackPermitted: true } });
    const sa = p.take();
    expect(sa.flags).toBe(SYN | ACK);
    expect(sa.ack).toBe(101);
    expect(sa.options).toEqual({ mss: 1360 }); // only the MSS survives, rounded down to the cookie table
    // A forged cookie: RST, nothing created.
    p.send({ srcPort: 40000, dstPort: 80, seq: 101, ack: (sa.seq + 2) >>> 0, flags: ACK });
    expect(p.take().flags).toBe(RST);
    // The right one, carrying data.
    p.send({ srcPort: 40000, dstPort: 80, seq: 101, ack: (sa.seq + 1) >>> 0, flags: ACK, payload: new Uint8Array([1, 2, 3]) });
    const c = l.accept()!;
    expect(c.state).toBe("ESTABLISHED");
    expect(c.recv(10)).toEqual(new Uint8Array([1, 2, 3]));
    expect(c.snapshot().mss).toBe(1360);
    expect(c.snapshot().sndWscale).toBe(0);
    expect(c.send(new Uint8Array(5), p.now)).toBe(5);
    const out = p.drain().filter((x) => x.payload.length > 0);
    expect(out[0]!.seq).toBe((sa.seq + 1) >>> 0);
    expect(p.stack.snapshot().counters.synCookiesAccepted).toBe(1);
    // A cookie older than two 64 s periods is refused.
    p.send({ srcPort: 40001, dstPort: 80, seq: 500, flags: SYN, options: { mss: 1460 } });
    const old = p.take();
    p.advance(130_000 * MS);
    p.drain(); // the flood's half-open connections retransmitted their SYN,ACKs meanwhile
    p.send({ srcPort: 40001, dstPort: 80, seq: 501, ack: (old.seq + 1) >>> 0, flags: ACK });
    expect(p.take().flags).toBe(RST);
  });
});
