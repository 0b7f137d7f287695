// DEVICE_LIST (0xE3): the machine's devices as a user program sees them
// (`devices` on C:). The record keeps upstream's layout, so its programs run:
//
//   struct vd_device_info {      // 56 bytes
//     char name[32];             // "virtio-blk@0a000200", "pl011@09000000"
//     char type[16];             // "block", "net", "entropy (rng)", "serial", ...
//     u32 flags;                 // ACTIVE 0x1 (a kernel driver serves it), VIRTUAL 0x2 (virtio)
//     u32 irq;                   // GIC INTID (0 = none)
//   };
//
// buf NULL (0) asks only for the count; otherwise up to `max` records are
// written and x1 holds how many.

import { E } from "../errors.js";
import { copyOut } from "../mm/uaccess.js";
import type { Kernel } from "../kernel.js";
import { INTID_UART } from "../console/uart.js";
import { err, n, ok, u32, type HandlerTable } from "./abi.js";
import { SYS } from "./table.js";

export const DEVICE_INFO_SIZE = 56;
export const DEVICE_FLAG_ACTIVE = 0x1;
export const DEVICE_FLAG_VIRTUAL = 0x2;
/** EL1 physical timer PPI (VIPERDOS.md "Machine"). */
const INTID_TIMER = 30;

export interface DeviceRecord {
  name: string;
  type: string;
  flags: number;
  irq: number;
}

const hex8 = (v: number): string => v.toString(16).padStart(8, "0");
/** Short virtio device names (virtio 1.x section 5 device IDs), as Linux names its drivers. */
const VIRTIO_SHORT: Record<number, string> = { 1: "net", 2: "blk", 3: "console", 4: "rng", 16: "gpu", 18: "input" };

/** The devices of `k`'s machine, fixed ones first, then each probed virtio-mmio slot. Plain data. */
export function deviceRecords(k: Kernel): DeviceRecord[] {
  const fixed: DeviceRecord[] = [
    { name: "gic-400@08000000", type: "interrupt", flags: DEVICE_FLAG_ACTIVE, irq: 0 },
    { name: "generic-timer", type: "timer", flags: DEVICE_FLAG_ACTIVE, irq: INTID_TIMER },
    { name: "pl011@09000000", type: "serial", flags: DEVICE_FLAG_ACTIVE, irq: INTID_UART },
    { name: "pl031@09010000", type: "rtc", flags: DEVICE_FLAG_ACTIVE, irq: 0 },
  ];
  const virtio = k.devices.map((d): DeviceRecord => ({
    name: `virtio-${VIRTIO_SHORT[d.deviceId] ?? d.deviceId}@${hex8(d.base)}`,
    type: d.name,
    flags: DEVICE_FLAG_VIRTUAL | (k.irqHandlers.has(d.intid) ? DEVICE_FLAG_ACTIVE : 0),
    irq: d.intid,
  }));
  return [...fixed, ...virtio];
}

/** Encode records as an array of struct vd_device_info. */
export function encodeDeviceRecords(records: readonly DeviceRecord[]): Uint8Array {
  const out = new Uint8Array(records.length * DEVICE_INFO_SIZE);
  const dv = new DataView(out.buffer);
  const enc = new TextEncoder();
  records.forEach((r, i) => {
    const at = i * DEVICE_INFO_SIZE;
    out.set(enc.encode(r.name).subarray(0, 31), at);
    out.set(enc.encode(r.type).subarray(0, 15), at + 32);
    dv.setUint32(at + 48, r.flags, true);
    dv.setUint32(at + 52, r.irq, true);
  });
  return out;
}

export const DEVICE_LIST_HANDLERS: HandlerTable = [
  [SYS.DEVICE_LIST, (k, t, a) => {
    const records = deviceRecords(k);
    const buf = n(a[0]);
    if (buf === 0) return ok(records.length);
    if (buf < 0) return err(E.INVALID_ARG);
    const shown = records.slice(0, u32(a[1]));
    const r = copyOut(t.process.as, buf, encodeDeviceRecords(shown));
    return r < 0 ? err(r) : ok(shown.length);
  }],
];
