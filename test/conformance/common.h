/* Shared helpers for the conformance corpus: values the compiler cannot
 * see through (so operations happen at run time), and hex printing. */
#ifndef CONFORMANCE_COMMON_H
#define CONFORMANCE_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Launder a value through an empty asm so constant folding cannot happen. */
#define OPAQUE(v) ({ __auto_type _o = (v); __asm__ volatile("" : "+r"(_o)); _o; })

static inline uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static inline uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline double bitsd(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static inline float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* A running checksum printed at the end, so a mismatch anywhere shows. */
static uint64_t checksum = 0xcbf29ce484222325ull;
static inline void mix(uint64_t v)
{
    checksum ^= v;
    checksum *= 0x100000001b3ull;
}
#endif
