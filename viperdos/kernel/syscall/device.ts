// The device calls for user-space drivers (MAP_DEVICE 0x100 .. IRQ_UNREGISTER
// 0x108): argument decoding and results; the rules (which devices, rights,
// addresses, interrupt masking) are in drivers/user-device.ts.

import { E } from "../errors.js";
import { SYS } from "./table.js";
import { copyIn, copyOut } from "../mm/uaccess.js";
import { Rights } from "../cap/rights.js";
import { BLOCK, err, i64, n, ok, u32, type HandlerTable } from "./abi.js";
import {
  dmaAlloc,
  dmaFree,
  encodeDeviceEnum,
  hasDeviceRight,
  irqAck,
  irqRegister,
  irqUnregister,
  irqWait,
  mapDevice,
} from "../drivers/user-device.js";

const status = (r: number) => (r < 0 ? err(r) : ok());

export const DEVICE_HANDLERS: HandlerTable = [
  [SYS.MAP_DEVICE, (k, t, a) => {
    const r = mapDevice(k, t.process, n(a[0]), n(a[1]), n(a[2]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.IRQ_REGISTER, (k, t, a) => status(irqRegister(k, t.process, u32(a[0])))],
  [SYS.IRQ_WAIT, (k, t, a) => {
    const timeout = i64(a[1]);
    if (timeout < 0) return err(E.INVALID_ARG);
    const r = irqWait(k, t, u32(a[0]), timeout);
    return r === "block" ? BLOCK : status(r);
  }],
  [SYS.IRQ_ACK, (k, t, a) => status(irqAck(k, t.process, u32(a[0])))],
  [SYS.DMA_ALLOC, (k, t, a) => {
    const size = n(a[0]);
    const physPtr = n(a[1]);
    // Check the out-pointer first, so a bad one costs no allocation.
    if (physPtr !== 0) {
      const probe = copyIn(t.process.as, physPtr, 8);
      if (typeof probe === "number") return err(probe);
    }
    const b = dmaAlloc(k, t.process, size);
    if (typeof b === "number") return err(b);
    if (physPtr !== 0) {
      const pa = new Uint8Array(8);
      new DataView(pa.buffer).setBigUint64(0, BigInt(b.pa), true);
      const r = copyOut(t.process.as, physPtr, pa);
      if (r < 0) {
        dmaFree(k, t.process, b.va);
        return err(r);
      }
    }
    return ok(b.va, b.pa);
  }],
  [SYS.DMA_FREE, (k, t, a) => status(dmaFree(k, t.process, n(a[0])))],
  [SYS.VIRT_TO_PHYS, (_k, t, a) => {
    if (!hasDeviceRight(t.process, Rights.DMA)) return err(E.PERMISSION);
    const va = n(a[0]);
    if (va < 0x8000_0000) return err(E.INVALID_ARG);
    let w = t.process.as.walkVa(va);
    if (!w.ok) {
      const touch = copyIn(t.process.as, va, 1); // faults a lazily-mapped page in; -2/-6 for a bad address
      if (typeof touch === "number") return err(touch);
      w = t.process.as.walkVa(va);
    }
    if (!w.ok || w.pa === undefined) return err(E.INVALID_ARG);
    return ok(Number(w.pa));
  }],
  [SYS.DEVICE_ENUM, (k, t, a) => {
    const buf = n(a[0]);
    if (buf === 0) return ok(k.devices.length);
    const { count, bytes } = encodeDeviceEnum(k, t.process, u32(a[1]));
    if (count > 0) {
      const r = copyOut(t.process.as, buf, bytes);
      if (r < 0) return err(r);
    }
    return ok(count);
  }],
  [SYS.IRQ_UNREGISTER, (k, t, a) => status(irqUnregister(k, t.process, u32(a[0])))],
];
