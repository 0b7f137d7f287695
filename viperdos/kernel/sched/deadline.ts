// The deadline class: a SCHED_DEADLINE-like reservation (runtime, deadline,
// period), scheduled EDF per CPU.
//
// Model (our own simple rules, documented here):
// - An instance starts at `periodStartNs` with `remainingNs = runtime` and
//   absolute deadline `periodStartNs + deadline`.
// - Running consumes `remainingNs` (charged at ticks and switches). When it
//   reaches 0 the task is throttled until `periodStartNs + period`, then a
//   new instance starts there (an overrun of up to a tick is carried as a
//   debt against the new runtime). If that time already passed (the task
//   waited behind earlier deadlines for a whole period), the new instance
//   starts now instead: missed periods are skipped, not replayed.
// - A miss is counted when an instance used its runtime after its
//   absolute deadline.
// - Waking (constant-bandwidth rule): the old instance is kept if its
//   remaining runtime still fits in the time left before its deadline at
//   the reserved rate (remaining * period <= (absDeadline - now) * runtime);
//   otherwise a new instance starts now. A task cannot bank runtime by
//   sleeping.
// - yield() means "done for this period": remaining runtime is dropped and
//   the task is throttled until the next period.
// - Admission (in the scheduler): the sum of runtime/period over deadline
//   tasks may not exceed DEADLINE_MAX_UTILISATION x CPUs (else BUSY).

import type { SchedTask } from "./task.js";

/** Starts a fresh instance at `nowNs`. Precondition: `t.deadline` set. */
export function deadlineStartInstance(t: SchedTask, nowNs: number): void {
  const p = t.deadline!;
  t.periodStartNs = nowNs;
  t.absDeadlineNs = nowNs + p.deadlineNs;
  t.remainingNs = p.runtimeNs;
}

/** Applies the wake-up rule: keeps the current instance or starts a new one at `nowNs`. */
export function deadlineOnWake(t: SchedTask, nowNs: number): void {
  const p = t.deadline!;
  const left = t.absDeadlineNs - nowNs;
  if (left <= 0 || t.remainingNs <= 0 || t.remainingNs * p.periodNs > left * p.runtimeNs) {
    deadlineStartInstance(t, nowNs);
  }
}

/** Marks the end of this instance's runtime at `nowNs`; returns when the next instance may start. */
export function deadlineThrottle(t: SchedTask, nowNs: number): number {
  if (nowNs > t.absDeadlineNs) t.deadlineMisses++;
  t.replenishAtNs = Math.max(t.periodStartNs + t.deadline!.periodNs, nowNs);
  return t.replenishAtNs;
}

/**
 * Starts the next instance at the replenishment time (or `nowNs` if that
 * is more than a period ago). Returns false if the carried overrun still
 * leaves no runtime (the task stays throttled for another period).
 */
export function deadlineReplenish(t: SchedTask, nowNs: number): boolean {
  const p = t.deadline!;
  const debt = Math.min(0, t.remainingNs);
  const start = t.replenishAtNs + p.periodNs <= nowNs ? nowNs : t.replenishAtNs;
  t.periodStartNs = start;
  t.absDeadlineNs = start + p.deadlineNs;
  t.remainingNs = p.runtimeNs + debt;
  return t.remainingNs > 0;
}
