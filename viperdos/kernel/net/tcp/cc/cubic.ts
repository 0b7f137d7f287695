// CUBIC (RFC 9438). Windows are kept in bytes by the connection; the cubic
// function works in segments and seconds as the RFC writes it:
//
//   W_cubic(t) = C * (t - K)^3 + W_max            (eq. 1), C = 0.4
//   K = cbrt((W_max - cwnd_epoch) / C)            (eq. 2)
//   on loss: ssthresh = cwnd * beta, beta = 0.7   (4.6)
//   fast convergence: W_max = cwnd * (1 + beta) / 2 when cwnd < W_max (4.7)
//   Reno-friendly region: W_est += alpha * acked/cwnd, alpha = 3(1-beta)/(1+beta),
//   alpha = 1 once W_est >= cwnd_prior (4.3); cwnd = W_est while W_cubic(t) < W_est.
//   Concave/convex regions: cwnd grows by (target - cwnd)/cwnd per segment acked,
//   target = W_cubic(t + RTT) clamped to [cwnd, 1.5 cwnd] (4.4, 4.5).

import { slowStart, type CcWindows, type CongestionController } from "./types.js";

const C = 0.4;
const BETA = 0.7;
const ALPHA_RENO = (3 * (1 - BETA)) / (1 + BETA);

export class Cubic implements CongestionController {
  readonly name = "cubic" as const;
  /** W_max in segments (0: no loss seen yet). */
  private wMax = 0;
  /** cwnd when ssthresh was last set (segments): where alpha becomes 1. */
  private cwndPrior = 0;
  private k = 0;
  /** Start of the current congestion-avoidance epoch (ns), or -1. */
  private epochStartNs = -1;
  private wEst = 0;
  /** Which region the last increase used (for traces and tests). */
  region: "slow-start" | "reno-friendly" | "concave" | "convex" = "slow-start";

  constructor(private readonly fastConvergence = true) {}

  onAck(w: CcWindows, ackedBytes: number, nowNs: number, srttNs: number): void {
    if (w.cwnd < w.ssthresh) {
      this.region = "slow-start";
      ackedBytes = slowStart(w, ackedBytes);
      if (ackedBytes === 0) return;
    }
    const mss = w.mss;
    const cwndSeg = w.cwnd / mss;
    if (this.epochStartNs < 0) {
      this.epochStartNs = nowNs;
      if (this.wMax < cwndSeg) {
        // No loss yet, or cwnd already beyond W_max: the plateau is here.
        this.wMax = cwndSeg;
        this.k = 0;
      } else {
        this.k = Math.cbrt((this.wMax - cwndSeg) / C);
      }
      this.wEst = cwndSeg;
    }
    const acked = ackedBytes / mss;
    const t = (nowNs - this.epochStartNs) / 1e9;
    const rtt = srttNs / 1e9;
    const wCubic = (x: number) => C * (x - this.k) ** 3 + this.wMax;

    const alpha = this.wEst >= this.cwndPrior ? 1 : ALPHA_RENO;
    this.wEst += (alpha * acked) / cwndSeg;

    if (wCubic(t) < this.wEst) {
      this.region = "reno-friendly";
      w.cwnd = Math.max(w.cwnd, this.wEst * mss);
      return;
    }
    let target = wCubic(t + rtt);
    if (target < cwndSeg) target = cwndSeg;
    if (target > 1.5 * cwndSeg) target = 1.5 * cwndSeg;
    this.region = cwndSeg < this.wMax ? "concave" : "convex";
    w.cwnd += ((target - cwndSeg) / cwndSeg) * acked * mss;
  }

  private reduce(w: CcWindows): void {
    const cwndSeg = w.cwnd / w.mss;
    this.wMax = this.fastConvergence && cwndSeg < this.wMax ? (cwndSeg * (1 + BETA)) / 2 : cwndSeg;
    this.cwndPrior = cwndSeg;
    w.ssthresh = Math.max(Math.floor(w.cwnd * BETA), 2 * w.mss);
    this.epochStartNs = -1;
  }

  onCongestion(w: CcWindows): void {
    this.reduce(w);
    w.cwnd = w.ssthresh;
  }

  onRto(w: CcWindows): void {
    this.reduce(w);
    w.cwnd = w.mss;
  }

  state(): Record<string, number> {
    return { wMax: this.wMax, k: this.k, wEst: this.wEst, epochStartNs: this.epochStartNs };
  }
}
