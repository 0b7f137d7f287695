/* hello: greets and prints its arguments and working directory (from the
 * `PWD=<cwd>;` prefix vinit passes through GET_ARGS); exits 0. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *pwd = getenv("PWD");
    printf("Hello from ViperDOS! (cwd %s)\n", pwd ? pwd : "?");
    for (int i = 1; i < argc; i++) printf("  arg %d: %s\n", i, argv[i]);
    return 0;
}
