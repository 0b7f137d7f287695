// The "virt" machine around the CPUs (QEMU virt layout, VIPERDOS.md
// "Machine"): RAM, GICv2, per-CPU generic timers, PL011, PL031, 32
// virtio-mmio slots, a virtual clock, a seeded PRNG, and the run loop the
// host-side kernel drives.
//
// Physical map:
//   0x0800_0000 GICv2 distributor      0x0801_0000 GICv2 CPU interface
//   0x0900_0000 PL011 (INTID 33)       0x0901_0000 PL031 (INTID 34)
//   0x0A00_0000 + n*0x200 virtio-mmio slot n (INTID 48+n), n = 0..31
//   0x4000_0000 RAM (ramMiB, default 128)
// Timer PPIs: EL1 physical 30, virtual 27; counter 62.5 MHz.
//
// Banked GIC registers: bus accesses to the GIC use the bank of the
// "current CPU". run() sets it to CPU i before running i and before calling
// hooks.onExit(i, ...); host code acting for CPU i at other times must call
// setCurrentCpu(i) first.
//
// Time and determinism (consistent with cpu/state.ts: INSNS_PER_NS = 1,
// INSNS_PER_COUNTER_TICK = 16):
// - Virtual time is the clock's nanosecond count. A CPU retires one
//   instruction per ns; the kernel charges its own work with charge(i, ns).
// - CPUs are interleaved round-robin in index order. A round lasts
//   `quantumNs` (default 10 µs = 10_000 instructions), shortened so it ends
//   exactly at the next clock event (timer deadline) or at `untilNs`.
//   Within a round each running CPU executes (runEl0) until it has used the
//   round, handling each exit through hooks.onExit. Time a CPU uses beyond
//   the round (block overshoot, charges) is carried into its next round.
// - CPU i's view of time (CNTVCT_EL0, its timers' counter) is the clock
//   plus its progress in the current round, so it never goes backwards.
//   Interactions between CPUs inside one round (an SGI, a shared counter)
//   may be skewed by up to one quantum, identically on every run. A clock
//   event the kernel schedules during a round for a time inside it ends the
//   round at that time for the CPUs still to run; CPUs that already ran past
//   it see it late (by less than a quantum) and carry the excess.
// - A CPU marked idle (the kernel calls idle(i) on ExitKind.Wfi or when it
//   has nothing to run) executes nothing until its irqLine is high. An idle
//   CPU whose irqLine rises during another CPU's exit (an SGI) resumes in
//   the same round, no earlier than the point the waking CPU had reached;
//   the round makes further passes over the CPUs while such wake-ups
//   happen (so a CPU woken by a higher-numbered one does not wait for the
//   next round). When every CPU is idle the clock jumps straight to the
//   next event; with no event left, run() returns "idle".
// - An exit that consumed no time (no instruction retired, nothing charged)
//   is charged 1 ns, so a kernel that ignores an IRQ cannot hang the loop.
// - Exclusive monitors: every CPU's reservation is cleared whenever the
//   loop switches to a different CPU. A store-exclusive may then fail
//   spuriously, which the architecture allows; LDXR/STXR loops retry.
// - Same options + same program + same inputs => the same run. Nothing
//   reads the wall clock or Math.random.

import { PhysicalBus } from "./bus.js";
import { VirtualClock } from "./clock.js";
import { Rng } from "./rng.js";
import { CpuState, ExitKind, INSNS_PER_NS, NO_EXCLUSIVE } from "./cpu/state.js";
import { runEl0, Translator } from "./cpu/translate.js";
import { Mmu } from "./mmu/mmu.js";
import { Gic, GicState } from "./devices/gic.js";
import { GenericTimer, GenericTimerState, NS_PER_COUNTER_TICK } from "./devices/timer.js";
import { Pl011, Pl011State } from "./devices/pl011.js";
import { Pl031, Pl031State } from "./devices/pl031.js";
import { VirtioBackend, VirtioMmio, VirtioMmioState, VIRTIO_MMIO_SLOT_SIZE } from "./devices/virtio-mmio.js";
import { VirtioRng } from "./devices/virtio-rng.js";

export const GICD_BASE = 0x0800_0000;
export const GICC_BASE = 0x0801_0000;
export const UART_BASE = 0x0900_0000;
export const RTC_BASE = 0x0901_0000;
export const VIRTIO_BASE = 0x0a00_0000;
export const VIRTIO_SLOTS = 32;
export const INTID_UART = 33;
export const INTID_RTC = 34;
export const INTID_VIRTIO0 = 48;
export const DEFAULT_QUANTUM_NS = 10_000;
/** Charged for an exit that consumed no time (see header). */
export const MIN_EXIT_NS = 1;

const TURN_DONE = 0;
const TURN_WOKE_OTHER = 1;
const TURN_STOPPED = 2;

export interface MachineOptions {
  /** 1..4 CPUs (default 4). */
  cpus?: number;
  ramMiB?: number;
  /** PRNG seed for every random device (default 1). */
  seed?: number;
  /** PL031 reading at virtual time 0 (default 0). */
  rtcEpochSeconds?: number;
  onUartByte?: (byte: number) => void;
  /** Put a virtio-rng in slot 0 (default true). */
  virtioRng?: boolean;
  /** Round length in ns (default 10 µs). */
  quantumNs?: number;
}

/** One CPU with its MMU and timer. */
export interface MachineCpu {
  readonly index: number;
  readonly state: CpuState;
  readonly mmu: Mmu;
  readonly timer: GenericTimer;
}

export interface RunHooks {
  /**
   * CPU `cpuIndex` left EL0 with `exit` (never Budget). The kernel handles it:
   * may change registers, TTBR0 (then mmu.contextChanged()), charge time,
   * or mark the CPU idle.
   */
  onExit(cpuIndex: number, exit: ExitKind): void;
  /** Polled between rounds and after each exit; true ends run() with "stopped". */
  shouldStop?(): boolean;
  /**
   * Polled only between rounds (never mid-round); true ends run() with
   * "paused". For conditions outside the guest, such as a wall-clock slice:
   * stopping mid-round at a wall-time instant would move the next round's
   * boundaries and so change the run, while a pause at a round boundary
   * followed by another run() continues exactly as one run would.
   */
  shouldPause?(): boolean;
}

export interface RunLimits {
  /** Stop when virtual time reaches this (ns). */
  untilNs?: number;
  /** Stop after about this many instructions in this call (checked per round). */
  maxInsns?: number;
}

/**
 * Why run() returned: "idle" = every CPU idle and no clock event pending
 * (time does not advance further; new host input or a wake(i) is needed),
 * "until" = limits.untilNs reached, "maxInsns" = limits.maxInsns reached,
 * "stopped" = hooks.shouldStop() returned true.
 */
export type RunResult = "idle" | "until" | "maxInsns" | "stopped" | "paused";

/** Inspection figures. */
export interface MachineCounters {
  nowNs: number;
  rounds: number;
  /** Virtual ns skipped while every CPU was idle. */
  idleSkippedNs: number;
  retired: number[];
  exits: number[];
  idle: boolean[];
  online: boolean[];
}

export interface MachineState {
  clock: { nowNs: number };
  rng: ReturnType<Rng["saveState"]>;
  progress: number[];
  idle: boolean[];
  online: boolean[];
  gic: GicState;
  timers: GenericTimerState[];
  uart: Pl011State;
  rtc: Pl031State;
  virtio: VirtioMmioState[];
}

export class Machine {
  readonly bus: PhysicalBus;
  readonly clock = new VirtualClock();
  readonly rng: Rng;
  readonly translator: Translator;
  readonly cpus: MachineCpu[] = [];
  readonly gic: Gic;
  readonly uart: Pl011;
  readonly rtc: Pl031;
  readonly virtio: VirtioMmio[] = [];
  readonly quantumNs: number;
  /** ns CPU i has used in the current round (may exceed it: carried over). */
  private readonly progress: number[];
  /** cpu.retired when progress was last brought up to date. */
  private readonly retiredMark: number[];
  private readonly idleFlags: boolean[];
  /** Powered-on CPUs (PSCI CPU_ON / CPU_OFF); all are on at construction. */
  private readonly online: boolean[];
  private lastRan = -1;
  /** Length of the current round in ns (may shrink during it, see runRound). */
  private roundLen = 0;
  private rounds = 0;
  private idleSkippedNs = 0;
  private readonly exitCounts: number[];
  /** Progress of the CPU whose exit raised idle CPU i's irqLine this round, or -1. */
  private readonly wokenAt: number[];

  /** Build the machine; throws for an unsupported CPU count or RAM size. */
  constructor(opts: MachineOptions = {}) {
    const n = opts.cpus ?? 4;
    if (!Number.isInteger(n) || n < 1 || n > 4) throw new Error(`Machine: ${n} CPUs (must be 1..4)`);
    this.quantumNs = opts.quantumNs ?? DEFAULT_QUANTUM_NS;
    if (!Number.isInteger(this.quantumNs) || this.quantumNs < 1) throw new Error(`Machine: quantum ${this.quantumNs} ns must be a positive integer`);
    this.bus = new PhysicalBus((opts.ramMiB ?? 128) * 1024 * 1024);
    this.rng = new Rng(opts.seed ?? 1);
    this.translator = new Translator(this.bus);
    this.progress = new Array<number>(n).fill(0);
    this.retiredMark = new Array<number>(n).fill(0);
    this.idleFlags = new Array<boolean>(n).fill(false);
    this.online = new Array<boolean>(n).fill(true);
    this.exitCounts = new Array<number>(n).fill(0);
    this.wokenAt = new Array<number>(n).fill(-1);

    const states = Array.from({ length: n }, (_, i) => new CpuState(i));
    this.gic = new Gic(states);
    for (let i = 0; i < n; i++) {
      const state = states[i];
      const mmu = new Mmu(this.bus, state);
      this.translator.attach(mmu);
      state.readCounter = (inBlock) => this.counterAt(i, inBlock);
      const timer = new GenericTimer(this.clock, () => this.counter(i), (ppi, level) => this.gic.setPpi(i, ppi, level));
      this.cpus.push({ index: i, state, mmu, timer });
    }

    this.uart = new Pl011({ onTransmit: opts.onUartByte, irq: (l) => this.gic.setSpi(INTID_UART, l) });
    this.rtc = new Pl031(this.clock, { epochSeconds: opts.rtcEpochSeconds, irq: (l) => this.gic.setSpi(INTID_RTC, l) });
    this.bus.map(GICD_BASE, this.gic.distributor);
    this.bus.map(GICC_BASE, this.gic.cpuInterface);
    this.bus.map(UART_BASE, this.uart);
    this.bus.map(RTC_BASE, this.rtc);
    for (let s = 0; s < VIRTIO_SLOTS; s++) {
      const dev = new VirtioMmio(this.bus, s, (l) => this.gic.setSpi(INTID_VIRTIO0 + s, l));
      this.virtio.push(dev);
      this.bus.map(VIRTIO_BASE + s * VIRTIO_MMIO_SLOT_SIZE, dev);
    }
    if (opts.virtioRng ?? true) this.attachVirtio(new VirtioRng(this.rng));
  }

  /** Plug `backend` into the lowest empty virtio-mmio slot; returns the slot (INTID 48+slot). Throws when full. */
  attachVirtio(backend: VirtioBackend): number {
    const slot = this.virtio.findIndex((d) => d.backend === undefined);
    if (slot < 0) throw new Error("Machine.attachVirtio: all 32 slots are in use");
    this.virtio[slot].plug(backend);
    return slot;
  }

  /** Physical address of virtio-mmio slot `slot`. */
  virtioBase(slot: number): number {
    return VIRTIO_BASE + slot * VIRTIO_MMIO_SLOT_SIZE;
  }

  // --- Time --------------------------------------------------------------------

  /** Global virtual time in ns (start of the current round while running). */
  now(): number {
    return this.clock.now();
  }

  /** CPU i's view of virtual time: the clock plus its progress in the round. */
  cpuTimeNs(i: number): number {
    return this.clock.now() + this.progress[i] + (this.cpus[i].state.retired - this.retiredMark[i]) / INSNS_PER_NS;
  }

  /** CNTPCT/CNTVCT as CPU i sees it now. */
  counter(i: number): bigint {
    return this.counterAt(i, 0);
  }

  private counterAt(i: number, inBlock: number): bigint {
    return BigInt(Math.floor((this.cpuTimeNs(i) + inBlock / INSNS_PER_NS) / NS_PER_COUNTER_TICK));
  }

  /** Charge `ns` of kernel work to CPU i (advances its view of time). */
  charge(i: number, ns: number): void {
    if (!(ns >= 0)) throw new Error(`Machine.charge: bad duration ${ns}`);
    this.progress[i] += ns;
  }

  // --- CPU scheduling state --------------------------------------------------

  /**
   * CPU i waits for an interrupt: it runs again once its irqLine is high (or
   * wake(i)). No effect while its irqLine is already high: WFI does not wait
   * when an interrupt is pending (the next runEl0 reports ExitKind.Irq).
   */
  idle(i: number): void {
    if (!this.cpus[i].state.irqLine) this.idleFlags[i] = true;
  }

  /** Make CPU i runnable again. */
  wake(i: number): void {
    this.idleFlags[i] = false;
  }

  isIdle(i: number): boolean {
    return this.idleFlags[i];
  }

  /** Every online CPU idle with no interrupt pending: nothing runs until an event or outside input. */
  quiescent(): boolean {
    for (let i = 0; i < this.cpus.length; i++) if (this.online[i] && (!this.idleFlags[i] || this.cpus[i].state.irqLine)) return false;
    return true;
  }

  /**
   * Power CPU i off (PSCI CPU_OFF, or secondaries held at boot): it never
   * runs, even with an interrupt pending, until powerOn(i).
   */
  powerOff(i: number): void {
    this.online[i] = false;
  }

  /** Power CPU i on (PSCI CPU_ON): runnable from its current PC in the next round. */
  powerOn(i: number): void {
    this.online[i] = true;
    this.idleFlags[i] = false;
  }

  isOnline(i: number): boolean {
    return this.online[i];
  }

  /** Select the GIC bank (and CPU interface) used by bus accesses. */
  setCurrentCpu(i: number): void {
    this.gic.currentCpu = i;
  }

  private switchTo(i: number): void {
    if (this.lastRan !== i) {
      for (const c of this.cpus) c.state.exclusiveAddr = NO_EXCLUSIVE;
      this.lastRan = i;
    }
    this.setCurrentCpu(i);
  }

  // --- The run loop ------------------------------------------------------------

  /**
   * Run the machine until a limit, a stop request, or every CPU idle with no
   * event pending. Returns why it stopped. See the header for the rules.
   */
  run(hooks: RunHooks, limits: RunLimits = {}): RunResult {
    const start = this.cpus.reduce((s, c) => s + c.state.retired, 0);
    const executed = (): number => this.cpus.reduce((s, c) => s + c.state.retired, 0) - start;
    for (;;) {
      this.clock.runDue();
      if (hooks.shouldStop?.()) return "stopped";
      if (hooks.shouldPause?.()) return "paused";
      const now = this.clock.now();
      if (limits.untilNs !== undefined && now >= limits.untilNs) return "until";
      if (limits.maxInsns !== undefined && executed() >= limits.maxInsns) return "maxInsns";
      for (let i = 0; i < this.cpus.length; i++) if (this.idleFlags[i] && this.online[i] && this.cpus[i].state.irqLine) this.idleFlags[i] = false;

      const next = this.clock.nextEventNs();
      if (this.idleFlags.every((f, i) => f || !this.online[i])) {
        if (next === undefined) return "idle";
        const to = limits.untilNs !== undefined ? Math.min(next, limits.untilNs) : next;
        this.idleSkippedNs += to - now;
        this.endRound(to - now);
        continue;
      }

      let len = this.quantumNs;
      if (next !== undefined) len = Math.min(len, next - now);
      if (limits.untilNs !== undefined) len = Math.min(len, limits.untilNs - now);
      this.roundLen = Math.max(1, len);
      const stopped = this.runRound(hooks);
      len = this.roundLen;
      this.rounds++;
      if (stopped) {
        // End the partial round at the furthest point any CPU reached in it.
        let used = 0;
        for (let i = 0; i < this.cpus.length; i++) used = Math.max(used, Math.min(len, this.progress[i]));
        this.endRound(used);
        return "stopped";
      }
      this.endRound(len);
    }
  }

  /**
   * One round of `roundLen` ns; returns true if hooks.shouldStop asked to
   * stop. A clock event scheduled by the kernel during the round for a time
   * inside it shortens the round, so it runs on time for the CPUs still to
   * run (CPUs that already went past it carry the excess).
   */
  private runRound(hooks: RunHooks): boolean {
    const n = this.cpus.length;
    for (let pass = true; pass; ) {
      pass = false;
      for (let i = 0; i < n; i++) {
        const r = this.runTurn(i, hooks);
        if (r === TURN_STOPPED) return true;
        if (r === TURN_WOKE_OTHER) pass = true;
      }
    }
    return false;
  }

  /**
   * CPU i's turn in the round: run it until idle or the round's end.
   * Returns TURN_STOPPED on a stop request, TURN_WOKE_OTHER when an exit
   * woke an idle CPU that still has time left in the round (worth another
   * pass), else TURN_DONE.
   */
  private runTurn(i: number, hooks: RunHooks): number {
    const cpu = this.cpus[i];
    const c = cpu.state;
    if (!this.online[i]) return TURN_DONE;
    if (this.idleFlags[i]) {
      if (!c.irqLine || this.progress[i] >= this.roundLen) return TURN_DONE;
      this.idleFlags[i] = false;
      // Idle until the wake-up: resume where the waking CPU was, not before.
      if (this.wokenAt[i] > this.progress[i]) this.progress[i] = this.wokenAt[i];
    }
    this.wokenAt[i] = -1;
    if (this.progress[i] >= this.roundLen) return TURN_DONE;
    let result = TURN_DONE;
    {
      this.switchTo(i);
      while (!this.idleFlags[i] && this.progress[i] < this.roundLen) {
        const budget = Math.ceil((this.roundLen - this.progress[i]) * INSNS_PER_NS);
        this.retiredMark[i] = c.retired;
        const exit = runEl0(this.translator, c, cpu.mmu, budget);
        const ran = (c.retired - this.retiredMark[i]) / INSNS_PER_NS;
        this.progress[i] += ran;
        this.retiredMark[i] = c.retired;
        if (exit === ExitKind.Budget) break;
        const before = this.progress[i];
        this.exitCounts[i]++;
        this.setCurrentCpu(i);
        hooks.onExit(i, exit);
        if (ran === 0 && this.progress[i] === before) this.progress[i] += MIN_EXIT_NS;
        const next = this.clock.nextEventNs();
        if (next !== undefined) this.roundLen = Math.min(this.roundLen, Math.max(1, next - this.clock.now()));
        for (let k = 0; k < this.cpus.length; k++) {
          if (k !== i && this.idleFlags[k] && this.wokenAt[k] < 0 && this.cpus[k].state.irqLine && this.online[k]) {
            this.wokenAt[k] = this.progress[i];
            if (this.progress[i] < this.roundLen) result = TURN_WOKE_OTHER;
          }
        }
        if (hooks.shouldStop?.()) return TURN_STOPPED;
      }
    }
    return result;
  }

  /** Advance the clock by `ns`, carry each CPU's excess, run due events. */
  private endRound(ns: number): void {
    this.clock.advanceTo(this.clock.now() + ns);
    for (let i = 0; i < this.progress.length; i++) {
      this.progress[i] = Math.max(0, this.progress[i] - ns);
      if (this.wokenAt[i] >= 0) this.wokenAt[i] = Math.max(0, this.wokenAt[i] - ns);
    }
    this.clock.runDue();
  }

  /** Figures for inspection. */
  counters(): MachineCounters {
    return {
      nowNs: this.clock.now(),
      rounds: this.rounds,
      idleSkippedNs: this.idleSkippedNs,
      retired: this.cpus.map((c) => c.state.retired),
      exits: [...this.exitCounts],
      idle: [...this.idleFlags],
      online: [...this.online],
    };
  }

  // --- Snapshots -----------------------------------------------------------------

  /**
   * Device and time state as plain JSON. CPU registers, MMU/TLB and RAM are
   * not included (the kernel's snapshot covers them).
   */
  saveState(): MachineState {
    return {
      clock: this.clock.saveState(),
      rng: this.rng.saveState(),
      progress: [...this.progress],
      idle: [...this.idleFlags],
      online: [...this.online],
      gic: this.gic.saveState(),
      timers: this.cpus.map((c) => c.timer.saveState()),
      uart: this.uart.saveState(),
      rtc: this.rtc.saveState(),
      virtio: this.virtio.map((v) => v.saveState()),
    };
  }

  /** Restore what saveState produced (same CPU count and slot contents). */
  loadState(st: MachineState): void {
    if (st.progress.length !== this.cpus.length) throw new Error("Machine.loadState: CPU count differs");
    this.clock.loadState(st.clock);
    this.rng.loadState(st.rng);
    st.progress.forEach((p, i) => { this.progress[i] = p; this.retiredMark[i] = this.cpus[i].state.retired; });
    st.idle.forEach((f, i) => { this.idleFlags[i] = f; this.wokenAt[i] = -1; });
    st.online.forEach((f, i) => { this.online[i] = f; });
    this.gic.loadState(st.gic);
    st.timers.forEach((t, i) => this.cpus[i].timer.loadState(t));
    this.uart.loadState(st.uart);
    this.rtc.loadState(st.rtc);
    st.virtio.forEach((v, i) => this.virtio[i].loadState(v));
  }
}
