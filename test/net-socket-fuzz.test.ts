// Random socket calls from a guest (test/net-socket-fuzz.prog.c) against a
// kernel with a network: every call returns (an error code or a result), no
// host exception escapes, the stack records no internal error, and when the
// program has exited no socket is left in the registry.
// Budget: NET_FUZZ_ITERS calls per seed (default 3000), seeds 1..NET_FUZZ_SEEDS (default 2).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { socketRegistry } from "../viperdos/kernel/syscall/net.js";

const ITERS = Number(process.env.NET_FUZZ_ITERS ?? 3000);
const SEEDS = Number(process.env.NET_FUZZ_SEEDS ?? 2);

it(`survives ${SEEDS} x ${ITERS} random socket calls`, () => {
  const elf = new Uint8Array(readFileSync(buildGuest({ name: "net-socket-fuzz", sources: ["test/net-socket-fuzz.prog.c"], os: "viperdos", opt: "-O2" })));
  for (let seed = 1; seed <= SEEDS; seed++) {
    let out = "";
    const k = new Kernel({ cpus: 1, ramMiB: 64, seed, nic: true, onConsole: (b) => (out += Buffer.from(b).toString("latin1")) });
    k.boot();
    const p = k.spawn("fuzz", elf, `${seed} ${ITERS}`);
    if (typeof p === "number") throw new Error(`spawn: ${p}`);
    k.runUntil(k.machine.now() + 3000e9, () => p.state !== "live");
    expect(out, out.slice(-800)).toContain(`fuzz done ${ITERS}`);
    expect(p.exitCode, `${p.endReason} ${out.slice(-400)}`).toBe(0);
    k.runUntil(k.machine.now() + 1e9);
    expect(socketRegistry(k).live.size).toBe(0);
    expect(k.net!.stack.counters.internalErrors).toBe(0);
  }
}, 60_000);
