/* Process start-up and the few globals every program has. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int errno;
char **environ;
/* The auxiliary vector (type, value pairs ending with type 0). */
unsigned long *__auxv;

int main(int argc, char **argv, char **envp);

/* Called by _start with the initial stack (argc, argv..., NULL, envp..., NULL, auxv). Does not return. */
_Noreturn void __libc_start(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **p = envp;
    while (*p) p++;
    environ = envp;
    __auxv = (unsigned long *)(p + 1);
    exit(main(argc, argv, envp));
}

/* Value of auxv entry `type`, or 0. */
unsigned long getauxval(unsigned long type)
{
    for (unsigned long *a = __auxv; a && a[0]; a += 2)
        if (a[0] == type) return a[1];
    return 0;
}

void __assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
