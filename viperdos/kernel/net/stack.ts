// The kernel's network stack below TCP (issue 8): one Ethernet interface
// (10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3 by default, as under QEMU's
// user networking), ARP (arp.ts), IPv4 with fragmentation on output above
// the 1500-byte MTU and reassembly on input (reassembly.ts), ICMP echo and
// errors both ways, UDP (udp.ts), the DNS stub resolver (resolver.ts), and
// the TCP engine (tcp/api.ts) hooked on protocol 6.
//
// The stack is pure with respect to the machine: frames leave through
// opts.transmit (the virtio-net driver, or a test's wire), arrive through
// input(frame), and time is opts.clock (virtual ns: the machine clock in
// the kernel). One clock event is armed at the earliest deadline of ARP
// retries, reassembly timeouts, DNS/ping timers and TCP's nextTimerNs(),
// and re-armed after every entry point.
//
// Nothing a peer sends makes input() throw: malformed frames are counted
// in `drops` by reason and dropped.
//
// Routing: 10.0.2.0/24 (the interface's subnet) is on link; everything else
// goes to the gateway's MAC; 127.0.0.0/8 and our own address loop back
// inside the stack (delivered from a clock event at the same virtual time).
// We are a host, not a router: datagrams for other addresses are dropped.

import { E } from "../errors.js";
import { ArpCache, type ArpOptions, type ArpSnapshotEntry } from "./arp.js";
import { Reassembler, type ReassemblyOptions } from "./reassembly.js";
import { DnsResolver, type ResolverOptions } from "./resolver.js";
import { UdpLayer, type UdpBindingSnapshot } from "./udp.js";
import type { TcpEnv, TcpStackApi, TcpStackSnapshot } from "./tcp/api.js";
import type { NetServices, NetStatsView } from "../syscall/net.js";
import {
  BROADCAST_MAC, buildArp, buildIcmp, buildIpv4, buildUdp, ethFrame, ETH_HLEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ICMP,
  IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN, ipString, ipv4, macEqual, macString, MTU, parseArp, parseIpv4Header,
  parseUdp, rd16, tcpChecksumOk, checksum, ZERO_MAC, wr16,
} from "./wire.js";

export const DEFAULT_IP = ipv4(10, 0, 2, 15);
export const DEFAULT_NETMASK = ipv4(255, 255, 255, 0);
export const DEFAULT_GATEWAY = ipv4(10, 0, 2, 2);
export const DEFAULT_DNS = ipv4(10, 0, 2, 3);
export const DEFAULT_TTL = 64;
/** ICMP errors we send: a burst of 50, then one per 10 ms of virtual time. */
export const ICMP_ERROR_BURST = 50;
export const ICMP_ERROR_INTERVAL_NS = 10e6;

/** The clock the stack runs on (a VirtualClock fits). */
export interface NetClock {
  now(): number;
  schedule(atNs: number, cb: (nowNs: number) => void): unknown;
  cancel(handle: never): void;
}

export interface NetStackOptions {
  mac: Uint8Array;
  /** Put one Ethernet frame on the wire (the driver copies it). */
  transmit(frame: Uint8Array): void;
  clock: NetClock;
  /** Seeded randomness (IP ids, ephemeral ports, DNS ids, TCP ISNs). */
  random32(): number;
  /** Build the TCP engine over the env this stack provides; absent: protocol 6 is unreachable. */
  tcp?: (env: TcpEnv) => TcpStackApi;
  ip?: number;
  netmask?: number;
  gateway?: number;
  dns?: number;
  name?: string;
  arp?: ArpOptions;
  reassembly?: ReassemblyOptions;
  resolver?: ResolverOptions;
  /** Link status for NET_STATS (default: always up). */
  linkUp?: () => boolean;
}

export interface PingOptions {
  /** Payload bytes after the 8-byte ICMP header (default 56). */
  size?: number;
  ttl?: number;
  timeoutNs?: number;
  /** Don't fragment (default false). */
  df?: boolean;
}

/** A ping's outcome: the round trip, or an error code with the ICMP message that caused it. */
export type PingResult =
  | { ok: true; rttNs: number; from: number; ttl: number; bytes: number }
  | { ok: false; error: number; reason: string; from?: number };

export interface NetCounters {
  rxFrames: number; rxBytes: number; txFrames: number; txBytes: number;
  rxDropped: number;
  arpIn: number; arpOut: number;
  ipIn: number; ipOut: number; ipFragmentsOut: number; ipReassembled: number;
  icmpIn: number; icmpOut: number; icmpErrorsIn: number; icmpErrorsOut: number; icmpRateLimited: number;
  udpIn: number; udpOut: number; udpNoPort: number;
  tcpIn: number; tcpOut: number;
  internalErrors: number;
}

export interface NetStackSnapshot {
  interface: { name: string; mac: string; ip: string; netmask: string; gateway: string; dns: string; mtu: number; linkUp: boolean };
  routes: { destination: string; via: string }[];
  arp: (Omit<ArpSnapshotEntry, "ip"> & { ip: string })[];
  arpPending: number;
  counters: NetCounters;
  drops: Record<string, number>;
  arpCounters: ArpCache["counters"];
  reassembly: { datagrams: number; bytes: number } & Reassembler["counters"];
  udp: (Omit<UdpBindingSnapshot, "ip"> & { ip: string })[];
  dns: { server: string; cache: { name: string; result: string; expiresInNs: number }[]; counters: DnsResolver["counters"] };
  pings: number;
  tcp: TcpStackSnapshot | null;
  lastError: string | null;
}

interface Alarm { id: number; at: number; fire: () => void }
interface PendingPing { id: number; seq: number; dst: number; sentNs: number; alarm: number; done: (r: PingResult) => void; bytes: number }

export class NetStack {
  readonly mac: Uint8Array;
  readonly ip: number;
  readonly netmask: number;
  readonly gateway: number;
  readonly dns: number;
  readonly name: string;
  readonly arp: ArpCache;
  readonly reassembler: Reassembler;
  readonly udp: UdpLayer;
  readonly resolver: DnsResolver;
  readonly tcp: TcpStackApi | undefined;
  readonly counters: NetCounters = {
    rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxDropped: 0, arpIn: 0, arpOut: 0, ipIn: 0, ipOut: 0, ipFragmentsOut: 0,
    ipReassembled: 0, icmpIn: 0, icmpOut: 0, icmpErrorsIn: 0, icmpErrorsOut: 0, icmpRateLimited: 0, udpIn: 0, udpOut: 0, udpNoPort: 0,
    tcpIn: 0, tcpOut: 0, internalErrors: 0,
  };
  /** Dropped input by reason ("ip-checksum", "udp-no-port", ...). */
  readonly drops: Record<string, number> = {};
  lastError: string | undefined;
  private ipId: number;
  private alarms: Alarm[] = [];
  private nextAlarmId = 1;
  private armedAt = Infinity;
  private armed: unknown;
  private readonly pings = new Map<number, PendingPing>();
  private pingId: number;
  private pingSeq = 0;
  private inEntry = 0;
  private rearmPending = false;
  private icmpTokens = ICMP_ERROR_BURST;
  private icmpTokensAt = 0;

  constructor(readonly opts: NetStackOptions) {
    this.mac = opts.mac.slice(0, 6);
    this.ip = opts.ip ?? DEFAULT_IP;
    this.netmask = opts.netmask ?? DEFAULT_NETMASK;
    this.gateway = opts.gateway ?? DEFAULT_GATEWAY;
    this.dns = opts.dns ?? DEFAULT_DNS;
    this.name = opts.name ?? "eth0";
    this.ipId = opts.random32() & 0xffff;
    this.pingId = opts.random32() & 0xffff;
    this.arp = new ArpCache(
      (ip) => this.sendArp(1, ip, BROADCAST_MAC, ZERO_MAC),
      (_ip, mac, packets) => { for (const p of packets) this.sendFrame(mac, ETHERTYPE_IPV4, p); },
      (ip, packets) => this.arpFailed(ip, packets),
      opts.arp,
    );
    this.reassembler = new Reassembler(opts.reassembly);
    this.udp = new UdpLayer((sp, dst, dp, data) => this.ipOutput(IPPROTO_UDP, this.sourceFor(dst), dst, buildUdp(this.sourceFor(dst), dst, sp, dp, data)), opts.random32);
    this.resolver = new DnsResolver(this.udp, {
      now: () => this.now(), random32: opts.random32,
      addAlarm: (at, fire) => this.addAlarm(at, fire), cancelAlarm: (id) => this.cancelAlarm(id),
    }, this.dns, opts.resolver);
    this.tcp = opts.tcp?.({
      output: (src, dst, seg) => {
        this.counters.tcpOut++;
        this.ipOutput(IPPROTO_TCP, src, dst, seg);
        this.rearmSoon();
      },
      random32: opts.random32,
    });
  }

  now(): number {
    return this.opts.clock.now();
  }

  // --- Timers ------------------------------------------------------------------------------

  /** Run `fire` at virtual time `at` (>= now); returns an id for cancelAlarm. */
  addAlarm(at: number, fire: () => void): number {
    const a: Alarm = { id: this.nextAlarmId++, at, fire };
    let i = this.alarms.length;
    while (i > 0 && this.alarms[i - 1].at > at) i--;
    this.alarms.splice(i, 0, a);
    this.rearm();
    return a.id;
  }

  cancelAlarm(id: number): void {
    const i = this.alarms.findIndex((a) => a.id === id);
    if (i >= 0) this.alarms.splice(i, 1);
  }

  /** Earliest virtual time the stack has work, or undefined. */
  nextDeadline(): number | undefined {
    let t = this.alarms[0]?.at ?? Infinity;
    t = Math.min(t, this.arp.nextDeadline() ?? Infinity, this.reassembler.nextDeadline() ?? Infinity, this.tcp?.nextTimerNs() ?? Infinity);
    return t === Infinity ? undefined : t;
  }

  /**
   * The socket layer calls the TCP engine directly (connect, send, close),
   * not through an entry point: after such a call sends, re-arm from a clock
   * event at the same virtual time, once the engine has set its timers.
   */
  private rearmSoon(): void {
    if (this.inEntry > 0 || this.rearmPending) return;
    this.rearmPending = true;
    this.opts.clock.schedule(this.now(), () => {
      this.rearmPending = false;
      this.rearm();
    });
  }

  private rearm(): void {
    if (this.inEntry > 0) return; // the entry point re-arms on the way out
    const t = this.nextDeadline() ?? Infinity;
    if (t === this.armedAt) return;
    if (this.armed !== undefined) this.opts.clock.cancel(this.armed as never);
    this.armed = undefined;
    this.armedAt = t;
    if (t !== Infinity) this.armed = this.opts.clock.schedule(t, () => {
      this.armed = undefined;
      this.armedAt = Infinity;
      this.onTimer();
    });
  }

  /** Run everything due now (the clock event calls this; tests may too). */
  onTimer(): void {
    this.entry(() => {
      const now = this.now();
      this.arp.tick(now);
      for (const x of this.reassembler.expire(now)) {
        if (x.quote) this.sendIcmpError(ICMP.TIME_EXCEEDED, ICMP.REASSEMBLY_EXCEEDED, x.quote);
      }
      while (this.alarms.length > 0 && this.alarms[0].at <= now) this.alarms.shift()!.fire();
      const tt = this.tcp?.nextTimerNs();
      if (this.tcp && tt !== undefined && tt <= now) this.tcp.onTimer(now);
    });
  }

  /** Run `f` as one entry point: exceptions are counted, never thrown; timers re-armed once. */
  private entry(f: () => void): void {
    this.inEntry++;
    try {
      f();
    } catch (e) {
      this.counters.internalErrors++;
      this.lastError = e instanceof Error ? `${e.message}` : String(e);
    } finally {
      this.inEntry--;
    }
    this.rearm();
  }

  private drop(reason: string): void {
    this.counters.rxDropped++;
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  // --- Ethernet and ARP ------------------------------------------------------------------------

  /** One received Ethernet frame (without FCS). Never throws. */
  input(frame: Uint8Array): void {
    this.entry(() => this.ethInput(frame));
  }

  private ethInput(f: Uint8Array): void {
    this.counters.rxFrames++;
    this.counters.rxBytes += f.length;
    if (f.length < ETH_HLEN) return this.drop("runt");
    if (!macEqual(f, 0, this.mac) && !macEqual(f, 0, BROADCAST_MAC)) return this.drop("not-for-us");
    const type = rd16(f, 12);
    const payload = f.subarray(ETH_HLEN);
    if (type === ETHERTYPE_ARP) return this.arpInput(payload);
    if (type === ETHERTYPE_IPV4) return this.ipInput(payload, false);
    this.drop("ethertype");
  }

  private arpInput(b: Uint8Array): void {
    const p = parseArp(b);
    if (!p) return this.drop("arp-malformed");
    this.counters.arpIn++;
    const now = this.now();
    // RFC 826: update a known sender; add it when the packet is for us.
    if (p.tpa === this.ip || this.arp.has(p.spa)) this.arp.learn(p.spa, p.sha, now);
    if (p.op === 1) {
      this.arp.counters.requestsReceived++;
      if (p.tpa === this.ip) {
        this.arp.counters.repliesSent++;
        this.sendArp(2, p.spa, p.sha, p.sha);
      }
    } else this.arp.counters.repliesReceived++;
  }

  private sendArp(op: 1 | 2, tpa: number, dstMac: Uint8Array, tha: Uint8Array): void {
    this.counters.arpOut++;
    this.sendFrame(dstMac, ETHERTYPE_ARP, buildArp({ op, sha: this.mac, spa: this.ip, tha, tpa }));
  }

  private sendFrame(dst: Uint8Array, type: number, payload: Uint8Array): void {
    const f = ethFrame(dst, this.mac, type, payload);
    this.counters.txFrames++;
    this.counters.txBytes += f.length;
    this.opts.transmit(f);
  }

  private arpFailed(_ip: number, packets: Uint8Array[]): void {
    // Our own packets could not leave: report "host unreachable" to their senders.
    for (const p of packets) this.localIcmpError(ICMP.DEST_UNREACHABLE, ICMP.HOST_UNREACH, p, _ip);
  }

  // --- IPv4 --------------------------------------------------------------------------------

  private isLocal(ip: number): boolean {
    return ip === this.ip || ip >>> 24 === 127;
  }

  private isBroadcast(ip: number): boolean {
    return ip === 0xffffffff || ip === ((this.ip & this.netmask) | ~this.netmask) >>> 0;
  }

  /** Our source address for `dst` (loopback for 127/8). */
  sourceFor(dst: number): number {
    return dst >>> 24 === 127 ? dst : this.ip;
  }

  private ipInput(b: Uint8Array, looped: boolean): void {
    const h = parseIpv4Header(b);
    if (typeof h === "string") return this.drop(`ip-${h}`);
    this.counters.ipIn++;
    const forUs = h.dst === this.ip || this.isBroadcast(h.dst) || (looped && this.isLocal(h.dst));
    if (!forUs) return this.drop("ip-not-for-us");
    let payload = b.subarray(h.ihl, h.totalLength);
    if (h.mf || h.offset !== 0) {
      const whole = this.reassembler.add(h.src, h.dst, h.proto, h.id, h.offset, h.mf, payload, b.subarray(0, Math.min(h.totalLength, h.ihl + 8)), this.now());
      if (!whole) return;
      this.counters.ipReassembled++;
      payload = whole;
    }
    switch (h.proto) {
      case IPPROTO_ICMP: return this.icmpInput(h.src, h.dst, h.ttl, payload, b, h.ihl);
      case IPPROTO_UDP: return this.udpInput(h.src, h.dst, payload, b, h.ihl);
      case IPPROTO_TCP:
        if (!this.tcp) return this.protoUnreachable(h.src, h.dst, b, h.ihl);
        if (payload.length < 20 || !tcpChecksumOk(h.src, h.dst, payload)) return this.drop("tcp-checksum");
        this.counters.tcpIn++;
        this.tcp.input(h.src, h.dst, payload, this.now());
        return;
      default:
        return this.protoUnreachable(h.src, h.dst, b, h.ihl);
    }
  }

  private protoUnreachable(src: number, dst: number, packet: Uint8Array, ihl: number): void {
    this.drop("ip-protocol");
    if (!this.isBroadcast(dst)) this.sendIcmpError(ICMP.DEST_UNREACHABLE, ICMP.PROTO_UNREACH, packet.subarray(0, ihl + 8), src);
  }

  /**
   * Send one IPv4 datagram (`payload` = transport header + data) from
   * `src` to `dst`, fragmenting above the MTU unless `df`. Returns 0, or
   * MSG_TOO_LARGE (df and too big, or above 65535), NET_UNREACHABLE (no
   * route: an address of 0).
   */
  ipOutput(proto: number, src: number, dst: number, payload: Uint8Array, o: { ttl?: number; df?: boolean } = {}): number {
    if (dst === 0) return E.NET_UNREACHABLE;
    if (payload.length + IPV4_HLEN > 65535) return E.MSG_TOO_LARGE;
    const ttl = o.ttl ?? DEFAULT_TTL;
    const id = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    this.counters.ipOut++;
    const maxData = MTU - IPV4_HLEN;
    if (payload.length <= maxData) {
      this.route(dst, buildIpv4({ id, ttl, proto, src, dst, df: o.df }, payload));
      return 0;
    }
    if (o.df) return E.MSG_TOO_LARGE;
    const step = maxData & ~7;
    for (let off = 0; off < payload.length; off += step) {
      const end = Math.min(off + step, payload.length);
      this.counters.ipFragmentsOut++;
      this.route(dst, buildIpv4({ id, ttl, proto, src, dst, mf: end < payload.length, offset: off }, payload.subarray(off, end)));
    }
    return 0;
  }

  /** Hand a built datagram to the link: loopback, broadcast, on-link or via the gateway. */
  private route(dst: number, packet: Uint8Array): void {
    if (this.isLocal(dst)) {
      this.addAlarm(this.now(), () => this.entry(() => this.ipInput(packet, true)));
      return;
    }
    if (this.isBroadcast(dst)) return this.sendFrame(BROADCAST_MAC, ETHERTYPE_IPV4, packet);
    const hop = (dst & this.netmask) === (this.ip & this.netmask) ? dst : this.gateway;
    const now = this.now();
    const mac = this.arp.lookup(hop, now);
    if (mac) return this.sendFrame(mac, ETHERTYPE_IPV4, packet);
    this.arp.enqueue(hop, packet, now);
  }

  // --- ICMP --------------------------------------------------------------------------------

  private icmpInput(src: number, dst: number, ttl: number, m: Uint8Array, packet: Uint8Array, ihl: number): void {
    if (m.length < 8) return this.drop("icmp-truncated");
    if (checksum(m) !== 0) return this.drop("icmp-checksum");
    this.counters.icmpIn++;
    const type = m[0];
    if (type === ICMP.ECHO_REQUEST) {
      if (this.isBroadcast(dst)) return; // no smurf amplification
      this.counters.icmpOut++;
      const reply = m.slice();
      reply[0] = ICMP.ECHO_REPLY;
      wr16(reply, 2, 0);
      wr16(reply, 2, checksum(reply));
      this.ipOutput(IPPROTO_ICMP, dst, src, reply);
      return;
    }
    if (type === ICMP.ECHO_REPLY) {
      const key = (rd16(m, 4) << 16) | rd16(m, 6);
      const p = this.pings.get(key);
      if (!p || p.dst !== src) return this.drop("icmp-unexpected-reply");
      this.finishPing(key, { ok: true, rttNs: this.now() - p.sentNs, from: src, ttl, bytes: m.length - 8 });
      return;
    }
    if (type === ICMP.DEST_UNREACHABLE || type === ICMP.TIME_EXCEEDED) {
      this.counters.icmpErrorsIn++;
      return this.icmpErrorInput(type, m[1], m.subarray(8), src);
    }
    void packet;
    void ihl;
  }

  /** An ICMP error quoting one of our datagrams (`quoted` = its IP header + >= 8 bytes). */
  private icmpErrorInput(type: number, code: number, quoted: Uint8Array, from: number): void {
    if (quoted.length < IPV4_HLEN + 8 || quoted[0] >> 4 !== 4) return this.drop("icmp-error-malformed");
    const qihl = (quoted[0] & 0xf) * 4;
    if (qihl < IPV4_HLEN || quoted.length < qihl + 8) return this.drop("icmp-error-malformed");
    const proto = quoted[9];
    const qsrc = ((quoted[12] << 24) | (quoted[13] << 16) | (quoted[14] << 8) | quoted[15]) >>> 0;
    const qdst = ((quoted[16] << 24) | (quoted[17] << 16) | (quoted[18] << 8) | quoted[19]) >>> 0;
    const inner = quoted.subarray(qihl);
    const reason = type === ICMP.TIME_EXCEEDED ? (code === 1 ? "reassembly time exceeded" : "TTL exceeded in transit") : unreachableReason(code);
    if (proto === IPPROTO_ICMP && inner[0] === ICMP.ECHO_REQUEST) {
      const key = (rd16(inner, 4) << 16) | rd16(inner, 6);
      if (this.pings.get(key)?.dst !== qdst) return;
      const error = type === ICMP.TIME_EXCEEDED ? E.HOST_UNREACHABLE : code === ICMP.NET_UNREACH ? E.NET_UNREACHABLE : E.HOST_UNREACHABLE;
      this.finishPing(key, { ok: false, error, reason, from });
      return;
    }
    if (proto === IPPROTO_TCP && this.tcp) {
      const kind = code === ICMP.PORT_UNREACH || code === ICMP.PROTO_UNREACH ? "port-unreachable" : code === ICMP.NET_UNREACH ? "net-unreachable" : "host-unreachable";
      if (type === ICMP.DEST_UNREACHABLE) this.tcp.icmpError(qsrc, qdst, inner, kind, this.now());
    }
  }

  /** Report a local failure (ARP gave up) as if an ICMP error had come back. */
  private localIcmpError(type: number, code: number, packet: Uint8Array, from: number): void {
    const ihl = (packet[0] & 0xf) * 4;
    this.icmpErrorInput(type, code, packet.subarray(0, Math.min(packet.length, ihl + 8)), from);
  }

  /**
   * Send ICMP `type`/`code` about `quote` (the offending datagram's header
   * + 8 bytes) back to its source (or `to`). Never about an ICMP error, a
   * broadcast or a non-first fragment (RFC 1122 3.2.2).
   */
  private sendIcmpError(type: number, code: number, quote: Uint8Array, to?: number): void {
    if (quote.length < IPV4_HLEN) return;
    if (!this.icmpErrorToken()) {
      this.counters.icmpRateLimited++;
      return;
    }
    const qihl = (quote[0] & 0xf) * 4;
    const src = ((quote[12] << 24) | (quote[13] << 16) | (quote[14] << 8) | quote[15]) >>> 0;
    if (this.isBroadcast(src) || src === 0) return;
    if (quote[9] === IPPROTO_ICMP && quote.length > qihl) {
      const t = quote[qihl];
      if (t !== ICMP.ECHO_REQUEST && t !== ICMP.ECHO_REPLY) return;
    }
    this.counters.icmpOut++;
    this.counters.icmpErrorsOut++;
    this.ipOutput(IPPROTO_ICMP, this.ip, to ?? src, buildIcmp(type, code, 0, quote));
  }

  /**
   * Send an ICMP echo request to `dst`; `done` gets the round trip (virtual
   * ns) or an error (TIMEOUT, HOST_UNREACHABLE, NET_UNREACHABLE,
   * MSG_TOO_LARGE with df). Called exactly once, possibly synchronously.
   */
  ping(dst: number, o: PingOptions, done: (r: PingResult) => void): void {
    this.entry(() => {
      const size = Math.max(0, Math.min(o.size ?? 56, 65507));
      const seq = (this.pingSeq = (this.pingSeq + 1) & 0xffff);
      const id = this.pingId;
      const key = (id << 16) | seq;
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (i + 0x10) & 0xff;
      const timeoutNs = o.timeoutNs ?? 1e9;
      const p: PendingPing = { id, seq, dst, sentNs: this.now(), alarm: -1, done, bytes: size };
      this.finishPing(key, { ok: false, error: E.TIMEOUT, reason: "superseded" }); // 65536 pings in one timeout: the sequence wrapped
      this.pings.set(key, p);
      p.alarm = this.addAlarm(this.now() + timeoutNs, () => this.finishPing(key, { ok: false, error: E.TIMEOUT, reason: "no reply" }));
      this.counters.icmpOut++;
      const r = this.ipOutput(IPPROTO_ICMP, this.sourceFor(dst), dst, buildIcmp(ICMP.ECHO_REQUEST, 0, (id << 16) | seq, data), { ttl: o.ttl, df: o.df });
      if (r < 0) this.finishPing(key, { ok: false, error: r, reason: "not sent" });
    });
  }

  /** Token bucket for ICMP errors (RFC 1812 4.3.2.8): ICMP_ERROR_BURST at most, one more every ICMP_ERROR_INTERVAL_NS. */
  private icmpErrorToken(): boolean {
    const now = this.now();
    this.icmpTokens = Math.min(ICMP_ERROR_BURST, this.icmpTokens + (now - this.icmpTokensAt) / ICMP_ERROR_INTERVAL_NS);
    this.icmpTokensAt = now;
    if (this.icmpTokens < 1) return false;
    this.icmpTokens--;
    return true;
  }

  private finishPing(key: number, r: PingResult): void {
    const p = this.pings.get(key);
    if (!p) return;
    this.pings.delete(key);
    this.cancelAlarm(p.alarm);
    p.done(r);
  }

  // --- UDP ---------------------------------------------------------------------------------

  private udpInput(src: number, dst: number, b: Uint8Array, packet: Uint8Array, ihl: number): void {
    const d = parseUdp(src, dst, b);
    if (typeof d === "string") return this.drop(`udp-${d}`);
    this.counters.udpIn++;
    if (this.udp.deliver(dst, d.dport, { srcIp: src, srcPort: d.sport, data: d.data.slice() })) return;
    this.counters.udpNoPort++;
    this.drop("udp-no-port");
    if (!this.isBroadcast(dst)) this.sendIcmpError(ICMP.DEST_UNREACHABLE, ICMP.PORT_UNREACH, packet.subarray(0, ihl + 8));
  }

  /** Resolve `name` (A record) through the resolver; done(address | error). */
  resolve(name: string, done: (r: number) => void): void {
    this.entry(() => this.resolver.resolve(name, done));
  }

  // --- Views ------------------------------------------------------------------------------

  /** NET_STATS view. */
  stats(): NetStatsView {
    const c = this.counters;
    const t = this.tcp?.snapshot().counters;
    return {
      ip: this.ip, netmask: this.netmask, gateway: this.gateway, dns: this.dns, mac: this.mac.slice(), linkUp: this.opts.linkUp?.() ?? true,
      rxPackets: c.rxFrames, txPackets: c.txFrames, rxBytes: c.rxBytes, txBytes: c.txBytes, rxDropped: c.rxDropped,
      tcpSegmentsOut: t?.segmentsOut ?? c.tcpOut, tcpRetransmits: t?.retransmits ?? 0, arpEntries: this.arp.size,
    };
  }

  /** What the socket syscalls use (syscall/net.ts NetServices). */
  services(): NetServices {
    const tcp = this.tcp ?? NO_TCP;
    return {
      tcp,
      udp: this.udp,
      localIp: this.ip,
      now: () => this.now(),
      resolve: (name, done) => this.resolve(name, done),
      ping: (ip, timeoutMs, done) => this.ping(ip, { timeoutNs: timeoutMs * 1e6 }, (r) => done(r.ok ? r.rttNs : r.error)),
      stats: () => this.stats(),
    };
  }

  /** Plain JSON view (%net, inspection). */
  snapshot(): NetStackSnapshot {
    const now = this.now();
    const hostBits = 32 - Math.clz32(~this.netmask >>> 0);
    return {
      interface: {
        name: this.name, mac: macString(this.mac), ip: ipString(this.ip), netmask: ipString(this.netmask), gateway: ipString(this.gateway),
        dns: ipString(this.dns), mtu: MTU, linkUp: this.opts.linkUp?.() ?? true,
      },
      routes: [
        { destination: `${ipString((this.ip & this.netmask) >>> 0)}/${32 - hostBits}`, via: "on-link" },
        { destination: "127.0.0.0/8", via: "loopback" },
        { destination: "0.0.0.0/0", via: ipString(this.gateway) },
      ],
      arp: this.arp.snapshot(now, (m) => macString(m)).map((e) => ({ ...e, ip: ipString(e.ip) })),
      arpPending: this.arp.pendingCount,
      counters: { ...this.counters },
      drops: { ...this.drops },
      arpCounters: { ...this.arp.counters },
      reassembly: { ...this.reassembler.usage(), ...this.reassembler.counters },
      udp: this.udp.snapshot().map((u) => ({ ...u, ip: ipString(u.ip) })),
      dns: {
        server: ipString(this.dns),
        cache: this.resolver.snapshot(now).map((e) => ({ name: e.name, result: e.result >= 0 ? ipString(e.result) : `error ${e.result}`, expiresInNs: e.expiresInNs })),
        counters: { ...this.resolver.counters },
      },
      pings: this.pings.size,
      tcp: this.tcp?.snapshot() ?? null,
      lastError: this.lastError ?? null,
    };
  }
}

/** Stand-in until a TCP engine is given: every call fails with NOT_SUPPORTED. */
const NO_TCP = {
  connect: () => E.NOT_SUPPORTED,
  listen: () => E.NOT_SUPPORTED,
};

function unreachableReason(code: number): string {
  switch (code) {
    case ICMP.NET_UNREACH: return "network unreachable";
    case ICMP.HOST_UNREACH: return "host unreachable";
    case ICMP.PROTO_UNREACH: return "protocol unreachable";
    case ICMP.PORT_UNREACH: return "port unreachable";
    case ICMP.FRAG_NEEDED: return "fragmentation needed";
    case ICMP.ADMIN_PROHIBITED: return "administratively prohibited";
    default: return `unreachable (code ${code})`;
  }
}
