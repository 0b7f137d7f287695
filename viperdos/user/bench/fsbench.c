/* File-system benchmarks, run as process 1 by bench/storage.ts on a 1-CPU
 * machine with sys.img and user.img. argv[1] picks the benchmark, argv[2]
 * the count. Each prints "fsbench <name> n=<N> bytes=<B> virtual_ns=<T>",
 * T the TIME_NOW_NS delta around the measured loop only, and exits 0; a
 * failed call prints "fsbench <name> error=<status>" and exits 1. The host
 * measures wall time around whole runs and reports slopes between counts.
 *
 *   cached N  : D1:t/b4k (4 KiB, written and read once first, so its block
 *               is in the block cache); N times LSEEK 0 + READ 4 KiB.
 *   cold N    : READ the first N 4 KiB blocks of D1:t/cold.bin (put there by
 *               the host: never read before, so every READ misses and waits
 *               for the disk's interrupt).
 *   seqread N : READ N 64 KiB chunks of D1:t/cold.bin in order (cold).
 *   seqwrite N: WRITE N 64 KiB chunks to a new file, then FSYNC.
 *   create N  : N times OPEN(O_CREAT) a new file, WRITE 100 bytes, FSYNC, CLOSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/syscall.h>

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0x40
#define O_TRUNC 0x200

static char buf[65536];

static int report(const char *name, long n, long bytes, u64 ns)
{
    printf("fsbench %s n=%ld bytes=%ld virtual_ns=%llu\n", name, n, bytes, (unsigned long long)ns);
    return 0;
}

static int fail(const char *name, long status)
{
    printf("fsbench %s error=%ld\n", name, status);
    return 1;
}

static int bench_cached(long n)
{
    vd_ret o = vd_open("D1:t/b4k", O_RDWR | O_CREAT | O_TRUNC);
    if (o.status != 0) return fail("cached", o.status);
    int fd = (int)o.r1;
    memset(buf, 'c', 4096);
    vd_ret w = vd_write(fd, buf, 4096);
    if (w.status != 0 || w.r1 != 4096) return fail("cached", w.status ? w.status : -1);
    vd_lseek(fd, 0, 0);
    vd_read(fd, buf, 4096); /* warm */
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) {
        vd_lseek(fd, 0, 0);
        vd_ret r = vd_read(fd, buf, 4096);
        if (r.status != 0 || r.r1 != 4096) return fail("cached", r.status ? r.status : -1);
    }
    u64 t = vd_time_now_ns().r1 - t0;
    vd_close(fd);
    return report("cached", n, n * 4096, t);
}

static int bench_read(const char *name, long n, long chunk)
{
    vd_ret o = vd_open("D1:t/cold.bin", O_RDONLY);
    if (o.status != 0) return fail(name, o.status);
    int fd = (int)o.r1;
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) {
        vd_ret r = vd_read(fd, buf, (usize)chunk);
        if (r.status != 0 || r.r1 != (u64)chunk) return fail(name, r.status ? r.status : -1);
    }
    u64 t = vd_time_now_ns().r1 - t0;
    vd_close(fd);
    return report(name, n, n * chunk, t);
}

static int bench_seqwrite(long n)
{
    vd_ret o = vd_open("D1:t/seq.bin", O_WRONLY | O_CREAT | O_TRUNC);
    if (o.status != 0) return fail("seqwrite", o.status);
    int fd = (int)o.r1;
    memset(buf, 'w', sizeof buf);
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) {
        vd_ret w = vd_write(fd, buf, sizeof buf);
        if (w.status != 0 || w.r1 != sizeof buf) return fail("seqwrite", w.status ? w.status : -1);
    }
    vd_ret s = vd_fsync(fd);
    if (s.status != 0) return fail("seqwrite", s.status);
    u64 t = vd_time_now_ns().r1 - t0;
    vd_close(fd);
    return report("seqwrite", n, n * (long)sizeof buf, t);
}

static int bench_create(long n)
{
    char name[32];
    memset(buf, 'f', 100);
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "D1:t/f%ld", i);
        vd_ret o = vd_open(name, O_WRONLY | O_CREAT);
        if (o.status != 0) return fail("create", o.status);
        vd_ret w = vd_write((int)o.r1, buf, 100);
        if (w.status != 0) return fail("create", w.status);
        vd_ret s = vd_fsync((int)o.r1);
        if (s.status != 0) return fail("create", s.status);
        vd_close((int)o.r1);
    }
    u64 t = vd_time_now_ns().r1 - t0;
    return report("create", n, n * 100, t);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "cached";
    long n = argc > 2 ? atol(argv[2]) : 100;
    if (strcmp(mode, "cached") == 0) return bench_cached(n);
    if (strcmp(mode, "cold") == 0) return bench_read("cold", n, 4096);
    if (strcmp(mode, "seqread") == 0) return bench_read("seqread", n, 65536);
    if (strcmp(mode, "seqwrite") == 0) return bench_seqwrite(n);
    if (strcmp(mode, "create") == 0) return bench_create(n);
    return fail(mode, -2);
}
