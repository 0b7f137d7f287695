/* Integer arithmetic edge cases: shifts by the width and more, division by
 * zero and INT_MIN / -1, wrapping overflow, 128-bit products, bit counting,
 * byte reversal, overflow-checking builtins, extensions. */
#include "common.h"
#include <limits.h>

static const uint64_t V[] = {
    0, 1, 2, 3, 7, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    0x100000000ull, 0x123456789abcdef0ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0xfffffffffffffffeull, 0xffffffffffffffffull, 0xdeadbeefcafebabeull, 0x5555555555555555ull,
};
#define NV (sizeof V / sizeof V[0])

/* Shifts by register use the amount modulo the width (LSLV & co.). */
static uint64_t lslv(uint64_t a, uint64_t s) { uint64_t r; __asm__("lsl %0, %1, %2" : "=r"(r) : "r"(a), "r"(s)); return r; }
static uint64_t lsrv(uint64_t a, uint64_t s) { uint64_t r; __asm__("lsr %0, %1, %2" : "=r"(r) : "r"(a), "r"(s)); return r; }
static uint64_t asrv(uint64_t a, uint64_t s) { uint64_t r; __asm__("asr %0, %1, %2" : "=r"(r) : "r"(a), "r"(s)); return r; }
static uint64_t rorv(uint64_t a, uint64_t s) { uint64_t r; __asm__("ror %0, %1, %2" : "=r"(r) : "r"(a), "r"(s)); return r; }
static uint32_t lslv32(uint32_t a, uint32_t s) { uint32_t r; __asm__("lsl %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(s)); return r; }
static uint32_t asrv32(uint32_t a, uint32_t s) { uint32_t r; __asm__("asr %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(s)); return r; }
/* Division by zero gives 0 on AArch64; INT_MIN / -1 gives INT_MIN. */
static int64_t sdiv64(int64_t a, int64_t b) { int64_t r; __asm__("sdiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static uint64_t udiv64(uint64_t a, uint64_t b) { uint64_t r; __asm__("udiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static int32_t sdiv32(int32_t a, int32_t b) { int32_t r; __asm__("sdiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static uint32_t udiv32(uint32_t a, uint32_t b) { uint32_t r; __asm__("udiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b)); return r; }

static void shifts(void)
{
    static const uint64_t S[] = {0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 0xffffffffffffffffull};
    for (unsigned i = 0; i < NV; i++)
        for (unsigned k = 0; k < sizeof S / sizeof S[0]; k++) {
            uint64_t a = V[i], s = S[k];
            mix(lslv(a, s)); mix(lsrv(a, s)); mix(asrv(a, s)); mix(rorv(a, s));
            mix(lslv32((uint32_t)a, (uint32_t)s)); mix(asrv32((uint32_t)a, (uint32_t)s));
            /* C shifts with the amount reduced in range */
            unsigned sh = (unsigned)OPAQUE(s) & 63;
            mix(a << sh); mix(a >> sh); mix((uint64_t)((int64_t)a >> sh));
            mix((uint32_t)a << (sh & 31)); mix((uint64_t)((int32_t)a >> (sh & 31)));
        }
    printf("shifts %016llx\n", (unsigned long long)checksum);
}

static void division(void)
{
    for (unsigned i = 0; i < NV; i++)
        for (unsigned k = 0; k < NV; k++) {
            uint64_t a = V[i], b = V[k];
            mix(sdiv64((int64_t)a, (int64_t)b)); mix(udiv64(a, b));
            mix((uint32_t)sdiv32((int32_t)a, (int32_t)b)); mix(udiv32((uint32_t)a, (uint32_t)b));
            if (b) {
                uint64_t ob = OPAQUE(b);
                mix(a / ob); mix(a % ob);
                if (!((int64_t)a == LLONG_MIN && (int64_t)ob == -1)) { mix((uint64_t)((int64_t)a / (int64_t)ob)); mix((uint64_t)((int64_t)a % (int64_t)ob)); }
            }
        }
    printf("INT_MIN/-1 = %d, LLONG_MIN/-1 = %lld, 7/0 = %lld, -7/0 = %d\n", sdiv32(INT_MIN, -1),
           (long long)sdiv64(LLONG_MIN, -1), (long long)sdiv64(7, 0), sdiv32(-7, 0));
    printf("division %016llx\n", (unsigned long long)checksum);
}

static void wrap_and_wide(void)
{
    for (unsigned i = 0; i < NV; i++)
        for (unsigned k = 0; k < NV; k++) {
            uint64_t a = OPAQUE(V[i]), b = V[k];
            mix(a + b); mix(a - b); mix(a * b);
            mix((uint32_t)a + (uint32_t)b); mix((uint32_t)a * (uint32_t)b);
            unsigned __int128 p = (unsigned __int128)a * b;
            __int128 sp = (__int128)(int64_t)a * (int64_t)b;
            mix((uint64_t)p); mix((uint64_t)(p >> 64)); mix((uint64_t)(sp >> 64));
            mix((uint64_t)((int64_t)(int32_t)a * (int64_t)(int32_t)b)); /* SMULL */
            mix((uint64_t)(uint32_t)a * (uint32_t)b);                   /* UMULL */
            mix(a * b + V[(i + k) % NV]); mix(V[(i + k) % NV] - a * b);  /* MADD/MSUB */
            uint64_t r;
            mix(__builtin_add_overflow(a, b, &r)); mix(r);
            mix(__builtin_sub_overflow((int64_t)a, (int64_t)b, (int64_t *)&r)); mix(r);
            mix(__builtin_mul_overflow((int64_t)a, (int64_t)b, (int64_t *)&r)); mix(r);
            mix(__builtin_mul_overflow(a, b, &r)); mix(r);
            int32_t r32;
            mix(__builtin_add_overflow((int32_t)a, (int32_t)b, &r32)); mix((uint32_t)r32);
            unsigned __int128 s = ((unsigned __int128)a << 64 | b) + ((unsigned __int128)b << 64 | a);
            mix((uint64_t)s); mix((uint64_t)(s >> 64));
        }
    printf("wrap %016llx\n", (unsigned long long)checksum);
}

static void bits_ops(void)
{
    for (unsigned i = 0; i < NV; i++) {
        uint64_t a = OPAQUE(V[i]);
        uint32_t w = (uint32_t)a;
        mix((uint64_t)__builtin_popcountll(a)); mix((uint64_t)__builtin_popcount(w));
        mix(a ? (uint64_t)__builtin_clzll(a) : 64); mix(w ? (uint64_t)__builtin_clz(w) : 32);
        mix(a ? (uint64_t)__builtin_ctzll(a) : 64); mix((uint64_t)__builtin_clrsbll((long long)a));
        mix(__builtin_bswap64(a)); mix(__builtin_bswap32(w)); mix(__builtin_bswap16((uint16_t)w));
        mix(__builtin_bitreverse64(a)); mix(__builtin_bitreverse32(w));
        mix(a & ~V[(i + 3) % NV]); mix(a | ~V[(i + 5) % NV]); mix(a ^ ~V[(i + 7) % NV]);
        mix((a >> 13) | (a << 51)); mix((w >> 7) | (w << 25));
        mix((uint64_t)(int64_t)(int8_t)a); mix((uint64_t)(int64_t)(int16_t)a); mix((uint64_t)(int64_t)(int32_t)a);
        mix((a >> 5) & 0x3ff); mix((uint64_t)(((int64_t)a << 20) >> 44)); /* UBFX / SBFX */
        mix((a & ~0xff0ull) | ((V[(i + 1) % NV] & 0xff) << 4));      /* BFI */
        mix(a > V[(i + 1) % NV] ? a : V[(i + 2) % NV]);              /* CSEL */
        mix((int64_t)a < 0 ? -a : a + 1);                            /* CSNEG / CSINC */
        mix((uint64_t)((int64_t)a < (int64_t)V[(i + 4) % NV]));      /* CSET */
    }
    printf("bits %016llx\n", (unsigned long long)checksum);
}

/* CRC32/CRC32C instructions (mandatory from Armv8.1-A; AT_HWCAP_CRC32). */
static void crc(void)
{
#ifdef __ARM_FEATURE_CRC32
    uint32_t c = 0xffffffff, k = 0;
    for (unsigned i = 0; i < NV; i++) {
        uint64_t a = OPAQUE(V[i]);
        c = __builtin_arm_crc32b(c, (uint8_t)a); c = __builtin_arm_crc32h(c, (uint16_t)a);
        c = __builtin_arm_crc32w(c, (uint32_t)a); c = __builtin_arm_crc32d(c, a);
        k = __builtin_arm_crc32cb(k, (uint8_t)a); k = __builtin_arm_crc32ch(k, (uint16_t)a);
        k = __builtin_arm_crc32cw(k, (uint32_t)a); k = __builtin_arm_crc32cd(k, a);
    }
    printf("crc32 %08x crc32c %08x\n", c, k);
    mix(c); mix(k);
#endif
}

int main(void)
{
    crc();
    shifts();
    division();
    wrap_and_wide();
    bits_ops();
    printf("int_arith checksum %016llx\n", (unsigned long long)checksum);
    return 0;
}
