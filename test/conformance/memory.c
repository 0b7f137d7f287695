/* Memory: memcpy/memmove overlap in both directions, unaligned accesses via
 * packed structs, sub-word loads with sign/zero extension, struct copies,
 * string functions, a variable-length array on the stack. */
#include "common.h"
#include <stdlib.h>

struct __attribute__((packed)) packed {
    uint8_t tag;
    uint64_t q;
    uint16_t h;
    uint32_t w;
    int16_t sh;
    double d;
};

struct big { uint64_t v[9]; char name[13]; };

static uint64_t sum_bytes(const unsigned char *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) s = s * 131 + p[i];
    return s;
}

static struct big make(int k)
{
    struct big b;
    for (int i = 0; i < 9; i++) b.v[i] = (uint64_t)k * 0x9e3779b97f4a7c15ull + (uint64_t)i;
    strcpy(b.name, "struct-copy");
    b.name[11] = (char)('a' + k % 26);
    return b;
}

int main(int argc, char **argv)
{
    (void)argv;
    unsigned char buf[300];
    for (int i = 0; i < 300; i++) buf[i] = (unsigned char)(i * 37 + 11);
    for (int shift = 1; shift < 20; shift += 3) {
        memmove(buf + shift, buf, 200);
        memmove(buf + 40, buf + 40 + shift, 150);
        memcpy(buf + 250, buf + shift, 40);
    }
    printf("memmove %016llx\n", (unsigned long long)sum_bytes(buf, 300));

    unsigned char raw[64];
    for (int off = 0; off < 8; off++) {
        for (int i = 0; i < 64; i++) raw[i] = (unsigned char)(0xf0 + i * 3);
        struct packed *p = (struct packed *)(raw + OPAQUE(off) + 1);
        p->q += 0x0101010101010101ull * (uint64_t)(off + 1);
        p->h ^= 0xa5a5;
        p->w = p->w * 3 + 1;
        p->sh = (int16_t)(p->sh - 1000);
        p->d = (double)p->w / 3.0;
        mix(p->q); mix(p->h); mix(p->w); mix((uint64_t)(int64_t)p->sh); mix(dbits(p->d));
        mix(sum_bytes(raw, 64));
    }
    printf("packed %016llx\n", (unsigned long long)checksum);

    int8_t sb[8] = {-1, -128, 127, 0, 5, -6, 100, -100};
    int16_t sh[4] = {-1, -32768, 32767, 1234};
    int32_t sw[2] = {-1, INT32_MIN};
    int64_t acc = 0;
    for (int i = 0; i < 8; i++) acc = acc * 3 + sb[OPAQUE(i)] + (uint8_t)sb[i];
    for (int i = 0; i < 4; i++) acc = acc * 5 + sh[OPAQUE(i)] + (uint16_t)sh[i];
    for (int i = 0; i < 2; i++) acc = acc * 7 + sw[OPAQUE(i)] + (int64_t)(uint32_t)sw[i];
    printf("extend %lld\n", (long long)acc);

    struct big a = make(OPAQUE(3)), b = make(OPAQUE(40));
    struct big c = argc > 5 ? a : b;
    a = c;
    printf("struct %s %016llx %016llx\n", a.name, (unsigned long long)a.v[8], (unsigned long long)b.v[0]);

    char s[128];
    strcpy(s, "The quick brown fox");
    strcat(s, " jumps over");
    strncat(s, " the lazy dog!!!", 14);
    printf("strings '%s' len=%zu cmp=%d,%d,%d chr=%s rchr=%s str=%s spn=%zu cspn=%zu\n", s, strlen(s),
           strcmp(s, "The quick") > 0, strcmp("abc", "abd") < 0, strncmp(s, "The quack", 6) == 0, strchr(s, 'q'),
           strrchr(s, 'o'), strstr(s, "lazy"), strspn(s, "ehT "), strcspn(s, "xyz"));
    char num[32];
    snprintf(num, sizeof num, "%d|%5s|%-4d|%x", -77, "ab", 9, 0xbeef);
    printf("snprintf %s %ld %lu\n", num, strtol("-12345xyz", NULL, 10), strtoul("ff", NULL, 16));

    int n = 17 + argc;
    uint32_t vla[n];
    for (int i = 0; i < n; i++) vla[i] = (uint32_t)(i * i * 2654435761u);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v * 17 + vla[i];
    printf("vla %016llx\n", (unsigned long long)v);

    unsigned char *h = malloc(1 << 20);
    memset(h, 0x5a, 1 << 20);
    for (int i = 0; i < (1 << 20); i += 4093) h[i] = (unsigned char)i;
    printf("heap %016llx\n", (unsigned long long)sum_bytes(h, 1 << 20));
    free(h);
    return 0;
}
