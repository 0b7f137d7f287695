import { describe, expect, it } from "vitest";
import { Gic, GICC, GICD, INTID_SPURIOUS } from "../emulator/devices/gic.js";

/** A GIC for `n` CPUs with plain IRQ sinks and word accessors per CPU. */
function setup(n = 4) {
  const sinks = Array.from({ length: n }, () => ({ irqLine: false }));
  const gic = new Gic(sinks);
  const d = (cpu: number) => gic.distributorFor(cpu);
  const c = (cpu: number) => gic.cpuInterfaceFor(cpu);
  const rd = (cpu: number, off: number) => d(cpu).read(off, 4);
  const wr = (cpu: number, off: number, v: number) => d(cpu).write(off, 4, v);
  const crd = (cpu: number, off: number) => c(cpu).read(off, 4);
  const cwr = (cpu: number, off: number, v: number) => c(cpu).write(off, 4, v);
  const enableIrq = (cpu: number, id: number) => wr(cpu, GICD.ISENABLER + 4 * (id >> 5), 1 << (id & 31));
  const prio = (cpu: number, id: number, p: number) => d(cpu).write(GICD.IPRIORITYR + id, 1, p);
  const target = (id: number, mask: number) => d(0).write(GICD.ITARGETSR + id, 1, mask);
  // Forward group 0, open every CPU interface with the lowest mask.
  wr(0, GICD.CTLR, 1);
  for (let i = 0; i < n; i++) {
    cwr(i, GICC.CTLR, 1);
    cwr(i, GICC.PMR, 0xff);
  }
  return { gic, sinks, d, c, rd, wr, crd, cwr, enableIrq, prio, target };
}

describe("GICv2 distributor and CPU interface", () => {
  it("reports its geometry in GICD_TYPER and IIDR", () => {
    const g = setup(3);
    const typer = g.rd(0, GICD.TYPER);
    expect(typer & 0x1f).toBe(2); // ITLinesNumber: 96 INTIDs
    expect((typer >> 5) & 7).toBe(2); // CPUNumber = 3 - 1
    expect(g.rd(0, GICD.IIDR)).not.toBe(0);
    expect(g.crd(0, GICC.IIDR)).not.toBe(0);
  });

  it("signals an enabled level SPI to its target, acknowledges, EOIs", () => {
    const g = setup(2);
    g.target(40, 0b01);
    g.prio(0, 40, 0xa0);
    g.gic.setSpi(40, true);
    expect(g.sinks[0].irqLine).toBe(false); // not enabled yet
    expect(g.rd(0, GICD.ISPENDR + 4) & (1 << 8)).not.toBe(0); // but pending
    g.enableIrq(0, 40);
    expect(g.sinks[0].irqLine).toBe(true);
    expect(g.sinks[1].irqLine).toBe(false);
    expect(g.crd(0, GICC.HPPIR)).toBe(40);
    expect(g.crd(1, GICC.IAR)).toBe(INTID_SPURIOUS); // CPU 1 is not a target
    expect(g.crd(0, GICC.IAR)).toBe(40);
    expect(g.sinks[0].irqLine).toBe(false); // active now
    expect(g.crd(0, GICC.RPR)).toBe(0xa0);
    expect(g.rd(0, GICD.ISACTIVER + 4) & (1 << 8)).not.toBe(0);
    g.cwr(0, GICC.EOIR, 40);
    expect(g.crd(0, GICC.RPR)).toBe(0xff);
    expect(g.rd(0, GICD.ISACTIVER + 4) & (1 << 8)).toBe(0);
    // Still asserted (level): pending again.
    expect(g.sinks[0].irqLine).toBe(true);
    g.gic.setSpi(40, false);
    expect(g.sinks[0].irqLine).toBe(false);
    expect(g.crd(0, GICC.IAR)).toBe(INTID_SPURIOUS);
  });

  it("latches an edge-triggered SPI after the line drops; ICPENDR clears it", () => {
    const g = setup(1);
    g.wr(0, GICD.ICFGR + 8, 2 << 2); // INTID 33 edge
    expect((g.rd(0, GICD.ICFGR + 8) >> 2) & 3).toBe(2);
    g.target(33, 1);
    g.enableIrq(0, 33);
    g.gic.setSpi(33, true);
    g.gic.setSpi(33, false);
    expect(g.sinks[0].irqLine).toBe(true);
    g.wr(0, GICD.ICPENDR + 4, 1 << 1);
    expect(g.sinks[0].irqLine).toBe(false);
    g.wr(0, GICD.ISPENDR + 4, 1 << 1); // software pending
    expect(g.crd(0, GICC.IAR)).toBe(33);
    g.cwr(0, GICC.EOIR, 33);
    expect(g.crd(0, GICC.IAR)).toBe(INTID_SPURIOUS); // edge consumed
  });

  it("orders by priority, lowest INTID first among equals; preempts only with higher priority", () => {
    const g = setup(1);
    for (const [id, p] of [[50, 0x80], [45, 0x40], [60, 0x40]] as const) {
      g.target(id, 1);
      g.prio(0, id, p);
      g.enableIrq(0, id);
      g.gic.setSpi(id, true);
    }
    expect(g.crd(0, GICC.IAR)).toBe(45);
    // 60 has the same priority as the running 45: no preemption.
    expect(g.sinks[0].irqLine).toBe(false);
    expect(g.crd(0, GICC.IAR)).toBe(INTID_SPURIOUS);
    g.cwr(0, GICC.EOIR, 45);
    g.gic.setSpi(45, false);
    expect(g.crd(0, GICC.IAR)).toBe(60);
    g.cwr(0, GICC.EOIR, 60);
    g.gic.setSpi(60, false);
    // Now a low-priority one is active and a higher one arrives: preemption.
    expect(g.crd(0, GICC.IAR)).toBe(50);
    g.prio(0, 61, 0x10);
    g.target(61, 1);
    g.enableIrq(0, 61);
    g.gic.setSpi(61, true);
    expect(g.sinks[0].irqLine).toBe(true);
    expect(g.crd(0, GICC.IAR)).toBe(61);
    expect(g.crd(0, GICC.RPR)).toBe(0x10);
    g.cwr(0, GICC.EOIR, 61);
    expect(g.crd(0, GICC.RPR)).toBe(0x80);
  });

  it("masks priorities at or below PMR and honours the enable bits", () => {
    const g = setup(1);
    g.target(40, 1);
    g.prio(0, 40, 0x80);
    g.enableIrq(0, 40);
    g.gic.setSpi(40, true);
    g.cwr(0, GICC.PMR, 0x80);
    expect(g.sinks[0].irqLine).toBe(false);
    expect(g.crd(0, GICC.IAR)).toBe(INTID_SPURIOUS);
    g.cwr(0, GICC.PMR, 0x81);
    expect(g.sinks[0].irqLine).toBe(true);
    g.wr(0, GICD.ICENABLER + 4, 1 << 8);
    expect(g.sinks[0].irqLine).toBe(false);
    g.enableIrq(0, 40);
    g.wr(0, GICD.CTLR, 0);
    expect(g.sinks[0].irqLine).toBe(false);
    g.wr(0, GICD.CTLR, 1);
    g.cwr(0, GICC.CTLR, 0);
    expect(g.sinks[0].irqLine).toBe(false);
    g.cwr(0, GICC.CTLR, 1);
    expect(g.sinks[0].irqLine).toBe(true);
  });

  it("EOImode splits priority drop from deactivation (GICC_DIR)", () => {
    const g = setup(1);
    g.cwr(0, GICC.CTLR, 1 | (1 << 9));
    g.target(40, 1);
    g.enableIrq(0, 40);
    g.gic.setSpi(40, true);
    expect(g.crd(0, GICC.IAR)).toBe(40);
    g.cwr(0, GICC.EOIR, 40);
    expect(g.crd(0, GICC.RPR)).toBe(0xff);
    expect(g.sinks[0].irqLine).toBe(false); // still active
    g.c(0).write(GICC.DIR, 4, 40);
    expect(g.sinks[0].irqLine).toBe(true);
  });

  it("routes SGIs by target list and filter, with the source in IAR", () => {
    const g = setup(4);
    for (let i = 0; i < 4; i++) g.enableIrq(i, 3);
    g.wr(0, GICD.SGIR, (0 << 24) | (0b0110 << 16) | 3); // CPUs 1 and 2
    expect(g.sinks.map((s) => s.irqLine)).toEqual([false, true, true, false]);
    expect(g.crd(1, GICC.IAR)).toBe(3 | (0 << 10));
    g.cwr(1, GICC.EOIR, 3);
    g.wr(3, GICD.SGIR, (1 << 24) | 3); // all but CPU 3
    expect(g.sinks.map((s) => s.irqLine)).toEqual([true, true, true, false]);
    // CPU 2 has SGI 3 pending from sources 0 and 3: lowest source first.
    expect((g.rd(2, GICD.SPENDSGIR) >>> 24) & 0xff).toBe(0b1001); // byte 3 = SGI 3
    expect(g.crd(2, GICC.IAR)).toBe(3 | (0 << 10));
    g.cwr(2, GICC.EOIR, 3 | (0 << 10));
    expect(g.crd(2, GICC.IAR)).toBe(3 | (3 << 10));
    g.cwr(2, GICC.EOIR, 3 | (3 << 10));
    expect(g.crd(2, GICC.IAR)).toBe(INTID_SPURIOUS);
    g.wr(2, GICD.SGIR, (2 << 24) | 5); // self only (SGI 5 not enabled yet)
    expect((g.rd(2, GICD.SPENDSGIR + 4) >>> 8) & 0xff).toBe(1 << 2); // byte 5 = SGI 5
    expect((g.rd(1, GICD.SPENDSGIR + 4) >>> 8) & 0xff).toBe(0);
    g.d(2).write(GICD.CPENDSGIR + 5, 1, 1 << 2);
    expect(g.rd(2, GICD.SPENDSGIR + 4)).toBe(0);
  });

  it("banks SGI/PPI enables, priorities and pending state per CPU", () => {
    const g = setup(2);
    g.enableIrq(1, 30);
    g.gic.setPpi(0, 30, true);
    expect(g.sinks.map((s) => s.irqLine)).toEqual([false, false]); // CPU 0's PPI 30 is disabled
    g.gic.setPpi(1, 30, true);
    expect(g.sinks.map((s) => s.irqLine)).toEqual([false, true]);
    g.prio(1, 30, 0x20);
    expect(g.d(0).read(GICD.IPRIORITYR + 30, 1)).toBe(0);
    expect(g.d(1).read(GICD.IPRIORITYR + 30, 1)).toBe(0x20);
    // ITARGETSR for banked INTIDs reads as the reading CPU's bit.
    expect(g.d(0).read(GICD.ITARGETSR + 30, 1)).toBe(1);
    expect(g.d(1).read(GICD.ITARGETSR + 30, 1)).toBe(2);
    expect(g.crd(1, GICC.IAR)).toBe(30);
    expect(g.crd(0, GICC.IAR)).toBe(INTID_SPURIOUS);
  });

  it("uses the current CPU's bank for the shared windows", () => {
    const g = setup(2);
    g.enableIrq(1, 27);
    g.gic.setPpi(1, 27, true);
    g.gic.currentCpu = 0;
    expect(g.gic.cpuInterface.read(GICC.IAR, 4)).toBe(INTID_SPURIOUS);
    g.gic.currentCpu = 1;
    expect(g.gic.distributor.read(GICD.ISENABLER, 4) & (1 << 27)).not.toBe(0);
    expect(g.gic.cpuInterface.read(GICC.IAR, 4)).toBe(27);
  });

  it("saves and restores its state", () => {
    const a = setup(2);
    a.target(40, 2);
    a.enableIrq(0, 40);
    a.gic.setSpi(40, true);
    const b = setup(2);
    b.gic.loadState(JSON.parse(JSON.stringify(a.gic.saveState())));
    expect(b.sinks[1].irqLine).toBe(true);
    expect(b.crd(1, GICC.IAR)).toBe(40);
  });
});
