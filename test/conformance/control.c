/* Control flow: dense and sparse switches (jump tables), recursion, mutual
 * recursion, function pointers, computed goto, deep call chains. Exits with
 * status 42 so the harness compares a non-zero status too. */
#include "common.h"

static int dense(int k)
{
    switch (k) {
    case 0: return 11; case 1: return 27; case 2: return -3; case 3: return 90; case 4: return 5;
    case 5: return 66; case 6: return 1; case 7: return 1000; case 8: return -77; case 9: return 4;
    case 10: return 13; case 11: return 8; case 12: return 21; case 13: return 34; default: return -1;
    }
}

static int sparse(long k)
{
    switch (k) {
    case -100000: return 1; case 3: return 2; case 1000: return 3; case 65536: return 4;
    case 1L << 40: return 5; case -1: return 6; default: return 0;
    }
}

static char classify(unsigned char c)
{
    switch (c) {
    case 'a' ... 'z': return 'l';
    case 'A' ... 'Z': return 'u';
    case '0' ... '9': return 'd';
    case ' ': case '\t': case '\n': return 's';
    default: return 'o';
    }
}

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static long ack(long m, long n) { return m == 0 ? n + 1 : n == 0 ? ack(m - 1, 1) : ack(m - 1, ack(m, n - 1)); }
static int is_even(unsigned n);
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }

static long op_add(long a, long b) { return a + b; }
static long op_sub(long a, long b) { return a - b; }
static long op_mul(long a, long b) { return a * b; }
static long op_xor(long a, long b) { return a ^ b; }
static long (*const ops[])(long, long) = {op_add, op_sub, op_mul, op_xor};

static long interp(const unsigned char *code, long acc)
{
    static void *labels[] = {&&op_inc, &&op_dbl, &&op_neg, &&op_end};
    const unsigned char *pc = code;
    goto *labels[*pc++];
op_inc: acc += 1; goto *labels[*pc++];
op_dbl: acc *= 2; goto *labels[*pc++];
op_neg: acc = -acc; goto *labels[*pc++];
op_end: return acc;
}

int main(void)
{
    long sum = 0;
    for (int k = -2; k < 17; k++) sum = sum * 3 + dense(OPAQUE(k));
    printf("dense %ld\n", sum);
    static const long keys[] = {-100000, 3, 1000, 65536, 1L << 40, -1, 7, 0};
    sum = 0;
    for (int i = 0; i < 8; i++) sum = sum * 7 + sparse(OPAQUE(keys[i]));
    printf("sparse %ld\n", sum);
    char cls[64];
    const char *text = "Hello, World 42!\tok\n";
    int n = 0;
    for (const char *p = text; *p; p++) cls[n++] = classify((unsigned char)*p);
    cls[n] = 0;
    printf("classes %s\n", cls);
    printf("fib(24) = %ld, ack(2,3) = %ld, ack(3,4) = %ld\n", fib(OPAQUE(24)), ack(2, OPAQUE(3)), ack(3, OPAQUE(4)));
    printf("even(1001) = %d, odd(777) = %d\n", is_even(OPAQUE(1001u)), is_odd(OPAQUE(777u)));
    long acc = 1;
    for (int i = 0; i < 40; i++) acc = ops[OPAQUE(i) % 4](acc, i * 7 + 3);
    printf("ops %ld\n", acc);
    static const unsigned char prog[] = {0, 1, 1, 2, 0, 1, 0, 2, 3};
    printf("interp %ld\n", interp(prog, OPAQUE(5)));
    long loops = 0;
    for (int i = 0; i < 100; i++) {
        if (i % 7 == 3) continue;
        for (int j = i; j < 100; j += 13) {
            if (j == 77) break;
            loops += j ^ i;
        }
    }
    printf("loops %ld\n", loops);
    return 42;
}
