// IPC objects: channels (limits, errors, handle transfer), poll sets
// (readiness, wake callbacks), timers at virtual-time deadlines, and shared
// memory freed at the last handle or mapping.

import { describe, expect, it } from "vitest";
import { E } from "../viperdos/kernel/errors.js";
import { HandleTable, makeHandle } from "../viperdos/kernel/cap/handles.js";
import { IdSource, KernelObject } from "../viperdos/kernel/cap/objects.js";
import { Resource, ResourceLimits } from "../viperdos/kernel/cap/limits.js";
import { Rights } from "../viperdos/kernel/cap/rights.js";
import {
  CHANNEL_MAX_BYTES, CHANNEL_QUEUE_DEPTH, ChannelEndpoint, REVOKED_HANDLE,
  channelClose, channelCreate, channelRecv, channelSend, type ReceivedMessage,
} from "../viperdos/kernel/ipc/channel.js";
import {
  CONSOLE_HANDLE, MAX_POLL_ENTRIES, MAX_POLL_SETS, PollEvent,
  pollAdd, pollCreate, pollOnReady, pollReady, pollRemove, pollWaitOrBlock, type ConsoleSource,
} from "../viperdos/kernel/ipc/poll.js";
import { MIN_PERIOD_NS, TimerObject, TimerService, timerCancel, timerCreate } from "../viperdos/kernel/ipc/timer.js";
import { shmClose, shmCreate, shmForMapping, ShmObject, type FrameAllocator } from "../viperdos/kernel/ipc/shm.js";

const { READ, WRITE, DERIVE, TRANSFER } = Rights;

class Thing extends KernelObject {
  released = 0;
  constructor() {
    super("file", new IdSource());
  }
  protected override onLastRelease(): void {
    this.released++;
  }
}

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

/** Two processes A and B joined by a channel: A holds end a, B holds end b. */
function pair() {
  const ids = new IdSource();
  const A = new HandleTable({ owner: "A", ids });
  const B = new HandleTable({ owner: "B", ids });
  const ch = channelCreate(A, ids) as { handle0: number; handle1: number };
  const a = ch.handle0;
  // Move end 1 to B the way spawn hands over a bootstrap channel.
  const b = moveTo(A, ch.handle1, B);
  return { A, B, a, b, ids };
}

function moveTo(from: HandleTable, h: number, to: HandleTable): number {
  const caps = from.checkTransfer([h]);
  if (typeof caps === "number") throw new Error("moveTo");
  from.detachForTransfer(caps);
  return to.attachTransferred(caps[0]);
}

function recvOk(t: HandleTable, h: number): ReceivedMessage {
  const r = channelRecv(t, h);
  if (typeof r === "number") throw new Error(`recv failed ${r}`);
  return r;
}

describe("channels", () => {
  it("create gives two endpoint handles with READ|WRITE|DERIVE|TRANSFER; bootstrap lands at handle 0", () => {
    const { A, B, a, b } = pair();
    expect(a).toBe(0);
    expect(b).toBe(0);
    expect(A.query(a)).toEqual({ kind: "channel", rights: READ | WRITE | DERIVE | TRANSFER, generation: 0 });
    expect(B.query(b)).toMatchObject({ kind: "channel" });
  });

  it("create fails with -501 and leaves nothing when the table has one slot left", () => {
    const t = new HandleTable();
    t.limits.set(Resource.HANDLES, 1);
    expect(channelCreate(t)).toBe(E.NO_RESOURCE);
    expect(t.count).toBe(0);
  });

  it("messages arrive in order, in both directions, bytes copied", () => {
    const { A, B, a, b } = pair();
    const buf = bytes(3, 1);
    expect(channelSend(A, a, buf)).toBe(0);
    buf[0] = 99; // the queued copy must not change
    expect(channelSend(A, a, bytes(2, 2))).toBe(0);
    expect(channelSend(B, b, bytes(1, 3))).toBe(0);
    expect([...recvOk(B, b).bytes]).toEqual([1, 1, 1]);
    expect([...recvOk(B, b).bytes]).toEqual([2, 2]);
    expect([...recvOk(A, a).bytes]).toEqual([3]);
    expect(channelRecv(A, a)).toBe(E.WOULD_BLOCK);
  });

  it.each([
    ["payload of 8 KiB is fine", CHANNEL_MAX_BYTES, 0, 0],
    ["payload over 8 KiB", CHANNEL_MAX_BYTES + 1, 0, E.MSG_TOO_LARGE],
    ["five handles", 1, 5, E.MSG_TOO_LARGE],
  ])("send: %s", (_n, size, nHandles, want) => {
    const { A, a } = pair();
    const hs = Array.from({ length: nHandles }, () => A.insert(new Thing(), READ | TRANSFER));
    expect(channelSend(A, a, bytes(size), hs)).toBe(want);
    if (want !== 0) expect(A.count).toBe(1 + nHandles); // nothing moved
  });

  it("queue full at 16 messages per direction: -300; the other direction is independent", () => {
    const { A, B, a, b } = pair();
    for (let i = 0; i < CHANNEL_QUEUE_DEPTH; i++) expect(channelSend(A, a, bytes(1, i))).toBe(0);
    expect(channelSend(A, a, bytes(1))).toBe(E.WOULD_BLOCK);
    expect(channelSend(B, b, bytes(1))).toBe(0);
    expect(recvOk(B, b).bytes[0]).toBe(0);
    expect(channelSend(A, a, bytes(1))).toBe(0);
  });

  it("peer closed: send -301; recv drains then -301", () => {
    const { A, B, a, b } = pair();
    channelSend(B, b, bytes(4));
    expect(channelClose(B, b)).toBe(0);
    expect(channelSend(A, a, bytes(1))).toBe(E.CHANNEL_CLOSED);
    expect(recvOk(A, a).bytes.length).toBe(4);
    expect(channelRecv(A, a)).toBe(E.CHANNEL_CLOSED);
  });

  it.each([
    ["closed handle", (s: ReturnType<typeof pair>) => { s.A.close(s.a); return s.a; }, E.HANDLE_CLOSED],
    ["stale handle", () => makeHandle(0, 9), E.INVALID_HANDLE],
    ["not a channel", (s: ReturnType<typeof pair>) => s.A.insert(new Thing(), READ | WRITE), E.WRONG_TYPE],
    ["no WRITE for send / READ for recv", (s: ReturnType<typeof pair>) => s.A.derive(s.a, DERIVE), E.PERMISSION],
  ])("handle errors: %s", (_n, make, want) => {
    const s = pair();
    const h = make(s);
    expect(channelSend(s.A, h, bytes(1))).toBe(want);
    expect(channelRecv(s.A, h)).toBe(want);
  });

  it("channelClose refuses a non-channel handle with -102", () => {
    const t = new HandleTable();
    const h = t.insert(new Thing(), READ);
    expect(channelClose(t, h)).toBe(E.WRONG_TYPE);
    expect(t.count).toBe(1);
  });

  it("recv into a too-small buffer: -302 and the message stays", () => {
    const { A, B, a, b } = pair();
    channelSend(A, a, bytes(100));
    expect(channelRecv(B, b, 50)).toBe(E.MSG_TOO_LARGE);
    expect(recvOk(B, b).bytes.length).toBe(100);
  });

  it("handle transfer moves handles: sender loses them, receiver gets them with the same rights", () => {
    const { A, B, a, b } = pair();
    const x = new Thing();
    const y = new Thing();
    const hx = A.insert(x, READ | TRANSFER);
    const hy = A.insert(y, READ | WRITE | DERIVE | TRANSFER);
    expect(channelSend(A, a, bytes(1), [hx, hy])).toBe(0);
    expect(A.get(hx)).toBe(E.HANDLE_CLOSED);
    expect(A.get(hy)).toBe(E.HANDLE_CLOSED);
    expect(x.refcount).toBe(1); // held by the message
    const m = recvOk(B, b);
    expect(m.handles.length).toBe(2);
    expect(B.get(m.handles[0])).toMatchObject({ object: x, rights: READ | TRANSFER });
    expect(B.get(m.handles[1])).toMatchObject({ object: y, rights: READ | WRITE | DERIVE | TRANSFER });
    expect(x.refcount).toBe(1);
    expect(x.released).toBe(0);
  });

  it.each([
    ["one handle lacks TRANSFER", (A: HandleTable) => [A.insert(new Thing(), READ | TRANSFER), A.insert(new Thing(), READ)], E.PERMISSION],
    ["one handle is stale", (A: HandleTable) => [A.insert(new Thing(), READ | TRANSFER), makeHandle(40, 0)], E.INVALID_HANDLE],
    ["a handle listed twice", (A: HandleTable) => { const h = A.insert(new Thing(), READ | TRANSFER); return [h, h]; }, E.INVALID_ARG],
    ["the channel's own endpoint", () => [0], E.INVALID_ARG],
  ])("send is all-or-nothing: %s", (_n, make, want) => {
    const { A, B, a, b } = pair();
    const hs = make(A);
    const before = A.list();
    expect(channelSend(A, a, bytes(1), hs)).toBe(want);
    expect(A.list()).toEqual(before);
    expect(channelRecv(B, b)).toBe(E.WOULD_BLOCK);
  });

  it("receiver with a full table: -501 and the message stays queued", () => {
    const { A, B, a, b } = pair();
    A.insert(new Thing(), READ); // keep A busy so slots differ
    const hx = A.insert(new Thing(), READ | TRANSFER);
    channelSend(A, a, bytes(1), [hx]);
    B.limits.set(Resource.HANDLES, 2);
    const other = B.insert(new Thing(), READ);
    expect(channelRecv(B, b)).toBe(E.NO_RESOURCE);
    expect(B.count).toBe(2);
    B.close(other);
    expect(recvOk(B, b).handles).toEqual([makeHandle(1, 1)]); // the freed slot, next generation

  });

  it("closing an endpoint releases handles queued to it", () => {
    const { A, B, a, b } = pair();
    const x = new Thing();
    channelSend(A, a, bytes(10), [A.insert(x, READ | TRANSFER)]);
    expect(B.close(b)).toBe(0);
    expect(x.released).toBe(1);
    expect(A.limits.usage(Resource.MEMORY_PAGES)).toBe(0);
  });

  it("revoking the parent of a handle in flight: the receiver gets REVOKED_HANDLE", () => {
    const { A, B, a, b } = pair();
    const x = new Thing();
    const root = A.insert(x, READ | DERIVE | TRANSFER);
    const child = A.derive(root, READ | TRANSFER);
    channelSend(A, a, bytes(1), [child]);
    A.revoke(root);
    expect(x.released).toBe(1);
    expect(recvOk(B, b).handles).toEqual([REVOKED_HANDLE]);
    expect(B.count).toBe(1);
  });

  it("queued bytes are charged to the sender's memory limit until received", () => {
    const { A, B, a, b } = pair();
    A.limits.set(Resource.MEMORY_PAGES, 3);
    for (let i = 0; i < 3; i++) expect(channelSend(A, a, bytes(4096))).toBe(0);
    expect(channelSend(A, a, bytes(1))).toBe(E.NO_MEMORY);
    recvOk(B, b);
    expect(channelSend(A, a, bytes(4096))).toBe(0);
    expect(A.limits.usage(Resource.MEMORY_PAGES)).toBe(3);
  });

  it("readiness: READ when a message waits or the peer closed; WRITE unless the peer's queue is full", () => {
    const { A, B, a, b } = pair();
    const epA = A.getObject(a, ChannelEndpoint) as ChannelEndpoint;
    const epB = B.getObject(b, ChannelEndpoint) as ChannelEndpoint;
    expect(epB.readyEvents()).toBe(PollEvent.WRITE);
    channelSend(A, a, bytes(1));
    expect(epB.readyEvents()).toBe(PollEvent.READ | PollEvent.WRITE);
    for (let i = 1; i < CHANNEL_QUEUE_DEPTH; i++) channelSend(A, a, bytes(1));
    expect(epA.readyEvents() & PollEvent.WRITE).toBe(0);
    B.close(b);
    expect(epA.readyEvents()).toBe(PollEvent.READ | PollEvent.WRITE);
    expect(JSON.parse(JSON.stringify(epA.snapshot()))).toMatchObject({ kind: "channel", peerClosed: true, sent: 16 });
  });
});

describe("poll sets", () => {
  function fakeConsole(): ConsoleSource & { input: boolean; fire(): void } {
    const ws = new Set<() => void>();
    return {
      input: false,
      readyEvents() { return this.input ? PollEvent.CONSOLE : 0; },
      watch(w) { ws.add(w); return () => ws.delete(w); },
      fire() { for (const w of [...ws]) w(); },
    };
  }

  it("at most 16 sets per process (-400) and 16 entries per set (-400)", () => {
    const t = new HandleTable();
    const sets = Array.from({ length: MAX_POLL_SETS }, () => pollCreate(t));
    expect(sets.every((h) => h >= 0)).toBe(true);
    expect(pollCreate(t)).toBe(E.POLL_FULL);
    const ch = Array.from({ length: 9 }, () => channelCreate(t) as { handle0: number; handle1: number });
    const ends = ch.flatMap((c) => [c.handle0, c.handle1]);
    for (let i = 0; i < MAX_POLL_ENTRIES; i++) expect(pollAdd(t, sets[0], ends[i], PollEvent.READ)).toBe(0);
    expect(pollAdd(t, sets[0], ends[16], PollEvent.READ)).toBe(E.POLL_FULL);
    expect(pollAdd(t, sets[0], ends[0], PollEvent.WRITE)).toBe(0); // re-add replaces the mask
    t.close(sets[1]);
    expect(pollCreate(t)).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ["events 0", (_t: HandleTable, _s: number, h: number) => [h, 0], E.INVALID_ARG],
    ["undefined event bit", (_t: HandleTable, _s: number, h: number) => [h, 0x20], E.INVALID_ARG],
    ["stale watched handle", () => [makeHandle(77, 0), PollEvent.READ], E.INVALID_HANDLE],
    ["not waitable", (t: HandleTable) => [t.insert(new Thing(), READ), PollEvent.READ], E.WRONG_TYPE],
    ["console without a source", () => [CONSOLE_HANDLE, PollEvent.CONSOLE], E.NOT_SUPPORTED],
  ])("add errors: %s", (_n, make, want) => {
    const t = new HandleTable();
    const s = pollCreate(t);
    const { handle0 } = channelCreate(t) as { handle0: number };
    const [h, ev] = make(t, s, handle0);
    expect(pollAdd(t, s, h, ev)).toBe(want);
  });

  it("set handle checks: wrong kind -102, no WRITE for add -6, no READ for wait -6", () => {
    const t = new HandleTable();
    const s = pollCreate(t);
    const { handle0 } = channelCreate(t) as { handle0: number };
    expect(pollAdd(t, handle0, handle0, PollEvent.READ)).toBe(E.WRONG_TYPE);
    const readOnly = t.derive(s, READ);
    const writeOnly = t.derive(s, WRITE);
    expect(pollAdd(t, readOnly, handle0, PollEvent.READ)).toBe(E.PERMISSION);
    expect(pollReady(t, writeOnly)).toBe(E.PERMISSION);
    expect(pollRemove(t, s, handle0)).toBe(E.NOT_FOUND);
  });

  it("readiness of channels and wake callbacks", () => {
    const { A, B, a, b } = pair();
    const s = pollCreate(B);
    expect(pollAdd(B, s, b, PollEvent.READ)).toBe(0);
    expect(pollReady(B, s)).toEqual([]);
    let woken = 0;
    const r = pollWaitOrBlock(B, s, () => woken++);
    expect("blocked" in (r as object)).toBe(true);
    channelSend(A, a, bytes(1));
    expect(woken).toBe(1);
    channelSend(A, a, bytes(1));
    expect(woken).toBe(1); // one-shot
    expect(pollReady(B, s)).toEqual([{ handle: b, events: PollEvent.READ }]);
    expect(pollWaitOrBlock(B, s, () => woken++)).toEqual({ ready: [{ handle: b, events: PollEvent.READ }] });
  });

  it("a cancelled registration is not called; remove stops watching", () => {
    const { A, B, a, b } = pair();
    const s = pollCreate(B);
    pollAdd(B, s, b, PollEvent.READ);
    let woken = 0;
    const cancel = pollOnReady(B, s, () => woken++) as () => void;
    cancel();
    channelSend(A, a, bytes(1));
    expect(woken).toBe(0);
    recvOk(B, b);
    expect(pollRemove(B, s, b)).toBe(0);
    pollOnReady(B, s, () => woken++);
    channelSend(A, a, bytes(1));
    expect(woken).toBe(0);
    expect(pollReady(B, s)).toEqual([]);
  });

  it("peer close wakes a reader; closed watched handles drop out of the set", () => {
    const { A, B, a, b } = pair();
    const s = pollCreate(B);
    pollAdd(B, s, b, PollEvent.READ | PollEvent.WRITE);
    let woken = 0;
    pollOnReady(B, s, () => woken++);
    A.close(a);
    expect(woken).toBe(1);
    expect(pollReady(B, s)).toEqual([{ handle: b, events: PollEvent.READ | PollEvent.WRITE }]);
    B.close(b);
    expect(pollReady(B, s)).toEqual([]);
  });

  it("console pseudo-handle reports CONSOLE and wakes waiters", () => {
    const t = new HandleTable();
    const con = fakeConsole();
    const s = pollCreate(t, con);
    expect(pollAdd(t, s, CONSOLE_HANDLE, PollEvent.CONSOLE)).toBe(0);
    let woken = 0;
    pollOnReady(t, s, () => woken++);
    con.input = true;
    con.fire();
    expect(woken).toBe(1);
    expect(pollReady(t, s)).toEqual([{ handle: CONSOLE_HANDLE, events: PollEvent.CONSOLE }]);
  });

  it("closing the set wakes its waiters", () => {
    const t = new HandleTable();
    const s = pollCreate(t);
    let woken = 0;
    pollOnReady(t, s, () => woken++);
    t.close(s);
    expect(woken).toBe(1);
    expect(pollReady(t, s)).toBe(E.HANDLE_CLOSED);
  });
});

/** A virtual clock standing in for the machine: advance() runs due alarms like the kernel would. */
function clock() {
  const host = { t: 0, alarm: null as number | null, now() { return this.t; }, setAlarm(d: number | null) { this.alarm = d; } };
  const svc = new TimerService(host);
  const advance = (to: number) => {
    host.t = to;
    if (host.alarm !== null && host.alarm <= to) svc.expire();
  };
  return { host, svc, advance };
}

describe("timers", () => {
  it("alarms fire at their deadline, in (deadline, creation) order, and program the host", () => {
    const { host, svc, advance } = clock();
    const log: string[] = [];
    svc.addAlarm(300, () => log.push("c"));
    svc.addAlarm(100, () => log.push("a"));
    svc.addAlarm(100, () => log.push("b"));
    const d = svc.addAlarm(200, () => log.push("cancelled"));
    expect(host.alarm).toBe(100);
    expect(svc.cancelAlarm(d)).toBe(true);
    advance(99);
    expect(log).toEqual([]);
    advance(150);
    expect(log).toEqual(["a", "b"]);
    expect(host.alarm).toBe(300);
    advance(1000);
    expect(log).toEqual(["a", "b", "c"]);
    expect(host.alarm).toBe(null);
  });

  it("a one-shot timer object becomes ready for TIMER at its deadline; poll consumes it", () => {
    const { svc, advance } = clock();
    const t = new HandleTable();
    const h = timerCreate(t, svc, 5000);
    const s = pollCreate(t);
    expect(pollAdd(t, s, h, PollEvent.TIMER)).toBe(0);
    let woken = 0;
    pollOnReady(t, s, () => woken++);
    advance(4999);
    expect(pollReady(t, s)).toEqual([]);
    advance(5000);
    expect(woken).toBe(1);
    expect(pollReady(t, s)).toEqual([{ handle: h, events: PollEvent.TIMER }]);
    expect(pollReady(t, s)).toEqual([]); // consumed
    advance(1_000_000);
    expect(pollReady(t, s)).toEqual([]);
  });

  it("a periodic timer keeps its phase and counts missed periods", () => {
    const { svc, advance } = clock();
    const t = new HandleTable();
    const h = timerCreate(t, svc, 1000, 20_000);
    const timer = t.getObject(h, TimerObject) as TimerObject;
    advance(1000);
    expect(timer.expirations).toBe(1);
    expect(timer.deadline).toBe(21_000);
    advance(65_000); // 21k, 41k, 61k
    expect(timer.expirations).toBe(4);
    expect(timer.deadline).toBe(81_000);
    expect(timer.consume()).toBe(4);
  });

  it.each([
    ["negative delay", -1, 0], ["fractional delay", 1.5, 0],
    ["negative period", 10, -5], ["period below minimum", 10, MIN_PERIOD_NS - 1],
  ])("create refuses %s with -2", (_n, delay, period) => {
    const { svc } = clock();
    expect(timerCreate(new HandleTable(), svc, delay, period)).toBe(E.INVALID_ARG);
  });

  it("cancel stops it; cancel checks kind and WRITE; closing the last handle disarms", () => {
    const { svc, host, advance } = clock();
    const t = new HandleTable();
    const h = timerCreate(t, svc, 100);
    const h2 = timerCreate(t, svc, 200);
    expect(timerCancel(t, t.derive(h, READ))).toBe(E.PERMISSION);
    expect(timerCancel(t, (channelCreate(t) as { handle0: number }).handle0)).toBe(E.WRONG_TYPE);
    expect(timerCancel(t, h)).toBe(0);
    expect(host.alarm).toBe(200);
    t.close(h2);
    expect(host.alarm).toBe(null);
    advance(1000);
    expect((t.getObject(h, TimerObject) as TimerObject).expirations).toBe(0);
    expect(timerCancel(t, h2)).toBe(E.HANDLE_CLOSED);
  });
});

describe("shared memory", () => {
  function frames(limit = 100): FrameAllocator & { refs: Map<number, number> } {
    const refs = new Map<number, number>();
    let next = 0x4010_0000;
    return {
      refs,
      alloc() {
        if (refs.size >= limit) return -1;
        const pa = next;
        next += 4096;
        refs.set(pa, 1);
        return pa;
      },
      ref(pa) { refs.set(pa, refs.get(pa)! + 1); },
      unref(pa) {
        const n = refs.get(pa)! - 1;
        if (n === 0) refs.delete(pa);
        else refs.set(pa, n);
      },
    };
  }

  it("create rounds to pages and charges the creator", () => {
    const fa = frames();
    const t = new HandleTable();
    const r = shmCreate(t, fa, 4097) as { handle: number; shm: ShmObject };
    expect(r.shm.pages).toBe(2);
    expect(fa.refs.size).toBe(2);
    expect(t.limits.usage(Resource.MEMORY_PAGES)).toBe(2);
    expect(t.query(r.handle)).toMatchObject({ kind: "shm" });
  });

  it.each([
    ["size 0", 0, 100, 100, E.INVALID_ARG],
    ["negative size", -4096, 100, 100, E.INVALID_ARG],
    ["over the memory limit", 3 * 4096, 2, 100, E.NO_MEMORY],
    ["allocator runs out", 3 * 4096, 100, 2, E.NO_MEMORY],
  ])("create fails: %s, giving back everything", (_n, size, limitPages, frameCount, want) => {
    const fa = frames(frameCount);
    const t = new HandleTable({ limits: new ResourceLimits({ [Resource.MEMORY_PAGES]: limitPages }) });
    expect(shmCreate(t, fa, size)).toBe(want);
    expect(fa.refs.size).toBe(0);
    expect(t.limits.usage(Resource.MEMORY_PAGES)).toBe(0);
    expect(t.count).toBe(0);
  });

  it("freed when the last handle and the last mapping go, whichever is last", () => {
    const fa = frames();
    const A = new HandleTable();
    const B = new HandleTable();
    const { handle, shm } = shmCreate(A, fa, 8192) as { handle: number; shm: ShmObject };
    const hb = moveTo(A, A.derive(handle, READ | TRANSFER), B);
    const m = shmForMapping(B, hb, false) as ShmObject;
    expect(m).toBe(shm);
    expect(shmForMapping(B, hb, true)).toBe(E.PERMISSION);
    m.attachMapping();
    expect(shmClose(A, handle)).toBe(0);
    expect(shmClose(B, hb)).toBe(0);
    expect(fa.refs.size).toBe(2); // still mapped
    m.detachMapping();
    expect(fa.refs.size).toBe(0);
    expect(shm.destroyed).toBe(true);
    expect(A.limits.usage(Resource.MEMORY_PAGES)).toBe(0);
  });

  it("shmClose and shmForMapping check the kind", () => {
    const t = new HandleTable();
    const h = t.insert(new Thing(), READ);
    expect(shmClose(t, h)).toBe(E.WRONG_TYPE);
    expect(shmForMapping(t, h, false)).toBe(E.WRONG_TYPE);
  });
});
