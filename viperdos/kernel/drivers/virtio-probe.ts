// Probe the 32 virtio-mmio slots (virtio 1.x, section 4.2.2): a slot with
// MagicValue "virt", Version 2 and a non-zero DeviceID holds a device.

import type { Machine } from "../../../emulator/machine.js";

export const VIRTIO_MMIO_BASE = 0x0a00_0000;
export const VIRTIO_MMIO_STRIDE = 0x200;
export const VIRTIO_SLOTS = 32;
const REG_MAGIC = 0x000;
const REG_VERSION = 0x004;
const REG_DEVICE_ID = 0x008;
const REG_VENDOR_ID = 0x00c;
const MAGIC = 0x74726976; // "virt"

/** Device type names of the virtio spec (section 5). */
const DEVICE_NAMES: Record<number, string> = {
  1: "net",
  2: "block",
  3: "console",
  4: "entropy (rng)",
  16: "gpu",
  18: "input",
};

export interface VirtioDeviceInfo {
  slot: number;
  base: number;
  intid: number;
  deviceId: number;
  name: string;
  vendorId: number;
}

/** Every slot holding a version-2 virtio device. Never throws. */
export function probeVirtio(machine: Machine): VirtioDeviceInfo[] {
  const found: VirtioDeviceInfo[] = [];
  for (let slot = 0; slot < VIRTIO_SLOTS; slot++) {
    const base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
    const bus = machine.bus;
    if (bus.read32(base + REG_MAGIC) !== MAGIC || bus.read32(base + REG_VERSION) !== 2) continue;
    const deviceId = bus.read32(base + REG_DEVICE_ID);
    if (deviceId === 0) continue;
    found.push({
      slot,
      base,
      intid: 48 + slot,
      deviceId,
      name: DEVICE_NAMES[deviceId] ?? `type ${deviceId}`,
      vendorId: bus.read32(base + REG_VENDOR_ID),
    });
  }
  return found;
}
