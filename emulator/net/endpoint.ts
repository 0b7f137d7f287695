// The endpoint interface: how anything that sends and receives Ethernet
// frames (a virtio-net NIC, a switch port, later the user-mode gateway at
// 10.0.2.2) plugs into a wire (a Link).
//
// Contract:
// - An endpoint transmits by calling the `tx` function it was given through
//   connect(), at the current time of its own clock. The frame is owned by
//   the wire from then on (the endpoint must not change it afterwards).
// - The wire delivers by calling receive(frame) from an event it scheduled on
//   the endpoint's clock, so receive() runs with `clock.now()` equal to the
//   frame's arrival time. receive() must not throw and must not change the
//   frame (the same bytes may be delivered to several endpoints).
// - Several machines in one process each have their own VirtualClock; a
//   topology runner advances them in lockstep. A wire computes arrival times
//   in the sender's time and schedules them, as absolute times, on the
//   receiver's clock (clamped to its now if that clock ran ahead: the Link
//   counts such late deliveries, so a runner can check its slices are no
//   longer than the smallest link delay).
//
// A frame is a complete Ethernet II frame without FCS: destination MAC (6),
// source MAC (6), EtherType (2), payload.

import type { VirtualClock } from "../clock.js";

/** A transmit function handed to an endpoint by the wire it is plugged into. */
export type FrameSink = (frame: Uint8Array) => void;

export interface NetEndpoint {
  /** Name for snapshots ("virtio-net 52:54:00:..", "switch0.port2"). */
  readonly name: string;
  /** The clock on which frames for this endpoint are delivered. */
  readonly clock: VirtualClock;
  /** A frame arrives now. Never throws. */
  receive(frame: Uint8Array): void;
  /** Plug into a wire (`tx` sends into it) or unplug (undefined); later sends while unplugged are dropped. */
  connect(tx: FrameSink | undefined): void;
  /**
   * Optional: the virtual time (ns) at which the frame now being sent left,
   * when it is finer than clock.now() (a CPU part-way through a machine
   * round). Must be >= clock.now(). Wires use clock.now() without it.
   */
  txTimeNs?(): number;
}

/** Ethernet constants and helpers shared by the NIC, switch and gateway. */
export const ETH_HEADER_LEN = 14;
/** Largest frame without FCS for a 1500-byte MTU. */
export const ETH_MAX_FRAME = 1514;
export const ETH_BROADCAST = "ff:ff:ff:ff:ff:ff";

/** "aa:bb:cc:dd:ee:ff" for 6 bytes at `offset` of `b` (zero-padded if short). */
export function macToString(b: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((b[offset + i] ?? 0).toString(16).padStart(2, "0"));
  return parts.join(":");
}

/**
 * Parse "aa:bb:cc:dd:ee:ff" (or with "-") into 6 bytes.
 * Returns undefined for anything else.
 */
export function parseMac(s: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s);
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1, 7).map((h) => parseInt(h, 16)));
}

/** True for a group (multicast or broadcast) address: the I/G bit of the first octet. */
export function isGroupMac(b: Uint8Array, offset = 0): boolean {
  return ((b[offset] ?? 0) & 1) !== 0;
}
