// Scripted peer: the data path. Retransmission timeouts with backoff, Karn,
// out-of-order reassembly with SACK blocks, delayed ACKs, Nagle, zero
// windows and probes, fast retransmit with NewReno partial ACKs and SACK
// recovery. Every segment the engine sends is checked.

import { describe, expect, it } from "vitest";
import { TCP_ERR } from "../viperdos/kernel/net/tcp/api.js";
import { ACK, MS, PEER_ISN, PSH, RST, bytes, establishActive, establishPassive, peerSend } from "./net-tcp-harness.js";


describe("retransmission timeout (RFC 6298)", () => {
  it("retransmits with exponential backoff, then gives up with RST and TIMEOUT", () => {
    const c = establishActive({ maxRetransmits: 4 }, { mss: 1000 });
    expect(c.conn.snapshot().rtoNs).toBe(200 * MS); // SRTT 10 ms: the 200 ms floor
    const t0 = c.p.now;
    c.conn.send(bytes(100), t0);
    const first = c.p.take();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      c.p.advance(c.p.stack.nextTimerNs()! - c.p.now);
      const s = c.p.take();
      times.push(c.p.now - t0);
      if (i < 4) {
        expect(s.seq).toBe(first.seq);
        expect(s.payload.length).toBe(100);
        expect(s.flags & ACK).toBe(ACK);
      } else {
        expect(s.flags & RST).toBe(RST);
      }
    }
    expect(times).toEqual([200 * MS, 600 * MS, 1400 * MS, 3000 * MS, 6200 * MS]);
    expect(c.conn.state).toBe("CLOSED");
    expect(c.conn.error).toBe(TCP_ERR.TIMEOUT);
    const rtos = c.conn.trace().filter((t) => t.event === "rto");
    expect(rtos.map((t) => t.rtoNs)).toEqual([400 * MS, 800 * MS, 1600 * MS, 3200 * MS]);
    expect(rtos[0]!.cwnd).toBe(1000); // loss window
    expect(rtos[0]!.ssthresh).toBe(2000); // max(FlightSize/2, 2*SMSS)
  });

  it("Karn: an ACK of a retransmitted segment gives no sample; the backed-off RTO stays until a clean one", () => {
    const c = establishActive({}, { mss: 1000 });
    c.conn.send(bytes(100), c.p.now);
    c.p.take();
    c.p.advance(200 * MS);
    c.p.take(); // retransmission
    c.peerAck = c.iss + 101;
    c.p.now += 5 * MS;
    peerSend(c);
    expect(c.conn.snapshot().rtoNs).toBe(400 * MS);
    expect(c.conn.snapshot().srttNs).toBe(10 * MS);
    c.conn.send(bytes(100), c.p.now);
    c.p.take();
    c.p.now += 30 * MS;
    c.peerAck = c.iss + 201;
    peerSend(c);
    const s = c.conn.snapshot();
    expect(s.srttNs).toBe(Math.round(0.875 * 10 * MS + 0.125 * 30 * MS));
    expect(s.rtoNs).toBe(200 * MS);
  });
});

describe("receiving", () => {
  it("reassembles out-of-order segments and reports SACK blocks, newest first (RFC 2018)", () => {
    const c = establishPassive();
    const base = c.peerSeq;
    const seg = (i: number) => ({ seq: base + i * 100, payload: bytes(100, 0x30 + i), flags: ACK | PSH });
    peerSend(c, seg(2));
    let a = c.p.take();
    expect(a.ack).toBe(base);
    expect(a.options.sack).toEqual([{ left: base + 200, right: base + 300 }]);
    peerSend(c, seg(1));
    a = c.p.take();
    expect(a.ack).toBe(base);
    expect(a.options.sack).toEqual([{ left: base + 100, right: base + 300 }]);
    peerSend(c, seg(4));
    a = c.p.take();
    expect(a.options.sack).toEqual([{ left: base + 400, right: base + 500 }, { left: base + 100, right: base + 300 }]);
    expect(c.conn.readableBytes).toBe(0);
    expect(c.conn.recv(1000)).toBeUndefined();
    peerSend(c, seg(0)); // fills the hole: ACKed at once
    a = c.p.take();
    expect(a.ack).toBe(base + 300);
    expect(a.options.sack).toEqual([{ left: base + 400, right: base + 500 }]);
    const d = c.conn.recv(1000) as Uint8Array;
    expect(d.length).toBe(300);
    expect([d[0], d[100], d[200], d[299]]).toEqual([0x30, 0x31, 0x32, 0x32]);
    peerSend(c, seg(3));
    a = c.p.take();
    expect(a.ack).toBe(base + 500);
    expect(a.options.sack).toBeUndefined();
    expect((c.conn.recv(1000) as Uint8Array).length).toBe(200);
  });

  it("duplicate and overlapping segments are trimmed; data outside the window is not taken", () => {
    const c = establishPassive({ rcvBuf: 4096, windowScaling: false });
    const base = c.peerSeq;
    peerSend(c, { seq: base, payload: bytes(100, 1), flags: ACK });
    peerSend(c, { seq: base + 50, payload: bytes(100, 2), flags: ACK }); // overlaps 50
    c.p.advance(100 * MS);
    const a = c.p.drain().pop()!;
    expect(a.ack).toBe(base + 150);
    const d = c.conn.recv(1000) as Uint8Array;
    expect(d.length).toBe(150);
    expect(d[99]).toBe(1);
    expect(d[100]).toBe(2);
    peerSend(c, { seq: base + 150 + 8000, payload: bytes(10), flags: ACK }); // beyond the 4 KiB window
    const n = c.p.take();
    expect(n.ack).toBe(base + 150);
    expect(c.conn.snapshot().outOfOrderSegments).toBe(0);
  });

  it("delays the ACK of one segment (<= delayedAckNs), ACKs every second full segment at once", () => {
    const c = establishPassive({ delayedAckNs: 40 * MS });
    peerSend(c, { payload: bytes(1460), flags: ACK });
    expect(c.p.out).toHaveLength(0);
    c.p.advance(39 * MS);
    expect(c.p.out).toHaveLength(0);
    c.p.advance(1 * MS);
    const a = c.p.take();
    expect(a.ack).toBe(PEER_ISN + 1 + 1460);
    peerSend(c, { payload: bytes(1460), flags: ACK });
    expect(c.p.out).toHaveLength(0);
    peerSend(c, { payload: bytes(1460), flags: ACK });
    const b = c.p.take();
    expect(b.ack).toBe(PEER_ISN + 1 + 3 * 1460);
  });

  it("closes its window when the reader is slow, answers probes, and sends a window update after reading", () => {
    const c = establishPassive({ rcvBuf: 4096, delayedAckNs: 0 }, { mss: 1460 });
    expect(c.conn.snapshot().rcvWscale).toBe(0);
    peerSend(c, { payload: bytes(1460), flags: ACK });
    peerSend(c, { payload: bytes(1460), flags: ACK });
    peerSend(c, { payload: bytes(1176), flags: ACK });
    const acks = c.p.drain();
    expect(acks.map((s) => s.window)).toEqual([4096 - 1460, 4096 - 2920, 0]);
    // A zero-window probe: one byte past the window. Not taken; ACK with window 0.
    c.p.send({ srcPort: c.remotePort, dstPort: c.localPort, seq: c.peerSeq, ack: c.peerAck, flags: ACK, payload: bytes(1) });
    const probeAck = c.p.take();
    expect(probeAck.ack).toBe(c.peerSeq);
    expect(probeAck.window).toBe(0);
    expect((c.conn.recv(10000) as Uint8Array).length).toBe(4096);
    const upd = c.p.take();
    expect(upd.flags).toBe(ACK);
    expect(upd.ack).toBe(c.peerSeq);
    expect(upd.window).toBe(4096);
  });
});

describe("timestamps (RFC 7323)", () => {
  it("echoes TS.Recent, and PAWS drops a segment whose timestamp went backwards", () => {
    const c = establishPassive({ timestamps: true }, { mss: 1460, timestamp: { value: 1000, echo: 0 } });
    expect(c.conn.snapshot().timestampsOk).toBe(true);
    expect(c.conn.snapshot().mss).toBe(1448); // 12 option bytes per segment
    peerSend(c, { payload: bytes(10), flags: ACK | PSH, options: { timestamp: { value: 2000, echo: 0 } } });
    c.p.advance(100 * MS);
    const a = c.p.take();
    expect(a.options.timestamp?.echo).toBe(2000);
    expect(a.ack).toBe(PEER_ISN + 11);
    // An old duplicate: in the window, but its timestamp is older. Not taken, ACKed.
    peerSend(c, { payload: bytes(10), flags: ACK | PSH, options: { timestamp: { value: 1500, echo: 0 } } });
    const dup = c.p.take();
    expect(dup.ack).toBe(PEER_ISN + 11);
    expect(c.conn.readableBytes).toBe(10);
  });
});

describe("sending", () => {
  it("Nagle: small writes wait for the ACK of data in flight; TCP_NODELAY sends them at once", () => {
    const c = establishActive({}, { mss: 1000 });
    c.conn.send(bytes(10), c.p.now);
    expect(c.p.take().payload.length).toBe(10); // idle connection: at once
    c.conn.send(bytes(10), c.p.now);
    c.conn.send(bytes(10), c.p.now);
    expect(c.p.out).toHaveLength(0);
    c.peerAck = c.iss + 11;
    peerSend(c);
    const s = c.p.take();
    expect(s.seq).toBe(c.iss + 11);
    expect(s.payload.length).toBe(20);
    c.conn.setNoDelay(true);
    c.conn.send(bytes(5), c.p.now);
    c.conn.send(bytes(5), c.p.now);
    expect(c.p.drain().map((x) => x.payload.length)).toEqual([5, 5]);
  });

  it("a zero window stops sending; persist probes back off; a window update restarts it", () => {
    const c = establishActive({}, { mss: 1000 });
    c.conn.send(bytes(3000), c.p.now);
    expect(c.p.drain().map((s) => s.payload.length)).toEqual([1000, 1000, 1000]);
    c.peerAck = c.iss + 3001;
    peerSend(c, { window: 0 });
    const t0 = c.p.now;
    c.conn.send(bytes(500, 0x7a), c.p.now);
    expect(c.p.out).toHaveLength(0);
    c.p.advance(c.p.stack.nextTimerNs()! - c.p.now);
    const probe1 = c.p.take();
    expect(c.p.now - t0).toBe(200 * MS);
    expect(probe1.seq).toBe(c.iss + 3001);
    expect(probe1.payload).toEqual(bytes(1, 0x7a));
    peerSend(c, { window: 0 });
    expect(c.p.out).toHaveLength(0);
    c.p.advance(c.p.stack.nextTimerNs()! - c.p.now);
    c.p.take();
    expect(c.p.now - t0).toBe(600 * MS); // 200 ms, then 400 ms
    expect(c.conn.state).toBe("ESTABLISHED"); // probes never time the connection out
    peerSend(c, { window: 2000 });
    const resumed = c.p.take();
    expect(resumed.seq).toBe(c.iss + 3001);
    expect(resumed.payload.length).toBe(500);
    const ev = c.conn.trace().map((t) => t.event).filter(Boolean);
    expect(ev).toContain("zero-window");
    expect(ev).toContain("window-open");
  });

  it("a probe the peer takes (its window reopened) moves SND.UNA past the probe byte", () => {
    const c = establishActive({}, { mss: 1000 });
    c.conn.send(bytes(1000), c.p.now);
    c.p.take();
    c.peerAck = c.iss + 1001;
    peerSend(c, { window: 0 });
    c.conn.send(bytes(10), c.p.now);
    c.p.advance(c.p.stack.nextTimerNs()! - c.p.now);
    const probe = c.p.take();
    expect(probe.payload.length).toBe(1);
    c.peerAck = c.iss + 1002; // took the byte, window open again
    peerSend(c, { window: 5000 });
    const rest = c.p.take();
    expect(rest.seq).toBe(c.iss + 1002);
    expect(rest.payload.length).toBe(9);
    expect(c.conn.snapshot().sndUna).toBe(c.iss + 1002);
  });

  it("send buffer: accepts up to its size, 0 when full, 'writable' once ACKs free room", () => {
    const c = establishActive({ sndBuf: 4096 }, { mss: 1000 });
    expect(c.conn.send(bytes(10000), c.p.now)).toBe(4096);
    expect(c.conn.send(bytes(10), c.p.now)).toBe(0);
    expect(c.conn.sendSpace).toBe(0);
    c.p.drain();
    c.peerAck = c.iss + 1001;
    peerSend(c);
    expect(c.events).toContain("writable");
    expect(c.conn.sendSpace).toBe(1000);
    c.conn.shutdownWrite(c.p.now);
    expect(c.conn.send(bytes(1), c.p.now)).toBe(TCP_ERR.NOT_CONNECTED);
  });
});

describe("fast retransmit and fast recovery", () => {
  /** Ten 1000-byte segments in flight: S0..S9 at base + 1000 i. */
  function tenInFlight(sack: boolean) {
    const c = establishActive({ initialCwndSegments: 10 }, sack ? { mss: 1000, sackPermitted: true } : { mss: 1000 });
    c.conn.send(bytes(10000), c.p.now);
    const segs = c.p.drain();
    expect(segs).toHaveLength(10);
    const base = c.iss + 1;
    return { c, base };
  }

  it("NewReno (no SACK): 3 dupacks retransmit, dupacks inflate, a partial ACK retransmits the next hole, full ACK exits", () => {
    const { c, base } = tenInFlight(false);
    // S2 and S5 are lost. S0, S1 arrive.
    c.peerAck = base + 2000;
    peerSend(c);
    expect(c.p.out).toHaveLength(0);
    peerSend(c); // S3
    peerSend(c); // S4
    expect(c.p.out).toHaveLength(0);
    peerSend(c); // S6: third duplicate
    const r1 = c.p.take();
    expect(r1.seq).toBe(base + 2000);
    expect(r1.payload.length).toBe(1000);
    let s = c.conn.snapshot();
    expect(s.ssthresh).toBe(4000); // FlightSize 8000 / 2
    expect(s.cwnd).toBe(7000); // ssthresh + 3*SMSS
    expect(s.inRecovery).toBe(true);
    peerSend(c); // S7
    peerSend(c); // S8
    peerSend(c); // S9
    expect(c.conn.snapshot().cwnd).toBe(10000);
    expect(c.p.out).toHaveLength(0);
    // The retransmitted S2 fills up to S5: a partial ACK.
    c.peerAck = base + 5000;
    peerSend(c);
    const r2 = c.p.take();
    expect(r2.seq).toBe(base + 5000);
    s = c.conn.snapshot();
    expect(s.cwnd).toBe(10000 - 3000 + 1000);
    expect(s.inRecovery).toBe(true);
    c.peerAck = base + 10000;
    peerSend(c);
    s = c.conn.snapshot();
    expect(s.inRecovery).toBe(false);
    expect(s.cwnd).toBe(2000); // min(ssthresh, max(FlightSize, SMSS) + SMSS)
    const ev = c.conn.trace().map((t) => t.event).filter(Boolean);
    expect(ev).toEqual(["established", "loss", "recovery-enter", "fast-retransmit", "partial-ack", "recovery-exit"]);
    expect(c.conn.snapshot().fastRetransmits).toBe(1);
  });

  it("SACK recovery (RFC 6675): retransmits the first hole, then a second hole once enough above it is SACKed", () => {
    const { c, base } = tenInFlight(true);
    c.peerAck = base + 2000;
    peerSend(c);
    const sackAck = (...ranges: [number, number][]) =>
      peerSend(c, { options: { sack: ranges.map(([l, r]) => ({ left: base + l, right: base + r })) } });
    sackAck([3000, 4000]);
    sackAck([3000, 5000]);
    expect(c.p.out).toHaveLength(0);
    sackAck([6000, 7000], [3000, 5000]);
    const r1 = c.p.take();
    expect(r1.seq).toBe(base + 2000);
    expect(c.conn.snapshot().cwnd).toBe(4000); // cwnd = ssthresh with SACK
    sackAck([6000, 8000], [3000, 5000]);
    expect(c.p.out).toHaveLength(0); // S5 not yet lost: 2000 bytes SACKed above it
    sackAck([6000, 9000], [3000, 5000]);
    const r2 = c.p.take();
    expect(r2.seq).toBe(base + 5000);
    expect(c.p.out).toHaveLength(0);
    c.peerAck = base + 10000;
    peerSend(c);
    expect(c.conn.snapshot().inRecovery).toBe(false);
    expect(c.conn.snapshot().retransmits).toBe(2);
  });

  it("limited transmit (RFC 3042): each of the first two duplicate ACKs releases one new segment", () => {
    const c = establishActive({}, { mss: 1000 });
    c.conn.send(bytes(8000), c.p.now);
    const first = c.p.drain();
    expect(first).toHaveLength(4); // initial window min(4*MSS, max(2*MSS, 4380))
    const base = c.iss + 1;
    c.peerAck = base; // S0 lost, S1 arrives
    peerSend(c);
    const lt1 = c.p.drain();
    expect(lt1.map((s) => s.seq)).toEqual([base + 4000]);
    peerSend(c); // S2
    expect(c.p.drain().map((s) => s.seq)).toEqual([base + 5000]);
    peerSend(c); // S3: third duplicate, fast retransmit
    const fr = c.p.drain();
    expect(fr[0]!.seq).toBe(base);
  });

  it("after a timeout, duplicate ACKs of old data start no new recovery (RFC 6582 recover)", () => {
    const { c, base } = tenInFlight(false);
    c.p.advance(c.p.stack.nextTimerNs()! - c.p.now);
    const r = c.p.take();
    expect(r.seq).toBe(base);
    c.peerAck = base + 1000;
    peerSend(c); // go-back-N continues from S1
    c.p.drain();
    for (let i = 0; i < 4; i++) peerSend(c);
    expect(c.conn.snapshot().inRecovery).toBe(false);
    expect(c.conn.trace().some((t) => t.event === "recovery-enter")).toBe(false);
  });
});

