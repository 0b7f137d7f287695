/* The operating-system interface of our libc: every system service the C
 * library uses goes through these functions, so a ViperDOS backend can
 * replace the Linux one (sys/linux.c) without touching the rest.
 * Each returns a non-negative result or -errno. */
#ifndef VIPER_LIBC_SYS_H
#define VIPER_LIBC_SYS_H

#include <stddef.h>

struct timespec;

long __sys_read(int fd, void *buf, size_t len);
long __sys_write(int fd, const void *buf, size_t len);
_Noreturn void __sys_exit(int status);
/* Set the program break; returns the new break (or the old one on failure). */
long __sys_brk(void *addr);
/* Anonymous private mapping of len bytes; returns the address or -errno. */
long __sys_mmap_anon(void *hint, size_t len, int prot);
long __sys_munmap(void *addr, size_t len);
long __sys_mprotect(void *addr, size_t len, int prot);
long __sys_clock_gettime(int clock, struct timespec *ts);
long __sys_getrandom(void *buf, size_t len, unsigned flags);

#endif
