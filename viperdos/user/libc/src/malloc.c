/* The allocator: power-of-two size classes (16 B .. 64 KiB) with free lists,
 * carved from the brk heap in 256 KiB chunks; larger blocks get their own
 * anonymous mapping and are unmapped by free(). Every block is preceded by
 * a 16-byte header recording its class (or mapping size), so free() and
 * realloc() need no search. Not thread-safe (our programs have one thread). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HDR 16u
#define MIN_SHIFT 4u  /* 16-byte class */
#define MAX_SHIFT 16u /* 64 KiB class */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)
#define CHUNK (256u * 1024u)
#define MAPPED 0xffffu

struct header {
    size_t size;   /* usable bytes */
    unsigned cls;  /* size class index, or MAPPED */
    unsigned magic;
};
#define MAGIC 0x4d414c4cu

struct free_block { struct free_block *next; };
static struct free_block *free_lists[NCLASS];
static char *chunk_cur, *chunk_end;

static unsigned class_of(size_t n)
{
    unsigned c = 0;
    while (((size_t)1 << (c + MIN_SHIFT)) < n) c++;
    return c;
}

static void *carve(size_t total)
{
    if ((size_t)(chunk_end - chunk_cur) < total) {
        size_t want = total > CHUNK ? total : CHUNK;
        char *p = sbrk((long)want);
        if (p == (char *)-1) return NULL;
        if (p != chunk_end) chunk_cur = p; /* not contiguous: abandon the old tail */
        chunk_end = p + want;
    }
    void *r = chunk_cur;
    chunk_cur += total;
    return r;
}

void *malloc(size_t n)
{
    if (n == 0) n = 1;
    if (n > ((size_t)1 << 46)) return NULL;
    struct header *h;
    if (n > ((size_t)1 << MAX_SHIFT)) {
        size_t total = (n + HDR + 4095) & ~(size_t)4095;
        void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
        h = p;
        h->size = total - HDR;
        h->cls = MAPPED;
    } else {
        unsigned c = class_of(n);
        struct free_block *b = free_lists[c];
        if (b) {
            free_lists[c] = b->next;
            h = (struct header *)((char *)b - HDR);
        } else {
            h = carve(HDR + ((size_t)1 << (c + MIN_SHIFT)));
            if (!h) return NULL;
            h->size = (size_t)1 << (c + MIN_SHIFT);
            h->cls = c;
        }
    }
    h->magic = MAGIC;
    return (char *)h + HDR;
}

void free(void *p)
{
    if (!p) return;
    struct header *h = (struct header *)((char *)p - HDR);
    if (h->magic != MAGIC) abort(); /* double free or a pointer we never returned */
    h->magic = 0;
    if (h->cls == MAPPED) {
        munmap(h, h->size + HDR);
        return;
    }
    struct free_block *b = p;
    b->next = free_lists[h->cls];
    free_lists[h->cls] = b;
}

void *calloc(size_t count, size_t n)
{
    size_t total;
    if (__builtin_mul_overflow(count, n, &total)) return NULL;
    void *p = malloc(total);
    /* Fresh mappings are already zero; recycled blocks are not. */
    if (p) memset(p, 0, total);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p) return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    struct header *h = (struct header *)((char *)p - HDR);
    if (n <= h->size && (h->cls == MAPPED || h->cls == 0 || n > (h->size >> 1))) return p;
    void *q = malloc(n);
    if (!q) return NULL;
    memcpy(q, p, n < h->size ? n : h->size);
    free(p);
    return q;
}
