// Branches, exception generation and system instructions
// (Arm ARM C4.1.65, op0 = 101x): B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR,
// RET, SVC, BRK, HINT (NOP, YIELD, WFE, WFI, ...), barriers, CLREX, MRS/MSR of
// the registers EL0 code uses, MSR of PSTATE fields, DC ZVA, IC IVAU.
//
// Deliberately not handled (UNDEFINED at EL0, as on hardware or traps to EL1):
//   HVC, SMC, ERET/ERETAA, DRPS, pointer-authentication branches (BRAA...),
//   system registers outside the list in SYSREGS below (reported as a
//   trapped access, EC 0x18, so the kernel can emulate or kill).

import type { BlockBuilder } from "../builder.js";
import { EC, ExitKind } from "../state.js";
import { bits, InsnPattern, pattern, sext, UnhandledPattern } from "./table.js";

function B(b: BlockBuilder, insn: number): void {
  b.branch(b.pc + sext(bits(insn, 0, 26), 26) * 4);
}

function BL(b: BlockBuilder, insn: number): void {
  b.setX(30, `${b.pc + 4}n`);
  b.branch(b.pc + sext(bits(insn, 0, 26), 26) * 4);
}

function B_cond(b: BlockBuilder, insn: number): boolean {
  if (insn & 0x10) return false; // BC.cond (FEAT_HBC) not implemented
  const target = b.pc + sext(bits(insn, 5, 19), 19) * 4;
  b.branchCond(b.cond(bits(insn, 0, 4)), target, b.pc + 4);
  return true;
}

function CBZ(b: BlockBuilder, insn: number): void {
  const sf = insn >>> 31;
  const t = bits(insn, 0, 5);
  const nz = (insn >>> 24) & 1;
  const target = b.pc + sext(bits(insn, 5, 19), 19) * 4;
  const v = sf ? b.x(t) : b.w(t);
  b.branchCond(`${v} ${nz ? "!==" : "==="} 0n`, target, b.pc + 4);
}

function TBZ(b: BlockBuilder, insn: number): void {
  const bit = (bits(insn, 31, 1) << 5) | bits(insn, 19, 5);
  const t = bits(insn, 0, 5);
  const nz = (insn >>> 24) & 1;
  const target = b.pc + sext(bits(insn, 5, 14), 14) * 4;
  b.branchCond(`(${b.x(t)} & ${1n << BigInt(bit)}n) ${nz ? "!==" : "==="} 0n`, target, b.pc + 4);
}

/** BR, BLR, RET (register targets; PAC variants excluded by the pattern). */
function BR_family(b: BlockBuilder, insn: number): boolean {
  const opc = bits(insn, 21, 4);
  const n = bits(insn, 5, 5);
  const tgt = b.tmp();
  b.emit(`const ${tgt} = ${b.x(n)};`);
  if (opc === 0b0001) b.setX(30, `${b.pc + 4}n`); // BLR
  else if (opc !== 0b0000 && opc !== 0b0010) return false;
  b.branchReg(tgt);
  return true;
}

function SVC(b: BlockBuilder, insn: number): void {
  const imm16 = bits(insn, 5, 16);
  b.raise(ExitKind.Svc, (EC.SVC64 << 26) | (1 << 25) | imm16, b.pc + 4, true);
}

function BRK(b: BlockBuilder, insn: number): void {
  const imm16 = bits(insn, 5, 16);
  b.raise(ExitKind.Brk, (EC.BRK64 << 26) | (1 << 25) | imm16, b.pc, false);
}

/** HINT space: NOP, YIELD, WFE, WFI, SEV, SEVL, and every other hint is a NOP. */
function HINT(b: BlockBuilder, insn: number): void {
  const op = bits(insn, 5, 7); // CRm:op2
  if (op === 0b0000011) {
    // WFI: the CPU waits for an interrupt; the machine decides what that means.
    b.raise(ExitKind.Wfi, (EC.WFX << 26) | (1 << 25), b.pc + 4, true);
  } else if (op === 0b0000010) {
    // WFE: reported like WFI with ISS.TI = 1 (the kernel treats it as a yield).
    b.raise(ExitKind.Wfi, (EC.WFX << 26) | (1 << 25) | 1, b.pc + 4, true);
  }
  // NOP, YIELD (scheduling hint), SEV, SEVL, BTI, PAC hints: no effect here.
}

/** DSB, DMB, ISB, CLREX, SB: one thread interleaves the CPUs, so barriers order nothing. */
function BARRIER(b: BlockBuilder, insn: number): void {
  const op2 = bits(insn, 5, 3);
  if (op2 === 0b010) b.emit("c.exclusiveAddr = -1;"); // CLREX
  if (op2 === 0b110) b.endSequential(); // ISB: later code must be refetched
}

// --- System registers visible at EL0 ----------------------------------------
// Encoded as op0:op1:CRn:CRm:op2 (bits 20:5 of MRS/MSR).

function sysregKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

export const SYSREG = {
  NZCV: sysregKey(3, 3, 4, 2, 0),
  DAIF: sysregKey(3, 3, 4, 2, 1),
  FPCR: sysregKey(3, 3, 4, 4, 0),
  FPSR: sysregKey(3, 3, 4, 4, 1),
  DCZID_EL0: sysregKey(3, 3, 0, 0, 7),
  CTR_EL0: sysregKey(3, 3, 0, 0, 1),
  TPIDR_EL0: sysregKey(3, 3, 13, 0, 2),
  TPIDRRO_EL0: sysregKey(3, 3, 13, 0, 3),
  CNTFRQ_EL0: sysregKey(3, 3, 14, 0, 0),
  CNTPCT_EL0: sysregKey(3, 3, 14, 0, 1),
  CNTVCT_EL0: sysregKey(3, 3, 14, 0, 2),
} as const;

/** CTR_EL0 as a Cortex-A72 reports it: 64-byte lines, VIPT I-cache. */
const CTR_EL0_VALUE = 0x8444c004n;
/** DCZID_EL0: DC ZVA allowed, block size 2^4 words = 64 bytes. */
const DCZID_VALUE = 4n;
export const DC_ZVA_BYTES = 64;

function MRS(b: BlockBuilder, insn: number): void {
  const t = bits(insn, 0, 5);
  const reg = bits(insn, 5, 16);
  const set = (expr: string) => b.setX(t, expr);
  switch (reg) {
    case SYSREG.NZCV: set(`BigInt(${b.nzcv()} >>> 0)`); return;
    case SYSREG.DAIF: set(`(c.irqMasked ? 0x80n : 0n)`); return;
    case SYSREG.FPCR: set("BigInt(c.fpcr >>> 0)"); return;
    case SYSREG.FPSR: set("BigInt(c.fpsr >>> 0)"); return;
    case SYSREG.DCZID_EL0: set(`${DCZID_VALUE}n`); return;
    case SYSREG.CTR_EL0: set(`${CTR_EL0_VALUE}n`); return;
    case SYSREG.TPIDR_EL0: set("c.tpidrEl0"); return;
    case SYSREG.TPIDRRO_EL0: set("c.tpidrroEl0"); return;
    case SYSREG.CNTFRQ_EL0: set("c.counterFrequency"); return;
    case SYSREG.CNTPCT_EL0:
    case SYSREG.CNTVCT_EL0:
      set(`c.readCounter(${b.count})`);
      return;
  }
  sysregTrap(b, insn);
}

function MSR_reg(b: BlockBuilder, insn: number): void {
  const t = bits(insn, 0, 5);
  const reg = bits(insn, 5, 16);
  const v = b.x(t);
  switch (reg) {
    case SYSREG.NZCV: b.setNzcv(`Number(${v} & 0xf0000000n)`); return;
    case SYSREG.FPCR: b.emit(`c.fpcr = Number(${v} & 0x07ff9f00n);`); return;
    case SYSREG.FPSR: b.emit(`c.fpsr = Number(${v} & 0xf800009fn);`); return;
    case SYSREG.TPIDR_EL0: b.emit(`c.tpidrEl0 = ${v};`); return;
  }
  sysregTrap(b, insn);
}

/** EL0 access to a register it may not use: trap to EL1 (EC 0x18). */
function sysregTrap(b: BlockBuilder, insn: number): void {
  // ISS: Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10] Rt[9:5] CRm[4:1] Direction[0]
  const op0 = bits(insn, 19, 2);
  const op1 = bits(insn, 16, 3);
  const crn = bits(insn, 12, 4);
  const crm = bits(insn, 8, 4);
  const op2 = bits(insn, 5, 3);
  const rt = bits(insn, 0, 5);
  const read = (insn >>> 21) & 1;
  const iss = (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | read;
  b.raise(ExitKind.SysRegTrap, (EC.SYSREG << 26) | (1 << 25) | iss, b.pc, false);
}

/** MSR (immediate) to PSTATE fields: EL0 may only touch NZCV-adjacent flags (SSBS, DIT, TCO...); DAIF traps. */
function MSR_imm(b: BlockBuilder, insn: number): boolean {
  const op1 = bits(insn, 16, 3);
  const op2 = bits(insn, 5, 3);
  if (op1 === 3 && (op2 === 6 || op2 === 7)) {
    // DAIFSet/DAIFClr: UNDEFINED at EL0 unless SCTLR_EL1.UMA; we trap it.
    sysregTrap(b, insn);
    return true;
  }
  // CFINV (op1=0, op2=0, CRm=0): invert carry. Others (UAO, PAN, SSBS, DIT) are no-ops for EL0 here.
  if (op1 === 0 && op2 === 0) {
    b.setNzcv(`${b.nzcv()} ^ 0x20000000`);
  }
  return true;
}

/** SYS: DC ZVA zeroes a 64-byte block; DC CVAC & co. and IC IVAU are cache ops (no effect). */
function SYS(b: BlockBuilder, insn: number): boolean {
  const op1 = bits(insn, 16, 3);
  const crn = bits(insn, 12, 4);
  const crm = bits(insn, 8, 4);
  const op2 = bits(insn, 5, 3);
  const t = bits(insn, 0, 5);
  if (op1 === 3 && crn === 7 && crm === 4 && op2 === 1) {
    // DC ZVA, Xt: zero the aligned 64-byte block containing Xt.
    b.beforeMemory();
    const a = b.tmp();
    b.emit(`const ${a} = ${b.x(t)} & ~${DC_ZVA_BYTES - 1}n;`);
    b.emit(`m.probeWrite(${a}, ${DC_ZVA_BYTES});`);
    b.emit(`for (let k = 0n; k < ${DC_ZVA_BYTES}n; k += 8n) m.w64(${a} + k, 0n);`);
    return true;
  }
  if (op1 === 3 && crn === 7) return true; // DC CVAC/CVAU/CIVAC/CVAP, IC IVAU
  sysregTrap(b, insn);
  return true;
}

export const BRANCH_SYS: InsnPattern[] = [
  pattern("B", "000101xx xxxxxxxx xxxxxxxx xxxxxxxx", B),
  pattern("BL", "100101xx xxxxxxxx xxxxxxxx xxxxxxxx", BL),
  pattern("B_cond", "01010100 xxxxxxxx xxxxxxxx xxx0xxxx", B_cond),
  pattern("CBZ", "x0110100 xxxxxxxx xxxxxxxx xxxxxxxx", CBZ),
  pattern("CBNZ", "x0110101 xxxxxxxx xxxxxxxx xxxxxxxx", CBZ),
  pattern("TBZ", "x0110110 xxxxxxxx xxxxxxxx xxxxxxxx", TBZ),
  pattern("TBNZ", "x0110111 xxxxxxxx xxxxxxxx xxxxxxxx", TBZ),
  pattern("BR_BLR_RET", "1101011 0 0xx 11111 000000 xxxxx 00000", BR_family),
  pattern("SVC", "11010100 000xxxxx xxxxxxxx xxx00001", SVC),
  pattern("BRK", "11010100 001xxxxx xxxxxxxx xxx00000", BRK),
  pattern("HINT", "11010101 00000011 0010xxxx xxx11111", HINT),
  pattern("BARRIER", "11010101 00000011 0011xxxx xxx11111", BARRIER),
  pattern("MSR_imm", "11010101 00000xxx 0100xxxx xxx11111", MSR_imm),
  pattern("SYS", "11010101 00001xxx xxxxxxxx xxxxxxxx", SYS),
  pattern("MSR_reg", "11010101 0001xxxx xxxxxxxx xxxxxxxx", MSR_reg),
  pattern("MRS", "11010101 0011xxxx xxxxxxxx xxxxxxxx", MRS),
];

export const BRANCH_SYS_UNHANDLED: UnhandledPattern[] = [
  { name: "HVC", mask: 0xffe0001f, value: 0xd4000002, reason: "EL2 call: UNDEFINED at EL0" },
  { name: "SMC", mask: 0xffe0001f, value: 0xd4000003, reason: "EL3 call: UNDEFINED at EL0" },
  { name: "ERET", mask: 0xffffffff, value: 0xd69f03e0, reason: "UNDEFINED at EL0" },
  { name: "BRAA_family", mask: 0xfe1ff000, value: 0xd61f0800, reason: "pointer authentication (FEAT_PAuth) not implemented" },
  { name: "SYSL", mask: 0xfff80000, value: 0xd5280000, reason: "no SYSL instructions defined for EL0" },
];
