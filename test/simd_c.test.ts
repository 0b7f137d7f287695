// Vectorised C against qemu-aarch64: loops that clang -O2/-O3 turns into
// Advanced SIMD (structure loads/stores of interleaved pixels, widening
// dot products, saturating clamps, absolute differences, popcounts, byte
// swaps, conversions, selects, explicit shuffles), built for the guest and
// run on our emulator and on qemu; standard output must be identical.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLinuxElf } from "../emulator/linux-user/process.js";
import { buildGuest, OptLevel } from "../viperdos/tools/build-guest.js";

const SOURCE = String.raw`
#include "common.h"

#define N 301
typedef struct { uint8_t r, g, b; } rgb_t;
typedef uint8_t v16u8 __attribute__((vector_size(16)));
typedef int32_t v4i32 __attribute__((vector_size(16)));

static rgb_t px[N];
static uint8_t gray[N], u8a[N], u8b[N], rgba[4 * N];
static int8_t s8a[N], s8b[N];
static int16_t s16[N];
static int32_t i32a[N], i32b[N], i32c[N];
static uint32_t u32a[N];
static int64_t i64a[N], i64b[N];
static float fa[N], fb[N];
static double da[N];

static void init(uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 7;
    for (int i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        px[i].r = x >> 24; px[i].g = x >> 16; px[i].b = x >> 8;
        u8a[i] = x >> 5; u8b[i] = x >> 13;
        s8a[i] = (int8_t)(x >> 3); s8b[i] = (int8_t)(x >> 19);
        s16[i] = (int16_t)(x >> 7);
        i32a[i] = (int32_t)x >> (x & 7); i32b[i] = (int32_t)(x * 2246822519u) >> 4;
        u32a[i] = x ^ (x >> 15);
        i64a[i] = (int64_t)x * (int64_t)(int32_t)(x >> 3); i64b[i] = (int64_t)(x ^ 0x9e3779b9u) << 20;
        fa[i] = (float)(int32_t)x / 4096.0f; fb[i] = (float)(x % 2000) / 3.0f - 300.0f;
        da[i] = (double)(int32_t)(x >> 1) / 77.0;
    }
}

int main(void)
{
    for (int round = 0; round < 2; round++) {
        init(OPAQUE(round + 1));
        /* LD3 + widening multiply-accumulate + narrowing shift */
        for (int i = 0; i < N; i++) gray[i] = (uint8_t)((px[i].r * 77 + px[i].g * 150 + px[i].b * 29) >> 8);
        for (int i = 0; i < N; i++) mix(gray[i]);
        /* ST4 interleave */
        for (int i = 0; i < N; i++) { rgba[4*i] = px[i].b; rgba[4*i+1] = px[i].g; rgba[4*i+2] = px[i].r; rgba[4*i+3] = 255; }
        for (int i = 0; i < 4 * N; i++) mix(rgba[i]);
        /* saturating byte add and clamp to u8 */
        for (int i = 0; i < N; i++) { unsigned s = u8a[i] + u8b[i]; u8a[i] = s > 255 ? 255 : s; }
        for (int i = 0; i < N; i++) { int v = s16[i] >> 2; gray[i] = v < 0 ? 0 : v > 255 ? 255 : v; }
        for (int i = 0; i < N; i++) mix(u8a[i] ^ (gray[i] << 8));
        /* int8 dot product, sum of absolute differences */
        int32_t dot = 0; uint32_t sad = 0;
        for (int i = 0; i < N; i++) dot += s8a[i] * s8b[i];
        for (int i = 0; i < N; i++) sad += u8a[i] > u8b[i] ? u8a[i] - u8b[i] : u8b[i] - u8a[i];
        mix((uint32_t)dot); mix(sad);
        /* min/max reductions */
        int32_t mn = i32a[0], mx = i32a[0]; uint8_t umx = 0;
        for (int i = 0; i < N; i++) { mn = i32a[i] < mn ? i32a[i] : mn; mx = i32a[i] > mx ? i32a[i] : mx; }
        for (int i = 0; i < N; i++) umx = u8b[i] > umx ? u8b[i] : umx;
        mix((uint32_t)mn); mix((uint32_t)mx); mix(umx);
        /* selects, shifts by variable amounts, widening multiply */
        for (int i = 0; i < N; i++) i32c[i] = i32a[i] > i32b[i] ? i32a[i] - (i32b[i] >> 3) : (i32b[i] ^ 0x5555);
        for (int i = 0; i < N; i++) u32a[i] = (u32a[i] << (i & 15)) | (u32a[i] >> (31 - (i & 15)));
        for (int i = 0; i < N; i++) i64a[i] = (int64_t)i32a[i] * i32b[i] + (i64b[i] >> 7);
        for (int i = 0; i < N; i++) { mix((uint32_t)i32c[i]); mix(u32a[i]); mix((uint64_t)i64a[i]); }
        /* 64-bit lanes: compare and select, add, shifts */
        for (int i = 0; i < N; i++) i64b[i] = i64a[i] < i64b[i] ? i64a[i] + 1 : (int64_t)((uint64_t)i64b[i] >> 9);
        for (int i = 0; i < N; i++) mix((uint64_t)i64b[i]);
        /* popcount, byte swap, leading zeros */
        uint32_t pc = 0;
        for (int i = 0; i < N; i++) pc += __builtin_popcount(u32a[i]);
        for (int i = 0; i < N; i++) u32a[i] = __builtin_bswap32(u32a[i]);
        for (int i = 0; i < N; i++) i32c[i] = __builtin_clz(u32a[i] | 1);
        mix(pc);
        for (int i = 0; i < N; i++) { mix(u32a[i]); mix((uint32_t)i32c[i]); }
        /* conversions */
        for (int i = 0; i < N; i++) i32b[i] = (int32_t)(fa[i] * 0.5f);
        for (int i = 0; i < N; i++) fb[i] = (float)i32a[i] * 0.25f + fb[i];
        for (int i = 0; i < N; i++) fa[i] = (float)da[i];
        for (int i = 0; i < N; i++) da[i] = (double)fb[i] * 1.5;
        for (int i = 0; i < N; i++) s16[i] = (int16_t)i32a[i];
        for (int i = 0; i < N; i++) { mix((uint32_t)i32b[i]); mix(fbits(fb[i])); mix(fbits(fa[i])); mix(dbits(da[i])); mix((uint16_t)s16[i]); }
        /* float element-wise arithmetic (no reassociation needed) */
        for (int i = 0; i < N; i++) fa[i] = fa[i] * fb[i] - fa[i] / (fb[i] + 1000.0f);
        for (int i = 0; i < N; i++) mix(fbits(fa[i]));
        /* explicit shuffles */
        v16u8 a, b, idx;
        memcpy(&a, u8a, 16); memcpy(&b, u8b, 16); memcpy(&idx, gray, 16);
        v16u8 z = __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        v16u8 e = __builtin_shufflevector(a, b, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18);
        v16u8 r = __builtin_shufflevector(a, a, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        v4i32 w; memcpy(&w, i32a, 16);
        v4i32 t = __builtin_shufflevector(w, w, 1, 0, 3, 2) + (w >> 3);
        for (int k = 0; k < 16; k++) mix(z[k] | (e[k] << 8) | (r[k] << 16) | ((uint32_t)idx[k] << 24));
        for (int k = 0; k < 4; k++) mix((uint32_t)t[k]);
    }
    printf("%016llx\n", (unsigned long long)checksum);
    return 0;
}
`;

const OPTS: OptLevel[] = ["-O2", "-O3"];

describe("vectorised C vs qemu-aarch64", () => {
  for (const opt of OPTS) {
    it(`simd idioms ${opt}`, () => {
      const dir = join(process.cwd(), "build", "simd-c");
      mkdirSync(dir, { recursive: true });
      const src = join(dir, "simd_idioms.c");
      writeFileSync(src, SOURCE);
      const elf = buildGuest({ name: `simd-idioms${opt}`, sources: [src], opt, extraFlags: ["-I" + join(process.cwd(), "test", "conformance")] });
      const ref = spawnSync("qemu-aarch64", [elf], { encoding: "utf8", timeout: 60_000 });
      let stdout = "";
      let stderr = "";
      const dec = new TextDecoder();
      const ours = runLinuxElf(readFileSync(elf), ["simd"], {
        stdout: (b) => (stdout += dec.decode(b)),
        stderr: (b) => (stderr += dec.decode(b)),
        maxInsns: 200_000_000,
      });
      expect({ status: ours.status, stdout, fault: ours.status === 139 ? stderr : "" }).toEqual({ status: ref.status, stdout: ref.stdout, fault: "" });
      expect(stdout).toMatch(/^[0-9a-f]{16}\n$/);
    });
  }
});
