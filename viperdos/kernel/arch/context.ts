// A task's saved architectural state: what a context switch stores when the
// task leaves its CPU and loads when it comes back (the EL0 registers of
// ARCHITECTURE.md "The boundary": X0-X30, SP_EL0, PC, NZCV, V0-V31, FPCR,
// FPSR, TPIDR_EL0).

import { computeNzcv, type CpuState, type FlagState } from "../../../emulator/cpu/state.js";

export class TaskContext {
  readonly x = new BigUint64Array(32);
  readonly v = new Uint8Array(32 * 16);
  pc = 0;
  /** NZCV as the CPU left it: possibly still lazy (see CpuState.saveFlags); read it through `nzcv`. */
  readonly flags: FlagState = { kind: 0, value: 0, ops: new BigUint64Array(4) };
  fpcr = 0;
  fpsr = 0;
  tpidr = 0n;

  /** Copy the CPU's EL0 state into this context (the task is leaving the CPU). */
  save(c: CpuState): void {
    this.x.set(c.x);
    this.v.set(c.vb);
    this.pc = c.pc;
    c.saveFlags(this.flags);
    this.fpcr = c.fpcr;
    this.fpsr = c.fpsr;
    this.tpidr = c.tpidrEl0;
  }

  /** Load this context into the CPU (the task is about to run on it). */
  restore(c: CpuState): void {
    c.x.set(this.x);
    c.vb.set(this.v);
    c.pc = this.pc;
    c.restoreFlags(this.flags);
    c.fpcr = this.fpcr;
    c.fpsr = this.fpsr;
    c.tpidrEl0 = this.tpidr;
    c.exclusiveAddr = -1; // exception return clears the local monitor
  }

  /** PSTATE.NZCV in bits 31..28. */
  get nzcv(): number {
    return this.flags.kind === 0 ? this.flags.value : computeNzcv(this.flags.kind, this.flags.ops);
  }

  set nzcv(v: number) {
    this.flags.kind = 0;
    this.flags.value = v >>> 0;
  }

  /** A copy (fork, thread creation). */
  clone(): TaskContext {
    const t = new TaskContext();
    t.x.set(this.x);
    t.v.set(this.v);
    t.pc = this.pc;
    t.flags.kind = this.flags.kind;
    t.flags.value = this.flags.value;
    t.flags.ops.set(this.flags.ops);
    t.fpcr = this.fpcr;
    t.fpsr = this.fpsr;
    t.tpidr = this.tpidr;
    return t;
  }

  /** Registers as hex strings, for the inspection API. */
  snapshot(): { pc: string; sp: string; x: string[]; nzcv: string } {
    return {
      pc: "0x" + this.pc.toString(16),
      sp: "0x" + this.x[31].toString(16),
      x: Array.from(this.x.subarray(0, 31), (r) => "0x" + r.toString(16)),
      nzcv: "0x" + (this.nzcv >>> 0).toString(16),
    };
  }
}
