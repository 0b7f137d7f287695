// Slab caches: fixed-size objects carved from guest pages (message buffers
// and small kernel objects that live in guest memory, so a notebook can dump
// them and DMA-like copies are real memory traffic).
//
// Each slab is one page from the Pmm holding floor(4096 / objectSize)
// objects; a per-slab bitmask records which are in use. Objects come back
// zeroed (they are cleared on free, and pages start zeroed). A slab that
// becomes empty is returned to the Pmm, except the last one, kept warm so an
// alloc/free ping-pong does not churn pages.
//
// Caches register per Pmm (one machine = one Pmm), so several machines in
// one notebook keep separate lists; slabStats(pmm) lists them.

import { PAGE_SIZE } from "../../../emulator/bus.js";
import type { Pmm } from "./pmm.js";

export const SLAB_MIN_OBJECT = 8;
export const SLAB_MAX_OBJECT = PAGE_SIZE;

interface Slab {
  pa: number;
  used: Uint8Array; // 1 per object in use
  inUse: number;
}

export interface SlabStats {
  name: string;
  objectSize: number;
  objectsPerSlab: number;
  slabs: number;
  inUse: number;
  freeObjects: number;
  allocs: number;
  frees: number;
  failures: number;
  /** Bytes of pages held vs bytes handed out (internal fragmentation view). */
  bytesHeld: number;
  bytesInUse: number;
}

const registries = new WeakMap<Pmm, SlabCache[]>();

export class SlabCache {
  readonly objectSize: number;
  readonly objectsPerSlab: number;
  private readonly slabs = new Map<number, Slab>();
  private allocs = 0;
  private frees = 0;
  private failures = 0;
  private destroyed = false;

  /**
   * A cache of `objectSize`-byte objects (rounded up to 8; 8..4096) named
   * `name` (unique per Pmm). Throws on a bad size or duplicate name: both
   * are kernel configuration bugs.
   */
  constructor(readonly pmm: Pmm, readonly name: string, objectSize: number) {
    if (!Number.isInteger(objectSize) || objectSize < 1 || objectSize > SLAB_MAX_OBJECT) {
      throw new Error(`SlabCache: object size ${objectSize} for "${name}" must be 1..${SLAB_MAX_OBJECT}`);
    }
    this.objectSize = Math.max(SLAB_MIN_OBJECT, Math.ceil(objectSize / 8) * 8);
    this.objectsPerSlab = Math.floor(PAGE_SIZE / this.objectSize);
    const list = registries.get(pmm) ?? [];
    if (list.some((c) => c.name === name)) throw new Error(`SlabCache: a cache named "${name}" already exists`);
    list.push(this);
    registries.set(pmm, list);
  }

  /** A zeroed object: its physical address, or -1 when no page is available. */
  alloc(): number {
    if (this.destroyed) throw new Error(`SlabCache.alloc: cache "${this.name}" was destroyed`);
    let slab: Slab | undefined;
    for (const s of this.slabs.values()) {
      if (s.inUse < this.objectsPerSlab) {
        slab = s;
        break;
      }
    }
    if (!slab) {
      const pa = this.pmm.alloc();
      if (pa < 0) {
        this.failures++;
        return -1;
      }
      slab = { pa, used: new Uint8Array(this.objectsPerSlab), inUse: 0 };
      this.slabs.set(pa, slab);
    }
    const i = slab.used.indexOf(0);
    slab.used[i] = 1;
    slab.inUse++;
    this.allocs++;
    return slab.pa + i * this.objectSize;
  }

  /**
   * Return object `pa` to the cache (zeroing it). Throws on an address this
   * cache did not hand out, or a double free (kernel bugs).
   */
  free(pa: number): void {
    const page = pa - (pa % PAGE_SIZE);
    const slab = this.slabs.get(page);
    const off = pa - page;
    const i = off / this.objectSize;
    if (!slab || !Number.isInteger(i) || i >= this.objectsPerSlab || slab.used[i] === 0) {
      throw new Error(`SlabCache.free: 0x${pa.toString(16)} is not a live object of "${this.name}"`);
    }
    slab.used[i] = 0;
    slab.inUse--;
    this.frees++;
    this.pmm.bus.fill(pa, this.objectSize);
    if (slab.inUse === 0 && this.slabs.size > 1) {
      this.slabs.delete(page);
      this.pmm.free(page);
    }
  }

  /** True if `pa` is a live object of this cache. */
  owns(pa: number): boolean {
    const page = pa - (pa % PAGE_SIZE);
    const slab = this.slabs.get(page);
    const i = (pa - page) / this.objectSize;
    return !!slab && Number.isInteger(i) && i < this.objectsPerSlab && slab.used[i] === 1;
  }

  /** Same as stats(): plain JSON for notebooks. */
  snapshot(): SlabStats {
    return this.stats();
  }

  stats(): SlabStats {
    let inUse = 0;
    for (const s of this.slabs.values()) inUse += s.inUse;
    return {
      name: this.name,
      objectSize: this.objectSize,
      objectsPerSlab: this.objectsPerSlab,
      slabs: this.slabs.size,
      inUse,
      freeObjects: this.slabs.size * this.objectsPerSlab - inUse,
      allocs: this.allocs,
      frees: this.frees,
      failures: this.failures,
      bytesHeld: this.slabs.size * PAGE_SIZE,
      bytesInUse: inUse * this.objectSize,
    };
  }

  /**
   * Give every page back and unregister. Returns 0, or -8 (busy) if objects
   * are still in use (nothing is freed then).
   */
  destroy(): number {
    for (const s of this.slabs.values()) if (s.inUse > 0) return -8;
    for (const pa of this.slabs.keys()) this.pmm.free(pa);
    this.slabs.clear();
    this.destroyed = true;
    const list = registries.get(this.pmm) ?? [];
    registries.set(this.pmm, list.filter((c) => c !== this));
    return 0;
  }
}

/** Stats of every live cache on `pmm`, in creation order. */
export function slabStats(pmm: Pmm): SlabStats[] {
  return (registries.get(pmm) ?? []).map((c) => c.stats());
}

/** Plain JSON view of every cache on `pmm` (the notebook's slab table). */
export function slabSnapshot(pmm: Pmm): { caches: SlabStats[] } {
  return { caches: slabStats(pmm) };
}

/** The live caches on `pmm` (the registry). */
export function slabCaches(pmm: Pmm): readonly SlabCache[] {
  return registries.get(pmm) ?? [];
}
