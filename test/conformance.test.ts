// Differential conformance: each C/assembly program of test/conformance/ is
// built at -O0, -O2 and -O3 (and for armv8.1-a where LSE matters), then run
// on our emulator (runLinuxElf, in-process) and on the real reference CPU
// model, qemu-aarch64. Standard output and exit status must be identical.
// The programs print results as exact bit patterns and running checksums,
// so any wrong result, flag or rounding shows as a difference.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runLinuxElf } from "../emulator/linux-user/process.js";
import { buildGuest, OptLevel } from "../viperdos/tools/build-guest.js";

interface Program {
  name: string;
  sources: string[];
  /** -march values to build for (default: armv8-a only). */
  marches?: string[];
  /** Also build it as a static-PIE at -O2 (exercises ET_DYN loading and relocation). */
  pie?: boolean;
}

const DIR = "test/conformance/";
const PROGRAMS: Program[] = [
  { name: "int_arith", sources: ["int_arith.c"], marches: ["armv8-a", "armv8.1-a"] },
  { name: "control", sources: ["control.c"] },
  { name: "memory", sources: ["memory.c"], pie: true },
  { name: "atomics", sources: ["atomics.c"], marches: ["armv8-a", "armv8.1-a"] },
  { name: "fp", sources: ["fp.c"] },
  { name: "vector", sources: ["vector.c"] },
  { name: "sort_malloc", sources: ["sort_malloc.c"], pie: true },
  { name: "flags", sources: ["flags.c", "flags_ops.S"] },
  { name: "exclusive", sources: ["exclusive.c", "exclusive.S"] },
];
const OPTS: OptLevel[] = ["-O0", "-O2", "-O3"];

interface Outcome {
  status: number;
  stdout: string;
}

/** The reference: qemu-aarch64 (Debian's qemu-user; its default CPU model "max" has LSE). */
function runQemu(elf: string, argv0: string): Outcome {
  const r = spawnSync("qemu-aarch64", ["-0", argv0, elf], { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`qemu-aarch64 could not run (install qemu-user via scripts/setup.sh): ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout };
}

function runOurs(elf: string, argv0: string): Outcome & { stderr: string } {
  let stdout = "";
  let stderr = "";
  const dec = new TextDecoder();
  const r = runLinuxElf(readFileSync(elf), [argv0], {
    stdout: (b) => (stdout += dec.decode(b)),
    stderr: (b) => (stderr += dec.decode(b)),
    maxInsns: 2_000_000_000,
  });
  return { status: r.status, stdout, stderr };
}

describe("conformance against qemu-aarch64", () => {
  for (const p of PROGRAMS) {
    for (const march of p.marches ?? ["armv8-a"]) {
      for (const opt of OPTS) {
        const tag = `${p.name}-${march}${opt}`;
        it(tag, () => {
          const elf = buildGuest({ name: `conf-${tag}`, sources: p.sources.map((s) => DIR + s), opt, march });
          const ref = runQemu(elf, p.name);
          const ours = runOurs(elf, p.name);
          // On a fault our stderr names the instruction (pc, insn=...): show it with the diff.
          expect({ status: ours.status, stdout: ours.stdout, fault: ours.status === 139 ? ours.stderr : "" }).toEqual({
            status: ref.status,
            stdout: ref.stdout,
            fault: "",
          });
        });
      }
    }
    if (p.pie) {
      it(`${p.name}-static-pie-O2`, () => {
        const elf = buildGuest({ name: `conf-${p.name}-pie-O2`, sources: p.sources.map((s) => DIR + s), opt: "-O2", pie: true });
        const ref = runQemu(elf, p.name);
        const ours = runOurs(elf, p.name);
        expect({ status: ours.status, stdout: ours.stdout }).toEqual({ status: ref.status, stdout: ref.stdout });
      });
    }
  }
});
