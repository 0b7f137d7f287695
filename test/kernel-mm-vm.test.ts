// AddressSpace with real EL0 code: translation on (AddressSpace.activate),
// small assembled programs whose aborts go to handleFault, as the kernel's
// exception path will do. Covers demand zero-fill, lazy ELF-style data,
// COW after fork on two CPUs, brk, mmap/munmap, mprotect, shm and destroy.

import { describe, expect, it } from "vitest";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";
import { CpuState, ExitKind } from "../emulator/cpu/state.js";
import { Mmu } from "../emulator/mmu/mmu.js";
import { runEl0, Translator } from "../emulator/cpu/translate.js";
import type { Access } from "../emulator/mmu/walk.js";
import { Pmm } from "../viperdos/kernel/mm/pmm.js";
import { accessFromEsr, AddressSpace } from "../viperdos/kernel/mm/vm.js";
import { MMAP_BASE, PROT_EXEC, PROT_READ, PROT_WRITE, SHM_BASE, STACK_TOP } from "../viperdos/kernel/mm/layout.js";
import { copyIn, copyOut } from "../viperdos/kernel/mm/uaccess.js";
import { assemble } from "./support/asm.js";

const TEXT = 0x8000_0000;
const DATA = 0x8001_0000;
const HEAP = 0x8002_0000;

interface Cpu {
  state: CpuState;
  mmu: Mmu;
}

function machine(ncpu = 1) {
  const bus = new PhysicalBus(16 << 20);
  const pmm = new Pmm(bus);
  pmm.reserve(RAM_BASE, 1 << 20); // "the kernel image"
  const translator = new Translator(bus);
  const cpus: Cpu[] = [];
  for (let i = 0; i < ncpu; i++) {
    const state = new CpuState(i);
    const mmu = new Mmu(bus, state);
    translator.attach(mmu);
    cpus.push({ state, mmu });
  }
  return { bus, pmm, translator, cpus, mmus: cpus.map((c) => c.mmu) };
}
type M = ReturnType<typeof machine>;

function bytesOf(src: string): Uint8Array {
  const w = assemble(src);
  return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
}

/** A space with text at TEXT (R-X, lazily loaded from `code`), optional data at DATA (RW-), heap at HEAP, a stack. */
function space(m: M, code: Uint8Array, data?: Uint8Array): AddressSpace {
  const as = AddressSpace.create(m.pmm, m.mmus);
  if (typeof as === "number") throw new Error("create failed");
  expect(as.addVma({ start: TEXT, end: TEXT + 0x1000, prot: PROT_READ | PROT_EXEC, kind: "text", backing: { type: "file", file: code, fileOffset: 0, vaddr: TEXT, fileSize: code.length } })).toBe(0);
  if (data) {
    // .data of 8 bytes at DATA+0x10 (file offset 4), then .bss up to the page end
    expect(as.addVma({ start: DATA, end: DATA + 0x1000, prot: PROT_READ | PROT_WRITE, kind: "data", backing: { type: "file", file: data, fileOffset: 4, vaddr: DATA + 0x10, fileSize: 8 } })).toBe(0);
  }
  expect(as.initHeap(HEAP)).toBe(0);
  expect(as.mapStack()).toBe(STACK_TOP);
  return as;
}

interface RunOutcome {
  exit: "svc" | "segv" | "other";
  imm: number;
  far: number;
  access: Access;
  faults: number;
}

/** Run at EL0 from `pc` until an SVC, handing aborts to handleFault (the kernel's job). */
function run(m: M, as: AddressSpace, cpu: Cpu, pc: number, regs: Record<number, bigint> = {}): RunOutcome {
  as.activate(cpu.state, cpu.mmu);
  cpu.state.pc = pc;
  cpu.state.x[31] = BigInt(STACK_TOP);
  for (const [r, v] of Object.entries(regs)) cpu.state.x[Number(r)] = v;
  let faults = 0;
  for (let guard = 0; guard < 100; guard++) {
    const exit = runEl0(m.translator, cpu.state, cpu.mmu, 100_000);
    if (exit === ExitKind.Svc) return { exit: "svc", imm: cpu.state.esr & 0xffff, far: 0, access: "read", faults };
    if (exit !== ExitKind.Abort) return { exit: "other", imm: exit, far: 0, access: "read", faults };
    const access = accessFromEsr(cpu.state.esr);
    const far = Number(cpu.state.far);
    if (as.handleFault(far, access) === "segv") return { exit: "segv", imm: 0, far, access, faults };
    faults++;
  }
  throw new Error("fault loop");
}

const LOAD_STORE = `
  mov x1, #0x80010000
  ldr x2, [x1, #0x10]      // lazily loaded .data
  ldr x6, [x1, #0x18]      // .bss in the same page: zero
  mov x3, #0x80020000
  ldr x4, [x3]             // heap page: zero-filled on demand
  str x2, [x3, #8]
  ldr x5, [x3, #8]
  str x5, [sp, #-16]!      // stack page: zero-filled on demand
  svc #0
`;

// Entry 0: store x0 at [x3] and load it back; entry 0x8: load only.
const STORE_AT_X3 = `
  str x0, [x3]
  svc #1
  ldr x1, [x3]
  svc #2
`;

function dataFile(): Uint8Array {
  const d = new Uint8Array(16);
  new DataView(d.buffer).setBigUint64(4, 0x1122_3344_5566_7788n, true);
  new DataView(d.buffer).setUint32(12, 0xdead_beef, true); // beyond fileSize: must not appear
  return d;
}

describe("demand paging", () => {
  it("heap pages fault in as zeros, .data loads lazily from the file, .bss is zero", () => {
    const m = machine();
    const as = space(m, bytesOf(LOAD_STORE), dataFile());
    const cpu = m.cpus[0];
    // Before brk grows the heap, the heap access is a segmentation fault.
    let r = run(m, as, cpu, TEXT);
    expect(r).toMatchObject({ exit: "segv", far: HEAP, access: "read" });
    expect(as.lastSegv?.reason).toBe("no-vma");
    expect(as.brk(HEAP + 100)).toBe(HEAP + 100);
    r = run(m, as, cpu, TEXT);
    expect(r.exit).toBe("svc");
    const x = cpu.state.x;
    expect(x[2]).toBe(0x1122_3344_5566_7788n);
    expect(x[6]).toBe(0n);
    expect(x[4]).toBe(0n);
    expect(x[5]).toBe(0x1122_3344_5566_7788n);
    expect(as.counters.fileLoads).toBe(2); // text + data
    expect(as.counters.zeroFills).toBe(2); // heap + stack
    // The page table walk the MMU did is visible.
    const w = as.walkVa(HEAP + 8);
    expect(w.ok).toBe(true);
    expect(w.el0).toBe("rw-");
    expect(w.steps.map((s) => s.level)).toEqual([0, 1, 2, 3]);
    expect(as.walkVa(TEXT).el0).toBe("r-x");
    expect(as.walkVa(HEAP + 0x1000)).toMatchObject({ ok: false, fault: "translation fault, level 3" });
  });

  it("a text page is not writable and a data page is not executable", () => {
    const m = machine();
    const code = bytesOf(`
      mov x3, #0x80000000
      str x0, [x3]
      svc #0
    `);
    const as = space(m, code, dataFile());
    expect(run(m, as, m.cpus[0], TEXT)).toMatchObject({ exit: "segv", far: TEXT, access: "write" });
    expect(as.lastSegv?.reason).toBe("protection");
    expect(run(m, as, m.cpus[0], DATA)).toMatchObject({ exit: "segv", far: DATA, access: "exec" });
  });
});

describe("fork and copy-on-write", () => {
  it("parent and child see their own values; frames are shared until written", () => {
    const m = machine(2);
    const as = space(m, bytesOf(STORE_AT_X3));
    as.brk(HEAP + 0x1000);
    const [cpu0, cpu1] = m.cpus;
    expect(run(m, as, cpu0, TEXT, { 0: 111n, 3: BigInt(HEAP) }).exit).toBe("svc");
    const child = as.fork();
    if (typeof child === "number") throw new Error("fork failed");
    expect(child.asid).not.toBe(as.asid);
    const pPa = as.walkVa(HEAP).pa;
    expect(child.walkVa(HEAP).pa).toBe(pPa);
    expect(as.walkVa(HEAP).el0).toBe("r--"); // both sides read-only now
    const heapEntry = child.snapshot().tables.find((t) => t.level === 3 && t.entries.some((e) => e.va === "0x80020000"));
    expect(heapEntry?.entries.find((e) => e.va === "0x80020000")).toMatchObject({ cow: true, refs: 2, perms: "r--" });

    // The child writes on CPU 1: a COW fault copies the page.
    const rc = run(m, child, cpu1, TEXT, { 0: 222n, 3: BigInt(HEAP) });
    expect(rc).toMatchObject({ exit: "svc", imm: 1, faults: 1 });
    expect(child.counters.cowCopies).toBe(1);
    expect(child.walkVa(HEAP).pa).not.toBe(pPa);
    // The parent still reads its own value on CPU 0 (its stale TLB entry was read-only anyway).
    expect(run(m, as, cpu0, TEXT + 8, { 3: BigInt(HEAP) })).toMatchObject({ exit: "svc", imm: 2 });
    expect(cpu0.state.x[1]).toBe(111n);
    expect(run(m, child, cpu1, TEXT + 8, { 3: BigInt(HEAP) }).exit).toBe("svc");
    expect(cpu1.state.x[1]).toBe(222n);
    // The parent is now the frame's only owner: its write fault reuses the frame.
    expect(run(m, as, cpu0, TEXT, { 0: 333n, 3: BigInt(HEAP) }).exit).toBe("svc");
    expect(as.counters.cowReuses).toBe(1);
    expect(as.walkVa(HEAP).pa).toBe(pPa);
    expect(copyIn(child, HEAP, 8)).toEqual(new Uint8Array([222, 0, 0, 0, 0, 0, 0, 0]));
    // Text pages stay shared by both (never written).
    expect(child.walkVa(TEXT).pa).toBe(as.walkVa(TEXT).pa);
    expect(m.pmm.refCount(Number(as.walkVa(TEXT).pa))).toBe(2);
  });

  it("a write to a COW page through copyOut also copies it", () => {
    const m = machine();
    const as = space(m, bytesOf(STORE_AT_X3));
    as.brk(HEAP + 0x1000);
    expect(copyOut(as, HEAP, new Uint8Array([1, 2, 3]))).toBe(0);
    const child = as.fork() as AddressSpace;
    expect(copyOut(child, HEAP, new Uint8Array([9]))).toBe(0);
    expect(copyIn(as, HEAP, 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(copyIn(child, HEAP, 3)).toEqual(new Uint8Array([9, 2, 3]));
  });
});

describe("brk, mmap, munmap, mprotect", () => {
  it("brk grows and shrinks the heap, freeing pages on shrink", () => {
    const m = machine();
    const as = space(m, bytesOf(STORE_AT_X3));
    expect(as.brk(HEAP - 1)).toBe(-2);
    expect(as.sbrk(3 * 4096)).toBe(HEAP);
    expect(as.brkEnd).toBe(HEAP + 3 * 4096);
    for (let i = 0; i < 3; i++) expect(copyOut(as, HEAP + i * 4096, new Uint8Array([i + 1]))).toBe(0);
    const free = m.pmm.freePages;
    expect(as.brk(HEAP + 100)).toBe(HEAP + 100);
    expect(m.pmm.freePages).toBe(free + 2);
    expect(run(m, as, m.cpus[0], TEXT + 8, { 3: BigInt(HEAP + 0x2000) })).toMatchObject({ exit: "segv", far: HEAP + 0x2000 });
    expect(copyIn(as, HEAP, 1)).toEqual(new Uint8Array([1]));
    // Growing again gives fresh zero pages.
    as.brk(HEAP + 0x3000);
    expect(copyIn(as, HEAP + 0x2000, 1)).toEqual(new Uint8Array([0]));
    // The heap cannot grow into the mmap area.
    expect(as.brk(MMAP_BASE + 1)).toBe(-3);
  });

  it("brk keeps VMAs disjoint after the heap was split by mprotect and munmap", () => {
    const m = machine();
    const as = space(m, bytesOf(STORE_AT_X3));
    as.brk(HEAP + 0x4000);
    expect(as.mprotect(HEAP + 0x1000, 0x1000, PROT_READ)).toBe(0);
    expect(as.munmap(HEAP + 0x2000, 0x1000)).toBe(0);
    expect(as.brk(HEAP + 0x6000)).toBe(HEAP + 0x6000);
    const heap = as.vmas.filter((v) => v.kind === "heap").map((v) => [v.start - HEAP, v.end - HEAP, v.prot]);
    expect(heap).toEqual([
      [0, 0x1000, 3],
      [0x1000, 0x2000, 1],
      [0x3000, 0x6000, 3],
    ]);
    for (let i = 1; i < as.vmas.length; i++) expect(as.vmas[i].start).toBeGreaterThanOrEqual(as.vmas[i - 1].end);
    expect(copyOut(as, HEAP + 0x1000, new Uint8Array(1))).toBe(-6);
    expect(copyOut(as, HEAP + 0x2000, new Uint8Array(1))).toBe(-2);
    expect(copyOut(as, HEAP + 0x5fff, new Uint8Array(1))).toBe(0);
  });

  it("mmap places first-fit from 0x2_0000_0000; access after munmap faults", () => {
    const m = machine();
    const as = space(m, bytesOf(STORE_AT_X3));
    const a = as.mmap(4096, PROT_READ | PROT_WRITE);
    const b = as.mmap(3 * 4096, PROT_READ | PROT_WRITE);
    expect(a).toBe(MMAP_BASE);
    expect(b).toBe(MMAP_BASE + 0x1000);
    expect(as.mmap(0, PROT_READ)).toBe(-2);
    expect(as.mmap(4096, 8)).toBe(-2);
    const cpu = m.cpus[0];
    expect(run(m, as, cpu, TEXT, { 0: 5n, 3: BigInt(b + 0x1000) }).exit).toBe("svc");
    const free = m.pmm.freePages;
    expect(as.munmap(b + 0x1000, 4096)).toBe(0); // a hole in the middle of b
    expect(m.pmm.freePages).toBe(free + 1);
    expect(as.vmas.filter((v) => v.kind === "mmap").map((v) => [v.start, v.end])).toEqual([
      [a, a + 0x1000],
      [b, b + 0x1000],
      [b + 0x2000, b + 0x3000],
    ]);
    // The CPU's TLB held the page: after munmap the access must fault.
    expect(run(m, as, cpu, TEXT + 8, { 3: BigInt(b + 0x1000) })).toMatchObject({ exit: "segv", far: b + 0x1000 });
    expect(as.lastSegv?.reason).toBe("no-vma");
    // The hole is reused first-fit.
    expect(as.mmap(100, PROT_READ)).toBe(b + 0x1000);
    expect(as.munmap(b + 1, 4096)).toBe(-2);
  });

  it("mprotect to read-only makes writes fault on every CPU; back to RW works", () => {
    const m = machine(2);
    const as = space(m, bytesOf(STORE_AT_X3));
    const va = as.mmap(2 * 4096, PROT_READ | PROT_WRITE);
    const [cpu0, cpu1] = m.cpus;
    expect(run(m, as, cpu0, TEXT, { 0: 7n, 3: BigInt(va) }).exit).toBe("svc");
    expect(run(m, as, cpu1, TEXT, { 0: 8n, 3: BigInt(va) }).exit).toBe("svc");
    expect(as.mprotect(va, 4096, PROT_READ)).toBe(0);
    for (const cpu of [cpu0, cpu1]) {
      expect(run(m, as, cpu, TEXT, { 0: 9n, 3: BigInt(va) })).toMatchObject({ exit: "segv", far: va, access: "write" });
      expect(run(m, as, cpu, TEXT + 8, { 3: BigInt(va) }).exit).toBe("svc");
      expect(cpu.state.x[1]).toBe(8n);
    }
    expect(as.lastSegv?.reason).toBe("protection");
    expect(copyOut(as, va, new Uint8Array([1]))).toBe(-6);
    // The second page keeps RW: the VMA was split.
    expect(as.vmas.filter((v) => v.start >= va && v.end <= va + 0x2000).map((v) => v.prot)).toEqual([PROT_READ, PROT_READ | PROT_WRITE]);
    expect(as.mprotect(va, 4096, PROT_READ | PROT_WRITE)).toBe(0);
    expect(run(m, as, cpu1, TEXT, { 0: 10n, 3: BigInt(va) }).exit).toBe("svc");
    expect(as.mprotect(va + 0x4000, 4096, PROT_READ)).toBe(-4);
    expect(as.mprotect(va, 4096, 9)).toBe(-2);
  });

  it("shared memory frames are visible in both spaces and survive fork without COW", () => {
    const m = machine();
    const a = space(m, bytesOf(STORE_AT_X3));
    const b = space(m, bytesOf(STORE_AT_X3));
    const frame = m.pmm.alloc(); // the shm object's page (its own reference)
    const va = a.mapFrames([frame], PROT_READ | PROT_WRITE);
    expect(va).toBe(SHM_BASE);
    expect(b.mapFrames([frame], PROT_READ)).toBe(SHM_BASE);
    expect(m.pmm.refCount(frame)).toBe(3);
    expect(run(m, a, m.cpus[0], TEXT, { 0: 42n, 3: BigInt(va) }).exit).toBe("svc");
    expect(run(m, b, m.cpus[0], TEXT + 8, { 3: BigInt(SHM_BASE) }).exit).toBe("svc");
    expect(m.cpus[0].state.x[1]).toBe(42n);
    const c = a.fork() as AddressSpace;
    expect(copyOut(c, va, new Uint8Array([43]))).toBe(0); // shared, not copied
    expect(copyIn(b, SHM_BASE, 1)).toEqual(new Uint8Array([43]));
    expect(c.snapshot().tables.flatMap((t) => t.entries).find((e) => e.kind === "page" && e.va === "0x7000000000")).toMatchObject({ shared: true, cow: false });
    a.destroy();
    b.destroy();
    c.destroy();
    expect(m.pmm.refCount(frame)).toBe(1);
  });
});

describe("destroy", () => {
  it("returns every frame and table after load, faults, fork and COW", () => {
    const m = machine(2);
    const free0 = m.pmm.freePages;
    const as = space(m, bytesOf(STORE_AT_X3));
    as.brk(HEAP + 0x4000);
    for (let i = 0; i < 4; i++) copyOut(as, HEAP + i * 0x1000, new Uint8Array([i]));
    as.mmap(0x3000, PROT_READ | PROT_WRITE);
    expect(run(m, as, m.cpus[0], TEXT, { 0: 1n, 3: BigInt(MMAP_BASE) }).exit).toBe("svc");
    const child = as.fork() as AddressSpace;
    expect(run(m, child, m.cpus[1], TEXT, { 0: 2n, 3: BigInt(HEAP + 0x1000) }).exit).toBe("svc");
    expect(m.pmm.freePages).toBeLessThan(free0);
    const asid = as.asid;
    as.destroy();
    child.destroy();
    expect(m.pmm.freePages).toBe(free0);
    expect(as.asids.isUsed(asid)).toBe(false);
    // The recycled ASID starts clean: a new space gets it and sees nothing mapped.
    const again = space(m, bytesOf(STORE_AT_X3));
    expect(again.asid).toBe(asid);
    expect(run(m, again, m.cpus[0], TEXT + 8, { 3: BigInt(MMAP_BASE) })).toMatchObject({ exit: "segv" });
    expect(as.handleFault(HEAP, "read")).toBe("segv");
    expect(as.mmap(4096, PROT_READ)).toBe(-2);
  });

  it("out of memory: fork fails with -3 and leaks nothing; faults report no-memory", () => {
    const m = machine();
    const as = space(m, bytesOf(STORE_AT_X3));
    as.brk(HEAP + 0x2000);
    expect(run(m, as, m.cpus[0], TEXT, { 0: 1n, 3: BigInt(HEAP) }).exit).toBe("svc");
    expect(copyOut(as, STACK_TOP - 8, new Uint8Array(8))).toBe(0);
    const hog: number[] = [];
    while (m.pmm.freePages > 4) hog.push(m.pmm.alloc());
    // The child gets its root and the image's three tables (text and heap share
    // them), then runs out at the stack's branch: half the pages are COW by then.
    expect(as.fork()).toBe(-3);
    expect(m.pmm.freePages).toBe(4);
    expect(m.pmm.refCount(Number(as.walkVa(HEAP).pa))).toBe(1);
    // The parent's pages were marked COW, but it is their only owner: writes reuse them.
    expect(run(m, as, m.cpus[0], TEXT, { 0: 2n, 3: BigInt(HEAP) }).exit).toBe("svc");
    expect(as.counters.cowReuses).toBe(1);
    while (m.pmm.freePages > 0) hog.push(m.pmm.alloc());
    expect(as.handleFault(HEAP + 0x1000, "write")).toBe("segv");
    expect(as.lastSegv?.reason).toBe("no-memory");
    expect(copyOut(as, HEAP + 0x1000, new Uint8Array(1))).toBe(-3);
    for (const pa of hog) m.pmm.free(pa);
    expect(copyOut(as, HEAP + 0x1000, new Uint8Array(1))).toBe(0);
  });

  it("the snapshot is plain JSON with tables, VMAs and counters", () => {
    const m = machine();
    const as = space(m, bytesOf(LOAD_STORE), dataFile());
    as.brk(HEAP + 0x1000);
    run(m, as, m.cpus[0], TEXT);
    const s = as.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.tables.map((t) => t.level)).toEqual([0, 1, 2, 3, 1, 2, 3]); // user image + stack branch
    expect(s.vmas.map((v) => [v.kind, v.prot])).toEqual([
      ["text", "r-x"],
      ["data", "rw-"],
      ["heap", "rw-"],
      ["stack", "rw-"],
    ]);
    expect(s.residentPages).toBe(4);
  });
});
