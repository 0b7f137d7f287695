// Multi-machine network labs in one process: N machines (each with its own
// VirtualClock and one NIC), a learning switch (switch.ts) on a fabric clock
// of its own, one Link (link.ts) from each machine to a switch port carrying
// that machine's delay, bandwidth, queue and impairments, and optionally a
// gateway endpoint on another port. Everything runs in lockstep (lockstep.ts).
//
//      alice ──link "alice"── ┐
//                             switch0 ── link "gateway" ── gateway (10.0.2.2)
//      bob   ──link "bob"──── ┘
//
// A bottleneck between two machines is the access link of one of them
// (`lab.setLink("bob", { bandwidthBps: 10e6, delayNs: 20e6, queueLimit: 50 })`):
// every frame to or from bob crosses it.
//
// The emulator knows nothing about ViperDOS: machines come from a factory
// (`LabMachineFactory`), so the same builder drives ViperDOS kernels
// (kernel-bridge/net-magics.ts builds them), host-only NIC models in tests,
// or anything else with a clock, a NIC endpoint and runUntil.
//
// Time: runFor/runUntil advance every clock in slices no longer than the
// smallest link delay (exact: no frame is delivered late), but at least
// minSliceNs (links with zero delay then deliver up to one slice late, which
// the links' `late` counters record). Same seeds, same specs, same inputs:
// the same run.

import { VirtualClock } from "../clock.js";
import type { NetEndpoint } from "./endpoint.js";
import { Link, type LinkParams, type LinkSnapshot } from "./link.js";
import { clockNode, runLockstep, type LockstepNode } from "./lockstep.js";
import { Switch, type SwitchSnapshot } from "./switch.js";

/** One machine of a lab, as the builder needs it. */
export interface LabMachine {
  readonly name: string;
  readonly clock: VirtualClock;
  /** The machine's NIC (a virtio-net device model). */
  readonly nic: NetEndpoint;
  /** Run up to virtual time ns (may stop early when idle). */
  runUntil(ns: number): void;
  /** Plain JSON about the machine (addresses, sockets), for snapshots. */
  snapshot?(): Record<string, unknown>;
}

/** What a machine is built from (the factory reads what it understands). */
export interface LabMachineSpec {
  name: string;
  /** IPv4 address "a.b.c.d" (default 10.0.2.15, 10.0.2.16, ... in order). */
  ip?: string;
  /** MAC "aa:bb:.." (default 52:54:00:12:34:56 + index). */
  mac?: string;
  /** Seed of the machine's random devices (default index + 1). */
  seed?: number;
  cpus?: number;
  /** Parameters of this machine's link to the switch (over an ideal link). */
  link?: Partial<LinkParams>;
  /** Anything else the factory understands. */
  [extra: string]: unknown;
}

export type LabMachineFactory = (spec: Required<Pick<LabMachineSpec, "name" | "ip" | "mac" | "seed">> & LabMachineSpec, index: number) => LabMachine;

/** A gateway (or any other non-machine endpoint) on the switch. */
export interface LabGateway {
  readonly name: string;
  /** Its endpoint; it delivers on the lab's fabric clock (passed to the factory). */
  readonly endpoint: NetEndpoint;
  snapshot?(): Record<string, unknown>;
}

export interface LabSpec {
  machines: LabMachineSpec[];
  /** Build a gateway endpoint on the fabric clock (the lab links it to the switch). */
  gateway?: (fabric: VirtualClock) => LabGateway;
  /** Parameters of the gateway's link. */
  gatewayLink?: Partial<LinkParams>;
  /** Seed of the links' impairments (link i gets seed + i; default 1). */
  seed?: number;
  /** Shortest lockstep slice in ns (default 50 µs). */
  minSliceNs?: number;
  /** Longest lockstep slice in ns (default 1 ms). */
  maxSliceNs?: number;
}

export interface TopologySnapshot {
  nowNs: number;
  sliceNs: number;
  machines: { name: string; ip: string; mac: string; nowNs: number; link: string; info: Record<string, unknown> | null }[];
  gateway: { name: string; link: string; info: Record<string, unknown> | null } | null;
  switch: SwitchSnapshot;
  links: LinkSnapshot[];
}

/** Default address of machine i: 10.0.2.15 + i. */
export function defaultLabIp(i: number): string {
  return `10.0.2.${15 + i}`;
}

/** Default MAC of machine i: 52:54:00:12:34:(56 + i). */
export function defaultLabMac(i: number): string {
  return `52:54:00:12:34:${(0x56 + i).toString(16).padStart(2, "0")}`;
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export class Topology {
  /** The switch's clock (its ports deliver on it). */
  readonly fabric = new VirtualClock();
  readonly switch: Switch;
  readonly machines: readonly LabMachine[];
  readonly specs: readonly (LabMachineSpec & { ip: string; mac: string })[];
  readonly gateway: LabGateway | undefined;
  /** Links by name: each machine's name, and "gateway". */
  private readonly links = new Map<string, Link>();
  private readonly minSliceNs: number;
  private readonly maxSliceNs: number;

  /**
   * Builds the lab: machines from `factory`, the switch, the links.
   * Errors: RangeError for a bad spec (no machines, more than 7, duplicate
   * or malformed names, invalid link parameters).
   */
  constructor(spec: LabSpec, factory: LabMachineFactory) {
    const n = spec.machines.length;
    if (n < 1 || n > 7) throw new RangeError(`Topology: 1..7 machines (got ${n})`);
    const names = new Set<string>();
    for (const m of spec.machines) {
      if (!NAME_RE.test(m.name) || m.name === "gateway") throw new RangeError(`Topology: bad machine name ${JSON.stringify(m.name)}`);
      if (names.has(m.name.toLowerCase())) throw new RangeError(`Topology: machine ${m.name} appears twice`);
      names.add(m.name.toLowerCase());
    }
    this.minSliceNs = spec.minSliceNs ?? 50_000;
    this.maxSliceNs = spec.maxSliceNs ?? 1_000_000;
    this.switch = new Switch(this.fabric, { ports: 8, name: "switch0" });
    const seed = spec.seed ?? 1;
    this.specs = spec.machines.map((m, i) => ({ ...m, ip: m.ip ?? defaultLabIp(i), mac: m.mac ?? defaultLabMac(i) }));
    this.machines = this.specs.map((m, i) => factory({ ...m, seed: m.seed ?? i + 1 }, i));
    this.machines.forEach((m, i) => {
      this.links.set(this.specs[i].name, new Link(m.nic, this.switch.port(i), { params: this.specs[i].link, seed: seed + i, name: this.specs[i].name }));
    });
    if (spec.gateway) {
      this.gateway = spec.gateway(this.fabric);
      this.links.set("gateway", new Link(this.gateway.endpoint, this.switch.port(7), { params: spec.gatewayLink, seed: seed + 7, name: "gateway" }));
    }
  }

  /** The machine called `name` (case-insensitive), or undefined. */
  machine(name: string): LabMachine | undefined {
    const i = this.specs.findIndex((s) => s.name.toLowerCase() === name.toLowerCase());
    return i < 0 ? undefined : this.machines[i];
  }

  /** Link names: the machines' and "gateway". */
  linkNames(): string[] {
    return [...this.links.keys()];
  }

  /** The link called `name` (a machine's access link, or "gateway"), or undefined. */
  link(name: string): Link | undefined {
    for (const [k, l] of this.links) if (k.toLowerCase() === name.toLowerCase()) return l;
    return undefined;
  }

  /**
   * Change a link's parameters while running (both directions unless one is
   * given: "aToB" is machine -> switch). Returns an error message for an
   * unknown link or invalid parameters (nothing changes then), else undefined.
   */
  setLink(name: string, params: Partial<LinkParams>, direction: "aToB" | "bToA" | "both" = "both"): string | undefined {
    const l = this.link(name);
    if (!l) return `no link ${name} (links: ${this.linkNames().join(", ")})`;
    try {
      l.set(params, direction);
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  }

  /** The lockstep slice now: the smallest link delay, within [minSliceNs, maxSliceNs]. */
  sliceNs(): number {
    let m = Infinity;
    for (const l of this.links.values()) m = Math.min(m, l.params("aToB").delayNs, l.params("bToA").delayNs);
    return Math.max(this.minSliceNs, Math.min(this.maxSliceNs, m));
  }

  /** The lab's time: the earliest clock (every clock has reached it). */
  now(): number {
    return Math.min(this.fabric.now(), ...this.machines.map((m) => m.clock.now()));
  }

  private nodes(): LockstepNode[] {
    return [clockNode(this.fabric), ...this.machines.map((m) => ({ clock: m.clock, runUntil: (ns: number) => m.runUntil(ns) }))];
  }

  /**
   * Advance every machine and the switch to virtual time `untilNs`, or until
   * `stop()` (checked between slices) is true. Returns the lab's time.
   */
  runUntil(untilNs: number, stop?: () => boolean): number {
    const nodes = this.nodes();
    while (this.now() < untilNs) {
      if (stop?.()) break;
      // Idle machines may lag; bring the slowest forward one slice at a time.
      const t = Math.min(untilNs, this.now() + this.sliceNs() * 16);
      runLockstep(nodes, t, this.sliceNs());
      // A machine with nothing to do stops short; its clock may be moved on (no events are lost: they are in its queue).
      for (const m of this.machines) if (m.clock.now() < t && (m.clock.nextEventNs() ?? Infinity) > t) m.clock.advanceTo(t);
      if (this.fabric.now() < t) this.fabric.runDue(t);
    }
    return this.now();
  }

  /** Advance the lab by `ns` of virtual time. */
  runFor(ns: number, stop?: () => boolean): number {
    return this.runUntil(this.now() + ns, stop);
  }

  /** Plain JSON view: machines, gateway, switch and links. */
  snapshot(): TopologySnapshot {
    return {
      nowNs: this.now(),
      sliceNs: this.sliceNs(),
      machines: this.machines.map((m, i) => ({
        name: this.specs[i].name,
        ip: this.specs[i].ip,
        mac: this.specs[i].mac,
        nowNs: m.clock.now(),
        link: this.specs[i].name,
        info: m.snapshot?.() ?? null,
      })),
      gateway: this.gateway ? { name: this.gateway.name, link: "gateway", info: this.gateway.snapshot?.() ?? null } : null,
      switch: this.switch.snapshot(),
      links: [...this.links.values()].map((l) => l.snapshot()),
    };
  }

  /** Unplug every link (the machines stay as they are). */
  dispose(): void {
    for (const l of this.links.values()) l.disconnect();
  }
}
