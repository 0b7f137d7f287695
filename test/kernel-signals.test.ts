// Signals on the real kernel: signals.c (clang + lld, our libc) installs
// handlers that return through the kernel's trampoline page, blocks and
// unblocks, signals children and its group, catches SIGSEGV, and checks
// that SIGKILL cannot be caught and that bad frames kill. The trampoline's
// words are checked against clang's assembler.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { assemble } from "./support/asm.js";
import { snapshot as signalSnapshot, TRAMPOLINE_VA, TRAMPOLINE_WORDS } from "../viperdos/kernel/proc/signals.js";
import { SYS } from "../viperdos/kernel/syscall/table.js";

function program(name: string): Uint8Array {
  const path = buildGuest({ name: `vd-${name}`, sources: [`viperdos/user/tests/${name}.c`], opt: "-O2", os: "viperdos" });
  return new Uint8Array(readFileSync(path));
}

function run(name: string, args = "", cpus = 4) {
  const out: number[] = [];
  const r = runProgram(name, program(name), { cpus, args, onConsole: (b) => out.push(...b), limitNs: 10e9 });
  return { ...r, text: Buffer.from(out).toString("utf8") };
}

describe("kernel signals", () => {
  it("the trampoline is `mov x8, #SYS_SIGRETURN; svc #0` as clang assembles it", () => {
    expect([...assemble(`mov x8, #${SYS.SIGRETURN}\nsvc #0`)]).toEqual([...TRAMPOLINE_WORDS]);
    expect(TRAMPOLINE_VA).toBe(0x7fff_ffff_f000);
  });

  it("signals.c: handlers, masks, kill to children and groups, SIGSEGV, SIGKILL, bad frames, errors", () => {
    const r = run("signals");
    expect(r.text).not.toContain("FAIL");
    expect(r.text).toContain("signals: ok");
    expect(r.exitCode).toBe(0);
    // Default actions were logged with the signal's name.
    expect(r.text).toMatch(/killed by signal 9 \(SIGKILL\)/);
    expect(r.text).toMatch(/killed by signal 11 \(SIGSEGV\) \(bad signal frame at sp=0x[0-9a-f]+: magic\)/);
    expect(r.text).toMatch(/bad signal frame at sp=0x[0-9a-f]+: no signal frame was pushed there/);
  });

  it("is deterministic and returns every page", () => {
    const a = run("signals");
    const b = run("signals");
    expect(a.text).toBe(b.text);
    expect(a.kernel.trace.hash()).toBe(b.kernel.trace.hash());
    const s = a.kernel.pmm.stats();
    expect(s.totalPages - s.freePages).toBe(256);
  });

  it("works on one CPU", () => {
    const r = run("signals", "", 1);
    expect(r.text).toContain("signals: ok");
    expect(r.exitCode).toBe(0);
  });

  it("snapshots signal state as plain JSON", async () => {
    const { Kernel } = await import("../viperdos/kernel/kernel.js");
    const k = new Kernel({ cpus: 2 });
    k.boot();
    const p = k.spawn("signals", program("signals"), "");
    if (typeof p === "number") throw new Error(`spawn ${p}`);
    // Run until the first handler is installed (the trampoline page appears).
    k.runUntil(50e6, () => p.sigActions.size > 0);
    const snap = signalSnapshot(p);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.actions[0]).toMatchObject({ sig: 10, name: "SIGUSR1", mask: 1 << 11 });
    expect(p.as.findVma(TRAMPOLINE_VA)?.kind).toBe("text");
  });
});

describe("thread and signal syscalls with random arguments", () => {
  it("never throw: every result is a status, BLOCK or GONE", async () => {
    const { Kernel } = await import("../viperdos/kernel/kernel.js");
    const { dispatchSyscall } = await import("../viperdos/kernel/syscall/dispatch.js");
    const k = new Kernel({ cpus: 2 });
    k.boot();
    const p = k.spawn("signals", program("signals"), "");
    if (typeof p === "number") throw new Error(`spawn ${p}`);
    const t = p.mainTask;
    let seed = 12345;
    const rnd = (): bigint => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const picks = [0n, 1n, 9n, 10n, 33n, 0x8000_0000n, 0x8000_1000n, 0x7fff_ffff_f000n, 0x7fff_fffe_fff0n, 2n ** 64n - 1n, 2n ** 63n, BigInt(seed)];
      return picks[seed % picks.length];
    };
    const nums = [0x90, 0x91, 0x92, 0x93, 0x94, 0xb0, 0xb2, 0xb3, 0xb4];
    for (let i = 0; i < 2000 && p.state === "live"; i++) {
      const num = nums[i % nums.length];
      const args = [rnd(), rnd(), rnd(), rnd(), rnd(), rnd()];
      const out = dispatchSyscall(k, t, num, args);
      if (typeof out === "object") expect(Number.isInteger(out.s)).toBe(true);
      else expect(["block", "gone"]).toContain(out);
      if (out === "block") k.wakeTask(t, 0);
    }
  });
});
