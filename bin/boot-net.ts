// The network of `viperdos boot`: a virtio-net NIC wired to the user-mode
// gateway (emulator/net/gateway.ts), as QEMU's `-nic user` does. The guest is
// 10.0.2.15, the gateway 10.0.2.2 (the host's 127.0.0.1) and DNS 10.0.2.3;
// only the host's loopback range is reachable. `--hostfwd H:G` forwards
// 127.0.0.1:H on the host to the guest's port G; `--no-net` boots without a NIC.
//
// Host sockets answer in wall time, so while the guest waits on one (every CPU
// idle, host I/O outstanding) the machine pauses and waits for the host
// instead of letting virtual time run through its TCP timers.

import type { Kernel } from "../viperdos/kernel/kernel.js";
import type { ConsoleSession } from "../viperdos/kernel/console/session.js";
import type { Gateway } from "../emulator/net/gateway.js";
import type { HostForward } from "../emulator/net/hostfwd.js";
import { attachUserNet, HostPacer, parseHostForward } from "../emulator/net/user-net.js";

export interface NetArgs {
  net: boolean;
  hostfwd: HostForward[];
  /** The arguments that were not network options, in order. */
  rest: string[];
}

export const NET_OPTIONS = [
  "  --no-net     no network card (default: virtio-net on the user-mode gateway:",
  "               10.0.2.15 via 10.0.2.2 = the host's 127.0.0.1, DNS 10.0.2.3)",
  "  --hostfwd H:G  forward 127.0.0.1:H on the host to the guest's TCP port G",
  "               (repeatable)",
];

/** Take --no-net and --hostfwd out of `args`; a string is a usage error. */
export function parseNetArgs(args: string[]): NetArgs | string {
  const r: NetArgs = { net: true, hostfwd: [], rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--no-net") r.net = false;
    else if (a === "--hostfwd") {
      const fwd = parseHostForward(args[++i] ?? "");
      if (!fwd) return "--hostfwd needs HOSTPORT:GUESTPORT (1..65535)";
      r.hostfwd.push(fwd);
    } else r.rest.push(a);
  }
  if (!r.net && r.hostfwd.length > 0) return "--hostfwd needs the network (drop --no-net)";
  return r;
}

/** Plug the kernel's NIC (Kernel option nic) into a new gateway (emulator/net/user-net.ts). */
export function attachGateway(k: Kernel, hostfwd: HostForward[]): Gateway {
  if (!k.nic) throw new Error("attachGateway: the kernel has no NIC");
  return attachUserNet(k.nic, k.machine.clock, hostfwd);
}

const SLICE_MS = 20;

/**
 * Piped input with a network: run until the shell ends or waits for input
 * that will never come, yielding to the event loop every SLICE_MS of wall
 * time (pauses between rounds, so the run is the one a single call makes)
 * and waiting for the host while the guest waits on it.
 */
export async function runPipedWithHost(k: Kernel, session: ConsoleSession, gw: Gateway, ended: () => boolean): Promise<void> {
  const pacer = new HostPacer(k.machine, gw);
  for (;;) {
    if (ended() || session.waitingForInput()) return;
    const deadline = performance.now() + SLICE_MS;
    const why = k.runUntil(pacer.begin(k.machine.now()), () => ended() || session.waitingForInput(), () => performance.now() >= deadline || pacer.pauseForHost());
    if (ended() || session.waitingForInput()) return;
    if (pacer.waiting) await pacer.wait();
    else if (why === "idle") return; // nothing can ever happen: every task blocked, no event, no host I/O
    else await new Promise<void>((r) => setImmediate(r));
  }
}
