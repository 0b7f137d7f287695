// The physical address space: RAM at RAM_BASE plus an MMIO handler table.
// Host code (the kernel, device models, loaders) and the MMU's slow paths use
// it; translated guest code reaches RAM through the TLB fast path instead.
//
// Writes to a physical page that holds translated code invalidate that code
// (v86's habit): `codePages` counts compiled blocks per page and
// `onCodeWrite` is called when such a page is written.

export const RAM_BASE = 0x4000_0000;
export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/** A memory-mapped device window. Offsets are relative to its base. */
export interface MmioDevice {
  readonly name: string;
  /** Size of the register window in bytes. */
  readonly size: number;
  /** Read `width` bytes (1, 2 or 4) at `offset`; returns the unsigned value. */
  read(offset: number, width: 1 | 2 | 4): number;
  /** Write the low `width` bytes of `value` at `offset`. */
  write(offset: number, width: 1 | 2 | 4, value: number): void;
}

interface MmioMapping {
  base: number;
  end: number;
  device: MmioDevice;
}

/** Thrown for a physical access that hits neither RAM nor a device. */
export class BusError extends Error {
  constructor(readonly pa: number, readonly write: boolean) {
    super(`bus error: ${write ? "write" : "read"} at physical 0x${pa.toString(16)}`);
  }
}

export class PhysicalBus {
  readonly ramSize: number;
  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Uint32Array;
  readonly ram64: BigUint64Array;
  readonly ramView: DataView;
  private readonly mmio: MmioMapping[] = [];
  /** Compiled blocks per physical RAM page (index = (pa - RAM_BASE) >> 12). */
  readonly codePages: Uint16Array;
  /** Called with a RAM page index when a code page is written. */
  onCodeWrite: (page: number) => void = () => {};

  constructor(ramSize: number) {
    if (ramSize <= 0 || ramSize % PAGE_SIZE !== 0 || ramSize > 0xc000_0000) {
      throw new Error(`PhysicalBus: RAM size ${ramSize} must be a positive multiple of 4096 below 3 GiB`);
    }
    this.ramSize = ramSize;
    const buf = new ArrayBuffer(ramSize);
    this.ram = new Uint8Array(buf);
    this.ram16 = new Uint16Array(buf);
    this.ram32 = new Uint32Array(buf);
    this.ram64 = new BigUint64Array(buf);
    this.ramView = new DataView(buf);
    this.codePages = new Uint16Array(ramSize / PAGE_SIZE);
  }

  /** Map `device` at physical `base`. Windows must not overlap RAM or each other. */
  map(base: number, device: MmioDevice): void {
    const end = base + device.size;
    if (end > RAM_BASE && base < RAM_BASE + this.ramSize) throw new Error(`map: ${device.name} overlaps RAM`);
    for (const m of this.mmio) {
      if (base < m.end && end > m.base) throw new Error(`map: ${device.name} overlaps ${m.device.name}`);
    }
    this.mmio.push({ base, end, device });
    this.mmio.sort((a, b) => a.base - b.base);
  }

  /** True if [pa, pa+len) lies inside RAM. */
  isRam(pa: number, len = 1): boolean {
    return pa >= RAM_BASE && pa + len <= RAM_BASE + this.ramSize;
  }

  /** The device mapped at `pa`, with the offset into its window. */
  findMmio(pa: number): { device: MmioDevice; offset: number } | undefined {
    for (const m of this.mmio) {
      if (pa >= m.base && pa < m.end) return { device: m.device, offset: pa - m.base };
    }
    return undefined;
  }

  /** Read 1, 2, 4 or 8 bytes at physical `pa` (little-endian). Throws BusError. */
  read(pa: number, width: 1 | 2 | 4 | 8): bigint {
    if (this.isRam(pa, width)) {
      const o = pa - RAM_BASE;
      switch (width) {
        case 1: return BigInt(this.ram[o]);
        case 2: return BigInt(this.ramView.getUint16(o, true));
        case 4: return BigInt(this.ramView.getUint32(o, true));
        case 8: return this.ramView.getBigUint64(o, true);
      }
    }
    const hit = this.findMmio(pa);
    if (!hit || hit.offset + width > hit.device.size) throw new BusError(pa, false);
    if (width === 8) {
      const lo = hit.device.read(hit.offset, 4) >>> 0;
      const hi = hit.device.read(hit.offset + 4, 4) >>> 0;
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return BigInt(hit.device.read(hit.offset, width) >>> 0);
  }

  /** Write 1, 2, 4 or 8 bytes at physical `pa`. Throws BusError. */
  write(pa: number, width: 1 | 2 | 4 | 8, value: bigint): void {
    if (this.isRam(pa, width)) {
      const o = pa - RAM_BASE;
      this.noteWrite(o, width);
      switch (width) {
        case 1: this.ram[o] = Number(value & 0xffn); return;
        case 2: this.ramView.setUint16(o, Number(value & 0xffffn), true); return;
        case 4: this.ramView.setUint32(o, Number(value & 0xffffffffn), true); return;
        case 8: this.ramView.setBigUint64(o, BigInt.asUintN(64, value), true); return;
      }
    }
    const hit = this.findMmio(pa);
    if (!hit || hit.offset + width > hit.device.size) throw new BusError(pa, true);
    if (width === 8) {
      hit.device.write(hit.offset, 4, Number(value & 0xffffffffn));
      hit.device.write(hit.offset + 4, 4, Number((value >> 32n) & 0xffffffffn));
      return;
    }
    hit.device.write(hit.offset, width, Number(value & 0xffffffffn));
  }

  read32(pa: number): number {
    return Number(this.read(pa, 4));
  }

  write32(pa: number, value: number): void {
    this.write(pa, 4, BigInt(value >>> 0));
  }

  /** Copy bytes out of RAM. Throws BusError if the range is not all RAM. */
  readBytes(pa: number, len: number): Uint8Array {
    if (!this.isRam(pa, len)) throw new BusError(pa, false);
    const o = pa - RAM_BASE;
    return this.ram.slice(o, o + len);
  }

  /** Copy bytes into RAM, invalidating translated code on the pages written. */
  writeBytes(pa: number, data: Uint8Array): void {
    if (!this.isRam(pa, data.length)) throw new BusError(pa, true);
    const o = pa - RAM_BASE;
    this.noteWrite(o, data.length);
    this.ram.set(data, o);
  }

  /** Zero a RAM range (e.g. a fresh page). */
  fill(pa: number, len: number, byte = 0): void {
    if (!this.isRam(pa, len)) throw new BusError(pa, true);
    const o = pa - RAM_BASE;
    this.noteWrite(o, len);
    this.ram.fill(byte, o, o + len);
  }

  /** Tell the translator about writes into pages holding compiled code. */
  noteWrite(ramOffset: number, len: number): void {
    if (len <= 0) return;
    const first = ramOffset >>> PAGE_SHIFT;
    const last = (ramOffset + len - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) {
      if (this.codePages[p] !== 0) this.onCodeWrite(p);
    }
  }
}
