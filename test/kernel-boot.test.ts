// Kernel boot: the boot log on the serial console, the 1 kHz tick on every
// CPU through the GIC and the generic timer, and determinism of the trace.

import { describe, expect, it } from "vitest";
import { Kernel } from "../viperdos/kernel/kernel.js";

function bootKernel(cpus = 4) {
  const out: number[] = [];
  const k = new Kernel({ cpus, onConsole: (b) => out.push(...b) });
  k.boot();
  return { k, text: () => Buffer.from(out).toString("utf8") };
}

describe("kernel boot", () => {
  it("prints a boot log naming the CPUs, memory and probed devices", () => {
    const { text } = bootKernel();
    const log = text();
    expect(log).toContain("ViperDOS 0.1");
    expect(log).toMatch(/cpu: 4 x AArch64/);
    expect(log).toMatch(/mem: 128 MiB RAM at 0x40000000 \(32768 pages/);
    expect(log).toMatch(/gic: GICv2 .* 96 interrupt lines/);
    expect(log).toMatch(/virtio-mmio: slot 0 at 0xa000000 \(INTID 48\): entropy \(rng\)/);
    expect(log).toMatch(/rtc: PL031 at 0x09010000: 2026-01-01 00:00:00 UTC/);
  });

  it("ticks every CPU at 1 kHz in virtual time", () => {
    const { k } = bootKernel(4);
    k.runUntil(100_000_000); // 100 ms
    for (const p of k.percpu) {
      expect(p.ticks).toBeGreaterThanOrEqual(99);
      expect(p.ticks).toBeLessThanOrEqual(100);
    }
    expect(k.machine.now()).toBe(100_000_000);
  });

  it("two boots with the same seed give the same console output and trace hash", () => {
    const a = bootKernel(2);
    const b = bootKernel(2);
    a.k.runUntil(20_000_000);
    b.k.runUntil(20_000_000);
    expect(a.text()).toBe(b.text());
    expect(a.k.trace.hash()).toBe(b.k.trace.hash());
    expect(a.k.trace.total).toBeGreaterThan(30);
    // A different run length changes the hash.
    a.k.runUntil(21_000_000);
    expect(a.k.trace.hash()).not.toBe(b.k.trace.hash());
  });
});
