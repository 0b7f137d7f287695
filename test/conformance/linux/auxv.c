/* Prints the initial process state the kernel built: argc/argv, the stack
 * alignment, and the auxiliary vector entries whose values are defined by
 * the ELF file (compared against qemu-aarch64 and the file's own header). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern unsigned long *__auxv;
extern char **environ;
unsigned long getauxval(unsigned long type);
void _start(void);

struct phdr { uint32_t type, flags; uint64_t offset, vaddr, paddr, filesz, memsz, align; };

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("argv[argc]=%p\n", (void *)argv[argc]);
    uintptr_t sp = (uintptr_t)argv - 8;
    printf("sp%%16=%lu\n", (unsigned long)(sp % 16));
    int envc = 0;
    while (environ[envc]) envc++;
    printf("envc=%d envp-follows-argv=%d\n", envc, environ == argv + argc + 1);
    printf("auxv-follows-envp=%d\n", (void *)__auxv == (void *)(environ + envc + 1));
    printf("AT_PAGESZ=%lu\n", getauxval(6));
    printf("AT_PHENT=%lu\n", getauxval(4));
    printf("AT_PHNUM=%lu\n", getauxval(5));
    printf("AT_ENTRY=%#lx is_start=%d\n", getauxval(9), getauxval(9) == (unsigned long)&_start);
    printf("AT_PHDR=%#lx\n", getauxval(3));
    const struct phdr *ph = (const struct phdr *)getauxval(3);
    for (unsigned long i = 0; i < getauxval(5); i++)
        printf("phdr[%lu] type=%u flags=%u vaddr=%#lx memsz=%#lx\n", i, ph[i].type, ph[i].flags, (unsigned long)ph[i].vaddr,
               (unsigned long)ph[i].memsz);
    const unsigned char *rnd = (const unsigned char *)getauxval(25);
    unsigned sum = 0;
    for (int i = 0; i < 16; i++) sum += rnd[i];
    printf("AT_RANDOM readable=%d\n", rnd != 0 && sum < 16 * 256);
    printf("AT_HWCAP has FP+ASIMD=%d\n", (getauxval(16) & 3) == 3);
    printf("AT_EXECFN=%s\n", (const char *)getauxval(31));
    return 0;
}
