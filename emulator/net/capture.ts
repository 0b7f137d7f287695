// Packet capture for links: a bounded ring of what happened to each frame,
// in virtual time, exportable as a pcap file (nanosecond timestamps,
// LINKTYPE_ETHERNET) that Wireshark or tcpdump -r can open.
//
// A Link given `capture` records, per frame and direction:
//   "send"      when the sender hands it over (time = transmit time), then one of
//   "drop-queue" / "drop-red" / "drop-down" / "lost" at the same time, or
//   "deliver"   at the receiver when it arrives (twice for a duplicate).
// Records hold the frame bytes (shared, never changed). When the ring is
// full the oldest record goes and `overwritten` counts it.

export type CaptureEvent = "send" | "deliver" | "drop-queue" | "drop-red" | "drop-down" | "lost";

export interface CaptureRecord {
  tNs: number;
  /** Link name and direction, e.g. "a <-> b aToB". */
  where: string;
  event: CaptureEvent;
  frame: Uint8Array;
}

/** pcap global header magic for nanosecond timestamps. */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;

export class Capture {
  private ring: CaptureRecord[] = [];
  private start = 0;
  overwritten = 0;

  /** Keep at most `limit` records (>= 1). Errors: RangeError otherwise. */
  constructor(readonly limit = 10_000) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Capture: limit must be a positive integer (got ${limit})`);
  }

  add(rec: CaptureRecord): void {
    if (this.ring.length < this.limit) {
      this.ring.push(rec);
      return;
    }
    this.ring[this.start] = rec;
    this.start = (this.start + 1) % this.limit;
    this.overwritten++;
  }

  /** Records oldest first, optionally only those matching `filter`. */
  records(filter?: (r: CaptureRecord) => boolean): CaptureRecord[] {
    const all = [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
    return filter ? all.filter(filter) : all;
  }

  clear(): void {
    this.ring = [];
    this.start = 0;
    this.overwritten = 0;
  }

  /**
   * A pcap file of the matching records (default: every "deliver", i.e. what
   * receivers saw), sorted by time; timestamps are virtual ns since 0.
   */
  toPcap(filter: (r: CaptureRecord) => boolean = (r) => r.event === "deliver"): Uint8Array {
    const recs = this.records(filter).sort((x, y) => x.tNs - y.tNs);
    const size = 24 + recs.reduce((s, r) => s + 16 + r.frame.length, 0);
    const out = new Uint8Array(size);
    const v = new DataView(out.buffer);
    v.setUint32(0, PCAP_MAGIC_NS, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(16, 65535, true); // snaplen
    v.setUint32(20, LINKTYPE_ETHERNET, true);
    let o = 24;
    for (const r of recs) {
      const t = Math.max(0, Math.floor(r.tNs));
      v.setUint32(o, Math.floor(t / 1e9), true);
      v.setUint32(o + 4, t % 1e9, true);
      v.setUint32(o + 8, r.frame.length, true);
      v.setUint32(o + 12, r.frame.length, true);
      out.set(r.frame, o + 16);
      o += 16 + r.frame.length;
    }
    return out;
  }

  /** JSON summary: counts per event and the newest `last` records without bytes. */
  snapshot(last = 20): { records: number; overwritten: number; byEvent: Record<string, number>; recent: { tNs: number; where: string; event: CaptureEvent; len: number }[] } {
    const all = this.records();
    const byEvent: Record<string, number> = {};
    for (const r of all) byEvent[r.event] = (byEvent[r.event] ?? 0) + 1;
    const recent = all.slice(-last).map((r) => ({ tNs: r.tNs, where: r.where, event: r.event, len: r.frame.length }));
    return { records: all.length, overwritten: this.overwritten, byEvent, recent };
  }
}
