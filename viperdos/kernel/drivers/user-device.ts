// Devices for user-space drivers: the kernel side of the device calls
// (MAP_DEVICE 0x100 .. IRQ_UNREGISTER 0x108; handlers in syscall/device.ts).
//
// Which devices user space may drive: a virtio-mmio slot holding a device
// the kernel does not drive itself. The kernel "drives" a device when it
// registered an interrupt handler for the device's INTID at boot
// (Kernel.irqHandlers: the block disks today), so the rule follows the
// drivers without a second list. virtio-mmio slots are 0x200 bytes, eight to
// a 4 KiB page, so a page may be mapped only if no slot in it is driven by
// the kernel (else -8 BUSY); the first process to map a device claims it
// until it exits or execs (another process gets -8).
//
// Rights (VIPERDOS.md "Capabilities"): a process may use these calls only
// if its bounding set holds the right: MAP_DEVICE needs DEVICE 0x400,
// IRQ_REGISTER/WAIT/ACK/UNREGISTER need IRQ 0x800, DMA_ALLOC/DMA_FREE and
// VIRT_TO_PHYS need DMA 0x1000 (else -6). The first process starts with
// every right; a child (TASK_SPAWN, TASK_SPAWN_SHM, FORK) inherits its
// parent's bounding set, so a parent that dropped a right (CAP_DROP_BOUND)
// before starting a child withholds it, and nothing can grant it back.
// DEVICE_ENUM needs no right.
//
// FORK: the child does not inherit device mappings or DMA buffers
// (forkDevices). Exit and REPLACE release them (releaseProcessDevices).
//
// Addresses (between the framebuffer at 0x60_0000_0000 and shared memory at
// 0x70_0000_0000):
//   0x61_0000_0000 ..  device MMIO mappings (RW, never executable)
//   0x68_0000_0000 ..  DMA buffers (RW), physically contiguous
// Both are VMAs of kind "device" (AddressSpace.mapFrames): mapped eagerly,
// frames not reference-counted (this module owns their lifetime). The leaf
// descriptors carry AttrIndx 0 like every user page: the emulator routes an
// access by physical address (RAM or an MMIO handler) and does not model
// memory types, so no Device-nGnRE attribute is set yet.
//
// Interrupts: IRQ_REGISTER installs a handler for the line and routes it to
// CPU 0. When the line fires the handler masks it at the GIC distributor,
// records it as pending and wakes the tasks in IRQ_WAIT; the line stays
// masked until IRQ_ACK (the driver first clears the cause in the device, as
// a level-triggered line would otherwise fire again). IRQ_WAIT returns at
// once when an interrupt is pending and consumes it.

import { E } from "../errors.js";
import { PAGE, PROT_READ, PROT_WRITE } from "../mm/layout.js";
import { Rights } from "../cap/rights.js";
import { Resource } from "../cap/limits.js";
import { VIRTIO_MMIO_BASE, VIRTIO_MMIO_STRIDE, VIRTIO_SLOTS } from "./virtio-probe.js";
import type { Kernel } from "../kernel.js";
import type { Process, Task } from "../proc/process.js";

export const DEVICE_VA_BASE = 0x61_0000_0000;
export const DEVICE_VA_END = 0x68_0000_0000;
export const DMA_VA_BASE = 0x68_0000_0000;
export const DMA_VA_END = 0x70_0000_0000;
/** Largest DMA buffer: a buddy run of order 8 (1 MiB). */
export const DMA_MAX_ORDER = 8;
/** DMA buffers one process may hold at once. */
export const DMA_MAX_BUFFERS = 64;
/** struct vd_device_enum_info size (see encodeDeviceInfo). */
export const DEVICE_ENUM_INFO_SIZE = 64;

const VIRTIO_WINDOW_END = VIRTIO_MMIO_BASE + VIRTIO_SLOTS * VIRTIO_MMIO_STRIDE;
const FIRST_VIRTIO_INTID = 48;

export interface DeviceMapping {
  va: number;
  pa: number;
  pages: number;
  slots: number[];
}

export interface DmaBuffer {
  va: number;
  pa: number;
  order: number;
  pages: number;
}

export interface IrqRegistration {
  intid: number;
  owner: Process;
  /** Fired and not yet consumed by IRQ_WAIT. */
  pending: boolean;
  /** Line masked by the kernel since it fired, until IRQ_ACK. */
  masked: boolean;
  fired: number;
}

/** Per-process device state. */
interface ProcessDevices {
  mappings: DeviceMapping[];
  dma: DmaBuffer[];
  nextDeviceVa: number;
  nextDmaVa: number;
}

/** The kernel's user-device bookkeeping. */
export class UserDevices {
  readonly irqs = new Map<number, IrqRegistration>();
  /** Virtio slot -> process that claimed it with MAP_DEVICE. */
  readonly claims = new Map<number, Process>();
  readonly perProcess = new Map<Process, ProcessDevices>();

  of(p: Process): ProcessDevices {
    let d = this.perProcess.get(p);
    if (!d) {
      d = { mappings: [], dma: [], nextDeviceVa: DEVICE_VA_BASE, nextDmaVa: DMA_VA_BASE };
      this.perProcess.set(p, d);
    }
    return d;
  }
}

const registry = new WeakMap<Kernel, UserDevices>();

/** The user-device state of kernel `k` (made on first use). */
export function userDevices(k: Kernel): UserDevices {
  let u = registry.get(k);
  if (!u) {
    u = new UserDevices();
    registry.set(k, u);
  }
  return u;
}

/** True when the bounding set of `p` holds every bit of `right`. */
export function hasDeviceRight(p: Process, right: number): boolean {
  return (p.handles.bounding & right) === right;
}

/** True when the kernel drives the device in `slot` itself (it handles the slot's interrupt). */
export function kernelDrivesSlot(k: Kernel, slot: number): boolean {
  return k.irqHandlers.has(FIRST_VIRTIO_INTID + slot) && !userDevices(k).irqs.has(FIRST_VIRTIO_INTID + slot);
}

/**
 * MAP_DEVICE: map the MMIO range [phys, phys + size) (rounded out to pages)
 * into `p` as device memory. `virt` 0 lets the kernel pick in the device
 * area; else a page-aligned free address in that area. Returns the user
 * address of `phys` (same offset in the page) or: -6 without DEVICE, -2 bad
 * size/virt, -4 not a present virtio-mmio device, -8 a slot in the pages is
 * driven by the kernel or claimed by another process, -5 `virt` overlaps a
 * mapping, -3 no room.
 */
export function mapDevice(k: Kernel, p: Process, phys: number, size: number, virt: number): number {
  if (!hasDeviceRight(p, Rights.DEVICE)) return E.PERMISSION;
  if (!Number.isSafeInteger(size) || size <= 0 || size > VIRTIO_SLOTS * VIRTIO_MMIO_STRIDE) return E.INVALID_ARG;
  if (!Number.isSafeInteger(phys) || phys < VIRTIO_MMIO_BASE || phys + size > VIRTIO_WINDOW_END) return E.NOT_FOUND;
  const firstSlot = Math.floor((phys - VIRTIO_MMIO_BASE) / VIRTIO_MMIO_STRIDE);
  if (!k.devices.some((d) => d.slot === firstSlot)) return E.NOT_FOUND;
  const pageLo = phys - (phys % PAGE);
  const pageHi = Math.ceil((phys + size) / PAGE) * PAGE;
  const slots: number[] = [];
  for (let s = 0; s < VIRTIO_SLOTS; s++) {
    const base = VIRTIO_MMIO_BASE + s * VIRTIO_MMIO_STRIDE;
    if (base + VIRTIO_MMIO_STRIDE <= pageLo || base >= pageHi) continue;
    if (!k.devices.some((d) => d.slot === s)) continue; // an empty slot reads as zeros: harmless
    if (kernelDrivesSlot(k, s)) return E.BUSY;
    const owner = userDevices(k).claims.get(s);
    if (owner && owner !== p) return E.BUSY;
    slots.push(s);
  }
  const pd = userDevices(k).of(p);
  const pages = (pageHi - pageLo) / PAGE;
  let va: number;
  if (virt === 0) va = pd.nextDeviceVa;
  else if (virt % PAGE !== 0 || virt < DEVICE_VA_BASE || virt + pages * PAGE > DEVICE_VA_END) return E.INVALID_ARG;
  else va = virt;
  if (va + pages * PAGE > DEVICE_VA_END) return E.NO_MEMORY;
  const frames = Array.from({ length: pages }, (_, i) => pageLo + i * PAGE);
  const r = p.as.mapFrames(frames, PROT_READ | PROT_WRITE, "device", va);
  if (r < 0) return r; // -5: `virt` overlaps a mapping
  if (virt === 0) pd.nextDeviceVa = va + pages * PAGE;
  pd.mappings.push({ va, pa: pageLo, pages, slots });
  for (const s of slots) userDevices(k).claims.set(s, p);
  return va + (phys - pageLo);
}

/** The registration of `intid` if `p` owns it: else -4 (not registered by anyone) or -6 (another process's). */
function ownRegistration(k: Kernel, p: Process, intid: number): IrqRegistration | number {
  const reg = userDevices(k).irqs.get(intid);
  if (!reg) return E.NOT_FOUND;
  return reg.owner === p ? reg : E.PERMISSION;
}

/**
 * IRQ_REGISTER: route `intid` (48 + slot of a user-drivable virtio device)
 * to `p`. Returns 0, -6 without IRQ, -4 not such a device's line, -8 the
 * kernel or another process handles it (-5 when `p` already does).
 */
export function irqRegister(k: Kernel, p: Process, intid: number): number {
  if (!hasDeviceRight(p, Rights.IRQ)) return E.PERMISSION;
  const slot = intid - FIRST_VIRTIO_INTID;
  if (!Number.isInteger(slot) || !k.devices.some((d) => d.slot === slot)) return E.NOT_FOUND;
  const u = userDevices(k);
  const reg0 = u.irqs.get(intid);
  if (reg0) return reg0.owner === p ? E.EXISTS : E.BUSY;
  if (k.irqHandlers.has(intid)) return E.BUSY;
  const claim = u.claims.get(slot);
  if (claim && claim !== p) return E.BUSY;
  const reg: IrqRegistration = { intid, owner: p, pending: false, masked: false, fired: 0 };
  u.irqs.set(intid, reg);
  k.irqHandlers.set(intid, () => onUserIrq(k, reg));
  unmaskToCpu0(k, intid);
  return E.OK;
}

/** The line fired: mask it until IRQ_ACK, mark it pending, wake the owner's waiters. */
function onUserIrq(k: Kernel, reg: IrqRegistration): void {
  const cpu = k.machine.gic.currentCpu;
  k.gic.disable(reg.intid, cpu);
  reg.masked = true;
  reg.pending = true;
  reg.fired++;
  k.wakeWaiters((w, t) => w.kind === "irq" && w.intid === reg.intid && t.process === reg.owner, cpu);
}

/**
 * IRQ_WAIT: consume a pending interrupt of `intid`, or block `t` until one
 * fires; `timeoutMs` 0 waits forever, else -9 after that long. Returns 0,
 * "block", -6 without IRQ or not the owner, -4 not registered, -9.
 */
export function irqWait(k: Kernel, t: Task, intid: number, timeoutMs: number): number | "block" {
  const p = t.process;
  if (!hasDeviceRight(p, Rights.IRQ)) return E.PERMISSION;
  const reg = ownRegistration(k, p, intid);
  if (typeof reg === "number") {
    t.deadlineNs = undefined;
    return reg;
  }
  if (reg.pending) {
    reg.pending = false;
    t.deadlineNs = undefined;
    return E.OK;
  }
  const now = k.machine.now();
  if (timeoutMs > 0) {
    if (t.deadlineNs === undefined) t.deadlineNs = now + timeoutMs * 1e6;
    if (now >= t.deadlineNs) {
      t.deadlineNs = undefined;
      return E.TIMEOUT;
    }
  }
  k.blockOn(t, { kind: "irq", intid });
  if (t.deadlineNs !== undefined) k.sched.sleepUntil(t.tid, t.deadlineNs, now);
  return "block";
}

/** IRQ_ACK: unmask the line (the driver has cleared the cause). Returns 0, -6, -4. */
export function irqAck(k: Kernel, p: Process, intid: number): number {
  if (!hasDeviceRight(p, Rights.IRQ)) return E.PERMISSION;
  const reg = ownRegistration(k, p, intid);
  if (typeof reg === "number") return reg;
  reg.masked = false;
  unmaskToCpu0(k, intid);
  return E.OK;
}

/** IRQ_UNREGISTER: mask the line and forget it. Returns 0, -6, -4. */
export function irqUnregister(k: Kernel, p: Process, intid: number): number {
  if (!hasDeviceRight(p, Rights.IRQ)) return E.PERMISSION;
  const reg = ownRegistration(k, p, intid);
  if (typeof reg === "number") return reg;
  dropIrq(k, reg);
  return E.OK;
}

/** Enable SPI `intid` routed to CPU 0, written through the current CPU's GIC view (no CPU switch). */
function unmaskToCpu0(k: Kernel, intid: number): void {
  k.gic.enable(intid, k.machine.gic.currentCpu, 1);
}

/** Forget a registration; a thread still in IRQ_WAIT on it wakes and gets -4. */
function dropIrq(k: Kernel, reg: IrqRegistration): void {
  const cpu = k.machine.gic.currentCpu;
  k.gic.disable(reg.intid, cpu);
  k.irqHandlers.delete(reg.intid);
  userDevices(k).irqs.delete(reg.intid);
  k.wakeWaiters((w, t) => w.kind === "irq" && w.intid === reg.intid && t.process === reg.owner, cpu);
}

/**
 * DMA_ALLOC: `size` bytes (rounded up to a power-of-two number of pages, at
 * most 1 MiB) of zeroed, physically contiguous memory mapped RW in the DMA
 * area. Returns { va, pa } or -6 without DMA, -2 bad size, -3 no memory (or
 * over the MEMORY_PAGES limit), -501 too many buffers.
 */
export function dmaAlloc(k: Kernel, p: Process, size: number): DmaBuffer | number {
  if (!hasDeviceRight(p, Rights.DMA)) return E.PERMISSION;
  if (!Number.isSafeInteger(size) || size <= 0 || size > PAGE << DMA_MAX_ORDER) return E.INVALID_ARG;
  const pd = userDevices(k).of(p);
  if (pd.dma.length >= DMA_MAX_BUFFERS) return E.NO_RESOURCE;
  const order = Math.max(0, Math.ceil(Math.log2(Math.ceil(size / PAGE))));
  const pages = 1 << order;
  if (pd.nextDmaVa + pages * PAGE > DMA_VA_END) return E.NO_MEMORY;
  if (p.handles.limits.charge(Resource.MEMORY_PAGES, pages) !== E.OK) return E.NO_MEMORY;
  const pa = k.pmm.allocRun(order);
  if (pa < 0) {
    p.handles.limits.uncharge(Resource.MEMORY_PAGES, pages);
    return E.NO_MEMORY;
  }
  const frames = Array.from({ length: pages }, (_, i) => pa + i * PAGE);
  const va = p.as.mapFrames(frames, PROT_READ | PROT_WRITE, "device", pd.nextDmaVa);
  if (va < 0) {
    k.pmm.freeRun(pa, order);
    p.handles.limits.uncharge(Resource.MEMORY_PAGES, pages);
    return va;
  }
  pd.nextDmaVa = va + pages * PAGE;
  const buf: DmaBuffer = { va, pa, order, pages };
  pd.dma.push(buf);
  return buf;
}

/** DMA_FREE: unmap and free the buffer starting at `va`. Returns 0, -6 without DMA, -4 no such buffer. */
export function dmaFree(k: Kernel, p: Process, va: number): number {
  if (!hasDeviceRight(p, Rights.DMA)) return E.PERMISSION;
  const pd = userDevices(k).perProcess.get(p);
  const i = pd ? pd.dma.findIndex((b) => b.va === va) : -1;
  if (!pd || i < 0) return E.NOT_FOUND;
  const [buf] = pd.dma.splice(i, 1);
  p.as.munmap(buf.va, buf.pages * PAGE);
  freeDma(k, p, buf);
  return E.OK;
}

function freeDma(k: Kernel, p: Process, buf: DmaBuffer): void {
  k.pmm.freeRun(buf.pa, buf.order);
  p.handles.limits.uncharge(Resource.MEMORY_PAGES, buf.pages);
}

/**
 * Release everything `p` holds here (exit, exec): IRQ lines masked and
 * unregistered, device claims dropped, DMA buffers unmapped and freed. The
 * device mappings themselves go with the address space.
 */
export function releaseProcessDevices(k: Kernel, p: Process): void {
  const u = registry.get(k);
  if (!u) return;
  for (const reg of [...u.irqs.values()]) if (reg.owner === p) dropIrq(k, reg);
  for (const [slot, owner] of [...u.claims]) if (owner === p) u.claims.delete(slot);
  const pd = u.perProcess.get(p);
  if (!pd) return;
  for (const buf of pd.dma) {
    p.as.munmap(buf.va, buf.pages * PAGE);
    freeDma(k, p, buf);
  }
  u.perProcess.delete(p);
}

/**
 * FORK: the child's copy of `parent`'s address space loses the device
 * mappings and DMA buffers (they stay the parent's: the claim, the IRQ and
 * the frames' lifetime are per process); the child faults if it touches
 * those addresses.
 */
export function forkDevices(k: Kernel, parent: Process, child: Process): void {
  const pd = registry.get(k)?.perProcess.get(parent);
  if (!pd) return;
  for (const m of pd.mappings) child.as.munmap(m.va, m.pages * PAGE);
  for (const b of pd.dma) child.as.munmap(b.va, b.pages * PAGE);
}

/**
 * struct vd_device_enum_info (64 bytes), one per present virtio-mmio device:
 *   u64 phys; u32 size; u32 irq; u32 slot; u32 device_id; u32 vendor_id;
 *   u32 flags (bit 0: driven by the kernel, bit 1: claimed by a process,
 *   bit 2: claimed by the caller); char name[32] (NUL-padded).
 */
export function encodeDeviceEnum(k: Kernel, caller: Process, max: number): { count: number; bytes: Uint8Array } {
  const devs = k.devices.slice(0, Math.max(0, max));
  const out = new Uint8Array(devs.length * DEVICE_ENUM_INFO_SIZE);
  const dv = new DataView(out.buffer);
  const u = userDevices(k);
  devs.forEach((d, i) => {
    const at = i * DEVICE_ENUM_INFO_SIZE;
    const owner = u.claims.get(d.slot);
    dv.setBigUint64(at, BigInt(d.base), true);
    dv.setUint32(at + 8, VIRTIO_MMIO_STRIDE, true);
    dv.setUint32(at + 12, d.intid, true);
    dv.setUint32(at + 16, d.slot, true);
    dv.setUint32(at + 20, d.deviceId, true);
    dv.setUint32(at + 24, d.vendorId, true);
    dv.setUint32(at + 28, (kernelDrivesSlot(k, d.slot) ? 1 : 0) | (owner ? 2 : 0) | (owner === caller ? 4 : 0), true);
    out.set(new TextEncoder().encode(d.name).subarray(0, 31), at + 32);
  });
  return { count: devs.length, bytes: out };
}

/** Plain JSON view for the inspection API and notebooks. */
export function userDevicesSnapshot(k: Kernel): {
  claims: { slot: number; pid: number }[];
  irqs: { intid: number; pid: number; pending: boolean; masked: boolean; fired: number }[];
  processes: { pid: number; mappings: DeviceMapping[]; dma: DmaBuffer[] }[];
} {
  const u = userDevices(k);
  return {
    claims: [...u.claims].map(([slot, p]) => ({ slot, pid: p.pid })).sort((a, b) => a.slot - b.slot),
    irqs: [...u.irqs.values()].map((r) => ({ intid: r.intid, pid: r.owner.pid, pending: r.pending, masked: r.masked, fired: r.fired })),
    processes: [...u.perProcess].map(([p, d]) => ({ pid: p.pid, mappings: d.mappings.map((m) => ({ ...m, slots: [...m.slots] })), dma: d.dma.map((b) => ({ ...b })) })),
  };
}
