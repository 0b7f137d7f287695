/* POSIX-style wrappers over the system interface (sys/sys.h): -errno
 * results become -1 with errno set. */
#include <errno.h>
#include <fenv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "../sys/sys.h"

static long check(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

ssize_t read(int fd, void *buf, size_t n) { return check(__sys_read(fd, buf, n)); }
ssize_t write(int fd, const void *buf, size_t n) { return check(__sys_write(fd, buf, n)); }
_Noreturn void _exit(int status) { __sys_exit(status); }

static char *cur_brk;

int brk(void *addr)
{
    char *r = (char *)__sys_brk(addr);
    cur_brk = r;
    if (r != addr) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void *sbrk(long increment)
{
    if (!cur_brk) cur_brk = (char *)__sys_brk(0);
    char *old = cur_brk;
    if (increment == 0) return old;
    if (brk(old + increment) < 0) return (void *)-1;
    return old;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    if (!(flags & MAP_ANONYMOUS) || !(flags & MAP_PRIVATE) || fd != -1 || off != 0) {
        errno = ENOSYS;
        return MAP_FAILED;
    }
    long r = check(__sys_mmap_anon(addr, len, prot));
    return r == -1 ? MAP_FAILED : (void *)r;
}

int munmap(void *addr, size_t len) { return (int)check(__sys_munmap(addr, len)); }
int mprotect(void *addr, size_t len, int prot) { return (int)check(__sys_mprotect(addr, len, prot)); }
ssize_t getrandom(void *buf, size_t len, unsigned flags) { return check(__sys_getrandom(buf, len, flags)); }
int clock_gettime(clockid_t clock, struct timespec *ts) { return (int)check(__sys_clock_gettime(clock, ts)); }

time_t time(time_t *t)
{
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t) *t = ts.tv_sec;
    return ts.tv_sec;
}

clock_t clock(void)
{
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * CLOCKS_PER_SEC + ts.tv_nsec / 1000;
}

/* <fenv.h>: FPCR.RMode is bits 23:22, FPSR cumulative flags bits 4:0. */
int fegetround(void)
{
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return (int)(fpcr & 0xc00000);
}

int fesetround(int mode)
{
    if (mode & ~0xc00000) return -1;
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = (fpcr & ~0xc00000ul) | (unsigned)mode;
    __asm__ volatile("msr fpcr, %0" ::"r"(fpcr));
    return 0;
}

int fetestexcept(int excepts)
{
    unsigned long fpsr;
    __asm__ volatile("mrs %0, fpsr" : "=r"(fpsr));
    return (int)fpsr & excepts & FE_ALL_EXCEPT;
}

int feclearexcept(int excepts)
{
    unsigned long fpsr;
    __asm__ volatile("mrs %0, fpsr" : "=r"(fpsr));
    fpsr &= ~(unsigned long)(excepts & FE_ALL_EXCEPT);
    __asm__ volatile("msr fpsr, %0" ::"r"(fpsr));
    return 0;
}
