// Running a machine whose network reaches host sockets (gateway.ts).
//
// The machine runs in virtual time and, when every CPU is idle, jumps
// straight to its next clock event. Host sockets answer in wall time, from
// Node's event loop, which never runs while the machine runs synchronously.
// runWithHost() therefore runs the machine in slices of virtual time and
// yields to the event loop between slices (so host data, connects and DNS
// answers are delivered). When a slice ends with every CPU idle while the
// gateway has host I/O outstanding (a connect under way, an open spliced
// connection, a UDP request unanswered, a DNS lookup), it waits — in wall
// time, at most `idleWaitMs` — for host activity instead of letting virtual
// time race ahead: a guest blocked on a host peer sees that peer answer
// after a realistic virtual delay, not after its own timeouts fired.
//
// Determinism caveat: external peers are outside the seed. A run that talks
// to host sockets depends on when the host answers (wall time, OS
// scheduling), so its virtual-time trace is not reproducible from the seed,
// unlike runs over links and switches between emulated machines only.

import type { Gateway } from "./gateway.js";

/** What the runner drives: a Kernel fits (`runUntil`, `machine`). */
export interface HostRunnable {
  machine: { now(): number; cpus: readonly unknown[]; isIdle(i: number): boolean; isOnline?(i: number): boolean };
  /** Run to virtual time `untilNs` or until `stop()` (returns the machine's RunResult). */
  runUntil(untilNs: number, stop?: () => boolean): string;
}

export interface HostRunOptions {
  /** Stop at this virtual time (default: no limit; then `until` or `maxWallMs` must end the run). */
  untilNs?: number;
  /** Stop as soon as this is true (checked between slices and inside them). */
  until?: () => boolean;
  /** Virtual time per slice (default 2 ms). */
  sliceNs?: number;
  /** Longest wall wait for host activity when idle (default 20 ms). */
  idleWaitMs?: number;
  /** Give up after this much wall time (default 30 s): resolves with "wall-limit". */
  maxWallMs?: number;
}

export type HostRunResult = "until" | "done" | "wall-limit";

export interface HostRunStats {
  slices: number;
  idleWaits: number;
  waitedMs: number;
}

/**
 * Run `m` with the host networking of `gw` live (see the file comment).
 * Resolves when `until()` holds ("done"), at untilNs ("until"), or after
 * maxWallMs ("wall-limit"). Never blocks the event loop for more than one slice.
 */
export async function runWithHost(m: HostRunnable, gw: Gateway | undefined, o: HostRunOptions = {}, stats?: HostRunStats): Promise<HostRunResult> {
  const sliceNs = o.sliceNs ?? 2e6;
  const idleWaitMs = o.idleWaitMs ?? 20;
  const deadline = Date.now() + (o.maxWallMs ?? 30_000);
  const untilNs = o.untilNs ?? Infinity;
  const st = stats ?? { slices: 0, idleWaits: 0, waitedMs: 0 };
  for (;;) {
    if (o.until?.()) return "done";
    const now = m.machine.now();
    if (now >= untilNs) return "until";
    if (Date.now() >= deadline) return "wall-limit";
    m.runUntil(Math.min(untilNs, now + sliceNs), o.until);
    st.slices++;
    await yieldToEventLoop();
    if (o.until?.()) return "done";
    if (gw && gw.hostOutstanding() > 0 && allIdle(m)) {
      const t0 = Date.now();
      await gw.waitForHostActivity(Math.min(idleWaitMs, Math.max(0, deadline - t0)));
      st.idleWaits++;
      st.waitedMs += Date.now() - t0;
    }
  }
}

/**
 * A HostRunnable for anything that runs to a virtual time and tells its
 * time, e.g. a multi-machine Topology (topology.ts) with the gateway on its
 * switch. `idle()` says whether every CPU is idle; without it the runner
 * assumes so, and paces on host I/O whenever some is outstanding.
 */
export function runnableOf(t: { now(): number; runUntil(untilNs: number, stop?: () => boolean): unknown }, idle: () => boolean = () => true): HostRunnable {
  return {
    machine: { now: () => t.now(), cpus: [0], isIdle: () => idle() },
    runUntil: (ns, stop) => String(t.runUntil(ns, stop)),
  };
}

function allIdle(m: HostRunnable): boolean {
  for (let i = 0; i < m.machine.cpus.length; i++) {
    if (m.machine.isOnline && !m.machine.isOnline(i)) continue;
    if (!m.machine.isIdle(i)) return false;
  }
  return true;
}

/** Let pending I/O callbacks run (setImmediate runs after the poll phase). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
