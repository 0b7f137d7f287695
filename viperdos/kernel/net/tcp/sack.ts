// The sender's SACK scoreboard (RFC 2018 blocks received, used as RFC 6675
// describes): which bytes above SND.UNA the peer holds, which holes count as
// lost, and the estimate of bytes in the network ("pipe").

import { seqDiff, seqGeq, seqGt, seqLeq, seqLt, seqMax, type SackBlock } from "./segment.js";

/** DupThresh (RFC 6675 / RFC 5681): 3. */
export const DUP_THRESH = 3;

export interface Hole {
  start: number;
  end: number;
  /** Enough is SACKed above it (IsLost, RFC 6675 section 4). */
  lost: boolean;
}

export class SackScoreboard {
  /** Disjoint SACKed ranges, ascending. */
  private ranges: SackBlock[] = [];

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** Record blocks from one ACK; blocks outside (una, max] are ignored (RFC 2018 says
   *  they are invalid: a lying or confused peer cannot grow the scoreboard without bound). */
  update(blocks: readonly SackBlock[], una: number, max: number): boolean {
    let changed = false;
    for (const b of blocks) {
      if (!seqLt(b.left, b.right) || seqLeq(b.left, una) && seqLeq(b.right, una)) continue;
      if (seqLt(b.left, una) || seqGt(b.right, max)) continue;
      changed = this.add(b.left, b.right) || changed;
    }
    return changed;
  }

  private add(left: number, right: number): boolean {
    let lo = left;
    let hi = right;
    const keep: SackBlock[] = [];
    let covered = false;
    for (const r of this.ranges) {
      if (seqLeq(r.left, left) && seqGeq(r.right, right)) covered = true;
      if (seqLeq(r.left, hi) && seqLeq(lo, r.right)) {
        if (seqLt(r.left, lo)) lo = r.left;
        if (seqGt(r.right, hi)) hi = r.right;
      } else keep.push(r);
    }
    if (covered) return false;
    let i = 0;
    while (i < keep.length && seqLt(keep[i]!.left, lo)) i++;
    keep.splice(i, 0, { left: lo, right: hi });
    this.ranges = keep;
    return true;
  }

  /** Forget everything below una (cumulatively acknowledged). */
  advance(una: number): void {
    this.ranges = this.ranges
      .filter((r) => seqGt(r.right, una))
      .map((r) => ({ left: seqMax(r.left, una), right: r.right }));
  }

  clear(): void {
    this.ranges = [];
  }

  isSacked(seq: number): boolean {
    return this.ranges.some((r) => seqLeq(r.left, seq) && seqLt(seq, r.right));
  }

  /** The SACKed range holding seq, or the first one above it. */
  rangeAtOrAfter(seq: number): SackBlock | undefined {
    return this.ranges.find((r) => seqGt(r.right, seq));
  }

  /** SACKed bytes at or above seq. */
  sackedAbove(seq: number): number {
    let n = 0;
    for (const r of this.ranges) if (seqGt(r.right, seq)) n += seqDiff(seqMax(r.left, seq), r.right);
    return n;
  }

  /** Highest SACKed sequence + 1, or undefined. */
  highest(): number | undefined {
    return this.ranges.length ? this.ranges[this.ranges.length - 1]!.right : undefined;
  }

  totalSacked(): number {
    return this.ranges.reduce((n, r) => n + seqDiff(r.left, r.right), 0);
  }

  /** The un-SACKed holes in [una, nxt), each marked lost when more than
   *  (DupThresh - 1) * MSS bytes are SACKed above it. */
  holes(una: number, nxt: number, mss: number): Hole[] {
    const out: Hole[] = [];
    let pos = una;
    for (const r of this.ranges) {
      if (seqGeq(r.left, nxt)) break;
      if (seqLt(pos, r.left)) out.push({ start: pos, end: r.left, lost: false });
      if (seqGt(r.right, pos)) pos = r.right;
    }
    if (seqLt(pos, nxt)) out.push({ start: pos, end: nxt, lost: false });
    for (const h of out) h.lost = this.sackedAbove(h.end) > (DUP_THRESH - 1) * mss;
    return out;
  }

  blocks(): SackBlock[] {
    return this.ranges.map((r) => ({ ...r }));
  }
}
