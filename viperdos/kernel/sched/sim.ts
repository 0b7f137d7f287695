// A deterministic driver for the scheduler alone, with a fake clock: it
// plays the kernel's part (timer ticks on every CPU, picks, sleeps and
// wakes) for tasks with simple behaviours. Tests use it, and a notebook can
// use it to show a scheduling timeline without booting the machine.
//
// Each step of `tickNs` (default 1 ms), at time `now`:
//   1. expired sleepers are woken (in the scheduler's order);
//   2. each CPU in index order: tick(); a task whose burst is used up
//      sleeps; the CPU pick()s if told to, if idle, or if its task left.

import type { Scheduler } from "./scheduler.js";
import { TICK_NS } from "./policy.js";

/** CPU-bound when empty; else run `burstNs` of CPU, sleep `sleepNs`, repeat. */
export interface Behaviour {
  burstNs?: number;
  sleepNs?: number;
}

export interface SimOptions {
  startNs?: number;
  untilNs: number;
  tickNs?: number;
  behaviours?: Record<number, Behaviour>;
  /** Called after each step (e.g. to change priorities mid-run). */
  onStep?: (nowNs: number) => void;
}

/**
 * Runs the scheduler from `startNs` (picking on every CPU there) to
 * `untilNs`. Returns the time reached. Precondition: tasks already added.
 */
export function simulate(s: Scheduler, opts: SimOptions): number {
  const tick = opts.tickNs ?? TICK_NS;
  const behaviours = opts.behaviours ?? {};
  const burstStart = new Map<number, number>();
  const runtimeOf = (id: number): number => {
    const i = s.info(id);
    return typeof i === "number" ? 0 : i.runtimeNs;
  };
  let now = opts.startNs ?? 0;
  for (let c = 0; c < s.cpuCount; c++) if (s.current(c) === undefined) s.pick(c, now);
  while (now + tick <= opts.untilNs) {
    now += tick;
    for (const id of s.expired(now)) {
      s.wake(id, now);
      burstStart.set(id, runtimeOf(id));
    }
    for (let c = 0; c < s.cpuCount; c++) {
      const { preempt } = s.tick(c, now);
      let mustPick = preempt || s.current(c) === undefined;
      const id = s.current(c);
      const b = id === undefined ? undefined : behaviours[id];
      if (id !== undefined && b?.burstNs !== undefined) {
        const start = burstStart.get(id) ?? 0;
        if (runtimeOf(id) - start >= b.burstNs) {
          s.sleepUntil(id, now + (b.sleepNs ?? 0), now);
          burstStart.set(id, runtimeOf(id));
          mustPick = true;
        }
      }
      if (mustPick) s.pick(c, now);
    }
    opts.onStep?.(now);
  }
  return now;
}
