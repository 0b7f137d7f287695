// The receive side of a connection (RFC 9293 3.10.7.4 steps one, seven and
// eight; RFC 7323 window scaling; RFC 2018 SACK blocks): RCV.NXT, the
// advertised window and its right edge, the in-order buffer the application
// reads, and the bounded reassembly queue for out-of-order data. ACK policy
// (delayed or immediate) stays with the connection.

import { ByteRing, ReassemblyQueue } from "./buffer.js";
import { segmentLength, seqAdd, seqDiff, seqLeq, seqLt, seqMax, type SackBlock, type TcpSegment } from "./segment.js";

/** The largest window field before scaling. */
export const MAX_WINDOW_FIELD = 0xffff;

/** What one segment's text did (see Receiver.take). */
export interface Arrival {
  /** Bytes that became in-order (including ones pulled from the reassembly queue). */
  delivered: number;
  /** The data lies beyond RCV.NXT: kept for later (or dropped when the queue is full). */
  outOfOrder: boolean;
  /** Queued out-of-order data followed the new bytes (a hole was filled). */
  filledHole: boolean;
  /** The peer's FIN is now next in sequence (call consumeFin). */
  finReached: boolean;
}

export class Receiver {
  irs = 0;
  /** RCV.NXT */
  nxt = 0;
  /** RCV.NXT + the window we last advertised (never moves left). */
  advEdge = 0;
  /** Our window shift (RFC 7323), 0 when the peer did not agree to scaling. */
  wscale = 0;
  readonly buf: ByteRing;
  readonly ooo: ReassemblyQueue;
  /** Sequence number of the peer's FIN, once seen (possibly out of order). */
  private finSeq: number | undefined;
  finReceived = false;

  constructor(bufBytes: number, reassemblyLimit: number) {
    this.buf = new ByteRing(bufBytes);
    this.ooo = new ReassemblyQueue(reassemblyLimit);
    // Smallest shift that lets the window field describe the whole buffer (RFC 7323 2.3).
    while (this.wscale < 14 && bufBytes >> this.wscale > MAX_WINDOW_FIELD) this.wscale++;
  }

  /** The peer's SYN arrived: RCV.NXT = its ISN + 1. */
  start(synSeq: number): void {
    this.irs = synSeq;
    this.nxt = seqAdd(synSeq, 1);
    this.advEdge = this.nxt;
  }

  /** The window currently advertised (bytes). */
  get window(): number {
    return Math.max(0, seqDiff(this.nxt, this.advEdge));
  }

  /** The acceptability test of RFC 9293 3.10.7.4 (first check). */
  acceptable(seg: TcpSegment): boolean {
    const len = segmentLength(seg);
    const wnd = this.window;
    const inWin = (s: number) => seqLeq(this.nxt, s) && seqLt(s, seqAdd(this.nxt, wnd));
    if (len === 0) return wnd === 0 ? seg.seq === this.nxt : inWin(seg.seq);
    if (wnd === 0) return false;
    return inWin(seg.seq) || inWin(seqAdd(seg.seq, len - 1));
  }

  /** Steps seven and eight: trim the text to [RCV.NXT, right edge), queue it in
   *  order or for reassembly, note a FIN. discard: consume without buffering
   *  (nobody will read after close()). */
  take(seq: number, payload: Uint8Array, fin: boolean, discard: boolean): Arrival {
    let data = payload;
    const before = seqDiff(seq, this.nxt);
    if (before > 0) {
      data = data.subarray(Math.min(before, data.length));
      seq = seqAdd(seq, before);
    }
    const room = Math.max(0, seqDiff(seq, this.advEdge));
    if (data.length > room) {
      data = data.subarray(0, room);
      fin = false; // the FIN lies beyond the window
    }
    if (fin) this.finSeq = seqAdd(seq, data.length);
    const arrival: Arrival = { delivered: 0, outOfOrder: false, filledHole: false, finReached: false };
    if (seq !== this.nxt) {
      // Kept unless the queue is full (then dropped: the peer retransmits).
      if (data.length > 0) this.ooo.insert(seq, data.slice());
      arrival.outOfOrder = true;
      return arrival;
    }
    if (data.length > 0) arrival.delivered = this.append(data, discard);
    arrival.filledHole = this.ooo.count > 0;
    for (let chunk = this.ooo.pull(this.nxt); chunk; chunk = this.ooo.pull(this.nxt)) {
      const n = this.append(chunk, discard);
      arrival.delivered += n;
      if (n < chunk.length) {
        this.ooo.unpull(this.nxt, chunk.subarray(n));
        break;
      }
    }
    arrival.finReached = !this.finReceived && this.finSeq !== undefined && this.finSeq === this.nxt;
    return arrival;
  }

  private append(data: Uint8Array, discard: boolean): number {
    const n = discard ? data.length : this.buf.push(data);
    this.nxt = seqAdd(this.nxt, n);
    return n;
  }

  /** The FIN is next in sequence: it occupies one sequence number; nothing follows it. */
  consumeFin(): void {
    this.nxt = seqAdd(this.nxt, 1);
    this.finReceived = true;
    this.ooo.clear();
  }

  /** Up to max in-order bytes for the application (undefined when none). */
  read(max: number): Uint8Array | undefined {
    if (this.buf.length === 0) return undefined;
    const n = Math.min(Math.floor(max), this.buf.length);
    const out = this.buf.peek(0, n);
    this.buf.drop(n);
    return out;
  }

  /** Free receive space, as much of it as the window field can express. */
  private room(): number {
    return Math.min(this.buf.free, MAX_WINDOW_FIELD * 2 ** this.wscale);
  }

  /** The window field for an outgoing segment. Moves the right edge right only by
   *  worthwhile amounts (receiver SWS avoidance, RFC 9293 3.8.6.2.2), never left. */
  advertise(mss: number): number {
    const edge = seqAdd(this.nxt, this.room());
    const growth = seqDiff(this.advEdge, edge);
    if (growth > 0 && (growth >= Math.min(this.buf.capacity / 2, mss) || this.window === 0)) this.advEdge = edge;
    if (seqLt(this.advEdge, this.nxt)) this.advEdge = this.nxt;
    const field = Math.min(this.window >> this.wscale, MAX_WINDOW_FIELD);
    // Record exactly what the field says, so our acceptability test matches the peer's view.
    this.advEdge = seqAdd(this.nxt, field << this.wscale);
    return field;
  }

  /** A window sent unscaled (in a SYN,ACK). */
  advertisedUnscaled(window: number): void {
    this.advEdge = seqMax(this.advEdge, seqAdd(this.nxt, window));
  }

  /** After the application read: is the window now enough larger to announce? */
  windowUpdateDue(mss: number): boolean {
    if (this.finReceived) return false;
    const growth = seqDiff(this.advEdge, seqAdd(this.nxt, this.room()));
    return growth >= Math.min(this.buf.capacity / 2, 2 * mss) || (this.window < mss && growth >= mss);
  }

  sackBlocks(max: number): SackBlock[] {
    return this.ooo.sackBlocks(max);
  }

  /** A reset: drop everything queued. */
  discardAll(): void {
    this.buf.drop(this.buf.length);
    this.ooo.clear();
  }
}
