// The user-mode gateway (emulator/net/gateway.ts, hostfwd.ts) with host
// peers on 127.0.0.1, driven by the host runner (host-runner.ts): DNS, UDP
// NAT to a Node dgram server, TCP NAT to a Node TCP server, port forwarding
// into a guest listener, and refusals of non-loopback destinations.

import { afterEach, describe, expect, it } from "vitest";
import dgram from "node:dgram";
import net from "node:net";
import { createHash } from "node:crypto";
import { VirtualClock } from "../emulator/clock.js";
import { Gateway, GATEWAY_IP, type GatewayOptions } from "../emulator/net/gateway.js";
import { runnableOf, runWithHost } from "../emulator/net/host-runner.js";
import { E } from "../viperdos/kernel/errors.js";
import { defaultTcpEngine } from "../viperdos/kernel/net/tcp-engine.js";
import type { TcpConn } from "../viperdos/kernel/net/tcp/api.js";
import type { Datagram } from "../viperdos/kernel/net/socket.js";
import { ipv4 } from "../viperdos/kernel/net/wire.js";
import { clockRunnable, MAC_A, StackPort, wire } from "./net-stack-helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function guestAndGateway(gwOpts: Partial<GatewayOptions> = {}): { clock: VirtualClock; guest: StackPort; gw: Gateway } {
  const clock = new VirtualClock();
  const guest = new StackPort("guest", clock, { mac: MAC_A, tcp: (env) => defaultTcpEngine(env) });
  const gw = new Gateway({ clock, ...gwOpts });
  wire(guest, gw, { delayNs: 100_000 });
  cleanups.push(() => gw.close());
  return { clock, guest, gw };
}

function resolveName(clock: VirtualClock, guest: StackPort, gw: Gateway, name: string): Promise<number> {
  let r: number | undefined;
  guest.stack.resolve(name, (x) => (r = x));
  return runWithHost(clockRunnable(clock), gw, { until: () => r !== undefined, maxWallMs: 5000 }).then(() => r!);
}

describe("gateway DNS (10.0.2.3)", () => {
  it("answers localhost, gateway and hosts names; NXDOMAIN otherwise; the resolver caches", async () => {
    const { clock, guest, gw } = guestAndGateway({ hosts: { "files.lab": "10.0.2.2" } });
    expect(await resolveName(clock, guest, gw, "gateway")).toBe(GATEWAY_IP);
    expect(await resolveName(clock, guest, gw, "FILES.lab")).toBe(GATEWAY_IP);
    expect(await resolveName(clock, guest, gw, "nowhere.example")).toBe(E.DNS_FAILURE);
    expect(gw.counters.dnsQueries).toBe(3);
    expect(await resolveName(clock, guest, gw, "gateway")).toBe(GATEWAY_IP);
    expect(gw.counters.dnsQueries).toBe(3);
    expect(guest.stack.resolver.counters.cacheHits).toBe(1);
    expect(gw.counters.dnsNxdomain).toBe(1);
    expect(await resolveName(clock, guest, gw, "bad..name")).toBe(E.INVALID_ARG);
    const snap = guest.stack.snapshot().dns.cache.map((c) => [c.name, c.result]);
    expect(snap).toEqual([["gateway", "10.0.2.2"], ["files.lab", "10.0.2.2"], ["nowhere.example", "error -605"]]);
  });

  it("retries with a timeout when the server does not answer", async () => {
    const clock = new VirtualClock();
    const guest = new StackPort("guest", clock, { mac: MAC_A, resolver: { timeoutNs: 1e9, tries: 3 } });
    const gw = new Gateway({ clock });
    cleanups.push(() => gw.close());
    const link = wire(guest, gw, { delayNs: 100_000 });
    expect(await resolveName(clock, guest, gw, "gateway")).toBe(GATEWAY_IP);
    link.set({ lossRate: 1 }, "bToA"); // from now on the gateway's answers are lost
    const t0 = clock.now();
    expect(await resolveName(clock, guest, gw, "dns")).toBe(E.TIMEOUT);
    expect(guest.stack.resolver.counters).toMatchObject({ queries: 2, retries: 2, timeouts: 1, answers: 1 });
    expect(gw.counters.dnsQueries).toBe(4);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3e9);
  });
});

describe("gateway UDP NAT", () => {
  it("carries a UDP echo to a Node dgram server on 127.0.0.1 and back", async () => {
    const server = dgram.createSocket("udp4");
    server.on("message", (m, r) => server.send(Buffer.concat([Buffer.from("echo:"), m]), r.port, r.address));
    await new Promise<void>((res) => server.bind(0, "127.0.0.1", () => res()));
    cleanups.push(() => new Promise<void>((res) => server.close(() => res())));
    const port = server.address().port;
    const { clock, guest, gw } = guestAndGateway();
    let activity = 0;
    const unsubscribe = gw.onHostActivity(() => activity++);
    const got: Datagram[] = [];
    const sp = guest.stack.udp.bind(0, 0, (d) => got.push(d));
    for (const msg of ["one", "two"]) expect(guest.stack.udp.sendTo(sp, GATEWAY_IP, port, new TextEncoder().encode(msg))).toBe(0);
    await runWithHost(clockRunnable(clock), gw, { until: () => got.length === 2, maxWallMs: 5000 });
    expect(got.map((d) => [d.srcIp, d.srcPort, new TextDecoder().decode(d.data)])).toEqual([
      [GATEWAY_IP, port, "echo:one"], [GATEWAY_IP, port, "echo:two"],
    ]);
    expect(gw.snapshot().udp).toEqual([{ guest: `10.0.2.15:${sp}`, hostPort: expect.any(Number), sent: 2, received: 2 }]);
    expect(activity).toBe(2); // one per echo that came back
    unsubscribe();
    // A new flow after the idle time closes the old socket.
    await runWithHost(clockRunnable(clock), undefined, { untilNs: clock.now() + 121e9, sliceNs: 1e9 });
    const sp2 = guest.stack.udp.bind(0, 0, (d) => got.push(d));
    guest.stack.udp.sendTo(sp2, GATEWAY_IP, port, new TextEncoder().encode("three"));
    await runWithHost(clockRunnable(clock), gw, { until: () => got.length === 3, maxWallMs: 5000 });
    expect(gw.snapshot().udp.map((u) => u.guest)).toEqual([`10.0.2.15:${sp2}`]);
  });

  it("refuses UDP and ping to addresses outside 127.0.0.0/8 unless allowed", async () => {
    const { clock, guest, gw } = guestAndGateway();
    const sp = guest.stack.udp.bind(0, 0, () => {});
    guest.stack.udp.sendTo(sp, ipv4(192, 0, 2, 7), 9999, Uint8Array.of(1));
    await runWithHost(clockRunnable(clock), gw, { untilNs: 5e6 });
    expect(gw.counters.udpRefused).toBe(1);
    expect(gw.counters.udpOut).toBe(0);
    expect(guest.stack.counters.icmpErrorsIn).toBe(1);
    const open = new Gateway({ clock: new VirtualClock(), allowOutside: true });
    cleanups.push(() => open.close());
    expect(open.hostAddressFor(ipv4(192, 0, 2, 7))).toBe(ipv4(192, 0, 2, 7));
    expect(gw.hostAddressFor(ipv4(192, 0, 2, 7))).toBeUndefined();
    expect(gw.hostAddressFor(GATEWAY_IP)).toBe(ipv4(127, 0, 0, 1));
  });
});

function connectGuest(guest: StackPort, ip: number, port: number, clock: VirtualClock): TcpConn {
  const c = guest.stack.tcp!.connect(guest.stack.ip, ip, port, clock.now());
  if (typeof c === "number") throw new Error(`connect failed ${c}`);
  return c;
}

describe("gateway TCP NAT", () => {
  it("moves 1 MB each way between a guest connection and a Node server, checksummed", async () => {
    const received: Buffer[] = [];
    const server = net.createServer((s) => {
      s.on("data", (d) => received.push(d));
      s.on("end", () => {
        const all = Buffer.concat(received);
        s.end(createHash("sha256").update(all).digest("hex") + ":" + all.length);
      });
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
    cleanups.push(() => new Promise<void>((res) => server.close(() => res())));
    const port = (server.address() as net.AddressInfo).port;
    const { clock, guest, gw } = guestAndGateway({ tcpOptions: { cc: "cubic" } });
    const conn = connectGuest(guest, GATEWAY_IP, port, clock);
    const data = new Uint8Array(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
    let sent = 0;
    let reply = "";
    let eof = false;
    const pump = (): void => {
      while (sent < data.length) {
        const n = conn.send(data.subarray(sent), clock.now());
        if (n <= 0) break;
        sent += n;
      }
      if (sent === data.length) conn.shutdownWrite(clock.now());
      for (let r = conn.recv(65536); r !== undefined; r = conn.recv(65536)) {
        if (r === "eof") { eof = true; break; }
        reply += new TextDecoder().decode(r);
      }
    };
    conn.on(() => pump());
    await runWithHost(clockRunnable(clock), gw, { until: () => eof, maxWallMs: 20_000 });
    const want = createHash("sha256").update(data).digest("hex") + ":" + data.length;
    expect(reply).toBe(want);
    expect(gw.tcpNat.refused).toBe(0);
    expect(gw.tcpNat.snapshot().stack?.defaultCc).toBe("cubic"); // tcpOptions reached the gateway's engine
  });

  it("answers a connection to a closed host port and to a non-loopback address with RST", async () => {
    const probe = net.createServer();
    await new Promise<void>((res) => probe.listen(0, "127.0.0.1", () => res()));
    const closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((res) => probe.close(() => res()));
    const { clock, guest, gw } = guestAndGateway();
    const a = connectGuest(guest, GATEWAY_IP, closedPort, clock);
    const b = connectGuest(guest, ipv4(192, 0, 2, 1), 80, clock);
    await runWithHost(clockRunnable(clock), gw, { until: () => a.state === "CLOSED" && b.state === "CLOSED", maxWallMs: 5000 });
    expect([a.state, a.error]).toEqual(["CLOSED", E.CONN_REFUSED]);
    expect([b.state, b.error]).toEqual(["CLOSED", E.CONN_REFUSED]);
    expect(gw.tcpNat.refused).toBe(2);
    expect(gw.tcpNat.resetsSent).toBe(2);
  });

  it("forwards a host port on 127.0.0.1 into a guest listener (hostfwd)", async () => {
    const { clock, guest, gw } = guestAndGateway({ hostfwd: [{ hostPort: 0, guestPort: 8080 }, { hostPort: 0, guestPort: 8081 }] });
    await gw.tcpNat.ready;
    const l = guest.stack.tcp!.listen(0, 8080, 8);
    if (typeof l === "number") throw new Error("listen");
    // The guest serves "hello <what it got>" and closes.
    l.on(() => {
      for (let c = l.accept(); c; c = l.accept()) {
        const conn = c;
        conn.on(() => {
          const r = conn.recv(1000);
          if (r instanceof Uint8Array) {
            conn.send(new TextEncoder().encode(`hello ${new TextDecoder().decode(r)}`), clock.now());
            conn.close(clock.now());
          }
        });
      }
    });
    const port = gw.tcpNat.forwardPorts()[0];
    await expect(gw.tcpNat.addForward({ hostPort: 0, guestPort: 0 })).rejects.toThrow("hostfwd: bad guest address");
    let answer = "";
    let closed = false;
    const client = net.connect(port, "127.0.0.1", () => client.write("host"));
    client.on("data", (d) => (answer += d.toString()));
    client.on("close", () => (closed = true));
    cleanups.push(() => void client.destroy());
    await runWithHost(clockRunnable(clock), gw, { until: () => closed, maxWallMs: 5000 });
    expect(answer).toBe("hello host");
    expect(gw.snapshot().tcp.forwards).toEqual([{ hostPort: port, guest: "10.0.2.15:8080" }, { hostPort: gw.tcpNat.forwardPorts()[1], guest: "10.0.2.15:8081" }]);
    // A forward to a port the guest does not listen on: the guest's RST closes the host connection.
    let failed = false;
    const c2 = net.connect(gw.tcpNat.forwardPorts()[1], "127.0.0.1");
    c2.on("error", () => {});
    c2.on("close", () => (failed = true));
    cleanups.push(() => void c2.destroy());
    await runWithHost(clockRunnable(clock), gw, { until: () => failed, maxWallMs: 5000 });
    expect(failed).toBe(true);
    expect(guest.stack.tcp!.snapshot().counters.resetsSent).toBeGreaterThan(0);
    // A host port already taken: `ready` rejects with a clear message.
    const taken = new Gateway({ clock: new VirtualClock(), hostfwd: [{ hostPort: port, guestPort: 22 }] });
    cleanups.push(() => taken.close());
    await expect(taken.tcpNat.ready).rejects.toThrow(`hostfwd 127.0.0.1:${port} -> 10.0.2.15:22: listen EADDRINUSE`);
    expect(taken.tcpNat.forwardPorts()).toEqual([]);
  });
});

describe("gateway opt-ins and pacing", () => {
  it("asks the host resolver only when opted in; answers ping to allowed outside addresses itself", async () => {
    const asked: string[] = [];
    const hostLookup = async (n: string): Promise<string[]> => {
      asked.push(n);
      return n === "example.test" ? ["192.0.2.44"] : [];
    };
    const closed = guestAndGateway({ hostLookup });
    expect(await resolveName(closed.clock, closed.guest, closed.gw, "example.test")).toBe(E.DNS_FAILURE);
    expect(asked).toEqual([]);
    const open = guestAndGateway({ hostLookup, allowOutside: true });
    expect(await resolveName(open.clock, open.guest, open.gw, "example.test")).toBe(ipv4(192, 0, 2, 44));
    expect(await resolveName(open.clock, open.guest, open.gw, "missing.test")).toBe(E.DNS_FAILURE);
    expect(asked).toEqual(["example.test", "missing.test"]);
    let ok: boolean | undefined;
    open.guest.stack.ping(ipv4(192, 0, 2, 44), {}, (r) => (ok = r.ok));
    await runWithHost(clockRunnable(open.clock), open.gw, { until: () => ok !== undefined, maxWallMs: 5000 });
    expect(ok).toBe(true);
  });

  it("holds virtual time back while a host peer is slow to answer", async () => {
    const server = dgram.createSocket("udp4");
    server.on("message", (m, r) => setTimeout(() => server.send(m, r.port, r.address), 150));
    await new Promise<void>((res) => server.bind(0, "127.0.0.1", () => res()));
    cleanups.push(() => new Promise<void>((res) => server.close(() => res())));
    /** Virtual ns from sending to the echo, with the runner told about the gateway or not. */
    const echoVirtualNs = async (paced: boolean, stats: { slices: number; idleWaits: number; waitedMs: number }): Promise<number> => {
      const { clock, guest, gw } = guestAndGateway();
      const got: Datagram[] = [];
      const sp = guest.stack.udp.bind(0, 0, (d) => got.push(d));
      guest.stack.udp.sendTo(sp, GATEWAY_IP, server.address().port, Uint8Array.of(42));
      const t0 = clock.now();
      await runWithHost(clockRunnable(clock), paced ? gw : undefined, { until: () => got.length === 1, maxWallMs: 10_000 }, stats);
      expect(got).toHaveLength(1);
      return clock.now() - t0;
    };
    const paced = { slices: 0, idleWaits: 0, waitedMs: 0 };
    const racing = { slices: 0, idleWaits: 0, waitedMs: 0 };
    const vPaced = await echoVirtualNs(true, paced);
    const vRacing = await echoVirtualNs(false, racing);
    expect(paced.idleWaits).toBeGreaterThan(0);
    expect(paced.waitedMs).toBeGreaterThanOrEqual(100);
    expect(racing.idleWaits).toBe(0);
    // Unpaced, the slices race through virtual time while the host peer sleeps.
    expect(vRacing).toBeGreaterThan(5 * vPaced);
  });
});

describe("host runner adapters", () => {
  it("runs any runUntil/now object (a topology) with the gateway's host I/O live", async () => {
    const server = dgram.createSocket("udp4");
    server.on("message", (m, r) => server.send(m, r.port, r.address));
    await new Promise<void>((res) => server.bind(0, "127.0.0.1", () => res()));
    cleanups.push(() => new Promise<void>((res) => server.close(() => res())));
    const { clock, guest, gw } = guestAndGateway();
    const inner = clockRunnable(clock);
    let calls = 0;
    const lab = runnableOf({ now: () => clock.now(), runUntil: (ns: number) => { calls++; return inner.runUntil(ns); } });
    const got: Datagram[] = [];
    const sp = guest.stack.udp.bind(0, 0, (d) => got.push(d));
    guest.stack.udp.sendTo(sp, GATEWAY_IP, server.address().port, Uint8Array.of(7));
    expect(await runWithHost(lab, gw, { until: () => got.length === 1, maxWallMs: 5000 })).toBe("done");
    expect(calls).toBeGreaterThan(0);
    expect(await runWithHost(lab, gw, { untilNs: clock.now() + 10e6 })).toBe("until");
  });
});
