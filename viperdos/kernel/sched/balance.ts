// Where tasks go between CPUs: wake placement and the choice of what to
// steal. Pure functions over the run queues; ties are broken by CPU index
// then by queue order (which is by task id among equals), so placement is
// deterministic.

import type { RunQueue } from "./runqueue.js";
import type { SchedTask } from "./task.js";

/**
 * Wake placement: the allowed CPU with the fewest runnable tasks; on a tie
 * the task's last CPU (its cache is warm there), else the lowest index.
 * Returns a CPU index. Preconditions: `t.affinity` allows at least one CPU
 * of `cpus`, and `t` is not counted in any allowed CPU's load (it is
 * blocked, or its own CPU is no longer allowed).
 */
export function placeTask(cpus: readonly RunQueue[], t: SchedTask): number {
  let best: RunQueue | undefined;
  for (const rq of cpus) {
    if (!t.allowedOn(rq.cpu)) continue;
    if (!best || rq.load < best.load || (rq.load === best.load && rq.cpu === t.lastCpu)) best = rq;
  }
  if (!best) throw new Error(`placeTask: task ${t.id} has no allowed CPU`);
  return best.cpu;
}

/**
 * The CPU `thief` should take work from, or undefined: the most loaded CPU
 * (lowest index on a tie) having a queued task allowed on the thief and at
 * least 2 runnable tasks more than the thief, so one move never just swaps
 * the imbalance.
 */
export function findVictim(cpus: readonly RunQueue[], thief: RunQueue): RunQueue | undefined {
  let victim: RunQueue | undefined;
  for (const other of cpus) {
    if (other === thief || other.load < thief.load + 2) continue;
    if (!other.best((t) => t.allowedOn(thief.cpu))) continue;
    if (!victim || other.load > victim.load) victim = other;
  }
  return victim;
}

/**
 * Dequeues from `victim` the task it would run next among those allowed on
 * `thief`, re-bases its fair vruntime onto the thief's min_vruntime (its
 * lag is kept) and marks it as the thief's. The caller queues it.
 * Precondition: findVictim(…, thief) returned `victim`.
 */
export function takeFor(victim: RunQueue, thief: RunQueue): SchedTask {
  const t = victim.best((x) => x.allowedOn(thief.cpu))!;
  victim.dequeue(t);
  t.vruntime = t.vruntime - victim.minVruntime + thief.minVruntime;
  t.cpu = thief.cpu;
  return t;
}
