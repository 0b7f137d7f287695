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

  put(bytes: Uint8Array): { view: Uint8Array; free(): void } | number {
    const ram = this.pmm.bus.ram;
    let cache: SlabCache | undefined;
    for (let i = 0; i < this.caches.length; i++) {
      if (this.caches[i].objectSize >= bytes.length) {
        cache = this.caches[i]; // no closure per message (this runs on every CHANNEL_SEND)
        break;
      }
    }
    let pa: number;
    let free: () => void;
    if (cache) {
      pa = cache.alloc();
      if (pa < 0) return -3;
      free = () => {
        cache.free(pa);
        this.live--;
      };
    } else {
      pa = this.pmm.allocRun(1); // 8 KiB: two pages
      if (pa < 0) return -3;
      free = () => {
        this.pmm.freeRun(pa, 1);
        this.live--;
      };
    }
    const off = pa - RAM_BASE;
    ram.set(bytes, off);
    this.live++;
    this.stored++;
    return { view: ram.subarray(off, off + bytes.length), free };
  }
}
