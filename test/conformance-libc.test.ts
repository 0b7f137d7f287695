// Our freestanding libc against glibc: test/conformance/libc_printf.c is
// compiled natively for the host (clang + the host's glibc) and for the
// guest (our libc), and the two outputs must be identical: every printf
// conversion incl. exact %f/%e/%g/%a rounding, snprintf truncation, strtol.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLinuxElf } from "../emulator/linux-user/process.js";
import { buildGuest, GUEST_OUT } from "../viperdos/tools/build-guest.js";

const SRC = "test/conformance/libc_printf.c";

describe("libc against the host's glibc", () => {
  for (const opt of ["-O0", "-O2"] as const) {
    it(`printf family and strtol match glibc (${opt})`, () => {
      mkdirSync(GUEST_OUT, { recursive: true });
      const host = join(GUEST_OUT, "libc_printf.host");
      execFileSync("clang", ["-O2", "-w", SRC, "-o", host]);
      const ref = spawnSync(host, [], { encoding: "utf8" });
      expect(ref.status).toBe(0);

      const elf = buildGuest({ name: `libc_printf${opt}`, sources: [SRC], opt });
      let out = "";
      const dec = new TextDecoder();
      const r = runLinuxElf(readFileSync(elf), ["libc_printf"], { stdout: (b) => (out += dec.decode(b)) });
      expect(r.status).toBe(0);
      expect(out.split("\n")).toEqual(ref.stdout.split("\n"));
    });
  }
});
