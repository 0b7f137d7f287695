// Byte buffers of a connection: a fixed-capacity ring for the send buffer
// and the in-order receive buffer, and the bounded reassembly queue that
// holds out-of-order segments until the gap before them fills.

import { seqAdd, seqDiff, seqGt, seqLeq, seqLt, type SackBlock } from "./segment.js";

/** A FIFO of bytes with a fixed capacity. Storage grows on demand (doubling) up
 *  to the capacity and shrinks back when emptied, so idle, half-open and
 *  TIME-WAIT connections cost little memory. */
export class ByteRing {
  private buf: Uint8Array;
  private head = 0;
  length = 0;

  constructor(readonly capacity: number, private readonly initial = 4096) {
    this.buf = new Uint8Array(Math.min(capacity, initial));
  }

  get free(): number {
    return this.capacity - this.length;
  }

  /** Bytes of storage held now (for memory accounting). */
  get allocated(): number {
    return this.buf.length;
  }

  private ensure(n: number): void {
    if (this.buf.length >= n) return;
    const next = new Uint8Array(Math.min(this.capacity, Math.max(n, this.buf.length * 2)));
    next.set(this.peek(0, this.length));
    this.buf = next;
    this.head = 0;
  }

  /** Append as much of bytes as fits; returns the count taken. */
  push(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, this.free);
    this.ensure(this.length + n);
    const size = this.buf.length;
    let tail = (this.head + this.length) % size;
    let done = 0;
    while (done < n) {
      const run = Math.min(n - done, size - tail);
      this.buf.set(bytes.subarray(done, done + run), tail);
      done += run;
      tail = (tail + run) % size;
    }
    this.length += n;
    return n;
  }

  /** Copy len bytes starting offset bytes from the front (clamped to what is held). */
  peek(offset: number, len: number): Uint8Array {
    len = Math.max(0, Math.min(len, this.length - offset));
    const out = new Uint8Array(len);
    const size = this.buf.length;
    let pos = (this.head + offset) % size;
    let done = 0;
    while (done < len) {
      const run = Math.min(len - done, size - pos);
      out.set(this.buf.subarray(pos, pos + run), done);
      done += run;
      pos = (pos + run) % size;
    }
    return out;
  }

  /** Discard n bytes from the front; storage shrinks back once empty. */
  drop(n: number): void {
    n = Math.max(0, Math.min(n, this.length));
    this.head = (this.head + n) % this.buf.length;
    this.length -= n;
    if (this.length === 0) {
      this.head = 0;
      if (this.buf.length > this.initial) this.buf = new Uint8Array(Math.min(this.capacity, this.initial));
    }
  }
}

interface OooSegment {
  seq: number;
  data: Uint8Array;
}

/** Out-of-order data above RCV.NXT, merged into disjoint ranges, bounded in count.
 *  Also remembers which ranges arrived most recently (RFC 2018: the first SACK
 *  block reports the newest). */
export class ReassemblyQueue {
  private readonly segs: OooSegment[] = [];
  private recent: number[] = [];

  constructor(private readonly limit: number) {}

  get count(): number {
    return this.segs.length;
  }

  get bytes(): number {
    let n = 0;
    for (const s of this.segs) n += s.data.length;
    return n;
  }

  /** Keep data at seq (above rcvNxt, already trimmed to the window). Returns false
   *  when the queue is full and the data would form a new range (dropped). */
  insert(seq: number, data: Uint8Array): boolean {
    if (data.length === 0) return true;
    let lo = seq;
    let hi = seqAdd(seq, data.length);
    const touching: OooSegment[] = [];
    for (const s of this.segs) {
      const sEnd = seqAdd(s.seq, s.data.length);
      if (seqLeq(s.seq, hi) && seqLeq(lo, sEnd)) touching.push(s);
    }
    if (touching.length === 0 && this.segs.length >= this.limit) return false;
    for (const s of touching) {
      if (seqLt(s.seq, lo)) lo = s.seq;
      const sEnd = seqAdd(s.seq, s.data.length);
      if (seqGt(sEnd, hi)) hi = sEnd;
    }
    const merged = new Uint8Array(seqDiff(lo, hi));
    for (const s of touching) merged.set(s.data, seqDiff(lo, s.seq));
    merged.set(data, seqDiff(lo, seq)); // newest bytes win (they are equal in a correct peer)
    for (const s of touching) this.segs.splice(this.segs.indexOf(s), 1);
    let i = 0;
    while (i < this.segs.length && seqLt(this.segs[i]!.seq, lo)) i++;
    this.segs.splice(i, 0, { seq: lo, data: merged });
    this.recent = [seq, ...this.recent.filter((r) => r !== seq)].slice(0, 4);
    return true;
  }

  /** Remove and return the data now in order at rcvNxt (bytes below rcvNxt are trimmed). */
  pull(rcvNxt: number): Uint8Array | undefined {
    // Ranges entirely below rcvNxt are stale duplicates.
    while (this.segs.length > 0 && seqLeq(seqAdd(this.segs[0]!.seq, this.segs[0]!.data.length), rcvNxt)) this.segs.shift();
    const first = this.segs[0];
    if (!first || seqGt(first.seq, rcvNxt)) return undefined;
    this.segs.shift();
    return first.data.subarray(seqDiff(first.seq, rcvNxt));
  }

  /** Put back bytes that did not fit in the receive buffer (front of the queue). */
  unpull(seq: number, data: Uint8Array): void {
    if (data.length > 0) this.segs.unshift({ seq, data: data.slice() });
  }

  /** SACK blocks (RFC 2018 4): the range holding the newest arrival first, then
   *  other recent ones, then the rest from the highest; at most max. */
  sackBlocks(max: number): SackBlock[] {
    const blocks: SackBlock[] = [];
    const add = (s: OooSegment) => {
      if (blocks.length >= max || blocks.some((b) => b.left === s.seq)) return;
      blocks.push({ left: s.seq, right: seqAdd(s.seq, s.data.length) });
    };
    for (const r of this.recent) {
      const s = this.segs.find((x) => seqLeq(x.seq, r) && seqLt(r, seqAdd(x.seq, x.data.length)));
      if (s) add(s);
    }
    for (let i = this.segs.length - 1; i >= 0; i--) add(this.segs[i]!);
    return blocks;
  }

  clear(): void {
    this.segs.length = 0;
    this.recent = [];
  }
}
