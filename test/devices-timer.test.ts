import { describe, expect, it } from "vitest";
import { VirtualClock } from "../emulator/clock.js";
import { CTL_ENABLE, CTL_IMASK, CTL_ISTATUS, GenericTimer, PPI_PHYS_TIMER, PPI_VIRTUAL_TIMER } from "../emulator/devices/timer.js";
import { Rng } from "../emulator/rng.js";

/** A timer whose counter is the clock at 62.5 MHz; records (ppi, level, time). */
function setup() {
  const clock = new VirtualClock();
  const log: { ppi: number; level: boolean; atNs: number }[] = [];
  const timer = new GenericTimer(clock, () => BigInt(Math.floor(clock.now() / 16)), (ppi, level) => log.push({ ppi, level, atNs: clock.now() }));
  return { clock, log, timer };
}

describe("virtual clock", () => {
  it("runs events in time order, then in scheduling order, and honours cancel", () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.schedule(200, () => seen.push("b"));
    c.schedule(100, () => seen.push("a1"));
    const x = c.schedule(150, () => seen.push("x"));
    c.schedule(100, () => seen.push("a2"));
    c.schedule(300, (now) => {
      seen.push(`c@${now}`);
      c.schedule(now, () => seen.push("c-child"));
    });
    c.cancel(x);
    expect(c.nextEventNs()).toBe(100);
    expect(c.runDue(250)).toBe(3);
    expect(seen).toEqual(["a1", "a2", "b"]);
    c.runDue(300);
    expect(seen).toEqual(["a1", "a2", "b", "c@300", "c-child"]);
    expect(c.nextEventNs()).toBeUndefined();
    expect(() => c.advanceTo(10)).toThrow(/before now/);
  });
});

describe("seeded PRNG", () => {
  it("replays the same stream for the same seed and differs across seeds", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
    const st = a.saveState();
    const next = a.nextU32();
    b.loadState(st);
    expect(b.nextU32()).toBe(next);
    expect(new Set(sa).size).toBe(8);
  });
});

describe("generic timer", () => {
  it("fires the physical timer exactly at CVAL", () => {
    const { clock, log, timer } = setup();
    timer.phys.writeCval(1000n);
    timer.phys.writeCtl(CTL_ENABLE);
    expect(timer.phys.readCtl() & CTL_ISTATUS).toBe(0);
    expect(clock.nextEventNs()).toBe(16_000);
    clock.runDue(15_999);
    expect(log).toEqual([]);
    clock.runDue(20_000);
    expect(log).toEqual([{ ppi: PPI_PHYS_TIMER, level: true, atNs: 16_000 }]);
    expect(timer.phys.readCtl()).toBe(CTL_ENABLE | CTL_ISTATUS);
    // IMASK drops the output but ISTATUS stays.
    timer.phys.writeCtl(CTL_ENABLE | CTL_IMASK);
    expect(log.at(-1)).toEqual({ ppi: PPI_PHYS_TIMER, level: false, atNs: 20_000 });
    expect(timer.phys.readCtl()).toBe(CTL_ENABLE | CTL_IMASK | CTL_ISTATUS);
    // Moving CVAL into the future clears the condition and re-arms.
    timer.phys.writeCtl(CTL_ENABLE);
    timer.phys.writeCval(2000n);
    expect(log.at(-1)!.level).toBe(false);
    clock.runDue(40_000);
    expect(log.at(-1)).toEqual({ ppi: PPI_PHYS_TIMER, level: true, atNs: 32_000 });
  });

  it("TVAL is relative and signed 32-bit", () => {
    const { clock, log, timer } = setup();
    clock.advanceTo(1600); // counter = 100
    timer.virt.writeTval(50);
    expect(timer.virt.readCval()).toBe(150n);
    expect(timer.virt.readTval()).toBe(50);
    timer.virt.writeCtl(CTL_ENABLE);
    clock.runDue(2399);
    expect(log).toEqual([]);
    clock.runDue(2400);
    expect(log).toEqual([{ ppi: PPI_VIRTUAL_TIMER, level: true, atNs: 2400 }]);
    clock.runDue(3200); // counter 200: 50 ticks past the deadline
    expect(timer.virt.readTval()).toBe(-50);
    timer.virt.writeTval(-1); // already expired: stays asserted
    expect(timer.virt.asserted).toBe(true);
    timer.virt.writeTval(0x7fffffff);
    expect(timer.virt.asserted).toBe(false);
    expect(timer.virt.readCval()).toBe(200n + 0x7fffffffn);
  });

  it("a disabled timer never fires and schedules nothing", () => {
    const { clock, log, timer } = setup();
    timer.phys.writeTval(10);
    expect(clock.nextEventNs()).toBeUndefined();
    clock.runDue(1_000_000);
    expect(log).toEqual([]);
    expect(timer.phys.readCtl() & CTL_ISTATUS).toBe(0);
  });
});
