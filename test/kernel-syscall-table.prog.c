/* Test program for the ViperDOS target (test/kernel-syscall-table.test.ts):
 * prints its arguments and environment, then exercises a few typed
 * wrappers and libc paths (malloc -> SBRK, mmap -> MMAP, time ->
 * TIME_NOW_NS/RTC_READ) and exits with 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <viperdos/syscall.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("%s\n", environ[0] ? environ[0] : "PWD=(none)");

    vd_ret ch = vd_channel_create();
    vd_ret sent = vd_channel_send((u32)ch.r1, "hi", 2, 0, 0);
    printf("channel=%ld handles=%ld,%ld\n", sent.status, ch.r1, ch.r2);
    fflush(stdout);
    vd_debug_print("debug print\n");

    char *p = malloc(200000);
    if (p) {
        memset(p, 1, 200000);
        printf("heap ok\n");
    }
    char *m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
        m[8191] = 1;
        printf("mmap ok\n");
    }
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec == 1700000000 + 0 && time(0) >= 1700000000) printf("time ok\n");
    return 3;
}
