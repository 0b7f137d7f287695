// A point-to-point link simulator between two endpoints (endpoint.ts), one
// independent direction each way, in virtual time.
//
// Each direction models an output queue feeding a wire:
//   send at time t
//     -> RED (optional) and drop-tail admission on the queue occupancy at t
//     -> serialisation: the frame starts when the wire is free
//        (start = max(t, busyUntil)) and takes (bytes + overheadBytes) * 8 / bandwidth
//     -> random loss (a lost frame still used the wire: it is "corrupted in flight")
//     -> propagation: arrival = end of serialisation + delayNs
//        (+ reorderDelayNs for a frame chosen for reordering, so later frames overtake it)
//     -> delivery event on the receiver's clock; with duplication a second copy
//        arrives right after the first.
// Queue occupancy counts every admitted frame whose serialisation has not
// finished (including the one on the wire), in packets or bytes.
//
// RED (Floyd & Jacobson 1993): avg = (1 - weight) * avg + weight * occupancy at
// each arrival; no drop below minThreshold, always drop at or above
// maxThreshold, between them drop with pb = maxP * (avg - min) / (max - min),
// spread out as pa = pb / (1 - count * pb) where count is the number of frames
// admitted since the last RED drop. Thresholds are in the queue's unit. The
// idle-time correction of the paper is not modelled.
//
// Determinism: each direction has its own Rng seeded from the link's seed,
// and every frame draws exactly four numbers (loss, duplication, reordering,
// RED) whatever the rates are, so changing one rate does not shift the
// random pattern of the others, and the same seed and traffic repeat
// exactly. Parameters may be changed at any time with set(); frames already
// in flight keep their computed arrival times.
//
// With a Capture (capture.ts) attached, every frame's fate is recorded in
// virtual time and can be exported as pcap.
//
// saveState()/loadState() carry everything, frames in flight included
// (re-scheduled on the receivers' clocks, which must be restored first;
// against other events due at the very same ns their order may change).

import { Buffer } from "node:buffer";
import type { EventHandle } from "../clock.js";
import { Rng, type RngState } from "../rng.js";
import type { NetEndpoint } from "./endpoint.js";
import type { Capture, CaptureEvent } from "./capture.js";

export interface RedParams {
  /** Average occupancy (queue unit) below which nothing is dropped early. */
  minThreshold: number;
  /** Average occupancy at or above which every arrival is dropped. */
  maxThreshold: number;
  /** Drop probability reached at maxThreshold (0..1). */
  maxP: number;
  /** EWMA weight of the newest sample (0 < weight <= 1; classic 0.002). */
  weight: number;
}

export interface LinkParams {
  /** One-way propagation delay in ns. */
  delayNs: number;
  /** Wire rate in bits per second; 0 means unlimited (no serialisation delay). */
  bandwidthBps: number;
  /** Extra bytes on the wire per frame (preamble, FCS, gap: 24 for real Ethernet). */
  overheadBytes: number;
  /** Queue capacity in queueUnit; Infinity means unlimited. */
  queueLimit: number;
  queueUnit: "packets" | "bytes";
  /** Random early detection, or undefined for drop-tail only. */
  red: RedParams | undefined;
  /** Probability that a frame is lost (0..1). */
  lossRate: number;
  /** Probability that a frame is delivered twice (0..1). */
  duplicateRate: number;
  /** Probability that a frame is held back by reorderDelayNs (0..1). */
  reorderRate: number;
  reorderDelayNs: number;
}

/** An ideal wire: no delay, unlimited rate and queue, no impairments. */
export const IDEAL_LINK: Readonly<LinkParams> = Object.freeze({
  delayNs: 0, bandwidthBps: 0, overheadBytes: 0, queueLimit: Infinity, queueUnit: "packets",
  red: undefined, lossRate: 0, duplicateRate: 0, reorderRate: 0, reorderDelayNs: 1_000_000,
});

/** Per-direction counters (JSON). */
export interface LinkCounters {
  /** Frames (and bytes) offered by the sender. */
  sentPackets: number;
  sentBytes: number;
  /** Delivered to the receiver, duplicates included. */
  deliveredPackets: number;
  deliveredBytes: number;
  droppedQueue: number;
  droppedRed: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Frames sent while the link was down or arriving after it went down. */
  droppedDown: number;
  /** Deliveries scheduled before the receiver's clock (it ran ahead of the sender); and the worst lateness. */
  late: number;
  maxLateNs: number;
}

export type LinkDirection = "aToB" | "bToA";

export interface LinkOptions {
  /** Parameters for both directions (over IDEAL_LINK). */
  params?: Partial<LinkParams>;
  /** Per-direction overrides (over `params`). */
  aToB?: Partial<LinkParams>;
  bToA?: Partial<LinkParams>;
  /** Seed for loss, duplication, reordering and RED (default 1). */
  seed?: number;
  name?: string;
  /** Record every frame's fate here (capture.ts); may also be set later through Link.capture. */
  capture?: Capture;
}

/** JSON snapshot of one direction. */
export interface LinkDirectionSnapshot {
  params: Omit<LinkParams, "queueLimit"> & { queueLimit: number | "unlimited" };
  counters: LinkCounters;
  /** Occupancy now, in packets and bytes. */
  queuePackets: number;
  queueBytes: number;
  redAverage: number;
  inFlight: number;
  busyUntilNs: number;
}

/** JSON state of one direction (saveState). */
export interface LinkDirectionState {
  params: Omit<LinkParams, "queueLimit"> & { queueLimit: number | null };
  counters: LinkCounters;
  queue: { doneNs: number; bytes: number }[];
  busyUntil: number; redAvg: number; redCount: number; rng: RngState;
  /** Frames in flight in delivery order, base64. */
  inFlight: { atNs: number; frame: string }[];
}

export interface LinkState {
  up: boolean;
  aToB: LinkDirectionState;
  bToA: LinkDirectionState;
}

export interface LinkSnapshot {
  name: string;
  up: boolean;
  a: string;
  b: string;
  seed: number;
  aToB: LinkDirectionSnapshot;
  bToA: LinkDirectionSnapshot;
}

const newCounters = (): LinkCounters => ({
  sentPackets: 0, sentBytes: 0, deliveredPackets: 0, deliveredBytes: 0, droppedQueue: 0,
  droppedRed: 0, lost: 0, duplicated: 0, reordered: 0, droppedDown: 0, late: 0, maxLateNs: 0,
});

/**
 * Check a full parameter set; returns an error message or undefined.
 * Rates must be in [0, 1], times and rates finite and >= 0.
 */
export function validateLinkParams(p: LinkParams): string | undefined {
  const nonNeg = (v: number, name: string, allowInf = false): string | undefined =>
    typeof v === "number" && v >= 0 && (allowInf || Number.isFinite(v)) ? undefined : `${name} must be a number >= 0 (got ${v})`;
  const rate = (v: number, name: string): string | undefined =>
    typeof v === "number" && v >= 0 && v <= 1 ? undefined : `${name} must be in [0, 1] (got ${v})`;
  const errs = [
    nonNeg(p.delayNs, "delayNs"), nonNeg(p.bandwidthBps, "bandwidthBps"), nonNeg(p.overheadBytes, "overheadBytes"),
    nonNeg(p.queueLimit, "queueLimit", true), nonNeg(p.reorderDelayNs, "reorderDelayNs"),
    rate(p.lossRate, "lossRate"), rate(p.duplicateRate, "duplicateRate"), rate(p.reorderRate, "reorderRate"),
    p.queueUnit === "packets" || p.queueUnit === "bytes" ? undefined : `queueUnit must be "packets" or "bytes"`,
  ];
  if (p.red) {
    const r = p.red;
    errs.push(nonNeg(r.minThreshold, "red.minThreshold"), rate(r.maxP, "red.maxP"));
    if (!(r.maxThreshold > r.minThreshold)) errs.push("red.maxThreshold must exceed red.minThreshold");
    if (!(r.weight > 0 && r.weight <= 1)) errs.push("red.weight must be in (0, 1]");
  }
  return errs.find((e) => e !== undefined);
}

/** Serialisation time in ns of `bytes` at `p` (0 when unlimited); rounded up to whole ns. */
export function serialisationNs(p: LinkParams, bytes: number): number {
  if (p.bandwidthBps === 0) return 0;
  return Math.ceil(((bytes + p.overheadBytes) * 8 * 1e9) / p.bandwidthBps);
}

/** One direction: queue, wire and impairments from `from` to `to`. */
class Direction {
  params: LinkParams;
  readonly counters = newCounters();
  /** Admitted frames not yet fully serialised: end time and size, oldest first. */
  private queue: { doneNs: number; bytes: number }[] = [];
  private queueBytes = 0;
  private busyUntil = 0;
  private redAvg = 0;
  private redCount = 0;
  /** Frames in flight, by their delivery event. */
  readonly pending = new Map<EventHandle, Uint8Array>();

  constructor(readonly link: Link, readonly label: LinkDirection, readonly from: NetEndpoint, readonly to: NetEndpoint, params: LinkParams, readonly rng: Rng) {
    this.params = params;
  }

  private record(tNs: number, event: CaptureEvent, frame: Uint8Array): void {
    this.link.capture?.add({ tNs, where: `${this.link.name} ${this.label}`, event, frame });
  }

  /** Drop queue entries finished by `now`. */
  private drain(now: number): void {
    let i = 0;
    while (i < this.queue.length && this.queue[i].doneNs <= now) this.queueBytes -= this.queue[i++].bytes;
    if (i > 0) this.queue.splice(0, i);
  }

  private occupancy(): number {
    return this.params.queueUnit === "packets" ? this.queue.length : this.queueBytes;
  }

  send(frame: Uint8Array): void {
    const p = this.params;
    const c = this.counters;
    const now = this.from.txTimeNs?.() ?? this.from.clock.now();
    c.sentPackets++;
    c.sentBytes += frame.length;
    // Four draws per frame, always, so each impairment keeps its own pattern.
    const uLoss = this.rng.nextFloat();
    const uDup = this.rng.nextFloat();
    const uReorder = this.rng.nextFloat();
    const uRed = this.rng.nextFloat();
    const copy = frame.slice();
    this.record(now, "send", copy);
    if (!this.link.up) {
      c.droppedDown++;
      this.record(now, "drop-down", copy);
      return;
    }
    this.drain(now);
    const occ = this.occupancy();
    if (p.red && this.redDrop(occ, uRed)) {
      c.droppedRed++;
      this.record(now, "drop-red", copy);
      return;
    }
    const size = p.queueUnit === "packets" ? 1 : frame.length;
    if (occ + size > p.queueLimit) {
      c.droppedQueue++;
      this.record(now, "drop-queue", copy);
      return;
    }
    const start = Math.max(now, this.busyUntil);
    const done = start + serialisationNs(p, frame.length);
    this.busyUntil = done;
    this.queue.push({ doneNs: done, bytes: frame.length });
    this.queueBytes += frame.length;
    if (uLoss < p.lossRate) {
      c.lost++;
      this.record(now, "lost", copy);
      return;
    }
    let arrival = done + p.delayNs;
    if (uReorder < p.reorderRate) {
      c.reordered++;
      arrival += p.reorderDelayNs;
    }
    this.schedule(arrival, copy);
    if (uDup < p.duplicateRate) {
      c.duplicated++;
      this.schedule(arrival, copy);
    }
  }

  /** RED decision for an arrival seeing occupancy `occ`; updates the average and count. */
  private redDrop(occ: number, u: number): boolean {
    const r = this.params.red;
    if (!r) return false;
    this.redAvg = (1 - r.weight) * this.redAvg + r.weight * occ;
    if (this.redAvg < r.minThreshold) {
      this.redCount = 0;
      return false;
    }
    if (this.redAvg >= r.maxThreshold) {
      this.redCount = 0;
      return true;
    }
    const pb = (r.maxP * (this.redAvg - r.minThreshold)) / (r.maxThreshold - r.minThreshold);
    const denom = 1 - this.redCount * pb;
    const pa = denom <= 0 ? 1 : pb / denom;
    if (u < pa) {
      this.redCount = 0;
      return true;
    }
    this.redCount++;
    return false;
  }

  private schedule(atNs: number, frame: Uint8Array): void {
    const lateNs = this.to.clock.now() - atNs;
    if (lateNs > 0) {
      this.counters.late++;
      this.counters.maxLateNs = Math.max(this.counters.maxLateNs, lateNs);
    }
    const ev = this.to.clock.schedule(atNs, () => {
      this.pending.delete(ev);
      if (!this.link.up) {
        this.counters.droppedDown++;
        this.record(this.to.clock.now(), "drop-down", frame);
        return;
      }
      this.record(this.to.clock.now(), "deliver", frame);
      this.counters.deliveredPackets++;
      this.counters.deliveredBytes += frame.length;
      this.to.receive(frame);
    });
    this.pending.set(ev, frame);
  }

  /** Cancel everything in flight (counted as droppedDown). */
  cancelAll(): void {
    for (const ev of this.pending.keys()) {
      this.to.clock.cancel(ev);
      this.counters.droppedDown++;
    }
    this.pending.clear();
  }

  saveState(): LinkDirectionState {
    const p = this.params;
    const inFlight = [...this.pending.keys()].sort((x, y) => x.atNs - y.atNs || x.seq - y.seq);
    return {
      params: { ...p, red: p.red ? { ...p.red } : undefined, queueLimit: Number.isFinite(p.queueLimit) ? p.queueLimit : null },
      counters: { ...this.counters }, queue: this.queue.map((e) => ({ ...e })), busyUntil: this.busyUntil,
      redAvg: this.redAvg, redCount: this.redCount, rng: this.rng.saveState(),
      inFlight: inFlight.map((ev) => ({ atNs: ev.atNs, frame: Buffer.from(this.pending.get(ev) ?? []).toString("base64") })),
    };
  }

  loadState(st: LinkDirectionState): void {
    for (const ev of this.pending.keys()) this.to.clock.cancel(ev);
    this.pending.clear();
    this.params = { ...st.params, red: st.params.red ? { ...st.params.red } : undefined, queueLimit: st.params.queueLimit ?? Infinity };
    Object.assign(this.counters, st.counters);
    this.queue = st.queue.map((e) => ({ ...e }));
    this.queueBytes = this.queue.reduce((s, e) => s + e.bytes, 0);
    this.busyUntil = st.busyUntil;
    this.redAvg = st.redAvg;
    this.redCount = st.redCount;
    this.rng.loadState(st.rng);
    const late = this.counters.late;
    for (const f of st.inFlight) this.schedule(f.atNs, Uint8Array.from(Buffer.from(f.frame, "base64")));
    this.counters.late = late;
  }

  snapshot(): LinkDirectionSnapshot {
    this.drain(this.from.clock.now());
    const p = this.params;
    return {
      params: { ...p, red: p.red ? { ...p.red } : undefined, queueLimit: Number.isFinite(p.queueLimit) ? p.queueLimit : "unlimited" },
      counters: { ...this.counters },
      queuePackets: this.queue.length,
      queueBytes: this.queueBytes,
      redAverage: this.redAvg,
      inFlight: this.pending.size,
      busyUntilNs: this.busyUntil,
    };
  }
}

/**
 * A full-duplex link between endpoints `a` and `b`. Constructing it plugs
 * both endpoints in (replacing any earlier wire); disconnect() unplugs them.
 */
export class Link {
  readonly name: string;
  readonly seed: number;
  /** False drops everything sent and everything still in flight when it arrives. */
  up = true;
  /** Where frames' fates are recorded, if anywhere. */
  capture: Capture | undefined;
  private readonly dirs: Record<LinkDirection, Direction>;
  private connected = true;

  /**
   * Errors: throws RangeError for invalid parameters (validateLinkParams), or
   * if a and b are the same endpoint.
   */
  constructor(readonly a: NetEndpoint, readonly b: NetEndpoint, opts: LinkOptions = {}) {
    if (a === b) throw new RangeError("Link: both ends are the same endpoint");
    this.name = opts.name ?? `${a.name} <-> ${b.name}`;
    this.seed = opts.seed ?? 1;
    this.capture = opts.capture;
    const base = { ...IDEAL_LINK, ...opts.params };
    const pa = Link.checked({ ...base, ...opts.aToB });
    const pb = Link.checked({ ...base, ...opts.bToA });
    this.dirs = {
      aToB: new Direction(this, "aToB", a, b, pa, new Rng(this.seed * 2)),
      bToA: new Direction(this, "bToA", b, a, pb, new Rng(this.seed * 2 + 1)),
    };
    a.connect((f) => this.dirs.aToB.send(f));
    b.connect((f) => this.dirs.bToA.send(f));
  }

  private static checked(p: LinkParams): LinkParams {
    const err = validateLinkParams(p);
    if (err) throw new RangeError(`Link: ${err}`);
    return { ...p, red: p.red ? { ...p.red } : undefined };
  }

  /**
   * Change parameters of one or both directions while running; unspecified
   * fields keep their values. Frames in flight are not affected.
   * Errors: RangeError for an invalid result (nothing is changed then).
   */
  set(params: Partial<LinkParams>, direction: LinkDirection | "both" = "both"): void {
    const which: LinkDirection[] = direction === "both" ? ["aToB", "bToA"] : [direction];
    const next = which.map((d) => Link.checked({ ...this.dirs[d].params, ...params }));
    which.forEach((d, i) => (this.dirs[d].params = next[i]));
  }

  /** Current parameters of one direction (a copy). */
  params(direction: LinkDirection): LinkParams {
    const p = this.dirs[direction].params;
    return { ...p, red: p.red ? { ...p.red } : undefined };
  }

  /** Counters of one direction (a copy). */
  counters(direction: LinkDirection): LinkCounters {
    return { ...this.dirs[direction].counters };
  }

  /** Unplug both endpoints and cancel frames in flight. Idempotent. */
  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    this.up = false;
    this.a.connect(undefined);
    this.b.connect(undefined);
    this.dirs.aToB.cancelAll();
    this.dirs.bToA.cancelAll();
  }

  /** Everything needed to resume this link exactly (JSON). */
  saveState(): LinkState {
    return { up: this.up, aToB: this.dirs.aToB.saveState(), bToA: this.dirs.bToA.saveState() };
  }

  /**
   * Resume from saveState() output; restore the endpoints' clocks first.
   * Frames in flight are re-scheduled; anything in flight now is dropped.
   */
  loadState(st: LinkState): void {
    this.up = st.up;
    this.dirs.aToB.loadState(st.aToB);
    this.dirs.bToA.loadState(st.bToA);
  }

  /** JSON view for notebooks (%link). */
  snapshot(): LinkSnapshot {
    return { name: this.name, up: this.up, a: this.a.name, b: this.b.name, seed: this.seed, aToB: this.dirs.aToB.snapshot(), bToA: this.dirs.bToA.snapshot() };
  }
}
