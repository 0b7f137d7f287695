/* The demo shown by `npm start`: a banner, the primes below 1000 (sieve of
 * Eratosthenes), a Mandelbrot set in ASCII (double precision), and the
 * virtual time the guest saw. Runs at EL0 on the emulated AArch64 CPU. */
#include <stdio.h>
#include <string.h>
#include <time.h>

static void banner(void)
{
    puts("+--------------------------------------------------------------+");
    puts("|  ViperDOS Lab - a C program running on an emulated AArch64   |");
    puts("|  CPU (clang -O2, static, our own libc, Linux system calls)   |");
    puts("+--------------------------------------------------------------+");
}

static void primes(int limit)
{
    static unsigned char composite[1000];
    int count = 0;
    memset(composite, 0, sizeof composite);
    printf("\nPrimes below %d:\n", limit);
    for (int i = 2; i < limit; i++) {
        if (composite[i]) continue;
        printf("%4d%s", i, ++count % 16 == 0 ? "\n" : "");
        for (int j = i * i; j < limit; j += i) composite[j] = 1;
    }
    printf("\n(%d primes)\n", count);
}

static void mandelbrot(int w, int h)
{
    const char *shades = " .:-=+*#%@";
    printf("\nThe Mandelbrot set, %dx%d, up to 200 iterations:\n", w, h);
    for (int y = 0; y < h; y++) {
        char line[128];
        for (int x = 0; x < w; x++) {
            double cr = -2.2 + 3.0 * x / w, ci = -1.2 + 2.4 * y / h;
            double zr = 0, zi = 0;
            int n = 0;
            while (n < 200 && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                n++;
            }
            line[x] = n == 200 ? '@' : shades[n % 9];
        }
        line[w] = 0;
        puts(line);
    }
}

int main(void)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    banner();
    primes(1000);
    mandelbrot(72, 28);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
    /* The emulated core retires one instruction per virtual nanosecond. */
    printf("\nVirtual time: %ld.%03ld ms, so about %ld instructions retired.\n", ns / 1000000, ns / 1000 % 1000, ns);
    return 0;
}
