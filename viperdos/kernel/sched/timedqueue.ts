// A queue of tasks ordered by a time (sleep wake-ups, deadline
// replenishments), ties broken by task id so the order is deterministic.

import type { SchedTask } from "./task.js";

const NONE_DUE: readonly SchedTask[] = Object.freeze([]);

export class TimedQueue {
  private items: { atNs: number; task: SchedTask }[] = [];

  get length(): number {
    return this.items.length;
  }

  /** Adds `task` due at `atNs`. Precondition: not already queued. */
  insert(task: SchedTask, atNs: number): void {
    let i = this.items.length;
    while (i > 0 && (this.items[i - 1].atNs > atNs || (this.items[i - 1].atNs === atNs && this.items[i - 1].task.id > task.id))) i--;
    const items = this.items;
    const entry = { atNs, task };
    items.push(entry);
    for (let j = items.length - 1; j > i; j--) items[j] = items[j - 1];
    items[i] = entry;
  }

  /** Removes `task` if queued; returns whether it was. */
  remove(task: SchedTask): boolean {
    // A plain loop: called on every block and wake, usually on an empty queue (no closure per call).
    const items = this.items;
    let i = 0;
    while (i < items.length && items[i].task !== task) i++;
    if (i === items.length) return false;
    for (let j = i; j < items.length - 1; j++) items[j] = items[j + 1];
    items.pop(); // in place: splice would allocate the removed-elements array
    return true;
  }

  /** Earliest due time, or undefined when empty. */
  nextNs(): number | undefined {
    return this.items.length > 0 ? this.items[0].atNs : undefined;
  }

  /** Removes and returns, in (time, id) order, every task due at or before `nowNs`. */
  popDue(nowNs: number): readonly SchedTask[] {
    let n = 0;
    while (n < this.items.length && this.items[n].atNs <= nowNs) n++;
    if (n === 0) return NONE_DUE; // the usual case, checked at every pick and tick: no allocation
    return this.items.splice(0, n).map((e) => e.task);
  }

  snapshot(): { id: number; atNs: number }[] {
    return this.items.map((e) => ({ id: e.task.id, atNs: e.atNs }));
  }
}
