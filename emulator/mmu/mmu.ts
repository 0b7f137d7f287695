// Per-CPU memory access for EL0 code: a software TLB in front of the stage-1
// walk, with the fast paths translated code calls (`r8`..`r64`, `w8`..`w64`).
//
// Two TLB levels:
//  - a direct-mapped "fast TLB" (FAST_ENTRIES slots per access kind: read,
//    write, exec) holding the RAM offset of each page for the current ASID;
//    flushed when TTBR0 changes, which is cheap;
//  - a backing map keyed by (ASID, virtual page) or (global, page) that
//    survives context switches, invalidated by TLBI semantics.
// A write TLB slot is only filled for pages that hold no translated code, so
// writes to code take the slow path, which invalidates the stale blocks.
//
// On a fault the access sets ESR_EL1/FAR_EL1 in the CpuState and throws
// GUEST_EXCEPTION; translated code has stored the faulting PC beforehand.

import { PhysicalBus, RAM_BASE, BusError } from "../bus.js";
import { CpuState, EC, ExitKind } from "../cpu/state.js";
import { FSC_ALIGNMENT, FSC_EXTERNAL } from "./descriptors.js";
import { Access, checkAccess, walk, WalkOk } from "./walk.js";

/** Thrown (one shared object, never allocated) to unwind out of translated code. */
export const GUEST_EXCEPTION = { guestException: true } as const;

/** The 64-bit VA from its two uint32 halves (slow paths only). */
function joinVa(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

interface FastSet {
  rTag: Float64Array;
  rOff: Float64Array;
  wTag: Float64Array;
  wOff: Float64Array;
  xTag: Float64Array;
  xOff: Float64Array;
}

const FAST_ENTRIES = 256;
/** Fast sets kept (translation contexts); the oldest is dropped beyond this. */
const MAX_FAST_SETS = 64;
/** Key of the set used while translation is off. */
const MMU_OFF_KEY = -1;

function newFastSet(): FastSet {
  return {
    rTag: new Float64Array(FAST_ENTRIES).fill(NO_TAG),
    rOff: new Float64Array(FAST_ENTRIES),
    wTag: new Float64Array(FAST_ENTRIES).fill(NO_TAG),
    wOff: new Float64Array(FAST_ENTRIES),
    xTag: new Float64Array(FAST_ENTRIES).fill(NO_TAG),
    xOff: new Float64Array(FAST_ENTRIES),
  };
}

function clearFastSet(set: FastSet): void {
  set.rTag.fill(NO_TAG);
  set.wTag.fill(NO_TAG);
  set.xTag.fill(NO_TAG);
}
const FAST_MASK = FAST_ENTRIES - 1;
const NO_TAG = -1;

interface TlbEntry {
  pagePa: number;
  user: boolean;
  writable: boolean;
  userExec: boolean;
  global: boolean;
  asid: number;
}

/** TLB statistics for the inspection API and benchmarks. */
export interface TlbStats {
  hits: number;
  misses: number;
  walks: number;
  flushes: number;
}

export class Mmu {
  private readonly ram: Uint8Array;
  private readonly ram16: Uint16Array;
  private readonly ram32: Uint32Array;
  private readonly ram64: BigUint64Array;
  // Fast TLB: tag = VA of the page start (a double), value = RAM offset of the
  // page. One set of arrays per translation context (ASID, or "MMU off"):
  // a context switch swaps the arrays instead of refilling them, and TLBI
  // clears the sets it concerns, so every set is as valid as the TLB itself.
  // (assigned by useSet in the constructor)
  private rTag!: Float64Array;
  private rOff!: Float64Array;
  private wTag!: Float64Array;
  private wOff!: Float64Array;
  private xTag!: Float64Array;
  private xOff!: Float64Array;
  private readonly sets = new Map<number, FastSet>();
  /** Backing TLB: key = asid * 2^36 + vpage (asid 0x10000 for global entries). */
  private readonly backing = new Map<number, TlbEntry>();
  private currentAsid = -1;
  /** Bumped whenever the fast TLB is flushed: cached VA->block links are stale then. */
  generation = 0;
  readonly stats: TlbStats = { hits: 0, misses: 0, walks: 0, flushes: 0 };
  /**
   * Scratch for BigInt -> number address conversion: storing a BigInt into a
   * BigUint64Array and reading two uint32 halves is ~4x faster in V8 11 than
   * Number(bigint), which is not inlined (measured: bench notes in README).
   */
  private readonly sc64 = new BigUint64Array(1);
  private readonly sc32 = new Uint32Array(this.sc64.buffer);

  constructor(readonly bus: PhysicalBus, readonly cpu: CpuState) {
    const set = newFastSet();
    this.sets.set(MMU_OFF_KEY, set);
    this.useSet(set);
    this.ram = bus.ram;
    this.ram16 = bus.ram16;
    this.ram32 = bus.ram32;
    this.ram64 = bus.ram64;
  }

  /** Make `set` the fast TLB the access paths use. */
  private useSet(set: FastSet): void {
    this.rTag = set.rTag;
    this.rOff = set.rOff;
    this.wTag = set.wTag;
    this.wOff = set.wOff;
    this.xTag = set.xTag;
    this.xOff = set.xOff;
  }

  // --- TLB maintenance (TLBI semantics) -------------------------------------

  /** Call after TTBR0/TCR/SCTLR change: the fast TLB follows the new ASID. */
  contextChanged(): void {
    this.currentAsid = this.cpu.asid();
    const key = this.mmuOn() ? this.currentAsid : MMU_OFF_KEY;
    let set = this.sets.get(key);
    if (!set) {
      if (this.sets.size >= MAX_FAST_SETS) this.sets.delete(this.sets.keys().next().value!);
      set = newFastSet();
      this.sets.set(key, set);
    }
    this.useSet(set);
    this.generation++; // block chains are VA links: the new context may map VAs elsewhere
    this.stats.flushes++;
  }

  /** TLBI VMALLE1: invalidate everything. */
  invalidateAll(): void {
    this.backing.clear();
    this.flushFast();
  }

  /** TLBI ASIDE1: invalidate non-global entries of `asid`. */
  invalidateAsid(asid: number): void {
    for (const [k, e] of this.backing) if (!e.global && e.asid === asid) this.backing.delete(k);
    const set = this.sets.get(asid);
    if (set) clearFastSet(set);
    this.generation++;
  }

  /** TLBI VAE1 / VAAE1: invalidate one page, for `asid` (or every ASID when undefined). */
  invalidateVa(va: bigint, asid?: number): void {
    const vpage = Number((va >> 12n) & 0xf_ffff_ffffn);
    let global = asid === undefined;
    for (const [k, e] of this.backing) {
      if (k % 2 ** 36 !== vpage) continue;
      if (asid === undefined || e.global || e.asid === asid) {
        if (e.global) global = true;
        this.backing.delete(k);
      }
    }
    const idx = vpage & FAST_MASK;
    for (const [key, set] of this.sets) {
      if (global || key === asid) {
        set.rTag[idx] = NO_TAG;
        set.wTag[idx] = NO_TAG;
        set.xTag[idx] = NO_TAG;
      }
    }
    this.generation++;
  }

  /** Drop write permission from the fast TLB (a page just became a code page). */
  flushWriteFast(): void {
    for (const set of this.sets.values()) set.wTag.fill(NO_TAG);
  }

  /** Empty every fast set (TLBI ALL). */
  private flushFast(): void {
    this.generation++;
    for (const set of this.sets.values()) clearFastSet(set);
    this.stats.flushes++;
  }

  // --- Translation -----------------------------------------------------------

  private mmuOn(): boolean {
    return (this.cpu.sctlr & 1n) !== 0n;
  }

  /**
   * Translate an EL0 access, filling the TLBs. Returns the physical address,
   * or sets ESR/FAR and throws GUEST_EXCEPTION.
   */
  translate(va: bigint, access: Access): number {
    const pa = this.tryTranslate(va, access);
    if (pa >= 0) return pa;
    return this.raiseAbort(va, access, -pa);
  }

  /**
   * Like translate but returns -FSC instead of throwing (FSC is never 0 for a fault).
   * Used by the host kernel for probing user memory.
   */
  tryTranslate(va: bigint, access: Access): number {
    this.stats.misses++;
    if (va >> 48n !== 0n) return -4; // translation fault level 0 (outside TTBR0)
    const vpage = Number(va >> 12n);
    let e: TlbEntry | undefined;
    if (!this.mmuOn()) {
      // Translation off: VA = PA, everything accessible (Arm ARM D8.2.10 treats it as Device/Normal by SCTLR.C; we do not model caches).
      e = { pagePa: vpage * 4096, user: true, writable: true, userExec: true, global: true, asid: 0 };
    } else {
      if (this.currentAsid < 0) this.currentAsid = this.cpu.asid();
      e = this.backing.get(this.currentAsid * 2 ** 36 + vpage) ?? this.backing.get(0x10000 * 2 ** 36 + vpage);
    }
    if (!e) {
      this.stats.walks++;
      const w = walk(this.bus, this.cpu.ttbr0, this.cpu.tcr, va);
      if (!w.ok) return -w.fsc;
      const fsc = checkAccess(w, access, 0);
      if (fsc) return -fsc;
      e = this.entryFrom(w);
      this.backing.set((e.global ? 0x10000 : this.currentAsid) * 2 ** 36 + vpage, e);
    } else {
      if (!e.user) return -(0x0c + 3);
      if (access === "write" && !e.writable) return -(0x0c + 3);
      if (access === "exec" && !e.userExec) return -(0x0c + 3);
    }
    const pageVa = vpage * 4096;
    const idx = vpage & FAST_MASK;
    if (this.bus.isRam(e.pagePa, 4096)) {
      const off = e.pagePa - RAM_BASE;
      if (e.user) {
        this.rTag[idx] = pageVa;
        this.rOff[idx] = off;
      }
      if (e.user && e.writable && this.bus.codePages[off >>> 12] === 0) {
        this.wTag[idx] = pageVa;
        this.wOff[idx] = off;
      }
      if (e.user && e.userExec) {
        this.xTag[idx] = pageVa;
        this.xOff[idx] = off;
      }
    }
    return e.pagePa + Number(va & 0xfffn);
  }

  private entryFrom(w: WalkOk): TlbEntry {
    return {
      pagePa: w.pagePa,
      user: w.user,
      writable: w.writable,
      userExec: w.userExec,
      global: w.global,
      asid: this.currentAsid,
    };
  }

  /** Record a data/instruction abort in ESR/FAR and unwind. Does not return. */
  raiseAbort(va: bigint, access: Access, fsc: number): never {
    const c = this.cpu;
    const ec = access === "exec" ? EC.IABT_LOW : EC.DABT_LOW;
    const wnr = access === "write" ? 1 << 6 : 0;
    c.esr = (ec << 26) | (1 << 25) | wnr | fsc;
    c.far = va;
    c.exit = fsc === FSC_ALIGNMENT ? ExitKind.Alignment : ExitKind.Abort;
    throw GUEST_EXCEPTION;
  }

  /** Alignment fault for exclusives/acquire-release on a misaligned address. */
  alignmentFault(va: bigint, write: boolean): never {
    return this.raiseAbort(va, write ? "write" : "read", FSC_ALIGNMENT);
  }

  // --- Instruction fetch -------------------------------------------------------

  /** Physical address of the instruction at `pc`; faults with an instruction abort. */
  fetchPa(pc: number): number {
    if (pc % 4 !== 0) {
      const c = this.cpu;
      c.esr = (EC.PC_ALIGN << 26) | (1 << 25);
      c.far = BigInt(pc);
      c.exit = ExitKind.Alignment;
      throw GUEST_EXCEPTION;
    }
    const off = pc & 0xfff;
    const pageVa = pc - off;
    const idx = (pc / 4096) & FAST_MASK;
    if (this.xTag[idx] === pageVa) return this.xOff[idx] + RAM_BASE + off;
    return this.translate(BigInt(pc), "exec");
  }

  // --- Data access fast paths (EL0) --------------------------------------------

  // The BigInt-address forms: the same fast paths through the split-address
  // ones below (V8 inlines the call); translated code mostly uses those
  // directly via BlockBuilder.addrArgs.

  r8(va: bigint): number {
    this.sc64[0] = va;
    return this.ld8(this.sc32[0], this.sc32[1]);
  }

  r16(va: bigint): number {
    this.sc64[0] = va;
    return this.ld16(this.sc32[0], this.sc32[1]);
  }

  r32(va: bigint): number {
    this.sc64[0] = va;
    return this.ld32(this.sc32[0], this.sc32[1]);
  }

  r64(va: bigint): bigint {
    this.sc64[0] = va;
    return this.ld64(this.sc32[0], this.sc32[1]);
  }

  w8(va: bigint, v: number): void {
    this.sc64[0] = va;
    this.st8(this.sc32[0], this.sc32[1], v);
  }

  w16(va: bigint, v: number): void {
    this.sc64[0] = va;
    this.st16(this.sc32[0], this.sc32[1], v);
  }

  w32(va: bigint, v: number): void {
    this.sc64[0] = va;
    this.st32(this.sc32[0], this.sc32[1], v);
  }

  w64(va: bigint, v: bigint): void {
    this.sc64[0] = va;
    this.st64(this.sc32[0], this.sc32[1], v);
  }

  // --- Split-address fast paths ----------------------------------------------------
  // Translated code passes the VA as two uint32 halves (converted through the
  // CPU's scratch array, see BlockBuilder.addrArgs), so no BigInt crosses the
  // call: ~3x faster than the BigInt-argument forms above in V8 11.

  ld8(lo: number, hi: number): number {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.rTag[i] === hi * 4294967296 + (lo - o)) return this.ram[this.rOff[i] + o];
    return Number(this.slowRead(joinVa(lo, hi), 1));
  }

  ld16(lo: number, hi: number): number {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.rTag[i] === hi * 4294967296 + (lo - o) && (o & 1) === 0) return this.ram16[(this.rOff[i] + o) >>> 1];
    return Number(this.slowRead(joinVa(lo, hi), 2));
  }

  ld32(lo: number, hi: number): number {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.rTag[i] === hi * 4294967296 + (lo - o) && (o & 3) === 0) return this.ram32[(this.rOff[i] + o) >>> 2];
    return Number(this.slowRead(joinVa(lo, hi), 4));
  }

  ld64(lo: number, hi: number): bigint {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.rTag[i] === hi * 4294967296 + (lo - o) && (o & 7) === 0) return this.ram64[(this.rOff[i] + o) >>> 3];
    return this.slowRead(joinVa(lo, hi), 8);
  }

  st8(lo: number, hi: number, v: number): void {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.wTag[i] === hi * 4294967296 + (lo - o)) this.ram[this.wOff[i] + o] = v;
    else this.slowWrite(joinVa(lo, hi), 1, BigInt(v & 0xff));
  }

  st16(lo: number, hi: number, v: number): void {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.wTag[i] === hi * 4294967296 + (lo - o) && (o & 1) === 0) this.ram16[(this.wOff[i] + o) >>> 1] = v;
    else this.slowWrite(joinVa(lo, hi), 2, BigInt(v & 0xffff));
  }

  st32(lo: number, hi: number, v: number): void {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.wTag[i] === hi * 4294967296 + (lo - o) && (o & 3) === 0) this.ram32[(this.wOff[i] + o) >>> 2] = v;
    else this.slowWrite(joinVa(lo, hi), 4, BigInt(v >>> 0));
  }

  st64(lo: number, hi: number, v: bigint): void {
    const i = (lo >>> 12) & FAST_MASK;
    const o = lo & 0xfff;
    if (this.wTag[i] === hi * 4294967296 + (lo - o) && (o & 7) === 0) this.ram64[(this.wOff[i] + o) >>> 3] = v;
    else this.slowWrite(joinVa(lo, hi), 8, v);
  }

  /** 128-bit load as [lo, hi]. */
  r128(va: bigint, out: BigUint64Array, index: number): void {
    // Check both halves before writing anything (the access is single-copy per half).
    const lo = this.r64(va);
    const hi = this.r64((va + 8n) & 0xffff_ffff_ffff_ffffn);
    out[index] = lo;
    out[index + 1] = hi;
  }

  /** Probe that a write to [va, va+len) would succeed, faulting otherwise (no side effects). */
  probeWrite(va: bigint, len: number): void {
    this.translate(va, "write");
    const last = (va + BigInt(len - 1)) & 0xffff_ffff_ffff_ffffn;
    if (last >> 12n !== va >> 12n) this.translate(last, "write");
  }

  /** Probe that a read of [va, va+len) would succeed. */
  probeRead(va: bigint, len: number): void {
    this.translate(va, "read");
    const last = (va + BigInt(len - 1)) & 0xffff_ffff_ffff_ffffn;
    if (last >> 12n !== va >> 12n) this.translate(last, "read");
  }

  // --- Slow paths: misses, unaligned, page-crossing, MMIO ----------------------

  /** Read `size` bytes at `va` (any alignment, may cross a page). */
  slowRead(va: bigint, size: 1 | 2 | 4 | 8): bigint {
    const a = va & 0xffff_ffff_ffff_ffffn;
    const pas = this.bytePages(a, size, "read");
    if (!pas) return this.physRead(va, this.translate(a, "read"), size);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | this.physRead(va, pas(k), 1);
    return v;
  }

  /** Write `size` bytes at `va` (any alignment, may cross a page). */
  slowWrite(va: bigint, size: 1 | 2 | 4 | 8, v: bigint): void {
    const a = va & 0xffff_ffff_ffff_ffffn;
    const pas = this.bytePages(a, size, "write");
    if (!pas) {
      this.physWrite(va, this.translate(a, "write"), size, v);
      return;
    }
    for (let k = 0; k < size; k++) this.physWrite(va, pas(k), 1, (v >> BigInt(8 * k)) & 0xffn);
  }

  /**
   * For an access that crosses a page boundary, translate both pages up front
   * (so a fault on the second leaves no partial effect) and return a map from
   * byte index to physical address; undefined when the access fits one page.
   */
  private bytePages(a: bigint, size: number, access: Access): ((k: number) => number) | undefined {
    const first = 0x1000 - Number(a & 0xfffn); // bytes on the first page
    if (first >= size) return undefined;
    const pa0 = this.translate(a, access);
    const pa1 = this.translate(((a >> 12n) + 1n) << 12n & 0xffff_ffff_ffff_ffffn, access);
    return (k) => (k < first ? pa0 + k : pa1 + (k - first));
  }

  private physRead(va: bigint, pa: number, size: 1 | 2 | 4 | 8): bigint {
    try {
      return this.bus.read(pa, size);
    } catch (e) {
      if (e instanceof BusError) return this.raiseAbort(va, "read", FSC_EXTERNAL);
      throw e;
    }
  }

  private physWrite(va: bigint, pa: number, size: 1 | 2 | 4 | 8, v: bigint): void {
    try {
      this.bus.write(pa, size, v);
    } catch (e) {
      if (e instanceof BusError) this.raiseAbort(va, "write", FSC_EXTERNAL);
      throw e;
    }
  }
}
