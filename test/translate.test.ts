// The translator's structure: self-loops, regions (hot multi-block loops
// compiled into one function), exact retired counts across faults and
// budgets, and lazy NZCV.

import { describe, expect, it } from "vitest";
import { runAsm, CODE_BASE } from "./support/snippet.js";
import { ExitKind } from "../emulator/cpu/state.js";
import { REGION_THRESHOLD, runEl0 } from "../emulator/cpu/translate.js";

// A loop of three basic blocks (an if/else inside): sums odd i and counts even i.
const BRANCHY_LOOP = `
  mov x1, #0
  mov x2, #0
loop:
  tbz x0, #0, even
  add x1, x1, x0
  b next
even:
  add x2, x2, #1
next:
  subs x0, x0, #1
  b.ne loop
`;

describe("regions", () => {
  it("a hot multi-block loop becomes a region and computes the same result", () => {
    const n = 10 * REGION_THRESHOLD + 1;
    const r = runAsm(BRANCHY_LOOP, (c) => (c.x[0] = BigInt(n)));
    expect(r.exit).toBe(ExitKind.Brk);
    let odd = 0n;
    for (let i = 1; i <= n; i += 2) odd += BigInt(i);
    expect(r.cpu.x[1]).toBe(odd);
    expect(r.cpu.x[2]).toBe(BigInt(Math.floor(n / 2)));
    expect(r.translator.stats.regionsCompiled).toBeGreaterThan(0);
    // Retired = 2 setup + per iteration (odd: tbz, add, b, subs, b.ne = 5; even: tbz, add, subs, b.ne = 4).
    const oddIters = Math.ceil(n / 2);
    const evenIters = Math.floor(n / 2);
    expect(r.cpu.retired).toBe(2 + 5 * oddIters + 4 * evenIters);
  });

  it("a run's budget stops a region between blocks, and the run resumes exactly", () => {
    const n = 20 * REGION_THRESHOLD;
    const ref = runAsm(BRANCHY_LOOP, (c) => (c.x[0] = BigInt(n)));
    // Same program in slices of 1000 instructions.
    const r = runAsm(BRANCHY_LOOP, (c) => (c.x[0] = BigInt(n)), 1000);
    expect(r.exit).toBe(ExitKind.Budget);
    let exit: ExitKind = r.exit;
    let slices = 1;
    while (exit === ExitKind.Budget) {
      exit = runEl0(r.translator, r.cpu, r.mmu, 1000);
      slices++;
    }
    expect(exit).toBe(ExitKind.Brk);
    expect(slices).toBeGreaterThan(50);
    expect(r.cpu.x[1]).toBe(ref.cpu.x[1]);
    expect(r.cpu.retired).toBe(ref.cpu.retired);
  });

  it("a fault in a non-entry block of a region reports that instruction and an exact count", () => {
    // Loop stores to successive words; the last iteration writes outside RAM.
    const src = `
    loop:
      tbz x0, #0, even
      str x3, [x4], #8
      b next
    even:
      str x3, [x4], #8
    next:
      subs x0, x0, #1
      b.ne loop
    `;
    const iters = 4 * REGION_THRESHOLD;
    const r = runAsm(src, (c, bus) => {
      c.x[0] = BigInt(iters);
      c.x[3] = 7n;
      // Start so that the store of iteration `iters - 10` leaves RAM.
      c.x[4] = BigInt(bus.ramSize + 0x4000_0000 - 8 * (iters - 10));
    });
    expect(r.exit).toBe(ExitKind.Abort);
    expect(r.cpu.esr >>> 26).toBe(0x24);
    expect(r.cpu.far).toBe(BigInt(r.bus.ramSize + 0x4000_0000));
    expect(r.translator.stats.regionsCompiled).toBeGreaterThan(0);
    // Iterations done: iters-10 full ones; x0 counts down from iters.
    const done = iters - 10;
    const x0AtFault = iters - done;
    expect(r.cpu.x[0]).toBe(BigInt(x0AtFault));
    const storeAt = x0AtFault % 2 === 1 ? CODE_BASE + 4 : CODE_BASE + 12;
    expect(r.cpu.pc).toBe(storeAt);
    // Retired: odd iterations are 5 insns (tbz, str, b, subs, b.ne), even ones 4 (tbz, str, subs, b.ne).
    let retired = 0;
    for (let k = iters; k > x0AtFault; k--) retired += k % 2 === 1 ? 5 : 4;
    retired += 1; // the tbz of the faulting iteration
    expect(r.cpu.retired).toBe(retired);
  });
});

describe("flags", () => {
  it("NZCV read in a later block sees the flags of the last setter", () => {
    const r = runAsm(`
      mov x0, #5
      cmp x0, #7
      b 1f
    1: mrs x1, nzcv
      adds x2, x0, #-5
      b 2f
    2: mrs x3, nzcv
    `);
    expect(r.cpu.x[1]).toBe(0x80000000n); // 5 - 7: N, borrow (C clear)
    expect(r.cpu.x[3]).toBe(0x60000000n); // 5 + (-5): Z and C
  });
});
