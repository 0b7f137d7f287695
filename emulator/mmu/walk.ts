// Stage-1 translation table walk, 4 KiB granule, TTBR0 region only
// (Arm ARM D8.2). The walk reads descriptors from guest RAM through the bus,
// so what it sees is exactly what the kernel wrote.
//
// TCR_EL1 fields used: T0SZ [5:0] (input size = 64 - T0SZ, 16..39 here),
// EPD0 [7] (walks disabled -> translation fault), TG0 [15:14] (must be 0b00,
// 4 KiB). The walk starts at level 0 for T0SZ 16..24, level 1 for 25..33,
// level 2 for 34..39 (D8.2.5, table D8-13).

import type { PhysicalBus } from "../bus.js";
import {
  descriptorAddress,
  descriptorKind,
  FSC_ACCESS_FLAG,
  FSC_EXTERNAL,
  FSC_PERMISSION,
  FSC_TRANSLATION,
  tableIndex,
  TABLE_AP_NO_EL0,
  TABLE_AP_RO,
  TABLE_UXN,
  DESC_AP_EL0,
  DESC_AP_RO,
  DESC_UXN,
  DESC_PXN,
  DESC_AF,
  DESC_NG,
  TABLE_PXN,
} from "./descriptors.js";

export type Access = "read" | "write" | "exec";

/** One step of a walk, kept for fault reports and the inspection API. */
export interface WalkStep {
  level: number;
  tableAddr: number;
  index: number;
  descriptor: bigint;
}

export interface WalkOk {
  ok: true;
  /** Physical address of the start of the 4 KiB page containing the VA. */
  pagePa: number;
  /** Effective permissions after hierarchical table attributes. */
  user: boolean;
  writable: boolean;
  userExec: boolean;
  privExec: boolean;
  global: boolean;
  level: number;
  steps: WalkStep[];
}

export interface WalkFault {
  ok: false;
  /** DFSC/IFSC value including the level. */
  fsc: number;
  level: number;
  steps: WalkStep[];
}

export type WalkResult = WalkOk | WalkFault;

/** Smallest and largest T0SZ we accept with a 4 KiB granule. */
const T0SZ_MIN = 16;
const T0SZ_MAX = 39;

/**
 * Translate `va` through the tables at TTBR0, returning the leaf or a fault.
 * Does not check the access permissions (see `checkAccess`); it does report
 * translation and access-flag faults. Never throws for guest-controlled
 * values: a descriptor pointing outside RAM is an external abort.
 */
export function walk(bus: PhysicalBus, ttbr0: bigint, tcr: bigint, va: bigint, wantSteps = false): WalkResult {
  const steps: WalkStep[] = [];
  let t0sz = Number(tcr & 0x3fn);
  if (t0sz < T0SZ_MIN) t0sz = T0SZ_MIN;
  if (t0sz > T0SZ_MAX) t0sz = T0SZ_MAX;
  const epd0 = (tcr >> 7n) & 1n;
  const tg0 = Number((tcr >> 14n) & 3n);
  const inputBits = 64 - t0sz;
  if (epd0 !== 0n || tg0 !== 0 || va >> BigInt(inputBits) !== 0n) {
    return { ok: false, fsc: FSC_TRANSLATION + 0, level: 0, steps };
  }
  let level = t0sz <= 24 ? 0 : t0sz <= 33 ? 1 : 2;
  let table = Number(ttbr0 & 0x0000_ffff_ffff_fffen) & ~0xfff;
  let tableNoEl0 = false;
  let tableRo = false;
  let tableUxn = false;
  let tablePxn = false;
  for (;;) {
    const index = tableIndex(va, level);
    const addr = table + index * 8;
    if (!bus.isRam(addr, 8)) return { ok: false, fsc: FSC_EXTERNAL, level, steps };
    const desc = bus.ram64[(addr - 0x4000_0000) / 8];
    if (wantSteps) steps.push({ level, tableAddr: table, index, descriptor: desc });
    const kind = descriptorKind(desc, level);
    if (kind === "invalid") return { ok: false, fsc: FSC_TRANSLATION + level, level, steps };
    if (kind === "table") {
      if (desc & TABLE_AP_NO_EL0) tableNoEl0 = true;
      if (desc & TABLE_AP_RO) tableRo = true;
      if (desc & TABLE_UXN) tableUxn = true;
      if (desc & TABLE_PXN) tablePxn = true;
      table = descriptorAddress(desc);
      level++;
      continue;
    }
    if ((desc & DESC_AF) === 0n) return { ok: false, fsc: FSC_ACCESS_FLAG + level, level, steps };
    // Block or page: the page containing va inside it.
    const spanBits = BigInt(39 - 9 * level);
    const base = Number((desc & 0x0000_ffff_ffff_f000n) & ~((1n << spanBits) - 1n));
    const within = Number(va & ((1n << spanBits) - 1n)) & ~0xfff;
    return {
      ok: true,
      pagePa: base + within,
      user: (desc & DESC_AP_EL0) !== 0n && !tableNoEl0,
      writable: (desc & DESC_AP_RO) === 0n && !tableRo,
      userExec: (desc & DESC_UXN) === 0n && !tableUxn,
      privExec: (desc & DESC_PXN) === 0n && !tablePxn,
      global: (desc & DESC_NG) === 0n,
      level,
      steps,
    };
  }
}

/** Permission check of a successful walk for an access at EL0 or EL1; returns a FSC or 0. */
export function checkAccess(w: WalkOk, access: Access, el: 0 | 1): number {
  const fsc = FSC_PERMISSION + w.level;
  if (el === 0) {
    if (!w.user) return fsc;
    if (access === "write" && !w.writable) return fsc;
    if (access === "exec" && !w.userExec) return fsc;
    return 0;
  }
  if (access === "write" && !w.writable) return fsc;
  if (access === "exec" && (!w.privExec || w.user)) return fsc;
  return 0;
}
