// The Kernel object: owns the machine and every kernel subsystem, boots it
// (drivers, boot log) and runs it by handling each CPU's exits from EL0
// (machine.run hooks). See DESIGN.md for the parts and their contracts.

import { Machine } from "../../emulator/machine.js";
import { ExitKind } from "../../emulator/cpu/state.js";
import { RAM_BASE } from "../../emulator/bus.js";
import { defaultCostModel, type CostModel } from "./arch/cost.js";
import { GicDriver, INTID_SPURIOUS } from "./arch/gic.js";
import { INTID_UART, UartConsole } from "./console/uart.js";
import { probeVirtio, type VirtioDeviceInfo } from "./drivers/virtio-probe.js";
import { Trace, TraceKind } from "./inspect/trace.js";

export const KERNEL_VERSION = "0.1";
/** Scheduler tick: 1 kHz (VIPERDOS.md). */
export const TICK_HZ = 1000;
/** EL1 physical timer PPI. */
export const INTID_PHYS_TIMER = 30;
/** The 62.5 MHz counter ticks per scheduler tick. */
const COUNTER_HZ = 62_500_000;
const TICKS_PER_SCHED_TICK = BigInt(COUNTER_HZ / TICK_HZ);

export interface KernelOptions {
  /** 1..4 CPUs (default 4). */
  cpus?: number;
  /** RAM in MiB (default 128). */
  ramMiB?: number;
  /** Seed of every random device (default 1). */
  seed?: number;
  /** RTC reading at virtual time 0, seconds since 1970 (default: a fixed date, for determinism). */
  rtcEpochSeconds?: number;
  /** Serial console output. */
  onConsole?: (bytes: Uint8Array) => void;
}

/** A fixed default RTC epoch (2026-01-01T00:00:00Z) keeps runs reproducible. */
export const DEFAULT_RTC_EPOCH = 1_767_225_600;

export interface PerCpu {
  /** Scheduler ticks taken on this CPU. */
  ticks: number;
  /** Interrupts taken on this CPU. */
  irqs: number;
}

export class Kernel {
  readonly machine: Machine;
  readonly gic: GicDriver;
  readonly console: UartConsole;
  readonly trace = new Trace();
  readonly cost: CostModel = defaultCostModel();
  readonly percpu: PerCpu[];
  devices: VirtioDeviceInfo[] = [];
  booted = false;

  constructor(readonly opts: KernelOptions = {}) {
    this.machine = new Machine({
      cpus: opts.cpus ?? 4,
      ramMiB: opts.ramMiB ?? 128,
      seed: opts.seed ?? 1,
      rtcEpochSeconds: opts.rtcEpochSeconds ?? DEFAULT_RTC_EPOCH,
      onUartByte: opts.onConsole ? (b: number) => opts.onConsole!(Uint8Array.of(b)) : undefined,
    });
    this.gic = new GicDriver(this.machine);
    this.console = new UartConsole(this.machine);
    this.percpu = this.machine.cpus.map(() => ({ ticks: 0, irqs: 0 }));
  }

  /** Kernel log line on the serial console, stamped with virtual time like dmesg. */
  log(msg: string): void {
    const t = this.machine.now() / 1e9;
    this.console.write(`[${t.toFixed(6).padStart(12)}] ${msg}\n`);
  }

  /** Bring up drivers and every CPU's tick, printing the boot log. */
  boot(): void {
    if (this.booted) throw new Error("Kernel.boot: already booted");
    const m = this.machine;
    this.console.init();
    this.console.write(`\nViperDOS ${KERNEL_VERSION} (ViperDOS Lab, TypeScript kernel on an emulated AArch64 virt machine)\n`);
    this.gic.init();
    const ramBytes = m.bus.ramSize;
    this.log(`cpu: ${m.cpus.length} x AArch64 (Cortex-A72 class) at 1 GHz virtual, generic timer ${COUNTER_HZ / 1e6} MHz`);
    this.log(`mem: ${ramBytes / 2 ** 20} MiB RAM at 0x${RAM_BASE.toString(16)} (${ramBytes / 4096} pages of 4 KiB)`);
    this.log(`gic: GICv2 distributor 0x08000000, CPU interface 0x08010000, ${this.gic.lines} interrupt lines`);
    this.log(`uart: PL011 at 0x09000000 (INTID ${INTID_UART}), console`);
    this.log(`rtc: PL031 at 0x09010000: ${this.rtcDate().toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")}`);
    this.devices = probeVirtio(m);
    for (const d of this.devices) {
      this.log(`virtio-mmio: slot ${d.slot} at 0x${d.base.toString(16)} (INTID ${d.intid}): ${d.name}`);
    }
    this.gic.enable(INTID_UART, 0);
    for (let cpu = 0; cpu < m.cpus.length; cpu++) {
      this.gic.enable(INTID_PHYS_TIMER, cpu);
      this.armTick(cpu);
    }
    this.log(`sched: tick ${TICK_HZ} Hz on ${m.cpus.length} CPUs`);
    this.booted = true;
  }

  /** Wall-clock date the RTC reports now (seconds resolution). */
  rtcDate(): Date {
    const secs = this.machine.bus.read32(0x0901_0000);
    return new Date(secs * 1000);
  }

  /** Program CPU `cpu`'s physical timer for the next scheduler tick. */
  private armTick(cpu: number): void {
    const t = this.machine.cpus[cpu].timer.phys;
    const now = this.machine.counter(cpu);
    t.writeCval(now - (now % TICKS_PER_SCHED_TICK) + TICKS_PER_SCHED_TICK);
    t.writeCtl(1); // ENABLE, not masked
  }

  /**
   * Handle IRQs pending on `cpu`: acknowledge each at the GIC, dispatch it,
   * and signal end of interrupt. Returns the number handled.
   */
  handleIrqs(cpu: number): number {
    let n = 0;
    for (;;) {
      const { intid, raw } = this.gic.acknowledge(cpu);
      if (intid === INTID_SPURIOUS) break;
      n++;
      this.percpu[cpu].irqs++;
      this.trace.record(this.machine.now(), cpu, TraceKind.Irq, 0, intid);
      if (intid === INTID_PHYS_TIMER) {
        this.percpu[cpu].ticks++;
        this.armTick(cpu);
        this.machine.charge(cpu, this.cost.timerTick);
      } else if (intid === INTID_UART) {
        this.console.onInterrupt();
      }
      this.gic.endOfInterrupt(cpu, raw);
    }
    return n;
  }

  /**
   * The machine's exit hook for CPU `cpu`. With no process support yet an
   * idle CPU only takes interrupts; it goes back to WFI afterwards.
   */
  onExit(cpu: number, exit: ExitKind): void {
    this.machine.charge(cpu, this.cost.exceptionEntry);
    if (exit === ExitKind.Irq) this.handleIrqs(cpu);
    this.machine.idle(cpu);
  }

  /** Run until virtual time `untilNs` (or until nothing can happen). */
  runUntil(untilNs: number): void {
    this.machine.run({ onExit: (cpu, exit) => this.onExit(cpu, exit) }, { untilNs });
  }
}
