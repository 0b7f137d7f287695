// Syscall handlers for channels, poll sets, timers, shared memory and
// capabilities (VIPERDOS.md "Capabilities" and "IPC"), on top of the kernel
// objects in cap/ and ipc/.
//
// User-visible structures (viperdos/user/include/viperdos/ipc.h):
//   struct vd_poll_event { u32 handle; u32 events; }            8 bytes
//   struct vd_cap_info   { u32 kind; u32 rights; u32 generation; u32 pad; }
//   struct vd_cap_entry  { u32 handle; u32 kind; u32 rights; u32 pad; }
// Object kinds are numbered by OBJECT_KIND_NUMBERS below.
//
// Channel message rule (one rule, as VIPERDOS.md asks): up to 8 KiB of bytes
// and 4 handles per message, 16 queued messages per direction; -302 too
// large, -300 full/empty, -301 peer closed. Send and receive never block.

import { E } from "../errors.js";
import { SYS } from "./table.js";
import { TraceKind } from "../inspect/trace.js";
import { copyIn, copyOut, readU32, userBytes, writeU32 } from "../mm/uaccess.js";
import { PROT_READ, PROT_WRITE } from "../mm/layout.js";
import { channelClose, channelCreate, channelRecv, channelSend, CHANNEL_MAX_BYTES, CHANNEL_MAX_HANDLES } from "../ipc/channel.js";
import { pollAdd, pollCreate, pollOnReady, pollReadyInto, pollRemove, MAX_POLL_ENTRIES } from "../ipc/poll.js";
import { timerCancel, timerCreate } from "../ipc/timer.js";
import { shmClose, shmCreate, shmForMapping } from "../ipc/shm.js";
import { Resource } from "../cap/limits.js";
import type { Kernel } from "../kernel.js";
import type { Task, WaitReason } from "../proc/process.js";
import { err, i64, n, ok, u32, type HandlerTable, type Outcome } from "./abi.js";

/** Kind numbers in CAP_QUERY/CAP_LIST (0 = unknown). */
export const OBJECT_KIND_NUMBERS: Record<string, number> = {
  channel: 1, poll: 2, timer: 3, shm: 4, task: 5, process: 6, file: 7, dir: 8, socket: 9, tls: 10, device: 11, irq: 12, dma: 13, console: 14,
};

const kindNumber = (k: string): number => OBJECT_KIND_NUMBERS[k] ?? 0;

/** Read `count` u32 handles from user memory. */
const NO_HANDLES: readonly number[] = Object.freeze([]);
const NO_BYTES = new Uint8Array(0);

function readHandles(t: Task, va: number, count: number): readonly number[] | number {
  if (count === 0) return NO_HANDLES;
  if (count > CHANNEL_MAX_HANDLES) return E.MSG_TOO_LARGE;
  const bytes = copyIn(t.process.as, va, count * 4);
  if (typeof bytes === "number") return bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: count }, (_, i) => dv.getUint32(4 * i, true));
}

function u32Array(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint32(4 * i, v >>> 0, true));
  return out;
}

/** CHANNEL_RECV's payload copy, straight from the message store to the user buffer (one syscall at a time). */
let recvAs: Task["process"]["as"] | undefined;
let recvVa = 0;
let recvStatus = 0;
function deliverToUser(bytes: Uint8Array): void {
  recvStatus = bytes.length === 0 ? 0 : copyOut(recvAs!, recvVa, bytes);
}

/** Scratch for POLL_WAIT (one syscall at a time): ready pairs, and the same as struct vd_poll_event bytes. */
const readyPairs = new Uint32Array(2 * MAX_POLL_ENTRIES);
const readyBytes = new Uint8Array(8 * MAX_POLL_ENTRIES);
const readyView = new DataView(readyBytes.buffer);
/** t.wait of a POLL_WAIT without a timeout (never mutated, so shared). */
const POLL_FOREVER: WaitReason = { kind: "poll", untilNs: Infinity };

/** struct vd_poll_event { u32 handle; u32 events; } for the first `take` pairs in readyPairs, copied to user `va`. */
function copyOutEvents(t: Task, va: number, take: number): number {
  if (take === 0) return 0;
  for (let i = 0; i < take; i++) {
    readyView.setUint32(8 * i, readyPairs[2 * i], true);
    readyView.setUint32(8 * i + 4, readyPairs[2 * i + 1], true);
  }
  return copyOut(t.process.as, va, readyBytes.subarray(0, take * 8));
}

/** A blocked POLL_WAIT: where its results go, and its wake-up function (one per task, reused). */
interface PendingPoll {
  set: number;
  bufVa: number;
  max: number;
  readonly wake: () => void;
}
const pendingPolls = new WeakMap<Task, PendingPoll>();

/**
 * A blocked POLL_WAIT's wake-up when an entry may have become ready. If one
 * is, the call completes here, as a kernel completes a wait when the event
 * comes: the events are copied to the task's buffer, x0/x1 set and the
 * (rewound) SVC stepped over, so the task runs on after it instead of
 * trapping again to re-execute it. Nothing ready after all: it keeps waiting.
 * A failing copy or set: it re-executes the SVC, which reports the error.
 * Timeouts and signals take the re-execute and EINTR paths as before.
 */
function pollWakeUp(k: Kernel, t: Task, p: PendingPoll): void {
  if (t.state !== "blocked") return;
  const fromCpu = Math.max(t.cpu, 0);
  const table = t.process.handles;
  const count = pollReadyInto(table, p.set, readyPairs);
  if (count === 0) {
    const cancel = pollOnReady(table, p.set, p.wake);
    if (typeof cancel !== "number") {
      t.cancelWait = cancel;
      return;
    }
  } else if (count > 0) {
    const take = Math.min(count, p.max);
    if (copyOutEvents(t, p.bufVa, take) === 0) {
      const r = t.cpu >= 0 && k.current[t.cpu] === t ? k.machine.cpus[t.cpu].state : t.ctx;
      r.pc += 4;
      r.x[0] = 0n;
      r.x[1] = BigInt(take);
      t.deadlineNs = undefined;
      t.cancelWait = undefined;
      k.trace.record(k.machine.now(), fromCpu, TraceKind.Syscall, t.tid, SYS.POLL_WAIT, 0);
      k.wakeTask(t, fromCpu);
      return;
    }
  }
  t.cancelWait = undefined;
  k.wakeTask(t, fromCpu);
}

/** POLL_WAIT: ready entries now, or block until one is (or the timeout passes). */
function pollWait(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const table = t.process.handles;
  const set = u32(a[0]);
  const max = Math.min(u32(a[2]), MAX_POLL_ENTRIES);
  const timeoutMs = i64(a[3]);
  t.cancelWait?.();
  t.cancelWait = undefined;
  const count = pollReadyInto(table, set, readyPairs);
  if (count < 0) {
    t.deadlineNs = undefined;
    return err(count);
  }
  if (count > 0) {
    t.deadlineNs = undefined;
    const take = Math.min(count, max);
    const c = copyOutEvents(t, take > 0 ? n(a[1]) : 0, take);
    return c < 0 ? err(c) : ok(take);
  }
  // Nothing ready: check the timeout (0 = just check, negative = forever); only then register the waiter.
  const now = k.machine.now();
  if (timeoutMs === 0) return ok(0);
  if (timeoutMs > 0) {
    if (t.deadlineNs === undefined) t.deadlineNs = now + timeoutMs * 1e6;
    if (now >= t.deadlineNs) {
      t.deadlineNs = undefined;
      return ok(0);
    }
  }
  let p = pendingPolls.get(t);
  if (p === undefined) {
    const fresh: PendingPoll = { set, bufVa: 0, max, wake: () => pollWakeUp(k, t, fresh) };
    pendingPolls.set(t, (p = fresh));
  }
  p.set = set;
  p.bufVa = n(a[1]);
  p.max = max;
  const cancel = pollOnReady(table, set, p.wake);
  if (typeof cancel === "number") return err(cancel); // not reached: pollReadyInto checked the set
  t.cancelWait = cancel;
  return k.blockOn(t, timeoutMs > 0 ? { kind: "poll", untilNs: t.deadlineNs! } : POLL_FOREVER);
}

export const IPC_HANDLERS: HandlerTable = [
  // --- channels ---------------------------------------------------------------------------
  [SYS.CHANNEL_CREATE, (k, t) => {
    const r = channelCreate(t.process.handles, k.ids);
    return typeof r === "number" ? err(r) : ok(r.handle0, r.handle1);
  }],
  [SYS.CHANNEL_SEND, (k, t, a) => {
    const len = u32(a[2]);
    if (len > CHANNEL_MAX_BYTES) return err(E.MSG_TOO_LARGE);
    // A view of the sender's buffer (no copy): channelSend copies it into the message store at once.
    const bytes = len === 0 ? NO_BYTES : userBytes(t.process.as, n(a[1]), len);
    if (typeof bytes === "number") return err(bytes);
    const hs = readHandles(t, n(a[3]), u32(a[4]));
    if (typeof hs === "number") return err(hs);
    const r = channelSend(t.process.handles, u32(a[0]), bytes, hs, k.messages);
    return r < 0 ? err(r) : ok();
  }],
  [SYS.CHANNEL_RECV, (_k, t, a) => {
    const as = t.process.as;
    const room = a[4] === 0n ? 0 : readU32(as, n(a[4]));
    if (room < 0) return err(room);
    recvAs = as;
    recvVa = n(a[1]);
    const r = channelRecv(t.process.handles, u32(a[0]), u32(a[2]), Math.min(room, CHANNEL_MAX_HANDLES), deliverToUser);
    recvAs = undefined;
    if (typeof r === "number") return err(r);
    if (recvStatus < 0) return err(recvStatus); // the message is consumed; a bad buffer loses it (documented)
    if (r.handles.length > 0) {
      const c = copyOut(as, n(a[3]), u32Array(r.handles));
      if (c < 0) return err(c);
    }
    if (a[4] !== 0n) {
      const c = writeU32(as, n(a[4]), r.handles.length);
      if (c < 0) return err(c);
    }
    return ok(r.length, r.handles.length);
  }],
  [SYS.CHANNEL_CLOSE, (_k, t, a) => {
    const r = channelClose(t.process.handles, u32(a[0]));
    return r < 0 ? err(r) : ok();
  }],

  // --- poll sets and timers -----------------------------------------------------------------
  [SYS.POLL_CREATE, (k, t) => {
    const r = pollCreate(t.process.handles, k.consoleSource, k.ids);
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.POLL_ADD, (_k, t, a) => {
    const r = pollAdd(t.process.handles, u32(a[0]), u32(a[1]), u32(a[2]));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.POLL_REMOVE, (_k, t, a) => {
    const r = pollRemove(t.process.handles, u32(a[0]), u32(a[1]));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.POLL_WAIT, pollWait],
  [SYS.TIMER_CREATE, (k, t, a) => {
    const ms = n(a[0]);
    if (ms < 0) return err(E.INVALID_ARG);
    const r = timerCreate(t.process.handles, k.timers, ms * 1e6, 0, k.ids);
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.TIMER_CANCEL, (_k, t, a) => {
    const r = timerCancel(t.process.handles, u32(a[0]));
    return r < 0 ? err(r) : ok();
  }],

  // --- shared memory --------------------------------------------------------------------------
  [SYS.SHM_CREATE, (k, t, a) => {
    const size = n(a[0]);
    if (size <= 0) return err(E.INVALID_ARG);
    const r = shmCreate(t.process.handles, k.frameAllocator, size, k.ids);
    if (typeof r === "number") return err(r);
    const va = t.process.as.mapFrames(r.shm.frames, PROT_READ | PROT_WRITE, "shm");
    if (va < 0) {
      shmClose(t.process.handles, r.handle);
      return err(va);
    }
    r.shm.attachMapping();
    t.process.shmMappings.set(va, r.shm);
    return ok(r.handle, va, r.shm.frames.length * 4096);
  }],
  [SYS.SHM_MAP, (_k, t, a) => {
    const shm = shmForMapping(t.process.handles, u32(a[0]), true);
    if (typeof shm === "number") return err(shm);
    const va = t.process.as.mapFrames(shm.frames, PROT_READ | PROT_WRITE, "shm");
    if (va < 0) return err(va);
    shm.attachMapping();
    t.process.shmMappings.set(va, shm);
    return ok(va, shm.frames.length * 4096);
  }],
  [SYS.SHM_UNMAP, (_k, t, a) => {
    const va = n(a[0]);
    const shm = t.process.shmMappings.get(va);
    if (!shm) return err(E.INVALID_ARG);
    const r = t.process.as.munmap(va, shm.frames.length * 4096);
    if (r < 0) return err(r);
    t.process.shmMappings.delete(va);
    shm.detachMapping();
    return ok();
  }],
  [SYS.SHM_CLOSE, (_k, t, a) => {
    const r = shmClose(t.process.handles, u32(a[0]));
    return r < 0 ? err(r) : ok();
  }],

  // --- capabilities -----------------------------------------------------------------------------
  [SYS.CAP_DERIVE, (_k, t, a) => {
    const r = t.process.handles.derive(u32(a[0]), u32(a[1]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.CAP_REVOKE, (_k, t, a) => {
    const r = t.process.handles.revoke(u32(a[0]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.CAP_QUERY, (_k, t, a) => {
    const q = t.process.handles.query(u32(a[0]));
    if (typeof q === "number") return err(q);
    const c = copyOut(t.process.as, n(a[1]), u32Array([kindNumber(q.kind), q.rights, q.generation, 0]));
    return c < 0 ? err(c) : ok();
  }],
  [SYS.CAP_LIST, (_k, t, a) => {
    const items = t.process.handles.list();
    if (a[0] === 0n) return ok(items.length);
    const take = items.slice(0, u32(a[1]));
    if (take.length > 0) {
      const c = copyOut(t.process.as, n(a[0]), u32Array(take.flatMap((h) => [h.handle, kindNumber(h.kind), h.rights, 0])));
      if (c < 0) return err(c);
    }
    return ok(take.length);
  }],
  [SYS.CAP_GET_BOUND, (_k, t) => ok(t.process.handles.bounding)],
  [SYS.CAP_DROP_BOUND, (_k, t, a) => {
    const r = t.process.handles.dropBound(u32(a[0]));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.GETRLIMIT, (_k, t, a) => {
    const r = t.process.handles.limits.get(u32(a[0]) as (typeof Resource)[keyof typeof Resource]);
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.SETRLIMIT, (_k, t, a) => {
    const r = t.process.handles.limits.set(u32(a[0]) as (typeof Resource)[keyof typeof Resource], n(a[1]));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.GETRUSAGE, (_k, t, a) => {
    const r = t.process.handles.limits.usage(u32(a[0]) as (typeof Resource)[keyof typeof Resource]);
    return r < 0 ? err(r) : ok(r);
  }],
];
