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

/** The kernel's network: driver + stack. */
export interface KernelNet {
  driver: VirtioNetDriver;
  stack: NetStack;
  /** Socket services for syscall/net.ts. */
  services(): ReturnType<NetStack["services"]>;
  snapshot(): { driver: ReturnType<VirtioNetDriver["snapshot"]>; stack: ReturnType<NetStack["snapshot"]> };
}

/** The TCP engine constructor the stack instantiates (set once tcp/stack.ts is registered). */
let tcpFactory: ((env: TcpEnv) => TcpStackApi) | undefined;

/** Register the TCP engine every NetStack built by startNetwork gets (N8B's TcpStack). */
export function registerTcpEngine(f: ((env: TcpEnv) => TcpStackApi) | undefined): void {
  tcpFactory = f;
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
  const stack = new NetStack({
    mac: drv.mac,
    transmit: (f) => void drv.transmit(f),
    clock: k.machine.clock,
    random32,
    tcp: tcpFactory,
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
    services: () => stack.services(),
    snapshot: () => ({ driver: drv.snapshot(), stack: stack.snapshot() }),
  };
}
