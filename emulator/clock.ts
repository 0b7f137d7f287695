// Virtual time and the event queue.
//
// Virtual time is a count of nanoseconds held in a JS number (exact up to
// 2^53 ns, about 104 days). Nothing here reads the wall clock. Events are
// ordered by due time, then by the order they were scheduled, so two runs
// that schedule the same events in the same order fire them identically.

/** A scheduled event; pass it to cancel(). */
export interface EventHandle {
  readonly atNs: number;
  readonly seq: number;
  /** True once the event has run or been cancelled. */
  done: boolean;
  readonly callback: (nowNs: number) => void;
}

export class VirtualClock {
  private nowNs = 0;
  private seq = 0;
  /** Binary min-heap ordered by (atNs, seq). */
  private heap: EventHandle[] = [];

  /** Current virtual time in nanoseconds. */
  now(): number {
    return this.nowNs;
  }

  /**
   * Move time forward to `ns` without running events (the machine's run loop
   * calls runDue afterwards). Moving backwards is a bug and throws.
   */
  advanceTo(ns: number): void {
    if (ns < this.nowNs) throw new Error(`VirtualClock.advanceTo: ${ns} is before now ${this.nowNs}`);
    this.nowNs = ns;
  }

  /**
   * Schedule `callback(nowNs)` to run at virtual time `atNs` (clamped to now:
   * an event in the past runs at the next runDue). Returns a cancellable handle.
   */
  schedule(atNs: number, callback: (nowNs: number) => void): EventHandle {
    const ev: EventHandle = { atNs: Math.max(atNs, this.nowNs), seq: this.seq++, done: false, callback };
    this.push(ev);
    return ev;
  }

  /** Cancel a pending event; cancelling a finished event does nothing. */
  cancel(ev: EventHandle | undefined): void {
    if (ev) ev.done = true;
  }

  /** Due time of the earliest pending event, or undefined. */
  nextEventNs(): number | undefined {
    this.dropDone();
    return this.heap.length > 0 ? this.heap[0].atNs : undefined;
  }

  /**
   * Run, in order, every event due at or before `until` (default: now),
   * including events scheduled by those callbacks; each runs with the clock
   * at its own due time (or now, if that is later). Afterwards the clock
   * reads `until` if that is later than now. Returns how many ran.
   */
  runDue(until = this.nowNs): number {
    let n = 0;
    for (;;) {
      this.dropDone();
      const top = this.heap[0];
      if (top === undefined || top.atNs > Math.max(until, this.nowNs)) break;
      this.pop();
      top.done = true;
      if (top.atNs > this.nowNs) this.nowNs = top.atNs;
      top.callback(this.nowNs);
      n++;
    }
    if (until > this.nowNs) this.nowNs = until;
    return n;
  }

  /** Number of pending (not cancelled) events. */
  pending(): number {
    return this.heap.filter((e) => !e.done).length;
  }

  /** Time only; events hold closures and are re-created by their owners' loadState. */
  saveState(): { nowNs: number } {
    return { nowNs: this.nowNs };
  }

  loadState(st: { nowNs: number }): void {
    this.nowNs = st.nowNs;
  }

  private dropDone(): void {
    while (this.heap.length > 0 && this.heap[0].done) this.pop();
  }

  private static before(a: EventHandle, b: EventHandle): boolean {
    return a.atNs < b.atNs || (a.atNs === b.atNs && a.seq < b.seq);
  }

  private push(ev: EventHandle): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!VirtualClock.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): EventHandle | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && VirtualClock.before(h[l], h[m])) m = l;
        if (r < h.length && VirtualClock.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
