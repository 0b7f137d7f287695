// Processes on the real kernel: ViperDOS C programs (clang + lld, our libc)
// run as the first user process, with fork/wait/sleep/heap/bad pointers,
// a faulting program killed with a report, and determinism.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { slabStats } from "../viperdos/kernel/mm/slab.js";

function program(name: string): Uint8Array {
  const path = buildGuest({ name: `vd-${name}`, sources: [`viperdos/user/tests/${name}.c`], opt: "-O2", os: "viperdos" });
  return new Uint8Array(readFileSync(path));
}

function run(name: string, args = "", cpus = 4, others: string[] = []) {
  const out: number[] = [];
  const programs = new Map(others.map((o) => [o, program(o)]));
  const r = runProgram(name, program(name), { cpus, args, programs, onConsole: (b) => out.push(...b) });
  return { ...r, text: Buffer.from(out).toString("utf8") };
}

describe("kernel processes", () => {
  it("runs a C program with arguments and returns its exit code", () => {
    const r = run("hello", "one two");
    expect(r.text).toContain("hello from ViperDOS, argc=3");
    expect(r.text).toContain("arg 2: two");
    expect(r.exitCode).toBe(3);
  });

  it("fork/wait/sleep/heap/bad pointers all behave", () => {
    const r = run("proc");
    expect(r.text).toContain("proc: ok");
    expect(r.exitCode).toBe(0);
  });

  it("channels, handle transfer, rights, revoke, poll, timers and shared memory between processes", () => {
    const r = run("ipc", "", 4, ["ipc_child"]);
    expect(r.text).toContain("ipc: ok");
    expect(r.exitCode).toBe(0);
    const s = r.kernel.pmm.stats();
    // shm frames freed with the last handle and mapping; message buffers back in their slabs
    // (each slab cache keeps one warm page by design).
    expect(r.kernel.messages.live).toBe(0);
    expect(r.kernel.messages.stored).toBe(19); // ping, 16 fillers, hello child, done!
    const slabPages = slabStats(r.kernel.pmm).reduce((n, c) => n + c.slabs, 0);
    expect(slabStats(r.kernel.pmm).every((c) => c.inUse === 0)).toBe(true);
    expect(s.totalPages - s.freePages).toBe(256 + slabPages);
  });

  it("priorities and affinity: pinned tasks run where they are pinned, priority buys CPU time", () => {
    const r = run("sched");
    expect(r.text).toContain("sched: ok");
    expect(r.exitCode).toBe(0);
  });

  it("kills a faulting program with a report naming the fault and the walk", () => {
    const r = run("fault");
    expect(r.exitCode).toBe(-1);
    expect(r.text).toContain("about to fault");
    expect(r.text).toMatch(/pid 1 \(fault\): segmentation fault at pc=0x8000[0-9a-f]+, addr=0x123456789000 \(translation fault, level \d, read\); walk: L0\[\d+\]=/);
  });

  it("gives the same console output and trace hash on every run", () => {
    const a = run("proc");
    const b = run("proc");
    expect(a.text).toBe(b.text);
    expect(a.kernel.trace.hash()).toBe(b.kernel.trace.hash());
    expect(a.virtualNs).toBe(b.virtualNs);
  });

  it("returns every page to the allocator when processes exit", () => {
    const r = run("proc");
    const s = r.kernel.pmm.stats();
    // Only the kernel's reservation remains in use once pid 1 and its children are gone.
    expect(s.totalPages - s.freePages).toBe(256);
  });
});
