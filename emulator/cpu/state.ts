// Architectural state of one AArch64 CPU, as the EL1 (host-side) kernel sees
// it at exception entry/return. 64-bit state lives in BigUint64Array slots so
// V8 lowers the arithmetic (see ARCHITECTURE.md, "Speed").

/** Why `runEl0` returned: the exception (or event) that stopped EL0. */
export enum ExitKind {
  None = 0,
  /** SVC #imm: ESR.EC = 0x15; ELR = address after the SVC. */
  Svc = 1,
  /** Data abort from EL0 (EC 0x24) or instruction abort (EC 0x20). */
  Abort = 2,
  /** Undefined or unimplemented instruction (EC 0x00). */
  Undefined = 3,
  /** BRK #imm (EC 0x3C). */
  Brk = 4,
  /** An IRQ was pending and unmasked between blocks. */
  Irq = 5,
  /** WFI executed (EC 0x01, TI = 0); WFE also reports here with ESR.ISS = 1. */
  Wfi = 6,
  /** The instruction budget for this run was used up (not an exception). */
  Budget = 7,
  /** PC or SP alignment fault (EC 0x22 / 0x26). */
  Alignment = 8,
  /** A trapped system-register access (EC 0x18): MRS/MSR the EL0 may not do. */
  SysRegTrap = 9,
  /** FP exception trap is not modelled (FPCR trap enables are RES0 here). */
}

/** ESR_EL1.EC values we raise (Arm ARM D17.2.37). */
export const EC = {
  UNKNOWN: 0x00,
  WFX: 0x01,
  SVC64: 0x15,
  SYSREG: 0x18,
  IABT_LOW: 0x20,
  PC_ALIGN: 0x22,
  DABT_LOW: 0x24,
  SP_ALIGN: 0x26,
  BRK64: 0x3c,
} as const;

/** PSTATE.NZCV bit positions, as in the NZCV system register. */
export const FLAG_N = 0x80000000;
export const FLAG_Z = 0x40000000;
export const FLAG_C = 0x20000000;
export const FLAG_V = 0x10000000;

/**
 * Virtual time: each CPU retires one instruction per nanosecond (a 1 GHz,
 * IPC-1 core), and the 62.5 MHz generic counter ticks every 16 ns.
 */
export const INSNS_PER_NS = 1;
export const INSNS_PER_COUNTER_TICK = 16;

/** flagKind encoding for lazily computed NZCV (see CpuState.nzcv). */
export const FLAGS_ADD = 1;
export const FLAGS_SUB = 2;
export const FLAGS_LOGIC = 3;
export const FLAGS_32 = 4;
export const FLAGS_CARRY = 8;

/**
 * NZCV of a recorded operation: ADD/ADDS-style (a + b [+ carry]), SUB-style
 * (a - b [- (1 - carry)], C = no borrow) or logical (C = V = 0); operands
 * unsigned, `r` the truncated result.
 */
export function computeNzcv(kind: number, ops: BigUint64Array): number {
  const a = ops[0];
  const b = ops[1];
  const r = ops[2];
  const carry = (kind & FLAGS_CARRY) !== 0 ? ops[3] : 0n;
  const top = (kind & FLAGS_32) !== 0 ? 0x8000_0000n : 0x8000_0000_0000_0000n;
  const lim = (kind & FLAGS_32) !== 0 ? 0xffff_ffffn : 0xffff_ffff_ffff_ffffn;
  let f = ((r & top) !== 0n ? FLAG_N : 0) | (r === 0n ? FLAG_Z : 0);
  switch (kind & 3) {
    case FLAGS_ADD:
      if (a + b + carry > lim) f |= FLAG_C;
      if (((a ^ r) & (b ^ r) & top) !== 0n) f |= FLAG_V;
      break;
    case FLAGS_SUB:
      if ((kind & FLAGS_CARRY) !== 0 ? a >= b + 1n - carry : a >= b) f |= FLAG_C;
      if (((a ^ b) & (a ^ r) & top) !== 0n) f |= FLAG_V;
      break;
  }
  return f >>> 0;
}

/** Exclusive monitor "no reservation" marker. */
export const NO_EXCLUSIVE = -1;

/** PSTATE.NZCV as saved by CpuState.saveFlags: explicit `value` when kind is 0, else the lazy operation. */
export interface FlagState {
  kind: number;
  value: number;
  readonly ops: BigUint64Array;
}

export class CpuState {
  readonly id: number;
  /** X0..X30 in slots 0..30; slot 31 is SP_EL0 (XZR is never stored). */
  readonly x = new BigUint64Array(32);
  /** Signed view of the same registers, for free sign-extending reads. */
  readonly xs: BigInt64Array;
  /** PC as a JS number: VAs are < 2^48, exact in a double. */
  pc = 0;
  /**
   * PSTATE.NZCV is kept lazily: translated code records the last
   * flag-setting operation (kind in `flagKind`, operands in `flagOps`) and
   * NZCV is computed only when read. flagKind 0 means `nzcvValue` holds it.
   */
  private nzcvValue = 0;
  /** 0 = explicit; else FLAGS_ADD/SUB/LOGIC | FLAGS_32 | FLAGS_CARRY. */
  flagKind = 0;
  /** [a, b, result, carry-in] of the last flag-setting operation. */
  readonly flagOps = new BigUint64Array(4);

  /** PSTATE.NZCV in bits 31..28 (the NZCV register's layout). */
  get nzcv(): number {
    if (this.flagKind !== 0) {
      this.nzcvValue = computeNzcv(this.flagKind, this.flagOps);
      this.flagKind = 0;
    }
    return this.nzcvValue;
  }

  set nzcv(v: number) {
    this.nzcvValue = v >>> 0;
    this.flagKind = 0;
  }

  /**
   * Copy the flag state to `dst` as it is (lazy or computed), so a context
   * switch does not compute NZCV (64-bit flag operands need BigInt work).
   */
  saveFlags(dst: FlagState): void {
    dst.kind = this.flagKind;
    dst.value = this.nzcvValue;
    if (this.flagKind !== 0) dst.ops.set(this.flagOps);
  }

  /** Load a flag state saved by saveFlags (from this or another CPU). */
  restoreFlags(src: FlagState): void {
    this.flagKind = src.kind;
    this.nzcvValue = src.value;
    if (src.kind !== 0) this.flagOps.set(src.ops);
  }

  /** V0..V31, 16 bytes each, little-endian lanes, with typed views. */
  readonly vbuf = new ArrayBuffer(32 * 16);
  readonly vb = new Uint8Array(this.vbuf);
  readonly vh = new Uint16Array(this.vbuf);
  readonly vw = new Uint32Array(this.vbuf);
  readonly vd = new BigUint64Array(this.vbuf);
  readonly vf32 = new Float32Array(this.vbuf);
  readonly vf64 = new Float64Array(this.vbuf);
  fpcr = 0;
  fpsr = 0;

  /** EL0-visible system registers kept as BigInt. */
  tpidrEl0 = 0n;
  tpidrroEl0 = 0n;

  // --- EL1 state the host-side kernel reads/writes -------------------------
  /** TTBR0_EL1: table base in bits 47:1, ASID in 63:48. */
  ttbr0 = 0n;
  ttbr1 = 0n;
  tcr = 0n;
  mair = 0n;
  /** SCTLR_EL1: M (bit 0) enables stage-1 translation; A (bit 1) alignment checks. */
  sctlr = 0n;
  esr = 0;
  far = 0n;
  elr = 0n;
  spsr = 0;
  /** PSTATE.DAIF.I: IRQs masked at EL0 when set (normally clear). */
  irqMasked = false;
  /** The CPU's IRQ input line, driven by the interrupt controller. */
  irqLine = false;
  /** Set when translated code hit a host-side error (an emulator bug); reported, never thrown. */
  hostError: string | undefined = undefined;

  // --- Generic timer view (EL0 reads CNTVCT_EL0 / CNTFRQ_EL0) ---------------
  /** CNTFRQ_EL0: 62.5 MHz, as on QEMU's virt machine. */
  counterFrequency = 62_500_000n;
  /**
   * CNTVCT_EL0 given `inBlock` instructions already executed in the current
   * block (not yet added to `retired`). The machine replaces this with its
   * global virtual clock; the default derives time from this CPU alone.
   */
  readCounter: (inBlock: number) => bigint = (inBlock) => BigInt(Math.floor((this.retired + inBlock) / INSNS_PER_COUNTER_TICK));

  // --- Exclusive monitor (local), used by LDXR/STXR -------------------------
  /** Physical address of the reservation, or NO_EXCLUSIVE. */
  exclusiveAddr = NO_EXCLUSIVE;
  exclusiveSize = 0;

  // --- Exit bookkeeping, written by translated code --------------------------
  exit: ExitKind = ExitKind.None;
  /**
   * Scratch for BigInt -> number conversion in translated code: a store into
   * a BigUint64Array plus two uint32 reads beats Number(bigint) (a runtime
   * call in V8 11) by ~4x. See BlockBuilder.num().
   */
  readonly scratch64 = new BigUint64Array(1);
  readonly scratch32 = new Uint32Array(this.scratch64.buffer);

  /** Retired instructions (drives virtual time). */
  retired = 0;
  /** VA of the basic block being executed (for retired counts after a fault). */
  blockStart = 0;
  /**
   * The translated block that ended the last runEl0 (an SVC, IRQ or budget
   * exit), so the next runEl0 follows its chain link to the successor instead
   * of a lookup. Opaque here (the translator's Block); links carry their own
   * validity checks (VA, generation), so a stale value costs only a lookup.
   */
  resumeFrom: unknown = undefined;
  /** `retired` value at which the current runEl0 call stops (self-loops check it). */
  runLimit = 0;

  constructor(id = 0) {
    this.id = id;
    this.xs = new BigInt64Array(this.x.buffer);
  }

  /** NZCV as four booleans, for inspection and tests. */
  flags(): { n: boolean; z: boolean; c: boolean; v: boolean } {
    const f = this.nzcv;
    return { n: (f & FLAG_N) !== 0, z: (f & FLAG_Z) !== 0, c: (f & FLAG_C) !== 0, v: (f & FLAG_V) !== 0 };
  }

  /** Current ASID (TTBR0_EL1[63:48]). */
  asid(): number {
    return Number(this.ttbr0 >> 48n) & 0xffff;
  }
}
