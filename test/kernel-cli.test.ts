// `viperdos boot` and `viperdos run` as a user runs them (the built CLI,
// a real process): boot log, exit statuses, the boot image, bad input.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGuest } from "../viperdos/tools/build-guest.js";

const CLI = join(process.cwd(), "dist", "bin", "viperdos.js");
const guest = (t: string) => buildGuest({ name: `vd-${t}`, sources: [`viperdos/user/tests/${t}.c`], opt: "-O2", os: "viperdos" });

function viperdos(...args: string[]) {
  const r = spawnSync("node", [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("viperdos boot / run", () => {
  it("boot prints the boot log with the requested CPUs and memory", () => {
    const r = viperdos("boot", "--cpus", "2", "--mem", "64");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/cpu: 2 x AArch64/);
    expect(r.stdout).toMatch(/mem: 64 MiB RAM/);
  });

  it("run returns the program's exit status and passes its arguments", () => {
    const r = viperdos("run", guest("hello"), "x", "y");
    expect(r.status).toBe(3);
    expect(r.stdout).toContain("arg 2: y");
  });

  it("run exits 139 after the kernel's report when the program faults", () => {
    const r = viperdos("run", guest("fault"));
    expect(r.status).toBe(139);
    expect(r.stdout).toMatch(/segmentation fault at pc=0x/);
  });

  it("run --program puts programs in the boot image for TASK_SPAWN", () => {
    const r = viperdos("run", "--program", `ipc_child=${guest("ipc_child")}`, guest("ipc"));
    expect(r.stdout).toContain("ipc: ok");
    expect(r.status).toBe(0);
  });

  it("a malformed file or a bad option is a one-line error with status 2, no stack trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "vdl-cli-"));
    const bad = join(dir, "bad.elf");
    writeFileSync(bad, "not an elf at all, ".repeat(8));
    const r = viperdos("run", bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("bad ELF magic");
    const o = viperdos("run", "--cpus", "9", bad);
    expect(o.status).toBe(2);
    expect(o.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
