/* Loops the vectoriser turns into Advanced SIMD at -O2/-O3: element-wise
 * integer and float arithmetic, reductions (ADDV, FADDP, UMAXV), widening
 * and narrowing, byte operations, shuffles, conversions. */
#include "common.h"

#define N 203 /* not a multiple of the vector length: exercises the tails */
static int32_t a32[N], b32[N], c32[N];
static int16_t a16[N], b16[N];
static uint8_t u8[N], v8[N];
static int64_t a64[N];
static float fa[N], fb[N], fc[N];
static double da[N], db[N];

static void init(int seed)
{
    uint32_t x = (uint32_t)seed * 2654435761u + 1;
    for (int i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        a32[i] = (int32_t)x >> 3;
        b32[i] = (int32_t)(x * 7u) >> 9;
        a16[i] = (int16_t)(x >> 11);
        b16[i] = (int16_t)(x >> 3);
        u8[i] = (uint8_t)(x >> 24);
        v8[i] = (uint8_t)(x >> 13);
        a64[i] = (int64_t)x * (int64_t)(x >> 5) - 12345;
        fa[i] = (float)(int32_t)x / 65536.0f;
        fb[i] = (float)(x % 1000) / 7.0f - 50.0f;
        da[i] = (double)(int32_t)(x ^ 0x5a5a5a5a) / 1024.0;
        db[i] = (double)(x % 4097) * 0.001 - 2.0;
    }
}

int main(void)
{
    for (int round = 0; round < 3; round++) {
        init(OPAQUE(round));
        for (int i = 0; i < N; i++) c32[i] = a32[i] * b32[i] + (a32[i] >> 3) - (b32[i] & 0xff);
        for (int i = 0; i < N; i++) mix((uint32_t)c32[i]);
        int64_t s = 0;
        for (int i = 0; i < N; i++) s += a32[i];
        mix((uint64_t)s);
        int32_t mx = INT32_MIN, mn = INT32_MAX;
        for (int i = 0; i < N; i++) {
            mx = a32[i] > mx ? a32[i] : mx;
            mn = b32[i] < mn ? b32[i] : mn;
        }
        mix((uint32_t)mx); mix((uint32_t)mn);
        for (int i = 0; i < N; i++) a16[i] = (int16_t)(a16[i] * b16[i] + (a16[i] >> 2));
        int32_t dot = 0;
        for (int i = 0; i < N; i++) dot += a16[i] * b16[i];
        mix((uint32_t)dot);
        unsigned usum = 0;
        uint8_t umax = 0;
        for (int i = 0; i < N; i++) {
            uint8_t avg = (uint8_t)((u8[i] + v8[i] + 1) >> 1);
            uint8_t sat = u8[i] + v8[i] > 255 ? 255 : (uint8_t)(u8[i] + v8[i]);
            u8[i] = (uint8_t)(avg ^ sat);
            usum += u8[i];
            umax = u8[i] > umax ? u8[i] : umax;
        }
        mix(usum); mix(umax);
        for (int i = 0; i < N; i++) {
            int d = u8[i] - v8[i];
            v8[i] = (uint8_t)(d < 0 ? -d : d);
        }
        for (int i = 0; i < N; i++) mix(v8[i]);
        for (int i = 0; i < N; i++) a64[i] = a64[i] * 3 + (a64[i] >> 7) + a32[i];
        for (int i = 0; i < N; i++) mix((uint64_t)a64[i]);
        for (int i = 0; i < N; i++) fc[i] = fa[i] * fb[i] + fc[i] * 0.5f;
        float fs = 0;
        for (int i = 0; i < N; i++) fs += fc[i] * fa[i];
        mix(fbits(fs));
        for (int i = 0; i < N; i++) mix(fbits(fc[i]));
        for (int i = 0; i < N; i++) da[i] = da[i] * db[i] - da[i] / (db[i] + 3.0);
        double ds = 0;
        for (int i = 0; i < N; i++) ds += da[i];
        mix(dbits(ds));
        for (int i = 0; i < N; i++) c32[i] = (int32_t)fa[i] + (int32_t)(da[i] * 0.5);
        for (int i = 0; i < N; i++) mix((uint32_t)c32[i]);
        for (int i = 0; i < N; i++) fa[i] = (float)a32[i] * 0.25f + (float)da[i];
        for (int i = 0; i < N; i++) mix(fbits(fa[i]));
        for (int i = 0; i < N / 2; i++) {
            int32_t t = a32[2 * i];
            a32[2 * i] = a32[2 * i + 1];
            a32[2 * i + 1] = t;
        }
        for (int i = 0; i < N; i++) mix((uint32_t)a32[i]);
        printf("round %d %016llx\n", round, (unsigned long long)checksum);
    }
    return 0;
}
