// Timers: kernel alarms at virtual-time deadlines, and timer objects user
// programs reach through handles (TIMER_CREATE 0x32 / TIMER_CANCEL 0x33).
//
// TimerService is driven by the kernel through an injected TimerHost:
//   now()            virtual time in ns (machine.now())
//   setAlarm(t)      "call expire() when virtual time reaches t" (null: none);
//                    the kernel programs the CPU timer / its event loop.
// expire() runs every alarm whose deadline <= now(), ordered by (deadline,
// creation order) so runs are deterministic, then re-arms the host.
// Kernel-internal users (sleep, poll timeouts) use addAlarm() directly.
//
// A TimerObject is one-shot (period 0) or periodic. Each expiry adds to its
// pending count and makes it ready for TIMER (0x4); a poll wait that reports
// TIMER consumes the pending count (like reading a timerfd). Periodic timers
// keep a fixed phase: the next deadline is previous + period, and expiries
// missed because the host ran late are all counted at once.
// Periods below MIN_PERIOD_NS are refused (-2) so a user cannot flood the
// alarm queue.

import { E } from "../errors.js";
import { type HandleTable } from "../cap/handles.js";
import { defaultIds, IdSource, KernelObject } from "../cap/objects.js";
import { IPC_DEFAULT_RIGHTS, Rights } from "../cap/rights.js";
import { PollEvent } from "./events.js";

export const MIN_PERIOD_NS = 10_000;

export interface TimerHost {
  now(): number;
  setAlarm(deadlineNs: number | null): void;
}

interface Alarm {
  readonly id: number;
  readonly deadline: number;
  readonly seq: number;
  readonly label: string;
  readonly fire: () => void;
}

export class TimerService {
  private readonly alarms: Alarm[] = []; // sorted by (deadline, seq)
  private seq = 0;
  private programmed: number | null = null;
  fired = 0;

  constructor(readonly host: TimerHost) {}

  /** Virtual time now (ns). */
  now(): number {
    return this.host.now();
  }

  /**
   * Calls `fire` once when virtual time reaches `deadlineNs` (at the next
   * expire() at or after it). Returns the alarm id for cancelAlarm.
   */
  addAlarm(deadlineNs: number, fire: () => void, label = "alarm"): number {
    const a: Alarm = { id: ++this.seq, deadline: deadlineNs, seq: this.seq, label, fire };
    let i = this.alarms.length;
    while (i > 0 && this.alarms[i - 1].deadline > deadlineNs) i--;
    this.alarms.splice(i, 0, a);
    this.reprogram();
    return a.id;
  }

  /** Cancels alarm `id`; returns true if it was pending. */
  cancelAlarm(id: number): boolean {
    const i = this.alarms.findIndex((a) => a.id === id);
    if (i < 0) return false;
    this.alarms.splice(i, 1);
    this.reprogram();
    return true;
  }

  /** Earliest pending deadline, or null. */
  nextDeadline(): number | null {
    return this.alarms.length > 0 ? this.alarms[0].deadline : null;
  }

  /** Runs due alarms (deadline <= now) in order; returns how many fired. */
  expire(): number {
    const now = this.host.now();
    let n = 0;
    while (this.alarms.length > 0 && this.alarms[0].deadline <= now) {
      const a = this.alarms.shift()!;
      n++;
      this.fired++;
      a.fire(); // may add alarms (periodic re-arm); those due now run in this loop too
    }
    this.reprogram();
    return n;
  }

  private reprogram(): void {
    const next = this.nextDeadline();
    if (next !== this.programmed) {
      this.programmed = next;
      this.host.setAlarm(next);
    }
  }

  snapshot(): { now: number; fired: number; alarms: { id: number; deadline: number; label: string }[] } {
    return { now: this.host.now(), fired: this.fired, alarms: this.alarms.map((a) => ({ id: a.id, deadline: a.deadline, label: a.label })) };
  }
}

export class TimerObject extends KernelObject {
  override readonly waitable = true;
  deadline = 0;
  period = 0;
  /** Expiries not yet reported by poll. */
  pending = 0;
  /** Expiries since creation. */
  expirations = 0;
  private alarm: number | null = null;

  constructor(readonly service: TimerService, ids?: IdSource) {
    super("timer", ids);
  }

  get armed(): boolean {
    return this.alarm !== null;
  }

  /** Arms at absolute `deadlineNs`, repeating every `periodNs` if > 0 (re-arming replaces the old setting). */
  arm(deadlineNs: number, periodNs: number): void {
    this.disarm();
    this.deadline = deadlineNs;
    this.period = periodNs;
    this.alarm = this.service.addAlarm(deadlineNs, () => this.onExpire(), `timer#${this.id}`);
  }

  /** Stops the timer and forgets pending expiries. */
  cancel(): void {
    this.disarm();
    this.pending = 0;
    this.notifyWatchers();
  }

  /** Returns and clears the pending expiry count (poll reported TIMER). */
  consume(): number {
    const n = this.pending;
    this.pending = 0;
    return n;
  }

  override readyEvents(): number {
    return this.pending > 0 ? PollEvent.TIMER : 0;
  }

  private onExpire(): void {
    this.alarm = null;
    let n = 1;
    if (this.period > 0) {
      const now = this.service.now();
      let next = this.deadline + this.period;
      while (next <= now) {
        next += this.period;
        n++;
      }
      this.deadline = next;
      this.alarm = this.service.addAlarm(next, () => this.onExpire(), `timer#${this.id}`);
    }
    this.pending += n;
    this.expirations += n;
    this.notifyWatchers();
  }

  private disarm(): void {
    if (this.alarm !== null) this.service.cancelAlarm(this.alarm);
    this.alarm = null;
  }

  protected override onLastRelease(): void {
    this.disarm();
  }

  override describe(): Record<string, unknown> {
    return { armed: this.armed, deadline: this.deadline, period: this.period, pending: this.pending, expirations: this.expirations };
  }
}

/**
 * TIMER_CREATE: a timer in `table` that first expires `delayNs` from now and
 * then every `periodNs` (0: one-shot). Returns the handle (READ, WRITE,
 * DERIVE, TRANSFER), -2 for a negative/non-integer delay or a period that is
 * negative or below MIN_PERIOD_NS, or -501 when the table is full.
 */
export function timerCreate(table: HandleTable, service: TimerService, delayNs: number, periodNs = 0, ids: IdSource = defaultIds): number {
  if (!Number.isSafeInteger(delayNs) || delayNs < 0) return E.INVALID_ARG;
  if (!Number.isSafeInteger(periodNs) || periodNs < 0 || (periodNs > 0 && periodNs < MIN_PERIOD_NS)) return E.INVALID_ARG;
  if (!table.canAccept(1)) return E.NO_RESOURCE;
  const t = new TimerObject(service, ids);
  const h = table.insert(t, IPC_DEFAULT_RIGHTS);
  if (h < 0) return h;
  t.arm(service.now() + delayNs, periodNs);
  return h;
}

/** TIMER_CANCEL: stops timer handle `h` (needs WRITE). Returns 0, -100/-101, -102, -6. */
export function timerCancel(table: HandleTable, h: number): number {
  const t = table.getObject(h, TimerObject, Rights.WRITE);
  if (typeof t === "number") return t;
  t.cancel();
  return E.OK;
}
