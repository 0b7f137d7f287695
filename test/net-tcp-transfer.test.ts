// Engine to engine: two TcpStacks over a seeded simulated link move data
// intact, clean and through loss with reordering, and close cleanly.

import { describe, expect, it } from "vitest";
import type { TcpConn, TcpStackOptions } from "../viperdos/kernel/net/tcp/api.js";
import { IP_A, IP_B, MS, TwoStacks, fnv1a, rng32, type LinkParams } from "./net-tcp-harness.js";

const SIZE = 2 * 1024 * 1024;

function pattern(seed: number, n: number): Uint8Array {
  const r = rng32(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const x = r();
    b[i] = x; b[i + 1] = x >>> 8; b[i + 2] = x >>> 16; b[i + 3] = x >>> 24;
  }
  return b;
}

interface Result { sent: number; received: number; sum: number; expected: number; client: TcpConn; server: TcpConn; net: TwoStacks; ok: boolean; }

/** a sends SIZE bytes to b's listener at port 5001, then both close. */
function transfer(link: LinkParams, o: TcpStackOptions = {}, seed = 7, size = SIZE): Result {
  const net = new TwoStacks(link, o, o, seed);
  const data = pattern(seed, size);
  const listener = net.b.listen(IP_B, 5001, 8);
  if (typeof listener === "number") throw new Error(`listen ${listener}`);
  const client = net.a.connect(IP_A, IP_B, 5001, 0);
  if (typeof client === "number") throw new Error(`connect ${client}`);
  let server: TcpConn | undefined;
  let sent = 0;
  let received = 0;
  let sum = 0x811c9dc5;
  let eof = false;
  const ok = net.run(600_000 * MS, () => eof && client.state === "CLOSED" || client.error !== 0, () => {
    if (!server) server = listener.accept();
    while (sent < size) {
      const n = client.send(data.subarray(sent, Math.min(size, sent + 65536)), net.now);
      if (n <= 0) break;
      sent += n;
      if (sent === size) client.close(net.now);
    }
    if (server) {
      for (;;) {
        const r = server.recv(65536);
        if (r === undefined) break;
        if (r === "eof") { if (!eof) { eof = true; server.close(net.now); } break; }
        received += r.length;
        sum = fnv1a(sum, r);
      }
    }
  });
  // Let TIME_WAIT run out on the active closer.
  net.run(net.now + 120_000 * MS, () => client.state === "CLOSED");
  return { sent, received, sum, expected: fnv1a(0x811c9dc5, data), client, server: server!, net, ok };
}

describe("TCP engine to engine", () => {
  it("moves 2 MB intact over a clean link and closes (TIME_WAIT on the active closer)", () => {
    const r = transfer({ delayNs: 5 * MS, rateBytesPerSec: 10_000_000, queuePackets: 1000 });
    expect(r.ok).toBe(true);
    expect(r.received).toBe(SIZE);
    expect(r.sum).toBe(r.expected);
    expect(r.client.state).toBe("CLOSED");
    expect(r.client.error).toBe(0);
    expect(r.server.state).toBe("CLOSED");
    expect(r.client.snapshot().retransmits).toBe(0);
    expect(r.net.a.connections()).toHaveLength(0);
    expect(r.net.b.connections()).toHaveLength(0);
  });

  it("moves 2 MB intact through 5% loss with reordering (SACK on)", () => {
    const r = transfer({ delayNs: 5 * MS, rateBytesPerSec: 10_000_000, queuePackets: 1000, loss: 0.05, reorder: 0.05, reorderNs: 3 * MS });
    expect(r.ok).toBe(true);
    expect(r.received).toBe(SIZE);
    expect(r.sum).toBe(r.expected);
    const s = r.client.snapshot();
    expect(s.retransmits).toBeGreaterThan(0);
    expect(s.fastRetransmits).toBeGreaterThan(0);
  });

  it("moves 2 MB intact through 5% loss with reordering without SACK (NewReno partial ACKs)", () => {
    const r = transfer({ delayNs: 5 * MS, rateBytesPerSec: 10_000_000, queuePackets: 1000, loss: 0.05, reorder: 0.05, reorderNs: 3 * MS }, { sack: false }, 11);
    expect(r.ok).toBe(true);
    expect(r.received).toBe(SIZE);
    expect(r.sum).toBe(r.expected);
    expect(r.client.snapshot().sackOk).toBe(false);
    expect(r.client.trace().some((t) => t.event === "partial-ack")).toBe(true);
  });

  it("is deterministic: the same seed gives the same segments, trace and counters", () => {
    const link = { delayNs: 3 * MS, rateBytesPerSec: 5_000_000, queuePackets: 30, loss: 0.03, reorder: 0.03, reorderNs: 2 * MS };
    const a = transfer(link, { cc: "cubic" }, 21, 256 * 1024);
    const b = transfer(link, { cc: "cubic" }, 21, 256 * 1024);
    expect(a.received).toBe(256 * 1024);
    expect(b.client.trace()).toEqual(a.client.trace());
    expect(b.net.a.snapshot().counters).toEqual(a.net.a.snapshot().counters);
    expect(b.net.now).toBe(a.net.now);
  });

  it("moves 2 MB intact with CUBIC, timestamps and a small receive window", () => {
    const r = transfer({ delayNs: 2 * MS, rateBytesPerSec: 20_000_000, queuePackets: 50, loss: 0.01 }, { cc: "cubic", timestamps: true, rcvBuf: 32 * 1024 }, 3);
    expect(r.ok).toBe(true);
    expect(r.received).toBe(SIZE);
    expect(r.sum).toBe(r.expected);
    expect(r.client.snapshot().timestampsOk).toBe(true);
    expect(r.client.cc).toBe("cubic");
  });
});
