// The inspection API: snapshots are plain JSON, describe a live process's
// page tables from guest RAM, and taking them changes nothing.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { inspectHandles, inspectKernel, inspectPageTables, inspectTrace, walkAddress } from "../viperdos/kernel/inspect/index.js";

function bootWithHello() {
  const path = buildGuest({ name: "vd-proc", sources: ["viperdos/user/tests/proc.c"], opt: "-O2", os: "viperdos" });
  const k = new Kernel({ cpus: 2 });
  k.boot();
  const p = k.spawn("proc", new Uint8Array(readFileSync(path)), "");
  if (typeof p === "number") throw new Error(`spawn failed ${p}`);
  return { k, p };
}

describe("inspection API", () => {
  it("snapshots a running process: tasks, page tables from TTBR0, handles, trace", () => {
    const { k, p } = bootWithHello();
    k.runUntil(200_000); // 0.2 ms: the program is running, memory is being faulted in
    const snap = inspectKernel(k);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap); // plain JSON
    const me = snap.processes.find((q) => q.pid === p.pid)!;
    expect(me.name).toBe("proc");
    expect(me.tasks.length).toBe(1);
    expect(me.memory.residentPages).toBeGreaterThan(0);
    const pt = inspectPageTables(k, p.pid)!;
    expect(pt.asid).toBe(p.as.asid);
    expect(pt.ttbr0).toBe("0x" + p.as.ttbr0.toString(16));
    expect(pt.vmas.some((v) => v.kind === "text")).toBe(true);
    expect(pt.residentPages).toBe(me.memory.residentPages);
    const walk = walkAddress(k, p.pid, 0x8000_0000)!;
    expect(walk.ok).toBe(true);
    expect(walk.steps.map((s) => s.level)).toEqual([0, 1, 2, 3]);
    expect(walk.el0).toBe("r-x");
    expect(inspectHandles(k, p.pid)!.owner).toBe(`pid ${p.pid}`);
    const tr = inspectTrace(k, 50);
    expect(tr.events.length).toBeGreaterThan(0);
    expect(tr.events.some((e) => e.kind === "Switch")).toBe(true);
  });

  it("taking snapshots does not change the run", () => {
    const a = bootWithHello();
    const b = bootWithHello();
    for (let t = 100_000; t <= 2_000_000; t += 100_000) {
      a.k.runUntil(t);
      b.k.runUntil(t);
      inspectKernel(b.k);
      inspectPageTables(b.k, b.p.pid);
    }
    expect(b.k.trace.hash()).toBe(a.k.trace.hash());
    expect(b.k.machine.now()).toBe(a.k.machine.now());
  });
});
