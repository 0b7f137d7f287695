// virtio-mmio transport, version 2 (virtio 1.x section 4.2.2), one per slot
// at 0x0A00_0000 + n*0x200 with INTID 48+n. An empty slot has DeviceID 0.
//
// Register map (32-bit registers; config space at 0x100 any width):
//   0x000 MagicValue "virt"   0x004 Version = 2        0x008 DeviceID
//   0x00c VendorID            0x010 DeviceFeatures     0x014 DeviceFeaturesSel
//   0x020 DriverFeatures      0x024 DriverFeaturesSel  0x030 QueueSel
//   0x034 QueueNumMax         0x038 QueueNum           0x044 QueueReady
//   0x050 QueueNotify         0x060 InterruptStatus    0x064 InterruptACK
//   0x070 Status              0x080/084 QueueDesc      0x090/094 QueueDriver
//   0x0a0/0a4 QueueDevice     0x0fc ConfigGeneration   0x100+ config
//
// Backends (virtio-rng here; virtio-blk, -net, -input later) implement
// VirtioBackend below. The transport owns feature negotiation, the status
// state machine, queue registers and interrupts; a backend only sees its
// queues: onNotify(q, queue) is called when the driver kicks queue q, and the
// backend pops chains, fills them and pushes them back (now or later, e.g.
// from a clock event), which raises the used-buffer interrupt when due.

import type { MmioDevice, PhysicalBus } from "../bus.js";
import { Virtqueue, VirtqueueState } from "./virtqueue.js";

export const VIRTIO_MMIO_MAGIC = 0x74726976;
export const VIRTIO_MMIO_VENDOR = 0x554d4551; // "QEMU"
export const VIRTIO_MMIO_SLOT_SIZE = 0x200;

export const VIRTIO_F_VERSION_1 = 1n << 32n;
export const VIRTIO_F_EVENT_IDX = 1n << 29n;
export const VIRTIO_F_INDIRECT_DESC = 1n << 28n;
/** Ring features the transport implements for every device (virtqueue.ts). */
export const TRANSPORT_FEATURES = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC;

/** Device status bits (virtio 1.x section 2.1). */
export const STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, DEVICE_NEEDS_RESET: 0x40, FAILED: 0x80 } as const;
/** InterruptStatus bits. */
export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

export const VIRTIO_MMIO = {
  MAGIC: 0x000, VERSION: 0x004, DEVICE_ID: 0x008, VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010, DEVICE_FEATURES_SEL: 0x014, DRIVER_FEATURES: 0x020, DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030, QUEUE_NUM_MAX: 0x034, QUEUE_NUM: 0x038, QUEUE_READY: 0x044, QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060, INTERRUPT_ACK: 0x064, STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080, QUEUE_DESC_HIGH: 0x084, QUEUE_DRIVER_LOW: 0x090, QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0, QUEUE_DEVICE_HIGH: 0x0a4, CONFIG_GENERATION: 0x0fc, CONFIG: 0x100,
} as const;

/**
 * A virtio device model behind the transport.
 * - deviceId: virtio device type (1 net, 2 block, 4 entropy, 18 input, ...).
 * - features: device-specific feature bits offered (VERSION_1, EVENT_IDX
 *   and INDIRECT_DESC are added by the transport).
 * - config: the device configuration space (read at 0x100; the transport
 *   bumps ConfigGeneration when the backend calls ctx.configChanged()).
 * - queueCount / queueNumMax: queues and the largest ring size per queue.
 * - attach(ctx): called once when plugged into a slot.
 * - onNotify(q, queue): the driver kicked queue q (already validated, ready).
 * - reset(): the driver reset the device (Status = 0); drop in-flight work.
 * - configWrite(offset, width, value): optional writable config fields.
 * - driverFeatures(features): optional, told the negotiated set at FEATURES_OK.
 */
export interface VirtioBackend {
  readonly deviceId: number;
  readonly features: bigint;
  readonly config: Uint8Array;
  readonly queueCount: number;
  readonly queueNumMax: number;
  attach?(ctx: VirtioContext): void;
  onNotify(queueIndex: number, queue: Virtqueue): void;
  reset(): void;
  configWrite?(offset: number, width: 1 | 2 | 4, value: number): void;
  driverFeatures?(features: bigint): void;
  saveState?(): unknown;
  loadState?(st: unknown): void;
}

/** What the transport offers a backend. */
export interface VirtioContext {
  readonly bus: PhysicalBus;
  /** Queue `i` (for backends completing requests later). */
  queue(i: number): Virtqueue;
  /** Signal a configuration change (ConfigGeneration++ and interrupt bit 1). */
  configChanged(): void;
  /** True once the driver has set DRIVER_OK (and no reset since). */
  driverReady(): boolean;
}

export interface VirtioMmioState {
  status: number; deviceFeaturesSel: number; driverFeaturesSel: number; driverFeatures: string;
  queueSel: number; interruptStatus: number; configGeneration: number;
  queues: VirtqueueState[]; backend?: unknown;
}

export class VirtioMmio implements MmioDevice, VirtioContext {
  readonly size = VIRTIO_MMIO_SLOT_SIZE;
  readonly name: string;
  private backendRef: VirtioBackend | undefined;
  private queues: Virtqueue[] = [];
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeaturesValue = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private irqLevel = false;
  /** Last error that set DEVICE_NEEDS_RESET, for inspection. */
  lastError: string | undefined;

  constructor(readonly bus: PhysicalBus, readonly slot: number, private readonly irq: (level: boolean) => void = () => {}) {
    this.name = `virtio-mmio.${slot}`;
  }

  get backend(): VirtioBackend | undefined {
    return this.backendRef;
  }

  /** Plug `backend` into this (empty) slot. */
  plug(backend: VirtioBackend): void {
    if (this.backendRef) throw new Error(`VirtioMmio.plug: slot ${this.slot} is occupied`);
    this.backendRef = backend;
    this.queues = [];
    for (let i = 0; i < backend.queueCount; i++) {
      const q = new Virtqueue(this.bus, i, backend.queueNumMax);
      q.onError = (reason) => this.needsReset(reason);
      q.onUsed = () => this.raise(INT_USED_BUFFER);
      this.queues.push(q);
    }
    backend.attach?.(this);
  }

  queue(i: number): Virtqueue {
    return this.queues[i];
  }

  driverReady(): boolean {
    return (this.status & STATUS.DRIVER_OK) !== 0 && (this.status & STATUS.DEVICE_NEEDS_RESET) === 0;
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    this.raise(INT_CONFIG_CHANGE);
  }

  /** Offered features: the backend's plus TRANSPORT_FEATURES. */
  offeredFeatures(): bigint {
    return (this.backendRef?.features ?? 0n) | TRANSPORT_FEATURES;
  }

  private needsReset(reason: string): void {
    this.lastError = reason;
    // virtio 1.x 2.1.2: DEVICE_NEEDS_RESET is only meaningful after DRIVER_OK,
    // but setting it earlier is harmless and makes the failure visible.
    this.status |= STATUS.DEVICE_NEEDS_RESET;
    this.configChanged();
  }

  private raise(bit: number): void {
    this.interruptStatus |= bit;
    this.updateIrq();
  }

  private updateIrq(): void {
    const lvl = this.interruptStatus !== 0;
    if (lvl !== this.irqLevel) {
      this.irqLevel = lvl;
      this.irq(lvl);
    }
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = this.driverFeaturesSel = 0;
    this.driverFeaturesValue = 0n;
    this.queueSel = 0;
    this.interruptStatus = 0;
    this.lastError = undefined;
    for (const q of this.queues) q.reset();
    this.backendRef?.reset();
    this.updateIrq();
  }

  private selected(): Virtqueue | undefined {
    return this.queues[this.queueSel];
  }

  read(offset: number, width: 1 | 2 | 4): number {
    const b = this.backendRef;
    if (offset >= VIRTIO_MMIO.CONFIG) {
      const cfg = b?.config;
      const o = offset - VIRTIO_MMIO.CONFIG;
      if (!cfg || o + width > cfg.length) return 0;
      let v = 0;
      for (let i = 0; i < width; i++) v |= cfg[o + i] << (8 * i);
      return v >>> 0;
    }
    if (width !== 4) return 0;
    const q = this.selected();
    switch (offset) {
      case VIRTIO_MMIO.MAGIC: return VIRTIO_MMIO_MAGIC;
      case VIRTIO_MMIO.VERSION: return 2;
      case VIRTIO_MMIO.DEVICE_ID: return b?.deviceId ?? 0;
      case VIRTIO_MMIO.VENDOR_ID: return VIRTIO_MMIO_VENDOR;
      case VIRTIO_MMIO.DEVICE_FEATURES:
        if (!b || this.deviceFeaturesSel > 1) return 0;
        return Number((this.offeredFeatures() >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
      case VIRTIO_MMIO.QUEUE_NUM_MAX: return q ? q.numMax : 0;
      case VIRTIO_MMIO.QUEUE_NUM: return q ? q.num : 0;
      case VIRTIO_MMIO.QUEUE_READY: return q?.ready ? 1 : 0;
      case VIRTIO_MMIO.INTERRUPT_STATUS: return this.interruptStatus;
      case VIRTIO_MMIO.STATUS: return this.status;
      case VIRTIO_MMIO.QUEUE_DESC_LOW: return q ? q.desc >>> 0 : 0;
      case VIRTIO_MMIO.QUEUE_DESC_HIGH: return q ? Math.floor(q.desc / 2 ** 32) >>> 0 : 0;
      case VIRTIO_MMIO.QUEUE_DRIVER_LOW: return q ? q.driver >>> 0 : 0;
      case VIRTIO_MMIO.QUEUE_DRIVER_HIGH: return q ? Math.floor(q.driver / 2 ** 32) >>> 0 : 0;
      case VIRTIO_MMIO.QUEUE_DEVICE_LOW: return q ? q.device >>> 0 : 0;
      case VIRTIO_MMIO.QUEUE_DEVICE_HIGH: return q ? Math.floor(q.device / 2 ** 32) >>> 0 : 0;
      case VIRTIO_MMIO.CONFIG_GENERATION: return this.configGeneration;
      default: return 0;
    }
  }

  write(offset: number, width: 1 | 2 | 4, value: number): void {
    const b = this.backendRef;
    if (!b) return;
    if (offset >= VIRTIO_MMIO.CONFIG) {
      b.configWrite?.(offset - VIRTIO_MMIO.CONFIG, width, value);
      return;
    }
    if (width !== 4) return;
    const v = value >>> 0;
    const q = this.selected();
    // Queue layout registers may only change while the queue is not ready.
    const setAddr = (field: "desc" | "driver" | "device", high: boolean): void => {
      if (!q || q.ready) return;
      const lo = high ? q[field] % 2 ** 32 : v;
      const hi = high ? v : Math.floor(q[field] / 2 ** 32);
      q[field] = hi * 2 ** 32 + lo;
    };
    switch (offset) {
      case VIRTIO_MMIO.DEVICE_FEATURES_SEL: this.deviceFeaturesSel = v; return;
      case VIRTIO_MMIO.DRIVER_FEATURES_SEL: this.driverFeaturesSel = v; return;
      case VIRTIO_MMIO.DRIVER_FEATURES: {
        if (this.driverFeaturesSel > 1 || (this.status & STATUS.FEATURES_OK)) return;
        const shift = BigInt(32 * this.driverFeaturesSel);
        this.driverFeaturesValue = (this.driverFeaturesValue & ~(0xffffffffn << shift)) | (BigInt(v) << shift);
        return;
      }
      case VIRTIO_MMIO.QUEUE_SEL: this.queueSel = v; return;
      case VIRTIO_MMIO.QUEUE_NUM: if (q && !q.ready) q.num = v; return;
      case VIRTIO_MMIO.QUEUE_READY:
        if (!q) return;
        if ((v & 1) === 0) { q.ready = false; return; }
        q.ready = q.validate();
        return;
      case VIRTIO_MMIO.QUEUE_NOTIFY: {
        const nq = this.queues[v & 0xffff];
        if (nq && nq.ready && !nq.broken && this.driverReady()) b.onNotify(v & 0xffff, nq);
        return;
      }
      case VIRTIO_MMIO.INTERRUPT_ACK: this.interruptStatus &= ~v; this.updateIrq(); return;
      case VIRTIO_MMIO.STATUS: this.writeStatus(v & 0xff); return;
      case VIRTIO_MMIO.QUEUE_DESC_LOW: setAddr("desc", false); return;
      case VIRTIO_MMIO.QUEUE_DESC_HIGH: setAddr("desc", true); return;
      case VIRTIO_MMIO.QUEUE_DRIVER_LOW: setAddr("driver", false); return;
      case VIRTIO_MMIO.QUEUE_DRIVER_HIGH: setAddr("driver", true); return;
      case VIRTIO_MMIO.QUEUE_DEVICE_LOW: setAddr("device", false); return;
      case VIRTIO_MMIO.QUEUE_DEVICE_HIGH: setAddr("device", true); return;
      default: return;
    }
  }

  /** Status writes: 0 resets; FEATURES_OK is kept only for an acceptable feature set. */
  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    const rising = v & ~this.status;
    let next = v | (this.status & STATUS.DEVICE_NEEDS_RESET);
    if (rising & STATUS.FEATURES_OK) {
      const f = this.driverFeaturesValue;
      const ok = (f & ~this.offeredFeatures()) === 0n && (f & VIRTIO_F_VERSION_1) !== 0n;
      if (ok) {
        const eventIdx = (f & VIRTIO_F_EVENT_IDX) !== 0n;
        for (const q of this.queues) q.eventIdx = eventIdx;
        this.backendRef?.driverFeatures?.(f);
      } else {
        next &= ~STATUS.FEATURES_OK;
      }
    }
    this.status = next;
  }

  /** Features the driver accepted. */
  get negotiatedFeatures(): bigint {
    return this.driverFeaturesValue;
  }

  saveState(): VirtioMmioState {
    return {
      status: this.status, deviceFeaturesSel: this.deviceFeaturesSel, driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: this.driverFeaturesValue.toString(), queueSel: this.queueSel, interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration, queues: this.queues.map((q) => q.saveState()), backend: this.backendRef?.saveState?.(),
    };
  }

  loadState(st: VirtioMmioState): void {
    this.status = st.status; this.deviceFeaturesSel = st.deviceFeaturesSel; this.driverFeaturesSel = st.driverFeaturesSel;
    this.driverFeaturesValue = BigInt(st.driverFeatures); this.queueSel = st.queueSel; this.interruptStatus = st.interruptStatus;
    this.configGeneration = st.configGeneration;
    const eventIdx = (this.driverFeaturesValue & VIRTIO_F_EVENT_IDX) !== 0n && (this.status & STATUS.FEATURES_OK) !== 0;
    st.queues.forEach((qs, i) => { if (this.queues[i]) { this.queues[i].loadState(qs); this.queues[i].eventIdx = eventIdx; } });
    if (st.backend !== undefined) this.backendRef?.loadState?.(st.backend);
    this.updateIrq();
  }
}
