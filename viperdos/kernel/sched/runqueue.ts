// One CPU's run queue: the task it runs (`current`), the tasks waiting for
// it in three classes, and its accounting.
//
//   deadline  sorted by (absolute deadline, id)         EDF
//   rt[0..7]  one FIFO list per queue level             FIFO / RR
//   fair      sorted by (vruntime, id)                  CFS-like
//
// The current task is never in a queue. Queues are sorted arrays: run
// queues hold tens of tasks here, and an array is what a notebook shows; a
// balanced tree would be the step if they grew to thousands.

import { QUEUE_LEVELS } from "./policy.js";
import type { SchedTask } from "./task.js";

export interface RunQueueSnapshot {
  cpu: number;
  current: number | null;
  /** Tasks on this CPU that can run: current + queued. */
  load: number;
  needResched: boolean;
  minVruntime: number;
  idleNs: number;
  busyNs: number;
  switches: number;
  ticks: number;
  queues: { deadline: number[]; rt: number[][]; fair: number[] };
}

export class RunQueue {
  current: SchedTask | undefined = undefined;
  /** Id of the last task this CPU ran (a switch is counted when it changes). */
  lastRanId: number | undefined = undefined;
  /** Time up to which current's runtime / this CPU's idle time is accounted. */
  lastUpdateNs = 0;
  /** Monotonic floor of the fair vruntimes on this CPU (CFS's min_vruntime). */
  minVruntime = 0;
  idleNs = 0;
  busyNs = 0;
  switches = 0;
  /** Timer ticks taken while running a task (paces periodic balancing). */
  ticks = 0;
  /** Something better than current may be queued: the CPU should call pick(). */
  needResched = false;

  readonly deadline: SchedTask[] = [];
  readonly rt: SchedTask[][] = Array.from({ length: QUEUE_LEVELS }, () => []);
  readonly fair: SchedTask[] = [];

  constructor(readonly cpu: number) {}

  /** Number of queued (not running) tasks. */
  get queued(): number {
    let n = this.deadline.length + this.fair.length;
    for (const q of this.rt) n += q.length;
    return n;
  }

  /** Runnable tasks on this CPU: queued plus current. */
  get load(): number {
    return this.queued + (this.current ? 1 : 0);
  }

  /**
   * Queues `t` (state/cpu are the caller's business). RT tasks go to the
   * tail of their level, or the head when `atHead` (a preempted task keeps
   * its place). Precondition: `t` is in no queue.
   */
  enqueue(t: SchedTask, atHead = false): void {
    switch (t.classRank) {
      case 0:
        insertSorted(this.deadline, t, (a, b) => a.absDeadlineNs - b.absDeadlineNs || a.id - b.id);
        break;
      case 1: {
        const q = this.rt[t.level];
        if (atHead) q.unshift(t);
        else q.push(t);
        break;
      }
      default:
        insertSorted(this.fair, t, (a, b) => a.vruntime - b.vruntime || a.id - b.id);
    }
  }

  /** Removes `t` from whichever queue holds it. Returns false if it was not queued here. */
  dequeue(t: SchedTask): boolean {
    // Class order as in best(), without building the list of queues (this runs on every switch).
    if (removeFrom(this.deadline, t)) return true;
    for (const q of this.rt) if (removeFrom(q, t)) return true;
    return removeFrom(this.fair, t);
  }

  /**
   * The queued task this CPU would run next, in class order, optionally
   * only among tasks `allowed` (used by stealing). Undefined when none.
   */
  best(allowed?: (t: SchedTask) => boolean): SchedTask | undefined {
    if (allowed === undefined) {
      // Every task allowed: the head of the first non-empty queue.
      if (this.deadline.length > 0) return this.deadline[0];
      for (const q of this.rt) if (q.length > 0) return q[0];
      return this.fair[0];
    }
    for (const q of [this.deadline, ...this.rt, this.fair]) {
      for (const t of q) if (allowed(t)) return t;
    }
    return undefined;
  }

  /** Queued tasks in pick order (deadline, rt levels, fair). */
  all(): SchedTask[] {
    return [...this.deadline, ...this.rt.flat(), ...this.fair];
  }

  /**
   * Advances min_vruntime: never backwards, up to the smallest vruntime of
   * the current fair task and the leftmost queued one.
   */
  updateMinVruntime(): void {
    let floor = Number.POSITIVE_INFINITY;
    if (this.current && this.current.classRank === 2) floor = this.current.vruntime;
    if (this.fair.length > 0) floor = Math.min(floor, this.fair[0].vruntime);
    if (floor !== Number.POSITIVE_INFINITY && floor > this.minVruntime) this.minVruntime = floor;
  }

  snapshot(): RunQueueSnapshot {
    return {
      cpu: this.cpu,
      current: this.current ? this.current.id : null,
      load: this.load,
      needResched: this.needResched,
      minVruntime: this.minVruntime,
      idleNs: this.idleNs,
      busyNs: this.busyNs,
      switches: this.switches,
      ticks: this.ticks,
      queues: {
        deadline: this.deadline.map((t) => t.id),
        rt: this.rt.map((q) => q.map((t) => t.id)),
        fair: this.fair.map((t) => t.id),
      },
    };
  }
}

// Queues change on every block, wake and switch: shift elements in place
// (splice would allocate the array of removed elements each time).
function insertSorted<T>(q: T[], item: T, cmp: (a: T, b: T) => number): void {
  let i = q.length;
  q.push(item);
  while (i > 0 && cmp(q[i - 1], item) > 0) {
    q[i] = q[i - 1];
    i--;
  }
  q[i] = item;
}

/** Removes `t` from `q` if present; returns whether it was. */
function removeFrom(q: SchedTask[], t: SchedTask): boolean {
  const i = q.indexOf(t);
  if (i < 0) return false;
  if (i === 0) q.shift();
  else {
    for (let j = i; j < q.length - 1; j++) q[j] = q[j + 1];
    q.pop();
  }
  return true;
}
