// Retransmission timer (RFC 6298): SRTT/RTTVAR smoothing, RTO = SRTT +
// max(G, 4*RTTVAR) bounded below by minRto (RFC says 1 s; 200 ms as Linux,
// configurable) and above by maxRto (>= 60 s), exponential backoff on
// expiry (5.5) kept until a new sample (5.7). Karn's rule (no samples from
// retransmitted segments) is the caller's: it only feeds clean samples.

/** Clock granularity G: the engine's timers are exact in virtual time; 1 ms as a floor. */
const GRANULARITY_NS = 1_000_000;

export class RttEstimator {
  srttNs = 0;
  rttvarNs = 0;
  /** The current RTO, backoff included. */
  rtoNs: number;
  /** Times the RTO doubled since the last sample. */
  backoffs = 0;
  /** A sample has been taken (SRTT valid). */
  hasSample = false;
  latestRttNs = 0;
  minRttNs = 0;

  constructor(private readonly minRtoNs: number, private readonly maxRtoNs: number, initialRtoNs: number) {
    this.rtoNs = clamp(initialRtoNs, minRtoNs, maxRtoNs);
  }

  /** Fold in one RTT measurement R (ns, > 0); resets backoff. */
  sample(rNs: number): void {
    if (!(rNs > 0)) rNs = 1;
    this.latestRttNs = rNs;
    this.minRttNs = this.hasSample ? Math.min(this.minRttNs, rNs) : rNs;
    if (!this.hasSample) {
      this.srttNs = rNs;                      // (2.2)
      this.rttvarNs = rNs / 2;
      this.hasSample = true;
    } else {
      this.rttvarNs = 0.75 * this.rttvarNs + 0.25 * Math.abs(this.srttNs - rNs); // (2.3), beta 1/4
      this.srttNs = 0.875 * this.srttNs + 0.125 * rNs;                            // alpha 1/8
    }
    this.backoffs = 0;
    this.rtoNs = clamp(Math.round(this.srttNs + Math.max(GRANULARITY_NS, 4 * this.rttvarNs)), this.minRtoNs, this.maxRtoNs);
  }

  /** The timer expired: RTO = RTO * 2, up to maxRto (5.5). */
  backoff(): void {
    this.backoffs++;
    this.rtoNs = Math.min(this.rtoNs * 2, this.maxRtoNs);
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}
