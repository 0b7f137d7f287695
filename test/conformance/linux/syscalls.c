/* Raw system calls with good and bad arguments; prints each result so the
 * test can compare with Linux (qemu-aarch64 passes them to the host kernel). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static long sc(long nr, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = nr, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d, x4 __asm__("x4") = e, x5 __asm__("x5") = f;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}

#define SHOW(label, expr) printf("%-34s %ld\n", label, (long)(expr))

int main(void)
{
    char msg[] = "direct write\n";
    SHOW("write(1, msg, 13)", sc(64, 1, (long)msg, 13, 0, 0, 0));
    SHOW("write(1, NULL, 5)", sc(64, 1, 0, 5, 0, 0, 0));
    SHOW("write(1, 1<<52, 1)", sc(64, 1, 1L << 52, 1, 0, 0, 0));
    SHOW("write(1, msg, 0)", sc(64, 1, (long)msg, 0, 0, 0, 0));
    SHOW("write(77, msg, 1)", sc(64, 77, (long)msg, 1, 0, 0, 0));
    struct { const void *base; unsigned long len; } iov[3] = {{"wri", 3}, {"tev", 3}, {"\n", 1}};
    SHOW("writev(1, iov, 3)", sc(66, 1, (long)iov, 3, 0, 0, 0));
    iov[1].base = (const void *)16;
    SHOW("writev(1, bad iov_base)", sc(66, 1, (long)iov, 3, 0, 0, 0));
    SHOW("writev(1, NULL, 2)", sc(66, 1, 0, 2, 0, 0, 0));
    SHOW("read(0, NULL, 4)", sc(63, 0, 0, 4, 0, 0, 0));
    SHOW("read(0, ro text, 4)", sc(63, 0, (long)&main, 4, 0, 0, 0));
    SHOW("clock_gettime(1, NULL)", sc(113, 1, 0, 0, 0, 0, 0));
    long ts[2] = {-1, -1};
    SHOW("clock_gettime(1, &ts)", sc(113, 1, (long)ts, 0, 0, 0, 0));
    printf("%-34s %d\n", "ts valid", ts[0] >= 0 && ts[1] >= 0 && ts[1] < 1000000000);
    SHOW("clock_gettime(99, &ts)", sc(113, 99, (long)ts, 0, 0, 0, 0));
    unsigned char rnd[32];
    SHOW("getrandom(rnd, 32, 0)", sc(278, (long)rnd, 32, 0, 0, 0, 0));
    SHOW("getrandom(NULL, 8, 0)", sc(278, 0, 8, 0, 0, 0, 0));
    SHOW("no such syscall (4000)", sc(4000, 0, 0, 0, 0, 0, 0));
    long brk0 = sc(214, 0, 0, 0, 0, 0, 0);
    printf("%-34s %d\n", "brk(0) > 0", brk0 > 0);
    long brk1 = sc(214, brk0 + 100000, 0, 0, 0, 0, 0);
    printf("%-34s %ld\n", "brk grows by", brk1 - brk0);
    memset((char *)brk0, 0xab, 100000);
    printf("%-34s %d\n", "heap byte", ((unsigned char *)brk0)[99999]);
    SHOW("brk shrink returns arg", sc(214, brk0 + 10, 0, 0, 0, 0, 0) - brk0);
    long m = sc(222, 0, 1 << 20, 3, 0x22, -1, 0);
    printf("%-34s %d\n", "mmap anon ok", m > 0 && (m & 4095) == 0);
    ((char *)m)[12345] = 7;
    printf("%-34s %d %d\n", "mmap zero + written", ((char *)m)[0], ((char *)m)[12345]);
    SHOW("mprotect(m, 4096, R)", sc(226, m, 4096, 1, 0, 0, 0));
    printf("%-34s %d\n", "read after mprotect", ((char *)m)[100]);
    SHOW("mprotect(m+1, ...) misaligned", sc(226, m + 1, 4096, 1, 0, 0, 0));
    SHOW("munmap(m, 1 MiB)", sc(215, m, 1 << 20, 0, 0, 0, 0));
    SHOW("munmap(m+1, 1)", sc(215, m + 1, 1, 0, 0, 0, 0));
    SHOW("mmap len 0", sc(222, 0, 0, 3, 0x22, -1, 0));
    SHOW("mmap shared|private", sc(222, 0, 4096, 3, 0x23, -1, 0));
    SHOW("write(1, unmapped, 1)", sc(64, 1, m, 1, 0, 0, 0));
    return 0;
}
