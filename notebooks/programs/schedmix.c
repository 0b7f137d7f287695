/* schedmix: scheduler experiments for notebooks/03-scheduler.ipynb. Every
 * figure it prints is virtual time read from the kernel (TIME_NOW_NS).
 *
 *   schedmix pair PRIO_A PRIO_B   two CPU-bound "hogs" pinned to CPU 0, 60 ms
 *                                 of work each; at 40 ms the parent prints how
 *                                 CPU 0 was shared, then when each finished
 *   schedmix mix fair|rr          a hog and an IO-bound "ticker" (sleeps 3 ms,
 *                                 works 0.1 ms, 20 times) on CPU 0; the ticker
 *                                 is a fair task or a round-robin real-time
 *                                 one; prints the ticker's wake-up latency
 *   schedmix spread N MASK        N hogs (1..8), 30 ms of work each, allowed on
 *                                 the CPUs of MASK (bit n = CPU n); each says
 *                                 where it ran and when it finished
 * Exits 0, or 2 for bad arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/sched.h>
#include <viperdos/syscall.h>
#include <viperdos/task.h>

static u64 now_ns(void) { return vd_time_now_ns().r1; }

static void spin_ms(u64 ms)
{
    u64 end = now_ns() + ms * 1000000;
    while (now_ns() < end) { }
}

/* Spin until this task has had `ms` of CPU (not wall time): a fixed amount of work. */
static struct vd_task_info infos[32];
static u64 runtime_of(u32 tid)
{
    vd_ret n = vd_task_list(infos, 32);
    for (u64 i = 0; i < n.r1; i++) if (infos[i].tid == tid) return infos[i].runtime_ns;
    return 0;
}
static void work_ms(u64 ms)
{
    u32 me = (u32)vd_task_current().r1;
    while (runtime_of(me) < ms * 1000000) spin_ms(1);
}

static u64 t0;
static double ms_since_start(void) { return (double)(now_ns() - t0) / 1e6; }

static u32 hog(u32 mask, u32 prio, u64 ms, const char *label)
{
    vd_ret f = vd_fork();
    if (f.r1 != 0) return (u32)f.r1;
    vd_sched_setaffinity(0, mask);
    vd_task_set_priority(0, prio);
    work_ms(ms);
    vd_ret n = vd_task_list(infos, 32);
    u32 me = (u32)vd_task_current().r1;
    int cpu = -1;
    for (u64 i = 0; i < n.r1; i++) if (infos[i].tid == me) cpu = infos[i].cpu;
    printf("  %s (tid %u, prio %u): %llu ms of work done at %.1f ms, on cpu %d\n", label, me, prio, (unsigned long long)ms, ms_since_start(), cpu);
    vd_task_exit(0);
    return 0;
}

static int pair(u32 pa, u32 pb)
{
    u32 a = hog(1, pa, 60, "hog A");
    u32 b = hog(1, pb, 60, "hog B");
    vd_sleep(40);
    u64 ra = runtime_of(a), rb = runtime_of(b);
    printf("schedmix pair: after %.1f ms, CPU 0 ran A (prio %u) %.1f ms and B (prio %u) %.1f ms: A got %llu%%\n",
           ms_since_start(), pa, ra / 1e6, pb, rb / 1e6, (unsigned long long)(ra * 100 / (ra + rb ? ra + rb : 1)));
    for (int i = 0; i < 2; i++) { i32 st; vd_wait(&st); }
    return 0;
}

static int mix(int rr)
{
    hog(1, 128, 100, "hog");
    vd_ret f = vd_fork();
    if (f.r1 == 0) {
        vd_sched_setaffinity(0, 1);
        if (rr) {
            struct vd_sched_param p = { VD_SCHED_RR, 64, 0, 0, 0 };
            vd_ret r = vd_sched_setparam(0, &p);
            if (r.status != 0) { printf("ticker: SCHED_SETPARAM failed (%lld)\n", (long long)r.status); vd_task_exit(1); }
        }
        u64 sum = 0, max = 0;
        for (int i = 0; i < 20; i++) {
            u64 before = now_ns();
            vd_sleep(3);
            u64 late = now_ns() - before - 3000000;
            sum += late;
            if (late > max) max = late;
            u64 end = now_ns() + 100000;
            while (now_ns() < end) { }
        }
        printf("  ticker (%s): 20 wake-ups, latency avg %.3f ms, max %.3f ms\n", rr ? "rr, prio 64" : "fair, prio 128", sum / 20 / 1e6, max / 1e6);
        vd_task_exit(0);
    }
    for (int i = 0; i < 2; i++) { i32 st; vd_wait(&st); }
    printf("schedmix mix: done at %.1f ms\n", ms_since_start());
    return 0;
}

static int spread(int n, u32 mask)
{
    for (int i = 0; i < n; i++) {
        char label[16];
        snprintf(label, sizeof label, "hog %d", i);
        hog(mask, 128, 30, label);
    }
    for (int i = 0; i < n; i++) { i32 st; vd_wait(&st); }
    printf("schedmix spread: %d hogs on mask 0x%x done at %.1f ms\n", n, mask, ms_since_start());
    return 0;
}

int main(int argc, char **argv)
{
    t0 = now_ns();
    if (argc == 4 && strcmp(argv[1], "pair") == 0) return pair((u32)atoi(argv[2]), (u32)atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "mix") == 0 && (strcmp(argv[2], "fair") == 0 || strcmp(argv[2], "rr") == 0)) return mix(argv[2][0] == 'r');
    if (argc == 4 && strcmp(argv[1], "spread") == 0) {
        int n = atoi(argv[2]);
        u32 mask = (u32)strtoul(argv[3], 0, 16);
        if (n >= 1 && n <= 8 && mask != 0) return spread(n, mask);
    }
    printf("usage: schedmix pair PRIO_A PRIO_B | mix fair|rr | spread N MASK\n");
    return 2;
}
