// ASID allocator: 16-bit address-space identifiers tagging TLB entries
// (TTBR0_EL1[63:48], Arm ARM D8.11 "Translation Lookaside Buffers"). ASID 0
// is never given to a process: it stays the "no address space" value of a
// freshly reset CPU. Freed ASIDs are reused lowest-first; the caller must
// invalidate the ASID on every CPU's TLB before freeing it (AddressSpace
// .destroy does), so a recycled ASID never hits a stale entry.

export const ASID_BITS = 16;
export const ASID_MAX = (1 << ASID_BITS) - 1;

export class AsidAllocator {
  private readonly used = new Uint8Array(ASID_MAX + 1);
  private next = 1;
  private live = 0;
  allocs = 0;
  frees = 0;

  /** A free ASID in 1..65535, or -1 when all are in use. */
  alloc(): number {
    for (let n = 0; n < ASID_MAX; n++) {
      const a = ((this.next - 1 + n) % ASID_MAX) + 1;
      if (!this.used[a]) {
        this.used[a] = 1;
        this.next = a + 1 > ASID_MAX ? 1 : a + 1;
        this.live++;
        this.allocs++;
        return a;
      }
    }
    return -1;
  }

  /** Release `asid` (TLB already invalidated). Throws if it was not allocated (kernel bug). */
  free(asid: number): void {
    if (!Number.isInteger(asid) || asid < 1 || asid > ASID_MAX || !this.used[asid]) {
      throw new Error(`AsidAllocator.free: ASID ${asid} is not allocated`);
    }
    this.used[asid] = 0;
    this.live--;
    this.frees++;
    // Reuse freed numbers first so ASIDs stay small and predictable.
    if (asid < this.next) this.next = asid;
  }

  isUsed(asid: number): boolean {
    return this.used[asid] === 1;
  }

  snapshot(): { live: number; allocs: number; frees: number; next: number } {
    return { live: this.live, allocs: this.allocs, frees: this.frees, next: this.next };
  }
}
