// Test helpers for the network stack below TCP: a NetStack as a NetEndpoint
// on a VirtualClock, wired to peers through emulator/net/link.ts.

import { VirtualClock } from "../emulator/clock.js";
import type { FrameSink, NetEndpoint } from "../emulator/net/endpoint.js";
import { Link, type LinkParams } from "../emulator/net/link.js";
import { NetStack, type NetStackOptions } from "../viperdos/kernel/net/stack.js";

/** A deterministic 32-bit generator (xorshift) for stacks under test. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/** A NetStack plugged into a wire as an endpoint; `sent` records every frame it transmitted. */
export class StackPort implements NetEndpoint {
  readonly stack: NetStack;
  readonly sent: Uint8Array[] = [];
  private tx: FrameSink | undefined;
  constructor(readonly name: string, readonly clock: VirtualClock, opts: Partial<NetStackOptions> & { mac: Uint8Array }) {
    this.stack = new NetStack({
      transmit: (f) => {
        this.sent.push(f);
        this.tx?.(f);
      },
      clock,
      random32: seeded(opts.mac[5] + 7),
      ...opts,
    });
  }
  receive(frame: Uint8Array): void {
    this.stack.input(frame);
  }
  connect(tx: FrameSink | undefined): void {
    this.tx = tx;
  }
}

export const MAC_A = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
export const MAC_B = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x57);

/** Link `a` and `b` with a 1 ms one-way delay (or `params`). */
export function wire(a: NetEndpoint, b: NetEndpoint, params: Partial<LinkParams> = {}): Link {
  return new Link(a, b, { params: { delayNs: 1e6, ...params } });
}

/** Run `clock`'s events up to `ns` later. */
export function advance(clock: VirtualClock, ns: number): void {
  const until = clock.now() + ns;
  for (;;) {
    const next = clock.nextEventNs();
    if (next === undefined || next > until) break;
    clock.advanceTo(Math.max(next, clock.now()));
    clock.runDue();
  }
  clock.advanceTo(until);
}

/** A bare clock as a host-runner machine (no CPUs: always idle). */
export function clockRunnable(clock: VirtualClock): { machine: { now(): number; cpus: never[]; isIdle(): boolean }; runUntil(ns: number): string } {
  return {
    machine: { now: () => clock.now(), cpus: [], isIdle: () => true },
    runUntil: (ns) => {
      advance(clock, ns - clock.now());
      return "until";
    },
  };
}
