/* spin [MS]: busy-loops for MS milliseconds of virtual time (default 10000),
 * printing a dot every 100 ms; the notebook uses it to show long cells,
 * streaming output and interrupts. Exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <viperdos/syscall.h>

int main(int argc, char **argv)
{
    u64 ms = argc > 1 ? (u64)atoi(argv[1]) : 10000;
    u64 start = vd_time_now_ns().r1;
    u64 next = start + 100000000ull;
    printf("spin: %llu ms\n", (unsigned long long)ms);
    while (vd_time_now_ns().r1 < start + ms * 1000000ull) {
        if (vd_time_now_ns().r1 >= next) {
            putchar('.');
            fflush(stdout);
            next += 100000000ull;
        }
    }
    printf("\nspin: done\n");
    return 0;
}
