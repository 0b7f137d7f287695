// A 4-level stage-1 translation table tree in guest RAM (4 KiB granule,
// 48-bit VA, walk from level 0: Arm ARM D8.2), built with the descriptor
// helpers the MMU itself reads (emulator/mmu/descriptors.ts). Every table is
// a page from the Pmm; this module only creates, reads, writes and frees
// entries: policy (what to map, COW, TLB maintenance) lives in vm.ts.
//
//   VA bits  47:39 L0 index | 38:30 L1 | 29:21 L2 | 20:12 L3 | 11:0 offset
//   L0-L2 entries are table descriptors; L3 entries are page descriptors.

import { RAM_BASE } from "../../../emulator/bus.js";
import { descriptorAddress, DESC_VALID, levelSpan, makeTableDescriptor, tableIndex } from "../../../emulator/mmu/descriptors.js";
import { MM_E } from "./layout.js";
import type { Pmm } from "./pmm.js";

const ENTRIES = 512;

export class PageTable {
  private tablePages = 1;

  private constructor(readonly pmm: Pmm, readonly root: number) {}

  /** A tree with an empty level-0 table; -3 when no page is free. */
  static create(pmm: Pmm): PageTable | number {
    const root = pmm.alloc();
    if (root < 0) return MM_E.NO_MEMORY;
    return new PageTable(pmm, root);
  }

  /** Table pages in the tree (root included). */
  get tables(): number {
    return this.tablePages;
  }

  read(slot: number): bigint {
    return this.pmm.bus.ram64[(slot - RAM_BASE) / 8];
  }

  write(slot: number, desc: bigint): void {
    this.pmm.bus.ram64[(slot - RAM_BASE) / 8] = desc;
  }

  /**
   * Physical address of the level-3 entry for `va`. With `create`, missing
   * tables are allocated (zeroed); returns -3 if that runs out of memory.
   * Without `create`, returns -4 when an intermediate table is missing.
   */
  slotFor(va: number, create: boolean): number {
    const bva = BigInt(va);
    let table = this.root;
    for (let level = 0; level < 3; level++) {
      const slot = table + tableIndex(bva, level) * 8;
      const d = this.read(slot);
      if ((d & DESC_VALID) === 0n) {
        if (!create) return MM_E.NOT_FOUND;
        const t = this.pmm.alloc();
        if (t < 0) return MM_E.NO_MEMORY;
        this.tablePages++;
        this.write(slot, makeTableDescriptor(t));
        table = t;
      } else {
        table = descriptorAddress(d);
      }
    }
    return table + tableIndex(bva, 3) * 8;
  }

  /** The level-3 descriptor for `va` (0n if none). */
  leaf(va: number): bigint {
    const slot = this.slotFor(va, false);
    return slot < 0 ? 0n : this.read(slot);
  }

  /** Call fn for every valid level-3 entry mapping a page in [start, end), in VA order. */
  forEachLeaf(start: number, end: number, fn: (va: number, slot: number, desc: bigint) => void): void {
    this.visit(this.root, 0, 0, start, end, fn);
  }

  private visit(table: number, level: number, base: number, start: number, end: number, fn: (va: number, slot: number, desc: bigint) => void): void {
    const span = levelSpan(level);
    const lo = Math.max(start, base);
    const hi = Math.min(end, base + ENTRIES * span);
    if (lo >= hi) return;
    const first = Math.floor((lo - base) / span);
    const last = Math.floor((hi - 1 - base) / span);
    for (let i = first; i <= last; i++) {
      const slot = table + i * 8;
      const d = this.read(slot);
      if ((d & DESC_VALID) === 0n) continue;
      const va = base + i * span;
      if (level === 3) fn(va, slot, d);
      else this.visit(descriptorAddress(d), level + 1, va, start, end, fn);
    }
  }

  /** Each table page with its level and the VA its first entry maps (root first, depth-first). */
  tablesWithBase(): { pa: number; level: number; vaBase: number }[] {
    const out: { pa: number; level: number; vaBase: number }[] = [];
    const rec = (pa: number, level: number, vaBase: number): void => {
      out.push({ pa, level, vaBase });
      if (level === 3) return;
      for (let i = 0; i < ENTRIES; i++) {
        const d = this.read(pa + i * 8);
        if ((d & DESC_VALID) !== 0n) rec(descriptorAddress(d), level + 1, vaBase + i * levelSpan(level));
      }
    };
    rec(this.root, 0, 0);
    return out;
  }

  /** Free every table page (leaves' frames are the caller's business). */
  freeTables(): void {
    for (const t of this.tablesWithBase().reverse()) this.pmm.free(t.pa);
    this.tablePages = 0;
  }
}
