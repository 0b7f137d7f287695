/* Shared by the benchmark programs on C: (ipcbench, ctxbench, fiobench):
 * virtual time from TIME_NOW_NS, number formatting without floating point
 * in printf, and argument parsing with range checks. Every figure these
 * programs print is in virtual time (the emulated machine's clock), and says
 * so. */
#ifndef VIPERDOS_BENCHUTIL_H
#define VIPERDOS_BENCHUTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <viperdos/syscall.h>

/* Virtual nanoseconds since boot. */
static inline u64 bench_now_ns(void)
{
    return (u64)vd_time_now_ns().r1;
}

/* `v` thousandths printed as "<int>.<3 digits>" into buf. */
static inline const char *bench_milli(char *buf, usize len, u64 v)
{
    snprintf(buf, len, "%llu.%03llu", (unsigned long long)(v / 1000), (unsigned long long)(v % 1000));
    return buf;
}

/* argv[i] as a number in [lo, hi], or `def` when absent; -1 when malformed or out of range. */
static inline long bench_arg(int argc, char **argv, int i, long def, long lo, long hi)
{
    if (i >= argc) return def;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (end == argv[i] || *end || v < lo || v > hi) return -1;
    return v;
}

#endif
