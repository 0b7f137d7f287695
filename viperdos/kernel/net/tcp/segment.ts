// TCP segments on the wire (RFC 9293 section 3.1): parse, serialise, the
// checksum over the IPv4 pseudo-header, and sequence-number arithmetic.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-------------------------------+-------------------------------+
//   |          Source Port          |       Destination Port        |
//   +-------------------------------+-------------------------------+
//   |                        Sequence Number                        |
//   +---------------------------------------------------------------+
//   |                    Acknowledgment Number                      |
//   +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
//   | DOff  | Rsrvd |C|E|U|A|P|R|S|F|            Window             |
//   +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
//   |           Checksum            |         Urgent Pointer        |
//   +-------------------------------+-------------------------------+
//   |                    Options (0..40 bytes)                      |
//
// Options understood: EOL 0, NOP 1, MSS 2 (RFC 9293), window scale 3
// (RFC 7323), SACK-permitted 4 and SACK 5 (RFC 2018), timestamps 8
// (RFC 7323). Others are skipped by their length.

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

export const TCP_HEADER_BYTES = 20;
const MAX_OPTION_BYTES = 40;

/** A SACK block: [left, right) in sequence space. */
export interface SackBlock {
  left: number;
  right: number;
}

export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  sack?: SackBlock[];
  timestamp?: { value: number; echo: number };
}

/** One segment, header fields decoded (host-order numbers). */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent: number;
  options: TcpOptions;
  payload: Uint8Array;
}

// --- sequence space (RFC 9293 3.4): comparisons modulo 2^32 ---

/** a + n modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** Signed distance b - a (positive when b is after a), valid within 2^31. */
export function seqDiff(a: number, b: number): number {
  return (b - a) | 0;
}
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

/** Sequence space a segment occupies: payload + SYN + FIN. */
export function segmentLength(s: TcpSegment): number {
  return s.payload.length + (s.flags & SYN ? 1 : 0) + (s.flags & FIN ? 1 : 0);
}

/** Internet checksum (RFC 1071) of bytes, starting from a partial sum. */
function sum16(bytes: Uint8Array, start: number): number {
  let sum = start;
  const n = bytes.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) sum += bytes[bytes.length - 1]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** TCP checksum of segment (its checksum field included) with the IPv4 pseudo-header.
 *  A correct segment sums to 0; over a segment with checksum 0 it gives the value to store. */
export function tcpChecksum(src: number, dst: number, segment: Uint8Array): number {
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + segment.length;
  sum = sum16(segment, sum);
  return ~fold(sum) & 0xffff;
}

function optionBytes(o: TcpOptions): number[] {
  const out: number[] = [];
  if (o.mss !== undefined) out.push(2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff);
  if (o.windowScale !== undefined) out.push(1, 3, 3, o.windowScale & 0xff);
  if (o.sackPermitted) out.push(1, 1, 4, 2);
  if (o.timestamp) {
    const { value: v, echo: e } = o.timestamp;
    out.push(1, 1, 8, 10, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff,
      e >>> 24, (e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff);
  }
  if (o.sack && o.sack.length > 0) {
    const room = Math.floor((MAX_OPTION_BYTES - out.length - 4) / 8);
    const blocks = o.sack.slice(0, Math.min(4, room));
    if (blocks.length > 0) {
      out.push(1, 1, 5, 2 + 8 * blocks.length);
      for (const b of blocks) {
        for (const x of [b.left >>> 0, b.right >>> 0]) out.push(x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
      }
    }
  }
  while (out.length % 4) out.push(0);
  return out;
}

/** Serialise seg from src to dst (host-order u32) with its checksum filled.
 *  SACK blocks that do not fit in the 40 option bytes are left out. */
export function serializeSegment(src: number, dst: number, seg: TcpSegment): Uint8Array {
  const o = seg.options;
  // Most segments carry no options: skip building the option list.
  const opts = o.mss === undefined && o.windowScale === undefined && !o.sackPermitted && !o.timestamp && !(o.sack && o.sack.length)
    ? undefined : optionBytes(o);
  const hdr = TCP_HEADER_BYTES + (opts ? opts.length : 0);
  const b = new Uint8Array(hdr + seg.payload.length);
  put16(b, 0, seg.srcPort);
  put16(b, 2, seg.dstPort);
  put32(b, 4, seg.seq);
  put32(b, 8, seg.ack);
  b[12] = (hdr / 4) << 4;
  b[13] = seg.flags & 0xff;
  put16(b, 14, seg.window);
  put16(b, 18, seg.urgent);
  if (opts) b.set(opts, TCP_HEADER_BYTES);
  b.set(seg.payload, hdr);
  put16(b, 16, tcpChecksum(src, dst, b));
  return b;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function parseOptions(b: Uint8Array, end: number): TcpOptions | string {
  const o: TcpOptions = {};
  let i = TCP_HEADER_BYTES;
  const u32 = (p: number) => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  while (i < end) {
    const kind = b[i]!;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    if (i + 1 >= end) return "option runs past the header";
    const len = b[i + 1]!;
    if (len < 2 || i + len > end) return `bad option length ${len} (kind ${kind})`;
    switch (kind) {
      case 2: if (len !== 4) return "bad MSS option"; o.mss = (b[i + 2]! << 8) | b[i + 3]!; break;
      case 3: if (len !== 3) return "bad window-scale option"; o.windowScale = b[i + 2]!; break;
      case 4: if (len !== 2) return "bad SACK-permitted option"; o.sackPermitted = true; break;
      case 5: {
        if ((len - 2) % 8 !== 0 || len < 10) return "bad SACK option";
        o.sack = [];
        for (let p = i + 2; p < i + len; p += 8) o.sack.push({ left: u32(p), right: u32(p + 4) });
        break;
      }
      case 8: if (len !== 10) return "bad timestamp option"; o.timestamp = { value: u32(i + 2), echo: u32(i + 6) }; break;
      default: break;
    }
    i += len;
  }
  return o;
}

/** Parse a received segment. Returns the segment, or a reason string for
 *  anything malformed (short, bad data offset, bad options, bad checksum when
 *  verify is set). Never throws. */
export function parseSegment(src: number, dst: number, b: Uint8Array, verify = true): TcpSegment | string {
  if (b.length < TCP_HEADER_BYTES) return `segment too short (${b.length} bytes)`;
  const hdr = (b[12]! >> 4) * 4;
  if (hdr < TCP_HEADER_BYTES || hdr > b.length) return `bad data offset ${hdr}`;
  if (verify && tcpChecksum(src, dst, b) !== 0) return "bad checksum";
  const options = hdr === TCP_HEADER_BYTES ? {} : parseOptions(b, hdr);
  if (typeof options === "string") return options;
  return {
    srcPort: (b[0]! << 8) | b[1]!,
    dstPort: (b[2]! << 8) | b[3]!,
    seq: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
    ack: ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0,
    flags: b[13]! & 0x3f,
    window: (b[14]! << 8) | b[15]!,
    urgent: (b[18]! << 8) | b[19]!,
    options,
    payload: b.subarray(hdr),
  };
}

/** "SYN,ACK" style names of the flags (for traces and test messages). */
export function flagNames(flags: number): string {
  const names: string[] = [];
  for (const [bit, n] of [[SYN, "SYN"], [FIN, "FIN"], [RST, "RST"], [PSH, "PSH"], [ACK, "ACK"], [URG, "URG"]] as const) {
    if (flags & bit) names.push(n);
  }
  return names.join(",");
}
