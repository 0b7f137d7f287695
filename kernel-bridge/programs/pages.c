/* pages [N] [MS]: grows the heap by N pages (default 100), writes each one
 * (N demand-zero faults, N resident heap pages), prints a line, then sleeps
 * MS milliseconds of virtual time (default 60000) and exits 0. A process of
 * known size for %pt (bench/jupyter.ts measures a %pt cell on it). */
#include <stdio.h>
#include <stdlib.h>
#include <viperdos/syscall.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atoi(argv[1]) : 100;
    long ms = argc > 2 ? atoi(argv[2]) : 60000;
    if (n < 0 || n > 65536) n = 100;
    vd_ret b = vd_sbrk(n * 4096);
    if (b.status != 0) {
        printf("pages: sbrk %ld pages failed (%lld)\n", n, (long long)b.status);
        return 1;
    }
    volatile char *heap = (volatile char *)b.r1;
    for (long i = 0; i < n; i++) heap[i * 4096] = (char)i;
    printf("pages: %ld heap pages resident\n", n);
    fflush(stdout);
    vd_sleep((u64)ms);
    return 0;
}
