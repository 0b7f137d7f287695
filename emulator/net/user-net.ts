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

/** True when the guest waits on the host (every CPU idle, host I/O outstanding): pause the machine and wait for the host. */
export function waitingOnHost(m: { quiescent(): boolean }, gw: Gateway | undefined): boolean {
  return gw !== undefined && gw.hostOutstanding() > 0 && m.quiescent();
}

/**
 * The host-wait rhythm of one run loop (see the file comment): a run pauses
 * when the guest comes to wait on the host; the loop then waits for the host
 * (at most HOST_WAIT_MS) and the next run only steps HOST_STEP_NS of virtual
 * time, without pausing for the host, so time still moves on.
 */
export class HostPacer {
  private waited = false;
  /** The current run follows a wait on the host (it steps HOST_STEP_NS). */
  stepping = false;

  constructor(private readonly machine: { quiescent(): boolean }, private readonly gateway: Gateway | undefined) {}

  /** Begin a run at virtual time `now`; returns where it ends: `now + far`, or one step after a wait. */
  begin(now: number, far = 1e9): number {
    this.stepping = this.waited;
    this.waited = false;
    return now + (this.stepping ? HOST_STEP_NS : far);
  }

  /** For the run's pause hook: the guest has come to wait on the host (never during a step). */
  pauseForHost(): boolean {
    return !this.stepping && waitingOnHost(this.machine, this.gateway);
  }

  /** After a run: the guest waits on the host. */
  get waiting(): boolean {
    return waitingOnHost(this.machine, this.gateway);
  }

  /** Wait for host activity, at most HOST_WAIT_MS; the next run is a step. */
  async wait(): Promise<void> {
    await this.gateway?.waitForHostActivity(HOST_WAIT_MS);
    this.waited = true;
  }

  /** The caller waited HOST_WAIT_MS itself (a timer): the next run is a step. */
  waitedElsewhere(): void {
    this.waited = true;
  }
}

/** A port forward written "HOSTPORT:GUESTPORT" (each 1..65535), or undefined. */
export function parseHostForward(text: string): HostForward | undefined {
  const m = /^(\d+):(\d+)$/.exec(text);
  const hostPort = Number(m?.[1]);
  const guestPort = Number(m?.[2]);
  if (!m || hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) return undefined;
  return { hostPort, guestPort };
}
