// The scheduler's view of a task: a plain entity (id, priority, policy,
// affinity) plus the bookkeeping each class needs. No reference to
// processes, address spaces or the machine: the kernel maps ids to its own
// Task objects.
//
// States:
//   ready      queued on exactly one CPU's run queue (`cpu`)
//   running    the `current` of CPU `cpu`
//   blocked    waiting for wake() (a channel, poll, join, ...)
//   sleeping   blocked with a wake-up time in the sleep queue
//   throttled  a deadline task that used its runtime; back at `replenishAtNs`

import {
  type DeadlineParams,
  type Policy,
  PRIORITY_DEFAULT,
  queueLevel,
  sliceNs,
  weightOf,
} from "./policy.js";

export type TaskState = "ready" | "running" | "blocked" | "sleeping" | "throttled";

/** What add() takes: everything but the id has a default (fair, 128, all CPUs). */
export interface SchedEntity {
  id: number;
  priority?: number;
  policy?: Policy;
  /** Bit i set = may run on CPU i. Default: every CPU. */
  affinity?: number;
  /** Required when policy is "deadline". */
  deadline?: DeadlineParams;
}

export class SchedTask {
  state: TaskState = "blocked";
  /** CPU whose queue holds the task (ready) or that runs it (running); -1 otherwise. */
  cpu = -1;
  /** CPU the task last ran on; -1 before its first run. */
  lastCpu = -1;

  // Fair class: virtual runtime (ns scaled by NICE_0_WEIGHT / weight).
  vruntime = 0;
  /**
   * CPU whose min_vruntime `vruntime` is measured against while the task is
   * off the queues (-1: none yet, a new task). On wake, lag = vruntime -
   * that CPU's min_vruntime *now*, so time asleep turns into credit (capped
   * by the wake bonus), as in CFS.
   */
  vcpu = -1;

  // Slice used since the task was last given a fresh slice (RR and fair).
  sliceUsedNs = 0;
  /** Set when an RR slice ran out: the next requeue goes to the tail with a fresh slice. */
  sliceExpired = false;

  // Deadline class: the current instance of the reservation.
  periodStartNs = 0;
  absDeadlineNs = 0;
  remainingNs = 0;
  replenishAtNs = 0;
  deadlineMisses = 0;

  // Sleep queue.
  wakeAtNs = 0;

  // Accounting.
  runtimeNs = 0;
  /** Times the task was switched onto a CPU. */
  switches = 0;
  /** Times the task moved between CPUs (wake placement, stealing, affinity). */
  migrations = 0;

  constructor(
    readonly id: number,
    public priority: number = PRIORITY_DEFAULT,
    public policy: Policy = "fair",
    public affinity: number,
    public deadline: DeadlineParams | undefined = undefined,
  ) {}

  get level(): number {
    return queueLevel(this.priority);
  }
  get weight(): number {
    return weightOf(this.priority);
  }
  get sliceNs(): number {
    return sliceNs(this.priority);
  }
  get isRealtime(): boolean {
    return this.policy === "fifo" || this.policy === "rr";
  }
  /** 0 deadline, 1 real time, 2 fair: lower runs first. */
  get classRank(): number {
    return this.policy === "deadline" ? 0 : this.isRealtime ? 1 : 2;
  }
  allowedOn(cpu: number): boolean {
    return ((this.affinity >>> cpu) & 1) === 1;
  }

  /** Plain JSON view for inspection. */
  snapshot(): SchedTaskSnapshot {
    return {
      id: this.id,
      policy: this.policy,
      priority: this.priority,
      level: this.level,
      weight: this.weight,
      sliceNs: this.sliceNs,
      affinity: this.affinity,
      state: this.state,
      cpu: this.cpu,
      lastCpu: this.lastCpu,
      runtimeNs: this.runtimeNs,
      switches: this.switches,
      migrations: this.migrations,
      vruntime: this.vruntime,
      sliceUsedNs: this.sliceUsedNs,
      deadline:
        this.policy === "deadline" && this.deadline
          ? {
              ...this.deadline,
              absDeadlineNs: this.absDeadlineNs,
              remainingNs: this.remainingNs,
              replenishAtNs: this.state === "throttled" ? this.replenishAtNs : null,
              misses: this.deadlineMisses,
            }
          : null,
      wakeAtNs: this.state === "sleeping" ? this.wakeAtNs : null,
    };
  }
}

export interface SchedTaskSnapshot {
  id: number;
  policy: Policy;
  priority: number;
  level: number;
  weight: number;
  sliceNs: number;
  affinity: number;
  state: TaskState;
  cpu: number;
  lastCpu: number;
  runtimeNs: number;
  switches: number;
  migrations: number;
  vruntime: number;
  sliceUsedNs: number;
  deadline: (DeadlineParams & { absDeadlineNs: number; remainingNs: number; replenishAtNs: number | null; misses: number }) | null;
  wakeAtNs: number | null;
}

/**
 * True when `a` should run before `b` if both were queued on one CPU:
 * class first; EDF by absolute deadline; RT by level (equal level = not
 * better, so FIFO is never preempted by its peers); fair by vruntime with
 * `fairMargin` of hysteresis. Ties never preempt.
 */
export function runsBefore(a: SchedTask, b: SchedTask, fairMargin = 0): boolean {
  if (a.classRank !== b.classRank) return a.classRank < b.classRank;
  switch (a.classRank) {
    case 0:
      return a.absDeadlineNs < b.absDeadlineNs;
    case 1:
      return a.level < b.level;
    default:
      return a.vruntime + fairMargin < b.vruntime;
  }
}
