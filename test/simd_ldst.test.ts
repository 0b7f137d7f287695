// Advanced SIMD structure loads and stores: LD1-LD4/ST1-ST4 (multiple
// structures), single lanes, LDnR replicate, post-index writeback, and
// faults that must leave registers untouched.

import { describe, expect, it } from "vitest";
import { DATA_BASE, runAsm } from "./support/snippet.js";
import { ExitKind, CpuState } from "../emulator/cpu/state.js";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";
import { Mmu } from "../emulator/mmu/mmu.js";
import { runEl0, Translator } from "../emulator/cpu/translate.js";
import { makePageDescriptor, makeTableDescriptor, tableIndex } from "../emulator/mmu/descriptors.js";
import { assemble } from "./support/asm.js";
import { getV, join, lanes, runV, setV, values } from "./simd_support.js";

const OFF = DATA_BASE - RAM_BASE;
/** Memory pattern: byte k of the data area = (k * 7 + 3) & 0xff. */
const mem = (k: number) => BigInt((k * 7 + 3) & 0xff);
const memBytes = (from: number, count: number) => Array.from({ length: count }, (_, k) => mem(from + k));

function fillMem(bus: { ram: Uint8Array }): void {
  for (let k = 0; k < 512; k++) bus.ram[OFF + k] = Number(mem(k));
}

const [P, Q, R, S] = values(10, 5n).slice(6);

function runSnippetFault(asm: string, setup: (c: CpuState) => void) {
  const r = runAsm(asm, (c) => {
    setV(c, 0, P);
    setV(c, 1, Q);
    setup(c);
  });
  return { exit: ExitKind[r.exit], v0: getV(r.cpu, 0), v1: getV(r.cpu, 1), x0: r.cpu.x[0] };
}

describe("LD1-LD4 / ST1-ST4 multiple structures", () => {
  it("LD1/LD2/LD3/LD4 de-interleave and ST2/ST3/ST4 interleave (round trip)", () => {
    const res = runV(`
      ld1 {v0.16b}, [x0]
      ld1 {v1.8h, v2.8h}, [x0]
      ld1 {v28.2d, v29.2d, v30.2d, v31.2d}, [x0]
      ld1 {v6.8b, v7.8b}, [x0]
      ld2 {v8.8h, v9.8h}, [x0]
      ld3 {v10.16b, v11.16b, v12.16b}, [x0]
      ld4 {v13.4s, v14.4s, v15.4s, v16.4s}, [x0]
      ld3 {v17.4h, v18.4h, v19.4h}, [x0]
      st4 {v13.4s, v14.4s, v15.4s, v16.4s}, [x1]
      st3 {v10.16b, v11.16b, v12.16b}, [x2]
    `, { 6: P, 7: P, 17: P }, (c) => {
      c.x[0] = BigInt(DATA_BASE);
      c.x[1] = BigInt(DATA_BASE + 0x800);
      c.x[2] = BigInt(DATA_BASE + 0x900);
    }, fillMem);
    const c = res.cpu;
    const b = memBytes(0, 64);
    const j8 = (xs: bigint[]) => join(xs, 8);
    expect(getV(c, 0)).toBe(j8(b.slice(0, 16)));
    expect(getV(c, 1)).toBe(j8(b.slice(0, 16)));
    expect(getV(c, 2)).toBe(j8(b.slice(16, 32)));
    expect(getV(c, 31)).toBe(j8(b.slice(48, 64)));
    expect(getV(c, 6)).toBe(j8(b.slice(0, 8)));
    expect(getV(c, 7)).toBe(j8(b.slice(8, 16)));
    const h = lanes(j8(b.slice(0, 16)), 16).concat(lanes(j8(b.slice(16, 32)), 16));
    expect(getV(c, 8)).toBe(join(h.filter((_, i) => i % 2 === 0), 16));
    expect(getV(c, 9)).toBe(join(h.filter((_, i) => i % 2 === 1), 16));
    for (let s = 0; s < 3; s++) expect(getV(c, 10 + s)).toBe(j8(b.slice(0, 48).filter((_, i) => i % 3 === s)));
    const w = lanes(j8(b.slice(0, 16)), 32).concat(lanes(j8(b.slice(16, 32)), 32), lanes(j8(b.slice(32, 48)), 32), lanes(j8(b.slice(48, 64)), 32));
    for (let s = 0; s < 4; s++) expect(getV(c, 13 + s)).toBe(join(w.filter((_, i) => i % 4 === s), 32));
    const h3 = lanes(j8(b.slice(0, 16)), 16).concat(lanes(j8(b.slice(16, 24)), 16, 4));
    expect(getV(c, 17)).toBe(join(h3.filter((_, i) => i % 3 === 0), 16));
    // The stores put the same bytes back in memory order.
    expect([...res.bus.ram.subarray(OFF + 0x800, OFF + 0x840)]).toEqual(b.map(Number));
    expect([...res.bus.ram.subarray(OFF + 0x900, OFF + 0x930)]).toEqual(b.slice(0, 48).map(Number));
  });

  it("ST1 of several registers and post-index by immediate and by register", () => {
    const res = runV(`
      st1 {v1.16b, v2.16b}, [x1], #32
      st1 {v3.2s}, [x1], x3
      ld1 {v4.4s}, [x0], #16
      ld2 {v5.2d, v6.2d}, [x0], x3
    `, { 1: P, 2: Q, 3: R }, (c) => {
      c.x[0] = BigInt(DATA_BASE);
      c.x[1] = BigInt(DATA_BASE + 0x800);
      c.x[3] = 100n;
    }, fillMem);
    const c = res.cpu;
    expect(c.x[1]).toBe(BigInt(DATA_BASE + 0x800 + 32 + 100));
    expect(c.x[0]).toBe(BigInt(DATA_BASE + 16 + 100));
    const stored = [...lanes(P, 8), ...lanes(Q, 8), ...lanes(R, 8, 8)].map(Number);
    expect([...res.bus.ram.subarray(OFF + 0x800, OFF + 0x828)]).toEqual(stored);
    const b = memBytes(16, 32);
    const d = lanes(join(b, 8), 64, 4);
    expect(getV(c, 5)).toBe(join([d[0], d[2]], 64));
    expect(getV(c, 6)).toBe(join([d[1], d[3]], 64));
  });
});

describe("single structure and replicate", () => {
  it("LD1/LD2 to one lane keep the other lanes; ST1/ST4 of one lane; LD1R/LD3R/LD4R replicate", () => {
    const res = runV(`
      ld1 {v1.s}[2], [x0]
      ld2 {v2.b, v3.b}[13], [x0], #2
      ld1r {v4.8h}, [x0]
      ld1r {v5.2s}, [x0]
      ld3r {v6.16b, v7.16b, v8.16b}, [x0], x3
      ld4r {v9.1d, v10.1d, v11.1d, v12.1d}, [x0]
      st1 {v1.d}[1], [x1]
      st4 {v13.h, v14.h, v15.h, v16.h}[6], [x1]
    `, { 1: P, 2: Q, 3: R, 5: S, 9: S, 13: P, 14: Q, 15: R, 16: S }, (c) => {
      c.x[0] = BigInt(DATA_BASE);
      c.x[1] = BigInt(DATA_BASE + 0x800);
      c.x[3] = 5n;
    }, fillMem);
    const c = res.cpu;
    const le = (from: number, n: number) => join(memBytes(from, n), 8);
    expect(getV(c, 1)).toBe(join(lanes(P, 32).map((x, i) => (i === 2 ? le(0, 4) : x)), 32));
    expect(getV(c, 2)).toBe(join(lanes(Q, 8).map((x, i) => (i === 13 ? mem(0) : x)), 8));
    expect(getV(c, 3)).toBe(join(lanes(R, 8).map((x, i) => (i === 13 ? mem(1) : x)), 8));
    expect(getV(c, 4)).toBe(join(Array(8).fill(le(2, 2)), 16));
    expect(getV(c, 5)).toBe(join(Array(2).fill(le(2, 4)), 32));
    for (let s = 0; s < 3; s++) expect(getV(c, 6 + s)).toBe(join(Array(16).fill(mem(2 + s)), 8));
    for (let s = 0; s < 4; s++) expect(getV(c, 9 + s)).toBe(le(7 + 8 * s, 8));
    expect(c.x[0]).toBe(BigInt(DATA_BASE + 7));
    // st1 {v1.d}[1] then st4 of halfword lane 6 over the first 8 bytes.
    const lane6 = [P, Q, R, S].flatMap((v) => lanes(lanes(v, 16)[6], 8, 2));
    expect([...res.bus.ram.subarray(OFF + 0x800, OFF + 0x808)]).toEqual(lane6.map(Number));
  });
});

describe("faults", () => {
  it("a faulting structure load leaves Vt and the base register unchanged", () => {
    const bad = 1n << 50n; // outside TTBR0's range: a translation fault even with the MMU off
    const r = runSnippetFault("ld1 {v0.16b, v1.16b}, [x0], #32", (c) => {
      c.x[0] = bad - 16n;
    });
    expect(r.exit).toBe("Abort");
    expect(r.v0).toBe(P);
    expect(r.v1).toBe(Q);
    expect(r.x0).toBe(bad - 16n);
  });

});


describe("faults with the MMU on (page-crossing accesses)", () => {
  /** Code at VA 0x10000, a writable data page at 0x20000, then 0x21000 read-only and 0x22000 unmapped. */
  function mmuRun(asm: string, x0: bigint) {
    const bus = new PhysicalBus(16 * 1024 * 1024);
    const cpu = new CpuState(0);
    const mmu = new Mmu(bus, cpu);
    let next = RAM_BASE + 0x100000;
    const alloc = () => { const pa = next; next += 4096; bus.fill(pa, 4096); return pa; };
    const root = alloc();
    const map = (va: bigint, desc: bigint) => {
      let table = root;
      for (let level = 0; level < 3; level++) {
        const slot = table + tableIndex(va, level) * 8;
        let d = bus.read(slot, 8);
        if ((d & 1n) === 0n) {
          d = makeTableDescriptor(alloc());
          bus.write(slot, 8, d);
        }
        table = Number(d & 0x0000_ffff_ffff_f000n);
      }
      bus.write(table + tableIndex(va, 3) * 8, 8, desc);
    };
    const code = alloc(), data = alloc(), ro = alloc();
    bus.writeBytes(code, new Uint8Array(assemble(asm + "\nbrk #0").buffer));
    map(0x10000n, makePageDescriptor(code, { executable: true, writable: false }));
    map(0x20000n, makePageDescriptor(data));
    map(0x21000n, makePageDescriptor(ro, { writable: false }));
    for (let k = 0; k < 4096; k++) bus.ram[data - RAM_BASE + k] = k & 0xff;
    cpu.ttbr0 = BigInt(root) | (1n << 48n);
    cpu.tcr = 16n;
    cpu.sctlr = 1n;
    mmu.contextChanged();
    for (let r = 0; r < 4; r++) setV(cpu, r, [P, Q, R, S][r]);
    cpu.x[0] = x0;
    cpu.pc = 0x10000;
    const t = new Translator(bus);
    t.attach(mmu);
    const exit = runEl0(t, cpu, mmu, 1000);
    return { exit: ExitKind[exit], cpu, dataBytes: [...bus.ram.subarray(data - RAM_BASE, data - RAM_BASE + 4096)] };
  }

  it("ST1 of two registers into a read-only second page writes nothing and reports the write fault", () => {
    const r = mmuRun("st1 {v0.16b, v1.16b}, [x0], #32", 0x20ff0n);
    expect(r.exit).toBe("Abort");
    expect((r.cpu.esr >>> 6) & 1).toBe(1); // WnR
    expect(r.cpu.far >> 12n).toBe(0x21n);
    expect(r.cpu.x[0]).toBe(0x20ff0n);
    expect(r.dataBytes.slice(0xff0)).toEqual(Array.from({ length: 16 }, (_, k) => (0xff0 + k) & 0xff));
  });

  it("LD4 running into an unmapped page leaves V0-V3 and the base unchanged; the same load within the pages completes", () => {
    const bad = mmuRun("ld4 {v0.4s, v1.4s, v2.4s, v3.4s}, [x0], #64", 0x21fe0n);
    expect(bad.exit).toBe("Abort");
    expect(bad.cpu.far >> 12n).toBe(0x22n);
    expect([0, 1, 2, 3].map((r) => getV(bad.cpu, r))).toEqual([P, Q, R, S]);
    expect(bad.cpu.x[0]).toBe(0x21fe0n);
    const ok = mmuRun("ld4 {v0.4s, v1.4s, v2.4s, v3.4s}, [x0], #64", 0x20fe0n);
    expect(ok.exit).toBe("Brk");
    expect(ok.cpu.x[0]).toBe(0x21020n);
    // Element 0 of V0 is the first word at 0x20fe0 (bytes e0 e1 e2 e3 of the data pattern).
    expect(getV(ok.cpu, 0) & 0xffffffffn).toBe(0xe3e2e1e0n);
  });
});
