// User-space driver figures: vd-udriver's bench mode reads 64 bytes from
// virtio-rng N times through MAP_DEVICE'd registers, a DMA virtqueue and
// IRQ_WAIT (kick -> device -> GIC -> kernel handler masks the line and wakes
// the driver -> InterruptACK -> IRQ_ACK). Virtual: the guest's TIME_NOW_NS
// delta per request. Wall: the slope between two counts of whole
// runProgram calls (boot and set-up cancel), best of BENCH_REPS runs each,
// as bench/kernel.ts does. Also exec: REPLACE chains of two lengths.

import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import type { Emit } from "./report.js";

const REPS = Number(process.env.BENCH_REPS ?? 3);

function image(file: string): Uint8Array {
  const name = file.replace(/\.c$/, "");
  return new Uint8Array(readFileSync(buildGuest({ name, sources: [`viperdos/user/tests/${file}`], opt: "-O2", os: "viperdos" })));
}

/** Best-of-REPS wall time and the guest's own figure for one argument string. */
function run(img: Uint8Array, args: string, pattern: RegExp, programs?: Map<string, Uint8Array>): { wallMs: number; guestNs: number } {
  let best: { wallMs: number; guestNs: number } | undefined;
  for (let i = 0; i < REPS; i++) {
    const out: number[] = [];
    const r = runProgram("bench", img, { cpus: 1, args, programs, onConsole: (b) => out.push(...b) });
    const text = Buffer.from(out).toString("utf8");
    const m = pattern.exec(text);
    if (r.exitCode !== 0 || !m) throw new Error(`udriver bench ${args}: exit ${String(r.exitCode)}\n${text.slice(-400)}`);
    const cur = { wallMs: r.wallMs, guestNs: Number(m[1]) };
    if (!best || cur.wallMs < best.wallMs) best = cur;
  }
  return best!;
}

export function benchUserDriver(emit: Emit): void {
  const drv = image("vd-udriver.c");
  run(drv, "bench 200", /udbench requests=\d+ ns=(\d+)/); // warm the host JIT before timing
  const [n1, n2] = [200, 4200];
  const a = run(drv, `bench ${n1}`, /udbench requests=\d+ ns=(\d+)/);
  const b = run(drv, `bench ${n2}`, /udbench requests=\d+ ns=(\d+)/);
  emit({ name: "udriver.rng_request", value: (b.guestNs - a.guestNs) / (n2 - n1) / 1e3, unit: "us", clock: "virtual", note: "64 B from virtio-rng: kick, IRQ_WAIT, acks" });
  emit({ name: "udriver.rng_request", value: ((b.wallMs - a.wallMs) * 1e3) / (n2 - n1), unit: "us", clock: "wall", note: `slope ${n1}..${n2} requests` });

  const rep = image("vd-replace.c");
  const programs = new Map([["vd-replace", rep]]);
  const [c1, c2] = [20, 120];
  const x = run(rep, `chain ${c1}`, /replace chain ns=(\d+)/, programs);
  const y = run(rep, `chain ${c2}`, /replace chain ns=(\d+)/, programs);
  emit({ name: "proc.exec", value: (y.guestNs - x.guestNs) / (c2 - c1) / 1e3, unit: "us", clock: "virtual", note: "REPLACE of a 1-thread process + its first page faults" });
  emit({ name: "proc.exec", value: ((y.wallMs - x.wallMs) * 1e3) / (c2 - c1), unit: "us", clock: "wall", note: `slope ${c1}..${c2} execs` });
}
