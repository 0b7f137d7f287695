// Random and malformed frames into the NetStack and the gateway: no host
// exception, no internal error, memory (ARP, reassembly, UDP/NAT state)
// bounded, and the stack still works afterwards.
// Budget: NET_FUZZ_FRAMES frames per target (default 20000).

import { describe, expect, it } from "vitest";
import { VirtualClock } from "../emulator/clock.js";
import { Gateway, GATEWAY_IP } from "../emulator/net/gateway.js";
import type { PingResult } from "../viperdos/kernel/net/stack.js";
import { defaultTcpEngine } from "../viperdos/kernel/net/tcp-engine.js";
import {
  buildArp, buildIcmp, buildIpv4, buildUdp, checksum, ethFrame, ETHERTYPE_ARP, ETHERTYPE_IPV4, foldChecksum, ipv4, pseudoHeaderSum, rd32, sumWords, wr16,
} from "../viperdos/kernel/net/wire.js";
import { buildDnsQuery } from "../viperdos/kernel/net/dns.js";
import { advance, MAC_A, MAC_B, seeded, StackPort, wire } from "./net-stack-helpers.js";

const FRAMES = Number(process.env.NET_FUZZ_FRAMES ?? 20000);
const IP_A = ipv4(10, 0, 2, 15);

/** Valid-looking frames of every kind the stack parses, for mutation. */
function seeds(dstMac: Uint8Array, dstIp: number): Uint8Array[] {
  const src = ipv4(10, 0, 2, 16);
  const ip = (proto: number, p: Uint8Array, o: { mf?: boolean; offset?: number; id?: number } = {}): Uint8Array =>
    ethFrame(dstMac, MAC_B, ETHERTYPE_IPV4, buildIpv4({ id: o.id ?? 7, ttl: 64, proto, src, dst: dstIp, mf: o.mf, offset: o.offset }, p));
  const tcp = new Uint8Array(20);
  wr16(tcp, 0, 1234);
  wr16(tcp, 2, 80);
  tcp[12] = 0x50;
  tcp[13] = 0x02;
  return [
    ethFrame(dstMac, MAC_B, ETHERTYPE_ARP, buildArp({ op: 1, sha: MAC_B, spa: src, tha: new Uint8Array(6), tpa: dstIp })),
    ethFrame(dstMac, MAC_B, ETHERTYPE_ARP, buildArp({ op: 2, sha: MAC_B, spa: src, tha: MAC_A, tpa: dstIp })),
    ip(1, buildIcmp(8, 0, 0x12340001, new Uint8Array(32))),
    ip(1, buildIcmp(3, 3, 0, buildIpv4({ id: 1, ttl: 64, proto: 17, src: dstIp, dst: src }, new Uint8Array(8)))),
    ip(17, buildUdp(src, dstIp, 5000, 53, buildDnsQuery(99, "gateway"))),
    ip(17, buildUdp(src, dstIp, 5000, 7, new Uint8Array(100))),
    ip(17, new Uint8Array(64), { mf: true, offset: 0, id: 9 }),
    ip(17, new Uint8Array(64), { mf: true, offset: 800, id: 9 }),
    ip(6, tcp),
  ];
}

/** Recompute the IPv4 header and transport checksums so mutations reach the deeper parsers. */
function fixChecksums(f: Uint8Array): Uint8Array {
  if (f.length < 34 || f[12] !== 8 || f[13] !== 0) return f;
  const ip = f.subarray(14);
  const ihl = (ip[0] & 0xf) * 4;
  if (ihl < 20 || ihl > ip.length) return f;
  ip[10] = ip[11] = 0;
  wr16(ip, 10, checksum(ip, 0, ihl));
  const len = Math.min(ip.length, (ip[2] << 8) | ip[3]);
  const t = ip.subarray(ihl, Math.max(ihl, len));
  const src = rd32(ip, 12);
  const dst = rd32(ip, 16);
  const off = ((ip[6] << 8) | ip[7]) & 0x1fff;
  if (off !== 0 || (ip[6] & 0x20) !== 0) return f;
  if (ip[9] === 1 && t.length >= 8) { t[2] = t[3] = 0; wr16(t, 2, checksum(t)); }
  if (ip[9] === 17 && t.length >= 8) { t[6] = t[7] = 0; wr16(t, 6, foldChecksum(sumWords(t, 0, t.length, pseudoHeaderSum(src, dst, 17, t.length)))); }
  if (ip[9] === 6 && t.length >= 20) { t[16] = t[17] = 0; wr16(t, 16, foldChecksum(sumWords(t, 0, t.length, pseudoHeaderSum(src, dst, 6, t.length)))); }
  return f;
}

function mutate(f: Uint8Array, rnd: () => number): Uint8Array {
  const m = mutateRaw(f, rnd);
  return rnd() % 3 === 0 ? m : fixChecksums(m);
}

function mutateRaw(f: Uint8Array, rnd: () => number): Uint8Array {
  const kind = rnd() % 5;
  if (kind === 0) return Uint8Array.from({ length: rnd() % 1600 }, () => rnd() & 0xff); // noise
  const out = f.slice(0, kind === 1 ? Math.max(0, f.length - (rnd() % 40)) : f.length);
  const flips = 1 + (rnd() % 4);
  for (let i = 0; i < flips && out.length > 0; i++) {
    // Mostly headers (where the parsing is), sometimes anywhere.
    const at = rnd() % 2 ? 12 + (rnd() % Math.min(50, Math.max(1, out.length - 12))) : rnd() % out.length;
    if (at < out.length) out[at] = rnd() & 0xff;
  }
  return out;
}

describe("fuzz: random and malformed frames", () => {
  it("the NetStack never throws, stays bounded and keeps working", () => {
    const clock = new VirtualClock();
    const a = new StackPort("a", clock, { mac: MAC_A, ip: IP_A, tcp: (env) => defaultTcpEngine(env) });
    const b = new StackPort("b", clock, { mac: MAC_B, ip: ipv4(10, 0, 2, 16) });
    wire(a, b);
    a.stack.udp.bind(0, 7, () => {});
    const rnd = seeded(12345);
    const base = seeds(MAC_A, IP_A);
    let maxReasm = 0;
    for (let i = 0; i < FRAMES; i++) {
      const f = mutate(base[rnd() % base.length], rnd);
      expect(() => a.stack.input(f)).not.toThrow();
      if (i % 500 === 0) advance(clock, 50e6);
      maxReasm = Math.max(maxReasm, a.stack.reassembler.usage().bytes);
    }
    advance(clock, 60e9);
    const s = a.stack.snapshot();
    if (process.env.NET_FUZZ_VERBOSE) console.log(JSON.stringify({ drops: s.drops, counters: s.counters }));
    expect(s.counters.internalErrors).toBe(0);
    expect(s.lastError).toBeNull();
    expect(maxReasm).toBeLessThanOrEqual(a.stack.reassembler.maxBytes);
    expect(a.stack.reassembler.usage()).toEqual({ datagrams: 0, bytes: 0 });
    expect(a.stack.arp.size).toBeLessThanOrEqual(a.stack.arp.maxEntries);
    expect(s.counters.rxDropped).toBeGreaterThan(FRAMES / 4);
    // Still works: ping b.
    let r: PingResult | undefined;
    a.stack.ping(ipv4(10, 0, 2, 16), {}, (x) => (r = x));
    advance(clock, 20e6);
    expect(r?.ok).toBe(true);
  });

  it("a flood of fragments from many ids holds reassembly memory to its bound", () => {
    const clock = new VirtualClock();
    const a = new StackPort("a", clock, { mac: MAC_A, ip: IP_A, reassembly: { maxBytes: 64 * 1024, maxDatagrams: 16 } });
    for (let id = 0; id < 5000; id++) {
      const p = buildIpv4({ id, ttl: 64, proto: 17, src: ipv4(10, 0, 2, 9), dst: IP_A, mf: true, offset: 8 * (id % 50) }, new Uint8Array(1024));
      a.receive(ethFrame(MAC_A, MAC_B, ETHERTYPE_IPV4, p));
      const u = a.stack.reassembler.usage();
      expect(u.bytes).toBeLessThanOrEqual(64 * 1024);
      expect(u.datagrams).toBeLessThanOrEqual(16);
    }
    expect(a.stack.reassembler.counters.dropped).toBeGreaterThan(4000);
  });

  it("the gateway never throws on garbage and still answers ping", async () => {
    const clock = new VirtualClock();
    const guest = new StackPort("guest", clock, { mac: MAC_A });
    const gw = new Gateway({ clock });
    wire(guest, gw);
    try {
      const rnd = seeded(777);
      const base = seeds(gw.mac, GATEWAY_IP);
      for (let i = 0; i < FRAMES / 2; i++) {
        expect(() => gw.receive(mutate(base[rnd() % base.length], rnd))).not.toThrow();
        if (i % 500 === 0) advance(clock, 50e6);
      }
      expect(Object.keys(gw.drops).filter((k) => k.startsWith("internal")).join("; ")).toBe("");
      expect(gw.snapshot().guests.length).toBeLessThanOrEqual(64);
      let r: PingResult | undefined;
      guest.stack.ping(GATEWAY_IP, {}, (x) => (r = x));
      advance(clock, 20e6);
      expect(r?.ok).toBe(true);
    } finally {
      await gw.close();
    }
  });
});
