/* The first ViperDOS program: prints its arguments and exits with 3. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("hello from ViperDOS, argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    return 3;
}
