/* Syscall fuzzer (test/kernel-fuzz.test.ts). One program, three roles:
 *
 *   fuzz driver ITERS SEED NFUZZ : process 1. Spawns NFUZZ fuzzers ("fuzz
 *       fuzz ITERS SEED+i") and one checker ("fuzz check"), waits for all,
 *       prints "driver: pid P (role) status S" per child and "driver: done",
 *       exits 0 when the checker exited 0.
 *   fuzz fuzz ITERS SEED : ITERS random `svc #0` calls: numbers from the
 *       ABI table (most) or random ones, arguments drawn from small ints,
 *       -1, huge values, INT32 edges, NULL, pointers into its own buffer,
 *       unmapped user addresses and kernel-range addresses. Prints
 *       "fuzz: done N ok M pid P" (calls made, calls
 *       that returned 0) and exits 0.
 *   fuzz check : a well-behaved process: fills heap pages with a pattern,
 *       sleeps and yields while the fuzzers run, verifies the pattern and a
 *       checksum against its closed form. Prints "check: ok", exits 0.
 *
 * Calls that would end the fuzzer or block it forever are excluded or
 * bounded (see pick_args): TASK_EXIT, THREAD_EXIT, REPLACE, SIGRETURN,
 * KILL, GETCHAR, TTY_READ, IRQ_WAIT; THREAD_CREATE always starts a thread
 * at fuzz_thread_entry, which exits at once (a random entry point would
 * kill the fuzzer); SLEEP and POLL_WAIT timeouts are capped at 2 ms;
 * READ never targets the console (fd 0). Memory-map calls never aim at the
 * fuzzer's own code, data or stack (only a scratch mapping or bad addresses),
 * so the fuzzer survives to exercise the kernel further. A child made by
 * FORK exits at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/syscall.h>

static const unsigned short VALID[] = {
    0x00, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
    0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x22, 0x23, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x50, 0x51, 0x52, 0x53,
    0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
    0x68, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x80, 0x81, 0x82, 0x83,
    0x84, 0x85, 0x86, 0x87, 0x90, 0x91, 0x94, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6,
    0xB2, 0xB3, 0xB4, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5,
    0xE0, 0xE1, 0xE2, 0xE3, 0xE4, 0xE6, 0xE8, 0xF0, 0xF2, 0xF3, 0x100, 0x101, 0x103,
    0x104, 0x105, 0x106, 0x107, 0x108, 0x109, 0x10A, 0x10B, 0x10C, 0x110, 0x111, 0x112,
    0x113, 0x114, 0x115, 0x116, 0x117, 0x118, 0x121, 0x122, 0x123, 0x124, 0x150, 0x151,
    0x152, 0x153, 0x154, 0x155, 0x156,
};
#define NVALID (sizeof VALID / sizeof VALID[0])

static int excluded(long nr)
{
    switch (nr) {
    case SYS_TASK_EXIT: case SYS_THREAD_EXIT: case SYS_REPLACE: case SYS_SIGRETURN:
    case SYS_KILL: case SYS_GETCHAR: case SYS_TTY_READ:
    case SYS_IRQ_WAIT:
        return 1;
    default:
        return 0;
    }
}

/* THREAD_CREATE's entry: a thread that ends itself at once without touching
 * its (random) stack. */
void fuzz_thread_entry(void);
__asm__(".globl fuzz_thread_entry\n"
        "fuzz_thread_entry:\n"
        "    mov x0, #0\n"
        "    mov x8, #0xB1\n" /* THREAD_EXIT */
        "    svc #0\n"
        "    b fuzz_thread_entry\n");

/* xorshift64*: deterministic from the seed. */
static u64 rng;
static u64 next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

#define BUF_SIZE (256 * 1024)
static char *buf;      /* the fuzzer's own memory that pointers aim into (first 4 KiB) */
static char *scratch;  /* a mapping memory-map calls may change */

static long any_arg(void)
{
    switch (next() % 12) {
    case 0: case 1: return (long)(next() % 16);
    case 2: return -1;
    case 3: return (long)next();
    case 4: return (long)(buf + next() % 4096);
    case 5: return (long)(buf + 4096 - next() % 16);
    case 6: return 0;
    case 7: return (long)(0x1000 + (next() % 64) * 4096);             /* unmapped low page */
    case 8: return (long)(0x7000000000ULL + next() % 4096);          /* unmapped user range */
    case 9: return (long)(0xffff000000000000ULL | (next() & 0xffffffffffffULL)); /* kernel range */
    case 10: { static const long e[] = {0x7fffffff, (long)0x80000000UL, (long)0xffffffffUL, -2, 4096, 8193};
               return e[next() % 6]; }
    default: return (long)(next() % 64);                            /* handle-sized */
    }
}

/* Arguments for `nr`, bounded where the call could end or stall the fuzzer. */
static void pick_args(long nr, long a[6])
{
    for (int i = 0; i < 6; i++) a[i] = any_arg();
    switch (nr) {
    case SYS_SLEEP: a[0] = (long)(next() % 3); break;
    case SYS_POLL_WAIT: a[3] = (long)(next() % 3); break;
    case SYS_READ: if ((int)a[0] == 0) a[0] = 3 + (long)(next() % 8); break;
    case SYS_MUNMAP: case SYS_MPROTECT: case SYS_MSYNC: case SYS_MADVISE:
    case SYS_MLOCK: case SYS_MUNLOCK: case SYS_SHM_UNMAP:
        if ((u64)a[0] < 0xffff000000000000ULL && a[0] != 0 && (next() & 1)) a[0] = (long)(scratch + (next() % 16) * 4096);
        else if ((u64)a[0] >= (u64)0x80000000ULL && (u64)a[0] < 0xffff000000000000ULL) a[0] = 0x1000;
        if ((u64)a[1] > 64 * 1024) a[1] = (long)(next() % (64 * 1024));
        break;
    case SYS_THREAD_CREATE: /* random or valid stack; random TLS and arg */
        a[0] = (long)fuzz_thread_entry;
        if (next() & 1) a[1] = (long)(buf + 65536 + (next() % 8) * 4096);
        break;
    case SYS_SBRK: if (a[0] < -(1 << 16) || a[0] > (1 << 22)) a[0] = (long)(next() % 65536); break;
    case SYS_TASK_SPAWN: case SYS_TASK_SPAWN_SHM: break; /* random paths: nothing in the boot image matches */
    default: break;
    }
}

/* Occasionally refill the buffer: random bytes or a string the kernel may parse. */
static void refresh_buf(void)
{
    static const char *const strs[] = {"", "nonexistent", "/", "SYS:", "a/b/../c", "kbench", "\xff\xfe"};
    u32 r = (u32)(next() % 4);
    if (r == 0) {
        for (int i = 0; i < 4096; i += 8) *(u64 *)(buf + i) = next();
    } else if (r == 1) {
        const char *s = strs[next() % (sizeof strs / sizeof strs[0])];
        for (int off = 0; off < 4096; off += 512) strcpy(buf + off, s);
    }
}

static int fuzz(long iters, u64 seed)
{
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    vd_ret m = vd_mmap(0, BUF_SIZE, 3, 0x22, -1, 0);
    static char fallback[8192];
    buf = m.status == 0 ? (char *)m.r1 : fallback;
    vd_ret s = vd_mmap(0, 16 * 4096, 3, 0x22, -1, 0);
    scratch = s.status == 0 ? (char *)s.r1 : buf + 65536;
    long done = 0, succeeded = 0;
    long me = vd_getpid().r1;
    for (long i = 0; i < iters; i++) {
        if ((i & 15) == 0) refresh_buf();
        long nr;
        u32 how = (u32)(next() % 10);
        if (how < 7) nr = VALID[next() % NVALID];
        else if (how < 9) nr = (long)(next() % 0x200);
        else nr = (long)next();
        if (excluded(nr & 0xffffffff)) continue;
        long a[6];
        pick_args(nr & 0xffffffff, a);
        vd_ret r = vd_sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        /* A forked child exits at once. It is told apart by its pid, not by
         * r1 == 0, so a regression of finding K2 (child r1 = caller's x1)
         * cannot turn children into extra fuzzers. */
        if ((nr & 0xffffffff) == SYS_FORK && r.status == 0 && vd_getpid().r1 != (u64)me) vd_task_exit(0);
        done++;
        if (r.status == 0) succeeded++;
    }
    /* Children not reaped by a random WAIT are left behind on purpose: the
     * kernel must reap them when this process exits (finding K1, fixed). */
    char line[80];
    int n = snprintf(line, sizeof line, "fuzz: done %ld ok %ld pid %ld\n", done, succeeded, (long)vd_getpid().r1);
    vd_write(1, line, (usize)n);
    return 0;
}

static int check(void)
{
    const long pages = 64, words = pages * 4096 / 8;
    u64 *a = malloc((usize)(pages * 4096));
    if (!a) { printf("check: no memory\n"); return 1; }
    for (int round = 0; round < 20; round++) {
        for (long i = 0; i < words; i++) a[i] = (u64)i * (u64)(round + 1);
        vd_sleep(1);
        vd_task_yield();
        u64 sum = 0;
        for (long i = 0; i < words; i++) sum += a[i];
        u64 n = (u64)words;
        if (sum != (n * (n - 1) / 2) * (u64)(round + 1)) {
            printf("check: bad checksum in round %d\n", round);
            return 1;
        }
    }
    free(a);
    printf("check: ok\n");
    return 0;
}

/* Finding K2 in isolation: FORK with a non-zero x1; the child should see r1 = 0. */
static int forkregs(void)
{
    vd_ret f = vd_sys6(SYS_FORK, 0, 0x1234, 0, 0, 0, 0);
    if (f.status != 0) return 2;
    if (f.r1 == 0) vd_task_exit(0);
    if (vd_getpid().r1 != 1) vd_task_exit(1); /* a child that saw r1 != 0 */
    i32 st = -1;
    vd_wait(&st);
    printf("forkregs: child status %d\n", st);
    return st;
}

/* Finding K1 in isolation: a child exits, its parent exits without waiting. */
static int orphan(void)
{
    vd_ret f = vd_fork();
    if (f.status != 0) return 2;
    if (f.r1 == 0) vd_task_exit(0);
    vd_sleep(2); /* the child is a zombie by now */
    return 0;
}

static int driver(long iters, long seed, long nfuzz)
{
    long pids[17];
    const char *roles[17];
    char args[64];
    if (nfuzz > 16) nfuzz = 16;
    int kids = 0;
    for (long i = 0; i < nfuzz; i++) {
        snprintf(args, sizeof args, "fuzz %ld %ld", iters, seed + i);
        vd_ret r = vd_task_spawn("fuzz", "fuzzer", args);
        if (r.status != 0) { printf("driver: spawn fuzzer failed %ld\n", r.status); return 1; }
        vd_channel_close((u32)r.r3);
        pids[kids] = r.r1;
        roles[kids++] = "fuzzer";
    }
    vd_ret c = vd_task_spawn("fuzz", "checker", "check");
    if (c.status != 0) { printf("driver: spawn checker failed %ld\n", c.status); return 1; }
    pids[kids] = c.r1;
    roles[kids++] = "checker";
    int checker_ok = 0;
    for (int k = 0; k < kids; k++) {
        i32 st = -1;
        vd_ret w = vd_waitpid(pids[k], &st, 0);
        printf("driver: pid %ld (%s) status %d%s\n", pids[k], roles[k], w.status == 0 ? st : (int)w.status,
               w.status == 0 ? "" : " (wait failed)");
        if (k == kids - 1) checker_ok = w.status == 0 && st == 0;
    }
    printf("driver: done\n");
    return checker_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *role = argc > 1 ? argv[1] : "";
    if (strcmp(role, "driver") == 0 && argc > 4) return driver(atol(argv[2]), atol(argv[3]), atol(argv[4]));
    if (strcmp(role, "fuzz") == 0 && argc > 3) return fuzz(atol(argv[2]), (u64)atol(argv[3]));
    if (strcmp(role, "check") == 0) return check();
    if (strcmp(role, "forkregs") == 0) return forkregs();
    if (strcmp(role, "orphan") == 0) return orphan();
    printf("usage: fuzz driver ITERS SEED NFUZZ | fuzz ITERS SEED | check\n");
    return 2;
}
