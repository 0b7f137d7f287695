/* ctxbench [N]: context-switch cost by TASK_YIELD ping-pong. Two processes
 * (this one and a child started as `ctxbench child N`) are pinned to CPU 0
 * with SCHED_SETAFFINITY, then each yields N times: every yield hands the
 * CPU to the other, so the pair makes 2N switches. Prints, in virtual time
 * (TIME_NOW_NS):
 *   ctxbench: yield alone  <ns> ns/call (virtual)      - the syscall with no one to switch to
 *   ctxbench: switch       <ns> ns/switch (virtual)    - per switch of the ping-pong
 * N is 1..1000000 (default 2000). Exits 0, 10 on a bad argument, 20 when a
 * call fails. */
#include <string.h>
#include <viperdos/ipc.h>
#include "benchutil.h"

static int failed(const char *what, long status)
{
    printf("ctxbench: %s failed: %s (error %ld)\n", what, vd_error_message(status), status);
    return 20;
}

/* Wait for one message on the bootstrap channel (poll, then receive). */
static long wait_msg(u32 h)
{
    vd_ret ps = vd_poll_create();
    if (ps.status != 0) return ps.status;
    vd_ret pa = vd_poll_add((u32)ps.r1, h, VD_POLL_READ);
    if (pa.status != 0) return pa.status;
    char b[8];
    for (;;) {
        struct vd_poll_event ev[1];
        vd_ret w = vd_poll_wait((u32)ps.r1, ev, 1, -1);
        if (w.status != 0) return w.status;
        u32 hn = 0;
        vd_ret r = vd_channel_recv(h, b, sizeof b, 0, &hn);
        if (r.status != VERR_WOULD_BLOCK) return r.status;
    }
}

int main(int argc, char **argv)
{
    int child = argc > 1 && strcmp(argv[1], "child") == 0;
    long n = bench_arg(argc, argv, child ? 2 : 1, 2000, 1, 1000000);
    if (n < 0) {
        printf("ctxbench: bad argument: usage ctxbench [N] (N = 1..1000000 yields)\n");
        return 10;
    }
    if (child) { /* tell the parent we run, then ping-pong */
        if (vd_channel_send(0, "go", 2, 0, 0).status != 0) return 20;
        for (long i = 0; i < n; i++) vd_task_yield();
        return 0;
    }
    vd_ret a = vd_sched_setaffinity(0, 1);
    if (a.status != 0) return failed("SCHED_SETAFFINITY", a.status);
    u64 t0 = bench_now_ns();
    for (long i = 0; i < n; i++) vd_task_yield();
    u64 alone = bench_now_ns() - t0;

    char args[32];
    snprintf(args, sizeof args, "child %ld", n);
    vd_ret sp = vd_task_spawn("C:ctxbench.prg", "ctxbench-peer", args);
    if (sp.status != 0) return failed("TASK_SPAWN C:ctxbench.prg", sp.status);
    vd_ret pin = vd_sched_setaffinity((u32)sp.r2, 1);
    long s = wait_msg((u32)sp.r3);
    if (s != 0) return failed("waiting for the peer", s);
    t0 = bench_now_ns();
    for (long i = 0; i < n; i++) vd_task_yield();
    u64 pair = bench_now_ns() - t0;
    i32 st = -1;
    vd_waitpid((i64)sp.r1, &st, 0);
    if (st != 0) return failed("peer", st);
    char b1[32], b2[32];
    printf("ctxbench: %ld yields, %ld CPU(s), both tasks on CPU 0%s\n", n, vd_cpu_count().r1, pin.status ? " (peer not pinned)" : "");
    printf("ctxbench: yield alone  %s ns/call (virtual)\n", bench_milli(b1, sizeof b1, alone * 1000 / (u64)n));
    printf("ctxbench: switch       %s ns/switch (virtual)\n", bench_milli(b2, sizeof b2, pair * 1000 / (u64)(2 * n)));
    return 0;
}
