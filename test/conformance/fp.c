/* Floating point, printed as exact bit patterns: NaN/infinity/denormal
 * arithmetic, all four rounding modes (FPCR.RMode), conversions both ways
 * (with saturation and NaN -> 0), fused multiply-add, square root, min/max,
 * comparisons, and the cumulative exception flags in FPSR. */
#include "common.h"
#include <fenv.h>
#include <math.h>

static const uint64_t D[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff4000000000000ull, /* qNaN, sNaN */
    0xfff8000000000123ull, 0x0000000000000001ull, 0x000fffffffffffffull, 0x0010000000000000ull,
    0x7fefffffffffffffull, 0x3fb999999999999aull, 0x400921fb54442d18ull, 0xc1e0000000000000ull, /* -2^31 */
    0x43e0000000000000ull, 0x41dfffffffc00000ull, 0x3fe0000000000000ull, 0x3ff8000000000000ull, /* 2^63, 2^31-1 */
    0xc004000000000000ull, 0x4330000000000001ull, 0x3ca0000000000000ull,
};
#define ND (sizeof D / sizeof D[0])
static const uint32_t F[] = {
    0x00000000, 0x80000000, 0x3f800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00000,
    0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0x3dcccccd, 0xcf000000, 0x4f000000, 0x3f000000,
};
#define NF (sizeof F / sizeof F[0])

static void arith(const char *label)
{
    for (unsigned i = 0; i < ND; i++)
        for (unsigned k = 0; k < ND; k++) {
            double a = OPAQUE(bitsd(D[i])), b = bitsd(D[k]);
            mix(dbits(a + b)); mix(dbits(a - b)); mix(dbits(a * b)); mix(dbits(a / b));
            mix(dbits(__builtin_fma(a, b, bitsd(D[(i + k) % ND]))));
            mix(dbits(__builtin_fmin(a, b))); mix(dbits(__builtin_fmax(a, b)));
            mix((uint64_t)((a < b) | (a == b) << 1 | (a > b) << 2 | __builtin_isunordered(a, b) << 3 | (a <= b) << 4));
            mix(dbits(-a * b)); mix(dbits(a * b - bitsd(D[(i + 1) % ND])));
        }
    for (unsigned i = 0; i < NF; i++)
        for (unsigned k = 0; k < NF; k++) {
            float a = OPAQUE(bitsf(F[i])), b = bitsf(F[k]);
            mix(fbits(a + b)); mix(fbits(a - b)); mix(fbits(a * b)); mix(fbits(a / b));
            mix(fbits(__builtin_fmaf(a, b, bitsf(F[(i + k) % NF]))));
            mix(fbits(__builtin_fminf(a, b))); mix(fbits(__builtin_fmaxf(a, b)));
        }
    for (unsigned i = 0; i < ND; i++) {
        double a = OPAQUE(bitsd(D[i]));
        mix(dbits(__builtin_sqrt(a))); mix(dbits(__builtin_fabs(a))); mix(dbits(-a));
        mix(dbits(__builtin_floor(a))); mix(dbits(__builtin_ceil(a))); mix(dbits(__builtin_trunc(a)));
        mix(dbits(__builtin_round(a))); mix(dbits(__builtin_rint(a))); mix(dbits(__builtin_nearbyint(a)));
        mix(fbits((float)a)); mix(dbits((double)(float)a));
    }
    printf("%s %016llx\n", label, (unsigned long long)checksum);
}

static void conversions(void)
{
    for (unsigned i = 0; i < ND; i++) {
        double a = OPAQUE(bitsd(D[i]));
        int64_t s64; uint64_t u64; int32_t s32; uint32_t u32;
        /* FCVTZS/FCVTZU saturate and map NaN to 0 (C would call this UB). */
        __asm__("fcvtzs %0, %d1" : "=r"(s64) : "w"(a)); mix((uint64_t)s64);
        __asm__("fcvtzu %0, %d1" : "=r"(u64) : "w"(a)); mix(u64);
        __asm__("fcvtzs %w0, %d1" : "=r"(s32) : "w"(a)); mix((uint32_t)s32);
        __asm__("fcvtzu %w0, %d1" : "=r"(u32) : "w"(a)); mix(u32);
        __asm__("fcvtns %0, %d1" : "=r"(s64) : "w"(a)); mix((uint64_t)s64);
        __asm__("fcvtas %0, %d1" : "=r"(s64) : "w"(a)); mix((uint64_t)s64);
        __asm__("fcvtms %0, %d1" : "=r"(s64) : "w"(a)); mix((uint64_t)s64);
        __asm__("fcvtps %0, %d1" : "=r"(s64) : "w"(a)); mix((uint64_t)s64);
    }
    static const uint64_t I[] = {0, 1, 0xffffffffffffffffull, 0x8000000000000000ull, 0x7fffffffffffffffull,
                                 0x20000000000001ull, 0x20000000000003ull, 0x123456789abcdefull, 0xffffffff};
    for (unsigned i = 0; i < sizeof I / sizeof I[0]; i++) {
        uint64_t v = OPAQUE(I[i]);
        mix(dbits((double)v)); mix(dbits((double)(int64_t)v)); mix(fbits((float)v)); mix(fbits((float)(int64_t)v));
        mix(dbits((double)(uint32_t)v)); mix(dbits((double)(int32_t)v)); mix(fbits((float)(int32_t)v));
    }
    printf("conversions %016llx\n", (unsigned long long)checksum);
}

static void rounding_modes(void)
{
    static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    static const char *names[] = {"nearest", "upward", "downward", "towardzero"};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        double third = OPAQUE(1.0) / 3.0;
        float tf = OPAQUE(1.0f) / 3.0f;
        printf("%-10s 1/3=%016llx -1/3=%016llx f=%08x sqrt2=%016llx fma=%016llx conv=%08x rint(2.5)=%016llx rint(-0.5)=%016llx\n",
               names[m], (unsigned long long)dbits(third), (unsigned long long)dbits(-OPAQUE(1.0) / 3.0), fbits(tf),
               (unsigned long long)dbits(__builtin_sqrt(OPAQUE(2.0))),
               (unsigned long long)dbits(__builtin_fma(OPAQUE(0.1), 10.0, -1.0)), fbits((float)OPAQUE(third)),
               (unsigned long long)dbits(__builtin_rint(OPAQUE(2.5))), (unsigned long long)dbits(__builtin_rint(OPAQUE(-0.5))));
        arith(names[m]);
    }
    fesetround(FE_TONEAREST);
}

static void flags(void)
{
    static const struct { uint64_t a, b; char op; } cases[] = {
        {0x3ff0000000000000ull, 0, '/'}, {0, 0, '/'}, {0x7fefffffffffffffull, 0x4000000000000000ull, '*'},
        {0x0010000000000000ull, 0x3fe0000000000000ull, '*'}, {0x3ff0000000000000ull, 0x4008000000000000ull, '/'},
        {0x7ff4000000000000ull, 0x3ff0000000000000ull, '+'}, {0x3ff0000000000000ull, 0x3ff0000000000000ull, '+'},
        {0x7ff0000000000000ull, 0xfff0000000000000ull, '+'},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        feclearexcept(FE_ALL_EXCEPT);
        double a = OPAQUE(bitsd(cases[i].a)), b = OPAQUE(bitsd(cases[i].b)), r;
        r = cases[i].op == '/' ? a / b : cases[i].op == '*' ? a * b : a + b;
        r = OPAQUE(r);
        printf("flags %c %016llx fpsr=%02x\n", cases[i].op, (unsigned long long)dbits(r), fetestexcept(FE_ALL_EXCEPT));
    }
}

int main(void)
{
    arith("arith");
    conversions();
    rounding_modes();
    flags();
    printf("fp checksum %016llx\n", (unsigned long long)checksum);
    return 0;
}
