// The ELF loader (hand-built malformed images and real clang+lld programs)
// and user-memory access (copyIn/copyOut/copyInString error paths).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";
import { CpuState, EC, ExitKind } from "../emulator/cpu/state.js";
import { Mmu } from "../emulator/mmu/mmu.js";
import { runEl0, Translator } from "../emulator/cpu/translate.js";
import type { Access } from "../emulator/mmu/walk.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { loadElf, parseElf, PF_R, PF_W, PF_X } from "../viperdos/kernel/mm/elf.js";
import { MMAP_BASE, PROT_NONE, PROT_READ, STACK_TOP } from "../viperdos/kernel/mm/layout.js";
import { Pmm } from "../viperdos/kernel/mm/pmm.js";
import { AddressSpace } from "../viperdos/kernel/mm/vm.js";
import { copyIn, copyInString, copyOut, readU32, readU64, writeU32, writeU64 } from "../viperdos/kernel/mm/uaccess.js";

interface Seg {
  type?: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

/** A minimal ELF64 image: header, program headers, then zero padding up to `size`. */
function elf(o: { entry: number; segs: Seg[]; size?: number; machine?: number; type?: number; class?: number; data?: number }): Uint8Array {
  const size = o.size ?? 0x3000;
  const b = new Uint8Array(Math.max(size, 64 + 56 * o.segs.length));
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, o.class ?? 2, o.data ?? 1, 1], 0);
  dv.setUint16(16, o.type ?? 2, true);
  dv.setUint16(18, o.machine ?? 183, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, BigInt(o.entry), true);
  dv.setBigUint64(32, 64n, true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, o.segs.length, true);
  o.segs.forEach((s, i) => {
    const p = 64 + i * 56;
    dv.setUint32(p, s.type ?? 1, true);
    dv.setUint32(p + 4, s.flags, true);
    dv.setBigUint64(p + 8, BigInt(s.offset), true);
    dv.setBigUint64(p + 16, BigInt(s.vaddr), true);
    dv.setBigUint64(p + 24, BigInt(s.vaddr), true);
    dv.setBigUint64(p + 32, BigInt(s.filesz), true);
    dv.setBigUint64(p + 40, BigInt(s.memsz), true);
    dv.setBigUint64(p + 48, 0x1000n, true);
  });
  return b.slice(0, size);
}

const TEXT: Seg = { flags: PF_R | PF_X, offset: 0x1000, vaddr: 0x8000_0000, filesz: 0x800, memsz: 0x800 };
const DATA: Seg = { flags: PF_R | PF_W, offset: 0x2010, vaddr: 0x8000_1010, filesz: 0x10, memsz: 0x2000 };
const GOOD = { entry: 0x8000_0000, segs: [TEXT, DATA] };

function reason(file: Uint8Array): string {
  const r = parseElf(file);
  expect(r.ok).toBe(false);
  if (r.ok) return "";
  expect(r.error).toBe(-2);
  return r.reason;
}

describe("ELF loader: validation", () => {
  it("accepts a well-formed image: text R-X, data RW-, brk after the highest segment", () => {
    const r = parseElf(elf(GOOD));
    if (!r.ok) throw new Error(r.reason);
    expect(r.entry).toBe(0x8000_0000);
    expect(r.vmas.map((v) => [v.start, v.end, v.prot, v.kind])).toEqual([
      [0x8000_0000, 0x8000_1000, 5, "text"],
      [0x8000_1000, 0x8000_4000, 3, "data"],
    ]);
    expect(r.brk).toBe(0x8000_4000);
  });

  it.each([
    ["truncated header", () => elf(GOOD).slice(0, 40), /too short/],
    ["bad magic", () => { const f = elf(GOOD); f[1] = 0x45 + 1; return f; }, /magic/],
    ["32-bit class", () => elf({ ...GOOD, class: 1 }), /ELFCLASS64/],
    ["big-endian", () => elf({ ...GOOD, data: 2 }), /little-endian/],
    ["wrong machine (x86-64)", () => elf({ ...GOOD, machine: 62 }), /EM_AARCH64/],
    ["relocatable object", () => elf({ ...GOOD, type: 1 }), /e_type/],
    ["phdr table past the end", () => elf({ ...GOOD, size: 100 }), /program header table/],
    ["segment past the end (truncated file)", () => elf({ ...GOOD, size: 0x2018 }), /outside the file/],
    ["filesz > memsz", () => elf({ ...GOOD, segs: [TEXT, { ...DATA, filesz: 0x20, memsz: 0x10 }] }), /p_filesz/],
    ["vaddr/offset not congruent", () => elf({ ...GOOD, segs: [TEXT, { ...DATA, vaddr: 0x8000_1018 }] }), /congruent/],
    ["overlapping segments", () => elf({ ...GOOD, segs: [TEXT, { ...DATA, vaddr: 0x8000_0010, offset: 0x2010 }] }), /overlap/],
    ["entry outside text", () => elf({ ...GOOD, entry: 0x8000_1010 }), /not inside an executable segment/],
    ["vaddr below 0x8000_0000", () => elf({ entry: 0x40_0000, segs: [{ ...TEXT, vaddr: 0x40_0000 }] }), /below the user base/],
    ["segment reaching the mmap area", () => elf({ ...GOOD, segs: [TEXT, { ...DATA, vaddr: MMAP_BASE - 0xff0 }] }), /mmap area/],
    ["no PT_LOAD", () => elf({ ...GOOD, segs: [{ ...TEXT, type: 4 }] }), /no PT_LOAD/],
    ["PT_INTERP", () => elf({ ...GOOD, segs: [TEXT, { ...DATA, type: 3 }] }), /PT_INTERP/],
    ["absurd 64-bit offset", () => elf({ ...GOOD, segs: [TEXT, { ...DATA, offset: 2 ** 60 }] }), /out of range|outside|congruent/],
  ])("rejects: %s", (_name, make, why) => {
    expect(reason(make())).toMatch(why);
  });
});

function machine() {
  const bus = new PhysicalBus(32 << 20);
  const pmm = new Pmm(bus);
  pmm.reserve(RAM_BASE, 1 << 20);
  const state = new CpuState(0);
  const mmu = new Mmu(bus, state);
  const translator = new Translator(bus);
  translator.attach(mmu);
  const as = AddressSpace.create(pmm, [mmu]);
  if (typeof as === "number") throw new Error("create");
  return { bus, pmm, state, mmu, translator, as };
}

/** Run a loaded program until its first SVC, paging in on aborts. */
function runToFirstSvc(m: ReturnType<typeof machine>, entry: number): ExitKind {
  const { state, mmu, translator, as } = m;
  as.activate(state, mmu);
  state.pc = entry;
  // Initial stack: argc = 0, argv NULL, envp NULL, auxv AT_NULL.
  expect(copyOut(as, STACK_TOP - 64, new Uint8Array(64))).toBe(0);
  state.x[31] = BigInt(STACK_TOP - 64);
  for (let i = 0; i < 200; i++) {
    const exit = runEl0(translator, state, mmu, 1_000_000);
    if (exit !== ExitKind.Abort) return exit;
    const access: Access = state.esr >>> 26 === EC.IABT_LOW ? "exec" : (state.esr >>> 6) & 1 ? "write" : "read";
    expect(as.handleFault(Number(state.far), access)).toBe("handled");
  }
  throw new Error("no SVC");
}

describe("ELF loader: real programs from clang + lld", () => {
  it("loads demo linked at 0x8000_0000 lazily and runs it to its first system call", () => {
    const path = buildGuest({ name: "mm-demo-80000000", sources: ["viperdos/user/programs/demo.c"], extraFlags: ["-Wl,--image-base=0x80000000"] });
    const file = readFileSync(path);
    const m = machine();
    const img = loadElf(m.as, file, "demo");
    if (!img.ok) throw new Error(img.reason);
    expect(img.type).toBe("exec");
    expect(img.vmas.some((v) => v.kind === "text" && v.prot === 5)).toBe(true);
    expect(m.as.residentPages()).toBe(0); // nothing loaded yet
    expect(m.as.mapStack()).toBe(STACK_TOP);
    expect(runToFirstSvc(m, img.entry)).toBe(ExitKind.Svc);
    expect(m.as.counters.fileLoads).toBeGreaterThan(0);
    // Memory holds the file's bytes at the entry point.
    const text = img.segments.find((s) => img.entry >= s.vaddr && img.entry < s.vaddr + s.memsz)!;
    const off = text.offset + (img.entry - text.vaddr);
    expect(copyIn(m.as, img.entry, 16)).toEqual(new Uint8Array(file.subarray(off, off + 16)));
  });

  it("rejects the same program linked with -Ttext (its headers segment sits at 0x200000)", () => {
    const path = buildGuest({ name: "mm-demo-ttext", sources: ["viperdos/user/programs/demo.c"], extraFlags: ["-Wl,-Ttext=0x80000000"] });
    expect(reason(readFileSync(path))).toMatch(/below the user base/);
  });

  it("places a static-PIE (ET_DYN linked at 0) at 0x8000_0000", () => {
    const path = buildGuest({ name: "mm-demo-pie", sources: ["viperdos/user/programs/demo.c"], pie: true });
    const r = parseElf(readFileSync(path));
    if (!r.ok) throw new Error(r.reason);
    expect(r.type).toBe("dyn");
    expect(r.bias).toBe(0x8000_0000);
    expect(r.vmas[0].start).toBe(0x8000_0000);
  });
});

describe("uaccess", () => {
  function setup() {
    const m = machine();
    const file = elf(GOOD);
    file.set(new TextEncoder().encode("hello\0"), 0x2010); // .data starts with a string
    const img = loadElf(m.as, file);
    if (!img.ok) throw new Error(img.reason);
    m.as.brk(img.brk + 0x2000);
    return { ...m, img };
  }

  it("rejects NULL, low, out-of-range and unmapped pointers with -2", () => {
    const { as } = setup();
    expect(copyIn(as, 0, 4)).toBe(-2);
    expect(copyIn(as, 0x7fff_f000, 4)).toBe(-2);
    expect(copyIn(as, 0x8000_0000 - 2, 4)).toBe(-2);
    expect(copyIn(as, 0x8000_0000_0000, 1)).toBe(-2);
    expect(copyIn(as, MMAP_BASE, 4)).toBe(-2); // nothing mapped there
    expect(copyIn(as, 0x8000_0000, -1)).toBe(-2);
    expect(copyIn(as, 0x8000_0000, 1 << 30)).toBe(-2);
    expect(copyIn(as, 0.5 as number, 1)).toBe(-2);
    expect(copyOut(as, 0, new Uint8Array(1))).toBe(-2);
    expect(copyInString(as, 0x1000, 10)).toBe(-2);
  });

  it("reports -6 for permission failures and writes nothing on a failing copy", () => {
    const { as, img } = setup();
    expect(copyOut(as, 0x8000_0000, new Uint8Array([1]))).toBe(-6); // text is read-only
    const none = as.mmap(4096, PROT_NONE);
    expect(copyIn(as, none, 1)).toBe(-6);
    // Copies that run off the end of the heap, or into a read-only page.
    const heapEnd = img.brk + 0x2000;
    expect(copyOut(as, heapEnd - 2, new Uint8Array([7, 7, 7, 7]))).toBe(-2);
    expect(copyIn(as, heapEnd - 2, 2)).toEqual(new Uint8Array([0, 0]));
    as.mprotect(img.brk + 0x1000, 0x1000, PROT_READ);
    expect(copyOut(as, img.brk + 0x1000 - 2, new Uint8Array([7, 7, 7, 7]))).toBe(-6);
    expect(copyIn(as, img.brk + 0x1000 - 2, 4)).toEqual(new Uint8Array(4));
  });

  it("faults pages in: lazily loaded data, untouched heap pages", () => {
    const { as, img } = setup();
    expect(copyInString(as, 0x8000_1010, 64)).toBe("hello");
    expect(copyInString(as, 0x8000_1010, 3)).toBe(-2); // no NUL within 3 bytes
    expect(copyIn(as, img.brk, 8)).toEqual(new Uint8Array(8));
    expect(as.counters.zeroFills).toBe(1);
    // A string crossing a page boundary.
    const s = "page-crossing string";
    const at = img.brk + 0x1000 - 7;
    expect(copyOut(as, at, new TextEncoder().encode(s + "\0"))).toBe(0);
    expect(copyInString(as, at, 100)).toBe(s);
  });

  it("u32 / u64 helpers round-trip, unaligned too", () => {
    const { as, img } = setup();
    expect(writeU32(as, img.brk + 1, 0xfeed_beef)).toBe(0);
    expect(readU32(as, img.brk + 1)).toBe(0xfeed_beef);
    expect(writeU64(as, img.brk + 0xffc, 0x0102_0304_0506_0708n)).toBe(0);
    expect(readU64(as, img.brk + 0xffc)).toBe(0x0102_0304_0506_0708n);
    expect(readU64(as, 8)).toBe(-2);
    expect(writeU32(as, 0x8000_0000, 1)).toBe(-6);
    expect(copyIn(as, img.brk, 0)).toEqual(new Uint8Array(0));
    as.destroy();
    expect(readU32(as, img.brk)).toBe(-2);
  });
});

