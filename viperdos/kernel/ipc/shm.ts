// Shared memory objects (SHM_CREATE 0x109, SHM_MAP 0x10A, SHM_UNMAP 0x10B,
// SHM_CLOSE 0x10C). An object is a list of physical frames obtained from an
// injected allocator; any process holding a handle may map it (vm.ts maps it
// in the 0x70_0000_0000 area and calls attachMapping/detachMapping). The
// frames are unreferenced when the last handle AND the last mapping go:
// both hold a reference on the object (KernelObject refcount).
//
// The frames are charged to the creator's MEMORY_PAGES limit until freed.
// Size is rounded up to whole 4 KiB pages; 0 or more than SHM_MAX_BYTES -> -2.

import { E } from "../errors.js";
import { type HandleTable } from "../cap/handles.js";
import { PAGE_SIZE, Resource, type ResourceLimits } from "../cap/limits.js";
import { defaultIds, IdSource, KernelObject } from "../cap/objects.js";
import { IPC_DEFAULT_RIGHTS, Rights } from "../cap/rights.js";

export const SHM_MAX_BYTES = 64 * 1024 * 1024;

/** Physical frames (mm/pmm.ts fits): alloc() gives a zeroed frame's PA holding one reference, or < 0. */
export interface FrameAllocator {
  alloc(): number;
  ref(pa: number): void;
  unref(pa: number): void;
}

export class ShmObject extends KernelObject {
  mappings = 0;

  constructor(
    readonly size: number,
    readonly frames: readonly number[],
    private readonly allocator: FrameAllocator,
    private readonly charged: ResourceLimits,
    ids?: IdSource,
  ) {
    super("shm", ids);
  }

  get pages(): number {
    return this.frames.length;
  }

  /** A mapping of this object was made (vm.ts): keeps it alive until detachMapping. */
  attachMapping(): void {
    this.retain();
    this.mappings++;
  }

  /** A mapping was removed (munmap or address-space teardown). Precondition: one was attached. */
  detachMapping(): void {
    if (this.mappings <= 0) throw new Error(`ShmObject.detachMapping: shm#${this.id} has no mapping`);
    this.mappings--;
    this.release();
  }

  protected override onLastRelease(): void {
    for (const pa of this.frames) this.allocator.unref(pa);
    this.charged.uncharge(Resource.MEMORY_PAGES, this.frames.length);
  }

  override describe(): Record<string, unknown> {
    return { size: this.size, pages: this.pages, mappings: this.mappings, frames: [...this.frames] };
  }
}

/**
 * SHM_CREATE: a shared memory object of `size` bytes (rounded up to pages)
 * with a handle in `table` (READ, WRITE, DERIVE, TRANSFER). Returns
 * { handle, shm }, -2 for a bad size, -3 when over the MEMORY_PAGES limit or
 * out of frames (frames already taken are given back), -501 table full.
 */
export function shmCreate(table: HandleTable, allocator: FrameAllocator, size: number, ids: IdSource = defaultIds): { handle: number; shm: ShmObject } | number {
  if (!Number.isSafeInteger(size) || size <= 0 || size > SHM_MAX_BYTES) return E.INVALID_ARG;
  if (!table.canAccept(1)) return E.NO_RESOURCE;
  const pages = Math.ceil(size / PAGE_SIZE);
  if (table.limits.charge(Resource.MEMORY_PAGES, pages) !== E.OK) return E.NO_MEMORY;
  const frames: number[] = [];
  for (let i = 0; i < pages; i++) {
    const pa = allocator.alloc();
    if (pa < 0) {
      for (const f of frames) allocator.unref(f);
      table.limits.uncharge(Resource.MEMORY_PAGES, pages);
      return E.NO_MEMORY;
    }
    frames.push(pa);
  }
  const shm = new ShmObject(size, frames, allocator, table.limits, ids);
  const handle = table.insert(shm, IPC_DEFAULT_RIGHTS);
  if (handle < 0) {
    for (const f of frames) allocator.unref(f);
    table.limits.uncharge(Resource.MEMORY_PAGES, pages);
    return handle;
  }
  return { handle, shm };
}

/**
 * For SHM_MAP: the object behind handle `h` if the caller may map it with
 * `writable` access (READ always needed, WRITE too when writable). Returns the
 * object, or -100/-101, -102 (not shm), -6. The caller maps the frames and
 * then calls shm.attachMapping().
 */
export function shmForMapping(table: HandleTable, h: number, writable: boolean): ShmObject | number {
  return table.getObject(h, ShmObject, Rights.READ | (writable ? Rights.WRITE : 0));
}

/** SHM_CLOSE: closes handle `h` (mappings keep the object alive). Returns 0, -100/-101, -102. */
export function shmClose(table: HandleTable, h: number): number {
  const e = table.get(h, "shm");
  return typeof e === "number" ? e : table.close(h);
}
