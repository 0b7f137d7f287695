// The stage-1 MMU: table walks over real descriptors in guest RAM, fault
// syndromes, the ASID-tagged TLB and TLBI semantics, and translated-code
// invalidation when a code page is written.

import { describe, expect, it } from "vitest";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";
import { CpuState, ExitKind } from "../emulator/cpu/state.js";
import { GUEST_EXCEPTION, Mmu } from "../emulator/mmu/mmu.js";
import { runEl0, Translator } from "../emulator/cpu/translate.js";
import { walk } from "../emulator/mmu/walk.js";
import {
  makeBlockDescriptor,
  makePageDescriptor,
  makeTableDescriptor,
  tableIndex,
  faultName,
  decodeLeaf,
} from "../emulator/mmu/descriptors.js";
import { assemble } from "./support/asm.js";

/** A tiny page-table builder over guest RAM (the kernel will have its own). */
class Tables {
  next = RAM_BASE + 0x100000;
  readonly root: number;
  constructor(readonly bus: PhysicalBus) {
    this.root = this.alloc();
  }
  alloc(): number {
    const pa = this.next;
    this.next += 4096;
    this.bus.fill(pa, 4096);
    return pa;
  }
  /** Map one 4 KiB page (level-3 descriptor). */
  map(va: bigint, desc: bigint): void {
    let table = this.root;
    for (let level = 0; level < 3; level++) {
      const slot = table + tableIndex(va, level) * 8;
      let d = this.bus.read(slot, 8);
      if ((d & 1n) === 0n) {
        const t = this.alloc();
        d = makeTableDescriptor(t);
        this.bus.write(slot, 8, d);
      }
      table = Number(d & 0x0000_ffff_ffff_f000n);
    }
    this.bus.write(table + tableIndex(va, 3) * 8, 8, desc);
  }
}

function setup() {
  const bus = new PhysicalBus(16 * 1024 * 1024);
  const cpu = new CpuState(0);
  const mmu = new Mmu(bus, cpu);
  const tables = new Tables(bus);
  cpu.ttbr0 = BigInt(tables.root) | (5n << 48n); // ASID 5
  cpu.tcr = 16n; // T0SZ = 16: 48-bit VA, walk from level 0
  cpu.sctlr = 1n;
  mmu.contextChanged();
  return { bus, cpu, mmu, tables };
}

/** Run fn expecting a guest abort; return the ESR/FAR it recorded. */
function abortOf(cpu: CpuState, fn: () => unknown): { ec: number; fsc: number; wnr: number; far: bigint } {
  try {
    fn();
  } catch (e) {
    expect(e).toBe(GUEST_EXCEPTION);
    return { ec: cpu.esr >>> 26, fsc: cpu.esr & 0x3f, wnr: (cpu.esr >>> 6) & 1, far: cpu.far };
  }
  throw new Error("expected an abort");
}

describe("stage-1 translation", () => {
  it("reads and writes through a 4-level walk", () => {
    const { bus, mmu, tables } = setup();
    const frame = tables.alloc();
    tables.map(0x8000_0000n, makePageDescriptor(frame, { user: true, writable: true }));
    mmu.w64(0x8000_0010n, 0x1122_3344_5566_7788n);
    expect(bus.read(frame + 0x10, 8)).toBe(0x1122_3344_5566_7788n);
    expect(mmu.r32(0x8000_0014n)).toBe(0x1122_3344);
    expect(mmu.r8(0x8000_0010n)).toBe(0x88);
  });

  it("reports a translation fault with the level where the walk stopped", () => {
    const { cpu, mmu } = setup();
    const a = abortOf(cpu, () => mmu.r64(0x1234_5678_9000n));
    expect(a.ec).toBe(0x24);
    expect(a.fsc).toBe(0x04); // level 0: nothing mapped at all
    expect(a.far).toBe(0x1234_5678_9000n);
    expect(faultName(a.fsc)).toBe("translation fault, level 0");
  });

  it("reports the deepest level reached", () => {
    const { cpu, mmu, tables } = setup();
    tables.map(0x8000_0000n, makePageDescriptor(tables.alloc()));
    const a = abortOf(cpu, () => mmu.r64(0x8000_1000n)); // same L2 table, empty L3 slot
    expect(a.fsc).toBe(0x07);
  });

  it("enforces read-only and EL0 permissions and records WnR", () => {
    const { cpu, mmu, tables } = setup();
    tables.map(0x8000_0000n, makePageDescriptor(tables.alloc(), { writable: false }));
    tables.map(0x8000_1000n, makePageDescriptor(tables.alloc(), { user: false }));
    expect(mmu.r64(0x8000_0000n)).toBe(0n);
    const w = abortOf(cpu, () => mmu.w64(0x8000_0000n, 1n));
    expect(w.fsc).toBe(0x0f);
    expect(w.wnr).toBe(1);
    const r = abortOf(cpu, () => mmu.r8(0x8000_1000n));
    expect(r.fsc).toBe(0x0f);
    expect(r.wnr).toBe(0);
  });

  it("raises an access-flag fault when AF is clear", () => {
    const { cpu, mmu, tables } = setup();
    tables.map(0x8000_0000n, makePageDescriptor(tables.alloc(), { noAccessFlag: true }));
    expect(abortOf(cpu, () => mmu.r8(0x8000_0000n)).fsc).toBe(0x0b);
  });

  it("instruction fetch from an execute-never page is an instruction abort", () => {
    const { cpu, mmu, tables } = setup();
    tables.map(0x8000_0000n, makePageDescriptor(tables.alloc(), { executable: false }));
    const a = abortOf(cpu, () => mmu.fetchPa(0x8000_0000));
    expect(a.ec).toBe(0x20);
    expect(a.fsc).toBe(0x0f);
  });

  it("walks 2 MiB blocks at level 2", () => {
    const { bus, tables } = setup();
    const base = RAM_BASE + 0x400000; // 2 MiB aligned
    // Build L0 -> L1 -> L2 block by hand.
    const l1 = tables.alloc();
    const l2 = tables.alloc();
    const va = 0x40_0000_0000n;
    bus.write(tables.root + tableIndex(va, 0) * 8, 8, makeTableDescriptor(l1));
    bus.write(l1 + tableIndex(va, 1) * 8, 8, makeTableDescriptor(l2));
    bus.write(l2 + tableIndex(va, 2) * 8, 8, makeBlockDescriptor(base, { user: true }));
    const w = walk(bus, BigInt(tables.root), 16n, va + 0x12345n, true);
    expect(w.ok).toBe(true);
    if (w.ok) {
      expect(w.pagePa).toBe(base + 0x12000);
      expect(w.level).toBe(2);
      expect(w.steps.map((s) => s.level)).toEqual([0, 1, 2]);
    }
  });

  it("a descriptor pointing outside RAM is an external abort, not a host error", () => {
    const { bus, cpu, mmu, tables } = setup();
    bus.write(tables.root, 8, makeTableDescriptor(0x1000)); // table below RAM
    expect(abortOf(cpu, () => mmu.r8(0x0n + 0x1000n)).fsc).toBe(0x10);
  });

  it("decodes leaf attributes including the software COW bit", () => {
    const d = decodeLeaf(makePageDescriptor(RAM_BASE, { writable: false, cow: true, executable: true }));
    expect(d).toMatchObject({ user: true, writable: false, uxn: false, pxn: true, cow: true, af: true, ng: true });
  });
});

describe("TLB", () => {
  it("keeps stale translations until TLBI, as hardware does", () => {
    const { bus, mmu, tables } = setup();
    const f1 = tables.alloc();
    const f2 = tables.alloc();
    bus.write(f1, 8, 111n);
    bus.write(f2, 8, 222n);
    tables.map(0x8000_0000n, makePageDescriptor(f1));
    expect(mmu.r64(0x8000_0000n)).toBe(111n);
    tables.map(0x8000_0000n, makePageDescriptor(f2));
    expect(mmu.r64(0x8000_0000n)).toBe(111n); // cached
    mmu.invalidateVa(0x8000_0000n, 5);
    expect(mmu.r64(0x8000_0000n)).toBe(222n);
  });

  it("TLBI by VA works for addresses above 4 GiB (the stack top)", () => {
    const { bus, mmu, tables } = setup();
    const f1 = tables.alloc();
    const f2 = tables.alloc();
    bus.write(f1, 8, 1n);
    bus.write(f2, 8, 2n);
    const va = 0x7fff_ffff_e000n;
    tables.map(va, makePageDescriptor(f1));
    expect(mmu.r64(va)).toBe(1n);
    tables.map(va, makePageDescriptor(f2));
    mmu.invalidateVa(va, 5);
    expect(mmu.r64(va)).toBe(2n);
  });

  it("tags non-global entries with the ASID", () => {
    const { bus, cpu, mmu, tables } = setup();
    const f1 = tables.alloc();
    bus.write(f1, 8, 7n);
    tables.map(0x8000_0000n, makePageDescriptor(f1));
    expect(mmu.r64(0x8000_0000n)).toBe(7n);
    const walksBefore = mmu.stats.walks;
    // Switch to another address space (empty tables, ASID 6) and back.
    const other = tables.alloc();
    cpu.ttbr0 = BigInt(other) | (6n << 48n);
    mmu.contextChanged();
    expect(() => mmu.r64(0x8000_0000n)).toThrow();
    cpu.ttbr0 = BigInt(tables.root) | (5n << 48n);
    mmu.contextChanged();
    expect(mmu.r64(0x8000_0000n)).toBe(7n);
    // ASID 5's entry survived the switch: one walk for ASID 6 only.
    expect(mmu.stats.walks - walksBefore).toBe(1);
    mmu.invalidateAsid(5);
    expect(mmu.r64(0x8000_0000n)).toBe(7n);
    expect(mmu.stats.walks - walksBefore).toBe(2);
  });

  it("unaligned accesses that cross a page are assembled from both pages", () => {
    const { bus, mmu, tables } = setup();
    const f1 = tables.alloc();
    const f2 = tables.alloc();
    tables.map(0x8000_0000n, makePageDescriptor(f1));
    tables.map(0x8000_1000n, makePageDescriptor(f2));
    mmu.w64(0x8000_0ffcn, 0x0102_0304_0506_0708n);
    expect(bus.read(f1 + 0xffc, 4)).toBe(0x0506_0708n);
    expect(bus.read(f2, 4)).toBe(0x0102_0304n);
    expect(mmu.r64(0x8000_0ffcn)).toBe(0x0102_0304_0506_0708n);
  });

  it("a page-crossing store whose second page faults writes nothing", () => {
    const { bus, cpu, mmu, tables } = setup();
    const f1 = tables.alloc();
    tables.map(0x8000_0000n, makePageDescriptor(f1));
    const a = abortOf(cpu, () => mmu.w64(0x8000_0ffcn, 0xffff_ffff_ffff_ffffn));
    // FAR names the page that faulted, so a demand pager maps the right one.
    expect(a.far).toBe(0x8000_1000n);
    expect(bus.read(f1 + 0xffc, 4)).toBe(0n);
  });
});

describe("translated code", () => {
  it("runs at a virtual address and re-translates after its page is rewritten", () => {
    const { bus, cpu, mmu, tables } = setup();
    const t = new Translator(bus);
    t.attach(mmu);
    const code = tables.alloc();
    tables.map(0x8000_0000n, makePageDescriptor(code, { executable: true, writable: false }));
    bus.writeBytes(code, new Uint8Array(assemble("svc #1").buffer));
    cpu.pc = 0x8000_0000;
    expect(runEl0(t, cpu, mmu, 100)).toBe(ExitKind.Svc);
    expect(cpu.esr & 0xffff).toBe(1);
    // The kernel rewrites the code (as a loader would): the old block must not run.
    bus.writeBytes(code, new Uint8Array(assemble("svc #2").buffer));
    cpu.pc = 0x8000_0000;
    expect(runEl0(t, cpu, mmu, 100)).toBe(ExitKind.Svc);
    expect(cpu.esr & 0xffff).toBe(2);
    expect(t.stats.invalidations).toBe(1);
  });

  it("jumping to an unmapped address is an instruction abort with FAR = target", () => {
    const { bus, cpu, mmu, tables } = setup();
    const t = new Translator(bus);
    t.attach(mmu);
    const code = tables.alloc();
    tables.map(0x8000_0000n, makePageDescriptor(code, { executable: true }));
    bus.writeBytes(code, new Uint8Array(assemble("b .+0x10000").buffer));
    cpu.pc = 0x8000_0000;
    expect(runEl0(t, cpu, mmu, 100)).toBe(ExitKind.Abort);
    expect(cpu.esr >>> 26).toBe(0x20);
    expect(cpu.far).toBe(0x8001_0000n);
    expect(cpu.pc).toBe(0x8001_0000);
  });
});
