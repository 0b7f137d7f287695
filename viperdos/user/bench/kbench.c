/* Kernel micro-benchmarks, run as process 1 by bench/kernel.ts on a 1-CPU
 * machine. argv[1] picks the benchmark, argv[2] the iteration count. Each
 * prints one line "kbench <name> iters=<N> virtual_ns=<T>" where T is the
 * guest-measured TIME_NOW_NS delta around the measured loop only (program
 * start-up and exit are outside it), and exits 0; on a failed call it prints
 * "kbench <name> error=<status>" and exits 1.
 *
 *   null N   : N GETPID calls (SVC round trip, no work in the handler).
 *   yield N  : fork; parent and child each call TASK_YIELD N times. On one
 *              CPU every yield switches to the other process: 2N switches.
 *   fork N   : N times fork + child TASK_EXIT(0) + parent WAIT.
 *   fault N  : sbrk N pages; T_fresh = touching each once (each write takes
 *              a demand-paging fault), T_mapped = touching them again.
 *              Prints both; cost per fault = (T_fresh - T_mapped) / N.
 *   exit     : prints TIME_NOW_NS at main (virtual time of boot + load).
 *   ipc N    : spawns "kbench ipcchild N"; N round trips of a 64-byte message
 *              over the bootstrap channel (each side: poll-wait, recv, send).
 *              Prints "skip" when CHANNEL_* are not implemented (-7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>

static long iters(int argc, char **argv)
{
    return argc > 2 ? atol(argv[2]) : 1000;
}

static int report(const char *name, long n, u64 ns)
{
    printf("kbench %s iters=%ld virtual_ns=%llu\n", name, n, (unsigned long long)ns);
    return 0;
}

static int fail(const char *name, long status)
{
    printf("kbench %s error=%ld\n", name, status);
    return 1;
}

static int bench_null(long n)
{
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) vd_getpid();
    return report("null", n, vd_time_now_ns().r1 - t0);
}

static int bench_yield(long n)
{
    u64 t0 = vd_time_now_ns().r1;
    vd_ret f = vd_fork();
    if (f.status != 0) return fail("yield", f.status);
    for (long i = 0; i < n; i++) vd_task_yield();
    if (f.r1 == 0) vd_task_exit(0);
    i32 st = -1;
    vd_wait(&st);
    /* The fork and the child's exit are inside the window: bench/kernel.ts
     * subtracts them by running two counts (it reports the slope). */
    return report("yield", 2 * n, vd_time_now_ns().r1 - t0);
}

static int bench_fork(long n)
{
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) {
        vd_ret f = vd_fork();
        if (f.status != 0) return fail("fork", f.status);
        if (f.r1 == 0) vd_task_exit(0);
        i32 st = -1;
        vd_ret w = vd_wait(&st);
        if (w.status != 0 || st != 0) return fail("fork", w.status ? w.status : st);
    }
    return report("fork", n, vd_time_now_ns().r1 - t0);
}

static int bench_fault(long n)
{
    vd_ret b = vd_sbrk(n * 4096);
    if (b.status != 0) return fail("fault", b.status);
    volatile char *p = (volatile char *)b.r1;
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) p[i * 4096] = 1;
    u64 t1 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) p[i * 4096] = 2;
    u64 t2 = vd_time_now_ns().r1;
    printf("kbench fault iters=%ld virtual_ns=%llu mapped_ns=%llu\n", n, (unsigned long long)(t1 - t0),
           (unsigned long long)(t2 - t1));
    return 0;
}

/* Wait until `h` has a message (poll), then receive it into buf. */
static long recv_blocking(u32 poll, u32 h, char *buf, u32 len)
{
    /* Wait first, then receive: in a ping-pong the reply is never there
     * right after our send, so a receive tried first would only fail. */
    struct vd_poll_event ev[1];
    for (;;) {
        vd_ret w = vd_poll_wait(poll, ev, 1, -1);
        if (w.status != 0) return w.status;
        u32 hn = 0;
        vd_ret r = vd_channel_recv(h, buf, len, 0, &hn);
        if (r.status != VERR_WOULD_BLOCK) return r.status;
    }
}

static int ipc_side(const char *name, u32 h, long n, int initiator)
{
    char msg[64];
    memset(msg, 'v', sizeof msg);
    vd_ret ps = vd_poll_create();
    if (ps.status != 0) return fail(name, ps.status);
    vd_ret pa = vd_poll_add((u32)ps.r1, h, VD_POLL_READ);
    if (pa.status != 0) return fail(name, pa.status);
    u64 t0 = vd_time_now_ns().r1;
    for (long i = 0; i < n; i++) {
        long s;
        if (initiator) {
            if ((s = vd_channel_send(h, msg, sizeof msg, 0, 0).status) != 0) return fail(name, s);
            if ((s = recv_blocking((u32)ps.r1, h, msg, sizeof msg)) != 0) return fail(name, s);
        } else {
            if ((s = recv_blocking((u32)ps.r1, h, msg, sizeof msg)) != 0) return fail(name, s);
            if ((s = vd_channel_send(h, msg, sizeof msg, 0, 0).status) != 0) return fail(name, s);
        }
    }
    return initiator ? report(name, n, vd_time_now_ns().r1 - t0) : 0;
}

static int bench_ipc(long n)
{
    vd_ret probe = vd_channel_create();
    if (probe.status == VERR_NOT_SUPPORTED) {
        printf("kbench ipc skip=CHANNEL_CREATE returns -7\n");
        return 0;
    }
    if (probe.status != 0) return fail("ipc", probe.status);
    vd_channel_close((u32)probe.r1);
    vd_channel_close((u32)probe.r2);
    char args[32];
    snprintf(args, sizeof args, "ipcchild %ld", n);
    vd_ret sp = vd_task_spawn("kbench", "kbench-ipc", args);
    if (sp.status != 0) return fail("ipc", sp.status);
    int rc = ipc_side("ipc", (u32)sp.r3, n, 1);
    i32 st = -1;
    vd_wait(&st);
    return rc ? rc : (st == 0 ? 0 : fail("ipc", st));
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "null";
    long n = iters(argc, argv);
    if (strcmp(mode, "null") == 0) return bench_null(n);
    if (strcmp(mode, "yield") == 0) return bench_yield(n);
    if (strcmp(mode, "fork") == 0) return bench_fork(n);
    if (strcmp(mode, "fault") == 0) return bench_fault(n);
    if (strcmp(mode, "exit") == 0) return report("exit", 0, vd_time_now_ns().r1);
    if (strcmp(mode, "ipc") == 0) return bench_ipc(n);
    if (strcmp(mode, "ipcchild") == 0) return ipc_side("ipcchild", 0, n, 0);
    printf("kbench: unknown mode %s\n", mode);
    return 2;
}
