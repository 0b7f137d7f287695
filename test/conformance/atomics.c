/* __atomic builtins on 1, 2, 4, 8 and 16 bytes. At -march=armv8-a they
 * compile to LDXR/STXR loops, at armv8.1-a to LSE instructions (LDADD,
 * SWP, CAS, CASP...). Single-threaded: checks values, not races. */
#include "common.h"

#define EXERCISE(T, name)                                                                       \
    static void name(void)                                                                      \
    {                                                                                           \
        static T v;                                                                             \
        T old, expect;                                                                          \
        __atomic_store_n(&v, (T)0x7b, __ATOMIC_RELEASE);                                        \
        for (int i = 0; i < 20; i++) {                                                          \
            T k = (T)OPAQUE(i * 0x1234567 + 0x55);                                              \
            old = __atomic_fetch_add(&v, k, __ATOMIC_SEQ_CST); mix((uint64_t)old);              \
            old = __atomic_fetch_sub(&v, (T)(k >> 1), __ATOMIC_ACQ_REL); mix((uint64_t)old);    \
            old = __atomic_fetch_and(&v, (T)~(k << 2), __ATOMIC_ACQUIRE); mix((uint64_t)old);   \
            old = __atomic_fetch_or(&v, (T)(k * 3), __ATOMIC_RELAXED); mix((uint64_t)old);      \
            old = __atomic_fetch_xor(&v, (T)(k + 9), __ATOMIC_RELEASE); mix((uint64_t)old);     \
            old = __atomic_exchange_n(&v, (T)(old * 5 + 1), __ATOMIC_SEQ_CST); mix((uint64_t)old); \
            mix((uint64_t)__atomic_add_fetch(&v, (T)7, __ATOMIC_SEQ_CST));                     \
            expect = (T)(i & 1 ? __atomic_load_n(&v, __ATOMIC_ACQUIRE) : k);                    \
            mix((uint64_t)__atomic_compare_exchange_n(&v, &expect, (T)(k ^ 0x3c), 0,           \
                                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));   \
            mix((uint64_t)expect);                                                              \
            expect = __atomic_load_n(&v, __ATOMIC_RELAXED);                                     \
            while (!__atomic_compare_exchange_n(&v, &expect, (T)(expect + 1), 1,               \
                                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {}         \
            mix((uint64_t)__atomic_load_n(&v, __ATOMIC_SEQ_CST));                              \
        }                                                                                       \
        printf(#name " %016llx\n", (unsigned long long)checksum);                              \
    }

EXERCISE(uint8_t, atomic8)
EXERCISE(uint16_t, atomic16)
EXERCISE(uint32_t, atomic32)
EXERCISE(uint64_t, atomic64)

static void atomic128(void)
{
    static __int128 v;
    __int128 expect = 0, want = ((__int128)0x0123456789abcdefll << 64) | 0xfedcba9876543210ull;
    mix(__atomic_compare_exchange_n(&v, &expect, want, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    expect = 5;
    mix(__atomic_compare_exchange_n(&v, &expect, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    mix((uint64_t)expect); mix((uint64_t)(expect >> 64));
    __int128 got = __atomic_load_n(&v, __ATOMIC_SEQ_CST);
    mix((uint64_t)got); mix((uint64_t)(got >> 64));
    printf("atomic128 %016llx\n", (unsigned long long)checksum);
}

int main(void)
{
    atomic8();
    atomic16();
    atomic32();
    atomic64();
    atomic128();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int flag = 0;
    mix((uint64_t)__atomic_test_and_set(&flag, __ATOMIC_SEQ_CST));
    mix((uint64_t)__atomic_test_and_set(&flag, __ATOMIC_SEQ_CST));
    printf("atomics checksum %016llx\n", (unsigned long long)checksum);
    return 0;
}
