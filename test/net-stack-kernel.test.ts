// The kernel's network through its real path: the virtio-net driver (rings
// in guest RAM, interrupts through the GIC) under the booted kernel, wired to
// the gateway by a Link: boot log, ping, DNS and NET_STATS-style views.

import { afterEach, describe, expect, it } from "vitest";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { Link } from "../emulator/net/link.js";
import { Gateway, GATEWAY_IP } from "../emulator/net/gateway.js";
import { runWithHost } from "../emulator/net/host-runner.js";
import type { PingResult } from "../viperdos/kernel/net/stack.js";
import { E } from "../viperdos/kernel/errors.js";
import { ipv4 } from "../viperdos/kernel/net/wire.js";

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close();
});

function bootWithGateway(): { k: Kernel; gw: Gateway; log: () => string } {
  let text = "";
  const k = new Kernel({ cpus: 2, ramMiB: 64, nic: { mac: "52:54:00:ab:cd:ef" }, onConsole: (b) => (text += Buffer.from(b).toString("latin1")) });
  const gw = new Gateway({ clock: k.machine.clock, hosts: { "files.lab": "10.0.2.2" } });
  gateways.push(gw);
  new Link(k.nic!, gw, { params: { delayNs: 500_000 } });
  k.boot();
  return { k, gw, log: () => text };
}

describe("kernel network over virtio-net", () => {
  it("logs the NIC at boot and pings the gateway through the driver and its interrupts", async () => {
    const { k, gw, log } = bootWithGateway();
    expect(log()).toMatch(/virtio-net: slot \d+: MAC 52:54:00:ab:cd:ef, link up, 10\.0\.2\.15\/24 via 10\.0\.2\.2, DNS 10\.0\.2\.3/);
    const net = k.net!;
    const results: PingResult[] = [];
    for (let i = 0; i < 3; i++) net.stack.ping(GATEWAY_IP, { size: 56 }, (r) => results.push(r));
    await runWithHost(k, gw, { until: () => results.length === 3, maxWallMs: 10_000 });
    expect(results.every((r) => r.ok)).toBe(true);
    // All three wait for ARP (1 ms round trip), then the echo takes 2 x 0.5 ms.
    expect(results.map((r) => r.ok && r.rttNs)).toEqual([2e6, 2e6, 2e6]);
    const d = net.driver.snapshot();
    expect(d.counters.interrupts).toBeGreaterThan(0);
    expect(d.counters.interrupts).toBeLessThanOrEqual(4); // RX only: TX completions raise none
    expect(d.counters.rxFrames).toBe(4); // ARP reply + 3 echo replies
    expect(d.counters.txFrames).toBe(4);
    expect(k.nic!.snapshot().counters.rxDroppedNoBuffer).toBe(0);
    expect(gw.counters.icmpEchoReplies).toBe(3);
  });

  it("resolves names and pings through the socket services (as the syscalls do)", async () => {
    const { k, gw } = bootWithGateway();
    const svc = k.net!.services();
    const got: number[] = [];
    svc.resolve("files.lab", (r) => got.push(r));
    svc.resolve("nosuch.lab", (r) => got.push(r));
    svc.ping(ipv4(192, 0, 2, 9), 1000, (r) => got.push(r));
    await runWithHost(k, gw, { until: () => got.length === 3, maxWallMs: 10_000 });
    expect(got.sort((a, b) => a - b)).toEqual([E.DNS_FAILURE, E.HOST_UNREACHABLE, GATEWAY_IP].sort((a, b) => a - b));
    const st = svc.stats();
    expect(st).toMatchObject({ ip: ipv4(10, 0, 2, 15), gateway: GATEWAY_IP, dns: ipv4(10, 0, 2, 3), linkUp: true, arpEntries: 2 }); // 10.0.2.2 and 10.0.2.3 are both on link
    expect(st.rxPackets).toBeGreaterThanOrEqual(4);
    const snap = k.net!.snapshot();
    expect(JSON.parse(JSON.stringify(snap.stack.interface))).toEqual({
      name: "eth0", mac: "52:54:00:ab:cd:ef", ip: "10.0.2.15", netmask: "255.255.255.0", gateway: "10.0.2.2", dns: "10.0.2.3", mtu: 1500, linkUp: true,
    });
    expect(snap.stack.routes.map((r) => r.destination)).toEqual(["10.0.2.0/24", "127.0.0.0/8", "0.0.0.0/0"]);
    // Notebooks get plain JSON: the whole snapshot survives a round trip.
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(JSON.parse(JSON.stringify(gw.snapshot()))).toEqual(gw.snapshot());
  });

  it("boots without a NIC: no network, nothing logged", () => {
    let text = "";
    const k = new Kernel({ cpus: 1, ramMiB: 64, onConsole: (b) => (text += Buffer.from(b).toString("latin1")) });
    k.boot();
    expect(k.net).toBeUndefined();
    expect(text).not.toMatch(/virtio-net/);
  });
});
