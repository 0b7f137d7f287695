// Scheduling timeline: which task ran on which CPU from when to when, for a
// notebook's "scheduling timeline" (Gantt) view. The scheduler calls
// switchTo() whenever a CPU's current task changes; gaps are idle time.
// Bounded: the oldest closed segments are dropped past `capacity`, so a
// long run cannot grow memory without limit (`dropped` counts them).

export interface TimelineSegment {
  cpu: number;
  task: number;
  startNs: number;
  /** null while the task is still running. */
  endNs: number | null;
}

export interface TimelineSnapshot {
  capacity: number;
  dropped: number;
  segments: TimelineSegment[];
}

/** A segment as stored: `removed` marks one trim() or clear() dropped (so a resumed task never revives it). */
interface StoredSegment extends TimelineSegment {
  removed: boolean;
}

export class Timeline {
  /** Segments in start order are segs[head..]; the slots before head are dropped ones (compacted now and then). */
  private segs: StoredSegment[] = [];
  private head = 0;
  /** Per CPU (index), its open segment; arrays, not Maps: switchTo runs on every context switch. */
  private open: (StoredSegment | undefined)[] = [];
  /** Per CPU, the segment closed last: a task resumed at the instant it stopped (yield, re-pick) extends it. */
  private lastClosed: (StoredSegment | undefined)[] = [];
  dropped = 0;
  enabled = true;

  constructor(readonly capacity = 10_000) {}

  /**
   * Records that `cpu` runs `task` (undefined = idle) from `nowNs`. Closes
   * the CPU's open segment; the same task continuing is not a new segment.
   */
  switchTo(cpu: number, task: number | undefined, nowNs: number): void {
    if (!this.enabled) return;
    while (this.open.length <= cpu) {
      this.open.push(undefined);
      this.lastClosed.push(undefined);
    }
    const cur = this.open[cpu];
    if (cur !== undefined && cur.task === task) return;
    if (cur !== undefined) {
      cur.endNs = Math.max(cur.startNs, nowNs);
      this.open[cpu] = undefined;
      this.lastClosed[cpu] = cur;
    }
    if (task === undefined) return;
    const prev = this.lastClosed[cpu];
    if (prev !== undefined && prev.task === task && prev.endNs === nowNs && !prev.removed) {
      prev.endNs = null;
      this.open[cpu] = prev;
      return;
    }
    const seg: StoredSegment = { cpu, task, startNs: nowNs, endNs: null, removed: false };
    this.segs.push(seg);
    this.open[cpu] = seg;
    if (this.segs.length - this.head > this.capacity) this.trim();
  }

  /** Copies of the segments in start order; open ones end at `nowNs` when given, else null. */
  segments(nowNs?: number): TimelineSegment[] {
    const out: TimelineSegment[] = [];
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i];
      out.push({ cpu: s.cpu, task: s.task, startNs: s.startNs, endNs: s.endNs ?? (nowNs === undefined ? null : Math.max(s.startNs, nowNs)) });
    }
    return out;
  }

  /** Total ns each task ran per CPU within the recorded segments (open ones up to `nowNs`). */
  totals(nowNs: number): Record<number, Record<number, number>> {
    const out: Record<number, Record<number, number>> = {};
    for (const s of this.segments(nowNs)) {
      const byCpu = (out[s.task] ??= {});
      byCpu[s.cpu] = (byCpu[s.cpu] ?? 0) + (s.endNs! - s.startNs);
    }
    return out;
  }

  clear(): void {
    const kept: StoredSegment[] = [];
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i];
      if (s.endNs !== null) s.removed = true;
      else kept.push(s);
    }
    this.segs = kept;
    this.head = 0;
    this.lastClosed.fill(undefined);
    this.dropped = 0;
  }

  snapshot(nowNs?: number): TimelineSnapshot {
    return { capacity: this.capacity, dropped: this.dropped, segments: this.segments(nowNs) };
  }

  private trim(): void {
    // Drop the oldest closed segments; open ones (at most one per CPU) stay,
    // in order, just before the new head. Trim to 90% of capacity so this
    // runs once per many pushes, and costs O(segments dropped), not O(all).
    const excess = this.segs.length - this.head - Math.floor(this.capacity * 0.9);
    const keptOpen: StoredSegment[] = [];
    let removed = 0;
    let i = this.head;
    for (; i < this.segs.length && removed < excess; i++) {
      const s = this.segs[i];
      if (s.endNs !== null) {
        s.removed = true;
        removed++;
      } else keptOpen.push(s);
    }
    for (let k = 0; k < keptOpen.length; k++) this.segs[i - keptOpen.length + k] = keptOpen[k];
    this.head = i - keptOpen.length;
    this.dropped += removed;
    if (this.head > this.capacity) {
      this.segs = this.segs.slice(this.head);
      this.head = 0;
    }
  }
}
