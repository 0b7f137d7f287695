// Kernel benchmarks: C programs of viperdos/user/bench/ run as process 1 on
// the real kernel (1 CPU, so switches are between exactly our processes).
// Each guest prints its own virtual-time figure (TIME_NOW_NS around the
// measured loop); here we parse it and time runProgram on the host.
//
// Wall figures are slopes, not totals: a benchmark runs twice, with counts
// N1 < N2, and per-operation wall = (wall(N2) - wall(N1)) / (N2 - N1), where
// wall(N) is performance.now() around the whole runProgram (new Kernel, boot,
// ELF load, the loop, exit). The difference cancels boot, load, exit and the
// loop's fixed set-up, leaving the host cost of one more operation (best of
// BENCH_REPS runs of each count). Virtual figures are likewise slopes of the
// guest-measured deltas, so fork/exit set-up inside a window cancels too.
//
// The guest's TIME_NOW_NS advances in the machine's run quanta (10 us
// steps in practice), so single short windows read 0 — hence the large counts
// and slopes; kernel.boot_to_user [virtual] is the guest's clock at main().
//
// Targets (to compare against; not asserted): IPC round trip <= 5 us wall,
// context switch <= 1 us wall, boot to first user instruction <= 300 ms wall.

import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { median, type Emit } from "./report.js";

/** One parsed "kbench <name> key=value ..." line. */
interface GuestLine {
  name: string;
  fields: Map<string, string>;
}

interface Run {
  wallMs: number;
  line: GuestLine;
  virtualNs: number;
}

let cachedImage: Uint8Array | undefined;

/** The kbench ELF, built once per process (clang -O2, ViperDOS libc). */
export function kbenchImage(): Uint8Array {
  if (!cachedImage) {
    const path = buildGuest({ name: "vd-kbench", sources: ["viperdos/user/bench/kbench.c"], opt: "-O2", os: "viperdos" });
    cachedImage = new Uint8Array(readFileSync(path));
  }
  return cachedImage;
}

/** Parse the first "kbench NAME k=v ..." line of the console output. */
export function parseKbench(text: string): GuestLine | undefined {
  for (const l of text.split("\n")) {
    const m = /^kbench (\S+)(.*)$/.exec(l.trim());
    if (!m) continue;
    const fields = new Map<string, string>();
    for (const kv of m[2].trim().split(/\s+/)) {
      const eq = kv.indexOf("=");
      if (eq > 0) fields.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    return { name: m[1], fields };
  }
  return undefined;
}

/** Run kbench with `args` once; throws with the console text when it fails. */
function runOnce(args: string): Run {
  const img = kbenchImage();
  const out: number[] = [];
  const r = runProgram("kbench", img, { cpus: 1, args, programs: new Map([["kbench", img]]), onConsole: (b) => out.push(...b) });
  const text = Buffer.from(out).toString("utf8");
  const line = parseKbench(text);
  if (r.exitCode !== 0 || !line || line.fields.has("error")) {
    throw new Error(`kbench ${args}: exit ${String(r.exitCode)} (${r.reason})\n${text.slice(-800)}`);
  }
  return { wallMs: r.wallMs, line, virtualNs: r.virtualNs };
}

/** Best (fastest wall) of `reps` runs. */
function best(args: string, reps: number): Run {
  let b: Run | undefined;
  for (let i = 0; i < reps; i++) {
    const r = runOnce(args);
    if (!b || r.wallMs < b.wallMs) b = r;
  }
  return b!;
}

function vns(r: Run, key = "virtual_ns"): number {
  return Number(r.line.fields.get(key));
}

interface Slope {
  wallUs: number;
  virtualUs: number;
  skipped?: string;
}

/** Per-operation slopes between counts n1 < n2 (see the header). `ops` maps a count to operations done. */
function slope(mode: string, n1: number, n2: number, reps: number, ops = (n: number) => n): Slope {
  const a = best(`${mode} ${n1}`, reps);
  if (a.line.fields.has("skip")) return { wallUs: NaN, virtualUs: NaN, skipped: a.line.fields.get("skip") };
  const b = best(`${mode} ${n2}`, reps);
  const d = ops(n2) - ops(n1);
  return { wallUs: ((b.wallMs - a.wallMs) * 1000) / d, virtualUs: (vns(b) - vns(a)) / 1000 / d };
}

function emitPair(emit: Emit, name: string, s: Slope, note: string): void {
  emit({ name: `${name}`, value: s.wallUs, unit: "us", clock: "wall", note });
  emit({ name: `${name}`, value: s.virtualUs, unit: "us", clock: "virtual" });
}

/**
 * The scheduler really switches as the figures assume: the kernel trace of a
 * short run must hold `expected` (+-8: start-up and exit) Switch events.
 * Throws otherwise, so a scheduler that stops switching cannot pass for fast.
 */
function checkSwitches(args: string, expected: number): void {
  const img = kbenchImage();
  const r = runProgram("kbench", img, { cpus: 1, args, programs: new Map([["kbench", img]]) });
  const switches = r.kernel.trace.events().filter((e) => e.kind === "Switch").length;
  if (Math.abs(switches - expected) > 8) throw new Error(`kbench ${args}: ${switches} context switches, expected about ${expected}`);
}

/** Boot: wall ms from `new Kernel` until process 1 is loaded and runnable (its first instruction is the next thing the machine executes). */
function bootOnce(): { wallMs: number; virtualNs: number } {
  const img = kbenchImage();
  const t0 = performance.now();
  const k = new Kernel({ cpus: 1 });
  k.boot();
  const p = k.spawn("kbench", img, "exit");
  const wallMs = performance.now() - t0;
  if (typeof p === "number") throw new Error(`kbench: spawn failed (${p})`);
  return { wallMs, virtualNs: k.machine.now() };
}

/** Every kernel figure (about 20-40 s in all). */
export function benchKernel(emit: Emit, reps = Number(process.env.BENCH_REPS ?? 3)): void {
  kbenchImage();
  const cold = bootOnce();
  const warm = median(Array.from({ length: 5 }, () => bootOnce().wallMs));
  emit({ name: "kernel.boot_to_user.cold", value: cold.wallMs, unit: "ms", clock: "wall", note: "first Kernel in this process (JIT cold); target <= 300 ms" });
  emit({ name: "kernel.boot_to_user.warm", value: warm, unit: "ms", clock: "wall", note: "median of 5 after the first" });
  const ex = best("exit", reps);
  emit({ name: "kernel.boot_to_user", value: vns(ex) / 1000, unit: "us", clock: "virtual", note: "TIME_NOW_NS at main of process 1" });
  emit({ name: "kernel.exit_program_run", value: ex.wallMs, unit: "ms", clock: "wall", note: "whole runProgram of a program that exits at once" });
  emit({ name: "kernel.exit_program_run", value: ex.virtualNs / 1000, unit: "us", clock: "virtual" });

  emitPair(emit, "kernel.null_syscall", slope("null", 50_000, 550_000, reps), "GETPID round trip");
  checkSwitches("yield 1000", 2000);
  emitPair(emit, "kernel.context_switch", slope("yield", 10_000, 110_000, reps, (n) => 2 * n), "TASK_YIELD ping-pong, 1 CPU, per switch; target <= 1 us wall");
  emitPair(emit, "kernel.fork_exit_wait", slope("fork", 100, 1_100, reps), "per iteration");
  const f1 = best("fault 256", reps);
  const f2 = best("fault 4352", reps);
  const faultVirtual = (vns(f2) - vns(f2, "mapped_ns") - (vns(f1) - vns(f1, "mapped_ns"))) / 1000 / 4096;
  emitPair(emit, "kernel.page_fault", { wallUs: ((f2.wallMs - f1.wallMs) * 1000) / 4096, virtualUs: faultVirtual }, "demand-zero heap page, per fault (wall includes the second touch)");
  const ipc = slope("ipc", 2_000, 22_000, reps);
  if (ipc.skipped) {
    emit({ name: "kernel.ipc_round_trip", value: NaN, unit: "us", clock: "wall", note: `skipped: ${ipc.skipped}` });
  } else {
    checkSwitches("ipc 1000", 2000);
    emitPair(emit, "kernel.ipc_round_trip", ipc, "64-byte ping-pong over a channel between two processes (2 switches each); target <= 5 us wall");
  }
}
