// Channel message payloads in guest memory: each queued message's bytes sit
// in a slab object of the smallest size class that fits (64 B .. 4 KiB), or
// in a two-page buddy run for 4-8 KiB, so the memory notebook can show them
// and the PMM/slab counters account for IPC. Freed when the message is
// received or dropped.

import { RAM_BASE } from "../../../emulator/bus.js";
import type { Pmm } from "../mm/pmm.js";
import { SlabCache } from "../mm/slab.js";
import type { MessageStore } from "./channel.js";

const SIZE_CLASSES = [64, 256, 1024, 4096];

export class GuestMessageStore implements MessageStore {
  private readonly caches: SlabCache[];
  /** Payloads stored now, and since boot (for the inspection API). */
  live = 0;
  stored = 0;

  constructor(private readonly pmm: Pmm) {
    this.caches = SIZE_CLASSES.map((size) => new SlabCache(pmm, `msgbuf-${size}`, size));
  }

  /** The cache for a payload of `len` bytes, or undefined for 4-8 KiB (a two-page buddy run). */
  private cacheFor(len: number): SlabCache | undefined {
    for (let i = 0; i < this.caches.length; i++) if (this.caches[i].objectSize >= len) return this.caches[i];
    return undefined;
  }

  put(bytes: Uint8Array): Uint8Array | number {
    const cache = this.cacheFor(bytes.length);
    const pa = cache ? cache.alloc() : this.pmm.allocRun(1); // 8 KiB: two pages
    if (pa < 0) return -3;
    const ram = this.pmm.bus.ram;
    const off = pa - RAM_BASE;
    ram.set(bytes, off);
    this.live++;
    this.stored++;
    return ram.subarray(off, off + bytes.length);
  }

  /** Free a view put() returned: its RAM offset is the object's address, its length picks the cache. */
  free(view: Uint8Array): void {
    const pa = view.byteOffset - this.pmm.bus.ram.byteOffset + RAM_BASE;
    const cache = this.cacheFor(view.length);
    if (cache) cache.free(pa);
    else this.pmm.freeRun(pa, 1);
    this.live--;
  }
}
