// ViperDOS network labs: several ViperDOS kernels in one process on a
// Topology (emulator/net/topology.ts), each with a virtio-net NIC and its own
// address, plus the programs that drive experiments (iperf, ping, netstat)
// built from viperdos/user/programs/. Used by %topology and friends
// (net-magics.ts), the TCP notebook, bench/net.ts and the e2e tests.
//
// Every machine's console is captured per machine (and optionally streamed).
// Runs are deterministic: same spec, same seeds, same commands, same run.

import { readFileSync } from "node:fs";
import { Kernel } from "../viperdos/kernel/kernel.js";
import type { Process } from "../viperdos/kernel/proc/process.js";
import type { LinkParams } from "../emulator/net/link.js";
import { Topology, type LabGateway, type LabMachineSpec, type TopologySnapshot } from "../emulator/net/topology.js";
import type { VirtualClock } from "../emulator/clock.js";
import { Gateway, type GatewayOptions } from "../emulator/net/gateway.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { socketRegistry } from "../viperdos/kernel/syscall/net.js";
import { attachNic } from "../viperdos/kernel/net/attach.js";
import type { TcpConn, TcpTraceSample } from "../viperdos/kernel/net/tcp/api.js";

/** The network programs a lab can run (viperdos/user/programs/NAME.c). */
export const LAB_PROGRAMS = ["iperf", "ping", "netstat", "nslookup", "fetch"] as const;

const images = new Map<string, Uint8Array>();

/** The ELF image of network program `name`, built (and cached) by build-guest. */
export function labProgram(name: string): Uint8Array {
  let img = images.get(name);
  if (!img) {
    img = new Uint8Array(readFileSync(buildGuest({ name: `prg-${name}`, sources: [`viperdos/user/programs/${name}.c`], opt: "-O2", os: "viperdos" })));
    images.set(name, img);
  }
  return img;
}

/** One-way delay of a lab link unless the spec says otherwise. */
export const DEFAULT_ACCESS_DELAY_NS = 500_000;

export interface ViperLabSpec {
  machines: (LabMachineSpec & { ramMiB?: number })[];
  /** A gateway endpoint on the switch (host NAT), built on the fabric clock. */
  gateway?: (fabric: VirtualClock) => LabGateway;
  gatewayLink?: Partial<LinkParams>;
  seed?: number;
  /** Console text of machine `name` as it appears. */
  onConsole?: (name: string, text: string) => void;
}

/** A finished or running program of a lab. */
export interface LabRun {
  machine: string;
  program: string;
  args: string;
  process: Process;
}

export class ViperLab {
  readonly topology: Topology;
  readonly kernels = new Map<string, Kernel>();
  private readonly output = new Map<string, string>();

  /** Builds and boots every machine. Errors: RangeError for a bad spec (Topology's). */
  constructor(readonly spec: ViperLabSpec) {
    // Access links default to 0.5 ms one way (1 ms machine to machine, a LAN): the lockstep slice is the
    // smallest link delay, so zero-delay links would force tiny slices (or late frames).
    const machines = spec.machines.map((m) => ({ ...m, link: { delayNs: DEFAULT_ACCESS_DELAY_NS, ...m.link } }));
    const gatewayLink = { delayNs: DEFAULT_ACCESS_DELAY_NS, ...spec.gatewayLink };
    this.topology = new Topology({ machines, gateway: spec.gateway, gatewayLink, seed: spec.seed }, (m) => {
      const decoder = new TextDecoder();
      this.output.set(m.name, "");
      const k = new Kernel({
        cpus: m.cpus ?? 1,
        ramMiB: (m.ramMiB as number | undefined) ?? 64,
        seed: m.seed,
        onConsole: (b) => {
          const text = decoder.decode(b, { stream: true });
          this.output.set(m.name, (this.output.get(m.name) ?? "") + text);
          spec.onConsole?.(m.name, text);
        },
      });
      const nic = attachNic(k, { mac: m.mac, ip: m.ip });
      k.boot();
      if (!k.net) throw new Error(`machine ${m.name}: the kernel did not start its network`);
      this.kernels.set(m.name, k);
      return {
        name: m.name,
        clock: k.machine.clock,
        nic,
        runUntil: (ns) => void k.runUntil(ns),
        snapshot: () => ({ sockets: [...socketRegistry(k).live].map((s) => s.info()) }),
      };
    });
  }

  /** The kernel of machine `name`. Errors: RangeError for an unknown machine. */
  kernel(name: string): Kernel {
    for (const [n, k] of this.kernels) if (n.toLowerCase() === name.toLowerCase()) return k;
    throw new RangeError(`no machine ${name} (machines: ${[...this.kernels.keys()].join(", ")})`);
  }

  /** Console text of machine `name` so far. */
  console(name: string): string {
    return this.output.get(this.topology.specs.find((s) => s.name.toLowerCase() === name.toLowerCase())?.name ?? name) ?? "";
  }

  /**
   * Start network program `program` (LAB_PROGRAMS) with `args` on machine
   * `name`. Returns the run, or throws RangeError (unknown machine/program)
   * or Error (the kernel refused to spawn it).
   */
  start(name: string, program: string, args = ""): LabRun {
    if (!(LAB_PROGRAMS as readonly string[]).includes(program)) throw new RangeError(`unknown program ${program} (known: ${LAB_PROGRAMS.join(", ")})`);
    const k = this.kernel(name);
    const p = k.spawn(program, labProgram(program), args);
    if (typeof p === "number") throw new Error(`cannot start ${program} on ${name} (error ${p})`);
    return { machine: name, program, args, process: p };
  }

  /** Advance the whole lab by `ns` virtual (or until `stop`). */
  runFor(ns: number, stop?: () => boolean): number {
    return this.topology.runFor(ns, stop);
  }

  /**
   * Run until every run in `runs` has exited or `limitNs` of virtual time
   * passed; yields to the host event loop every `sliceMs` wall (so host
   * peers and notebooks stay live). Returns true when all exited.
   */
  async runUntilExit(runs: LabRun[], limitNs: number, opts: { sliceMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    const until = this.topology.now() + limitNs;
    const sliceMs = opts.sliceMs ?? 20;
    const done = () => runs.every((r) => r.process.state !== "live");
    while (!done() && this.topology.now() < until) {
      if (opts.signal?.aborted) break;
      const deadline = performance.now() + sliceMs;
      this.topology.runUntil(until, () => done() || performance.now() >= deadline);
      await new Promise<void>((r) => setImmediate(r));
    }
    return done();
  }

  /** Live TCP connections of machine `name` (the engine's, including TIME-WAIT). */
  connections(name: string): TcpConn[] {
    const tcp = netOf(this.kernel(name))?.tcp as { connections?: () => TcpConn[] } | undefined;
    return tcp?.connections?.() ?? [];
  }

  /** Traces of machine `name`'s connections: live ones and those its sockets closed (newest last). */
  traces(name: string): { id: number; label: string; samples: TcpTraceSample[] }[] {
    return connectionTraces(this.kernel(name));
  }

  snapshot(): TopologySnapshot {
    return this.topology.snapshot();
  }

  /** Unplug every link and close the gateway's host sockets, if the lab has a gateway. */
  dispose(): void {
    this.topology.dispose();
    const gw = this.topology.gateway as (LabGateway & { close?: () => Promise<void> }) | undefined;
    void gw?.close?.();
  }
}

/**
 * A lab gateway: the user-mode gateway (emulator/net/gateway.ts) at 10.0.2.2
 * with DNS at 10.0.2.3 on the lab's switch, reaching 127.0.0.0/8 on the
 * host. Its host sockets answer in wall time between the lab's slices.
 */
export function labGateway(opts: Omit<GatewayOptions, "clock"> = {}): (fabric: VirtualClock) => LabGateway & { close(): Promise<void> } {
  return (fabric) => {
    const gw = new Gateway({ clock: fabric, ...opts });
    return { name: "gateway", endpoint: gw, snapshot: () => ({ ...gw.snapshot() }), close: () => gw.close() };
  };
}

/** The kernel's network stack object, if it has one (net/stack.ts, wired by the kernel). */
export function netOf(k: Kernel): { tcp?: unknown; snapshot?: () => unknown } | undefined {
  return k.net?.stack;
}

/** Every connection trace kernel `k` knows: archived (closed sockets) then live, by connection id. */
export function connectionTraces(k: Kernel): { id: number; label: string; samples: TcpTraceSample[] }[] {
  const out = new Map<number, { id: number; label: string; samples: TcpTraceSample[] }>();
  for (const a of socketRegistry(k).archive) out.set(a.id, a);
  const tcp = netOf(k)?.tcp as { connections?: () => TcpConn[] } | undefined;
  for (const c of tcp?.connections?.() ?? []) {
    const s = c.snapshot();
    out.set(c.id, { id: c.id, label: `${s.local} -> ${s.remote} (${s.cc})`, samples: c.trace() });
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}
