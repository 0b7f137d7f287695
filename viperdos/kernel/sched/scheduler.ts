// The ViperDOS scheduler: per-CPU run queues with three classes (deadline
// EDF, FIFO/RR real time in 8 priority levels, fair by weighted vruntime),
// affinity masks, wake placement, work stealing, a sleep queue, accounting
// and a timeline. Pure logic over ids: no dependency on the rest of the
// kernel, no wall clock, no randomness; every tie is broken by CPU index
// then task id (or queue order), so the same calls give the same schedule.
//
// How the kernel drives it (DESIGN.md "Scheduler"):
//   timer IRQ on CPU c (1 kHz)    tick(c, now) -> { preempt }; if preempt: pick(c, now)
//   CPU c needs a task            pick(c, now) -> id | undefined (idle)
//   syscall yield                 yield(c, now); pick(c, now)
//   task blocks (recv, wait)      block(id, now); pick(its CPU, now)
//   event for a blocked task      wake(id, now) -> { cpu, preempt }: if preempt, reschedule that CPU
//   sleep / timeout               sleepUntil(id, wakeNs, now); expired(now) at each tick -> ids to wake()
//   idle machine                  nextEventNs() is when a tick is next needed (sleep or replenishment)
//   after any call from another   reschedCpus() lists CPUs that should pick() (send them an SGI);
//   CPU (wake, set*, remove)      tick() on such a CPU also answers preempt: true
// DESIGN.md's enqueue/dequeue are add()/wake() and block()/remove() here.
// The kernel keeps its own id -> Task map; ids are its thread ids.
//
// Time: `now` is virtual ns. Each CPU accounts from its own last update;
// a `now` earlier than that (CPU interleaving skew) is charged as 0.
//
// Preemption rules (tick): a deadline task runs until its runtime is used
// (then throttled); FIFO until it blocks or yields; RR until its slice ends
// and a peer of its level is queued (it then goes to the tail); a fair task
// until its slice ends and another fair task is queued (then the smallest
// vruntime runs). Any class/level above the current's, queued on its CPU,
// preempts it at once. A preempted RT task returns to the head of its
// level with the rest of its slice.
//
// Fair placement: a blocked task keeps its vruntime and the CPU it left;
// on wake its lag is vruntime - that CPU's min_vruntime now (so sleeping
// earns credit, as min_vruntime moved on) and it is placed at the new
// CPU's min_vruntime + max(lag, -FAIR_WAKE_BONUS_NS). A ready task moving
// CPUs keeps its lag exactly. New tasks start at min_vruntime -
// FAIR_WAKE_BONUS_NS.
//
// Wake placement: the allowed CPU with the fewest runnable tasks; on a tie
// the task's last CPU (cache affinity), else the lowest index.
// Work stealing: a CPU with nothing to run takes, from the CPU with the
// most runnable tasks (at least 2 more than the thief; ties: lowest index)
// that has a queued task allowed on the thief, the queued task that CPU
// would run next among those allowed. Periodic balance: every
// BALANCE_INTERVAL_TICKS ticks a busy CPU does the same pull, so a CPU
// with one task still relieves one with three.

import {
  BALANCE_INTERVAL_TICKS,
  checkDeadlineParams,
  DEADLINE_MAX_UTILISATION,
  type DeadlineParams,
  FAIR_WAKE_BONUS_NS,
  FAIR_WAKEUP_GRANULARITY_NS,
  NICE_0_WEIGHT,
  type Policy,
  PRIORITY_DEFAULT,
  SchedError,
  type SchedErrorCode,
  TICK_HZ,
  utilisation,
  validPolicy,
  validPriority,
} from "./policy.js";
import { deadlineOnWake, deadlineReplenish, deadlineStartInstance, deadlineThrottle } from "./deadline.js";
import { findVictim, placeTask, takeFor } from "./balance.js";
import { RunQueue, type RunQueueSnapshot } from "./runqueue.js";
import { runsBefore, type SchedEntity, SchedTask, type SchedTaskSnapshot } from "./task.js";
import { TimedQueue } from "./timedqueue.js";
import { Timeline } from "./timeline.js";

export interface TickResult {
  /** The CPU should call pick(): its current task must or should give way. */
  preempt: boolean;
}

export interface WakeResult {
  /** False when the task was not blocked (already runnable): nothing changed. */
  woke: boolean;
  /** CPU whose queue now holds the task (or that runs it). */
  cpu: number;
  /** That CPU should call pick() (it is idle or the task beats its current). */
  preempt: boolean;
}

export interface PolicyParams {
  priority?: number;
  deadline?: DeadlineParams;
}

export interface SchedulerSnapshot {
  tickHz: number;
  cpuCount: number;
  nowNs: number;
  deadlineUtilisation: number;
  cpus: RunQueueSnapshot[];
  tasks: SchedTaskSnapshot[];
  sleeping: { id: number; atNs: number }[];
  throttled: { id: number; atNs: number }[];
}

const NEVER_FAIR = Number.POSITIVE_INFINITY;

export class Scheduler {
  readonly cpus: RunQueue[];
  readonly timeline: Timeline;
  /** Latest `now` seen by any call (for snapshots). */
  nowNs = 0;
  private readonly tasks = new Map<number, SchedTask>();
  private readonly sleepers = new TimedQueue();
  private readonly throttled = new TimedQueue();
  private readonly allMask: number;

  /** Precondition: 1 <= cpuCount <= 32. Throws otherwise (a kernel bug, not user input). */
  constructor(
    readonly cpuCount: number,
    opts: { timelineCapacity?: number } = {},
  ) {
    if (!Number.isInteger(cpuCount) || cpuCount < 1 || cpuCount > 32) throw new Error(`Scheduler: bad cpuCount ${cpuCount}`);
    this.cpus = Array.from({ length: cpuCount }, (_, i) => new RunQueue(i));
    this.allMask = cpuCount === 32 ? 0xffff_ffff : (1 << cpuCount) - 1;
    this.timeline = new Timeline(opts.timelineCapacity);
  }

  // ---- tasks -------------------------------------------------------------

  /**
   * Adds a task and makes it ready (wake placement). Returns the CPU it was
   * queued on, or INVALID_ARG (bad id, priority, policy, affinity, deadline
   * params), EXISTS (id in use), BUSY (deadline admission refused).
   */
  add(e: SchedEntity, nowNs = this.nowNs): number | SchedErrorCode {
    if (typeof e !== "object" || e === null || !Number.isSafeInteger(e.id)) return SchedError.INVALID_ARG;
    if (this.tasks.has(e.id)) return SchedError.EXISTS;
    const priority = e.priority ?? PRIORITY_DEFAULT;
    const policy = e.policy ?? "fair";
    if (!validPriority(priority) || !validPolicy(policy)) return SchedError.INVALID_ARG;
    const mask = this.checkMask(e.affinity ?? this.allMask);
    if (mask < 0) return SchedError.INVALID_ARG;
    if (policy === "deadline") {
      const err = this.admit(e.deadline, undefined);
      if (err !== 0) return err;
    }
    const t = new SchedTask(e.id, priority, policy, mask, policy === "deadline" ? { ...e.deadline! } : undefined);
    this.tasks.set(t.id, t);
    const r = this.wake(t.id, nowNs);
    return typeof r === "number" ? r : r.cpu;
  }

  /** Forgets a task (exit). Its CPU, if it was running, must pick(). Returns 0 or TASK_NOT_FOUND. */
  remove(id: number, nowNs = this.nowNs): 0 | SchedErrorCode {
    const t = this.tasks.get(id);
    if (!t) return SchedError.TASK_NOT_FOUND;
    this.leave(t, nowNs);
    this.tasks.delete(id);
    return 0;
  }

  /** True when `id` is known. */
  has(id: number): boolean {
    return this.tasks.has(id);
  }

  /** The id running on `cpu`, or undefined when idle. */
  current(cpu: number): number | undefined {
    return this.rq(cpu).current?.id;
  }

  /** Inspection view of one task, or TASK_NOT_FOUND. */
  info(id: number): SchedTaskSnapshot | SchedErrorCode {
    const t = this.tasks.get(id);
    return t ? t.snapshot() : SchedError.TASK_NOT_FOUND;
  }

  // ---- the CPU side ------------------------------------------------------

  /**
   * Chooses what `cpu` runs from `nowNs`: the previous current (if still
   * runnable) is requeued, then the best queued task runs; with nothing
   * queued the CPU steals. Returns the id now current, or undefined (idle).
   */
  pick(cpu: number, nowNs: number): number | undefined {
    const rq = this.rq(cpu);
    this.advance(rq, nowNs);
    const prev = rq.current;
    if (prev) {
      rq.current = undefined;
      this.putPrev(rq, prev, nowNs);
    }
    let next = rq.best();
    if (!next) next = this.stealInto(rq);
    rq.needResched = false;
    if (!next) {
      this.setCurrent(rq, undefined, nowNs);
      return undefined;
    }
    rq.dequeue(next);
    if (next !== prev && next.classRank === 2) next.sliceUsedNs = 0;
    this.setCurrent(rq, next, nowNs);
    return next.id;
  }

  /**
   * The 1 kHz timer tick on `cpu`: charges time, replenishes deadline
   * tasks, applies slice and budget rules. Returns whether the CPU should
   * pick() now. A throttled deadline task stops being current here.
   */
  tick(cpu: number, nowNs: number): TickResult {
    const rq = this.rq(cpu);
    this.advance(rq, nowNs);
    const t = rq.current;
    if (!t) {
      rq.needResched ||= rq.queued > 0 || this.stealVictim(rq) !== undefined;
      return { preempt: rq.needResched };
    }
    rq.ticks++;
    if (rq.ticks % BALANCE_INTERVAL_TICKS === 0) {
      // Periodic balance: a busy CPU also pulls from a much busier one.
      const pulled = this.stealInto(rq);
      if (pulled) this.queueOn(rq, pulled, false);
    }
    let preempt = rq.needResched || !t.allowedOn(cpu);
    switch (t.policy) {
      case "deadline":
        if (t.remainingNs <= 0) {
          this.clearCurrent(rq, nowNs);
          this.throttle(t, nowNs);
          preempt = true;
        }
        break;
      case "rr":
        if (t.sliceUsedNs >= t.sliceNs) {
          if (rq.rt[t.level].length > 0) {
            t.sliceExpired = true;
            preempt = true;
          } else t.sliceUsedNs = 0; // alone at its level: a fresh slice
        }
        break;
      case "fair":
        if (t.sliceUsedNs >= t.sliceNs) {
          if (rq.fair.length > 0) preempt = true;
          else t.sliceUsedNs = 0;
        }
        break;
      case "fifo":
        break;
    }
    const best = rq.best();
    if (rq.current && best && runsBefore(best, rq.current, NEVER_FAIR)) preempt = true;
    rq.needResched = preempt;
    return { preempt };
  }

  /**
   * The current task of `cpu` gives up the CPU: RT to the tail of its
   * level (fresh slice), fair behind every fair task queued here, deadline
   * throttled until its next period. The caller then pick()s. Returns 0,
   * or INVALID_ARG when the CPU is idle.
   */
  yield(cpu: number, nowNs: number): 0 | SchedErrorCode {
    const rq = this.rq(cpu);
    this.advance(rq, nowNs);
    const t = rq.current;
    if (!t) return SchedError.INVALID_ARG;
    this.clearCurrent(rq, nowNs);
    rq.needResched = true;
    if (t.policy === "deadline") {
      t.remainingNs = Math.min(t.remainingNs, 0);
      this.throttle(t, nowNs);
      return 0;
    }
    t.sliceUsedNs = 0;
    t.sliceExpired = false;
    if (!t.allowedOn(cpu)) {
      // Its mask changed while it ran: it goes to an allowed CPU instead.
      t.cpu = cpu;
      this.migrateReady(t, this.placeFor(t), false);
      return 0;
    }
    if (t.policy === "fair" && rq.fair.length > 0) {
      t.vruntime = Math.max(t.vruntime, rq.fair[rq.fair.length - 1].vruntime + 1);
    }
    this.queueOn(rq, t, false);
    return 0;
  }

  // ---- blocking, waking, sleeping ---------------------------------------

  /**
   * Takes the task off the CPUs until wake(). If it was running, its CPU
   * must pick(). Blocking a blocked or sleeping task changes nothing.
   * Returns 0 or TASK_NOT_FOUND.
   */
  block(id: number, nowNs: number): 0 | SchedErrorCode {
    const t = this.tasks.get(id);
    if (!t) return SchedError.TASK_NOT_FOUND;
    if (t.state === "blocked" || t.state === "sleeping") return 0;
    this.leave(t, nowNs);
    t.state = "blocked";
    return 0;
  }

  /**
   * Makes a blocked, sleeping or new task ready on the CPU chosen by wake
   * placement. Returns the placement, or TASK_NOT_FOUND. A task that is
   * already ready, running or throttled is left alone (`woke: false`).
   */
  wake(id: number, nowNs: number): WakeResult | SchedErrorCode {
    const t = this.tasks.get(id);
    if (!t) return SchedError.TASK_NOT_FOUND;
    this.nowNs = Math.max(this.nowNs, nowNs);
    if (t.state !== "blocked" && t.state !== "sleeping") return { woke: false, cpu: t.cpu, preempt: false };
    this.sleepers.remove(t);
    const cpu = this.placeFor(t);
    const rq = this.cpus[cpu];
    if (t.lastCpu !== -1 && t.lastCpu !== cpu) t.migrations++;
    if (t.policy === "deadline") deadlineOnWake(t, nowNs);
    t.sliceUsedNs = 0;
    t.sliceExpired = false;
    const lag = t.vcpu >= 0 ? t.vruntime - this.cpus[t.vcpu].minVruntime : -FAIR_WAKE_BONUS_NS;
    t.vruntime = rq.minVruntime + Math.max(lag, -FAIR_WAKE_BONUS_NS);
    const preempt = this.queueOn(rq, t, false);
    return { woke: true, cpu, preempt };
  }

  /**
   * Blocks the task until `wakeNs` (or an earlier wake()). Usable on a
   * blocked task too: that gives "block with a timeout". expired() later
   * reports it. Returns 0, TASK_NOT_FOUND, or INVALID_ARG (bad time).
   */
  sleepUntil(id: number, wakeNs: number, nowNs: number): 0 | SchedErrorCode {
    const t = this.tasks.get(id);
    if (!t) return SchedError.TASK_NOT_FOUND;
    if (typeof wakeNs !== "number" || !Number.isFinite(wakeNs)) return SchedError.INVALID_ARG;
    if (t.state === "sleeping") this.sleepers.remove(t);
    else this.block(id, nowNs);
    t.state = "sleeping";
    t.wakeAtNs = wakeNs;
    this.sleepers.insert(t, wakeNs);
    return 0;
  }

  /**
   * Sleepers whose time has come, in (wake time, id) order; they leave the
   * sleep queue as "blocked" and the caller wake()s each (after setting its
   * syscall result).
   */
  expired(nowNs: number): number[] {
    this.nowNs = Math.max(this.nowNs, nowNs);
    return this.sleepers.popDue(nowNs).map((t) => {
      t.state = "blocked";
      return t.id;
    });
  }

  /** Earliest sleep expiry or deadline replenishment, or undefined: when an idle machine needs its next tick. */
  nextEventNs(): number | undefined {
    const a = this.sleepers.nextNs();
    const b = this.throttled.nextNs();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  // ---- parameters --------------------------------------------------------

  /** Sets the priority 0..255. Returns 0, TASK_NOT_FOUND or INVALID_ARG. */
  setPriority(id: number, priority: number): 0 | SchedErrorCode {
    const t = this.tasks.get(id);
    if (!t) return SchedError.TASK_NOT_FOUND;
    if (!validPriority(priority)) return SchedError.INVALID_ARG;
    this.requeueAround(t, () => {
      t.priority = priority;
    });
    return 0;
  }

  /** Priority of a task, or TASK_NOT_FOUND. */
  getPriority(id: number): number | SchedErrorCode {
    return this.tasks.get(id)?.priority ?? SchedError.TASK_NOT_FOUND;
  }

  /**
   * Changes the class (and optionally the priority). "deadline" needs
   * `params.deadline` and passes admission control. Returns 0,
   * TASK_NOT_FOUND, INVALID_ARG or BUSY (admission refused).
   */
  setPolicy(id: number, policy: Policy, params: PolicyParams = {}, nowNs = this.nowNs): 0 | SchedErrorCode {
    const t = this.tasks.get(id);
    if (!t) return SchedError.TASK_NOT_FOUND;
    if (!validPolicy(policy) || typeof params !== "object" || params === null) return SchedError.INVALID_ARG;
    if (params.priority !== undefined && !validPriority(params.priority)) return SchedError.INVALID_ARG;
    if (policy === "deadline") {
      const err = this.admit(params.deadline, t);
      if (err !== 0) return err;
    }
    if (t.state === "throttled") {
      // Leaving (or re-parametrising) the deadline class ends the throttle.
      this.throttled.remove(t);
      t.state = "blocked";
      this.requeueAround(t, () => this.applyPolicy(t, policy, params, nowNs));
      this.wake(t.id, nowNs);
      return 0;
    }
    this.requeueAround(t, () => this.applyPolicy(t, policy, params, nowNs));
    return 0;
  }

  /**
   * Sets the CPU mask (bit i = CPU i; bits beyond the CPU count ignored).
   * A queued task outside the mask moves at once; a running one makes its
   * CPU reschedule and moves at its next pick(). Returns 0, TASK_NOT_FOUND
   * or INVALID_ARG (no allowed CPU).
   */
  setAffinity(id: number, mask: number): 0 | SchedErrorCode {
    const t = this.tasks.get(id);
    if (!t) return SchedError.TASK_NOT_FOUND;
    const m = this.checkMask(mask);
    if (m < 0) return SchedError.INVALID_ARG;
    t.affinity = m;
    if (t.state === "ready" && !t.allowedOn(t.cpu)) this.migrateReady(t, this.placeFor(t));
    else if (t.state === "running" && !t.allowedOn(t.cpu)) this.cpus[t.cpu].needResched = true;
    return 0;
  }

  /** Affinity mask of a task, or TASK_NOT_FOUND. */
  getAffinity(id: number): number | SchedErrorCode {
    return this.tasks.get(id)?.affinity ?? SchedError.TASK_NOT_FOUND;
  }

  // ---- balancing ---------------------------------------------------------

  /**
   * Work stealing for `cpu`: if it is idle (no current, nothing queued), moves one queued
   * task (see the header for which) from the busiest allowed CPU into its
   * queue. Returns the stolen id or undefined. pick() does this itself.
   */
  stealFor(cpu: number, nowNs: number): number | undefined {
    const rq = this.rq(cpu);
    this.advance(rq, nowNs);
    if (rq.current || rq.queued > 0) return undefined;
    const t = this.stealInto(rq);
    if (t) this.queueOn(rq, t, false);
    return t?.id;
  }

  /** CPUs asked to reschedule (a wake, priority or affinity change hit them), in index order. */
  reschedCpus(): number[] {
    return this.cpus.filter((rq) => rq.needResched).map((rq) => rq.cpu);
  }

  /** Plain JSON view of every CPU, task, sleeper and throttled task. */
  snapshot(): SchedulerSnapshot {
    return {
      tickHz: TICK_HZ,
      cpuCount: this.cpuCount,
      nowNs: this.nowNs,
      deadlineUtilisation: this.deadlineUtilisation(undefined),
      cpus: this.cpus.map((rq) => rq.snapshot()),
      tasks: [...this.tasks.values()].sort((a, b) => a.id - b.id).map((t) => t.snapshot()),
      sleeping: this.sleepers.snapshot(),
      throttled: this.throttled.snapshot(),
    };
  }

  // ---- internals ---------------------------------------------------------

  private rq(cpu: number): RunQueue {
    const rq = this.cpus[cpu];
    if (!rq) throw new Error(`Scheduler: no CPU ${cpu}`);
    return rq;
  }

  /** Validated mask within the CPUs, or INVALID_ARG. */
  private checkMask(mask: unknown): number {
    if (typeof mask !== "number" || !Number.isInteger(mask)) return SchedError.INVALID_ARG;
    const m = (mask & this.allMask) >>> 0;
    return m === 0 ? SchedError.INVALID_ARG : m;
  }

  private deadlineUtilisation(except: SchedTask | undefined): number {
    let u = 0;
    for (const t of this.tasks.values()) if (t !== except && t.policy === "deadline" && t.deadline) u += utilisation(t.deadline);
    return u;
  }

  private admit(params: DeadlineParams | undefined, t: SchedTask | undefined): 0 | SchedErrorCode {
    if (checkDeadlineParams(params) !== 0) return SchedError.INVALID_ARG;
    const u = this.deadlineUtilisation(t) + utilisation(params!);
    return u > DEADLINE_MAX_UTILISATION * this.cpuCount ? SchedError.BUSY : 0;
  }

  private applyPolicy(t: SchedTask, policy: Policy, params: PolicyParams, nowNs: number): void {
    const wasFair = t.policy === "fair";
    if (params.priority !== undefined) t.priority = params.priority;
    t.policy = policy;
    t.deadline = policy === "deadline" ? { ...params.deadline! } : undefined;
    if (policy === "deadline") deadlineStartInstance(t, nowNs);
    if (policy === "fair" && !wasFair) {
      // Entering the fair class: start level with the CPU's other tasks.
      const home = this.cpus[t.cpu >= 0 ? t.cpu : Math.max(t.lastCpu, 0)];
      t.vruntime = home.minVruntime;
      t.vcpu = home.cpu;
    }
    t.sliceUsedNs = 0;
    t.sliceExpired = false;
  }

  /** Charges time on `rq` up to `nowNs` and replenishes due deadline tasks. */
  private advance(rq: RunQueue, nowNs: number): void {
    this.nowNs = Math.max(this.nowNs, nowNs);
    const delta = Math.max(0, nowNs - rq.lastUpdateNs);
    rq.lastUpdateNs = Math.max(rq.lastUpdateNs, nowNs);
    const t = rq.current;
    if (!t) rq.idleNs += delta;
    else if (delta > 0) {
      rq.busyNs += delta;
      t.runtimeNs += delta;
      t.sliceUsedNs += delta;
      if (t.policy === "fair") t.vruntime += (delta * NICE_0_WEIGHT) / t.weight;
      else if (t.policy === "deadline") t.remainingNs -= delta;
    }
    rq.updateMinVruntime();
    for (const d of this.throttled.popDue(nowNs)) {
      if (deadlineReplenish(d, nowNs)) {
        d.state = "blocked";
        this.wake(d.id, nowNs);
      } else this.throttled.insert(d, deadlineThrottle(d, nowNs));
    }
  }

  private setCurrent(rq: RunQueue, t: SchedTask | undefined, nowNs: number): void {
    rq.current = t;
    this.timeline.switchTo(rq.cpu, t?.id, nowNs);
    if (!t) return;
    t.state = "running";
    t.cpu = rq.cpu;
    t.lastCpu = rq.cpu;
    if (rq.lastRanId !== t.id) {
      rq.switches++;
      t.switches++;
      rq.lastRanId = t.id;
    }
  }

  private clearCurrent(rq: RunQueue, nowNs: number): void {
    rq.current = undefined;
    this.timeline.switchTo(rq.cpu, undefined, nowNs);
  }

  /** Takes `t` off its CPU / queue / timer lists (accounting first); leaves its state to the caller. */
  private leave(t: SchedTask, nowNs: number): void {
    if (t.state === "running" || t.state === "ready") {
      const rq = this.cpus[t.cpu];
      this.advance(rq, nowNs);
      t.vcpu = rq.cpu;
      if (t.state === "running") {
        this.clearCurrent(rq, nowNs);
        rq.needResched = true;
      } else rq.dequeue(t);
    }
    this.sleepers.remove(t);
    this.throttled.remove(t);
    t.cpu = -1;
  }

  private throttle(t: SchedTask, nowNs: number): void {
    t.state = "throttled";
    t.cpu = -1;
    this.throttled.insert(t, deadlineThrottle(t, nowNs));
  }

  /** Puts the previous current back after pick(): here, or on an allowed CPU if its mask changed. */
  private putPrev(rq: RunQueue, t: SchedTask, nowNs: number): void {
    if (!t.allowedOn(rq.cpu)) {
      this.timeline.switchTo(rq.cpu, undefined, nowNs);
      t.state = "ready";
      t.cpu = rq.cpu;
      this.migrateReady(t, this.placeFor(t), false);
      return;
    }
    let atHead = t.isRealtime;
    if (t.sliceExpired) {
      t.sliceExpired = false;
      t.sliceUsedNs = 0;
      atHead = false;
    }
    if (t.classRank === 2 && t.sliceUsedNs >= t.sliceNs) t.sliceUsedNs = 0;
    t.state = "ready";
    rq.enqueue(t, atHead);
  }

  /**
   * Queues a ready task on `rq` and flags the CPU if the task should run
   * before its current (or the CPU is idle). Returns that flag.
   */
  private queueOn(rq: RunQueue, t: SchedTask, atHead: boolean): boolean {
    t.state = "ready";
    t.cpu = rq.cpu;
    rq.enqueue(t, atHead);
    const cur = rq.current;
    const preempt = !cur || runsBefore(t, cur, FAIR_WAKEUP_GRANULARITY_NS);
    if (preempt) rq.needResched = true;
    return preempt;
  }

  /** Moves a ready (queued, or just-descheduled when `queued` is false) task to `dst`, keeping its fair lag. */
  private migrateReady(t: SchedTask, dst: number, queued = true): void {
    const src = this.cpus[t.cpu];
    if (queued) src.dequeue(t);
    const to = this.cpus[dst];
    t.vruntime = t.vruntime - src.minVruntime + to.minVruntime;
    if (dst !== src.cpu) t.migrations++;
    this.queueOn(to, t, false);
  }

  private placeFor(t: SchedTask): number {
    return placeTask(this.cpus, t);
  }

  private stealVictim(rq: RunQueue): RunQueue | undefined {
    return findVictim(this.cpus, rq);
  }

  /** Takes the stolen task off its victim (not yet queued on `rq`); fair lag kept. */
  private stealInto(rq: RunQueue): SchedTask | undefined {
    const victim = this.stealVictim(rq);
    if (!victim) return undefined;
    const t = takeFor(victim, rq);
    t.migrations++;
    return t;
  }

  /** Runs `change` on `t` with the task out of its queue, then requeues it and flags preemption as needed. */
  private requeueAround(t: SchedTask, change: () => void): void {
    if (t.state === "ready") {
      const rq = this.cpus[t.cpu];
      rq.dequeue(t);
      change();
      this.queueOn(rq, t, false);
      return;
    }
    change();
    if (t.state === "running") {
      const rq = this.cpus[t.cpu];
      const best = rq.best();
      if (best && runsBefore(best, t, NEVER_FAIR)) rq.needResched = true;
    }
  }
}
