// Guest CPU throughput: the integer-heavy and FP-heavy C programs of
// bench/guest/, built by clang -O2, run by our run-elf (in-process) and by
// Debian's qemu-aarch64 side by side, on the same binary and argument.
// Figures: guest MIPS (wall), the wall-time ratio ours/qemu, and the
// virtual time the guest saw.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runLinuxElf } from "../emulator/linux-user/process.js";
import { median, type Emit } from "./report.js";

interface GuestBench {
  key: string;
  source: string;
  arg: string;
}

const PROGRAMS: GuestBench[] = [
  { key: "int", source: "bench/guest/int_mix.c", arg: "5" },
  { key: "fp", source: "bench/guest/fp_mix.c", arg: "4" },
];

/** Wall milliseconds of one qemu-aarch64 run (process start included, as for ours). */
function timeQemu(elf: string, arg: string): { ms: number; out: string } {
  const t = performance.now();
  const out = execFileSync("qemu-aarch64", [elf, arg], { encoding: "utf8" });
  return { ms: performance.now() - t, out };
}

export function benchGuests(emit: Emit, reps = Number(process.env.BENCH_REPS ?? 3)): void {
  for (const p of PROGRAMS) {
    const elf = buildGuest({ name: `bench-${p.key}`, sources: [p.source], opt: "-O2" });
    const file = new Uint8Array(readFileSync(elf));
    const ours: number[] = [];
    let retired = 0;
    let virtualNs = 0;
    let stdout = "";
    for (let i = 0; i < reps; i++) {
      const chunks: Uint8Array[] = [];
      const t = performance.now();
      const r = runLinuxElf(file, [elf, p.arg], { stdout: (b) => chunks.push(b.slice()) });
      ours.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`${p.source} exited with ${r.status}${r.fault ? `: ${r.fault}` : ""}`);
      retired = r.retired;
      virtualNs = r.virtualNs;
      stdout = Buffer.concat(chunks).toString("utf8");
    }
    const qemu = [];
    let qemuOut = "";
    for (let i = 0; i < reps; i++) {
      const q = timeQemu(elf, p.arg);
      qemu.push(q.ms);
      qemuOut = q.out;
    }
    if (qemuOut !== stdout) throw new Error(`${p.source}: our output differs from qemu-aarch64's`);
    const oursMs = median(ours);
    const qemuMs = median(qemu);
    emit({ name: `cpu.${p.key}.mips`, value: retired / oursMs / 1000, unit: "MIPS", clock: "wall", note: `${(retired / 1e6).toFixed(0)} M insns in ${oursMs.toFixed(0)} ms` });
    emit({ name: `cpu.${p.key}.ratio_vs_qemu`, value: oursMs / qemuMs, unit: "x", clock: "wall", note: `qemu-aarch64 ${qemuMs.toFixed(0)} ms` });
    emit({ name: `cpu.${p.key}.guest_time`, value: virtualNs / 1e6, unit: "ms", clock: "virtual" });
  }
}

/** Host memory beyond guest RAM after running the integer benchmark. */
export function benchMemory(emit: Emit): void {
  const elf = buildGuest({ name: "bench-int", sources: ["bench/guest/int_mix.c"], opt: "-O2" });
  const file = new Uint8Array(readFileSync(elf));
  const ramSize = 256 * 1024 * 1024;
  global.gc?.();
  const before = process.memoryUsage().rss;
  runLinuxElf(file, [elf, "2"], { ramSize });
  const after = process.memoryUsage().rss;
  // Guest RAM is allocated up front but only touched pages become resident,
  // so report the whole process RSS growth next to the RAM size.
  emit({ name: "host.rss_growth_int_run", value: (after - before) / 2 ** 20, unit: "MiB", clock: "wall", note: `guest RAM ${ramSize / 2 ** 20} MiB configured` });
  emit({ name: "host.rss_total", value: after / 2 ** 20, unit: "MiB", clock: "wall" });
}
