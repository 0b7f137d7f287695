// The kernel's cost model: what each piece of kernel work charges to virtual
// time (ARCHITECTURE.md, "Time and determinism"). The kernel is host code, so
// its real cost is invisible to the guest; these figures stand in for it, in
// one table, visible and adjustable from a notebook (kernel.cost).
//
// Defaults are of the order of a real AArch64 kernel on a 1 GHz core:
// exception entry/exit ~100 cycles, a context switch a few hundred, copies at
// ~4 bytes per cycle.

export interface CostModel {
  /** Exception entry + return (any synchronous exception or IRQ), ns. */
  exceptionEntry: number;
  /** Extra per syscall dispatched, ns. */
  syscall: number;
  /** Saving one task's registers and loading another's, incl. TTBR0 switch, ns. */
  contextSwitch: number;
  /** Handling a page fault (walk, allocate, map), excluding the copy, ns. */
  pageFault: number;
  /** Per byte copied between user and kernel (copyin/copyout, page copies), ns. */
  perByteCopied: number;
  /** Zeroing or copying one 4 KiB page, ns. */
  pageCopy: number;
  /** One timer interrupt: acknowledge, tick the scheduler, re-arm, ns. */
  timerTick: number;
}

export const DEFAULT_COST: Readonly<CostModel> = Object.freeze({
  exceptionEntry: 100,
  syscall: 50,
  contextSwitch: 400,
  pageFault: 300,
  perByteCopied: 0.25,
  pageCopy: 1000,
  timerTick: 200,
});

/** A fresh, mutable copy of the defaults. */
export function defaultCostModel(): CostModel {
  return { ...DEFAULT_COST };
}
