/* Linux AArch64 backend of the libc system interface (sys.h): SVC #0 with
 * the call number in X8, arguments in X0..X5, result or -errno in X0. */
#include "sys.h"

enum {
    NR_read = 63, NR_write = 64, NR_exit_group = 94, NR_clock_gettime = 113,
    NR_brk = 214, NR_munmap = 215, NR_mmap = 222, NR_mprotect = 226, NR_getrandom = 278,
};

static long syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}

long __sys_read(int fd, void *buf, size_t len) { return syscall6(NR_read, fd, (long)buf, (long)len, 0, 0, 0); }
long __sys_write(int fd, const void *buf, size_t len) { return syscall6(NR_write, fd, (long)buf, (long)len, 0, 0, 0); }

_Noreturn void __sys_exit(int status)
{
    for (;;) syscall6(NR_exit_group, status, 0, 0, 0, 0, 0);
}

long __sys_brk(void *addr) { return syscall6(NR_brk, (long)addr, 0, 0, 0, 0, 0); }

long __sys_mmap_anon(void *hint, size_t len, int prot)
{
    const long MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;
    return syscall6(NR_mmap, (long)hint, (long)len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

long __sys_munmap(void *addr, size_t len) { return syscall6(NR_munmap, (long)addr, (long)len, 0, 0, 0, 0); }
long __sys_mprotect(void *addr, size_t len, int prot) { return syscall6(NR_mprotect, (long)addr, (long)len, prot, 0, 0, 0); }
long __sys_clock_gettime(int clock, struct timespec *ts) { return syscall6(NR_clock_gettime, clock, (long)ts, 0, 0, 0, 0); }
long __sys_getrandom(void *buf, size_t len, unsigned flags) { return syscall6(NR_getrandom, (long)buf, (long)len, flags, 0, 0, 0); }
