/* ViperDOS backend of the libc system interface (sys.h), and the ViperDOS
 * process start-up (__viperdos_start, called by crt/crt0-viperdos.S).
 *
 * Calls go through the typed wrappers of <viperdos/syscall.h> (svc #0, number
 * in x8, status in x0, results in x1..x3). ViperDOS status codes are turned
 * into the -errno values sys.h promises (vd_errno below).
 *
 * Choices, from upstream's published behaviour:
 * - Console I/O is WRITE/READ on fds 0..2 (upstream's libc does the same;
 *   the kernel sends fd 1/2 to the console and blocks READ on fd 0 until at
 *   least one byte is there), so redirected descriptors also work.
 * - brk is built on SBRK(increment), which returns the previous break.
 * - CLOCK_REALTIME is the RTC's seconds anchored once to the nanosecond
 *   monotonic clock (TIME_NOW_NS), so it has nanosecond steps and never runs
 *   backwards; CLOCK_PROCESS_CPUTIME_ID has no ViperDOS call and reads the
 *   monotonic clock.
 * - Arguments come from GET_ARGS as `PWD=<cwd>;<args>` (the prefix is
 *   optional). The args are split at blanks, "double quotes" group words;
 *   argv[0] is "program" (the string carries no program name, as upstream);
 *   the PWD part becomes the environment (envp[0] = "PWD=<cwd>"). */
#include <errno.h>
#include <time.h>
#include <viperdos/syscall.h>
#include "sys.h"

/* ---- errors ----------------------------------------------------------- */

/* The errno value for a ViperDOS status (< 0), as a negative number. */
static long vd_errno(long status)
{
    switch (status) {
    case VERR_INVALID_ARG: return -EINVAL;
    case VERR_NO_MEMORY: return -ENOMEM;
    case VERR_NOT_FOUND: return -ENOENT;
    case VERR_EXISTS: return -EEXIST;
    case VERR_PERMISSION: return -EPERM;
    case VERR_NOT_SUPPORTED: return -ENOSYS;
    case VERR_INVALID_HANDLE:
    case VERR_HANDLE_CLOSED:
    case VERR_WRONG_TYPE: return -EBADF;
    case VERR_WOULD_BLOCK: return -EAGAIN;
    case VERR_BAD_ADDRESS: return -EFAULT;
    case VERR_NO_RESOURCE: return -ENOMEM;
    default: return -EIO;
    }
}

/* x1 on success, else -errno. */
static long result1(vd_ret r) { return r.status < 0 ? vd_errno(r.status) : r.r1; }

/* ---- the system interface of sys.h ------------------------------------ */

long __sys_read(int fd, void *buf, size_t len) { return result1(vd_read(fd, buf, len)); }
long __sys_write(int fd, const void *buf, size_t len) { return result1(vd_write(fd, buf, len)); }

_Noreturn void __sys_exit(int status)
{
    for (;;) vd_task_exit(status);
}

/* Linux brk semantics over SBRK: returns the new break, or the current one
 * when the move fails (addr 0 just asks for the current break). */
long __sys_brk(void *addr)
{
    vd_ret cur = vd_sbrk(0);
    if (cur.status < 0) return 0;
    if (!addr) return cur.r1;
    vd_ret moved = vd_sbrk((i64)((long)addr - cur.r1));
    return moved.status < 0 ? cur.r1 : (long)addr;
}

long __sys_mmap_anon(void *hint, size_t len, int prot)
{
    const u32 MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;
    return result1(vd_mmap(hint, len, (u32)prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}

long __sys_munmap(void *addr, size_t len)
{
    vd_ret r = vd_munmap(addr, len);
    return r.status < 0 ? vd_errno(r.status) : 0;
}
long __sys_mprotect(void *addr, size_t len, int prot)
{
    vd_ret r = vd_mprotect(addr, len, (u32)prot);
    return r.status < 0 ? vd_errno(r.status) : 0;
}

long __sys_clock_gettime(int clock, struct timespec *ts)
{
    static long rtc_anchor_s = -1; /* RTC seconds at the anchor */
    static u64 mono_anchor_ns;     /* monotonic clock at the anchor */
    if (!ts) return -EFAULT;
    vd_ret now = vd_time_now_ns();
    if (now.status < 0) return vd_errno(now.status);
    u64 ns = (u64)now.r1;
    if (clock == CLOCK_REALTIME) {
        if (rtc_anchor_s < 0) {
            vd_ret rtc = vd_rtc_read();
            if (rtc.status < 0) return vd_errno(rtc.status);
            rtc_anchor_s = rtc.r1;
            mono_anchor_ns = ns;
        }
        u64 since = ns - mono_anchor_ns;
        ts->tv_sec = rtc_anchor_s + (long)(since / 1000000000u);
        ts->tv_nsec = (long)(since % 1000000000u);
        return 0;
    }
    if (clock == CLOCK_MONOTONIC || clock == CLOCK_PROCESS_CPUTIME_ID) {
        ts->tv_sec = (long)(ns / 1000000000u);
        ts->tv_nsec = (long)(ns % 1000000000u);
        return 0;
    }
    return -EINVAL;
}

long __sys_getrandom(void *buf, size_t len, unsigned flags)
{
    (void)flags; /* virtio-rng never blocks once the kernel is up */
    return result1(vd_getrandom(buf, len));
}

/* ---- process start-up -------------------------------------------------- */

enum { MAX_ARGS = 64, ARGS_BUF = 1024 };

static char args_buf[ARGS_BUF];
static char progname[] = "program";
/* A Linux-style initial stack for __libc_start (libc/src/start.c):
 * argc, argv[0..argc-1], NULL, envp..., NULL, auxv AT_NULL pair. */
static long frame[1 + MAX_ARGS + 1 + 2 + 2];

_Noreturn void __libc_start(long *sp);

/* The argument string, NUL-terminated: args_buf, or a heap copy when longer. */
static char *fetch_args(void)
{
    vd_ret r = vd_get_args(args_buf, sizeof args_buf);
    if (r.status < 0) return 0;
    if ((usize)r.r1 < sizeof args_buf) return args_buf;
    vd_ret old = vd_sbrk((i64)((r.r1 + 16) & ~15L)); /* longer than the buffer: room on the heap */
    if (old.status < 0) return args_buf;             /* truncated */
    char *big = (char *)old.r1;
    vd_ret again = vd_get_args(big, (usize)r.r1 + 1);
    return again.status < 0 ? args_buf : big;
}

/* Splits `s` in place into words (blanks separate, "..." groups); returns the count stored in out. */
static int split_words(char *s, char **out, int max)
{
    int n = 0;
    char *w = s; /* write position: quotes are removed in place */
    while (*s && n < max) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        out[n++] = w;
        int quoted = 0;
        while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '"') quoted = !quoted;
            else *w++ = *s;
            s++;
        }
        if (*s) s++;
        *w++ = '\0';
    }
    return n;
}

/* Called by _start. Builds argc/argv/envp from GET_ARGS and runs main through
 * the common start-up (__libc_start -> exit(main(...))). Does not return. */
_Noreturn void __viperdos_start(void)
{
    char *args = fetch_args();
    char *pwd = 0;
    if (args && args[0] == 'P' && args[1] == 'W' && args[2] == 'D' && args[3] == '=') {
        char *semi = args + 4;
        while (*semi && *semi != ';') semi++;
        pwd = args;
        args = *semi ? semi + 1 : semi;
        *semi = '\0';
    }
    char **argv = (char **)&frame[1];
    argv[0] = progname;
    int argc = 1 + (args ? split_words(args, argv + 1, MAX_ARGS - 1) : 0);
    argv[argc] = 0;
    char **envp = argv + argc + 1;
    int envc = 0;
    if (pwd) envp[envc++] = pwd;
    envp[envc] = 0;
    /* auxv follows: an AT_NULL pair, already zero (BSS). */
    frame[0] = argc;
    __libc_start(frame);
}
