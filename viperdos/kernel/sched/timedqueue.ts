// A queue of tasks ordered by a time (sleep wake-ups, deadline
// replenishments), ties broken by task id so the order is deterministic.

import type { SchedTask } from "./task.js";

export class TimedQueue {
  private items: { atNs: number; task: SchedTask }[] = [];

  get length(): number {
    return this.items.length;
  }

  /** Adds `task` due at `atNs`. Precondition: not already queued. */
  insert(task: SchedTask, atNs: number): void {
    let i = this.items.length;
    while (i > 0 && (this.items[i - 1].atNs > atNs || (this.items[i - 1].atNs === atNs && this.items[i - 1].task.id > task.id))) i--;
    this.items.splice(i, 0, { atNs, task });
  }

  /** Removes `task` if queued; returns whether it was. */
  remove(task: SchedTask): boolean {
    const i = this.items.findIndex((e) => e.task === task);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** Earliest due time, or undefined when empty. */
  nextNs(): number | undefined {
    return this.items.length > 0 ? this.items[0].atNs : undefined;
  }

  /** Removes and returns, in (time, id) order, every task due at or before `nowNs`. */
  popDue(nowNs: number): SchedTask[] {
    let n = 0;
    while (n < this.items.length && this.items[n].atNs <= nowNs) n++;
    return this.items.splice(0, n).map((e) => e.task);
  }

  snapshot(): { id: number; atNs: number }[] {
    return this.items.map((e) => ({ id: e.task.id, atNs: e.atNs }));
  }
}
