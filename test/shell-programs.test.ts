// The programs on C: (user.img) run from the shell with piped input: devices
// (DEVICE_LIST), the benchmark programs (ipcbench, ctxbench, fiobench: their
// figures, labelled virtual, and their argument errors) and edit's error
// paths (its screen is tested through a terminal in shell-tty.test.ts). The
// DEVICE_LIST records are also checked against the kernel's machine.

import { beforeAll, describe, expect, it } from "vitest";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { DEVICE_FLAG_ACTIVE, DEVICE_FLAG_VIRTUAL, DEVICE_INFO_SIZE, deviceRecords, encodeDeviceRecords } from "../viperdos/kernel/syscall/device-list.js";
import { buildBootImages, type BootImages } from "../viperdos/tools/images.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { readFileSync } from "node:fs";
import { boot, outputOf } from "./shell-boot.js";

let images: BootImages;
beforeAll(() => {
  images = buildBootImages();
});

/** A positive decimal figure ("12.345") parsed from `text` by `re` (first group). */
function figure(text: string, re: RegExp): number {
  const m = re.exec(text);
  if (!m) throw new Error(`no figure ${re} in ${JSON.stringify(text)}`);
  return Number(m[1]);
}

describe("programs on C:", () => {
  it("devices lists the virtio devices with their IRQs (INTID 48 + slot) and the fixed devices", () => {
    const { steps } = boot("devices\n");
    const out = outputOf(steps, "devices");
    expect(out).toMatch(/^ {2}DEVICE +TYPE +IRQ {2}STATE\n/);
    expect(out).toMatch(/pl011@09000000 +serial +33 {2}driver/);
    expect(out).toMatch(/generic-timer +timer +30 {2}driver/);
    const virtio = [...out.matchAll(/virtio-(\w+)@([0-9a-f]{8}) +(.+?) +(\d+) {2}(driver|idle)\n/g)];
    expect(virtio.map((m) => m[1]).filter((n) => n === "blk")).toHaveLength(2); // sys.img and user.img
    for (const [, , base, , irq] of virtio) expect(Number(irq)).toBe(48 + (parseInt(base, 16) - 0x0a00_0000) / 0x200);
    expect(virtio.filter((m) => m[1] === "blk").every((m) => m[5] === "driver")).toBe(true);
    expect(out).toMatch(new RegExp(`\\n${virtio.length + 4} devices, ${virtio.length} on virtio-mmio\\n$`));
  });

  it("DEVICE_LIST records come from the kernel's probe: 56 bytes each, ACTIVE where a driver serves the IRQ", () => {
    const k = new Kernel({ onConsole: () => {}, disks: images });
    k.boot();
    const recs = deviceRecords(k);
    const blk = recs.filter((r) => r.name.startsWith("virtio-blk@"));
    expect(blk.map((r) => r.irq)).toEqual(k.devices.filter((d) => d.deviceId === 2).map((d) => d.intid));
    for (const r of blk) expect(r.flags).toBe(DEVICE_FLAG_ACTIVE | DEVICE_FLAG_VIRTUAL);
    const bytes = encodeDeviceRecords(recs);
    expect(bytes.length).toBe(recs.length * DEVICE_INFO_SIZE);
    const dv = new DataView(bytes.buffer);
    const last = (recs.length - 1) * DEVICE_INFO_SIZE;
    expect(dv.getUint32(last + 52, true)).toBe(recs.at(-1)!.irq);
    expect(new TextDecoder().decode(bytes.subarray(last, last + 32)).replace(/\0+$/, "")).toBe(recs.at(-1)!.name);
  });

  it("DEVICE_LIST from a program: count with NULL, a short list, and bad pointers give an error code", () => {
    const elf = readFileSync(buildGuest({ name: "shell-devlist", sources: ["test/shell-devlist.prog.c"], opt: "-O2", os: "viperdos" }));
    let text = "";
    const r = runProgram("devlist", elf, { onConsole: (b) => (text += Buffer.from(b).toString("latin1")), disks: images, cpus: 1 });
    expect(r.exitCode).toBe(0);
    const n = deviceRecords(r.kernel).length;
    expect(text).toContain(`count status=0 count=${n}\n`);
    expect(text).toContain("max2 status=0 count=2\n");
    expect(text).toContain(`full status=0 count=${n} first=gic-400@08000000 irq=${deviceRecords(r.kernel)[2].irq}\n`);
    expect(text).toMatch(/low status=-[1-9]\d*\n/);
    expect(text).toMatch(/unmapped status=-[1-9]\d*\n/);
  });

  it("ctxbench, ipcbench and fiobench print virtual-time figures; bad arguments give ERROR 10", () => {
    const { steps } = boot("ctxbench 200\nipcbench 20\nfiobench 64 4\nDir T:\nctxbench 0\nipcbench x\nfiobench 64 9999\n");
    const ctx = outputOf(steps, "ctxbench 200");
    expect(ctx).toMatch(/^ctxbench: 200 yields, 1 CPU\(s\), both tasks on CPU 0\n/);
    const alone = figure(ctx, /yield alone +([\d.]+) ns\/call \(virtual\)/);
    const sw = figure(ctx, /switch +([\d.]+) ns\/switch \(virtual\)/);
    expect(alone).toBeGreaterThan(0);
    expect(sw).toBeGreaterThan(alone); // a switch does more than a yield with no one to switch to

    const ipc = outputOf(steps, "ipcbench 20");
    const rows = [...ipc.matchAll(/size +(\d+) bytes: round trip ([\d.]+) us, ([\d.]+) MB\/s \(virtual\)/g)];
    expect(rows.map((r) => Number(r[1]))).toEqual([8, 64, 512, 4096, 8192]);
    for (const r of rows) expect(Number(r[2])).toBeGreaterThan(0);
    expect(Number(rows[4][2])).toBeGreaterThan(Number(rows[0][2])); // 8 KiB costs more than 8 bytes
    expect(ipc).not.toContain("[rc");

    const fio = outputOf(steps, "fiobench 64 4");
    expect(figure(fio, /sequential write +([\d.]+) MB\/s \(virtual\)/)).toBeGreaterThan(0);
    expect(figure(fio, /sequential read +([\d.]+) MB\/s \(virtual\)/)).toBeGreaterThan(0);
    expect(figure(fio, /create\+write\+fsync +([\d.]+) files\/s \(virtual\)/)).toBeGreaterThan(0);
    expect(fio).not.toContain("[rc");
    expect(outputOf(steps, "Dir T:")).toBe("0 files, 0 directories\n"); // it cleaned up

    expect(outputOf(steps, "ctxbench 0")).toMatch(/^ctxbench: bad argument[^\n]*\n\[rc 10\]\n$/);
    expect(outputOf(steps, "ipcbench x")).toMatch(/^ipcbench: bad argument[^\n]*\n\[rc 10\]\n$/);
    expect(outputOf(steps, "fiobench 64 9999")).toMatch(/^fiobench: bad argument[^\n]*\n\[rc 10\]\n$/);
  });

  it("edit refuses a missing name, a directory and a name with no volume, with ERROR 10", () => {
    const { steps } = boot("edit\nedit C:\nedit NOPE:x\nWhy\n");
    expect(outputOf(steps, "edit")).toBe("edit: usage edit FILE\n[rc 10]\n");
    expect(outputOf(steps, "edit C:")).toBe("edit: C: is a directory (error -503)\n[rc 10]\n");
    expect(outputOf(steps, "edit NOPE:x")).toMatch(/^edit: NOPE:x: .+ \(error -\d+\)\n\[rc 10\]\n$/);
    expect(outputOf(steps, "Why")).toBe("edit returned 10\n");
  });
  it("edit with piped keys: edits, saves with Ctrl+S, quits with Ctrl+Q and leaves the rest of the input to the shell", () => {
    const { raw } = boot("edit T:p\nab\x1b[Dx\rline2\x13\x11Type T:p\nEcho after\n");
    expect(raw).toContain("\x1b[?1049h"); // the alternate screen, left again on quit
    expect(raw).toContain("\x1b[?1049lSYS:> Type T:p\nax\nline2b\nSYS:> Echo after\nafter\n");
  });
  it("edit keys: Up/Down keep the column, Ctrl+A/E, Ctrl+K kills to the end then joins lines, Backspace, Ctrl+D", () => {
    // one/two/three; Up Up, Ctrl+E "!" -> "one!"; Down, Ctrl+A, Ctrl+K (kills "two"), Ctrl+K (joins); Down, End, BS BS "ee", Ctrl+D at the end.
    const { raw } = boot("edit T:q\none\rtwo\rthree\x1b[A\x1b[A\x05!\x1b[B\x01\x0b\x0b\x1b[B\x1b[F\x7f\x7fee\x04\x13\x11Type T:q\n");
    expect(raw).toContain("SYS:> Type T:q\none!\nthree\nSYS:> ");
  });
});
