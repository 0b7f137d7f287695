// The network stack below TCP (viperdos/kernel/net/stack.ts): ARP, IPv4
// fragmentation and reassembly, ICMP, UDP, on NetStacks wired by Links in
// virtual time, with frames captured and injected.

import { describe, expect, it } from "vitest";
import { VirtualClock } from "../emulator/clock.js";
import { Gateway, GATEWAY_IP } from "../emulator/net/gateway.js";
import { E } from "../viperdos/kernel/errors.js";
import type { PingResult } from "../viperdos/kernel/net/stack.js";
import type { Datagram } from "../viperdos/kernel/net/socket.js";
import {
  buildIpv4, buildUdp, ETH_HLEN, ethFrame, ETHERTYPE_IPV4, ICMP, IPPROTO_UDP, ipv4, parseIpv4Header, rd16,
} from "../viperdos/kernel/net/wire.js";
import { defaultTcpEngine } from "../viperdos/kernel/net/tcp-engine.js";
import { advance, MAC_A, MAC_B, StackPort, wire } from "./net-stack-helpers.js";

const IP_A = ipv4(10, 0, 2, 15);
const IP_B = ipv4(10, 0, 2, 16);

function twoStacks(opts: { arpTtlNs?: number } = {}): { clock: VirtualClock; a: StackPort; b: StackPort } {
  const clock = new VirtualClock();
  const a = new StackPort("a", clock, { mac: MAC_A, ip: IP_A, arp: { ttlNs: opts.arpTtlNs } });
  const b = new StackPort("b", clock, { mac: MAC_B, ip: IP_B });
  wire(a, b);
  return { clock, a, b };
}

function ipFrames(frames: Uint8Array[]): Uint8Array[] {
  return frames.filter((f) => rd16(f, 12) === ETHERTYPE_IPV4);
}

describe("ARP", () => {
  it("resolves through request/reply, caches, and expires entries", () => {
    const { clock, a, b } = twoStacks({ arpTtlNs: 5e9 });
    let r: PingResult | undefined;
    a.stack.ping(IP_B, {}, (x) => (r = x));
    expect(a.stack.arp.counters.requestsSent).toBe(1);
    advance(clock, 10e6);
    expect(r).toMatchObject({ ok: true, from: IP_B });
    // ARP (1 ms each way) then echo (1 ms each way): the reply comes 2 ms after the request left.
    expect(r && r.ok && r.rttNs).toBe(4e6);
    expect(a.stack.snapshot().arp).toEqual([{ ip: "10.0.2.16", mac: "52:54:00:12:34:57", expiresInNs: 5e9 - 2e6 - 6e6 }]);
    // b learned a from the request addressed to it (RFC 826 merge).
    expect(b.stack.snapshot().arp.map((e) => e.ip)).toEqual(["10.0.2.15"]);

    // A second ping inside the lifetime: no new request, round trip 2 ms.
    a.stack.ping(IP_B, {}, (x) => (r = x));
    advance(clock, 10e6);
    expect(a.stack.arp.counters.requestsSent).toBe(1);
    expect(r && r.ok && r.rttNs).toBe(2e6);

    // After the lifetime the entry is gone and the next ping asks again.
    advance(clock, 6e9);
    expect(a.stack.snapshot().arp).toEqual([]);
    a.stack.ping(IP_B, {}, (x) => (r = x));
    advance(clock, 10e6);
    expect(a.stack.arp.counters.requestsSent).toBe(2);
    expect(r && r.ok && r.rttNs).toBe(4e6);
  });

  it("gives up after its retries: queued packets fail with host unreachable", () => {
    const { clock, a } = twoStacks();
    let r: PingResult | undefined;
    a.stack.ping(ipv4(10, 0, 2, 77), { timeoutNs: 10e9 }, (x) => (r = x));
    advance(clock, 2.5e9);
    expect(r).toBeUndefined();
    expect(a.stack.arp.counters.requestsSent).toBe(3);
    advance(clock, 1e9);
    expect(r).toMatchObject({ ok: false, error: E.HOST_UNREACHABLE });
    expect(a.stack.arp.counters.resolveFailures).toBe(1);
    expect(a.stack.snapshot().arpPending).toBe(0);
  });

  it("answers requests for its own address only", () => {
    const { clock, a, b } = twoStacks();
    let r: PingResult | undefined;
    a.stack.ping(ipv4(10, 0, 2, 99), { timeoutNs: 5e9 }, (x) => (r = x));
    advance(clock, 5e9);
    expect(b.stack.arp.counters.requestsReceived).toBe(3);
    expect(b.stack.arp.counters.repliesSent).toBe(0);
    expect(r?.ok).toBe(false);
  });
});

describe("IPv4 fragmentation and reassembly", () => {
  function bindB(b: StackPort, port: number): Datagram[] {
    const got: Datagram[] = [];
    expect(b.stack.udp.bind(0, port, (d) => got.push(d))).toBe(port);
    return got;
  }
  const payload = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

  it("fragments a 4000-byte datagram at the 1500-byte MTU and reassembles it", () => {
    const { clock, a, b } = twoStacks();
    const got = bindB(b, 7000);
    const src = a.stack.udp.bind(0, 0, () => {});
    const data = payload(4000);
    expect(a.stack.udp.sendTo(src, IP_B, 7000, data)).toBe(0);
    advance(clock, 10e6);
    expect(got).toHaveLength(1);
    expect(got[0].data).toEqual(data);
    expect(got[0].srcPort).toBe(src);
    const frags = ipFrames(a.sent).map((f) => parseIpv4Header(f.subarray(ETH_HLEN)));
    expect(frags.map((h) => typeof h === "object" && [h.offset, h.mf, h.totalLength])).toEqual([
      [0, true, 1500], [1480, true, 1500], [2960, false, 20 + 4008 - 2960],
    ]);
    expect(b.stack.counters.ipReassembled).toBe(1);
    expect(b.stack.reassembler.usage()).toEqual({ datagrams: 0, bytes: 0 });
  });

  function fragmentsOf(data: Uint8Array, id: number, cuts: [number, number][]): Uint8Array[] {
    const udp = buildUdp(IP_A, IP_B, 5555, 7000, data);
    return cuts.map(([s, e]) => ethFrame(MAC_B, MAC_A, ETHERTYPE_IPV4, buildIpv4({ id, ttl: 64, proto: IPPROTO_UDP, src: IP_A, dst: IP_B, mf: e < udp.length, offset: s }, udp.subarray(s, e))));
  }

  it("reassembles fragments arriving out of order", () => {
    const { b } = twoStacks();
    const got = bindB(b, 7000);
    const data = payload(3000);
    const f = fragmentsOf(data, 42, [[0, 1000], [1000, 2000], [2000, 3008]]);
    for (const x of [f[2], f[0], f[1]]) b.receive(x);
    expect(got).toHaveLength(1);
    expect(got[0].data).toEqual(data);
  });

  it("accepts overlapping fragments; the bytes that came first win", () => {
    const { b } = twoStacks();
    const got = bindB(b, 7000);
    const data = payload(2000);
    const f = fragmentsOf(data, 43, [[0, 1200], [800, 2008]]);
    // A forged overlap rewriting bytes 800..1200 with zeros comes after the original.
    const forged = buildUdp(IP_A, IP_B, 5555, 7000, data).slice(800, 1200);
    forged.fill(0);
    const bad = ethFrame(MAC_B, MAC_A, ETHERTYPE_IPV4, buildIpv4({ id: 43, ttl: 64, proto: IPPROTO_UDP, src: IP_A, dst: IP_B, mf: true, offset: 800 }, forged));
    b.receive(f[0]);
    b.receive(bad);
    b.receive(f[1]);
    expect(b.stack.reassembler.counters.overlaps).toBe(2);
    expect(got).toHaveLength(1);
    expect(got[0].data).toEqual(data);
  });

  it("drops a datagram whose fragments do not all arrive, with ICMP time exceeded (reassembly)", () => {
    const { clock, a, b } = twoStacks();
    bindB(b, 7000);
    const f = fragmentsOf(payload(3000), 44, [[0, 1000], [1000, 2000], [2000, 3008]]);
    b.receive(f[0]);
    b.receive(f[2]);
    expect(b.stack.reassembler.usage().datagrams).toBe(1);
    advance(clock, 29e9);
    expect(b.stack.reassembler.usage().datagrams).toBe(1);
    advance(clock, 2e9);
    expect(b.stack.reassembler.usage()).toEqual({ datagrams: 0, bytes: 0 });
    expect(b.stack.reassembler.counters.timedOut).toBe(1);
    const icmp = ipFrames(b.sent).map((x) => x.subarray(ETH_HLEN)).find((p) => p[9] === 1);
    expect(icmp).toBeDefined();
    const h = parseIpv4Header(icmp!);
    expect(typeof h === "object" && [h.src, h.dst]).toEqual([IP_B, IP_A]);
    expect([icmp![20], icmp![21]]).toEqual([ICMP.TIME_EXCEEDED, ICMP.REASSEMBLY_EXCEEDED]);
    expect(a.stack.counters.icmpErrorsIn).toBe(1);
  });

  it("refuses a datagram above the MTU with don't-fragment", () => {
    const { clock, a } = twoStacks();
    let r: PingResult | undefined;
    a.stack.ping(IP_B, { size: 2000, df: true }, (x) => (r = x));
    advance(clock, 1e6);
    expect(r).toMatchObject({ ok: false, error: E.MSG_TOO_LARGE });
    a.stack.ping(IP_B, { size: 2000 }, (x) => (r = x));
    advance(clock, 10e6);
    expect(r).toMatchObject({ ok: true, bytes: 2000 });
  });
});

describe("ICMP and UDP", () => {
  it("answers UDP to a closed port with port unreachable; loops back 127.0.0.1", () => {
    const { clock, a, b } = twoStacks();
    const p = a.stack.udp.bind(0, 0, () => {});
    a.stack.udp.sendTo(p, IP_B, 9, Uint8Array.of(1, 2, 3));
    advance(clock, 10e6);
    expect(b.stack.counters.udpNoPort).toBe(1);
    expect(a.stack.counters.icmpErrorsIn).toBe(1);
    let r: PingResult | undefined;
    a.stack.ping(0x7f000001, {}, (x) => (r = x));
    advance(clock, 1e6);
    expect(r).toMatchObject({ ok: true, rttNs: 0, from: 0x7f000001 });
    const loop: Datagram[] = [];
    a.stack.udp.bind(0, 4444, (d) => loop.push(d));
    a.stack.udp.sendTo(p, 0x7f000001, 4444, Uint8Array.of(9));
    advance(clock, 1e6);
    expect(loop.map((d) => [d.srcIp, d.srcPort, [...d.data]])).toEqual([[0x7f000001, p, [9]]]);
  });

  it("rate-limits the ICMP errors it sends (burst, then one per 10 ms)", () => {
    const { clock, a, b } = twoStacks();
    a.stack.ping(IP_B, {}, () => {}); // resolve b first: an unresolved address queues only 8 packets
    advance(clock, 10e6);
    const p = a.stack.udp.bind(0, 0, () => {});
    for (let i = 0; i < 200; i++) a.stack.udp.sendTo(p, IP_B, 9, Uint8Array.of(i));
    advance(clock, 10e6);
    expect(b.stack.counters.udpNoPort).toBe(200);
    expect(b.stack.counters.icmpErrorsOut).toBe(50);
    expect(b.stack.counters.icmpRateLimited).toBe(150);
    advance(clock, 100e6);
    for (let i = 0; i < 20; i++) a.stack.udp.sendTo(p, IP_B, 9, Uint8Array.of(i));
    advance(clock, 10e6);
    expect(b.stack.counters.icmpErrorsOut).toBe(50 + 11); // 110 ms after the burst emptied the bucket: 11 tokens
  });

  it("pings the gateway and reports TTL exceeded and refused destinations", () => {
    const clock = new VirtualClock();
    const a = new StackPort("a", clock, { mac: MAC_A });
    const gw = new Gateway({ clock });
    wire(a, gw);
    const results: PingResult[] = [];
    a.stack.ping(GATEWAY_IP, {}, (x) => results.push(x));
    advance(clock, 10e6);
    a.stack.ping(ipv4(127, 0, 0, 1) + 0, { ttl: 1 }, (x) => results.push(x)); // loopback: never leaves
    a.stack.ping(ipv4(192, 0, 2, 1), {}, (x) => results.push(x));
    a.stack.ping(ipv4(192, 0, 2, 1), { ttl: 1 }, (x) => results.push(x));
    advance(clock, 10e6);
    expect(results[0]).toMatchObject({ ok: true, from: GATEWAY_IP, rttNs: 4e6 });
    expect(results[1]).toMatchObject({ ok: true });
    expect(results[2]).toMatchObject({ ok: false, error: E.HOST_UNREACHABLE, reason: "administratively prohibited", from: GATEWAY_IP });
    expect(results[3]).toMatchObject({ ok: false, reason: "TTL exceeded in transit", from: GATEWAY_IP });
    expect(a.stack.snapshot().arp).toEqual([{ ip: "10.0.2.2", mac: "52:55:0a:00:02:02", expiresInNs: expect.any(Number) }]);
    void gw.close();
  });
});

describe("TCP hook", () => {
  it("drives the engine's timers after direct calls: SYNs are retransmitted into a black hole", () => {
    const clock = new VirtualClock();
    const a = new StackPort("a", clock, { mac: MAC_A, ip: IP_A, tcp: (env) => defaultTcpEngine(env) });
    const b = new StackPort("b", clock, { mac: MAC_B, ip: IP_B });
    const link = wire(a, b);
    let r: PingResult | undefined;
    a.stack.ping(IP_B, {}, (x) => (r = x)); // learn b's MAC first
    advance(clock, 10e6);
    expect(r?.ok).toBe(true);
    link.set({ lossRate: 1 }, "aToB");
    const conn = a.stack.tcp!.connect(IP_A, IP_B, 80, clock.now());
    if (typeof conn === "number") throw new Error(`connect ${conn}`);
    const syns = (): number => ipFrames(a.sent).filter((f) => f[ETH_HLEN + 9] === 6).length;
    expect(syns()).toBe(1);
    advance(clock, 1.5e9);
    expect(syns()).toBe(2); // initial RTO 1 s
    advance(clock, 2e9);
    expect(syns()).toBe(3); // backed off to 2 s
    expect(conn.state).toBe("SYN-SENT");
  });
});
