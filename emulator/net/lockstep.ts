// Running several clocks (machines, a switch fabric) together.
//
// Each machine has its own VirtualClock. Wires schedule arrivals on the
// receiver's clock at absolute times, so the clocks must not drift apart by
// more than the smallest link delay, or a frame would arrive "in the past"
// and be delivered late (Link counters.late). runLockstep advances every
// node slice by slice (conservative synchronisation: a slice no longer than
// the smallest delay is exact; longer slices trade exactness for speed, and
// the late counters say by how much).
//
// A node is anything that can run up to a time: a Machine through
// `{ clock: m.clock, runUntil: (t) => { m.run(hooks, { untilNs: t }); } }`,
// or a bare clock through clockNode(clock) (a switch's fabric clock, a
// host-only test). A node may stop short of t (a Machine with every CPU
// idle and no event pending returns early); its clock then lags, which is
// harmless: frames for it become events it will run to.

import type { VirtualClock } from "../clock.js";
import type { Link } from "./link.js";

export interface LockstepNode {
  readonly clock: VirtualClock;
  /** Run up to virtual time `ns` (inclusive of events due at `ns`). */
  runUntil(ns: number): void;
}

/** A node for a clock with no CPUs behind it: runUntil runs its due events. */
export function clockNode(clock: VirtualClock): LockstepNode {
  return { clock, runUntil: (ns) => void clock.runDue(ns) };
}

/**
 * Smallest one-way delay over `links` in both directions (Infinity for none):
 * the longest exact slice for runLockstep.
 */
export function minLinkDelayNs(links: readonly Link[]): number {
  let m = Infinity;
  for (const l of links) m = Math.min(m, l.params("aToB").delayNs, l.params("bToA").delayNs);
  return m;
}

/**
 * Advance every node to `untilNs` in slices of `sliceNs`, running the nodes
 * in order within each slice; returns the number of slices.
 * Errors: RangeError for sliceNs <= 0 or non-finite times.
 */
export function runLockstep(nodes: readonly LockstepNode[], untilNs: number, sliceNs: number): number {
  if (!(sliceNs > 0) || !Number.isFinite(sliceNs)) throw new RangeError(`runLockstep: sliceNs must be > 0 (got ${sliceNs})`);
  if (!Number.isFinite(untilNs)) throw new RangeError(`runLockstep: untilNs must be finite (got ${untilNs})`);
  let t = Math.min(...nodes.map((n) => n.clock.now()));
  let slices = 0;
  while (t < untilNs) {
    t = Math.min(untilNs, t + sliceNs);
    for (const n of nodes) if (n.clock.now() <= t) n.runUntil(t);
    slices++;
  }
  return slices;
}
