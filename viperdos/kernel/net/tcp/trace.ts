// The per-connection trace: a bounded ring of samples in virtual time
// (cwnd, ssthresh, srtt, rttvar, rto, bytes in flight, retransmissions and
// the recovery events), oldest overwritten first.

import type { TcpTraceSample } from "./api.js";

export class TraceRing {
  private readonly ring: (TcpTraceSample | undefined)[];
  private next = 0;
  /** Samples ever recorded (recorded - capacity were overwritten, when positive). */
  recorded = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<TcpTraceSample | undefined>(Math.max(1, capacity));
  }

  push(s: TcpTraceSample): void {
    this.ring[this.next] = s;
    this.next = (this.next + 1) % this.ring.length;
    this.recorded++;
  }

  /** Samples oldest first, as copies. */
  samples(): TcpTraceSample[] {
    const out: TcpTraceSample[] = [];
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const s = this.ring[(this.next + i) % n];
      if (s) out.push({ ...s });
    }
    return out;
  }
}
