// The user-mode gateway, as QEMU's slirp: a NetEndpoint at 10.0.2.2 (MAC
// 52:55:0a:00:02:02) that also answers for the DNS server 10.0.2.3. It turns
// the guest's traffic into host sockets:
//
//   ARP        who-has 10.0.2.2 / 10.0.2.3 -> our MAC; guest MACs are learned
//              from what they send (and asked for when unknown).
//   ICMP echo  to 10.0.2.2 / 10.0.2.3: answered; to an allowed outside address:
//              answered by the gateway itself (no raw sockets); otherwise
//              destination unreachable (administratively prohibited).
//              TTL <= 1 on a datagram to be forwarded: time exceeded.
//   DNS        10.0.2.3:53: A records for `localhost` (127.0.0.1), `gateway`
//              (10.0.2.2), `dns` (10.0.2.3) and opts.hosts; other names
//              NXDOMAIN, unless opts.hostResolver asks the host's resolver.
//   UDP        NAT to host dgram sockets, one per guest source port.
//   TCP        NAT (hostfwd.ts): a TcpStack terminates the guest's connection
//              and splices it to a net.Socket; plus port forwarding from
//              127.0.0.1:HOSTPORT into the guest.
//
// Address mapping: the guest's 10.0.2.2 is the host's 127.0.0.1. By default
// only host addresses in 127.0.0.0/8 are reachable; anything else gets TCP
// RST or ICMP unreachable. opts.allowOutside = true (off by default: use it
// only on your own machine) lets the guest reach any address the host can.
//
// Time: frames from the guest arrive on this endpoint's clock (virtual);
// host socket events arrive in wall time, whenever Node runs them, and are
// put on the wire at the clock's now. Runs that talk to host peers are thus
// not reproducible from the seed alone (emulator/net/host-runner.ts).
// Nothing a guest sends makes receive() throw: bad frames are counted.

import dgram from "node:dgram";
import { promises as dnsPromises } from "node:dns";
import type { VirtualClock } from "../clock.js";
import type { FrameSink, NetEndpoint } from "./endpoint.js";
import { Reassembler } from "../../viperdos/kernel/net/reassembly.js";
import { buildDnsResponse, DNS_PORT, DNS_TYPE_A, parseDns, RCODE } from "../../viperdos/kernel/net/dns.js";
import {
  BROADCAST_MAC, buildArp, buildIcmp, buildIpv4, buildUdp, checksum, ethFrame, ETH_HLEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ICMP,
  IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN, ipString, ipv4, macEqual, macString, MTU, parseArp, parseIpv4, parseIpv4Header,
  parseUdp, rd16, wr16, ZERO_MAC,
} from "../../viperdos/kernel/net/wire.js";
import { TcpNat, type HostForward, type TcpNatSnapshot } from "./hostfwd.js";
import type { TcpEnv, TcpStackApi, TcpStackOptions } from "../../viperdos/kernel/net/tcp/api.js";

export const GATEWAY_IP = ipv4(10, 0, 2, 2);
export const GATEWAY_DNS_IP = ipv4(10, 0, 2, 3);
export const GATEWAY_MAC = new Uint8Array([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
export const HOST_LOOPBACK = ipv4(127, 0, 0, 1);
const SUBNET = ipv4(10, 0, 2, 0);
const SUBNET_MASK = ipv4(255, 255, 255, 0);

export interface GatewayOptions {
  clock: VirtualClock;
  name?: string;
  /** Extra DNS names -> dotted quads ("server": "10.0.2.2"). */
  hosts?: Record<string, string>;
  /** Reach host addresses outside 127.0.0.0/8 (default false). */
  allowOutside?: boolean;
  /** Ask the host's resolver for unknown names (default: allowOutside). */
  hostResolver?: boolean;
  /** The host resolver (default: node:dns lookup, IPv4): addresses as dotted quads. */
  hostLookup?: (name: string) => Promise<string[]>;
  /** Port forwards from 127.0.0.1:hostPort to guestIp:guestPort. */
  hostfwd?: HostForward[];
  /** The TCP engine for the NAT (default: the kernel's TcpStack). Absent and no default: TCP gets RST. */
  tcp?: (env: TcpEnv) => TcpStackApi;
  /** Options for the default engine (congestion control, buffers, trace) of the gateway's side. */
  tcpOptions?: TcpStackOptions;
  /** Seeded randomness for the gateway's TCP (ISNs, ports). Default: a fixed-seed LCG. */
  random32?: () => number;
  /** UDP NAT sockets kept (default 64, least recently used closed first). */
  maxUdpSockets?: number;
  /** A UDP NAT socket unused this long (virtual ns) is closed (default 120 s). */
  udpIdleNs?: number;
  /** TTL of DNS answers (default 300 s). */
  dnsTtl?: number;
}

export interface GatewayCounters {
  rxFrames: number; txFrames: number; dropped: number;
  arpReplies: number; icmpEchoReplies: number; icmpUnreachableSent: number; icmpTimeExceededSent: number;
  dnsQueries: number; dnsAnswers: number; dnsNxdomain: number;
  udpOut: number; udpIn: number; udpRefused: number;
}

export interface GatewaySnapshot {
  name: string; mac: string; ip: string; dns: string; allowOutside: boolean;
  guests: { ip: string; mac: string }[];
  counters: GatewayCounters;
  drops: Record<string, number>;
  udp: { guest: string; hostPort: number; sent: number; received: number }[];
  tcp: TcpNatSnapshot;
  hostOutstanding: number;
}

interface UdpNat {
  key: string;
  guestIp: number;
  guestPort: number;
  socket: dgram.Socket;
  localPort: number;
  sent: number;
  received: number;
  lastUse: number;
  awaiting: number;
}

export class Gateway implements NetEndpoint {
  readonly name: string;
  readonly clock: VirtualClock;
  readonly mac = GATEWAY_MAC;
  readonly counters: GatewayCounters = {
    rxFrames: 0, txFrames: 0, dropped: 0, arpReplies: 0, icmpEchoReplies: 0, icmpUnreachableSent: 0, icmpTimeExceededSent: 0,
    dnsQueries: 0, dnsAnswers: 0, dnsNxdomain: 0, udpOut: 0, udpIn: 0, udpRefused: 0,
  };
  readonly drops: Record<string, number> = {};
  readonly allowOutside: boolean;
  readonly tcpNat: TcpNat;
  private tx: FrameSink | undefined;
  private readonly hosts = new Map<string, number>();
  private readonly guests = new Map<number, Uint8Array>();
  /** Datagrams waiting for a guest's ARP reply (insertion order = age; the oldest is evicted when full). */
  private readonly arpWaiting = new Map<number, Uint8Array[]>();
  private readonly reassembler = new Reassembler({ maxBytes: 512 * 1024 });
  private readonly udpNat = new Map<string, UdpNat>();
  private ipId = 1;
  private pendingLookups = 0;
  private closed = false;
  private activityWaiters: (() => void)[] = [];
  private readonly activityListeners: (() => void)[] = [];

  constructor(readonly opts: GatewayOptions) {
    this.clock = opts.clock;
    this.name = opts.name ?? "gateway";
    this.allowOutside = opts.allowOutside ?? false;
    this.hosts.set("localhost", HOST_LOOPBACK);
    this.hosts.set("gateway", GATEWAY_IP);
    this.hosts.set("dns", GATEWAY_DNS_IP);
    for (const [n, a] of Object.entries(opts.hosts ?? {})) {
      const ip = parseIpv4(a);
      if (ip === undefined) throw new RangeError(`Gateway: hosts["${n}"] = "${a}" is not an IPv4 address`);
      this.hosts.set(n.toLowerCase(), ip);
    }
    this.tcpNat = new TcpNat(this, opts);
  }

  // --- NetEndpoint ----------------------------------------------------------------------------

  connect(tx: FrameSink | undefined): void {
    this.tx = tx;
  }

  /** A frame from the guest. Never throws. */
  receive(frame: Uint8Array): void {
    try {
      this.ethInput(frame);
    } catch (e) {
      this.drop(`internal: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Stop every host socket and server (the gateway cannot be used afterwards). */
  async close(): Promise<void> {
    this.closed = true;
    for (const u of this.udpNat.values()) u.socket.close();
    this.udpNat.clear();
    await this.tcpNat.close();
    this.hostActivity();
  }

  // --- Host activity (host-runner.ts) ---------------------------------------------------------

  /** Host operations in progress whose completion the guest may be waiting for. */
  hostOutstanding(): number {
    let udp = 0;
    for (const u of this.udpNat.values()) if (u.awaiting > 0) udp++;
    return this.pendingLookups + udp + this.tcpNat.outstanding();
  }

  /** Resolves at the next host event that put something on the wire (or after `ms` wall). */
  waitForHostActivity(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const waiters = this.activityWaiters;
      function done(): void {
        clearTimeout(t);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /**
   * Call `cb` after every host event that put something on the wire (a
   * runner that stopped because the machine went idle restarts from it).
   * Returns an unsubscribe function.
   */
  onHostActivity(cb: () => void): () => void {
    this.activityListeners.push(cb);
    return () => {
      const i = this.activityListeners.indexOf(cb);
      if (i >= 0) this.activityListeners.splice(i, 1);
    };
  }

  /** Called by host event handlers after they acted. */
  hostActivity(): void {
    const w = this.activityWaiters;
    this.activityWaiters = [];
    for (const f of w) f();
    for (const f of [...this.activityListeners]) f();
  }

  // --- Helpers ---------------------------------------------------------------------------------

  drop(reason: string): void {
    this.counters.dropped++;
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  /** Host address a guest destination stands for (10.0.2.2 -> 127.0.0.1), or undefined when refused. */
  hostAddressFor(dst: number): number | undefined {
    if (dst === GATEWAY_IP) return HOST_LOOPBACK;
    if ((dst & SUBNET_MASK) >>> 0 === SUBNET) return undefined; // other 10.0.2.x: nobody there
    if (dst >>> 24 === 127) return dst;
    return this.allowOutside && dst !== 0 && dst >>> 28 < 14 ? dst : undefined;
  }

  /** Guest-side source address for a host peer (127.0.0.1 -> 10.0.2.2). */
  guestAddressFor(host: number): number {
    return host >>> 24 === 127 ? GATEWAY_IP : host;
  }

  private sendFrame(dst: Uint8Array, type: number, payload: Uint8Array): void {
    if (!this.tx) return this.drop("unplugged");
    this.counters.txFrames++;
    this.tx(ethFrame(dst, this.mac, type, payload));
  }

  /** Send an IPv4 datagram to guest `dst` (fragmented above the MTU). */
  sendIp(proto: number, src: number, dst: number, payload: Uint8Array): void {
    const id = (this.ipId = (this.ipId + 1) & 0xffff);
    const packets: Uint8Array[] = [];
    const max = MTU - IPV4_HLEN;
    if (payload.length <= max) packets.push(buildIpv4({ id, ttl: 64, proto, src, dst }, payload));
    else {
      const step = max & ~7;
      for (let off = 0; off < payload.length; off += step) {
        const end = Math.min(off + step, payload.length);
        packets.push(buildIpv4({ id, ttl: 64, proto, src, dst, mf: end < payload.length, offset: off }, payload.subarray(off, end)));
      }
    }
    const mac = this.guests.get(dst);
    if (mac) {
      for (const p of packets) this.sendFrame(mac, ETHERTYPE_IPV4, p);
      return;
    }
    let q = this.arpWaiting.get(dst);
    if (!q) {
      if (this.arpWaiting.size >= 16) {
        this.arpWaiting.delete(this.arpWaiting.keys().next().value as number);
        this.drop("arp-queue");
      }
      this.arpWaiting.set(dst, (q = []));
      this.sendFrame(BROADCAST_MAC, ETHERTYPE_ARP, buildArp({ op: 1, sha: this.mac, spa: GATEWAY_IP, tha: ZERO_MAC, tpa: dst }));
    }
    for (const p of packets) if (q.length < 64) q.push(p);
  }

  private learn(ip: number, mac: Uint8Array): void {
    if ((ip & SUBNET_MASK) >>> 0 !== SUBNET || ip === GATEWAY_IP || ip === GATEWAY_DNS_IP || (mac[0] & 1) !== 0) return;
    // Most recently heard last: a full table forgets the guest heard from longest ago.
    this.guests.delete(ip);
    if (this.guests.size >= 64) this.guests.delete(this.guests.keys().next().value as number);
    this.guests.set(ip, mac.slice(0, 6));
    const q = this.arpWaiting.get(ip);
    if (q) {
      this.arpWaiting.delete(ip);
      for (const p of q) this.sendFrame(mac, ETHERTYPE_IPV4, p);
    }
  }

  // --- Input -------------------------------------------------------------------------------------

  private ethInput(f: Uint8Array): void {
    this.counters.rxFrames++;
    if (this.closed) return this.drop("closed");
    if (f.length < ETH_HLEN) return this.drop("runt");
    if (!macEqual(f, 0, this.mac) && !macEqual(f, 0, BROADCAST_MAC)) return this.drop("not-for-us");
    const type = rd16(f, 12);
    const body = f.subarray(ETH_HLEN);
    if (type === ETHERTYPE_ARP) {
      const a = parseArp(body);
      if (!a) return this.drop("arp-malformed");
      this.learn(a.spa, a.sha);
      if (a.op === 1 && (a.tpa === GATEWAY_IP || a.tpa === GATEWAY_DNS_IP)) {
        this.counters.arpReplies++;
        this.sendFrame(a.sha, ETHERTYPE_ARP, buildArp({ op: 2, sha: this.mac, spa: a.tpa, tha: a.sha, tpa: a.spa }));
      }
      return;
    }
    if (type !== ETHERTYPE_IPV4) return this.drop("ethertype");
    const h = parseIpv4Header(body);
    if (typeof h === "string") return this.drop(`ip-${h}`);
    this.learn(h.src, f.subarray(6, 12));
    let payload = body.subarray(h.ihl, h.totalLength);
    const quote = body.subarray(0, Math.min(h.totalLength, h.ihl + 8));
    if (h.mf || h.offset !== 0) {
      const whole = this.reassembler.add(h.src, h.dst, h.proto, h.id, h.offset, h.mf, payload, quote, this.clock.now());
      for (const x of this.reassembler.expire(this.clock.now())) if (x.quote) this.icmpError(ICMP.TIME_EXCEEDED, ICMP.REASSEMBLY_EXCEEDED, x.quote, x.dst);
      if (!whole) return;
      payload = whole;
    }
    const local = h.dst === GATEWAY_IP || h.dst === GATEWAY_DNS_IP;
    if (!local && h.ttl <= 1) {
      this.counters.icmpTimeExceededSent++;
      return this.icmpError(ICMP.TIME_EXCEEDED, ICMP.TTL_EXCEEDED, quote, GATEWAY_IP);
    }
    switch (h.proto) {
      case IPPROTO_ICMP: return this.icmpInput(h.src, h.dst, payload, quote);
      case IPPROTO_UDP: return this.udpInput(h.src, h.dst, payload, quote);
      case IPPROTO_TCP: return this.tcpNat.input(h.src, h.dst, payload, quote);
      default:
        this.drop("ip-protocol");
        return this.icmpError(ICMP.DEST_UNREACHABLE, ICMP.PROTO_UNREACH, quote, h.dst);
    }
  }

  /** Send ICMP type/code quoting `quote` back to its source, from `from`. */
  icmpError(type: number, code: number, quote: Uint8Array, from: number): void {
    if (quote.length < IPV4_HLEN) return;
    const src = ((quote[12] << 24) | (quote[13] << 16) | (quote[14] << 8) | quote[15]) >>> 0;
    const qihl = (quote[0] & 0xf) * 4;
    if (quote[9] === IPPROTO_ICMP && quote.length > qihl && quote[qihl] !== ICMP.ECHO_REQUEST) return; // never about an ICMP error
    if (type === ICMP.DEST_UNREACHABLE) this.counters.icmpUnreachableSent++;
    this.sendIp(IPPROTO_ICMP, from, src, buildIcmp(type, code, 0, quote));
  }

  private icmpInput(src: number, dst: number, m: Uint8Array, quote: Uint8Array): void {
    if (m.length < 8 || checksum(m) !== 0) return this.drop("icmp-malformed");
    if (m[0] !== ICMP.ECHO_REQUEST) return this.drop("icmp-type");
    const local = dst === GATEWAY_IP || dst === GATEWAY_DNS_IP;
    if (!local && this.hostAddressFor(dst) === undefined) return this.icmpError(ICMP.DEST_UNREACHABLE, ICMP.ADMIN_PROHIBITED, quote, GATEWAY_IP);
    const reply = m.slice();
    reply[0] = ICMP.ECHO_REPLY;
    wr16(reply, 2, 0);
    wr16(reply, 2, checksum(reply));
    this.counters.icmpEchoReplies++;
    this.sendIp(IPPROTO_ICMP, dst, src, reply);
  }

  // --- UDP and DNS -------------------------------------------------------------------------------

  private udpInput(src: number, dst: number, b: Uint8Array, quote: Uint8Array): void {
    const d = parseUdp(src, dst, b);
    if (typeof d === "string") return this.drop(`udp-${d}`);
    if (dst === GATEWAY_DNS_IP) {
      if (d.dport === DNS_PORT) return this.dnsQuery(src, d.sport, d.data);
      return this.icmpError(ICMP.DEST_UNREACHABLE, ICMP.PORT_UNREACH, quote, dst);
    }
    const host = this.hostAddressFor(dst);
    if (host === undefined) {
      this.counters.udpRefused++;
      return this.icmpError(ICMP.DEST_UNREACHABLE, ICMP.ADMIN_PROHIBITED, quote, GATEWAY_IP);
    }
    if (d.dport === 0 || d.sport === 0) return this.icmpError(ICMP.DEST_UNREACHABLE, ICMP.PORT_UNREACH, quote, dst);
    const nat = this.udpSocket(src, d.sport);
    nat.sent++;
    nat.awaiting++;
    nat.lastUse = this.clock.now();
    this.counters.udpOut++;
    nat.socket.send(d.data, d.dport, ipString(host));
  }

  private udpSocket(guestIp: number, guestPort: number): UdpNat {
    const key = `${guestIp}:${guestPort}`;
    const have = this.udpNat.get(key);
    if (have) return have;
    const now = this.clock.now();
    const idle = this.opts.udpIdleNs ?? 120e9;
    for (const u of [...this.udpNat.values()]) {
      if (now - u.lastUse < idle) continue;
      u.socket.close();
      this.udpNat.delete(u.key);
    }
    const limit = this.opts.maxUdpSockets ?? 64;
    if (this.udpNat.size >= limit) {
      let old: UdpNat | undefined;
      for (const u of this.udpNat.values()) if (!old || u.lastUse < old.lastUse) old = u;
      if (old) {
        old.socket.close();
        this.udpNat.delete(old.key);
      }
    }
    const socket = dgram.createSocket("udp4");
    const nat: UdpNat = { key, guestIp, guestPort, socket, localPort: 0, sent: 0, received: 0, lastUse: this.clock.now(), awaiting: 0 };
    socket.on("message", (msg, rinfo) => {
      if (this.closed) return;
      const from = parseIpv4(rinfo.address);
      if (from === undefined) return;
      nat.received++;
      nat.awaiting = 0;
      this.counters.udpIn++;
      const src = this.guestAddressFor(from);
      this.sendIp(IPPROTO_UDP, src, guestIp, buildUdp(src, guestIp, rinfo.port, guestPort, new Uint8Array(msg)));
      this.hostActivity();
    });
    socket.on("error", () => {
      nat.awaiting = 0;
      this.drop("udp-host-error");
    });
    socket.bind(0, this.allowOutside ? "0.0.0.0" : "127.0.0.1", () => {
      nat.localPort = socket.address().port;
    });
    this.udpNat.set(key, nat);
    return nat;
  }

  private dnsQuery(guestIp: number, guestPort: number, data: Uint8Array): void {
    this.counters.dnsQueries++;
    const q = parseDns(data);
    if (!q || q.response) return this.drop("dns-malformed");
    const question = q.questions[0];
    const answer = (rcode: number, addrs: number[]): void => {
      if (rcode === RCODE.NXDOMAIN) this.counters.dnsNxdomain++;
      else this.counters.dnsAnswers++;
      const r = buildDnsResponse(q, rcode, addrs, this.opts.dnsTtl ?? 300);
      this.sendIp(IPPROTO_UDP, GATEWAY_DNS_IP, guestIp, buildUdp(GATEWAY_DNS_IP, guestIp, DNS_PORT, guestPort, r));
    };
    if (!question || q.opcode !== 0) return answer(q.opcode !== 0 ? RCODE.NOTIMP : RCODE.FORMERR, []);
    const name = question.name.toLowerCase().replace(/\.$/, "");
    const known = this.hosts.get(name);
    if (known !== undefined) return answer(RCODE.NOERROR, question.type === DNS_TYPE_A ? [known] : []);
    if (!(this.opts.hostResolver ?? this.allowOutside) || question.type !== DNS_TYPE_A) return answer(RCODE.NXDOMAIN, []);
    this.pendingLookups++;
    const lookup = this.opts.hostLookup ?? ((n: string) => dnsPromises.lookup(n, { family: 4, all: true }).then((l) => l.map((a) => a.address)));
    lookup(name).then(
      (list) => {
        const addrs = list.map((a) => parseIpv4(a)).filter((a): a is number => a !== undefined);
        if (!this.closed) answer(addrs.length ? RCODE.NOERROR : RCODE.NXDOMAIN, addrs);
      },
      () => { if (!this.closed) answer(RCODE.NXDOMAIN, []); },
    ).finally(() => {
      this.pendingLookups--;
      this.hostActivity();
    });
  }

  /** JSON view (%net, %topology). */
  snapshot(): GatewaySnapshot {
    return {
      name: this.name, mac: macString(this.mac), ip: ipString(GATEWAY_IP), dns: ipString(GATEWAY_DNS_IP), allowOutside: this.allowOutside,
      guests: [...this.guests].map(([ip, mac]) => ({ ip: ipString(ip), mac: macString(mac) })),
      counters: { ...this.counters },
      drops: { ...this.drops },
      udp: [...this.udpNat.values()].map((u) => ({ guest: `${ipString(u.guestIp)}:${u.guestPort}`, hostPort: u.localPort, sent: u.sent, received: u.received })),
      tcp: this.tcpNat.snapshot(),
      hostOutstanding: this.hostOutstanding(),
    };
  }
}
