// Scheduling classes, priorities, time slices and fair-share weights
// (VIPERDOS.md "Kernel at a glance"; DESIGN.md "Scheduler").
//
//   priority 0 (highest) .. 255 (lowest), default 128
//   queue level = priority >> 5            -> 8 levels, 0..7
//   slice (ms) per level:  20 18 15 12 10 8 5 5
//   tick: 1 kHz (1 ms)
//
// Classes, strongest first: "deadline" (EDF) > "fifo"/"rr" (real time, by
// level) > "fair" (weighted virtual runtime). FIFO and RR share the 8 level
// queues; within one level tasks run in arrival order, so two priorities in
// the same level are equal for scheduling (that is what folding means).
//
// Fair weight: priority maps to a nice-like value
//   nice = floor((priority - 128) * 20 / 128)      (0 -> -20, 128 -> 0, 255 -> 19)
// and weight = round(1024 / 1.25^nice): each nice step is worth ~10% CPU
// against a neighbour (the 1.25 ratio is the usual rule; the table is
// computed here, not copied).
//
// Error numbers are DESIGN.md's `E` values, repeated here so the scheduler
// has no dependency on the rest of the kernel.

export const TICK_HZ = 1000;
export const TICK_NS = 1_000_000_000 / TICK_HZ;
export const PRIORITY_MIN = 0;
export const PRIORITY_MAX = 255;
export const PRIORITY_DEFAULT = 128;
export const QUEUE_LEVELS = 8;
/** Time slice of each queue level, in milliseconds. */
export const SLICE_MS: readonly number[] = [20, 18, 15, 12, 10, 8, 5, 5];
export const NICE_0_WEIGHT = 1024;
/**
 * How far below a CPU's min_vruntime a new or waking fair task may be placed
 * (in vruntime ns): a sleeper gets at most this much head start, so a task
 * that sleeps a lot cannot bank unlimited credit.
 */
export const FAIR_WAKE_BONUS_NS = 5_000_000;
/** A waking fair task preempts the current fair task only if it is ahead by more than this (vruntime ns). */
export const FAIR_WAKEUP_GRANULARITY_NS = 1_000_000;
/** A busy CPU tries one balancing pull every this many of its ticks. */
export const BALANCE_INTERVAL_TICKS = 4;
/** Deadline admission: total runtime/period over all tasks may not exceed this share of the CPUs. */
export const DEADLINE_MAX_UTILISATION = 0.95;

export type Policy = "deadline" | "fifo" | "rr" | "fair";
export const POLICIES: readonly Policy[] = ["deadline", "fifo", "rr", "fair"];

/** SCHED_DEADLINE-like reservation: `runtimeNs` of CPU in every `periodNs`, done within `deadlineNs` of the period start. */
export interface DeadlineParams {
  runtimeNs: number;
  deadlineNs: number;
  periodNs: number;
}

export const SchedError = {
  INVALID_ARG: -2,
  EXISTS: -5,
  BUSY: -8,
  TASK_NOT_FOUND: -201,
} as const;
export type SchedErrorCode = (typeof SchedError)[keyof typeof SchedError];

/** Returns true when `p` is an integer priority 0..255. */
export function validPriority(p: unknown): p is number {
  return typeof p === "number" && Number.isInteger(p) && p >= PRIORITY_MIN && p <= PRIORITY_MAX;
}

/** Returns true when `p` names a scheduling class. */
export function validPolicy(p: unknown): p is Policy {
  return typeof p === "string" && (POLICIES as readonly string[]).includes(p);
}

/** Queue level 0..7 of a valid priority. */
export function queueLevel(priority: number): number {
  return priority >> 5;
}

/** Time slice in ns for a valid priority (by its queue level). */
export function sliceNs(priority: number): number {
  return SLICE_MS[queueLevel(priority)] * 1_000_000;
}

/** Nice-like value -20..19 of a valid priority. */
export function niceOf(priority: number): number {
  return Math.floor(((priority - PRIORITY_DEFAULT) * 20) / 128);
}

const WEIGHTS: readonly number[] = Array.from({ length: 40 }, (_, i) =>
  Math.max(1, Math.round(NICE_0_WEIGHT / Math.pow(1.25, i - 20))),
);

/** Fair-share weight of a valid priority (1024 at the default 128). */
export function weightOf(priority: number): number {
  return WEIGHTS[niceOf(priority) + 20];
}

/**
 * Checks a deadline reservation: positive safe integers with
 * runtime <= deadline <= period. Returns 0 or INVALID_ARG.
 */
export function checkDeadlineParams(p: unknown): 0 | SchedErrorCode {
  if (typeof p !== "object" || p === null) return SchedError.INVALID_ARG;
  const { runtimeNs, deadlineNs, periodNs } = p as Partial<DeadlineParams>;
  for (const v of [runtimeNs, deadlineNs, periodNs]) {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) return SchedError.INVALID_ARG;
  }
  if (runtimeNs! > deadlineNs! || deadlineNs! > periodNs!) return SchedError.INVALID_ARG;
  return 0;
}

/** Share of one CPU a reservation asks for (runtime / period). */
export function utilisation(p: DeadlineParams): number {
  return p.runtimeNs / p.periodNs;
}
