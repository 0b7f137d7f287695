// Every encoding the Advanced SIMD table deliberately leaves out
// (ADV_SIMD_UNHANDLED) is UNDEFINED, and the listed patterns describe real
// instructions (each example, assembled by clang, matches its pattern).

import { describe, expect, it } from "vitest";
import { assemble } from "./support/asm.js";
import { runAsm } from "./support/snippet.js";
import { ExitKind } from "../emulator/cpu/state.js";
import { ADV_SIMD_UNHANDLED } from "../emulator/cpu/a64/simd.js";

const MARCH = "armv8.2-a+dotprod+fp16+crypto+sha2+aes+rdm";

/** One example instruction per unhandled pattern. */
const EXAMPLES: Record<string, string> = {
  SIMD_3same_extra: "sdot v0.4s, v1.16b, v2.16b",
  SIMD_3same_fp16: "fadd v0.8h, v1.8h, v2.8h",
  SIMD_2misc_fp16: "fabs v0.8h, v1.8h",
  SIMD_crypto_aes: "aese v0.16b, v1.16b",
  SIMD_crypto_sha: "sha1c q0, s1, v2.4s",
  SIMD_pmull_1q: "pmull v0.1q, v1.1d, v2.1d",
};

describe("Advanced SIMD encodings left UNDEFINED", () => {
  for (const u of ADV_SIMD_UNHANDLED) {
    it(`${u.name}: ${EXAMPLES[u.name]}`, () => {
      const [word] = assemble(EXAMPLES[u.name], MARCH);
      expect(((word & u.mask) >>> 0).toString(16)).toBe(u.value.toString(16));
      const r = runAsm(`.inst 0x${word.toString(16)}`);
      expect(ExitKind[r.exit]).toBe("Undefined");
    });
  }
});
