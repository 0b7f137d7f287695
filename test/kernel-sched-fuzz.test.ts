// Random sequences of scheduler calls, good and bad arguments mixed (as a
// buggy or hostile user program could cause through syscalls): no call may
// throw, and after every call the run queues must agree with the task
// states. Seeded, so a failure replays exactly.

import { describe, expect, it } from "vitest";
import { Scheduler, SchedError, type Policy, type SchedulerSnapshot } from "../viperdos/kernel/sched/index.js";
import { E } from "../viperdos/kernel/errors.js";

const MS = 1_000_000;

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Every consistency rule between states, queues and masks; returns the first broken one. */
function invariantError(snap: SchedulerSnapshot): string | undefined {
  const tasks = new Map(snap.tasks.map((t) => [t.id, t]));
  const seen = new Set<number>();
  const once = (id: number, where: string): string | undefined => {
    if (seen.has(id)) return `task ${id} twice (${where})`;
    seen.add(id);
    return undefined;
  };
  for (const c of snap.cpus) {
    if (c.current !== null) {
      const t = tasks.get(c.current)!;
      if (t.state !== "running" || t.cpu !== c.cpu) return `cpu ${c.cpu} current ${t.id} is ${t.state} on ${t.cpu}`;
      // Outside its mask only between setAffinity and the pick it asked for.
      if (((t.affinity >>> c.cpu) & 1) === 0 && !c.needResched) return `task ${t.id} runs outside its mask on ${c.cpu}`;
      const e = once(t.id, "current");
      if (e) return e;
    }
    const check = (ids: number[], ok: (p: Policy) => boolean, what: string, key?: (id: number) => number) => {
      let prev = Number.NEGATIVE_INFINITY;
      for (const id of ids) {
        const t = tasks.get(id);
        if (!t) return `unknown ${id} queued`;
        if (t.state !== "ready" || t.cpu !== c.cpu || !ok(t.policy)) return `${what} queue of cpu ${c.cpu} holds ${id} (${t.state}, ${t.policy}, cpu ${t.cpu})`;
        const e = once(id, what);
        if (e) return e;
        if (key) {
          if (key(id) < prev) return `${what} queue of cpu ${c.cpu} out of order`;
          prev = key(id);
        }
      }
      return undefined;
    };
    const e =
      check(c.queues.deadline, (p) => p === "deadline", "deadline", (id) => tasks.get(id)!.deadline!.absDeadlineNs) ??
      c.queues.rt.map((q, lvl) => check(q, (p) => p === "fifo" || p === "rr", `rt${lvl}`) ?? q.find((id) => tasks.get(id)!.level !== lvl)).find((x) => x !== undefined) ??
      check(c.queues.fair, (p) => p === "fair", "fair", (id) => tasks.get(id)!.vruntime);
    if (typeof e === "string") return e;
    if (typeof e === "number") return `rt queue holds ${e} at the wrong level`;
    if (c.load !== c.queues.deadline.length + c.queues.fair.length + c.queues.rt.flat().length + (c.current === null ? 0 : 1)) return "load";
  }
  for (const t of snap.tasks) {
    if ((t.state === "ready" || t.state === "running") !== seen.has(t.id)) return `task ${t.id} ${t.state} but queued=${seen.has(t.id)}`;
    if ((t.state === "sleeping") !== snap.sleeping.some((x) => x.id === t.id)) return `sleeping ${t.id}`;
    if ((t.state === "throttled") !== snap.throttled.some((x) => x.id === t.id)) return `throttled ${t.id}`;
  }
  return undefined;
}

describe("scheduler under random calls", () => {
  it("uses the kernel's error numbers", () => {
    expect(SchedError).toEqual({ INVALID_ARG: E.INVALID_ARG, EXISTS: E.EXISTS, BUSY: E.BUSY, TASK_NOT_FOUND: E.TASK_NOT_FOUND });
  });

  // SCHED_FUZZ_SEEDS=200 for a longer hunt.
  const seeds = Array.from({ length: Number(process.env.SCHED_FUZZ_SEEDS ?? 8) }, (_, i) => i + 1);
  it.each(seeds)("seed %i: never throws, invariants hold", (seed) => {
    const r = rng(seed * 7919);
    const int = (n: number) => Math.floor(r() * n);
    const cpus = 1 + int(4);
    const s = new Scheduler(cpus, { timelineCapacity: 200 });
    const policies = ["fair", "rr", "fifo", "deadline", "bogus"] as Policy[];
    const junk = [NaN, -1, 1.5, 1e20, Infinity, 0xffff_ffff, -0x8000_0000];
    const id = () => (r() < 0.05 ? junk[int(junk.length)] : 1 + int(12));
    const prio = () => (r() < 0.1 ? junk[int(junk.length)] : int(256));
    const dl = () => {
      const runtimeNs = (1 + int(5)) * MS;
      const deadlineNs = runtimeNs + int(10) * MS;
      return { runtimeNs, deadlineNs, periodNs: deadlineNs + int(20) * MS };
    };
    let now = 0;
    for (let step = 0; step < 3000; step++) {
      now += int(3) * (r() < 0.5 ? MS : 1000);
      const cpu = int(cpus);
      const op = int(14);
      switch (op) {
        case 0:
          s.add({ id: id(), priority: prio(), policy: policies[int(5)], affinity: int(1 << cpus), deadline: r() < 0.8 ? dl() : undefined }, now);
          break;
        case 1:
          if (r() < 0.3) s.remove(id(), now);
          break;
        case 2:
        case 3:
          if (s.tick(cpu, now).preempt) s.pick(cpu, now);
          break;
        case 4:
          s.pick(cpu, now);
          break;
        case 5:
          s.yield(cpu, now);
          break;
        case 6:
          s.block(id(), now);
          break;
        case 7:
          s.wake(id(), now);
          break;
        case 8:
          s.sleepUntil(id(), r() < 0.1 ? NaN : now + int(20) * MS, now);
          break;
        case 9:
          for (const x of s.expired(now)) s.wake(x, now);
          break;
        case 10:
          s.setPriority(id(), prio());
          break;
        case 11:
          s.setPolicy(id(), policies[int(5)], { priority: r() < 0.5 ? prio() : undefined, deadline: r() < 0.7 ? dl() : undefined }, now);
          break;
        case 12:
          s.setAffinity(id(), r() < 0.1 ? junk[int(junk.length)] : int(1 << cpus));
          break;
        case 13:
          s.stealFor(cpu, now);
          break;
      }
      const err = invariantError(s.snapshot());
      if (err) throw new Error(`seed ${seed} step ${step} op ${op}: ${err}`);
    }
    expect(s.snapshot().tasks.length).toBeGreaterThan(0);
  });
});
