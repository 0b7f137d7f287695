// User-mode networking for one machine, as QEMU's `-nic user`: its virtio-net
// NIC wired to a gateway (gateway.ts) through a short link. Used by
// `viperdos boot` and by a notebook's `%boot --net`.
//
// Host sockets answer in wall time, while the machine runs in virtual time.
// waitingOnHost() tells a run loop when the guest waits on the host (every
// CPU idle, host I/O outstanding): the loop then pauses the machine (a
// RunHooks.shouldPause) and waits for the host, instead of letting virtual
// time race through the guest's timeouts. After HOST_WAIT_MS without an
// answer it lets virtual time move on by HOST_STEP_NS, so sleeps and TCP
// timers still come due while an idle host connection stays open.

import type { VirtualClock } from "../clock.js";
import type { NetEndpoint } from "./endpoint.js";
import { Gateway } from "./gateway.js";
import type { HostForward } from "./hostfwd.js";
import { Link } from "./link.js";

/** Wall ms a run loop waits for the host before letting virtual time move on. */
export const HOST_WAIT_MS = 20;
/** Virtual ns a machine waiting on the host may advance per HOST_WAIT_MS. */
export const HOST_STEP_NS = 2_000_000;

/** Plug `nic` into a new gateway (10.0.2.2, DNS 10.0.2.3) through a 0.1 ms link. */
export function attachUserNet(nic: NetEndpoint, clock: VirtualClock, hostfwd: HostForward[] = []): Gateway {
  const gw = new Gateway({ clock, hostfwd });
  new Link(nic, gw, { params: { delayNs: 100_000 } });
  return gw;
}

/** What waitingOnHost needs of a machine. */
export interface IdleMachine {
  readonly cpus: readonly { state: { irqLine: boolean } }[];
  isIdle(i: number): boolean;
  isOnline(i: number): boolean;
}

/** Every online CPU idle with no interrupt pending. */
export function machineIdle(m: IdleMachine): boolean {
  for (let i = 0; i < m.cpus.length; i++) if (m.isOnline(i) && (!m.isIdle(i) || m.cpus[i].state.irqLine)) return false;
  return true;
}

/** True when the guest waits on the host: pause the machine and wait for the host. */
export function waitingOnHost(m: IdleMachine, gw: Gateway | undefined): boolean {
  return gw !== undefined && gw.hostOutstanding() > 0 && machineIdle(m);
}
