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

#ifdef __PIE__
/* Static-PIE self-relocation, as a real Linux kernel leaves it to the
 * program: apply the R_AARCH64_RELATIVE entries of our own dynamic section.
 * Only PC-relative references are allowed before this has run (hidden
 * symbols, no GOT). RELA entries carry their addends, so applying them
 * again is harmless when a loader (our run-elf) already did. */
struct dyn { long tag; unsigned long val; };
struct rela { unsigned long offset, info; long addend; };
extern const struct dyn _DYNAMIC[] __attribute__((visibility("hidden")));
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static void relocate_self(void)
{
    unsigned long base = (unsigned long)__ehdr_start; /* linked at 0 */
    const struct rela *rela = 0;
    unsigned long size = 0;
    for (const struct dyn *d = _DYNAMIC; d->tag != 0; d++) {
        if (d->tag == 7) rela = (const struct rela *)(base + d->val); /* DT_RELA */
        if (d->tag == 8) size = d->val;                               /* DT_RELASZ */
    }
    for (unsigned long i = 0; rela && i < size / sizeof *rela; i++)
        if ((rela[i].info & 0xffffffff) == 1027) /* R_AARCH64_RELATIVE */
            *(unsigned long *)(base + rela[i].offset) = base + (unsigned long)rela[i].addend;
}
#endif

/* Called by _start with the initial stack (argc, argv..., NULL, envp..., NULL, auxv). Does not return. */
_Noreturn void __libc_start(long *sp)
{
#ifdef __PIE__
    relocate_self();
#endif
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
