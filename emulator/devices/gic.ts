// GICv2 interrupt controller (Arm IHI 0048B): one distributor and one CPU
// interface per CPU, without the Security Extensions.
//
// INTIDs: 0-15 SGIs and 16-31 PPIs are banked per CPU; 32..NUM_INTIDS-1 are
// SPIs shared by all CPUs (GICD_TYPER.ITLinesNumber = 2, so 96 INTIDs).
// 1020-1023 are special; 1023 is "spurious" (nothing to acknowledge).
//
// Banking: registers 0-31 of the distributor and the whole CPU interface are
// per CPU. A bus access does not carry the CPU's identity, so the GIC has a
// `currentCpu` that the machine sets (Machine.setCurrentCpu) before host code
// acts for a CPU; `distributor` and `cpuInterface` follow it. Fixed views
// for one CPU are available as distributorFor(i) / cpuInterfaceFor(i).
//
// Model choices (all allowed by the architecture, documented here once):
// - All 8 priority bits are implemented; BPR is stored and used for the
//   preemption test; ABPR is a plain register.
// - Groups are stored (IGROUPR); GICD_CTLR bit 0/1 enable forwarding of
//   group 0/1, GICC_CTLR bit 0/1 signal them. Both groups are signalled as
//   IRQ (FIQ is not modelled); IAR acknowledges either group; AIAR, AEOIR
//   and AHPPIR behave as IAR, EOIR and HPPIR.
// - GICC_CTLR.EOImode (bit 9): 0 = EOIR drops priority and deactivates;
//   1 = EOIR only drops priority and GICC_DIR deactivates.
// - SGIs are edge-triggered (ICFGR0 reads 0xAAAAAAAA); PPIs are level-
//   sensitive (ICFGR1 reads 0); SPI config is writable (bit 1 of each field).
// - Among equal priorities the lowest INTID wins.
//
// Output: each CPU's `irqLine` (CpuState field) is set exactly when that
// CPU has a pending, enabled interrupt whose priority beats both PMR and
// the running priority and both the distributor and the interface forward
// it. It is recomputed after every state change.

import type { MmioDevice } from "../bus.js";

export const NUM_INTIDS = 96;
export const INTID_SPURIOUS = 1023;
const NUM_SPIS = NUM_INTIDS - 32;
const IDLE_PRIORITY = 0xff;

/** GICD register offsets (IHI 0048B table 4-1). */
export const GICD = {
  CTLR: 0x000, TYPER: 0x004, IIDR: 0x008,
  IGROUPR: 0x080, ISENABLER: 0x100, ICENABLER: 0x180,
  ISPENDR: 0x200, ICPENDR: 0x280, ISACTIVER: 0x300, ICACTIVER: 0x380,
  IPRIORITYR: 0x400, ITARGETSR: 0x800, ICFGR: 0xc00,
  SGIR: 0xf00, CPENDSGIR: 0xf10, SPENDSGIR: 0xf20,
  PIDR2: 0xfe8,
} as const;

/** GICC register offsets (IHI 0048B table 4-2). */
export const GICC = {
  CTLR: 0x00, PMR: 0x04, BPR: 0x08, IAR: 0x0c, EOIR: 0x10, RPR: 0x14, HPPIR: 0x18,
  ABPR: 0x1c, AIAR: 0x20, AEOIR: 0x24, AHPPIR: 0x28, IIDR: 0xfc, DIR: 0x1000,
} as const;

/** GIC-400 identification values. */
const GICD_IIDR_VALUE = 0x0200143b;
const GICC_IIDR_VALUE = 0x0202143b;

/** Anything with an IRQ input line (a CpuState). */
export interface IrqSink {
  irqLine: boolean;
}

interface ActiveEntry {
  intid: number;
  source: number;
  groupPriority: number;
}

interface CpuInterfaceState {
  ctlr: number;
  pmr: number;
  bpr: number;
  abpr: number;
  /** Acknowledged, not yet priority-dropped interrupts (running priority = min). */
  activeStack: ActiveEntry[];
}

/** JSON form of the GIC state for saveState/loadState. */
export interface GicState {
  ctlr: number;
  enabled: number[]; latch: number[]; line: number[]; active: number[];
  priority: number[]; group: number[]; edge: number[]; targets: number[];
  sgiSources: number[]; sgiActiveSource: number[];
  cpus: CpuInterfaceState[];
}

export class Gic {
  /** The CPU whose banked registers bus accesses use (see header). */
  currentCpu = 0;
  private ctlr = 0;
  // Per-interrupt state in "slots": banked INTIDs 0-31 of CPU c at c*32+id,
  // SPIs at ncpu*32 + (id-32).
  private readonly enabled: Uint8Array;
  /** Pending latch: set by an edge, ISPENDR or an SGI; cleared on acknowledge. */
  private readonly latch: Uint8Array;
  /** Input line level (level-sensitive interrupts are pending while it is high). */
  private readonly line: Uint8Array;
  private readonly active: Uint8Array;
  private readonly priority: Uint8Array;
  private readonly group: Uint8Array;
  /** 1 = edge-triggered. */
  private readonly edge: Uint8Array;
  /** ITARGETSR byte per SPI (index id-32). */
  private readonly targets = new Uint8Array(NUM_SPIS);
  /** Pending SGI sources: bit s of [cpu*16+sgi] = pending from CPU s. */
  private readonly sgiSources: Uint8Array;
  /** Source CPU of the active SGI [cpu*16+sgi]. */
  private readonly sgiActiveSource: Uint8Array;
  private readonly cpus: CpuInterfaceState[] = [];
  private readonly dists: MmioDevice[] = [];
  private readonly ifaces: MmioDevice[] = [];
  /** Distributor window using `currentCpu`'s bank. */
  readonly distributor: MmioDevice;
  /** CPU interface window using `currentCpu`'s bank. */
  readonly cpuInterface: MmioDevice;

  /** A GIC for `sinks.length` CPUs (1..8); sink i receives CPU i's IRQ line. */
  constructor(private readonly sinks: IrqSink[]) {
    const n = sinks.length;
    if (n < 1 || n > 8) throw new Error(`Gic: ${n} CPUs (must be 1..8)`);
    const slots = n * 32 + NUM_SPIS;
    this.enabled = new Uint8Array(slots);
    this.latch = new Uint8Array(slots);
    this.line = new Uint8Array(slots);
    this.active = new Uint8Array(slots);
    this.priority = new Uint8Array(slots);
    this.group = new Uint8Array(slots);
    this.edge = new Uint8Array(slots);
    this.sgiSources = new Uint8Array(n * 16);
    this.sgiActiveSource = new Uint8Array(n * 16);
    for (let c = 0; c < n; c++) {
      for (let id = 0; id < 16; id++) this.edge[c * 32 + id] = 1;
      this.cpus.push({ ctlr: 0, pmr: 0, bpr: 0, abpr: 0, activeStack: [] });
      this.dists.push({ name: `gicd.cpu${c}`, size: 0x1000, read: (o, w) => this.distRead(c, o, w), write: (o, w, v) => this.distWrite(c, o, w, v) });
      this.ifaces.push({ name: `gicc.cpu${c}`, size: 0x2000, read: (o, w) => this.cpuRead(c, o, w), write: (o, w, v) => this.cpuWrite(c, o, w, v) });
    }
    this.distributor = { name: "gicd", size: 0x1000, read: (o, w) => this.distRead(this.currentCpu, o, w), write: (o, w, v) => this.distWrite(this.currentCpu, o, w, v) };
    this.cpuInterface = { name: "gicc", size: 0x2000, read: (o, w) => this.cpuRead(this.currentCpu, o, w), write: (o, w, v) => this.cpuWrite(this.currentCpu, o, w, v) };
  }

  get cpuCount(): number {
    return this.sinks.length;
  }

  /** The distributor as seen by CPU `cpu` (its SGI/PPI bank). */
  distributorFor(cpu: number): MmioDevice {
    return this.dists[cpu];
  }

  /** The CPU interface of CPU `cpu`. */
  cpuInterfaceFor(cpu: number): MmioDevice {
    return this.ifaces[cpu];
  }

  // --- Inputs -------------------------------------------------------------------

  /** Drive SPI `intid` (32..NUM_INTIDS-1): level-sensitive follow `level`, edge latch on a rising edge. */
  setSpi(intid: number, level: boolean): void {
    if (intid < 32 || intid >= NUM_INTIDS) throw new Error(`Gic.setSpi: INTID ${intid} is not an SPI`);
    this.setInput(this.slot(0, intid), level);
  }

  /** Drive PPI `intid` (16..31) of CPU `cpu`. */
  setPpi(cpu: number, intid: number, level: boolean): void {
    if (intid < 16 || intid > 31 || cpu < 0 || cpu >= this.sinks.length) throw new Error(`Gic.setPpi: bad cpu ${cpu} / INTID ${intid}`);
    this.setInput(this.slot(cpu, intid), level);
  }

  /** Send SGI `sgi` from `source` to each CPU in `targetMask` (as a GICD_SGIR write would). */
  sendSgi(source: number, sgi: number, targetMask: number): void {
    for (let c = 0; c < this.sinks.length; c++) {
      if (targetMask & (1 << c)) this.sgiSources[c * 16 + (sgi & 15)] |= 1 << source;
    }
    this.update();
  }

  private setInput(s: number, level: boolean): void {
    const v = level ? 1 : 0;
    if (this.edge[s] && v && !this.line[s]) this.latch[s] = 1;
    this.line[s] = v;
    this.update();
  }

  // --- Interrupt selection -------------------------------------------------------

  private slot(cpu: number, id: number): number {
    return id < 32 ? cpu * 32 + id : this.sinks.length * 32 + id - 32;
  }

  private isPending(cpu: number, id: number): boolean {
    if (id < 16) return this.sgiSources[cpu * 16 + id] !== 0;
    const s = this.slot(cpu, id);
    return this.latch[s] !== 0 || (this.edge[s] === 0 && this.line[s] !== 0);
  }

  private targetsCpu(cpu: number, id: number): boolean {
    return id < 32 || (this.targets[id - 32] & (1 << cpu)) !== 0;
  }

  /**
   * Highest-priority interrupt for `cpu` that is pending, not active, enabled,
   * targeted at it and of a group the distributor forwards; -1 if none.
   */
  private highestPending(cpu: number): number {
    let best = -1;
    let bestPrio = 0x100;
    for (let id = 0; id < NUM_INTIDS; id++) {
      const s = this.slot(cpu, id);
      if (!this.enabled[s] || this.active[s] || !this.isPending(cpu, id) || !this.targetsCpu(cpu, id)) continue;
      if ((this.ctlr & (1 << this.group[s])) === 0) continue;
      if (this.priority[s] < bestPrio) {
        best = id;
        bestPrio = this.priority[s];
      }
    }
    return best;
  }

  private runningPriority(cpu: number): number {
    let p = IDLE_PRIORITY;
    for (const e of this.cpus[cpu].activeStack) p = Math.min(p, e.groupPriority);
    return p;
  }

  private groupPriority(cpu: number, prio: number): number {
    const mask = (0xff << (this.cpus[cpu].bpr + 1)) & 0xff;
    return prio & mask;
  }

  /** The interrupt CPU `cpu` would be signalled for, or -1. */
  private signalled(cpu: number): number {
    const ci = this.cpus[cpu];
    const id = this.highestPending(cpu);
    if (id < 0) return -1;
    const s = this.slot(cpu, id);
    if ((ci.ctlr & (1 << this.group[s])) === 0) return -1;
    const prio = this.priority[s];
    if (prio >= ci.pmr) return -1;
    if (this.groupPriority(cpu, prio) >= this.runningPriority(cpu)) return -1;
    return id;
  }

  /** Recompute every CPU's IRQ line. */
  private update(): void {
    for (let c = 0; c < this.sinks.length; c++) this.sinks[c].irqLine = this.signalled(c) >= 0;
  }

  // --- CPU interface -------------------------------------------------------------

  /** GICC_IAR: acknowledge the signalled interrupt; returns INTID (with CPUID in 12:10 for SGIs) or 1023. */
  acknowledge(cpu: number): number {
    const id = this.signalled(cpu);
    if (id < 0) return INTID_SPURIOUS;
    const s = this.slot(cpu, id);
    let source = 0;
    if (id < 16) {
      const bits = this.sgiSources[cpu * 16 + id];
      source = 31 - Math.clz32(bits & -bits); // lowest-numbered source first
      this.sgiSources[cpu * 16 + id] = bits & ~(1 << source);
      this.sgiActiveSource[cpu * 16 + id] = source;
    } else {
      this.latch[s] = 0;
    }
    this.active[s] = 1;
    this.cpus[cpu].activeStack.push({ intid: id, source, groupPriority: this.groupPriority(cpu, this.priority[s]) });
    this.update();
    return id < 16 ? id | (source << 10) : id;
  }

  /** GICC_EOIR: priority drop (and deactivation unless EOImode). Unknown INTIDs are ignored. */
  endOfInterrupt(cpu: number, value: number): void {
    const id = value & 0x3ff;
    const source = (value >>> 10) & 7;
    const stack = this.cpus[cpu].activeStack;
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i].intid === id && (id >= 16 || stack[i].source === source)) {
        stack.splice(i, 1);
        if ((this.cpus[cpu].ctlr & (1 << 9)) === 0) this.deactivate(cpu, id);
        break;
      }
    }
    this.update();
  }

  private deactivate(cpu: number, id: number): void {
    if (id >= NUM_INTIDS) return;
    this.active[this.slot(cpu, id)] = 0;
  }

  private cpuRead(cpu: number, off: number, width: number): number {
    if (width !== 4) return 0;
    const ci = this.cpus[cpu];
    switch (off) {
      case GICC.CTLR: return ci.ctlr;
      case GICC.PMR: return ci.pmr;
      case GICC.BPR: return ci.bpr;
      case GICC.ABPR: return ci.abpr;
      case GICC.IAR: case GICC.AIAR: return this.acknowledge(cpu);
      case GICC.RPR: return this.runningPriority(cpu);
      case GICC.HPPIR: case GICC.AHPPIR: {
        const id = this.highestPending(cpu);
        if (id < 0) return INTID_SPURIOUS;
        if (id < 16) {
          const bits = this.sgiSources[cpu * 16 + id];
          return id | ((31 - Math.clz32(bits & -bits)) << 10);
        }
        return id;
      }
      case GICC.IIDR: return GICC_IIDR_VALUE;
      default: return 0;
    }
  }

  private cpuWrite(cpu: number, off: number, width: number, value: number): void {
    if (width !== 4) return;
    const ci = this.cpus[cpu];
    switch (off) {
      case GICC.CTLR: ci.ctlr = value & 0x7ff; break;
      case GICC.PMR: ci.pmr = value & 0xff; break;
      case GICC.BPR: ci.bpr = value & 7; break;
      case GICC.ABPR: ci.abpr = value & 7; break;
      case GICC.EOIR: case GICC.AEOIR: this.endOfInterrupt(cpu, value); return;
      case GICC.DIR: this.deactivate(cpu, value & 0x3ff); break;
      default: return;
    }
    this.update();
  }

  // --- Distributor ---------------------------------------------------------------

  private distRead(cpu: number, off: number, width: number): number {
    if (off >= GICD.IPRIORITYR && off < GICD.IPRIORITYR + NUM_INTIDS) return this.bytes(off, width, (i) => this.priority[this.slot(cpu, i - GICD.IPRIORITYR)]);
    if (off >= GICD.ITARGETSR && off < GICD.ITARGETSR + NUM_INTIDS) return this.bytes(off, width, (i) => this.targetByte(cpu, i - GICD.ITARGETSR));
    if (off >= GICD.CPENDSGIR && off < GICD.SPENDSGIR + 16) return this.bytes(off, width, (i) => this.sgiSources[cpu * 16 + ((i - GICD.CPENDSGIR) & 15)]);
    if (width !== 4) return 0;
    const bitReg = (base: number): number => (off - base) * 8; // first INTID of a 1-bit-per-INTID register
    switch (true) {
      case off === GICD.CTLR: return this.ctlr;
      case off === GICD.TYPER: return ((this.sinks.length - 1) << 5) | (NUM_INTIDS / 32 - 1);
      case off === GICD.IIDR: return GICD_IIDR_VALUE;
      case off === GICD.PIDR2: return 0x2b; // ArchRev 2 (GICv2)
      case off >= GICD.IGROUPR && off < GICD.IGROUPR + NUM_INTIDS / 8: return this.bitsOf(cpu, bitReg(GICD.IGROUPR), (s) => this.group[s] !== 0);
      case off >= GICD.ISENABLER && off < GICD.ICENABLER + 0x80: return this.bitsOf(cpu, bitReg(off < GICD.ICENABLER ? GICD.ISENABLER : GICD.ICENABLER), (s) => this.enabled[s] !== 0);
      case off >= GICD.ISPENDR && off < GICD.ICPENDR + 0x80: {
        const first = bitReg(off < GICD.ICPENDR ? GICD.ISPENDR : GICD.ICPENDR);
        let v = 0;
        for (let b = 0; b < 32 && first + b < NUM_INTIDS; b++) if (this.isPending(cpu, first + b)) v |= 1 << b;
        return v >>> 0;
      }
      case off >= GICD.ISACTIVER && off < GICD.ICACTIVER + 0x80: return this.bitsOf(cpu, bitReg(off < GICD.ICACTIVER ? GICD.ISACTIVER : GICD.ICACTIVER), (s) => this.active[s] !== 0);
      case off >= GICD.ICFGR && off < GICD.ICFGR + NUM_INTIDS / 4: {
        const first = (off - GICD.ICFGR) * 4;
        let v = 0;
        for (let f = 0; f < 16 && first + f < NUM_INTIDS; f++) if (this.edge[this.slot(cpu, first + f)]) v |= 2 << (2 * f);
        return v >>> 0;
      }
      default: return 0;
    }
  }

  private distWrite(cpu: number, off: number, width: number, value: number): void {
    if (off >= GICD.IPRIORITYR && off < GICD.IPRIORITYR + NUM_INTIDS) {
      this.setBytes(off, width, value, (i, b) => { this.priority[this.slot(cpu, i - GICD.IPRIORITYR)] = b; });
    } else if (off >= GICD.ITARGETSR + 32 && off < GICD.ITARGETSR + NUM_INTIDS) {
      const mask = (1 << this.sinks.length) - 1;
      this.setBytes(off, width, value, (i, b) => { this.targets[i - GICD.ITARGETSR - 32] = b & mask; });
    } else if (off >= GICD.CPENDSGIR && off < GICD.SPENDSGIR + 16) {
      const set = off >= GICD.SPENDSGIR;
      this.setBytes(off, width, value, (i, b) => {
        const k = cpu * 16 + ((i - GICD.CPENDSGIR) & 15);
        this.sgiSources[k] = set ? this.sgiSources[k] | b : this.sgiSources[k] & ~b;
      });
    } else if (width === 4) {
      this.distWriteWord(cpu, off, value >>> 0);
    }
    this.update();
  }

  private distWriteWord(cpu: number, off: number, v: number): void {
    const each = (base: number, fn: (s: number, id: number) => void): void => {
      const first = (off - base) * 8;
      for (let b = 0; b < 32 && first + b < NUM_INTIDS; b++) if (v & (1 << b)) fn(this.slot(cpu, first + b), first + b);
    };
    if (off === GICD.CTLR) this.ctlr = v & 3;
    else if (off === GICD.SGIR) this.writeSgir(cpu, v);
    else if (off >= GICD.IGROUPR && off < GICD.IGROUPR + NUM_INTIDS / 8) {
      const first = (off - GICD.IGROUPR) * 8;
      for (let b = 0; b < 32 && first + b < NUM_INTIDS; b++) this.group[this.slot(cpu, first + b)] = (v >>> b) & 1;
    } else if (off >= GICD.ISENABLER && off < GICD.ISENABLER + 0x80) each(GICD.ISENABLER, (s) => { this.enabled[s] = 1; });
    else if (off >= GICD.ICENABLER && off < GICD.ICENABLER + 0x80) each(GICD.ICENABLER, (s) => { this.enabled[s] = 0; });
    else if (off >= GICD.ISPENDR && off < GICD.ISPENDR + 0x80) each(GICD.ISPENDR, (s, id) => { if (id >= 16) this.latch[s] = 1; });
    else if (off >= GICD.ICPENDR && off < GICD.ICPENDR + 0x80) each(GICD.ICPENDR, (s, id) => { if (id >= 16) this.latch[s] = 0; });
    else if (off >= GICD.ISACTIVER && off < GICD.ISACTIVER + 0x80) each(GICD.ISACTIVER, (s) => { this.active[s] = 1; });
    else if (off >= GICD.ICACTIVER && off < GICD.ICACTIVER + 0x80) each(GICD.ICACTIVER, (s) => { this.active[s] = 0; });
    else if (off >= GICD.ICFGR + 8 && off < GICD.ICFGR + NUM_INTIDS / 4) {
      // SPIs only: SGI configuration is fixed, PPIs are fixed level-sensitive.
      const first = (off - GICD.ICFGR) * 4;
      for (let f = 0; f < 16 && first + f < NUM_INTIDS; f++) this.edge[this.slot(cpu, first + f)] = (v >>> (2 * f + 1)) & 1;
    }
  }

  /*
   * GICD_SGIR:
   *   31      26 25 24 23          16 15   14      4 3       0
   *  | reserved |Filter| CPUTargetList|NSATT| reserved | SGIINTID |
   * Filter 0 = the list, 1 = every CPU but the writer, 2 = the writer only.
   */
  private writeSgir(cpu: number, v: number): void {
    const filter = (v >>> 24) & 3;
    const all = (1 << this.sinks.length) - 1;
    let mask: number;
    if (filter === 0) mask = (v >>> 16) & 0xff & all;
    else if (filter === 1) mask = all & ~(1 << cpu);
    else if (filter === 2) mask = 1 << cpu;
    else return;
    this.sendSgi(cpu, v & 15, mask);
  }

  private targetByte(cpu: number, id: number): number {
    if (id < 32) return 1 << cpu;
    return this.targets[id - 32];
  }

  private bitsOf(cpu: number, first: number, pred: (slot: number) => boolean): number {
    let v = 0;
    for (let b = 0; b < 32 && first + b < NUM_INTIDS; b++) if (pred(this.slot(cpu, first + b))) v |= 1 << b;
    return v >>> 0;
  }

  private bytes(off: number, width: number, get: (off: number) => number): number {
    let v = 0;
    for (let i = 0; i < width; i++) v |= get(off + i) << (8 * i);
    return v >>> 0;
  }

  private setBytes(off: number, width: number, value: number, set: (off: number, byte: number) => void): void {
    if (width === 2) return; // halfword access to byte registers is not supported (UNPREDICTABLE)
    for (let i = 0; i < width; i++) set(off + i, (value >>> (8 * i)) & 0xff);
  }

  // --- Snapshots -----------------------------------------------------------------

  saveState(): GicState {
    const a = (u: Uint8Array): number[] => Array.from(u);
    return {
      ctlr: this.ctlr, enabled: a(this.enabled), latch: a(this.latch), line: a(this.line), active: a(this.active),
      priority: a(this.priority), group: a(this.group), edge: a(this.edge), targets: a(this.targets),
      sgiSources: a(this.sgiSources), sgiActiveSource: a(this.sgiActiveSource),
      cpus: this.cpus.map((c) => ({ ...c, activeStack: c.activeStack.map((e) => ({ ...e })) })),
    };
  }

  loadState(st: GicState): void {
    if (st.cpus.length !== this.cpus.length) throw new Error("Gic.loadState: CPU count differs");
    this.ctlr = st.ctlr;
    this.enabled.set(st.enabled); this.latch.set(st.latch); this.line.set(st.line); this.active.set(st.active);
    this.priority.set(st.priority); this.group.set(st.group); this.edge.set(st.edge); this.targets.set(st.targets);
    this.sgiSources.set(st.sgiSources); this.sgiActiveSource.set(st.sgiActiveSource);
    st.cpus.forEach((c, i) => { this.cpus[i] = { ...c, activeStack: c.activeStack.map((e) => ({ ...e })) }; });
    this.update();
  }
}
