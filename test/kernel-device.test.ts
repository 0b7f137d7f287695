// User-space drivers: vd-udriver.c drives the machine's virtio-rng (which
// the kernel leaves to user space) through MAP_DEVICE, DMA_ALLOC and
// IRQ_WAIT, with the error paths; here we check what the kernel saw (the
// device's interrupts, nothing left behind at exit) and that a device the
// kernel drives is refused.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { slabStats } from "../viperdos/kernel/mm/slab.js";
import { kernelDrivesSlot, mapDevice, userDevicesSnapshot, dmaAlloc, irqRegister } from "../viperdos/kernel/drivers/user-device.js";
import { buildImage } from "../viperdos/fs/mkfs.js";

function guest(file: string): Uint8Array {
  const name = file.replace(/\.c$/, "");
  return new Uint8Array(readFileSync(buildGuest({ name, sources: [`viperdos/user/tests/${file}`], opt: "-O2", os: "viperdos" })));
}

describe("user-space device drivers", () => {
  it("vd-udriver reads random bytes from virtio-rng with DMA and IRQ_WAIT; everything is released at exit", () => {
    const out: number[] = [];
    const r = runProgram("vd-udriver", guest("vd-udriver.c"), { cpus: 4, onConsole: (b) => out.push(...b) });
    const text = Buffer.from(out).toString("utf8");
    if (process.env.VD_SHOW) console.log(text);
    expect(text).toContain("udriver: ok");
    expect(r.exitCode).toBe(0);
    // The device's line (INTID 48) was taken by the kernel once per interrupt the driver
    // waited for: two requests, then one interrupt and one held back until IRQ_ACK.
    const irqs = r.kernel.trace.events().filter((e) => e.kind === "Irq" && e.a === 48);
    expect(irqs.length).toBe(4);
    // The exit released the IRQ and the DMA buffer the program left behind.
    expect(userDevicesSnapshot(r.kernel)).toEqual({ claims: [], irqs: [], processes: [] });
    expect(r.kernel.irqHandlers.has(48)).toBe(false);
    const s = r.kernel.pmm.stats();
    const slabPages = slabStats(r.kernel.pmm).reduce((n, c) => n + c.slabs, 0);
    expect(s.totalPages - s.freePages).toBe(256 + slabPages);
    // Same seed, same bytes.
    const again: number[] = [];
    runProgram("vd-udriver", guest("vd-udriver.c"), { cpus: 4, onConsole: (b) => again.push(...b) });
    expect(Buffer.from(again).toString("utf8")).toBe(text);
  }, 60_000);

  it("refuses devices the kernel drives, and pages that share a slot with one", () => {
    const sys = buildImage({ size: 2 << 20, label: "SYS", files: new Map() });
    const k = new Kernel({ cpus: 1, disks: { sys } });
    k.boot();
    const blk = k.devices.find((d) => d.deviceId === 2)!;
    expect(kernelDrivesSlot(k, blk.slot)).toBe(true);
    const p = k.spawn("x", guest("vd-udriver.c"), "");
    if (typeof p === "number") throw new Error("spawn");
    expect(mapDevice(k, p, blk.base, 0x200, 0)).toBe(-8);
    // virtio-rng shares the 4 KiB page with the disk's slot.
    const rng = k.devices.find((d) => d.deviceId === 4)!;
    expect(mapDevice(k, p, rng.base, 0x200, 0)).toBe(-8);
    expect(irqRegister(k, p, blk.intid)).toBe(-8);
    // Without DMA in the bounding set: -6.
    p.handles.dropBound(0x1000);
    expect(dmaAlloc(k, p, 4096)).toBe(-6);
  });
});

describe("device and task-extra calls under random arguments", () => {
  it("never throw, and return 0, an error code or BLOCK", async () => {
    const { dispatchSyscall } = await import("../viperdos/kernel/syscall/dispatch.js");
    const { SYS } = await import("../viperdos/kernel/syscall/table.js");
    const k = new Kernel({ cpus: 2 });
    k.boot();
    const freeBefore = k.pmm.stats().freePages;
    const p = k.spawn("x", guest("vd-udriver.c"), "");
    if (typeof p === "number") throw new Error("spawn");
    const statuses = new Set<number>();
    // A stack page exists (mapStack) and holds whatever we write: pointers into it reach deep paths.
    const stackVa = 0x7fff_fffe_f000n;
    const rng = k.devices[0];
    const vals = [0n, 1n, 48n, 49n, 4096n, 0x200n, -1n & 0xffff_ffff_ffff_ffffn, 1n << 63n, BigInt(rng.base), BigInt(rng.base + 0x1000), 0x61_0000_0000n, 0x68_0000_0000n, stackVa, stackVa + 8n, 0x8000_0000n, 0x10n];
    const nums = [SYS.MAP_DEVICE, SYS.IRQ_REGISTER, SYS.IRQ_WAIT, SYS.IRQ_ACK, SYS.DMA_ALLOC, SYS.DMA_FREE, SYS.VIRT_TO_PHYS, SYS.DEVICE_ENUM, SYS.IRQ_UNREGISTER, SYS.SCHED_SETPARAM, SYS.SCHED_GETPARAM, SYS.TASK_SPAWN_SHM];
    let seed = 7;
    const pick = () => vals[(seed = (seed * 1103515245 + 12345) & 0x7fffffff) % vals.length];
    for (let i = 0; i < 3000; i++) {
      const num = nums[i % nums.length];
      const t = p.mainTask;
      if (t.state === "blocked") k.wakeTask(t, 0);
      const out = dispatchSyscall(k, t, num, [pick(), pick(), pick(), pick(), pick(), pick()]);
      expect(typeof out === "string" || out.s <= 0).toBe(true);
      if (typeof out !== "string") statuses.add(out.s);
    }
    // Successes and the documented errors all occurred.
    for (const s of [0, -2, -4, -100]) expect(statuses.has(s), `status ${s}`).toBe(true);
    k.exitProcess(p, 0, "exit");
    expect(userDevicesSnapshot(k)).toEqual({ claims: [], irqs: [], processes: [] });
    expect(k.pmm.stats().freePages).toBe(freeBefore);
  });
});
