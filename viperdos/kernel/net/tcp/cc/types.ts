// The congestion-control interface: growth of cwnd on ACKs and the
// reductions on loss. Loss *detection* and recovery (dupacks, SACK,
// NewReno partial ACKs) live in the connection; a controller only decides
// the windows, so NewReno and CUBIC share one recovery machine.

import type { CongestionControlName } from "../api.js";

/** The windows a controller updates (bytes). */
export interface CcWindows {
  cwnd: number;
  ssthresh: number;
  /** The sender MSS (SMSS). */
  readonly mss: number;
}

export interface CongestionController {
  readonly name: CongestionControlName;
  /** ackedBytes of new data were acknowledged outside loss recovery. */
  onAck(w: CcWindows, ackedBytes: number, nowNs: number, srttNs: number): void;
  /** Loss detected by dupacks/SACK: set ssthresh, and cwnd = ssthresh (the recovery
   *  machine may inflate it, RFC 6582). flightSize: bytes outstanding at detection. */
  onCongestion(w: CcWindows, flightSize: number, nowNs: number): void;
  /** The retransmission timer expired: ssthresh reduced, cwnd = 1 MSS (loss window). */
  onRto(w: CcWindows, flightSize: number, nowNs: number): void;
  /** Internal state as plain JSON (for snapshots). */
  state(): Record<string, number>;
}

/** RFC 5681 slow start with RFC 3465 byte counting, L = 2*SMSS (so a delayed-ACK
 *  receiver still doubles cwnd per round trip). Returns bytes left over past ssthresh. */
export function slowStart(w: CcWindows, ackedBytes: number): number {
  const room = Math.max(0, w.ssthresh - w.cwnd);
  const inc = Math.min(ackedBytes, 2 * w.mss);
  w.cwnd += Math.min(inc, room);
  return inc > room ? ackedBytes - room : 0;
}
