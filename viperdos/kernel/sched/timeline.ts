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

export class Timeline {
  private segs: TimelineSegment[] = [];
  private open = new Map<number, TimelineSegment>();
  /** Per CPU, the segment closed last: a task resumed at the instant it stopped (yield, re-pick) extends it. */
  private lastClosed = new Map<number, TimelineSegment>();
  /** Segments trim() or clear() removed (so a resumed task never revives one): O(1) instead of segs.includes. */
  private removed = new WeakSet<TimelineSegment>();
  dropped = 0;
  enabled = true;

  constructor(readonly capacity = 10_000) {}

  /**
   * Records that `cpu` runs `task` (undefined = idle) from `nowNs`. Closes
   * the CPU's open segment; the same task continuing is not a new segment.
   */
  switchTo(cpu: number, task: number | undefined, nowNs: number): void {
    if (!this.enabled) return;
    const cur = this.open.get(cpu);
    if (cur && cur.task === task) return;
    if (cur) {
      cur.endNs = Math.max(cur.startNs, nowNs);
      this.open.delete(cpu);
      this.lastClosed.set(cpu, cur);
    }
    if (task === undefined) return;
    const prev = this.lastClosed.get(cpu);
    if (prev && prev.task === task && prev.endNs === nowNs && !this.removed.has(prev)) {
      prev.endNs = null;
      this.open.set(cpu, prev);
      return;
    }
    const seg: TimelineSegment = { cpu, task, startNs: nowNs, endNs: null };
    this.segs.push(seg);
    this.open.set(cpu, seg);
    if (this.segs.length > this.capacity) this.trim();
  }

  /** Copies of the segments in start order; open ones end at `nowNs` when given, else null. */
  segments(nowNs?: number): TimelineSegment[] {
    return this.segs.map((s) => ({ ...s, endNs: s.endNs ?? (nowNs === undefined ? null : Math.max(s.startNs, nowNs)) }));
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
    for (const s of this.segs) if (s.endNs !== null) this.removed.add(s);
    this.segs = this.segs.filter((s) => s.endNs === null);
    this.lastClosed.clear();
    this.dropped = 0;
  }

  snapshot(nowNs?: number): TimelineSnapshot {
    return { capacity: this.capacity, dropped: this.dropped, segments: this.segments(nowNs) };
  }

  private trim(): void {
    // Drop the oldest closed segments; open ones (at most one per CPU) stay.
    // Trim to 90% of capacity so the O(n) filter runs once per many pushes.
    const excess = this.segs.length - Math.floor(this.capacity * 0.9);
    let removed = 0;
    this.segs = this.segs.filter((s) => {
      if (removed < excess && s.endNs !== null) {
        removed++;
        this.removed.add(s);
        return false;
      }
      return true;
    });
    this.dropped += removed;
  }
}
