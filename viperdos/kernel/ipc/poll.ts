// Poll sets (POLL_CREATE/ADD/REMOVE/WAIT 0x20-0x23; VIPERDOS.md, "IPC").
//
// A process holds at most MAX_POLL_SETS = 16 poll sets (distinct objects in
// its table; the 17th create -> -400); a set holds at most
// MAX_POLL_ENTRIES = 16 entries (the 17th add -> -400). An entry is a handle
// (or the console pseudo-handle 0xFFFF0001) and an event mask out of
// READ 0x1, WRITE 0x2, TIMER 0x4, CONSOLE 0x8, NETWORK 0x10. Adding a handle
// already in the set replaces its mask. Readiness is level-triggered, except
// that reporting TIMER consumes the timer's pending expiries.
//
// Waiting is split so the scheduler owns blocking:
//   pollReady(table, set)          -> events ready now ([] = would block)
//   pollOnReady(table, set, wake)  -> one-shot callback when any entry may
//                                     have become ready (or the set goes);
//                                     returns a cancel function
//   pollWaitOrBlock(...)           -> both in one step (no lost wake-up)
// The integrator's POLL_WAIT: ready? return them; timeout 0? return [];
// else register wake (and a TimerService alarm for the timeout), block the
// task, and on wake call pollReady again.
// Entries whose handle was closed (or now names another object) are dropped
// silently at the next pollReady, like epoll with a closed descriptor.
// Rights: add/remove need WRITE on the set, waiting needs READ.

import { E } from "../errors.js";
import { type HandleTable } from "../cap/handles.js";
import { defaultIds, IdSource, KernelObject, type Watcher } from "../cap/objects.js";
import { IPC_DEFAULT_RIGHTS, Rights } from "../cap/rights.js";
import { ALL_POLL_EVENTS, CONSOLE_HANDLE, PollEvent } from "./events.js";
import { TimerObject } from "./timer.js";

export { PollEvent, CONSOLE_HANDLE } from "./events.js";

export const MAX_POLL_SETS = 16;
export const MAX_POLL_ENTRIES = 16;

/** Anything poll can watch: kernel objects, and the console input source. */
export interface Waitable {
  readyEvents(): number;
  watch(w: Watcher): () => void;
}

/** The kernel's console input: readyEvents() has CONSOLE (0x8) while input is pending. */
export type ConsoleSource = Waitable;

export interface PollResult {
  handle: number;
  /** Ready events, masked by the entry's requested events. */
  events: number;
}

interface Entry {
  handle: number;
  events: number;
  target: Waitable;
  /** The object the handle named at add time (null for the console). */
  object: KernelObject | null;
  unwatch: () => void;
}

export class PollSet extends KernelObject {
  readonly entries: Entry[] = [];
  /** An array, not a Set: waking runs on every message, and a Set's iterator allocates. */
  private readonly waiters: (() => void)[] = [];

  constructor(readonly console: ConsoleSource | null, ids?: IdSource) {
    super("poll", ids);
  }

  /** Calls and forgets every registered waiter. */
  wakeAll(): void {
    const n = this.waiters.length;
    if (n === 0) return;
    if (n === 1) {
      // One waiter (the usual blocked task): forget it, then call it, as below, without the copy.
      const only = this.waiters[0];
      this.waiters.length = 0;
      only();
      return;
    }
    const ws = this.waiters.slice();
    this.waiters.length = 0;
    for (const w of ws) w();
  }

  /**
   * Registers a one-shot waiter; returns its cancel function. Registering
   * the same function twice keeps one registration (callers cancel their
   * previous wait before waiting again).
   */
  addWaiter(w: () => void): () => void {
    if (!this.waiters.includes(w)) this.waiters.push(w);
    return () => {
      const i = this.waiters.indexOf(w);
      if (i >= 0) this.waiters.splice(i, 1);
    };
  }

  get waiting(): number {
    return this.waiters.length;
  }

  removeEntry(i: number): void {
    const [e] = this.entries.splice(i, 1);
    e.unwatch();
  }

  protected override onLastRelease(): void {
    while (this.entries.length > 0) this.removeEntry(0);
    this.wakeAll();
  }

  override describe(): Record<string, unknown> {
    return {
      waiting: this.waiters.length,
      entries: this.entries.map((e) => ({ handle: e.handle, events: e.events, ready: e.target.readyEvents() & e.events, objectId: e.object?.id ?? null })),
    };
  }
}

/**
 * POLL_CREATE: a new poll set in `table` (READ, WRITE, DERIVE, TRANSFER).
 * `console` is the source behind CONSOLE_HANDLE (null: console not pollable).
 * Returns the handle, -400 when the process already holds 16 sets, -501 table full.
 */
export function pollCreate(table: HandleTable, console: ConsoleSource | null = null, ids: IdSource = defaultIds): number {
  if (table.countObjects("poll") >= MAX_POLL_SETS) return E.POLL_FULL;
  return table.insert(new PollSet(console, ids), IPC_DEFAULT_RIGHTS);
}

/**
 * POLL_ADD: watch `handle` for `events` in set `setH` (needs WRITE on it).
 * Returns 0; -2 when `events` is 0 or has undefined bits; set errors
 * (-100/-101/-102/-6); the watched handle's -100/-101; -102 when its object
 * cannot be polled; -7 for the console pseudo-handle without a console
 * source; -400 when the set has 16 entries.
 */
export function pollAdd(table: HandleTable, setH: number, handle: number, events: number): number {
  const set = table.getObject(setH, PollSet, Rights.WRITE);
  if (typeof set === "number") return set;
  if (!Number.isInteger(events) || events <= 0 || (events & ~ALL_POLL_EVENTS) !== 0) return E.INVALID_ARG;
  let target: Waitable;
  let object: KernelObject | null = null;
  if (handle === CONSOLE_HANDLE) {
    if (set.console === null) return E.NOT_SUPPORTED;
    target = set.console;
  } else {
    const e = table.get(handle);
    if (typeof e === "number") return e;
    if (!e.object.waitable) return E.WRONG_TYPE;
    target = e.object;
    object = e.object;
  }
  const existing = set.entries.find((x) => x.handle === handle >>> 0);
  if (existing !== undefined && existing.object === object) {
    existing.events = events;
  } else {
    if (existing !== undefined) set.removeEntry(set.entries.indexOf(existing)); // stale entry for a reused handle
    if (set.entries.length >= MAX_POLL_ENTRIES) return E.POLL_FULL;
    // Wake waiters only when an event this entry asks for is ready (or the object went): a
    // receive that makes a channel writable must not wake a task waiting to read it.
    const entry: Entry = { handle: handle >>> 0, events, target, object, unwatch: () => {} };
    entry.unwatch = target.watch(() => {
      if ((target.readyEvents() & entry.events) !== 0 || object?.destroyed) set.wakeAll();
    });
    set.entries.push(entry);
  }
  if ((target.readyEvents() & events) !== 0) set.wakeAll();
  return E.OK;
}

/** POLL_REMOVE: stop watching `handle`. Returns 0, set errors, or -4 when it is not in the set. */
export function pollRemove(table: HandleTable, setH: number, handle: number): number {
  const set = table.getObject(setH, PollSet, Rights.WRITE);
  if (typeof set === "number") return set;
  const i = set.entries.findIndex((x) => x.handle === handle >>> 0);
  if (i < 0) return E.NOT_FOUND;
  set.removeEntry(i);
  return E.OK;
}

/**
 * The non-blocking half of POLL_WAIT: entries ready now, in entry order,
 * each with its ready events masked by its requested events. [] means the
 * caller would block. Reporting TIMER consumes the timer's pending expiries.
 * Returns set errors (-100/-101/-102/-6: needs READ).
 */
export function pollReady(table: HandleTable, setH: number): PollResult[] | number {
  const set = table.getObject(setH, PollSet, Rights.READ);
  if (typeof set === "number") return set;
  dropDeadEntries(table, set);
  const out: PollResult[] = [];
  for (const e of set.entries) {
    const ev = e.target.readyEvents() & e.events;
    if (ev === 0) continue;
    if ((ev & PollEvent.TIMER) !== 0 && e.object instanceof TimerObject) e.object.consume();
    out.push({ handle: e.handle, events: ev });
  }
  return out;
}

/**
 * pollReady without allocation, for POLL_WAIT: writes (handle, events)
 * pairs of the ready entries, in entry order, into out[0..2*count) (out
 * holds at least 2 * MAX_POLL_ENTRIES) and returns count; the same
 * semantics and errors as pollReady.
 */
export function pollReadyInto(table: HandleTable, setH: number, out: Uint32Array): number {
  const set = table.getObject(setH, PollSet, Rights.READ);
  if (typeof set === "number") return set;
  dropDeadEntries(table, set);
  let count = 0;
  const entries = set.entries;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const ev = e.target.readyEvents() & e.events;
    if (ev === 0) continue;
    if ((ev & PollEvent.TIMER) !== 0 && e.object instanceof TimerObject) e.object.consume();
    out[2 * count] = e.handle;
    out[2 * count + 1] = ev;
    count++;
  }
  return count;
}

/**
 * Registers `wake` to be called once when any entry of set `setH` may have
 * become ready (or the set is destroyed). Returns the cancel function, or
 * set errors (-100/-101/-102/-6: needs READ). Spurious wake-ups are allowed:
 * the woken task calls pollReady again.
 */
export function pollOnReady(table: HandleTable, setH: number, wake: () => void): (() => void) | number {
  const set = table.getObject(setH, PollSet, Rights.READ);
  if (typeof set === "number") return set;
  return set.addWaiter(wake);
}

/**
 * POLL_WAIT in one step: { ready } when something is ready now, otherwise
 * registers `wake` and returns { blocked: cancel }. Errors as pollReady.
 */
export function pollWaitOrBlock(table: HandleTable, setH: number, wake: () => void): { ready: PollResult[] } | { blocked: () => void } | number {
  const ready = pollReady(table, setH);
  if (typeof ready === "number") return ready;
  if (ready.length > 0) return { ready };
  const cancel = pollOnReady(table, setH, wake);
  return typeof cancel === "number" ? cancel : { blocked: cancel };
}

function dropDeadEntries(table: HandleTable, set: PollSet): void {
  for (let i = set.entries.length - 1; i >= 0; i--) {
    const e = set.entries[i];
    if (e.object === null) continue;
    if (table.objectOf(e.handle) !== e.object) set.removeEntry(i);
  }
}
