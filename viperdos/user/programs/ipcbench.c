/* ipcbench [N]: channel ping-pong between two processes. This process
 * spawns `ipcbench child N` and, for each message size (8, 64, 512, 4096,
 * 8192 bytes), sends a message over the bootstrap channel and waits (poll)
 * for the echo, N times. Prints per size, in virtual time (TIME_NOW_NS):
 *   ipcbench: size <B> bytes: round trip <us> us, <MB/s> MB/s (virtual)
 * (MB/s counts the bytes of both directions). The echo is checked byte for
 * byte; a 1-byte message ends the echo side. N is 1..100000 (default 200). Exits 0, 10 on a bad argument, 20
 * when a call fails or an echo differs. */
#include <string.h>
#include <viperdos/ipc.h>
#include "benchutil.h"

static const u32 sizes[] = { 8, 64, 512, 4096, 8192 };
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define MAX_MSG 8192

static char out[MAX_MSG], in[MAX_MSG];
static u32 poll_set;

static int failed(const char *what, long status)
{
    printf("ipcbench: %s failed: %s (error %ld)\n", what, vd_error_message(status), status);
    return 20;
}

/* Receive one message on `h` into `in`, waiting with poll; returns its length or an error (< 0). */
static long recv_wait(u32 h)
{
    for (;;) {
        u32 hn = 0;
        vd_ret r = vd_channel_recv(h, in, MAX_MSG, 0, &hn);
        if (r.status == 0) return (long)r.r1;
        if (r.status != VERR_WOULD_BLOCK) return r.status;
        struct vd_poll_event ev[1];
        vd_ret w = vd_poll_wait(poll_set, ev, 1, -1);
        if (w.status != 0) return w.status;
    }
}

static long setup_poll(u32 h)
{
    vd_ret ps = vd_poll_create();
    if (ps.status != 0) return ps.status;
    poll_set = (u32)ps.r1;
    return vd_poll_add(poll_set, h, VD_POLL_READ).status;
}

/* The echo side: every message goes straight back; a 1-byte message (or the
 * channel closing) ends it. */
static int echo(void)
{
    if (setup_poll(0) != 0) return 20;
    for (;;) {
        long len = recv_wait(0);
        if (len < 0) return len == VERR_CHANNEL_CLOSED ? 0 : 20;
        if (len == 1) return 0;
        if (vd_channel_send(0, in, (u32)len, 0, 0).status != 0) return 20;
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) return echo();
    long n = bench_arg(argc, argv, 1, 200, 1, 100000);
    if (n < 0) {
        printf("ipcbench: bad argument: usage ipcbench [N] (N = 1..100000 round trips per size)\n");
        return 10;
    }
    vd_ret sp = vd_task_spawn("C:ipcbench.prg", "ipcbench-echo", "child");
    if (sp.status != 0) return failed("TASK_SPAWN C:ipcbench.prg", sp.status);
    u32 h = (u32)sp.r3;
    long s = setup_poll(h);
    if (s != 0) return failed("POLL", s);
    printf("ipcbench: %ld round trips per size, %ld CPU(s)\n", n, vd_cpu_count().r1);
    int rc = 0;
    for (usize k = 0; k < NSIZES && rc == 0; k++) {
        u32 size = sizes[k];
        for (u32 i = 0; i < size; i++) out[i] = (char)(i * 7 + k);
        u64 t0 = bench_now_ns();
        for (long i = 0; i < n; i++) {
            vd_ret w = vd_channel_send(h, out, size, 0, 0);
            if (w.status != 0) { rc = failed("CHANNEL_SEND", w.status); break; }
            long len = recv_wait(h);
            if (len < 0) { rc = failed("CHANNEL_RECV", len); break; }
            if ((u32)len != size || memcmp(in, out, size) != 0) {
                printf("ipcbench: the echo of a %u-byte message differs\n", size);
                rc = 20;
                break;
            }
        }
        if (rc) break;
        u64 ns = bench_now_ns() - t0;
        if (ns == 0) ns = 1;
        char b1[32], b2[32];
        u64 rt_milli_us = ns / (u64)n; /* ns per round trip = thousandths of a us */
        u64 mbps_milli = (u64)size * 2 * (u64)n * 1000000ull / ns; /* bytes/ns * 1e3 = MB/s; kept in thousandths */
        printf("ipcbench: size %5u bytes: round trip %s us, %s MB/s (virtual)\n", size, bench_milli(b1, sizeof b1, rt_milli_us),
               bench_milli(b2, sizeof b2, mbps_milli));
    }
    vd_channel_send(h, "q", 1, 0, 0); /* the echo side's end */
    i32 st = -1;
    vd_waitpid((i64)sp.r1, &st, 0);
    if (rc == 0 && st != 0) return failed("echo process", st);
    return rc;
}
