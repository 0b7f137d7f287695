/* Demand paging: malloc N MiB (default 64), touch one byte per page, sum. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 64;
    long n = mib << 20;
    unsigned char *p = malloc((size_t)n);
    if (!p) { puts("malloc failed"); return 1; }
    for (long i = 0; i < n; i += 4096) p[i] = (unsigned char)(i >> 12);
    unsigned long sum = 0;
    for (long i = 0; i < n; i += 4096) sum += p[i];
    unsigned char *q = malloc(1000);
    q[999] = 9;
    printf("touched %ld pages, sum %lu, small %d\n", n / 4096, sum, q[999]);
    free(p);
    free(q);
    return 0;
}
