/* Dies by its first argument: "null" writes through NULL, "ro" writes to
 * its own code, "udf" runs a permanently undefined instruction, "unmap"
 * touches an unmapped mapping, "brk" runs BRK #7, "spin" loops forever,
 * "exit7" exits with status 7. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "null";
    printf("before %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "null")) *(volatile int *)0 = 1;
    if (!strcmp(how, "ro")) *(volatile int *)(void *)&main = 1;
    if (!strcmp(how, "udf")) __asm__ volatile(".inst 0x00000000");
    if (!strcmp(how, "unmap")) {
        char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        munmap(p, 8192);
        p[1] = 2;
    }
    if (!strcmp(how, "brk")) __asm__ volatile("brk #0x7");
    if (!strcmp(how, "spin")) for (;;) __asm__ volatile("");
    if (!strcmp(how, "exit7")) return 7;
    printf("survived\n");
    return 0;
}
