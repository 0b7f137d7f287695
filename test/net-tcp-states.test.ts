// Scripted peer: the RFC 9293 state machine. The test plays the other side
// segment by segment and checks every segment the engine sends.

import { describe, expect, it } from "vitest";
import { TCP_ERR } from "../viperdos/kernel/net/tcp/api.js";
import {
  ACK, FIN, IP_A, IP_B, MS, PEER_ISN, PSH, RST, SYN, ScriptedPeer, bytes, establishActive, establishPassive, peerSend,
} from "./net-tcp-harness.js";

describe("three-way handshake", () => {
  it("active open: SYN with MSS/WS/SACK-permitted, ACK of the SYN,ACK, data at ISS+1", () => {
    const p = new ScriptedPeer({ rcvBuf: 256 * 1024 });
    const conn = p.stack.connect(IP_A, IP_B, 80, 0);
    if (typeof conn === "number") throw new Error("connect");
    const events: string[] = [];
    conn.on((e) => events.push(e));
    expect(conn.state).toBe("SYN-SENT");
    const syn = p.take();
    expect(syn.flags).toBe(SYN);
    expect(syn.dstPort).toBe(80);
    expect(syn.srcPort).toBeGreaterThanOrEqual(49152);
    expect(syn.ack).toBe(0);
    expect(syn.window).toBe(65535);
    expect(syn.options.mss).toBe(1460);
    expect(syn.options.windowScale).toBe(3); // 256 KiB >> 3 fits the 16-bit field
    expect(syn.options.sackPermitted).toBe(true);
    expect(syn.payload.length).toBe(0);
    expect(p.out).toHaveLength(0);

    p.now = 20 * MS;
    p.send({ srcPort: 80, dstPort: syn.srcPort, seq: PEER_ISN, ack: syn.seq + 1, flags: SYN | ACK, window: 1000, options: { mss: 1000, windowScale: 2, sackPermitted: true } });
    const ack = p.take();
    expect(ack.flags).toBe(ACK);
    expect(ack.seq).toBe(syn.seq + 1);
    expect(ack.ack).toBe(PEER_ISN + 1);
    expect(ack.window).toBe(32768); // 262144 >> 3
    expect(conn.state).toBe("ESTABLISHED");
    expect(events).toEqual(["established"]);
    const snap = conn.snapshot();
    expect(snap.mss).toBe(1000);
    expect(snap.sndWscale).toBe(2);
    expect(snap.sackOk).toBe(true);
    expect(snap.srttNs).toBe(20 * MS); // the SYN was timed

    expect(conn.send(bytes(100), p.now)).toBe(100);
    const data = p.take();
    expect(data.seq).toBe(syn.seq + 1);
    expect(data.flags).toBe(ACK | PSH);
    expect(data.payload.length).toBe(100);
    // SYN,ACK windows are never scaled; later ones are (window 1000 << 2 = 4000 bytes).
    p.send({ srcPort: 80, dstPort: syn.srcPort, seq: PEER_ISN + 1, ack: syn.seq + 101, window: 1000 });
    expect(conn.snapshot().sndWnd).toBe(4000);
  });

  it("active open without options from the peer: no scaling, MSS 536, no SACK", () => {
    const c = establishActive({}, {});
    const s = c.conn.snapshot();
    expect(s.sndWscale).toBe(0);
    expect(s.rcvWscale).toBe(0);
    expect(s.mss).toBe(536);
    expect(s.sackOk).toBe(false);
    expect(c.conn.send(bytes(2000), c.p.now)).toBe(2000);
    const segs = c.p.drain();
    expect(segs[0]!.payload.length).toBe(536);
    expect(segs[0]!.window).toBe(65535); // unscaled window, capped at the field
  });

  it("passive open: SYN,ACK echoes only offered options; accept after the ACK", () => {
    const p = new ScriptedPeer();
    const l = p.stack.listen(IP_A, 80, 4);
    if (typeof l === "number") throw new Error("listen");
    let acceptable = 0;
    l.on(() => acceptable++);
    p.send({ srcPort: 40000, dstPort: 80, seq: 5000, flags: SYN, window: 8192, options: { mss: 1200, windowScale: 7 } });
    const sa = p.take();
    expect(sa.flags).toBe(SYN | ACK);
    expect(sa.ack).toBe(5001);
    expect(sa.srcPort).toBe(80);
    expect(sa.dstPort).toBe(40000);
    expect(sa.options.mss).toBe(1460);
    expect(sa.options.windowScale).toBe(3);
    expect(sa.options.sackPermitted).toBeUndefined();
    expect(l.accept()).toBeUndefined();
    expect(l.snapshot().synReceived).toBe(1);
    p.send({ srcPort: 40000, dstPort: 80, seq: 5001, ack: sa.seq + 1, flags: ACK, window: 100 });
    expect(p.out).toHaveLength(0);
    expect(acceptable).toBe(1);
    const c = l.accept()!;
    expect(c.state).toBe("ESTABLISHED");
    expect(c.remotePort).toBe(40000);
    const s = c.snapshot();
    expect(s.sndWnd).toBe(100 << 7);
    expect(s.mss).toBe(1200);
    expect(s.sackOk).toBe(false);
  });

  it("passive open answers a retransmitted SYN with the same SYN,ACK", () => {
    const p = new ScriptedPeer();
    p.stack.listen(IP_A, 80, 4);
    p.send({ srcPort: 40000, dstPort: 80, seq: 5000, flags: SYN, options: { mss: 1460 } });
    const a = p.take();
    p.send({ srcPort: 40000, dstPort: 80, seq: 5000, flags: SYN, options: { mss: 1460 } });
    const b = p.take();
    expect(b.flags).toBe(SYN | ACK);
    expect(b.seq).toBe(a.seq);
    expect(b.ack).toBe(5001);
  });

  it("a SYN to a port nobody listens on gets RST,ACK; an ACK gets a RST at its ack number", () => {
    const p = new ScriptedPeer();
    p.send({ srcPort: 40000, dstPort: 81, seq: 77, flags: SYN });
    const r = p.take();
    expect(r.flags).toBe(RST | ACK);
    expect(r.seq).toBe(0);
    expect(r.ack).toBe(78);
    p.send({ srcPort: 40000, dstPort: 81, seq: 78, ack: 12345, flags: ACK, payload: bytes(10) });
    const r2 = p.take();
    expect(r2.flags).toBe(RST);
    expect(r2.seq).toBe(12345);
    p.send({ srcPort: 40000, dstPort: 81, seq: 78, flags: RST });
    expect(p.out).toHaveLength(0); // never answer a RST
    expect(p.stack.snapshot().counters.noConnection).toBe(3);
  });

  it("SYN retransmissions back off (1 s, 2 s, 4 s ...) and connect fails with TIMEOUT", () => {
    const p = new ScriptedPeer({ synRetries: 3 });
    const c = p.stack.connect(IP_A, IP_B, 80, 0);
    if (typeof c === "number") throw new Error("connect");
    const times: number[] = [];
    p.take();
    for (let i = 0; i < 4; i++) {
      p.advance(p.stack.nextTimerNs()! - p.now);
      if (p.out.length) { const s = p.take(); expect(s.flags).toBe(SYN); times.push(p.now); }
    }
    expect(times).toEqual([1000 * MS, 3000 * MS, 7000 * MS]);
    expect(c.state).toBe("CLOSED");
    expect(c.error).toBe(TCP_ERR.TIMEOUT);
    expect(p.stack.connections()).toHaveLength(0);
  });
});

describe("simultaneous open and close", () => {
  it("simultaneous open: SYN crosses SYN, both send SYN,ACK, both ESTABLISHED", () => {
    const p = new ScriptedPeer();
    const conn = p.stack.connect(IP_A, IP_B, 80, 0, { localPort: 7000 });
    if (typeof conn === "number") throw new Error("connect");
    const syn = p.take();
    expect(syn.srcPort).toBe(7000);
    // The peer's own SYN arrives (it connected to us at the same time).
    p.send({ srcPort: 80, dstPort: 7000, seq: PEER_ISN, flags: SYN, window: 65535, options: { mss: 1460, windowScale: 1, sackPermitted: true } });
    expect(conn.state).toBe("SYN-RECEIVED");
    const sa = p.take();
    expect(sa.flags).toBe(SYN | ACK);
    expect(sa.seq).toBe(syn.seq);
    expect(sa.ack).toBe(PEER_ISN + 1);
    expect(sa.options.windowScale).toBe(3);
    // The peer's SYN,ACK (its answer to our SYN).
    p.send({ srcPort: 80, dstPort: 7000, seq: PEER_ISN, ack: syn.seq + 1, flags: SYN | ACK, window: 65535, options: { mss: 1460, windowScale: 1, sackPermitted: true } });
    expect(conn.state).toBe("ESTABLISHED");
    const ack = p.take();
    expect(ack.flags).toBe(ACK);
    expect(ack.seq).toBe(syn.seq + 1);
    expect(ack.ack).toBe(PEER_ISN + 1);
    expect(p.out).toHaveLength(0);
  });

  it("simultaneous close: FIN crosses FIN -> CLOSING -> TIME-WAIT -> CLOSED after 2*MSL", () => {
    const c = establishActive({ mslNs: 1000 * MS });
    c.conn.close(c.p.now);
    expect(c.conn.state).toBe("FIN-WAIT-1");
    const fin = c.p.take();
    expect(fin.flags).toBe(FIN | ACK);
    expect(fin.seq).toBe(c.iss + 1);
    // The peer's FIN, not acknowledging ours.
    peerSend(c, { flags: FIN | ACK });
    expect(c.conn.state).toBe("CLOSING");
    const a = c.p.take();
    expect(a.flags).toBe(ACK);
    expect(a.ack).toBe(PEER_ISN + 2);
    expect(a.seq).toBe(c.iss + 2);
    c.peerAck = c.iss + 2;
    peerSend(c);
    expect(c.conn.state).toBe("TIME-WAIT");
    c.p.advance(1999 * MS);
    expect(c.conn.state).toBe("TIME-WAIT");
    c.p.advance(1 * MS);
    expect(c.conn.state).toBe("CLOSED");
    expect(c.conn.error).toBe(0);
    expect(c.p.stack.connections()).toHaveLength(0);
  });
});

describe("FIN and TIME_WAIT", () => {
  it("active close: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT; a repeated FIN is ACKed again; 2*MSL", () => {
    const c = establishActive({ mslNs: 500 * MS });
    c.conn.send(bytes(10), c.p.now);
    c.conn.close(c.p.now);
    const d = c.p.take();
    expect(d.flags).toBe(ACK | PSH);
    expect(d.payload.length).toBe(10);
    const f = c.p.take();
    expect(f.flags).toBe(ACK | FIN);
    expect(f.seq).toBe(c.iss + 11);
    c.peerAck = c.iss + 12;
    peerSend(c);
    expect(c.conn.state).toBe("FIN-WAIT-2");
    peerSend(c, { flags: FIN | ACK });
    expect(c.conn.state).toBe("TIME-WAIT");
    const a = c.p.take();
    expect(a.ack).toBe(PEER_ISN + 2);
    c.p.advance(600 * MS);
    peerSend(c, { flags: FIN | ACK, seq: PEER_ISN + 1 }); // our ACK was lost: FIN again
    const again = c.p.take();
    expect(again.flags).toBe(ACK);
    expect(again.ack).toBe(PEER_ISN + 2);
    c.p.advance(999 * MS); // the repeated FIN restarted the 2*MSL wait
    expect(c.conn.state).toBe("TIME-WAIT");
    c.p.advance(1 * MS);
    expect(c.conn.state).toBe("CLOSED");
    expect(c.events).toContain("closed");
  });

  it("passive close: FIN -> CLOSE-WAIT, recv gives the data then eof, close -> LAST-ACK -> CLOSED", () => {
    const c = establishPassive();
    peerSend(c, { payload: bytes(5, 0x42), flags: ACK | PSH });
    peerSend(c, { flags: FIN | ACK });
    expect(c.conn.state).toBe("CLOSE-WAIT");
    const ack = c.p.drain().pop()!;
    expect(ack.ack).toBe(PEER_ISN + 1 + 5 + 1);
    expect(c.events).toContain("readable");
    const d = c.conn.recv(100);
    expect(d).toEqual(bytes(5, 0x42));
    expect(c.conn.recv(100)).toBe("eof");
    expect(c.conn.send(bytes(3), c.p.now)).toBe(3); // half close: we can still send
    c.conn.close(c.p.now);
    expect(c.conn.state).toBe("LAST-ACK");
    const segs = c.p.drain();
    const last = segs[segs.length - 1]!;
    expect(last.flags & FIN).toBe(FIN);
    expect((last.seq + last.payload.length) >>> 0).toBe(c.iss + 1 + 3);
    c.peerAck = c.iss + 1 + 3 + 1;
    peerSend(c);
    expect(c.conn.state).toBe("CLOSED");
    expect(c.conn.error).toBe(0);
    expect(c.p.stack.connections()).toHaveLength(0);
  });

  it("close in SYN-SENT: with nothing queued the connection is dropped; with data, it goes out then FIN", () => {
    const p = new ScriptedPeer();
    const a = p.stack.connect(IP_A, IP_B, 80, 0);
    if (typeof a === "number") throw new Error("connect");
    p.take();
    a.close(0);
    expect(a.state).toBe("CLOSED");
    expect(a.error).toBe(0);
    expect(p.out).toHaveLength(0);
    const b = p.stack.connect(IP_A, IP_B, 80, 0);
    if (typeof b === "number") throw new Error("connect");
    const syn = p.take();
    expect(b.send(bytes(20), 0)).toBe(20);
    b.close(0);
    expect(b.state).toBe("SYN-SENT");
    p.send({ srcPort: 80, dstPort: syn.srcPort, seq: PEER_ISN, ack: syn.seq + 1, flags: SYN | ACK, options: { mss: 1000 } });
    expect(b.state).toBe("FIN-WAIT-1");
    const segs = p.drain();
    expect(segs.map((s) => s.flags)).toEqual([ACK, ACK | PSH | FIN]); // the FIN rides on the data
    expect(segs[1]!.payload.length).toBe(20);
    expect(segs[1]!.seq).toBe(syn.seq + 1);
  });

  it("close with unread data resets the connection (RFC 2525)", () => {
    const c = establishPassive();
    peerSend(c, { payload: bytes(5), flags: ACK | PSH });
    c.p.drain();
    c.conn.close(c.p.now);
    const r = c.p.take();
    expect(r.flags & RST).toBe(RST);
    expect(r.seq).toBe(c.iss + 1);
    expect(c.conn.state).toBe("CLOSED");
  });
});

describe("RST handling (RFC 9293 + RFC 5961)", () => {
  it("SYN-SENT: a RST acknowledging our SYN refuses the connection; others are ignored", () => {
    const p = new ScriptedPeer();
    const c = p.stack.connect(IP_A, IP_B, 80, 0);
    if (typeof c === "number") throw new Error("connect");
    const events: string[] = [];
    c.on((e) => events.push(e));
    const syn = p.take();
    p.send({ srcPort: 80, dstPort: syn.srcPort, seq: 0, flags: RST }); // no ACK: ignored
    p.send({ srcPort: 80, dstPort: syn.srcPort, seq: 0, ack: syn.seq + 5, flags: RST | ACK }); // bad ack: ignored
    expect(c.state).toBe("SYN-SENT");
    expect(p.out).toHaveLength(0);
    p.send({ srcPort: 80, dstPort: syn.srcPort, seq: 0, ack: syn.seq + 1, flags: RST | ACK });
    expect(c.state).toBe("CLOSED");
    expect(c.error).toBe(TCP_ERR.CONN_REFUSED);
    expect(events).toEqual(["reset", "closed"]);
  });

  it("SYN-SENT: an ACK for something we never sent gets a RST", () => {
    const p = new ScriptedPeer();
    const c = p.stack.connect(IP_A, IP_B, 80, 0);
    if (typeof c === "number") throw new Error("connect");
    const syn = p.take();
    p.send({ srcPort: 80, dstPort: syn.srcPort, seq: 9, ack: syn.seq + 100, flags: SYN | ACK });
    const r = p.take();
    expect(r.flags).toBe(RST);
    expect(r.seq).toBe(syn.seq + 100);
    expect(c.state).toBe("SYN-SENT");
  });

  it("SYN-RECEIVED (passive): a RST drops the half-open connection, the listener stays", () => {
    const p = new ScriptedPeer();
    const l = p.stack.listen(IP_A, 80, 4);
    if (typeof l === "number") throw new Error("listen");
    p.send({ srcPort: 40000, dstPort: 80, seq: 5000, flags: SYN });
    p.take();
    p.send({ srcPort: 40000, dstPort: 80, seq: 5001, flags: RST });
    expect(p.stack.connections()).toHaveLength(0);
    expect(l.snapshot().synReceived).toBe(0);
    expect(l.accept()).toBeUndefined();
  });

  const synchronizedStates: { name: string; setup: (c: ReturnType<typeof establishActive>) => void; error: number }[] = [
    { name: "ESTABLISHED", setup: () => {}, error: TCP_ERR.CONN_RESET },
    { name: "FIN-WAIT-1", setup: (c) => c.conn.shutdownWrite(c.p.now), error: TCP_ERR.CONN_RESET },
    { name: "FIN-WAIT-2", setup: (c) => { c.conn.shutdownWrite(c.p.now); c.peerAck = c.iss + 2; peerSend(c); }, error: TCP_ERR.CONN_RESET },
    { name: "CLOSE-WAIT", setup: (c) => peerSend(c, { flags: FIN | ACK }), error: TCP_ERR.CONN_RESET },
    { name: "CLOSING", setup: (c) => { c.conn.shutdownWrite(c.p.now); peerSend(c, { flags: FIN | ACK }); }, error: 0 },
    { name: "LAST-ACK", setup: (c) => { peerSend(c, { flags: FIN | ACK }); c.conn.close(c.p.now); }, error: 0 },
    { name: "TIME-WAIT", setup: (c) => { c.conn.shutdownWrite(c.p.now); c.peerAck = c.iss + 2; peerSend(c, { flags: FIN | ACK }); }, error: 0 },
  ];
  for (const st of synchronizedStates) {
    it(`${st.name}: exact RST closes, in-window RST gets a challenge ACK, out-of-window RST is ignored`, () => {
      const c = establishActive();
      st.setup(c);
      expect(c.conn.state).toBe(st.name);
      c.p.drain();
      // In the window but not RCV.NXT: challenge ACK (RFC 5961 3.2), state kept.
      c.p.send({ srcPort: 80, dstPort: c.localPort, seq: c.peerSeq + 100, flags: RST });
      const ch = c.p.take();
      expect(ch.flags).toBe(ACK);
      expect(ch.ack).toBe(c.peerSeq);
      expect(c.conn.state).toBe(st.name);
      // Outside the window: dropped silently.
      c.p.send({ srcPort: 80, dstPort: c.localPort, seq: c.peerSeq + 0x40000000, flags: RST });
      expect(c.p.out).toHaveLength(0);
      expect(c.conn.state).toBe(st.name);
      // Exactly RCV.NXT: reset.
      c.p.send({ srcPort: 80, dstPort: c.localPort, seq: c.peerSeq, flags: RST });
      expect(c.conn.state).toBe("CLOSED");
      expect(c.conn.error).toBe(st.error);
      expect(c.p.out).toHaveLength(0);
      expect(c.p.stack.connections()).toHaveLength(0);
      if (st.error === TCP_ERR.CONN_RESET) expect(c.events).toContain("reset");
    });
  }

  it("a SYN on an established connection gets a challenge ACK (RFC 5961 4)", () => {
    const c = establishActive();
    c.p.send({ srcPort: 80, dstPort: c.localPort, seq: 123, flags: SYN });
    const a = c.p.take();
    expect(a.flags).toBe(ACK);
    expect(a.ack).toBe(c.peerSeq);
    expect(c.conn.state).toBe("ESTABLISHED");
    expect(c.p.stack.snapshot().counters.challengeAcks).toBe(1);
  });

  it("challenge ACKs are rate limited stack-wide (RFC 5961 7)", () => {
    const c = establishActive({ challengeAckLimit: 5 });
    for (let i = 0; i < 20; i++) c.p.send({ srcPort: 80, dstPort: c.localPort, seq: c.peerSeq + 10 + i, flags: RST });
    expect(c.p.drain()).toHaveLength(5);
    c.p.advance(1000 * MS);
    c.p.send({ srcPort: 80, dstPort: c.localPort, seq: c.peerSeq + 10, flags: RST });
    expect(c.p.drain()).toHaveLength(1);
    const k = c.p.stack.snapshot().counters;
    expect(k.challengeAcks).toBe(6);
    expect(k.challengeAcksSuppressed).toBe(15);
    expect(c.conn.state).toBe("ESTABLISHED");
  });

  it("abort sends RST and fails the connection with CONN_ABORTED", () => {
    const c = establishActive();
    c.conn.abort(c.p.now);
    const r = c.p.take();
    expect(r.flags & RST).toBe(RST);
    expect(r.seq).toBe(c.iss + 1);
    expect(c.conn.state).toBe("CLOSED");
    expect(c.conn.error).toBe(TCP_ERR.CONN_ABORTED);
  });

  it("an ACK beyond anything sent is answered with an ACK and dropped (RFC 5961 5)", () => {
    const c = establishActive();
    peerSend(c, { ack: c.iss + 5000, payload: bytes(10) });
    const a = c.p.take();
    expect(a.flags).toBe(ACK);
    expect(a.ack).toBe(PEER_ISN + 1); // the data was not taken
    expect(c.conn.readableBytes).toBe(0);
  });
});
