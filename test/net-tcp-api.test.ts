// The TcpStack API as its users (the network stack, sockets, the notebook)
// see it: argument checks, wildcard listeners, listener close, ICMP errors,
// congestion-control selection, events and JSON snapshots.

import { describe, expect, it } from "vitest";
import { TCP_ANY, TCP_ERR, type TcpConnEvent } from "../viperdos/kernel/net/tcp/api.js";
import { serializeSegment } from "../viperdos/kernel/net/tcp/segment.js";
import { TcpStack } from "../viperdos/kernel/net/tcp/stack.js";
import { ACK, IP_A, IP_B, MS, PEER_ISN, RST, SYN, ScriptedPeer, TwoStacks, bytes, establishActive, rng32 } from "./net-tcp-harness.js";

describe("TcpStack API", () => {
  it("checks its arguments and refuses duplicate listeners and 4-tuples", () => {
    const s = new TcpStack({ output: () => {}, random32: rng32(3) });
    expect(s.listen(IP_A, 70000, 4)).toBe(TCP_ERR.INVALID_ARG);
    expect(s.listen(IP_A, 80, 0)).toBe(TCP_ERR.INVALID_ARG);
    expect(s.listen(-1, 80, 4)).toBe(TCP_ERR.INVALID_ARG);
    expect(s.listen(IP_A, 80, 4, { cc: "vegas" as never })).toBe(TCP_ERR.INVALID_ARG);
    expect(typeof s.listen(IP_A, 80, 4)).toBe("object");
    expect(s.listen(IP_A, 80, 4)).toBe(TCP_ERR.ADDR_IN_USE);
    expect(s.connect(IP_A, 0, 80, 0)).toBe(TCP_ERR.INVALID_ARG);
    expect(s.connect(IP_A, IP_B, 0, 0)).toBe(TCP_ERR.INVALID_ARG);
    expect(s.connect(IP_A, IP_B, 80, 0, { localPort: 1.5 })).toBe(TCP_ERR.INVALID_ARG);
    expect(typeof s.connect(IP_A, IP_B, 80, 0, { localPort: 5555 })).toBe("object");
    expect(s.connect(IP_A, IP_B, 80, 0, { localPort: 5555 })).toBe(TCP_ERR.ADDR_IN_USE);
    expect(s.nextTimerNs()).toBe(1000 * MS); // the SYN's retransmission timer
  });

  it("a wildcard listener takes SYNs for any address and port; a specific one wins", () => {
    const p = new ScriptedPeer();
    const any = p.stack.listen(TCP_ANY, TCP_ANY, 8);
    const web = p.stack.listen(TCP_ANY, 80, 8);
    if (typeof any === "number" || typeof web === "number") throw new Error("listen");
    const far = 0x5db8d822; // 93.184.216.34
    const synTo = (dst: number, port: number) => p.stack.input(IP_B, dst, segmentBytes(dst, port), p.now);
    synTo(far, 443);
    synTo(far, 80);
    const [a, b] = p.drain();
    expect(a!.src).toBe(far);
    expect(a!.srcPort).toBe(443);
    expect(a!.flags).toBe(SYN | ACK);
    expect(b!.srcPort).toBe(80);
    expect(any.snapshot().synReceived).toBe(1);
    expect(web.snapshot().synReceived).toBe(1);
    p.stack.input(IP_B, far, ackBytes(far, 443, a!.seq + 1), p.now);
    const c = any.accept()!;
    expect(c.localIp).toBe(far);
    expect(c.localPort).toBe(443);
    expect(c.state).toBe("ESTABLISHED");
  });

  it("closing a listener resets connections nobody accepted; later SYNs get RST", () => {
    const p = new ScriptedPeer();
    const l = p.stack.listen(IP_A, 80, 8);
    if (typeof l === "number") throw new Error("listen");
    p.send({ srcPort: 40000, dstPort: 80, seq: 10, flags: SYN });
    const sa = p.take();
    p.send({ srcPort: 40000, dstPort: 80, seq: 11, ack: sa.seq + 1, flags: ACK });
    l.close(p.now);
    const r = p.take();
    expect(r.flags & RST).toBe(RST);
    expect(r.seq).toBe(sa.seq + 1);
    expect(p.stack.connections()).toHaveLength(0);
    p.send({ srcPort: 40001, dstPort: 80, seq: 10, flags: SYN });
    expect(p.take().flags).toBe(RST | ACK);
  });

  it("ICMP unreachable fails a connection only while in SYN-SENT", () => {
    const p = new ScriptedPeer();
    const c = p.stack.connect(IP_A, IP_B, 80, 0);
    if (typeof c === "number") throw new Error("connect");
    const syn = p.take();
    const quoted = new Uint8Array([syn.srcPort >> 8, syn.srcPort & 0xff, 0, 80, 0, 0, 0, 0]);
    p.stack.icmpError(IP_A, IP_B, quoted.subarray(0, 4), "host-unreachable", 0); // too short: ignored
    expect(c.state).toBe("SYN-SENT");
    p.stack.icmpError(IP_A, IP_B, quoted, "port-unreachable", 0);
    expect(c.state).toBe("CLOSED");
    expect(c.error).toBe(TCP_ERR.CONN_REFUSED);
    const e = establishActive();
    const q2 = new Uint8Array([e.localPort >> 8, e.localPort & 0xff, 0, 80, 0, 0, 0, 0]);
    e.p.stack.icmpError(IP_A, IP_B, q2, "host-unreachable", e.p.now);
    expect(e.conn.state).toBe("ESTABLISHED");
  });

  it("congestion control: stack default, per listener, per connection, switchable", () => {
    const net = new TwoStacks({ delayNs: 1 * MS }, { cc: "cubic" }, {});
    expect(net.a.defaultCc).toBe("cubic");
    const l = net.b.listen(IP_B, 9, 4, { cc: "cubic" });
    const c1 = net.a.connect(IP_A, IP_B, 9, 0);
    net.a.defaultCc = "newreno";
    const c2 = net.a.connect(IP_A, IP_B, 9, 0, { cc: "cubic" });
    const c3 = net.a.connect(IP_A, IP_B, 9, 0);
    if (typeof l === "number" || typeof c1 === "number" || typeof c2 === "number" || typeof c3 === "number") throw new Error("setup");
    net.run(100 * MS, () => false);
    expect([c1.cc, c2.cc, c3.cc]).toEqual(["cubic", "cubic", "newreno"]);
    expect(l.accept()!.cc).toBe("cubic");
    c1.setCongestionControl("newreno");
    expect(c1.snapshot().cc).toBe("newreno");
    net.a.defaultCc = "bogus" as never;
    expect(net.a.defaultCc).toBe("newreno");
  });

  it("events arrive after the engine call, and callbacks may call back in", () => {
    const c = establishActive({ sndBuf: 2048 }, { mss: 1000 });
    const seen: TcpConnEvent[] = [];
    let echoed = 0;
    c.conn.on((ev) => {
      seen.push(ev);
      if (ev === "readable") {
        const d = c.conn.recv(100);
        if (d instanceof Uint8Array) echoed += c.conn.send(d, c.p.now); // re-entrant send
      }
    });
    c.p.send({ srcPort: 80, dstPort: c.localPort, seq: PEER_ISN + 1, ack: c.iss + 1, flags: ACK, payload: bytes(10) });
    expect(echoed).toBe(10);
    expect(c.p.drain().some((s) => s.payload.length === 10)).toBe(true);
    c.p.send({ srcPort: 80, dstPort: c.localPort, seq: PEER_ISN + 11, flags: RST });
    expect(seen).toEqual(["readable", "reset", "closed"]);
    expect(c.conn.recv(10)).toBeUndefined();
    expect(c.conn.send(bytes(1), c.p.now)).toBe(TCP_ERR.NOT_CONNECTED);
    expect(c.conn.error).toBe(TCP_ERR.CONN_RESET);
  });

  it("snapshots are plain JSON; the trace stays within its capacity", () => {
    const net = new TwoStacks({ delayNs: 1 * MS }, { traceCapacity: 32 }, {});
    const l = net.b.listen(IP_B, 7, 4);
    const c = net.a.connect(IP_A, IP_B, 7, 0);
    if (typeof l === "number" || typeof c === "number") throw new Error("setup");
    let sent = 0;
    net.run(10_000 * MS, () => sent >= 500_000 && c.snapshot().inFlight === 0, () => {
      if (sent < 500_000) sent += Math.max(0, c.send(bytes(8192), net.now));
      const s = l.accept();
      if (s) s.on(() => { while (s.recv(1 << 20) instanceof Uint8Array); });
    });
    expect(c.trace()).toHaveLength(32);
    const snap = net.a.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.connections[0]!.remote).toBe("10.0.2.2:7");
    expect(JSON.parse(JSON.stringify(c.trace()))).toEqual(c.trace());
    expect(net.b.snapshot().listeners[0]).toMatchObject({ localPort: 7, backlog: 4, acceptQueue: 0 });
  });
});

function segmentBytes(dst: number, port: number): Uint8Array {
  return serializeSegment(IP_B, dst, { srcPort: 40000, dstPort: port, seq: 500, ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload: new Uint8Array(0) });
}
function ackBytes(dst: number, port: number, ack: number): Uint8Array {
  return serializeSegment(IP_B, dst, { srcPort: 40000, dstPort: port, seq: 501, ack, flags: ACK, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0) });
}
