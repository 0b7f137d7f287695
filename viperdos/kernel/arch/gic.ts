// GICv2 driver (ARM IHI 0048B): the kernel's view of the interrupt
// controller, through MMIO only. Distributor at 0x0800_0000, CPU interface at
// 0x0801_0000; banked registers (SGI/PPI enables, the CPU interface) are
// reached for CPU i after machine.setCurrentCpu(i), as hardware banks them
// by the accessing core.

import type { Machine } from "../../../emulator/machine.js";

export const GICD_BASE = 0x0800_0000;
export const GICC_BASE = 0x0801_0000;

// Distributor register offsets (IHI 0048B table 4-1).
const GICD_CTLR = 0x000;
const GICD_TYPER = 0x004;
const GICD_ISENABLER = 0x100;
const GICD_ICENABLER = 0x180;
const GICD_IPRIORITYR = 0x400;
const GICD_ITARGETSR = 0x800;
const GICD_SGIR = 0xf00;
// CPU interface register offsets (table 4-2).
const GICC_CTLR = 0x00;
const GICC_PMR = 0x04;
const GICC_IAR = 0x0c;
const GICC_EOIR = 0x10;

export const INTID_SPURIOUS = 1023;
/** Priority given to every interrupt we enable (lower = more urgent). */
const DEFAULT_PRIORITY = 0xa0;

export class GicDriver {
  /** Number of interrupt IDs the distributor implements (from GICD_TYPER). */
  readonly lines: number;

  constructor(private readonly machine: Machine) {
    const typer = machine.bus.read32(GICD_BASE + GICD_TYPER);
    this.lines = 32 * ((typer & 0x1f) + 1);
  }

  /** Enable the distributor and every CPU's interface with an open priority mask. */
  init(): void {
    const bus = this.machine.bus;
    bus.write32(GICD_BASE + GICD_CTLR, 1);
    for (let cpu = 0; cpu < this.machine.cpus.length; cpu++) {
      this.machine.setCurrentCpu(cpu);
      bus.write32(GICC_BASE + GICC_PMR, 0xff);
      bus.write32(GICC_BASE + GICC_CTLR, 1);
    }
  }

  /**
   * Enable interrupt `intid`. SPIs (>= 32) are routed to `targetMask`
   * (bit per CPU); SGIs/PPIs (< 32) are enabled in `cpu`'s bank.
   */
  enable(intid: number, cpu: number, targetMask = 1 << cpu): void {
    const bus = this.machine.bus;
    this.machine.setCurrentCpu(cpu);
    bus.write(GICD_BASE + GICD_IPRIORITYR + intid, 1, BigInt(DEFAULT_PRIORITY));
    if (intid >= 32) bus.write(GICD_BASE + GICD_ITARGETSR + intid, 1, BigInt(targetMask & 0xff));
    bus.write32(GICD_BASE + GICD_ISENABLER + 4 * (intid >>> 5), 1 << (intid & 31));
  }

  disable(intid: number, cpu: number): void {
    this.machine.setCurrentCpu(cpu);
    this.machine.bus.write32(GICD_BASE + GICD_ICENABLER + 4 * (intid >>> 5), 1 << (intid & 31));
  }

  /** Acknowledge the highest-priority pending interrupt on `cpu` (GICC_IAR); INTID_SPURIOUS if none. */
  acknowledge(cpu: number): { intid: number; raw: number } {
    this.machine.setCurrentCpu(cpu);
    const raw = this.machine.bus.read32(GICC_BASE + GICC_IAR);
    return { intid: raw & 0x3ff, raw };
  }

  /** Signal end of interrupt (priority drop + deactivate) for the IAR value `raw`. */
  endOfInterrupt(cpu: number, raw: number): void {
    this.machine.setCurrentCpu(cpu);
    this.machine.bus.write32(GICC_BASE + GICC_EOIR, raw);
  }

  /** Send SGI `sgi` (0..15) from `fromCpu` to the CPUs in `targetMask` (a reschedule IPI). */
  sendSgi(fromCpu: number, sgi: number, targetMask: number): void {
    this.machine.setCurrentCpu(fromCpu);
    this.machine.bus.write32(GICD_BASE + GICD_SGIR, ((targetMask & 0xff) << 16) | (sgi & 0xf));
  }
}
