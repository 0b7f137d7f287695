// Slicing a run for the host (a notebook cell or the terminal gives the
// event loop a turn every few ms of wall time) must not change the run:
// host-side pauses are taken only between rounds (RunHooks.shouldPause), so
// a run cut into many pieces at arbitrary moments ends with the same trace
// hash and console output as one uninterrupted run.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { Kernel } from "../viperdos/kernel/kernel.js";

function run(pauseEvery: number | undefined): { hash: string; console: string; now: number } {
  const path = buildGuest({ name: "vd-threads", sources: ["viperdos/user/tests/threads.c"], opt: "-O2", os: "viperdos" });
  const out: number[] = [];
  const k = new Kernel({ cpus: 4, onConsole: (b: Uint8Array) => out.push(...b) });
  k.boot();
  const p = k.spawn("threads", new Uint8Array(readFileSync(path)), "");
  if (typeof p === "number") throw new Error(`spawn failed ${p}`);
  const end = 40_000_000; // 40 ms virtual
  let checks = 0;
  // A pause predicate standing in for a wall clock: true at arbitrary polls (every pauseEvery-th).
  const pause = pauseEvery === undefined ? undefined : () => ++checks % pauseEvery === 0;
  for (let guard = 0; k.machine.now() < end && p.state === "live" && guard < 1_000_000; guard++) {
    const r = k.runUntil(end, () => p.state !== "live", pause);
    if (r !== "paused") break;
  }
  return { hash: String(k.trace.hash()), console: Buffer.from(out).toString("utf8"), now: k.machine.now() };
}

describe("host slices do not change a run", () => {
  it("a 4-CPU run paused at arbitrary round boundaries equals the uninterrupted run", () => {
    const whole = run(undefined);
    expect(whole.console.length).toBeGreaterThan(0);
    for (const every of [2, 3, 17]) {
      const sliced = run(every);
      expect(sliced.hash).toBe(whole.hash);
      expect(sliced.console).toBe(whole.console);
      expect(sliced.now).toBe(whole.now);
    }
  });
});
