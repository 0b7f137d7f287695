// The scheduler on its own, driven by a fake clock (sched/sim.ts plays the
// kernel: 1 kHz ticks on every CPU, picks, sleeps, wakes). Each scenario
// states what a reader of VIPERDOS.md "Kernel at a glance" would expect.

import { describe, expect, it } from "vitest";
import {
  Scheduler,
  simulate,
  SchedError,
  sliceNs,
  weightOf,
  niceOf,
  SLICE_MS,
  type SchedEntity,
  type SchedTaskSnapshot,
  type TimelineSegment,
} from "../viperdos/kernel/sched/index.js";

const MS = 1_000_000;

function mk(cpus: number, tasks: SchedEntity[]): Scheduler {
  const s = new Scheduler(cpus);
  for (const t of tasks) expect(s.add(t, 0)).toBeGreaterThanOrEqual(0);
  return s;
}

function info(s: Scheduler, id: number): SchedTaskSnapshot {
  const i = s.info(id);
  if (typeof i === "number") throw new Error(`no task ${id}`);
  return i;
}

/** Timeline segments up to `now` (open ones end there; empty ones dropped). */
function segsOf(s: Scheduler, now: number, task?: number): TimelineSegment[] {
  return s.timeline.segments(now).filter((g) => g.endNs! > g.startNs && (task === undefined || g.task === task));
}

describe("policy tables", () => {
  it.each([
    [0, 20],
    [31, 20],
    [32, 18],
    [64, 15],
    [96, 12],
    [128, 10],
    [160, 8],
    [192, 5],
    [255, 5],
  ])("priority %i has a %i ms slice", (p, ms) => {
    expect(sliceNs(p)).toBe(ms * MS);
  });

  it("maps priorities to nice -20..19 and decreasing weights, 1024 at the default", () => {
    expect(SLICE_MS).toEqual([20, 18, 15, 12, 10, 8, 5, 5]);
    expect([niceOf(0), niceOf(128), niceOf(255)]).toEqual([-20, 0, 19]);
    expect(weightOf(128)).toBe(1024);
    for (let p = 1; p <= 255; p++) expect(weightOf(p)).toBeLessThanOrEqual(weightOf(p - 1));
    expect(weightOf(0) / weightOf(255)).toBeGreaterThan(1000);
  });
});

describe("class and priority order", () => {
  it("runs deadline before real time before fair, then falls back as each blocks", () => {
    const s = mk(1, [
      { id: 1, policy: "fair", priority: 0 },
      { id: 2, policy: "rr", priority: 255 },
      { id: 3, policy: "deadline", deadline: { runtimeNs: 5 * MS, deadlineNs: 10 * MS, periodNs: 10 * MS } },
    ]);
    expect(s.pick(0, 0)).toBe(3);
    s.block(3, 0);
    expect(s.pick(0, 0)).toBe(2);
    s.block(2, 0);
    expect(s.pick(0, 0)).toBe(1);
    s.block(1, 0);
    expect(s.pick(0, 0)).toBeUndefined();
  });

  it.each([
    { name: "lower number wins across levels", tasks: [200, 100, 0], first: 3 },
    { name: "level 0 beats level 1", tasks: [40, 10], first: 2 },
    { name: "same level: arrival order", tasks: [10, 3, 20], first: 1 },
  ])("RT priority: $name", ({ tasks, first }) => {
    const s = mk(
      1,
      tasks.map((p, i) => ({ id: i + 1, policy: "fifo" as const, priority: p })),
    );
    expect(s.pick(0, 0)).toBe(first);
  });

  it("a woken higher-level task preempts a running FIFO task; an equal-level one does not", () => {
    const s = mk(1, [{ id: 1, policy: "fifo", priority: 64 }]);
    expect(s.pick(0, 0)).toBe(1);
    s.add({ id: 2, policy: "fifo", priority: 70 }, 1 * MS); // same level (2)
    expect(s.tick(0, 1 * MS).preempt).toBe(false);
    s.add({ id: 3, policy: "fifo", priority: 0 }, 2 * MS);
    expect(s.tick(0, 2 * MS).preempt).toBe(true);
    expect(s.pick(0, 2 * MS)).toBe(3);
    s.block(3, 3 * MS);
    // The preempted FIFO task kept its place at the head of its level.
    expect(s.pick(0, 3 * MS)).toBe(1);
  });
});

describe("time slices and rotation", () => {
  it.each([0, 32, 64, 96, 128, 160, 192, 255])("two RR tasks at priority %i alternate in whole slices", (p) => {
    const s = mk(1, [
      { id: 1, policy: "rr", priority: p },
      { id: 2, policy: "rr", priority: p },
    ]);
    const end = simulate(s, { untilNs: 200 * MS });
    const segs = segsOf(s, end).filter((g) => g.endNs! < end);
    expect(segs.length).toBeGreaterThan(3);
    for (const g of segs) expect(g.endNs! - g.startNs).toBe(sliceNs(p));
    for (let i = 1; i < segs.length; i++) expect(segs[i].task).not.toBe(segs[i - 1].task);
  });

  it("rotates three RR tasks round robin: 1 2 3 1 2 3", () => {
    const s = mk(1, [1, 2, 3].map((id) => ({ id, policy: "rr" as const, priority: 128 })));
    const end = simulate(s, { untilNs: 60 * MS });
    expect(segsOf(s, end).map((g) => [g.task, g.startNs / MS])).toEqual([
      [1, 0],
      [2, 10],
      [3, 20],
      [1, 30],
      [2, 40],
      [3, 50],
    ]);
  });

  it("a FIFO task is never preempted by a FIFO peer of equal priority", () => {
    const s = mk(1, [
      { id: 1, policy: "fifo", priority: 100 },
      { id: 2, policy: "fifo", priority: 100 },
    ]);
    const end = simulate(s, { untilNs: 500 * MS });
    expect(info(s, 1).runtimeNs).toBe(500 * MS);
    expect(info(s, 2).runtimeNs).toBe(0);
    expect(segsOf(s, end)).toHaveLength(1);
  });

  it("an RR task alone at its level keeps running (fresh slices, no switches)", () => {
    const s = mk(1, [
      { id: 1, policy: "rr", priority: 0 },
      { id: 2, policy: "fair" },
    ]);
    simulate(s, { untilNs: 100 * MS });
    expect(info(s, 1).runtimeNs).toBe(100 * MS);
    expect(info(s, 1).switches).toBe(1);
  });

  it("yield sends an RR task to the tail of its level", () => {
    const s = mk(1, [1, 2, 3].map((id) => ({ id, policy: "rr" as const, priority: 10 })));
    expect(s.pick(0, 0)).toBe(1);
    expect(s.yield(0, 1 * MS)).toBe(0);
    expect(s.snapshot().cpus[0].queues.rt[0]).toEqual([2, 3, 1]);
    expect(s.pick(0, 1 * MS)).toBe(2);
  });
});

describe("deadline class", () => {
  const dl = (runtime: number, deadline: number, period: number) => ({
    runtimeNs: runtime * MS,
    deadlineNs: deadline * MS,
    periodNs: period * MS,
  });

  it("gets its runtime every period, is throttled in between, and fair tasks get the rest", () => {
    const s = mk(1, [
      { id: 1, policy: "deadline", deadline: dl(3, 10, 10) },
      { id: 2, policy: "fair" },
    ]);
    let sawThrottled = false;
    const end = simulate(s, {
      untilNs: 100 * MS,
      onStep: (now) => {
        if (now === 5 * MS) {
          const snap = s.snapshot();
          sawThrottled = snap.throttled.some((t) => t.id === 1 && t.atNs === 10 * MS) && snap.tasks[0].state === "throttled";
        }
      },
    });
    expect(sawThrottled).toBe(true);
    expect(info(s, 1).runtimeNs).toBe(30 * MS);
    expect(info(s, 2).runtimeNs).toBe(70 * MS);
    const starts = segsOf(s, end, 1).map((g) => g.startNs / MS);
    expect(starts).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(info(s, 1).deadline!.misses).toBe(0);
  });

  it("orders deadline tasks by absolute deadline (EDF)", () => {
    const s = mk(1, [
      { id: 1, policy: "deadline", deadline: dl(2, 30, 30) },
      { id: 2, policy: "deadline", deadline: dl(2, 8, 10) },
    ]);
    expect(s.pick(0, 0)).toBe(2);
    const end = simulate(s, { startNs: 0, untilNs: 6 * MS });
    expect(segsOf(s, end).map((g) => [g.task, g.startNs / MS, g.endNs! / MS])).toEqual([
      [2, 0, 2],
      [1, 2, 4],
    ]);
  });

  it("yield ends the instance: throttled until the next period", () => {
    const s = mk(1, [{ id: 1, policy: "deadline", deadline: dl(5, 10, 20) }]);
    expect(s.pick(0, 0)).toBe(1);
    expect(s.yield(0, 1 * MS)).toBe(0);
    expect(info(s, 1).state).toBe("throttled");
    expect(s.nextEventNs()).toBe(20 * MS);
    expect(s.pick(0, 1 * MS)).toBeUndefined();
    expect(s.tick(0, 20 * MS).preempt).toBe(true);
    expect(s.pick(0, 20 * MS)).toBe(1);
    expect(info(s, 1).deadline!.absDeadlineNs).toBe(30 * MS);
  });

  it.each([
    { name: "over-subscription", params: [dl(6, 10, 10), dl(5, 10, 10)], result: SchedError.BUSY },
    { name: "runtime > deadline", params: [dl(6, 5, 10)], result: SchedError.INVALID_ARG },
    { name: "deadline > period", params: [dl(1, 20, 10)], result: SchedError.INVALID_ARG },
    { name: "missing params", params: [undefined], result: SchedError.INVALID_ARG },
  ])("admission refuses $name", ({ params, result }) => {
    const s = new Scheduler(1);
    let last = 0;
    params.forEach((p, i) => {
      last = s.add({ id: i + 1, policy: "deadline", deadline: p }, 0);
    });
    expect(last).toBe(result);
  });

  it("counts a miss when an instance finishes its runtime after its absolute deadline", () => {
    // Both want 4 ms before t+5 ms each 10 ms: EDF (tie by id) runs 1 then 2; 2 always ends at 8 > 5.
    const s = mk(1, [
      { id: 1, policy: "deadline", deadline: dl(4, 5, 10) },
      { id: 2, policy: "deadline", deadline: dl(4, 5, 10) },
    ]);
    const end = simulate(s, { untilNs: 100 * MS });
    expect(info(s, 1).deadline!.misses).toBe(0);
    expect(info(s, 2).deadline!.misses).toBe(10);
    expect(segsOf(s, end).slice(0, 3).map((g) => [g.task, g.startNs / MS, g.endNs! / MS])).toEqual([
      [1, 0, 4],
      [2, 4, 8],
      [1, 10, 14],
    ]);
  });

  it("a running fair task switched to deadline is throttled after its runtime", () => {
    const s = mk(1, [{ id: 1 }, { id: 2 }]);
    expect(s.pick(0, 0)).toBe(1);
    expect(s.setPolicy(1, "deadline", { deadline: dl(2, 10, 10) }, 0)).toBe(0);
    simulate(s, { untilNs: 30 * MS });
    expect(info(s, 1).runtimeNs).toBe(6 * MS);
    expect(info(s, 2).runtimeNs).toBe(24 * MS);
    expect(s.setPolicy(1, "fair")).toBe(0);
    expect(info(s, 1)).toMatchObject({ policy: "fair", deadline: null });
  });

  it("a waking deadline task keeps its instance only if its runtime fits the time left", () => {
    const s = mk(1, [{ id: 1, policy: "deadline", deadline: dl(4, 10, 10) }]);
    s.pick(0, 0);
    s.block(1, 1 * MS); // used 1 of 4 ms
    s.wake(1, 2 * MS); // 3 ms left, 8 ms to the deadline at 0.4 -> fits
    expect(info(s, 1).deadline!.absDeadlineNs).toBe(10 * MS);
    s.block(1, 2 * MS);
    s.wake(1, 9 * MS); // 3 ms left, 1 ms to go -> new instance
    expect(info(s, 1).deadline!.absDeadlineNs).toBe(19 * MS);
    expect(info(s, 1).deadline!.remainingNs).toBe(4 * MS);
  });
});

describe("fair class", () => {
  it("shares one CPU in proportion to weight over a long run", () => {
    const prios = [128, 96, 160, 200];
    const s = mk(
      1,
      prios.map((priority, i) => ({ id: i + 1, priority })),
    );
    simulate(s, { untilNs: 20_000 * MS });
    const total = prios.reduce((a, p) => a + weightOf(p), 0);
    prios.forEach((p, i) => {
      const expected = (20_000 * MS * weightOf(p)) / total;
      const got = info(s, i + 1).runtimeNs;
      expect(Math.abs(got - expected) / expected).toBeLessThan(0.05);
    });
  });

  it("does not starve the lowest priority among many fair tasks", () => {
    const prios = [0, 40, 80, 128, 128, 180, 220, 255];
    const s = mk(
      1,
      prios.map((priority, i) => ({ id: i + 1, priority })),
    );
    simulate(s, { untilNs: 5_000 * MS });
    const total = prios.reduce((a, p) => a + weightOf(p), 0);
    prios.forEach((p, i) => {
      const t = info(s, i + 1);
      expect(t.runtimeNs).toBeGreaterThan(0);
      expect(t.runtimeNs).toBeGreaterThan((0.5 * 5_000 * MS * weightOf(p)) / total);
    });
  });

  it("places a long sleeper at min_vruntime minus the bounded bonus, not at its stale vruntime", () => {
    const s = mk(1, [{ id: 1 }, { id: 2 }, { id: 3 }]);
    s.pick(0, 0);
    s.block(3, 0);
    simulate(s, { untilNs: 1_000 * MS });
    const minV = s.snapshot().cpus[0].minVruntime;
    expect(minV).toBeGreaterThan(400 * MS);
    s.wake(3, 1_000 * MS);
    expect(info(s, 3).vruntime).toBe(minV - 5 * MS);
    simulate(s, { startNs: 1_000 * MS, untilNs: 1_300 * MS });
    // It gets about its third of the CPU, not the whole of it.
    expect(info(s, 3).runtimeNs).toBeLessThan(130 * MS);
    expect(info(s, 3).runtimeNs).toBeGreaterThan(70 * MS);
  });

  it("I/O-bound fair tasks interleave with a CPU-bound one", () => {
    const s = mk(1, [{ id: 1 }, { id: 2 }]);
    simulate(s, { untilNs: 1_000 * MS, behaviours: { 2: { burstNs: 2 * MS, sleepNs: 8 * MS } } });
    // Task 2 wants 20% and gets it; task 1 takes the rest.
    expect(info(s, 2).runtimeNs).toBeGreaterThan(180 * MS);
    expect(info(s, 2).runtimeNs + info(s, 1).runtimeNs).toBe(1_000 * MS);
  });
});

describe("affinity, placement and stealing", () => {
  it("never runs a task pinned to CPU 2 anywhere else", () => {
    const tasks: SchedEntity[] = [{ id: 1, affinity: 0b0100 }];
    for (let id = 2; id <= 9; id++) tasks.push({ id, priority: 100 + id });
    const s = mk(4, tasks);
    const end = simulate(s, { untilNs: 2_000 * MS, behaviours: { 5: { burstNs: 3 * MS, sleepNs: 4 * MS } } });
    const pinned = segsOf(s, end, 1);
    expect(pinned.length).toBeGreaterThan(0);
    expect(new Set(pinned.map((g) => g.cpu))).toEqual(new Set([2]));
    // Others do use every CPU.
    expect(new Set(segsOf(s, end).map((g) => g.cpu))).toEqual(new Set([0, 1, 2, 3]));
  });

  it("changing the mask of a queued task moves it at once; of a running task at its next pick", () => {
    const s = mk(2, [
      { id: 1, affinity: 0b01 },
      { id: 2, affinity: 0b01 },
    ]);
    expect(s.pick(0, 0)).toBe(1);
    expect(info(s, 2).cpu).toBe(0);
    expect(s.setAffinity(2, 0b10)).toBe(0);
    expect(info(s, 2)).toMatchObject({ cpu: 1, state: "ready", migrations: 1 });
    expect(s.setAffinity(1, 0b10)).toBe(0);
    expect(s.reschedCpus()).toContain(0);
    expect(s.tick(0, 1 * MS).preempt).toBe(true);
    expect(s.pick(0, 1 * MS)).toBeUndefined();
    expect(info(s, 1).cpu).toBe(1);
    expect(s.pick(1, 1 * MS)).not.toBeUndefined();
  });

  it("an idle CPU steals the queued task the busiest CPU would run next", () => {
    const s = mk(3, [
      { id: 1, affinity: 0b001 },
      { id: 2, affinity: 0b001, policy: "rr", priority: 200 },
      { id: 3, affinity: 0b001, policy: "rr", priority: 100 },
      { id: 4, affinity: 0b010 },
      { id: 5, affinity: 0b010 },
    ]);
    s.pick(0, 0); // runs 3 (RR level 3); queued: 2 (RR level 6), 1 (fair)
    s.pick(1, 0); // runs 4; queued: 5
    for (const id of [1, 2, 5]) expect(s.setAffinity(id, 0b111)).toBe(0);
    expect(s.current(0)).toBe(3);
    // CPU 0 has load 3, CPU 1 load 2: CPU 2 steals from CPU 0 its next task, 2.
    expect(s.stealFor(2, 0)).toBe(2);
    expect(s.pick(2, 0)).toBe(2);
    expect(s.stealFor(2, 0)).toBeUndefined(); // busy CPUs do not steal
    // CPUs 0 and 1 both have load 2: the tie goes to the lower index.
    s.block(2, 1 * MS);
    expect(s.pick(2, 1 * MS)).toBe(1);
    expect(info(s, 1)).toMatchObject({ cpu: 2, migrations: 1 });
  });

  it("stealing and periodic balance spread tasks started on one CPU across all", () => {
    const s = new Scheduler(4);
    for (let id = 1; id <= 8; id++) s.add({ id, affinity: 0b0001 }, 0);
    for (let id = 1; id <= 8; id++) s.setAffinity(id, 0b1111);
    expect(s.snapshot().cpus[0].load).toBe(8);
    simulate(s, { untilNs: 100 * MS });
    const snap = s.snapshot();
    for (const c of snap.cpus) expect(c.idleNs).toBe(0);
    expect(snap.cpus.map((c) => c.load)).toEqual([2, 2, 2, 2]);
  });

  it("wake placement and stealing honour the mask", () => {
    const s = mk(4, [{ id: 1, affinity: 0b1000 }]);
    expect(info(s, 1).cpu).toBe(3); // though CPUs 0-2 are just as empty
    // CPU 0 runs 2 with 3 (CPU 0 only) and 4 (any) queued: CPU 1 steals 4, not 3.
    s.add({ id: 2, affinity: 0b0001 }, 0);
    s.add({ id: 3, affinity: 0b0001, policy: "rr", priority: 0 }, 0);
    s.add({ id: 4, affinity: 0b0001 }, 0);
    s.setAffinity(4, 0b0011);
    expect(s.pick(0, 0)).toBe(3);
    expect(s.pick(1, 0)).toBe(4);
    expect(s.pick(2, 0)).toBeUndefined(); // 2 is CPU 0's only
  });

  it("wake placement picks the least loaded allowed CPU, preferring the last CPU on a tie", () => {
    const s = mk(2, [{ id: 1 }, { id: 2 }, { id: 3 }]);
    // Spread: 1 -> CPU 0, 2 -> CPU 1, 3 -> CPU 0 (tie, lowest index).
    expect([info(s, 1).cpu, info(s, 2).cpu, info(s, 3).cpu]).toEqual([0, 1, 0]);
    s.pick(0, 0);
    s.pick(1, 0);
    s.block(2, 1 * MS); // CPU 1 now empty
    expect(s.wake(2, 2 * MS)).toEqual({ woke: true, cpu: 1, preempt: true });
    s.pick(1, 2 * MS);
    s.block(1, 3 * MS); // last ran on CPU 0; CPU 0 load 1 (task 3), CPU 1 load 1 (task 2)
    s.pick(0, 3 * MS);
    const r = s.wake(1, 4 * MS);
    expect(r).toMatchObject({ woke: true, cpu: 0 });
    expect(s.wake(1, 4 * MS)).toEqual({ woke: false, cpu: 0, preempt: false });
  });
});

describe("sleep queue", () => {
  it("reports sleepers in (time, id) order and only when due", () => {
    const s = mk(1, [1, 2, 3, 4].map((id) => ({ id })));
    s.sleepUntil(3, 50 * MS, 0);
    s.sleepUntil(1, 30 * MS, 0);
    s.sleepUntil(4, 30 * MS, 0);
    s.sleepUntil(2, 10 * MS, 0);
    expect(s.nextEventNs()).toBe(10 * MS);
    expect(s.expired(9 * MS)).toEqual([]);
    expect(s.expired(30 * MS)).toEqual([2, 1, 4]);
    expect(info(s, 1).state).toBe("blocked");
    expect(info(s, 3).state).toBe("sleeping");
    expect(s.nextEventNs()).toBe(50 * MS);
    // An early wake() cancels the timer.
    s.wake(3, 31 * MS);
    expect(s.expired(100 * MS)).toEqual([]);
    expect(s.nextEventNs()).toBeUndefined();
  });

  it("a running task that sleeps leaves its CPU, which must pick", () => {
    const s = mk(1, [{ id: 1 }, { id: 2 }]);
    expect(s.pick(0, 0)).toBe(1);
    s.sleepUntil(1, 5 * MS, 1 * MS);
    expect(s.current(0)).toBeUndefined();
    expect(s.reschedCpus()).toEqual([0]);
    expect(s.pick(0, 1 * MS)).toBe(2);
  });
});

describe("parameters, errors and inspection", () => {
  it("refuses bad input with error codes, never exceptions", () => {
    const s = mk(2, [{ id: 1 }]);
    expect(s.setPriority(1, 256)).toBe(SchedError.INVALID_ARG);
    expect(s.setPriority(1, -1)).toBe(SchedError.INVALID_ARG);
    expect(s.setPriority(1, 1.5)).toBe(SchedError.INVALID_ARG);
    expect(s.setPriority(99, 1)).toBe(SchedError.TASK_NOT_FOUND);
    expect(s.setAffinity(1, 0)).toBe(SchedError.INVALID_ARG);
    expect(s.setAffinity(1, 0b100)).toBe(SchedError.INVALID_ARG); // only CPUs 0-1 exist
    expect(s.setAffinity(1, NaN)).toBe(SchedError.INVALID_ARG);
    expect(s.setPolicy(1, "batch" as never)).toBe(SchedError.INVALID_ARG);
    expect(s.setPolicy(1, "rr", { priority: 300 })).toBe(SchedError.INVALID_ARG);
    expect(s.setPolicy(1, "deadline", {})).toBe(SchedError.INVALID_ARG);
    expect(s.add({ id: 1 })).toBe(SchedError.EXISTS);
    expect(s.add({ id: 2, priority: 999 })).toBe(SchedError.INVALID_ARG);
    expect(s.add({ id: 2.5 })).toBe(SchedError.INVALID_ARG);
    expect(s.wake(42, 0)).toBe(SchedError.TASK_NOT_FOUND);
    expect(s.block(42, 0)).toBe(SchedError.TASK_NOT_FOUND);
    expect(s.remove(42)).toBe(SchedError.TASK_NOT_FOUND);
    expect(s.sleepUntil(1, NaN, 0)).toBe(SchedError.INVALID_ARG);
    expect(s.yield(1, 0)).toBe(SchedError.INVALID_ARG); // CPU 1 idle
    expect(s.getPriority(1)).toBe(128);
    expect(s.getAffinity(1)).toBe(0b11);
  });

  it("priority and policy changes requeue the task", () => {
    const s = mk(1, [{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(s.pick(0, 0)).toBe(1);
    expect(s.setPolicy(3, "rr", { priority: 40 })).toBe(0);
    expect(s.snapshot().cpus[0].queues.rt[1]).toEqual([3]);
    expect(s.reschedCpus()).toEqual([0]);
    expect(s.pick(0, 0)).toBe(3);
    expect(s.setPriority(3, 200)).toBe(0);
    expect(s.snapshot().cpus[0].queues.rt[6]).toEqual([]);
    expect(s.setPolicy(3, "fair")).toBe(0);
    expect(info(s, 3)).toMatchObject({ policy: "fair", priority: 200, state: "running" });
    s.remove(3, 1 * MS);
    expect(s.current(0)).toBeUndefined();
    expect(s.pick(0, 1 * MS)).toBe(1);
  });

  it("accounts runtime, idle time and switches", () => {
    const s = mk(2, [{ id: 1 }, { id: 2, affinity: 0b01 }]);
    const end = simulate(s, { untilNs: 100 * MS, behaviours: { 1: { burstNs: 5 * MS, sleepNs: 5 * MS } } });
    const snap = s.snapshot();
    const run = snap.tasks.reduce((a, t) => a + t.runtimeNs, 0);
    const idle = snap.cpus.reduce((a, c) => a + c.idleNs, 0);
    expect(run + idle).toBe(2 * end);
    for (const c of snap.cpus) expect(c.busyNs + c.idleNs).toBe(end);
    expect(snap.cpus.reduce((a, c) => a + c.switches, 0)).toBeGreaterThanOrEqual(snap.tasks.reduce((a, t) => a + t.switches, 0));
    expect(info(s, 1).lastCpu).toBeGreaterThanOrEqual(0);
  });

  it("has a plain JSON snapshot with per-CPU queues (deadline, 8 RT levels, fair) and tasks", () => {
    const s = mk(2, [
      { id: 1, policy: "rr", priority: 70 },
      { id: 2 },
      { id: 3, policy: "deadline", deadline: { runtimeNs: MS, deadlineNs: 5 * MS, periodNs: 5 * MS } },
      { id: 4 },
    ]);
    s.pick(0, 0);
    const snap = s.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.cpus).toHaveLength(2);
    for (const c of snap.cpus) {
      expect(Object.keys(c).sort()).toEqual(
        ["busyNs", "cpu", "current", "idleNs", "load", "minVruntime", "needResched", "queues", "switches", "ticks"].sort(),
      );
      expect(c.queues.rt).toHaveLength(8);
    }
    expect(snap.tasks.map((t) => t.id)).toEqual([1, 2, 3, 4]);
    expect(snap.tasks[2].deadline).toMatchObject({ runtimeNs: MS, deadlineNs: 5 * MS, periodNs: 5 * MS });
    expect(snap.tasks[0]).toMatchObject({ policy: "rr", level: 2, sliceNs: 15 * MS });
  });

  it("is deterministic: the same calls give the same schedule", () => {
    const run = () => {
      const s = new Scheduler(4);
      for (let id = 1; id <= 12; id++) s.add({ id, priority: (id * 37) % 256, policy: id % 4 === 0 ? "rr" : "fair" }, 0);
      simulate(s, { untilNs: 500 * MS, behaviours: { 3: { burstNs: 2 * MS, sleepNs: 3 * MS }, 7: { burstNs: 7 * MS, sleepNs: 1 * MS } } });
      return JSON.stringify([s.snapshot(), s.timeline.snapshot(500 * MS)]);
    };
    expect(run()).toBe(run());
  });
});

describe("timeline", () => {
  it("merges a task resumed at the instant it stopped and bounds its memory", () => {
    const s = new Scheduler(1, { timelineCapacity: 20 });
    s.add({ id: 1, policy: "rr", priority: 0 }, 0);
    s.pick(0, 0);
    s.yield(0, 5 * MS);
    s.pick(0, 5 * MS); // alone: same task again, same segment
    expect(s.timeline.segments(10 * MS)).toEqual([{ cpu: 0, task: 1, startNs: 0, endNs: 10 * MS }]);
    s.add({ id: 2, policy: "rr", priority: 0 }, 10 * MS);
    simulate(s, { startNs: 10 * MS, untilNs: 2_000 * MS });
    const snap = s.timeline.snapshot(2_000 * MS);
    expect(snap.segments.length).toBeLessThanOrEqual(20);
    expect(snap.dropped).toBeGreaterThan(0);
    expect(s.timeline.totals(2_000 * MS)[2][0]).toBeGreaterThan(0);
  });
});
