/* fiobench [KiB [FILES]]: file I/O through the kernel's ViperFS, in virtual
 * time (TIME_NOW_NS):
 *   1. writes T:fiobench.dat sequentially in 4 KiB writes (KiB in total,
 *      default 1024), FSYNC, close: write MB/s (including the sync);
 *   2. reads it back sequentially and checks every byte: read MB/s;
 *   3. creates FILES small files (default 32) in T:fiobench.d/, each 100
 *      bytes written, FSYNCed and closed: creates/s; then deletes them.
 * Each line ends in "(virtual)". KiB is 4..4096, FILES 1..1000. Exits 0,
 * 10 on a bad argument, 20 when an I/O call fails or data read back differs.
 * The files are removed at the end.
 * What virtual time includes: guest instructions plus the kernel's cost model
 * (viperdos/kernel/arch/cost.ts: exceptions, syscalls, bytes copied). The
 * file system and the disk are host code with no cost entry of their own, so
 * these figures measure the syscall and copy path, not a disk's latency (an
 * FSYNC is as cheap as any call). */
#include <string.h>
#include "benchutil.h"

#define O_RDONLY 0
#define O_WRONLY 1
#define O_CREAT 0x40
#define O_TRUNC 0x200
#define CHUNK 4096

static char buf[CHUNK], back[CHUNK];

static int failed(const char *what, const char *path, long status)
{
    printf("fiobench: %s %s failed: %s (error %ld)\n", what, path, vd_error_message(status), status);
    return 20;
}

/* The byte at offset `at` of the test file (a pattern a short read or a misplaced block would break). */
static char pattern(u64 at)
{
    return (char)((at >> 12) * 31 + (at & 0xfff) * 7);
}

static void print_rate(const char *what, u64 bytes, u64 ns)
{
    char b[32];
    if (ns == 0) ns = 1;
    printf("fiobench: %-22s %s MB/s (virtual)\n", what, bench_milli(b, sizeof b, bytes * 1000000ull / ns));
}

static int sequential(long kib)
{
    const char *path = "T:fiobench.dat";
    u64 total = (u64)kib * 1024;
    u64 t0 = bench_now_ns();
    vd_ret o = vd_open(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (o.status != 0) return failed("open", path, o.status);
    int fd = (int)o.r1;
    for (u64 at = 0; at < total; at += CHUNK) {
        for (int i = 0; i < CHUNK; i++) buf[i] = pattern(at + (u64)i);
        vd_ret w = vd_write(fd, buf, CHUNK);
        if (w.status != 0 || w.r1 != CHUNK) { vd_close(fd); return failed("write", path, w.status ? w.status : VERR_IO); }
    }
    vd_ret s = vd_fsync(fd);
    vd_close(fd);
    if (s.status != 0) return failed("fsync", path, s.status);
    print_rate("sequential write", total, bench_now_ns() - t0);

    t0 = bench_now_ns();
    o = vd_open(path, O_RDONLY);
    if (o.status != 0) return failed("open", path, o.status);
    fd = (int)o.r1;
    u64 got = 0, bad = 0;
    for (;;) {
        vd_ret r = vd_read(fd, back, CHUNK);
        if (r.status != 0) { vd_close(fd); return failed("read", path, r.status); }
        if (r.r1 == 0) break;
        for (long i = 0; i < r.r1; i++) bad += back[i] != pattern(got + (u64)i);
        got += (u64)r.r1;
    }
    vd_close(fd);
    u64 ns = bench_now_ns() - t0;
    if (got != total || bad) {
        printf("fiobench: read back %llu of %llu bytes, %llu differ\n", (unsigned long long)got, (unsigned long long)total, (unsigned long long)bad);
        return 20;
    }
    print_rate("sequential read", total, ns);
    vd_unlink(path);
    return 0;
}

static int small_files(long files)
{
    const char *dir = "T:fiobench.d";
    vd_ret m = vd_mkdir(dir);
    if (m.status != 0 && m.status != VERR_EXISTS) return failed("mkdir", dir, m.status);
    memset(buf, 'f', 100);
    char path[64];
    int rc = 0;
    u64 t0 = bench_now_ns();
    long made = 0;
    for (; made < files; made++) {
        snprintf(path, sizeof path, "%s/f%04ld", dir, made);
        vd_ret o = vd_open(path, O_WRONLY | O_CREAT | O_TRUNC);
        if (o.status != 0) { rc = failed("create", path, o.status); break; }
        vd_ret w = vd_write((int)o.r1, buf, 100);
        vd_ret s = vd_fsync((int)o.r1);
        vd_close((int)o.r1);
        if (w.status != 0) { rc = failed("write", path, w.status); made++; break; }
        if (s.status != 0) { rc = failed("fsync", path, s.status); made++; break; }
    }
    u64 ns = bench_now_ns() - t0;
    if (ns == 0) ns = 1;
    if (rc == 0) {
        char b[32];
        printf("fiobench: %-22s %s files/s (virtual)\n", "create+write+fsync", bench_milli(b, sizeof b, (u64)files * 1000000000000ull / ns));
    }
    for (long i = 0; i < made; i++) {
        snprintf(path, sizeof path, "%s/f%04ld", dir, i);
        vd_unlink(path);
    }
    vd_rmdir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    long kib = bench_arg(argc, argv, 1, 1024, 4, 4096);
    long files = bench_arg(argc, argv, 2, 32, 1, 1000);
    if (kib < 0 || files < 0) {
        printf("fiobench: bad argument: usage fiobench [KiB (4..4096) [FILES (1..1000)]]\n");
        return 10;
    }
    printf("fiobench: %ld KiB sequential in 4 KiB calls, %ld small files, on T:\n", kib, files);
    int rc = sequential(kib);
    return rc ? rc : small_files(files);
}
