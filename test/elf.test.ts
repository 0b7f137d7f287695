// The ELF loader's validation: every kind of malformed or unsupported file
// is rejected with a typed ElfError and a one-line message, both by
// parseElf and through the CLI (exit status 2, one line, no stack trace).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ElfError, parseElf } from "../emulator/linux-user/elf.js";
import { runLinuxElf } from "../emulator/linux-user/process.js";
import { AddressSpace } from "../emulator/linux-user/address_space.js";
import { loadProcess, PIE_BASE } from "../emulator/linux-user/loader.js";
import { PhysicalBus, RAM_BASE } from "../emulator/bus.js";
import { CpuState } from "../emulator/cpu/state.js";
import { Mmu } from "../emulator/mmu/mmu.js";
import { buildGuest, GUEST_OUT } from "../viperdos/tools/build-guest.js";

let good: Uint8Array;

/** Offsets of the program headers of `b` whose p_type is `type` (read here, not via our parser). */
function phdrsOfType(b: Uint8Array, type: number): number[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phoff = Number(v.getBigUint64(32, true));
  const phnum = v.getUint16(56, true);
  const out: number[] = [];
  for (let i = 0; i < phnum; i++) if (v.getUint32(phoff + i * 56, true) === type) out.push(phoff + i * 56);
  return out;
}

/** A copy of the good executable with `edit` applied through a DataView. */
function mutate(edit: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(good); // a copy (Buffer.slice would share memory)
  edit(new DataView(b.buffer), b);
  return b;
}

const PT_LOAD = 1;

interface Case {
  name: string;
  file: () => Uint8Array;
  kind: string;
  message: RegExp;
}

const CASES: Case[] = [
  { name: "empty file", file: () => new Uint8Array(0), kind: "not-elf", message: /not an ELF file/ },
  { name: "a text file", file: () => new TextEncoder().encode("#!/bin/sh\necho hi\n"), kind: "not-elf", message: /bad magic/ },
  { name: "truncated header", file: () => good.slice(0, 40), kind: "truncated", message: /truncated ELF header/ },
  { name: "32-bit class", file: () => mutate((_, b) => (b[4] = 1)), kind: "unsupported", message: /ELF class 1/ },
  { name: "big-endian", file: () => mutate((_, b) => (b[5] = 2)), kind: "unsupported", message: /little-endian/ },
  { name: "x86-64 machine", file: () => mutate((v) => v.setUint16(18, 62, true)), kind: "wrong-machine", message: /wrong machine 62/ },
  { name: "relocatable object", file: () => mutate((v) => v.setUint16(16, 1, true)), kind: "unsupported", message: /ELF type 1/ },
  {
    name: "program headers past the end",
    file: () => mutate((v, b) => v.setBigUint64(32, BigInt(b.length - 16), true)),
    kind: "bad-phdr",
    message: /program headers .* outside the file/,
  },
  {
    name: "truncated file (segments cut off)",
    file: () => good.slice(0, 4096),
    kind: "bad-segment",
    message: /outside the file/,
  },
  {
    name: "segment file range outside the file",
    file: () => mutate((v) => v.setBigUint64(phdrsOfType(good, PT_LOAD)[1] + 8, 0x7fff_0000n, true)),
    kind: "bad-segment",
    message: /outside the file|disagree/,
  },
  {
    name: "p_filesz > p_memsz",
    file: () =>
      mutate((v) => {
        const o = phdrsOfType(good, PT_LOAD)[0];
        v.setBigUint64(o + 40, v.getBigUint64(o + 32, true) - 1n, true);
      }),
    kind: "bad-segment",
    message: /p_filesz .* > p_memsz/,
  },
  {
    name: "overlapping segments",
    file: () =>
      // Grow the first segment's memory size over the second one.
      mutate((v) => v.setBigUint64(phdrsOfType(good, PT_LOAD)[0] + 40, 0x1000000n, true)),
    kind: "overlap",
    message: /overlap/,
  },
  {
    name: "huge p_memsz",
    file: () => mutate((v) => v.setBigUint64(phdrsOfType(good, PT_LOAD).at(-1)! + 40, 1n << 40n, true)),
    kind: "too-large",
    message: /too large/,
  },
  {
    name: "segment above 2^48",
    file: () =>
      mutate((v) => {
        const o = phdrsOfType(good, PT_LOAD).at(-1)!;
        v.setBigUint64(o + 16, (1n << 48n) - 4096n + (v.getBigUint64(o + 8, true) % 4096n), true);
      }),
    kind: "bad-segment",
    message: /above 2\^48/,
  },
  {
    name: "bad alignment (not a power of two)",
    file: () => mutate((v) => v.setBigUint64(phdrsOfType(good, PT_LOAD)[0] + 48, 0x3000n, true)),
    kind: "bad-segment",
    message: /not a power of two/,
  },
  { name: "entry point outside code", file: () => mutate((v) => v.setBigUint64(24, 0x10n, true)), kind: "bad-entry", message: /entry point 0x10/ },
  {
    name: "dynamically linked (PT_INTERP)",
    file: () => mutate((v) => v.setUint32(phdrsOfType(good, PT_LOAD)[0], 3, true)),
    kind: "unsupported",
    message: /PT_INTERP/,
  },
];

beforeAll(() => {
  good = new Uint8Array(readFileSync(buildGuest({ name: "elf-test-base", sources: ["test/conformance/linux/segv.c"], opt: "-O2" })));
});

describe("parseElf", () => {
  it("accepts the unmodified executable", () => {
    const img = parseElf(good);
    expect(img.loads.length).toBeGreaterThan(1);
    expect(img.entry).toBe(Number(new DataView(good.buffer, good.byteOffset).getBigUint64(24, true)));
  });

  for (const c of CASES) {
    it(`rejects ${c.name}`, () => {
      let err: unknown;
      try {
        parseElf(c.file());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ElfError);
      const e = err as ElfError;
      expect(e.kind).toBe(c.kind);
      expect(e.message).toMatch(c.message);
      expect(e.message).not.toContain("\n");
    });
  }

  it("runLinuxElf rejects before running anything", () => {
    let out = "";
    expect(() => runLinuxElf(CASES[5].file(), ["x"], { stdout: (b) => (out += b.length) })).toThrow(ElfError);
    expect(out).toBe("");
  });

  it("loads and relocates a static-PIE (ET_DYN) executable", () => {
    const pie = readFileSync(buildGuest({ name: "elf-test-pie", sources: ["test/conformance/linux/pie.c"], pie: true }));
    const img = parseElf(pie);
    expect(img.type).toBe(3);
    expect(img.relocations.length).toBeGreaterThanOrEqual(3);
    let out = "";
    const r = runLinuxElf(pie, ["pie"], { stdout: (b) => (out += new TextDecoder().decode(b)) });
    expect(out).toBe("alpha beta gamma main=1\n");
    expect(r.status).toBe(0);
  });

  it("applies R_AARCH64_RELATIVE itself, before the first instruction runs", () => {
    const pie = new Uint8Array(readFileSync(buildGuest({ name: "elf-test-pie", sources: ["test/conformance/linux/pie.c"], pie: true })));
    const img = parseElf(pie);
    const bus = new PhysicalBus(16 * 1024 * 1024);
    const space = new AddressSpace(bus, new Mmu(bus, new CpuState()));
    const p = loadProcess(space, img, pie, ["pie"], [], new Uint8Array(16));
    expect(p.bias).toBeGreaterThanOrEqual(PIE_BASE);
    expect(p.bias % img.maxAlign).toBe(0);
    expect(p.entry).toBe(img.entry + p.bias);
    for (const r of img.relocations) {
      const pa = space.physicalOf(r.offset + p.bias)!;
      expect(bus.ramView.getBigUint64(pa - RAM_BASE, true)).toBe(BigInt(p.bias) + r.addend);
    }
  });
});

describe("run-elf CLI on malformed files", () => {
  const dir = join(GUEST_OUT, "elf-test-bad");
  beforeAll(() => {
    spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { encoding: "utf8" }); // emits even with others' transient errors
    if (!existsSync("dist/bin/viperdos.js")) throw new Error("dist/bin/viperdos.js was not built");
    mkdirSync(dir, { recursive: true });
  });

  for (const c of CASES.filter((_, i) => i % 2 === 0)) {
    it(`exits 2 with one line for ${c.name}`, () => {
      const path = join(dir, c.name.replace(/\W+/g, "_"));
      writeFileSync(path, c.file());
      const r = spawnSync("node", ["dist/bin/viperdos.js", "run-elf", path], { encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^run-elf: /);
      expect(lines[0]).toMatch(c.message);
    });
  }

  it("exits 2 for a missing file", () => {
    const r = spawnSync("node", ["dist/bin/viperdos.js", "run-elf", join(dir, "does-not-exist")], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^run-elf: cannot read .*ENOENT\n$/);
  });
});
