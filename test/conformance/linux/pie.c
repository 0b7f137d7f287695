/* A static-PIE program: its pointer table needs R_AARCH64_RELATIVE
 * relocations applied at load time. */
#include <stdio.h>

static const char *const words[] = {"alpha", "beta", "gamma"};
static const char *const *table = words;
static int (*const fn)(const char *, ...) = printf;

int main(void)
{
    for (int i = 0; i < 3; i++) fn("%s ", table[i]);
    fn("main=%d\n", (unsigned long)&main > 0x10000);
    return 0;
}
