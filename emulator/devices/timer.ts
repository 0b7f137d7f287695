// The per-CPU Arm generic timer (Arm ARM D11): the EL1 physical timer
// (CNTP_*, PPI 30) and the virtual timer (CNTV_*, PPI 27), compared against
// the system counter (CNTPCT = CNTVCT: CNTVOFF is 0). These are system
// registers, so the host-side kernel calls methods instead of using the bus.
//
// CNTx_CTL_EL0:
//    31        3   2         1      0
//   | RES0     | ISTATUS | IMASK | ENABLE |
// ISTATUS (read-only) = ENABLE && counter >= CVAL. The timer drives its PPI
// high exactly when ENABLE && !IMASK && counter >= CVAL; a clock event at the
// deadline (CVAL * 16 ns at 62.5 MHz) re-evaluates the condition.

import { INSNS_PER_COUNTER_TICK, INSNS_PER_NS } from "../cpu/state.js";
import type { EventHandle, VirtualClock } from "../clock.js";

/** Nanoseconds per tick of the 62.5 MHz system counter. */
export const NS_PER_COUNTER_TICK = INSNS_PER_COUNTER_TICK / INSNS_PER_NS;

export const PPI_VIRTUAL_TIMER = 27;
export const PPI_PHYS_TIMER = 30;

export const CTL_ENABLE = 1;
export const CTL_IMASK = 2;
export const CTL_ISTATUS = 4;

const U64 = (1n << 64n) - 1n;

/** Where a timer's output goes: (ppi, level). */
export type PpiOutput = (intid: number, level: boolean) => void;

/** One comparator (the physical or the virtual timer). */
export class TimerChannel {
  private ctl = 0;
  private cval = 0n;
  private level = false;
  private event: EventHandle | undefined;

  constructor(
    private readonly ppi: number,
    private readonly clock: VirtualClock,
    private readonly counter: () => bigint,
    private readonly output: PpiOutput,
  ) {}

  /** CNTx_CTL_EL0 with ISTATUS computed from the current counter. */
  readCtl(): number {
    return (this.ctl & 3) | (this.condition() ? CTL_ISTATUS : 0);
  }

  /** Write CNTx_CTL_EL0 (ENABLE and IMASK; ISTATUS is read-only). */
  writeCtl(v: number): void {
    this.ctl = v & 3;
    this.reevaluate();
  }

  readCval(): bigint {
    return this.cval;
  }

  /** Write CNTx_CVAL_EL0 (64-bit absolute compare value). */
  writeCval(v: bigint): void {
    this.cval = v & U64;
    this.reevaluate();
  }

  /** CNTx_TVAL_EL0: CVAL - counter as a signed 32-bit value. */
  readTval(): number {
    return Number(BigInt.asIntN(32, this.cval - this.counter()));
  }

  /** Write CNTx_TVAL_EL0: CVAL = counter + SignExtend(v<31:0>). */
  writeTval(v: number): void {
    this.cval = (this.counter() + BigInt(v | 0)) & U64;
    this.reevaluate();
  }

  /** The level currently driven onto the PPI. */
  get asserted(): boolean {
    return this.level;
  }

  private condition(): boolean {
    return (this.ctl & CTL_ENABLE) !== 0 && this.counter() >= this.cval;
  }

  /** Recompute the output level and the deadline event. */
  reevaluate(): void {
    const lvl = this.condition() && (this.ctl & CTL_IMASK) === 0;
    if (lvl !== this.level) {
      this.level = lvl;
      this.output(this.ppi, lvl);
    }
    this.clock.cancel(this.event);
    this.event = undefined;
    if ((this.ctl & CTL_ENABLE) !== 0 && !this.condition()) {
      // If the counter lags the clock (it never should), retry a tick later
      // rather than spinning on an event that is already due.
      const atNs = Math.max(Number(this.cval) * NS_PER_COUNTER_TICK, this.clock.now() + 1);
      // Deadlines beyond 2^53 ns (~104 days) never arrive in practice.
      if (atNs <= Number.MAX_SAFE_INTEGER) this.event = this.clock.schedule(atNs, () => this.reevaluate());
    }
  }

  saveState(): { ctl: number; cval: string } {
    return { ctl: this.ctl, cval: this.cval.toString() };
  }

  loadState(st: { ctl: number; cval: string }): void {
    this.ctl = st.ctl & 3;
    this.cval = BigInt(st.cval) & U64;
    this.reevaluate();
  }
}

/** JSON form of a GenericTimer. */
export interface GenericTimerState {
  phys: { ctl: number; cval: string };
  virt: { ctl: number; cval: string };
}

/** The generic timer of one CPU. */
export class GenericTimer {
  /** CNTP_*: EL1 physical timer, PPI 30. */
  readonly phys: TimerChannel;
  /** CNTV_*: virtual timer, PPI 27. */
  readonly virt: TimerChannel;

  /**
   * `counter()` returns this CPU's view of the system counter (the machine's
   * global time plus the CPU's progress in the current round); `output`
   * drives the CPU's PPIs on the GIC.
   */
  constructor(clock: VirtualClock, readonly counter: () => bigint, output: PpiOutput) {
    this.phys = new TimerChannel(PPI_PHYS_TIMER, clock, counter, output);
    this.virt = new TimerChannel(PPI_VIRTUAL_TIMER, clock, counter, output);
  }

  /** CNTPCT_EL0 / CNTVCT_EL0. */
  readCounter(): bigint {
    return this.counter();
  }

  saveState(): GenericTimerState {
    return { phys: this.phys.saveState(), virt: this.virt.saveState() };
  }

  loadState(st: GenericTimerState): void {
    this.phys.loadState(st.phys);
    this.virt.loadState(st.virt);
  }
}
