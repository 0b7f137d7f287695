// A virtual L2 learning switch (IEEE 802.1D transparent bridging, without
// spanning tree) connecting several endpoints in one process.
//
// Each port is itself a NetEndpoint: plug a machine's NIC into it with a Link
// (emulator/net/link.ts), which carries the delay, rate and impairments;
// the switch forwards at once (no switching delay, no output queue of its
// own). On a frame arriving at port i:
//   - learn: source MAC -> port i (unicast sources only), with the time;
//   - forward: a group destination (broadcast/multicast) or an unknown or
//     aged-out unicast destination is flooded to every other plugged port; a
//     known destination goes to its port only, and is filtered (dropped) if
//     that port is i itself.
// Entries age out after ageingNs (802.1D default 300 s) of not being seen as
// a source. Frames shorter than an Ethernet header are dropped (runts).
// Nothing here throws on frame contents.

import type { VirtualClock } from "../clock.js";
import { ETH_HEADER_LEN, isGroupMac, macToString, type FrameSink, type NetEndpoint } from "./endpoint.js";

export interface SwitchOptions {
  /** Number of ports (default 8). */
  ports?: number;
  /** MAC table entry lifetime in ns (default 300 s). */
  ageingNs?: number;
  name?: string;
}

export interface SwitchPortCounters {
  rxPackets: number; rxBytes: number; txPackets: number; txBytes: number;
  /** Frames that arrived here and were flooded. */
  flooded: number;
  /** Frames that arrived here for a MAC learned on this same port. */
  filtered: number;
  runts: number;
}

export interface SwitchSnapshot {
  name: string;
  ageingNs: number;
  ports: { index: number; name: string; plugged: boolean; counters: SwitchPortCounters }[];
  /** The MAC table, sorted by MAC. */
  macTable: { mac: string; port: number; lastSeenNs: number }[];
}

/** One switch port: an endpoint whose received frames are bridged. */
export class SwitchPort implements NetEndpoint {
  readonly name: string;
  tx: FrameSink | undefined;
  readonly counters: SwitchPortCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, flooded: 0, filtered: 0, runts: 0 };

  constructor(readonly sw: Switch, readonly index: number) {
    this.name = `${sw.name}.port${index}`;
  }

  get clock(): VirtualClock {
    return this.sw.clock;
  }

  connect(tx: FrameSink | undefined): void {
    this.tx = tx;
  }

  receive(frame: Uint8Array): void {
    this.sw.bridge(this, frame);
  }

  /** Send out of this port (if plugged). */
  transmit(frame: Uint8Array): void {
    if (!this.tx) return;
    this.counters.txPackets++;
    this.counters.txBytes += frame.length;
    this.tx(frame);
  }
}

export class Switch {
  readonly name: string;
  readonly ageingNs: number;
  readonly ports: readonly SwitchPort[];
  /** MAC (as "aa:bb:..") -> port and last time seen as a source. */
  private table = new Map<string, { port: number; lastSeenNs: number }>();

  /**
   * A switch whose ports deliver on `clock` (the shared clock of a topology,
   * or one machine's clock). Errors: RangeError for ports < 1.
   */
  constructor(readonly clock: VirtualClock, opts: SwitchOptions = {}) {
    const n = opts.ports ?? 8;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Switch: ports must be a positive integer (got ${n})`);
    this.name = opts.name ?? "switch0";
    this.ageingNs = opts.ageingNs ?? 300e9;
    const ports: SwitchPort[] = [];
    for (let i = 0; i < n; i++) ports.push(new SwitchPort(this, i));
    this.ports = ports;
  }

  /** Port `i`. Errors: RangeError when out of range. */
  port(i: number): SwitchPort {
    const p = this.ports[i];
    if (!p) throw new RangeError(`Switch ${this.name}: no port ${i}`);
    return p;
  }

  /** Lowest port not plugged into a wire, or undefined. */
  freePort(): SwitchPort | undefined {
    return this.ports.find((p) => p.tx === undefined);
  }

  /** The port `mac` ("aa:bb:..") was learned on, if the entry is live. */
  lookup(mac: string): number | undefined {
    const e = this.table.get(mac.toLowerCase());
    if (!e || this.clock.now() - e.lastSeenNs >= this.ageingNs) return undefined;
    return e.port;
  }

  /** Forget every learned MAC. */
  flush(): void {
    this.table.clear();
  }

  /** Learn and forward a frame that arrived on `inPort` (called by SwitchPort.receive). */
  bridge(inPort: SwitchPort, frame: Uint8Array): void {
    const c = inPort.counters;
    c.rxPackets++;
    c.rxBytes += frame.length;
    if (frame.length < ETH_HEADER_LEN) {
      c.runts++;
      return;
    }
    const now = this.clock.now();
    if (!isGroupMac(frame, 6)) this.table.set(macToString(frame, 6), { port: inPort.index, lastSeenNs: now });
    const out = isGroupMac(frame, 0) ? undefined : this.lookup(macToString(frame, 0));
    if (out === undefined) {
      c.flooded++;
      for (const p of this.ports) if (p !== inPort) p.transmit(frame);
      return;
    }
    if (out === inPort.index) {
      c.filtered++;
      return;
    }
    this.ports[out].transmit(frame);
  }

  /** JSON view for notebooks (%topology). */
  snapshot(): SwitchSnapshot {
    const now = this.clock.now();
    const macTable = [...this.table.entries()]
      .filter(([, e]) => now - e.lastSeenNs < this.ageingNs)
      .map(([mac, e]) => ({ mac, port: e.port, lastSeenNs: e.lastSeenNs }))
      .sort((x, y) => (x.mac < y.mac ? -1 : x.mac > y.mac ? 1 : 0));
    return {
      name: this.name, ageingNs: this.ageingNs,
      ports: this.ports.map((p) => ({ index: p.index, name: p.name, plugged: p.tx !== undefined, counters: { ...p.counters } })),
      macTable,
    };
  }
}
