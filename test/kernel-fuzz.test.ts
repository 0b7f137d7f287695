// Syscall fuzzer: real EL0 code (viperdos/user/tests/fuzz.c) issues random
// `svc #0` calls — numbers from the ABI table and random ones, arguments
// from small ints, -1, huge values, NULL, pointers into its own memory,
// unmapped and kernel-range addresses — through the real exception path.
// Process 1 ("fuzz driver") spawns 3 fuzzers and a well-behaved checker.
//
// Asserts: no host exception escapes runProgram; the checker's checksum
// holds (other processes are unaffected); every fuzzer ran its whole budget;
// once all processes have exited, no page beyond the kernel's reservation is
// in use, no ASID is live, no process (so no handle table) or alarm remains.
//
// Budget: KERNEL_FUZZ_ITERS calls per fuzzer (default 60000; about 3-5 s of
// wall time per seed here) over KERNEL_FUZZ_SEEDS seeds (default 4).
//
// Kernel bugs the fuzzer found are in /work/briefs/kernel-findings.md (K1,
// K2, both fixed); the two tests at the end reproduce them in isolation.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { asidAllocatorFor } from "../viperdos/kernel/mm/vm.js";

const ITERS = Number(process.env.KERNEL_FUZZ_ITERS ?? 60000);
const SEEDS = Number(process.env.KERNEL_FUZZ_SEEDS ?? 4);
const FUZZERS = 3;
/** Pages the kernel reserves at boot (boot.ts/kernel.ts): all that may stay in use. */
const KERNEL_PAGES = 256;

let image: Uint8Array | undefined;
function fuzzImage(): Uint8Array {
  image ??= new Uint8Array(readFileSync(buildGuest({ name: "vd-fuzz", sources: ["viperdos/user/tests/fuzz.c"], opt: "-O2", os: "viperdos" })));
  return image;
}

function run(args: string, cpus: number) {
  const out: number[] = [];
  const img = fuzzImage();
  const r = runProgram("fuzz", img, { cpus, args, programs: new Map([["fuzz", img]]), onConsole: (b) => out.push(...b), limitNs: 600e9 });
  // runProgram stops when process 1 exits; orphans a fuzzer forked just
  // before it exited may still be runnable. Let them finish (1 s virtual at
  // most) so the leak check sees the state after *every* process exited.
  const k = r.kernel;
  k.runUntil(k.machine.now() + 1e9, () => k.processes().length === 0);
  return { ...r, text: Buffer.from(out).toString("latin1") };
}

/** Everything that must be back to its boot state once every process has exited. */
function leaks(k: ReturnType<typeof run>["kernel"]) {
  const s = k.pmm.stats();
  return {
    usedPages: s.totalPages - s.freePages,
    liveAsids: asidAllocatorFor(k.pmm).snapshot().live,
    processes: k.processes().map((p) => `${p.pid} ${p.name} ${p.state}`),
    alarms: k.timers.snapshot().alarms.length,
  };
}

describe("kernel syscall fuzzer", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const cpus = [1, 2, 4][seed % 3];
    it(`seed ${seed}: ${FUZZERS} fuzzers x ${ITERS} calls on ${cpus} CPU(s): no host exception, checker intact, nothing leaks`, () => {
      const r = run(`driver ${ITERS} ${seed * 1000} ${FUZZERS}`, cpus);
      expect(r.reason).toBe("exit");
      expect(r.text).toContain("check: ok");
      expect(r.text).toMatch(/driver: pid \d+ \(checker\) status 0\n/);
      expect(r.text.match(/driver: pid \d+ \(fuzzer\) status 0\n/g)?.length).toBe(FUZZERS);
      expect(r.text).toContain("driver: done");
      expect(r.exitCode).toBe(0);
      expect(leaks(r.kernel)).toEqual({ usedPages: KERNEL_PAGES, liveAsids: 0, processes: [], alarms: 0 });
    }, 120_000);
  }

  it("is deterministic: the same seed gives the same trace and virtual time", () => {
    const a = run("driver 2000 77 2", 2);
    const b = run("driver 2000 77 2", 2);
    expect(a.exitCode).toBe(0);
    expect(a.kernel.trace.hash()).toBe(b.kernel.trace.hash());
    expect(a.virtualNs).toBe(b.virtualNs);
  }, 60_000);

  it("the leak check can fail: a process still alive at the limit is reported", () => {
    // "check" sleeps 20 x 1 ms; stop it after 3 ms so its pages and ASID are still held.
    const out: number[] = [];
    const img = fuzzImage();
    const r = runProgram("fuzz", img, { cpus: 1, args: "check", onConsole: (b) => out.push(...b), limitNs: 3e6 });
    expect(r.reason).toBe("time limit");
    const l = leaks(r.kernel);
    expect(l.usedPages).toBeGreaterThan(KERNEL_PAGES);
    expect(l.liveAsids).toBe(1);
    expect(l.processes).toHaveLength(1);
  });

  // Regression for the fuzzer's finding K1: a zombie child of an exiting
  // parent used to stay in the process table forever.
  it("K1: a zombie child is reaped when its parent exits without waiting", () => {
    const r = run("orphan", 1);
    expect(r.exitCode).toBe(0);
    expect(leaks(r.kernel).processes).toEqual([]);
  });

  // Regression for the fuzzer's finding K2: FORK used to set only x0 in the
  // child, so the child's r1 was the caller's x1 instead of 0.
  it("K2: the child of FORK sees r1 = 0 whatever x1 held", () => {
    const r = run("forkregs", 1);
    expect(r.text).toContain("forkregs: child status 0");
    expect(r.exitCode).toBe(0);
  });
});
