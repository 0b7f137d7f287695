// Regression: a task woken for another, idle CPU must run promptly. Before
// the fix the reschedule SGI was never enabled at the GIC (so it never
// raised irqLine) and an IPC round trip between two processes on a 4-CPU
// machine took ~1 ms of virtual time (the woken CPU's next tick) instead of
// ~2.4 us on one CPU. Also covers a CPU woken by a higher-numbered CPU
// resuming in the same machine round (emulator/machine.ts runRound passes).

import { describe, expect, it } from "vitest";
import { kbenchImage, parseKbench } from "../bench/kernel.js";
import { runProgram } from "../viperdos/kernel/boot.js";

/** Guest-measured virtual ns per IPC round trip (kbench ipc N) on `cpus` CPUs. */
function ipcRoundTripNs(cpus: number, n: number): number {
  const img = kbenchImage();
  const out: number[] = [];
  const r = runProgram("kbench", img, { cpus, args: `ipc ${n}`, programs: new Map([["kbench", img]]), onConsole: (b) => out.push(...b) });
  const line = parseKbench(Buffer.from(out).toString("utf8"));
  expect(r.exitCode).toBe(0);
  expect(line?.name).toBe("ipc");
  return Number(line!.fields.get("virtual_ns")) / n;
}

describe("SMP wake-up latency", () => {
  it("an IPC round trip on 2 and 4 CPUs costs about what it costs on 1 CPU, not a tick", () => {
    const one = ipcRoundTripNs(1, 300);
    expect(one).toBeGreaterThan(500);
    expect(one).toBeLessThan(10_000);
    for (const cpus of [2, 4]) {
      const smp = ipcRoundTripNs(cpus, 300);
      expect(smp).toBeGreaterThan(0);
      expect(smp).toBeLessThan(2 * one); // was ~400x (1 ms per round trip)
    }
  });

  it("is deterministic on 4 CPUs", () => {
    expect(ipcRoundTripNs(4, 100)).toBe(ipcRoundTripNs(4, 100));
  });
});
