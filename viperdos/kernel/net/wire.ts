// Wire formats below TCP: byte-order helpers, the Internet checksum
// (RFC 1071), and the fixed headers of Ethernet II, ARP (RFC 826),
// IPv4 (RFC 791), ICMP (RFC 792) and UDP (RFC 768). Pure functions over
// Uint8Array, shared by the kernel's NetStack and the host gateway
// (emulator/net/gateway.ts). Addresses are host-order u32 numbers
// (10.0.2.15 === 0x0a00020f); MACs are 6-byte arrays.
//
//   Ethernet: dst[6] src[6] type[2]                                    14 bytes
//   ARP/IPv4: htype[2]=1 ptype[2]=0x0800 hlen=6 plen=4 op[2] sha[6] spa[4] tha[6] tpa[4]   28 bytes
//   IPv4:     ver|ihl tos len[2] id[2] flags|frag[2] ttl proto csum[2] src[4] dst[4] [options]
//   ICMP:     type code csum[2] rest[4] data
//   UDP:      sport[2] dport[2] len[2] csum[2] (pseudo-header: src dst 0 17 len)

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETH_HLEN = 14;
export const ARP_LEN = 28;
export const IPV4_HLEN = 20;
export const UDP_HLEN = 8;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const MTU = 1500;
export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
export const ZERO_MAC = new Uint8Array(6);

/** IPv4 flags|fragment-offset field bits. */
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET_MASK = 0x1fff;

export const ICMP = {
  ECHO_REPLY: 0, DEST_UNREACHABLE: 3, ECHO_REQUEST: 8, TIME_EXCEEDED: 11,
  // destination-unreachable codes
  NET_UNREACH: 0, HOST_UNREACH: 1, PROTO_UNREACH: 2, PORT_UNREACH: 3, FRAG_NEEDED: 4, ADMIN_PROHIBITED: 13,
  // time-exceeded codes
  TTL_EXCEEDED: 0, REASSEMBLY_EXCEEDED: 1,
} as const;

export function rd16(b: Uint8Array, o: number): number {
  return ((b[o] << 8) | b[o + 1]) >>> 0;
}
export function rd32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** One's-complement sum of `b[off, off+len)` added to `acc` (not folded). */
export function sumWords(b: Uint8Array, off: number, len: number, acc = 0): number {
  let s = acc;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < end) s += b[i] << 8;
  return s;
}

/** Fold a sum and complement it: the RFC 1071 checksum (0..0xffff). */
export function foldChecksum(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** Internet checksum of b[off, off+len). A correct packet sums (with its checksum) to 0. */
export function checksum(b: Uint8Array, off = 0, len = b.length - off): number {
  return foldChecksum(sumWords(b, off, len));
}

/** Sum of the TCP/UDP pseudo-header (src, dst, zero, proto, length). */
export function pseudoHeaderSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/** "10.0.2.15" for a host-order u32. */
export function ipString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Host-order u32 for dotted-quad `s`, or undefined. */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Host-order u32 from four octets. */
export function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** "aa:bb:cc:dd:ee:ff". */
export function macString(b: Uint8Array, off = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((b[off + i] ?? 0).toString(16).padStart(2, "0"));
  return parts.join(":");
}

export function macEqual(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[i]) return false;
  return true;
}

/** An Ethernet II frame: header + payload. */
export function ethFrame(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + payload.length);
  f.set(dst.subarray(0, 6), 0);
  f.set(src.subarray(0, 6), 6);
  wr16(f, 12, type);
  f.set(payload, ETH_HLEN);
  return f;
}

export interface ArpPacket {
  op: 1 | 2;
  sha: Uint8Array;
  spa: number;
  tha: Uint8Array;
  tpa: number;
}

/** Parse an Ethernet/IPv4 ARP packet; undefined for anything else. */
export function parseArp(b: Uint8Array): ArpPacket | undefined {
  if (b.length < ARP_LEN) return undefined;
  if (rd16(b, 0) !== 1 || rd16(b, 2) !== ETHERTYPE_IPV4 || b[4] !== 6 || b[5] !== 4) return undefined;
  const op = rd16(b, 6);
  if (op !== 1 && op !== 2) return undefined;
  return { op, sha: b.slice(8, 14), spa: rd32(b, 14), tha: b.slice(18, 24), tpa: rd32(b, 24) };
}

/** Encode an ARP packet (28 bytes). */
export function buildArp(p: ArpPacket): Uint8Array {
  const b = new Uint8Array(ARP_LEN);
  wr16(b, 0, 1);
  wr16(b, 2, ETHERTYPE_IPV4);
  b[4] = 6;
  b[5] = 4;
  wr16(b, 6, p.op);
  b.set(p.sha.subarray(0, 6), 8);
  wr32(b, 14, p.spa);
  b.set(p.tha.subarray(0, 6), 18);
  wr32(b, 24, p.tpa);
  return b;
}

export interface Ipv4Header {
  ihl: number; // header length in bytes
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** Fragment offset in bytes. */
  offset: number;
  ttl: number;
  proto: number;
  src: number;
  dst: number;
}

/**
 * Parse and validate an IPv4 header: version 4, IHL >= 5, total length
 * within the buffer, header checksum correct. Returns the header or a
 * reason string (for counters).
 */
export function parseIpv4Header(b: Uint8Array): Ipv4Header | string {
  if (b.length < IPV4_HLEN) return "truncated";
  if (b[0] >> 4 !== 4) return "version";
  const ihl = (b[0] & 0xf) * 4;
  if (ihl < IPV4_HLEN || ihl > b.length) return "header-length";
  const totalLength = rd16(b, 2);
  if (totalLength < ihl || totalLength > b.length) return "total-length";
  if (checksum(b, 0, ihl) !== 0) return "checksum";
  const ff = rd16(b, 6);
  if (ff & 0x8000) return "reserved-flag";
  return {
    ihl, tos: b[1], totalLength, id: rd16(b, 4), df: (ff & IP_DF) !== 0, mf: (ff & IP_MF) !== 0,
    offset: (ff & IP_OFFSET_MASK) * 8, ttl: b[8], proto: b[9], src: rd32(b, 12), dst: rd32(b, 16),
  };
}

/** A 20-byte IPv4 header + payload with the checksum filled. */
export function buildIpv4(h: { id: number; ttl: number; proto: number; src: number; dst: number; df?: boolean; mf?: boolean; offset?: number; tos?: number }, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(IPV4_HLEN + payload.length);
  b[0] = 0x45;
  b[1] = h.tos ?? 0;
  wr16(b, 2, b.length);
  wr16(b, 4, h.id & 0xffff);
  wr16(b, 6, (h.df ? IP_DF : 0) | (h.mf ? IP_MF : 0) | (((h.offset ?? 0) >> 3) & IP_OFFSET_MASK));
  b[8] = h.ttl;
  b[9] = h.proto;
  wr32(b, 12, h.src);
  wr32(b, 16, h.dst);
  wr16(b, 10, checksum(b, 0, IPV4_HLEN));
  b.set(payload, IPV4_HLEN);
  return b;
}

/** ICMP message: type, code, 4 "rest of header" bytes, data; checksum filled. */
export function buildIcmp(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + data.length);
  b[0] = type;
  b[1] = code;
  wr32(b, 4, rest);
  b.set(data, 8);
  wr16(b, 2, checksum(b));
  return b;
}

/** UDP datagram with the checksum over the pseudo-header (0 becomes 0xffff, RFC 768). */
export function buildUdp(src: number, dst: number, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const len = UDP_HLEN + data.length;
  const b = new Uint8Array(len);
  wr16(b, 0, sport);
  wr16(b, 2, dport);
  wr16(b, 4, len);
  b.set(data, UDP_HLEN);
  const c = foldChecksum(sumWords(b, 0, len, pseudoHeaderSum(src, dst, IPPROTO_UDP, len)));
  wr16(b, 6, c === 0 ? 0xffff : c);
  return b;
}

export interface UdpDatagram {
  sport: number;
  dport: number;
  data: Uint8Array;
}

/** Parse a UDP datagram (length and checksum checked; checksum 0 = none). */
export function parseUdp(src: number, dst: number, b: Uint8Array): UdpDatagram | string {
  if (b.length < UDP_HLEN) return "truncated";
  const len = rd16(b, 4);
  if (len < UDP_HLEN || len > b.length) return "length";
  if (rd16(b, 6) !== 0 && foldChecksum(sumWords(b, 0, len, pseudoHeaderSum(src, dst, IPPROTO_UDP, len))) !== 0) return "checksum";
  return { sport: rd16(b, 0), dport: rd16(b, 2), data: b.subarray(UDP_HLEN, len) };
}

/** True when the TCP segment's checksum over the pseudo-header is right. */
export function tcpChecksumOk(src: number, dst: number, seg: Uint8Array): boolean {
  return foldChecksum(sumWords(seg, 0, seg.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, seg.length))) === 0;
}
