/* Integer benchmark: a sieve, a table-driven CRC-32, an integer matrix
 * multiply and a quicksort, each scaled by the size argument (default 5,
 * about 220 M instructions). Deterministic: prints one checksum per kernel
 * and their combination, the same on every run and every correct CPU. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t sieve(int limit, int rounds)
{
    unsigned char *composite = malloc((size_t)limit);
    uint32_t count = 0;
    for (int r = 0; r < rounds; r++) {
        memset(composite, 0, (size_t)limit);
        count = 0;
        for (int i = 2; i < limit; i++) {
            if (composite[i]) continue;
            count++;
            for (long j = (long)i * i; j < limit; j += i) composite[j] = 1;
        }
    }
    free(composite);
    return count;
}

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32(const unsigned char *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t crc_kernel(int rounds)
{
    enum { N = 64 * 1024 };
    unsigned char *buf = malloc(N);
    uint32_t x = 12345, crc = 0;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (int r = 0; r < rounds; r++) crc = crc32(buf, N, crc);
    free(buf);
    return crc;
}

static uint32_t matmul(int n, int rounds)
{
    int32_t *a = malloc(sizeof(int32_t) * n * n), *b = malloc(sizeof(int32_t) * n * n), *c = malloc(sizeof(int32_t) * n * n);
    for (int i = 0; i < n * n; i++) {
        a[i] = (i * 7 + 3) % 101 - 50;
        b[i] = (i * 13 + 5) % 97 - 48;
    }
    uint32_t sum = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                int32_t s = 0;
                for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
                c[i * n + j] = s;
            }
        for (int i = 0; i < n * n; i++) sum = sum * 31 + (uint32_t)c[i];
        a[r % (n * n)] += 1;
    }
    free(a);
    free(b);
    free(c);
    return sum;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

static uint32_t sort_kernel(int n, int rounds)
{
    uint32_t *v = malloc(sizeof(uint32_t) * (size_t)n);
    uint64_t s = 88172645463325252ull;
    uint32_t sum = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v[i] = (uint32_t)s;
        }
        qsort(v, (size_t)n, sizeof v[0], cmp_u32);
        for (int i = 0; i < n; i += 97) sum = sum * 33 + v[i];
    }
    free(v);
    return sum;
}

int main(int argc, char **argv)
{
    int size = argc > 1 ? atoi(argv[1]) : 5;
    if (size < 1) size = 1;
    crc_init();
    uint32_t s1 = sieve(1000000, size);
    uint32_t s2 = crc_kernel(4 * size);
    uint32_t s3 = matmul(96, size);
    uint32_t s4 = sort_kernel(20000, size);
    printf("int_mix size=%d sieve=%u crc=%08x matmul=%08x sort=%08x\n", size, s1, s2, s3, s4);
    printf("checksum %08x\n", s1 ^ s2 ^ s3 ^ s4);
    return 0;
}
