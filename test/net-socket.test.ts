// Socket syscalls (viperdos/kernel/syscall/net.ts over net/socket.ts) from
// real guest programs: test/net-socket.prog.c checks error codes, UDP and
// TCP over the loopback with poll, SOCKET_POLL and SOCKET_INFO on one
// machine; then two machines run iperf (checksummed stream), netstat sees
// the connection, and a connect to a closed port is refused.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { ViperLab } from "../kernel-bridge/net-lab.js";
import { E } from "../viperdos/kernel/errors.js";

function runProg(): Map<string, string> {
  const elf = readFileSync(buildGuest({ name: "net-socket-prog", sources: ["test/net-socket.prog.c"], os: "viperdos", opt: "-O2" }));
  let out = "";
  const k = new Kernel({ cpus: 1, ramMiB: 64, nic: true, onConsole: (b) => (out += Buffer.from(b).toString("latin1")) });
  k.boot();
  const p = k.spawn("net-socket", new Uint8Array(elf), "");
  if (typeof p === "number") throw new Error(`spawn failed ${p}`);
  k.runUntil(k.machine.now() + 20e9, () => p.state !== "live");
  expect(p.state).not.toBe("live");
  const lines = out.slice(out.indexOf("recv_bad_handle")).split("\n");
  expect(lines).toContain("done");
  return new Map(lines.filter((l) => l.includes(" ")).map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)]));
}

describe("socket syscalls on one machine", () => {
  let r: Map<string, string>;
  beforeAll(() => {
    r = runProg();
  }, 60_000);

  it("return error codes for bad use, never crash", () => {
    expect(Number(r.get("recv_bad_handle"))).toBeLessThanOrEqual(E.INVALID_HANDLE);
    expect(Number(r.get("recv_unconnected"))).toBe(E.NOT_CONNECTED);
    expect(Number(r.get("send_unconnected"))).toBe(E.NOT_CONNECTED);
    expect(Number(r.get("setopt_bad_cc"))).toBe(E.INVALID_ARG);
    expect(Number(r.get("setopt_bad_opt"))).toBe(E.INVALID_ARG);
    expect(Number(r.get("open_bad_type"))).toBe(E.INVALID_ARG);
    expect(Number(r.get("dns_empty"))).toBe(E.INVALID_ARG);
    expect(Number(r.get("dns_bad_pointer"))).toBe(E.INVALID_ARG);
    expect(Number(r.get("connect_refused"))).toBe(E.CONN_REFUSED);
    expect(Number(r.get("bind_in_use"))).toBe(E.ADDR_IN_USE);
    expect(Number(r.get("accept_none"))).toBe(E.WOULD_BLOCK);
    expect(Number(r.get("recv_empty"))).toBe(E.WOULD_BLOCK);
    expect(Number(r.get("close_twice"))).toBeLessThan(0);
  });

  it("move UDP datagrams over the loopback", () => {
    expect(r.get("udp_bind")).toBe("0");
    expect(Number(r.get("udp_recv_empty"))).toBe(E.WOULD_BLOCK);
    expect(Number(r.get("udp_too_large"))).toBe(E.MSG_TOO_LARGE);
    expect(r.get("udp_send")).toBe("5");
    expect(Number(r.get("udp_wait")) & 1).toBe(1);
    expect(r.get("udp_got")).toBe("ping! 5 7000");
    expect(r.get("udp_from_loopback")).toBe("1");
  });

  it("connect, accept, send and receive over TCP with poll, then see the end of stream", () => {
    expect(r.get("listen")).toBe("0");
    expect(Number(r.get("connect_nonblock"))).toBe(E.WOULD_BLOCK);
    expect(Number(r.get("accept_ready")) & 1).toBe(1);
    expect(r.get("accept")).toBe("0");
    expect(r.get("accept_peer_is_loopback")).toBe("1");
    expect(r.get("client_ready")).toBe("2");
    expect(r.get("send")).toBe("13");
    expect(r.get("server_readable")).toBe("1");
    expect(r.get("poll_flags_readable")).toBe("1");
    expect(r.get("poll_avail")).toBe("13");
    expect(r.get("tcp_got")).toBe("hello, server");
    expect(Number(r.get("info_count"))).toBeGreaterThanOrEqual(4);
    expect(r.get("info_established")).toBe("2");
    expect(r.get("server_eof")).toBe("0");
    expect(r.get("new_socket_cubic")).toBe("1");
  });
});

describe("two machines", () => {
  it("move a checksummed stream over a lossy, reordering link; netstat shows the connection", async () => {
    const lab = new ViperLab({ machines: [{ name: "alice" }, { name: "bob", link: { delayNs: 2e6, bandwidthBps: 50e6, lossRate: 0.02, reorderRate: 0.02, reorderDelayNs: 1e6 } }] });
    lab.start("bob", "iperf", "-s");
    lab.runFor(2e6);
    const c = lab.start("alice", "iperf", "-c 10.0.2.16 -n 300000 -C cubic");
    lab.runFor(20e6);
    const ns = lab.start("alice", "netstat", "");
    expect(await lab.runUntilExit([ns], 5e9)).toBe(true);
    expect(lab.console("alice")).toMatch(/tcp\s+10\.0\.2\.15:\d+\s+10\.0\.2\.16:5201\s+(ESTABLISHED|FIN-WAIT-1)\s+\d+\s+\S+\s+[\d.]+\s+cubic/);
    expect(await lab.runUntilExit([c], 60e9)).toBe(true);
    expect(c.process.exitCode).toBe(0);
    expect(lab.console("alice")).toMatch(/server received 300000 bytes, fnv1a 0x[0-9a-f]{8}: match/);
    const link = lab.snapshot().links.find((l) => l.name === "bob")!;
    expect(link.bToA.counters.lost + link.aToB.counters.lost).toBeGreaterThan(0);
    const tr = lab.traces("alice");
    expect(tr.some((t) => t.samples.some((s) => s.event === "fast-retransmit" || s.event === "rto"))).toBe(true);
    lab.dispose();
  }, 60_000);

  it("repeats exactly: same seeds, same lab, same commands give the same trace in virtual time", async () => {
    const once = async () => {
      const lab = new ViperLab({ seed: 3, machines: [{ name: "alice" }, { name: "bob", link: { delayNs: 4e6, bandwidthBps: 30e6, queueLimit: 20, lossRate: 0.01 } }] });
      lab.start("bob", "iperf", "-s");
      lab.runFor(2e6);
      const c = lab.start("alice", "iperf", "-c 10.0.2.16 -n 150000");
      expect(await lab.runUntilExit([c], 60e9)).toBe(true);
      const t = lab.traces("alice");
      lab.dispose();
      return JSON.stringify(t);
    };
    const a = await once();
    expect(a.length).toBeGreaterThan(1000);
    expect(await once()).toBe(a);
  }, 30_000);

  it("refuses a connection to a port nobody listens on, and ping reports the round trip", async () => {
    const lab = new ViperLab({ machines: [{ name: "alice" }, { name: "bob", link: { delayNs: 3e6 } }] });
    const c = lab.start("alice", "iperf", "-c 10.0.2.16 -p 7777 -n 10");
    const p = lab.start("alice", "ping", "10.0.2.16 -c 2");
    expect(await lab.runUntilExit([c, p], 10e9)).toBe(true);
    expect(c.process.exitCode).toBe(10);
    expect(lab.console("alice")).toMatch(/connect to 10\.0\.2\.16:7777: connection refused/);
    // 0.5 ms (alice's link) + 3 ms (bob's) each way.
    expect(lab.console("alice")).toMatch(/seq=2 time=7\.\d+ ms/);
    lab.dispose();
  }, 30_000);
});
