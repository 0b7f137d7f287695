// The Linux-user harness end to end: initial stack and auxv (checked against
// qemu-aarch64 and the ELF header), system calls with good and bad
// arguments (against Linux via qemu-aarch64), fatal faults (exit 139 with
// the report), demand-paged heap, stdin, the instruction limit, determinism,
// and the CLI (exit status, --help, unknown commands).

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { runLinuxElf, RunElfOptions } from "../emulator/linux-user/process.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";

const dec = new TextDecoder();

function build(name: string, opt: "-O0" | "-O2" = "-O2"): string {
  return buildGuest({ name: `run-elf-${name}${opt}`, sources: [`test/conformance/linux/${name}.c`], opt });
}

function run(elf: string, argv: string[], opts: RunElfOptions = {}) {
  let stdout = "";
  let stderr = "";
  const r = runLinuxElf(readFileSync(elf), argv, {
    stdout: (b) => (stdout += dec.decode(b)),
    stderr: (b) => (stderr += dec.decode(b)),
    ...opts,
  });
  return { ...r, stdout, stderr };
}

/** qemu-aarch64 with an empty host environment, argv[0] as given. */
function qemu(elf: string, argv: string[], input = "") {
  const r = spawnSync("qemu-aarch64", ["-0", argv[0], elf, ...argv.slice(1)], { encoding: "utf8", env: {}, input });
  if (r.error) throw r.error;
  return r;
}

describe("process start-up", () => {
  it("argv, stack alignment and auxv match qemu-aarch64 and the ELF header", () => {
    const elf = build("auxv");
    const argv = ["./auxv-prog", "one", "", "three words", "ünï"];
    const ours = run(elf, argv, { env: [] });
    const ref = qemu(elf, argv);
    expect(ours.status).toBe(0);
    // qemu adds its own AT_EXECFN path handling; compare everything else line by line.
    const strip = (s: string) => s.split("\n").filter((l) => !l.startsWith("AT_EXECFN")).join("\n");
    expect(strip(ours.stdout)).toBe(strip(ref.stdout));
    expect(ours.stdout).toContain("sp%16=0\n");
    expect(ours.stdout).toContain("argv[3]=three words\n");
    expect(ours.stdout).toContain("AT_EXECFN=./auxv-prog\n");
    const v = new DataView(readFileSync(elf).buffer);
    expect(ours.stdout).toContain(`AT_PHNUM=${v.getUint16(56, true)}\n`);
    expect(ours.stdout).toContain(`AT_ENTRY=0x${v.getBigUint64(24, true).toString(16)} is_start=1\n`);
  });

  it("passes the environment", () => {
    const ours = run(build("auxv"), ["a"], { env: ["A=1", "B=2"] });
    expect(ours.stdout).toContain("envc=2 envp-follows-argv=1\n");
    expect(ours.stdout).toContain("auxv-follows-envp=1\n");
  });
});

describe("system calls", () => {
  it("results, including -EFAULT for bad pointers, match Linux (via qemu-aarch64)", () => {
    const elf = build("syscalls");
    const ours = run(elf, ["syscalls"]);
    const ref = qemu(elf, ["syscalls"]);
    expect(ours.stdout).toBe(ref.stdout);
    expect(ours.status).toBe(ref.status);
    // Facts of the Linux ABI, independently of both runs:
    expect(ours.stdout).toMatch(/write\(1, NULL, 5\)\s+-14\n/);
    expect(ours.stdout).toMatch(/write\(77, msg, 1\)\s+-9\n/);
    expect(ours.stdout).toMatch(/no such syscall \(4000\)\s+-38\n/);
    expect(ours.stdout).toMatch(/getrandom\(NULL, 8, 0\)\s+-14\n/);
    expect(ours.stdout).toMatch(/write\(1, unmapped, 1\)\s+-14\n/);
  });

  it("reads standard input", () => {
    const elf = build("echo");
    const ours = run(elf, ["echo"], { stdin: new TextEncoder().encode("hello, guest\nline two") });
    expect(ours.stdout).toBe("HELLO, GUEST\nLINE TWO[21 bytes]\n");
    expect(ours.status).toBe(0);
  });

  it("is deterministic for a seed, and the seed changes AT_RANDOM/getrandom", () => {
    const src = build("syscalls");
    const a = run(src, ["s"], { seed: 5 });
    const b = run(src, ["s"], { seed: 5 });
    expect(a.stdout).toBe(b.stdout);
    expect(a.retired).toBe(b.retired);
  });
});

describe("faults", () => {
  const cases: [string, RegExp][] = [
    ["null", /^run-elf: segmentation fault at pc=0x[0-9a-f]+, addr=0x0, esr=0x9[0-9a-f]{7} \(translation fault, level \d\)\n$/],
    ["ro", /^run-elf: segmentation fault at pc=0x[0-9a-f]+, addr=0x[0-9a-f]+, esr=0x9[0-9a-f]{7} \(permission fault, level 3\)\n$/],
    ["unmap", /^run-elf: segmentation fault at pc=0x[0-9a-f]+, addr=0x7[0-9a-f]+, esr=0x9[0-9a-f]+ \(translation fault, level 3\)\n$/],
    ["udf", /^run-elf: undefined instruction at pc=0x[0-9a-f]+, addr=0x[0-9a-f]+, esr=0x2000000, insn=0x0\n$/],
    // ESR: EC 0x3C (BRK), IL, imm16 = 7; BRK #7 encodes as 0xd42000e0.
    ["brk", /^run-elf: breakpoint at pc=0x[0-9a-f]+, addr=0x[0-9a-f]+, esr=0xf2000007, insn=0xd42000e0\n$/],
  ];
  for (const [how, report] of cases) {
    it(`'${how}' dies with status 139 and the report, after its output`, () => {
      const elf = build("segv");
      const ours = run(elf, ["segv", how]);
      expect(ours.status).toBe(139);
      expect(ours.stdout).toBe(`before ${how}\n`);
      expect(ours.stderr).toMatch(report);
      // The real CPU agrees that this program dies (SIGSEGV, SIGILL or SIGTRAP).
      const ref = qemu(elf, ["segv", how]);
      expect(["SIGSEGV", "SIGILL", "SIGTRAP"]).toContain(ref.signal);
    });
  }

  it("returns the guest's exit status", () => {
    expect(run(build("segv"), ["segv", "exit7"]).status).toBe(7);
  });

  it("stops a runaway guest at maxInsns with status 124", () => {
    const r = run(build("segv"), ["segv", "spin"], { maxInsns: 3_000_000 });
    expect(r.status).toBe(124);
    expect(r.retired).toBeGreaterThanOrEqual(3_000_000);
    expect(r.stderr).toMatch(/instruction limit/);
  });
});

describe("memory", () => {
  it("demand-pages a 64 MiB malloc", () => {
    const r = run(build("heap"), ["heap", "64"]);
    expect(r.stdout).toBe(`touched 16384 pages, sum ${sumBytes(16384)}, small 9\n`);
    expect(r.status).toBe(0);
    expect(r.residentPages).toBeLessThan(16384 + 200); // freed mapping was unmapped, so far fewer remain
  });

  it("runs out of guest RAM cleanly", () => {
    const r = run(build("heap"), ["heap", "64"], { ramSize: 32 * 1024 * 1024 });
    expect(r.status).toBe(139);
    expect(r.stderr).toMatch(/^run-elf: out of memory/);
  });
});

/** Sum over pages i of (i & 0xff): what heap.c computes. */
function sumBytes(pages: number): number {
  let s = 0;
  for (let i = 0; i < pages; i++) s += i & 0xff;
  return s;
}

describe("the viperdos CLI", () => {
  beforeAll(() => {
    spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { encoding: "utf8" }); // emits even with others' transient errors
    if (!existsSync("dist/bin/viperdos.js")) throw new Error("dist/bin/viperdos.js was not built");
  });
  const cli = (...args: string[]) => spawnSync("node", ["dist/bin/viperdos.js", ...args], { encoding: "utf8" });

  it("run-elf copies output and the exit status", () => {
    const r = cli("run-elf", build("segv"), "exit7");
    expect(r.stdout).toBe("before exit7\n");
    expect(r.status).toBe(7);
  });

  it("run-elf exits 139 for a segfault, with the report on stderr", () => {
    const r = cli("run-elf", build("segv"), "null");
    expect(r.status).toBe(139);
    expect(r.stderr).toMatch(/^run-elf: segmentation fault at pc=0x/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no host stack trace
  });

  it("run-elf --stats reports instructions and MIPS", () => {
    const r = cli("run-elf", "--stats", build("segv"), "x");
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/run-elf: \d+ instructions, virtual time [\d.]+ ms, wall [\d.]+ ms, [\d.]+ MIPS/);
  });

  it("prints help and per-command usage", () => {
    const h = cli("--help");
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/run-elf/);
    expect(h.stdout).toMatch(/demo/);
    const u = cli("run-elf", "--help");
    expect(u.status).toBe(0);
    expect(u.stdout).toMatch(/^usage: viperdos run-elf/);
  });

  it("rejects an unknown command with usage and status 2", () => {
    const r = cli("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(r.stderr).toMatch(/usage: viperdos/);
  });

  it("demo builds and runs", () => {
    const r = cli("demo");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\(168 primes\)/);
    expect(r.stdout).toMatch(/Virtual time: [\d.]+ ms/);
  });
});
