/* IPC round-trip latency samples, for the notebook's %bench ipc magic
 * (kernel-bridge/magics.ts). Unlike kbench's ipc mode (one total for N
 * round trips), this records every round trip separately so a notebook can
 * plot the distribution per message size.
 *
 *   ipclat SIZE N       : spawns "ipclat child SIZE N" (bootfs name "ipclat")
 *                         and does N round trips of a SIZE-byte message over
 *                         the bootstrap channel: send, poll-wait, recv.
 *   ipclat child SIZE N : the echo side: poll-wait, recv, send back.
 *
 * Each round trip is timed with CNTVCT_EL0 read at EL0 (the guest's virtual
 * counter, CNTFRQ_EL0 ticks per second), converted to virtual ns. Samples
 * are kept in memory during the loop and printed afterwards, so printing
 * does not perturb them: one line per sample
 *     ipclat size=<SIZE> i=<k> ns=<virtual ns>
 * then "ipclat done size=<SIZE> iters=<N> freq=<CNTFRQ>". A failed call
 * prints "ipclat error=<status>" and exits 1. SIZE is 1..8192 (the channel's
 * maximum message), N is 1..MAX_SAMPLES. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>

#define MAX_SIZE 8192
#define MAX_SAMPLES 4096

static char msg[MAX_SIZE];
static u64 samples[MAX_SAMPLES];

static inline u64 counter(void)
{
    u64 v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
}

static inline u64 counter_freq(void)
{
    u64 f;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
    return f;
}

static int fail(long status)
{
    printf("ipclat error=%ld\n", status);
    return 1;
}

/* Wait until `h` has a message (poll), then receive it into msg. */
static long recv_blocking(u32 poll, u32 h, u32 len)
{
    /* Wait first, then receive: in a ping-pong the reply is never there
     * right after our send, so a receive tried first would only fail. */
    struct vd_poll_event ev[1];
    for (;;) {
        vd_ret w = vd_poll_wait(poll, ev, 1, -1);
        if (w.status != 0) return w.status;
        u32 hn = 0;
        vd_ret r = vd_channel_recv(h, msg, len, 0, &hn);
        if (r.status != VERR_WOULD_BLOCK) return r.status;
    }
}

static int side(u32 h, long size, long n, int initiator)
{
    vd_ret ps = vd_poll_create();
    if (ps.status != 0) return fail(ps.status);
    vd_ret pa = vd_poll_add((u32)ps.r1, h, VD_POLL_READ);
    if (pa.status != 0) return fail(pa.status);
    memset(msg, 'v', (size_t)size);
    for (long i = 0; i < n; i++) {
        long s;
        if (initiator) {
            u64 t0 = counter();
            if ((s = vd_channel_send(h, msg, (u32)size, 0, 0).status) != 0) return fail(s);
            if ((s = recv_blocking((u32)ps.r1, h, (u32)size)) != 0) return fail(s);
            samples[i] = counter() - t0;
        } else {
            if ((s = recv_blocking((u32)ps.r1, h, (u32)size)) != 0) return fail(s);
            if ((s = vd_channel_send(h, msg, (u32)size, 0, 0).status) != 0) return fail(s);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int child = argc > 1 && strcmp(argv[1], "child") == 0;
    int a = child ? 2 : 1;
    long size = argc > a ? atol(argv[a]) : 64;
    long n = argc > a + 1 ? atol(argv[a + 1]) : 100;
    if (size < 1 || size > MAX_SIZE || n < 1 || n > MAX_SAMPLES) {
        printf("ipclat: usage: ipclat [child] SIZE(1..%d) N(1..%d)\n", MAX_SIZE, MAX_SAMPLES);
        return 2;
    }
    if (child) return side(0, size, n, 0);

    char args[48];
    snprintf(args, sizeof args, "child %ld %ld", size, n);
    vd_ret sp = vd_task_spawn("ipclat", "ipclat-echo", args);
    if (sp.status != 0) return fail(sp.status);
    int rc = side((u32)sp.r3, size, n, 1);
    i32 st = -1;
    vd_wait(&st);
    if (rc) return rc;
    if (st != 0) return fail(st);
    u64 freq = counter_freq();
    for (long i = 0; i < n; i++)
        printf("ipclat size=%ld i=%ld ns=%llu\n", size, i, (unsigned long long)(samples[i] * 1000000000ull / freq));
    printf("ipclat done size=%ld iters=%ld freq=%llu\n", size, n, (unsigned long long)freq);
    return 0;
}
