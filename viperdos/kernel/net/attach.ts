// Boot-time wiring of the network: find the first virtio-net slot the
// probe saw, start its driver (rings in Pmm pages, INTID 48+slot routed to
// CPU 0 through the GIC), build the NetStack over it on the machine clock,
// and log "virtio-net: slot N: MAC ..., 10.0.2.15/24 via 10.0.2.2".
// The kernel keeps the result as `kernel.net` (syscall/net.ts finds the
// socket services there).

import type { Kernel } from "../kernel.js";
import { VirtioNetDriver, VIRTIO_NET_DEVICE_ID } from "../drivers/virtio-net.js";
import { NetStack, type NetStackOptions } from "./stack.js";
import { ipString } from "./wire.js";
import type { TcpEnv, TcpStackApi } from "./tcp/api.js";
import { defaultTcpEngine } from "./tcp-engine.js";
import { VirtioNet } from "../../../emulator/devices/virtio-net.js";
import { parseIpv4 } from "./wire.js";

/** The kernel's network: driver + stack. */
export interface KernelNet {
  driver: VirtioNetDriver;
  stack: NetStack;
  /** The TCP engine (stack.tcp), for the notebook's connection lists. */
  tcp: TcpStackApi | undefined;
  /** Socket services for syscall/net.ts. */
  services(): ReturnType<NetStack["services"]>;
  snapshot(): { driver: ReturnType<VirtioNetDriver["snapshot"]>; stack: ReturnType<NetStack["snapshot"]> };
}

/** Addresses of a kernel's interface (strings as people write them); absent fields: the 10.0.2.x defaults. */
export interface NicConfig {
  mac?: string;
  ip?: string;
  netmask?: string;
  gateway?: string;
  dns?: string;
  /** Build the TCP engine (default: tcp/stack.ts's TcpStack). */
  tcp?: (env: TcpEnv) => TcpStackApi;
}

const configs = new WeakMap<Kernel, NicConfig>();

/** An engine override for every NetStack startNetwork builds (tests); undefined: tcp/stack.ts's TcpStack. */
let registeredTcp: ((env: TcpEnv) => TcpStackApi) | undefined;

/** Make startNetwork give every new stack this TCP engine (undefined restores the default). */
export function registerTcpEngine(f: ((env: TcpEnv) => TcpStackApi) | undefined): void {
  registeredTcp = f;
}

/**
 * Attach a virtio-net NIC to kernel `k` before boot, remembering `cfg` for
 * the stack startNetwork builds at boot. Returns the device (a NetEndpoint
 * to plug into a Link). Throws RangeError for a malformed MAC or address.
 */
export function attachNic(k: Kernel, cfg: NicConfig = {}): VirtioNet {
  for (const f of ["ip", "netmask", "gateway", "dns"] as const) {
    const v = cfg[f];
    if (v !== undefined && parseIpv4(v) === undefined) throw new RangeError(`attachNic: ${f} "${v}" is not an IPv4 address`);
  }
  const nic = new VirtioNet({ clock: k.machine.clock, mac: cfg.mac });
  k.machine.attachVirtio(nic);
  configs.set(k, cfg);
  return nic;
}

/**
 * Start networking on kernel `k` after the virtio probe: returns the
 * network, or undefined when there is no NIC (or its driver failed: the
 * reason is logged). Extra stack options (addresses, timers) may be given.
 */
export function startNetwork(k: Kernel, extra: Partial<NetStackOptions> = {}): KernelNet | undefined {
  const info = k.devices.find((d) => d.deviceId === VIRTIO_NET_DEVICE_ID);
  if (!info) return undefined;
  const drv = VirtioNetDriver.init(k.machine, k.pmm, info);
  if (typeof drv === "string") {
    k.log(drv);
    return undefined;
  }
  const random32 = (): number => {
    const b = k.random(4);
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  };
  const cfg = configs.get(k) ?? {};
  const addr = (s: string | undefined): number | undefined => (s === undefined ? undefined : parseIpv4(s));
  const stack = new NetStack({
    mac: drv.mac,
    transmit: (f) => void drv.transmit(f),
    clock: k.machine.clock,
    random32,
    tcp: cfg.tcp ?? registeredTcp ?? ((env) => defaultTcpEngine(env)),
    ip: addr(cfg.ip),
    netmask: addr(cfg.netmask),
    gateway: addr(cfg.gateway),
    dns: addr(cfg.dns),
    linkUp: () => drv.linkUp(),
    ...extra,
  });
  drv.onFrame = (f) => stack.input(f);
  k.irqHandlers.set(drv.intid, () => drv.onInterrupt());
  k.gic.enable(drv.intid, 0);
  const prefix = 32 - Math.clz32(~stack.netmask >>> 0);
  k.log(`virtio-net: slot ${info.slot}: MAC ${drv.snapshot().mac}, link ${drv.linkUp() ? "up" : "down"}, ${ipString(stack.ip)}/${32 - prefix} via ${ipString(stack.gateway)}, DNS ${ipString(stack.dns)}`);
  return {
    driver: drv,
    stack,
    tcp: stack.tcp,
    services: () => stack.services(),
    snapshot: () => ({ driver: drv.snapshot(), stack: stack.snapshot() }),
  };
}
