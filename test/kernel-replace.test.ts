// Program images: REPLACE (exec) from the file system and TASK_SPAWN_SHM
// (an ELF held in a shared memory object), each driven by a C program on a
// machine with sys.img and user.img built by our mkfs; afterwards nothing
// is left behind (frames, message buffers, handles).

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { slabStats } from "../viperdos/kernel/mm/slab.js";
import { readShmImage } from "../viperdos/kernel/proc/exec.js";
import { ShmObject } from "../viperdos/kernel/ipc/shm.js";
import { ResourceLimits } from "../viperdos/kernel/cap/limits.js";
import { Kernel } from "../viperdos/kernel/kernel.js";

function guest(file: string): Uint8Array {
  const name = file.replace(/\.c$/, "");
  return new Uint8Array(readFileSync(buildGuest({ name, sources: [`viperdos/user/tests/${file}`], opt: "-O2", os: "viperdos" })));
}

const text = (s: string) => new TextEncoder().encode(s);

function disks() {
  const sys = buildImage({ size: 2 << 20, label: "SYS", files: new Map([["vinit.sys", text("VSYS")]]) });
  const user = buildImage({
    size: 8 << 20,
    label: "USER",
    dirs: ["t"],
    files: new Map([
      ["c/vd-hello.prg", guest("hello.c")],
      ["c/vd-replace.prg", guest("vd-replace.c")],
      ["s/startup", text("echo hi\n")],
    ]),
  });
  return { sys, user };
}

function run(file: string) {
  const out: number[] = [];
  const r = runProgram(file.replace(/\.c$/, ""), guest(file), { cpus: 4, disks: disks(), onConsole: (b) => out.push(...b) });
  const s = r.kernel.pmm.stats();
  const slabPages = slabStats(r.kernel.pmm).reduce((n, c) => n + c.slabs, 0);
  return { ...r, text: Buffer.from(out).toString("utf8"), usedPages: s.totalPages - s.freePages - slabPages };
}

/** Pages in use after a program that only prints (the drivers' own queues): what a run must come back to. */
let baseline: number | undefined;
function baselinePages(): number {
  baseline ??= run("hello.c").usedPages;
  return baseline;
}

describe("REPLACE (exec)", () => {
  it("vd-replace: errors leave the caller running; a replaced child keeps pid and listed handles only", () => {
    const r = run("vd-replace.c");
    if (process.env.VD_SHOW) console.log(r.text);
    expect(r.text).toContain("phase2: ok");
    expect(r.text).toContain("replace: ok");
    expect(r.text).not.toContain("replace returned");
    expect(r.exitCode).toBe(0);
    expect(r.kernel.messages.live).toBe(0);
    expect(r.usedPages).toBe(baselinePages());
  }, 60_000);
});

describe("TASK_SPAWN_SHM", () => {
  it("vd-spawnshm: starts an ELF from a shm object with every loader and handle check", () => {
    const r = run("vd-spawnshm.c");
    if (process.env.VD_SHOW) console.log(r.text);
    expect(r.text).toContain("hello from ViperDOS, argc=3");
    expect(r.text).toContain("arg 1: from");
    expect(r.text).toContain("spawnshm: ok");
    expect(r.exitCode).toBe(0);
    expect(r.usedPages).toBe(baselinePages());
  }, 60_000);

  it("reads an image across frame boundaries from the object's frames in guest RAM", () => {
    const k = new Kernel({ cpus: 1 });
    const frames = [k.pmm.alloc(), k.pmm.alloc(), k.pmm.alloc()];
    const shm = new ShmObject(3 * 4096, frames, k.frameAllocator, new ResourceLimits());
    frames.forEach((pa, i) => k.machine.bus.fill(pa, 4096, i + 1));
    const img = readShmImage(k.machine.bus, shm, 4000, 5000);
    expect(img).toBeInstanceOf(Uint8Array);
    const b = img as Uint8Array;
    expect(b.length).toBe(5000);
    expect([b[0], b[95], b[96], b[4191], b[4192], b[4999]]).toEqual([1, 1, 2, 2, 3, 3]);
    expect(readShmImage(k.machine.bus, shm, 0, 0)).toBe(-2);
    expect(readShmImage(k.machine.bus, shm, 8192, 4097)).toBe(-2);
    expect(readShmImage(k.machine.bus, shm, -1, 10)).toBe(-2);
  });
});
