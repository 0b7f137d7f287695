// NewReno windows (RFC 5681 section 3.1; recovery per RFC 6582 lives in conn.ts):
// slow start below ssthresh, then one SMSS per cwnd of acknowledged bytes
// (appropriate byte counting, RFC 3465), ssthresh = max(FlightSize/2, 2*SMSS)
// on loss.

import { slowStart, type CcWindows, type CongestionController } from "./types.js";

export class NewReno implements CongestionController {
  readonly name = "newreno" as const;
  /** Bytes acknowledged toward the next congestion-avoidance increase. */
  private bytesAcked = 0;

  onAck(w: CcWindows, ackedBytes: number): void {
    if (w.cwnd < w.ssthresh) {
      ackedBytes = slowStart(w, ackedBytes);
      if (ackedBytes === 0) return;
    }
    this.bytesAcked += ackedBytes;
    if (this.bytesAcked >= w.cwnd) {
      this.bytesAcked -= w.cwnd;
      w.cwnd += w.mss;
    }
  }

  onCongestion(w: CcWindows, flightSize: number): void {
    w.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * w.mss);
    w.cwnd = w.ssthresh;
    this.bytesAcked = 0;
  }

  onRto(w: CcWindows, flightSize: number): void {
    w.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * w.mss);
    w.cwnd = w.mss;
    this.bytesAcked = 0;
  }

  state(): Record<string, number> {
    return { bytesAcked: this.bytesAcked };
  }
}
