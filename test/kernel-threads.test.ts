// Threads on the real kernel: threads.c (clang + lld, our libc) runs four
// threads on the 4 CPUs adding to one counter with C11 atomics, joins them,
// checks TPIDR_EL0 and the error paths; process lifetime follows the last
// thread; TASK_EXIT and faults end every thread. Also the syscall-level
// error paths without C, through the kernel object.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { snapshot as threadSnapshot } from "../viperdos/kernel/proc/threads.js";

function programPath(march = "armv8-a"): string {
  return buildGuest({ name: `vd-threads-${march}`, sources: ["viperdos/user/tests/threads.c"], opt: "-O2", os: "viperdos", march });
}

function program(march = "armv8-a"): Uint8Array {
  return new Uint8Array(readFileSync(programPath(march)));
}

function run(args = "", march = "armv8-a", cpus = 4) {
  const out: number[] = [];
  const r = runProgram("threads", program(march), { cpus, args, onConsole: (b) => out.push(...b), limitNs: 5e9 });
  return { ...r, text: Buffer.from(out).toString("utf8") };
}

/** CPUs each task id was switched in on (from the trace). */
function cpusByTask(k: Kernel): Map<number, Set<number>> {
  const m = new Map<number, Set<number>>();
  for (const e of k.trace.events()) {
    if (e.kind !== "Switch") continue;
    if (!m.has(e.task)) m.set(e.task, new Set());
    m.get(e.task)!.add(e.cpu);
  }
  return m;
}

describe("kernel threads", () => {
  it("four threads reach the exact atomic total (LDXR/STXR), join values, TLS, error paths", () => {
    const r = run();
    expect(r.text).toContain("counter 400000");
    expect(r.text).toContain("threads: ok");
    expect(r.exitCode).toBe(0);
    // The workers ran in parallel: together they were placed on more than one CPU.
    const tids = [...r.text.matchAll(/worker \d tid (\d+)/g)].map((m) => Number(m[1]));
    expect(tids).toHaveLength(4);
    const by = cpusByTask(r.kernel);
    const cpus = new Set(tids.flatMap((t) => [...(by.get(t) ?? [])]));
    expect(cpus.size).toBeGreaterThanOrEqual(3);
  });

  it("the same with LSE atomics (armv8.1-a LDADD)", () => {
    const dis = (m: string) => execFileSync("llvm-objdump", ["-d", "--mattr=+lse", programPath(m)]).toString();
    expect(dis("armv8-a")).toMatch(/ldxr\s/);
    expect(dis("armv8.1-a")).toMatch(/ldadd\s/);
    const r = run("", "armv8.1-a");
    expect(r.text).toContain("counter 400000");
    expect(r.text).toContain("threads: ok");
    expect(r.exitCode).toBe(0);
  });

  it("is exact on one CPU too (preemption inside LDXR/STXR loops)", () => {
    const r = run("", "armv8-a", 1);
    expect(r.text).toContain("counter 400000");
    expect(r.exitCode).toBe(0);
  });

  it("a process lives until its last thread exits, with that thread's value", () => {
    const r = run("last");
    expect(r.text).toContain("main exits first");
    expect(r.exitCode).toBe(42);
    expect(r.reason).toBe("exit");
  });

  it("TASK_EXIT ends every thread, even ones spinning on other CPUs", () => {
    const r = run("taskexit");
    expect(r.text).toContain("spinners ran: 1");
    expect(r.exitCode).toBe(5);
    // Nothing of the process is left on any CPU, and its memory is back.
    expect(r.kernel.current.every((t) => t === undefined || t.process.state === "live")).toBe(true);
    const s = r.kernel.pmm.stats();
    expect(s.totalPages - s.freePages).toBe(256);
  });

  it("a fault in one thread kills the whole process", () => {
    const r = run("fault");
    expect(r.exitCode).toBe(-1);
    expect(r.text).toMatch(/segmentation fault at pc=0x8000[0-9a-f]+, addr=0x123456789000/);
    const p = r.kernel.process(1);
    expect(p === undefined || p.tasks.every((t) => t.state === "exited")).toBe(true);
  });

  it("snapshots threads as plain JSON while they run", () => {
    const k = new Kernel({ cpus: 4 });
    k.boot();
    const p = k.spawn("threads", program(), "taskexit");
    if (typeof p === "number") throw new Error(`spawn: ${p}`);
    k.runUntil(2e6); // the main task sleeps 2 ms from about 1 ms: both spinners run now
    const snap = threadSnapshot(p);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap).toHaveLength(3);
    expect(snap[0].main).toBe(true);
    expect(snap.filter((t) => t.state === "running").length).toBeGreaterThanOrEqual(2);
    expect(new Set(snap.filter((t) => t.state === "running").map((t) => t.cpu)).size).toBe(snap.filter((t) => t.state === "running").length);
  });
});
