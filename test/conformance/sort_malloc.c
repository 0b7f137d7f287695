/* A qsort/malloc workload: random records sorted several ways, a growing
 * array via realloc, a linked list and a chained hash table with frees. */
#include "common.h"
#include <stdlib.h>

struct rec { uint32_t key; int32_t val; char name[12]; };

static int by_key(const void *x, const void *y)
{
    const struct rec *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key;
}
static int by_name(const void *x, const void *y) { return strcmp(((const struct rec *)x)->name, ((const struct rec *)y)->name); }
static int by_val_desc(const void *x, const void *y)
{
    const struct rec *a = x, *b = y;
    return (b->val > a->val) - (b->val < a->val);
}

struct node { struct node *next; uint64_t v; };

int main(void)
{
    uint64_t s = 0x243f6a8885a308d3ull;
    int n = 3000;
    struct rec *r = malloc(sizeof *r * (size_t)n);
    for (int i = 0; i < n; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        r[i].key = (uint32_t)s % 1000;
        r[i].val = (int32_t)(s >> 40) - 8000000;
        snprintf(r[i].name, sizeof r[i].name, "n%07u", (unsigned)(s >> 20) % 10000000u);
    }
    qsort(r, (size_t)n, sizeof *r, by_key);
    for (int i = 1; i < n; i++) if (r[i - 1].key > r[i].key) return 1;
    for (int i = 0; i < n; i += 37) mix(r[i].key);
    qsort(r, (size_t)n, sizeof *r, by_name);
    for (int i = 0; i < n; i += 41) mix((uint64_t)r[i].val);
    qsort(r, (size_t)n, sizeof *r, by_val_desc);
    for (int i = 0; i < n; i += 43) mix((uint64_t)r[i].val ^ r[i].key);
    printf("sorted %016llx first=%s last=%s\n", (unsigned long long)checksum, r[0].name, r[n - 1].name);
    free(r);

    uint32_t *grow = NULL;
    size_t len = 0, cap = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4;
            grow = realloc(grow, cap * sizeof *grow);
        }
        grow[len++] = i * 2654435761u;
    }
    uint64_t gs = 0;
    for (size_t i = 0; i < len; i += 7) gs += grow[i];
    free(grow);
    printf("realloc %llu cap=%zu\n", (unsigned long long)gs, cap);

    enum { BUCKETS = 257 };
    struct node *table[BUCKETS] = {0};
    for (int i = 0; i < 20000; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        struct node *nd = malloc(sizeof *nd);
        nd->v = s;
        nd->next = table[s % BUCKETS];
        table[s % BUCKETS] = nd;
    }
    uint64_t removed = 0, kept = 0;
    for (int b = 0; b < BUCKETS; b++) {
        struct node **pp = &table[b];
        while (*pp) {
            struct node *nd = *pp;
            if (nd->v & 1) { *pp = nd->next; removed++; free(nd); }
            else { kept += nd->v >> 48; pp = &nd->next; }
        }
    }
    char *blocks[64];
    for (int i = 0; i < 64; i++) { blocks[i] = calloc((size_t)i * 1000 + 1, 1); blocks[i][i * 999] = (char)i; }
    uint64_t bsum = 0;
    for (int i = 0; i < 64; i++) { for (int k = 0; k <= i * 1000; k += 500) bsum += (unsigned char)blocks[i][k]; free(blocks[i]); }
    printf("hash removed=%llu kept=%llu calloc=%llu\n", (unsigned long long)removed, (unsigned long long)kept, (unsigned long long)bsum);
    return 0;
}
