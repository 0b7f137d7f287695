// A seeded sweep of links and options: every combination must deliver the
// stream intact and close both ends (FIN handshakes through loss, TIME_WAIT
// running out). TCP_SWEEP_SEEDS widens it (default 10).

import { expect, it } from "vitest";
import type { TcpConn, TcpStackOptions } from "../viperdos/kernel/net/tcp/api.js";
import { IP_A, IP_B, MS, TwoStacks, fnv1a, rng32 } from "./net-tcp-harness.js";

const SEEDS = Number(process.env.TCP_SWEEP_SEEDS ?? 10);

it(`${SEEDS} seeded links (delay, rate, queue, loss both ways, reordering) x options: intact stream, both ends CLOSED`, () => {
  const bad: string[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const o: TcpStackOptions = {
      sack: seed % 2 === 0, cc: seed % 3 === 0 ? "cubic" : "newreno", timestamps: seed % 5 === 0,
      rcvBuf: seed % 7 === 0 ? 8192 : undefined, nodelay: seed % 4 === 0,
    };
    const r = rng32(seed);
    const link = {
      delayNs: (1 + (r() % 20)) * MS, rateBytesPerSec: [0, 1e6, 1e7][r() % 3]!, queuePackets: 5 + (r() % 100),
      loss: (r() % 10) / 100, reorder: (r() % 10) / 100, reorderNs: (r() % 10) * MS,
    };
    const net = new TwoStacks(link, o, o, seed, { delayNs: link.delayNs, loss: (r() % 5) / 100 });
    const l = net.b.listen(IP_B, 5001, 4);
    const c = net.a.connect(IP_A, IP_B, 5001, 0);
    if (typeof l === "number" || typeof c === "number") throw new Error("setup");
    const size = 300_000 + (r() % 300_000);
    const data = Uint8Array.from({ length: size }, () => r() & 0xff);
    let srv: TcpConn | undefined;
    let sent = 0;
    let got = 0;
    let sum = 0x811c9dc5;
    let eof = false;
    const ok = net.run(3_000_000 * MS, () => eof, () => {
      srv ??= l.accept();
      while (sent < size) {
        // Writes and reads of random sizes.
        const n = c.send(data.subarray(sent, sent + 1000 + (r() % 50000)), net.now);
        if (n <= 0) break;
        sent += n;
        if (sent === size) c.close(net.now);
      }
      for (let x = srv?.recv(1 + (r() % 100000)); x; x = srv!.recv(1 + (r() % 100000))) {
        if (x === "eof") { eof = true; srv!.close(net.now); break; }
        got += x.length;
        sum = fnv1a(sum, x);
      }
    });
    net.run(net.now + 200_000 * MS, () => c.state === "CLOSED" && srv?.state === "CLOSED");
    const intact = got === size && sum === fnv1a(0x811c9dc5, data);
    if (!ok || !intact || c.state !== "CLOSED" || c.error !== 0 || srv?.state !== "CLOSED" || srv.error !== 0) {
      bad.push(`seed ${seed}: ok=${ok} got=${got}/${size} intact=${intact} client=${c.state}/${c.error} server=${srv?.state}/${srv?.error} ${JSON.stringify(link)} ${JSON.stringify(o)}`);
    }
  }
  expect(bad).toEqual([]);
});
