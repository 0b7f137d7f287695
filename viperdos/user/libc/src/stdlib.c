/* <stdlib.h> except the allocator (malloc.c): number parsing, sorting,
 * process exit, environment, a deterministic rand(). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../sys/sys.h"

int abs(int v) { return v < 0 ? -v : v; }
long labs(long v) { return v < 0 ? -v : v; }
long long llabs(long long v) { return v < 0 ? -v : v; }

/* Parse an unsigned magnitude; *neg gets the sign, *overflow is set past ULLONG_MAX. */
static unsigned long long parse(const char *s, char **end, int base, int *neg, int *overflow)
{
    const char *p = s;
    unsigned long long v = 0;
    int any = 0;
    *neg = 0;
    *overflow = 0;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '+' || *p == '-') *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        errno = EINVAL;
        if (end) *end = (char *)s;
        return 0;
    }
    for (;; p++) {
        int d;
        if (isdigit((unsigned char)*p)) d = *p - '0';
        else if (isalpha((unsigned char)*p)) d = tolower((unsigned char)*p) - 'a' + 10;
        else break;
        if (d >= base) break;
        any = 1;
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base) *overflow = 1;
        v = v * (unsigned)base + (unsigned)d;
    }
    if (end) *end = (char *)(any ? p : s);
    return v;
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
    int neg, ovf;
    unsigned long long v = parse(s, end, base, &neg, &ovf);
    if (ovf || v > (neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX)) {
        errno = ERANGE;
        return neg ? LLONG_MIN : LLONG_MAX;
    }
    return neg ? (long long)(0 - v) : (long long)v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
    int neg, ovf;
    unsigned long long v = parse(s, end, base, &neg, &ovf);
    if (ovf) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    return neg ? 0 - v : v;
}

long strtol(const char *restrict s, char **restrict end, int base) { return strtoll(s, end, base); }
unsigned long strtoul(const char *restrict s, char **restrict end, int base) { return strtoull(s, end, base); }
int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }
long long atoll(const char *s) { return strtoll(s, NULL, 10); }

/* --- qsort: median-of-three quicksort, insertion sort below 8 elements,
 * recursing into the smaller side so the stack stays O(log n). */

static void swap(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

typedef int (*cmp_fn)(const void *, const void *);

static void sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
    while (n > 7) {
        char *lo = base, *mid = base + (n / 2) * size, *hi = base + (n - 1) * size;
        if (cmp(mid, lo) < 0) swap(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap(hi, mid, size);
            if (cmp(mid, lo) < 0) swap(mid, lo, size);
        }
        swap(mid, lo, size); /* pivot at base */
        size_t i = 1, j = n - 1;
        for (;;) {
            while (i <= j && cmp(base + i * size, base) < 0) i++;
            while (j >= i && cmp(base + j * size, base) > 0) j--;
            if (i >= j) break;
            swap(base + i * size, base + j * size, size);
            i++;
            j--;
        }
        swap(base, base + j * size, size);
        size_t left = j, right = n - j - 1;
        if (left < right) {
            sort(base, left, size, cmp);
            base += (j + 1) * size;
            n = right;
        } else {
            sort(base + (j + 1) * size, right, size, cmp);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && cmp(base + (k - 1) * size, base + k * size) > 0; k--)
            swap(base + (k - 1) * size, base + k * size, size);
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (size) sort(base, n, size, cmp);
}

void *bsearch(const void *key, const void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    const char *b = base;
    while (n > 0) {
        const char *mid = b + (n / 2) * size;
        int c = cmp(key, mid);
        if (c == 0) return (void *)mid;
        if (c > 0) {
            b = mid + size;
            n = n - n / 2 - 1;
        } else {
            n /= 2;
        }
    }
    return NULL;
}

char *getenv(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

static unsigned long rand_state = 1;
void srand(unsigned seed) { rand_state = seed; }
int rand(void)
{
    rand_state = rand_state * 6364136223846793005ul + 1442695040888963407ul;
    return (int)(rand_state >> 33);
}

/* --- exit ------------------------------------------------------------------ */

#define ATEXIT_MAX 32
static void (*atexit_fns[ATEXIT_MAX])(void);
static int atexit_count;

int atexit(void (*fn)(void))
{
    if (atexit_count == ATEXIT_MAX) return -1;
    atexit_fns[atexit_count++] = fn;
    return 0;
}

_Noreturn void exit(int status)
{
    while (atexit_count > 0) atexit_fns[--atexit_count]();
    fflush(stdout);
    fflush(stderr);
    __sys_exit(status);
}

_Noreturn void _Exit(int status) { __sys_exit(status); }

/* No signals here: report and exit with 128 + SIGABRT as a shell would show it. */
_Noreturn void abort(void)
{
    fflush(stdout);
    __sys_write(2, "abort()\n", 8);
    __sys_exit(134);
}
