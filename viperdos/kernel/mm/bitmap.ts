// One bit per physical 4 KiB frame of guest RAM: 1 = in use (allocated or
// reserved), 0 = free. The buddy allocator (buddy.ts) keeps it in lockstep
// with its free lists; the bitmap is what a notebook's memory map shows and
// what catches double frees.

export class FrameBitmap {
  private readonly words: Uint32Array;

  constructor(readonly frames: number) {
    this.words = new Uint32Array(Math.ceil(frames / 32));
  }

  /** True if frame `i` is in use. Precondition: 0 <= i < frames. */
  test(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }

  clear(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }

  /** Mark frames [first, first+count) used (true) or free (false). */
  setRange(first: number, count: number, used: boolean): void {
    for (let i = first; i < first + count; i++) {
      if (used) this.set(i);
      else this.clear(i);
    }
  }

  /** Number of used frames in [first, first+count). */
  countUsed(first = 0, count = this.frames): number {
    let n = 0;
    for (let i = first; i < first + count; i++) if (this.test(i)) n++;
    return n;
  }

  /**
   * Run-length summary for snapshots: [[firstFrame, count, used], ...]
   * covering every frame in order.
   */
  runs(): [number, number, boolean][] {
    const out: [number, number, boolean][] = [];
    let start = 0;
    for (let i = 1; i <= this.frames; i++) {
      if (i === this.frames || this.test(i) !== this.test(start)) {
        out.push([start, i - start, this.test(start)]);
        start = i;
      }
    }
    return out;
  }
}
