// The event trace's running hash is the same whether the hash is taken after
// every event or in the batches record() defers it to (ring wrap-around,
// %trace off, clear), and the ring keeps the last events in order.

import { describe, expect, it } from "vitest";
import { Trace, TraceKind } from "../viperdos/kernel/inspect/trace.js";

function events(n: number, seed: number): [number, number, TraceKind, number, number, number, boolean][] {
  let x = seed >>> 0;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  const out: [number, number, TraceKind, number, number, number, boolean][] = [];
  for (let i = 0; i < n; i++) {
    // Times and addresses beyond 32 bits, negative statuses, and now and then the trace off.
    out.push([i * 1_000_003 + next() * 4096, next() % 4, (next() % 10) + 1, next() % 500, next() * 65536 + next(), (next() % 600) - 300, next() % 17 !== 0]);
  }
  return out;
}

describe("event trace", () => {
  it("batched hashing equals hashing every event at once, across wrap-around, trace off and clear", () => {
    const evs = events(5000, 7);
    const lazy = new Trace(64);
    const eager = new Trace(64);
    evs.forEach(([t, cpu, kind, task, a, b, on], i) => {
      lazy.enabled = on;
      eager.enabled = on;
      lazy.record(t, cpu, kind, task, a, b);
      eager.record(t, cpu, kind, task, a, b);
      eager.hash(); // forces every event into the hash as it comes
      if (i === 2500) {
        lazy.clear();
        eager.clear();
      }
    });
    expect(lazy.hash()).toBe(eager.hash());
    expect(lazy.total).toBe(5000);
    // A different event changes the hash.
    const other = new Trace(64);
    evs.forEach(([t, cpu, kind, task, a, b, on], i) => {
      other.enabled = on;
      other.record(t, cpu, kind, task, i === 4000 ? a + 1 : a, b);
      if (i === 2500) other.clear();
    });
    expect(other.hash()).not.toBe(lazy.hash());
  });

  it("the ring holds the last events, oldest first, with exact 48-bit values", () => {
    const tr = new Trace(8);
    for (let i = 0; i < 20; i++) tr.record(i * 2 ** 40, i % 4, TraceKind.Syscall, i, 0x7fff_ffff_f000 + i, -i);
    const ev = tr.events();
    expect(ev.map((e) => e.seq)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect(ev[0]).toMatchObject({ t: 12 * 2 ** 40, cpu: 0, kind: "Syscall", task: 12, a: 0x7fff_ffff_f000 + 12, b: -12 });
  });
});
