// IPv4 fragment reassembly (RFC 791 section 3.2, RFC 815's hole idea):
// fragments are keyed by (src, dst, protocol, id). Each partial datagram
// keeps its fragments in arrival order and the byte ranges they cover; it
// is complete when the ranges join into [0, total) and the last fragment
// (MF = 0) fixed `total`. Overlaps are allowed; the bytes that arrived
// first win (a later overlapping fragment cannot rewrite data already
// received: the "teardrop"-style rewrite is refused).
//
// Bounds: at most `maxDatagrams` partial datagrams and `maxBytes` of
// fragment payload in all; a fragment that would exceed them is dropped
// (and counted). A partial datagram older than `timeoutNs` is discarded by
// expire(); the caller sends ICMP time-exceeded (code 1) when its first
// fragment had arrived (RFC 792).

export interface ReassemblyOptions {
  /** Default 30 s virtual. */
  timeoutNs?: number;
  /** Default 64 partial datagrams. */
  maxDatagrams?: number;
  /** Default 256 KiB of held fragment payload. */
  maxBytes?: number;
}

export interface ReassemblyCounters {
  fragments: number;
  reassembled: number;
  timedOut: number;
  dropped: number;
  overlaps: number;
}

interface Partial {
  src: number;
  dst: number;
  proto: number;
  id: number;
  frags: { offset: number; data: Uint8Array }[];
  /** Sorted, merged covered ranges [start, end). */
  ranges: [number, number][];
  total: number | undefined;
  bytes: number;
  deadlineNs: number;
  /** The offset-0 fragment's IP header (for ICMP time exceeded). */
  firstHeader: Uint8Array | undefined;
}

export interface ExpiredDatagram {
  src: number;
  dst: number;
  /** IP header + first 8 bytes of the offset-0 fragment, if it arrived. */
  quote: Uint8Array | undefined;
}

const MAX_DATAGRAM = 65535 - 20;

export class Reassembler {
  readonly timeoutNs: number;
  readonly maxDatagrams: number;
  readonly maxBytes: number;
  private readonly partials = new Map<string, Partial>();
  private heldBytes = 0;
  readonly counters: ReassemblyCounters = { fragments: 0, reassembled: 0, timedOut: 0, dropped: 0, overlaps: 0 };

  constructor(opts: ReassemblyOptions = {}) {
    this.timeoutNs = opts.timeoutNs ?? 30e9;
    this.maxDatagrams = opts.maxDatagrams ?? 64;
    this.maxBytes = opts.maxBytes ?? 256 * 1024;
  }

  /**
   * Add one fragment (payload `data` at byte `offset`, `more` = MF).
   * `header` is the fragment's IP header with the first 8 payload bytes
   * (kept for offset 0). Returns the whole payload when this fragment
   * completed the datagram, else undefined.
   */
  add(src: number, dst: number, proto: number, id: number, offset: number, more: boolean, data: Uint8Array, header: Uint8Array, now: number): Uint8Array | undefined {
    this.counters.fragments++;
    const end = offset + data.length;
    if (end > MAX_DATAGRAM || (more && data.length % 8 !== 0) || (more && data.length === 0)) {
      this.counters.dropped++;
      return undefined;
    }
    const key = `${src}:${dst}:${proto}:${id}`;
    let p = this.partials.get(key);
    if (!p) {
      if (this.partials.size >= this.maxDatagrams) {
        this.counters.dropped++;
        return undefined;
      }
      p = { src, dst, proto, id, frags: [], ranges: [], total: undefined, bytes: 0, deadlineNs: now + this.timeoutNs, firstHeader: undefined };
      this.partials.set(key, p);
    }
    if (this.heldBytes + data.length > this.maxBytes) {
      this.counters.dropped++;
      return undefined;
    }
    if (!more) {
      // A second, different "last" fragment, or data beyond the end: inconsistent, drop the datagram.
      if ((p.total !== undefined && p.total !== end) || p.ranges.some(([, e]) => e > end)) return this.discard(key, p);
      p.total = end;
    } else if (p.total !== undefined && end > p.total) {
      return this.discard(key, p);
    }
    if (p.ranges.some(([s, e]) => s < end && offset < e)) this.counters.overlaps++;
    p.frags.push({ offset, data: data.slice() });
    p.bytes += data.length;
    this.heldBytes += data.length;
    if (offset === 0 && !p.firstHeader) p.firstHeader = header.slice();
    p.ranges = mergeRange(p.ranges, offset, end);
    if (p.total === undefined || p.ranges.length !== 1 || p.ranges[0][0] !== 0 || p.ranges[0][1] !== p.total) return undefined;
    // Complete: earliest arrivals win, so write in reverse arrival order.
    const out = new Uint8Array(p.total);
    for (let i = p.frags.length - 1; i >= 0; i--) out.set(p.frags[i].data, p.frags[i].offset);
    this.remove(key, p);
    this.counters.reassembled++;
    return out;
  }

  private discard(key: string, p: Partial): undefined {
    this.counters.dropped++;
    this.remove(key, p);
    return undefined;
  }

  private remove(key: string, p: Partial): void {
    this.heldBytes -= p.bytes;
    this.partials.delete(key);
  }

  /** Earliest timeout of a partial datagram, or undefined. */
  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const p of this.partials.values()) if (t === undefined || p.deadlineNs < t) t = p.deadlineNs;
    return t;
  }

  /** Drop partial datagrams whose time is up at `now`; returns them (for ICMP). */
  expire(now: number): ExpiredDatagram[] {
    const out: ExpiredDatagram[] = [];
    for (const [key, p] of [...this.partials]) {
      if (p.deadlineNs > now) continue;
      this.remove(key, p);
      this.counters.timedOut++;
      out.push({ src: p.src, dst: p.dst, quote: p.firstHeader });
    }
    return out;
  }

  /** Partial datagrams and bytes held now. */
  usage(): { datagrams: number; bytes: number } {
    return { datagrams: this.partials.size, bytes: this.heldBytes };
  }
}

function mergeRange(ranges: [number, number][], s: number, e: number): [number, number][] {
  if (s === e) return ranges;
  const out: [number, number][] = [];
  let cur: [number, number] = [s, e];
  let placed = false;
  for (const r of ranges) {
    if (r[1] < cur[0]) out.push(r);
    else if (r[0] > cur[1]) {
      if (!placed) { out.push(cur); placed = true; }
      out.push(r);
    } else cur = [Math.min(cur[0], r[0]), Math.max(cur[1], r[1])];
  }
  if (!placed) out.push(cur);
  return out;
}
