/* Scheduling classes from user space (SCHED_SETPARAM 0xE5 / SCHED_GETPARAM
 * 0xE7): set/get round trips with every error path (bad policy, priority,
 * reservation, pointers, missing task, another process's task, deadline
 * admission), then each class observed on a CPU of its own:
 *   FIFO beats fair and is never time-sliced, RR shares its level by
 *   slices, a deadline reservation of 2 ms per 10 ms gets about a fifth of
 *   the CPU even while spinning.
 * Prints "schedpolicy: ok" and exits 0 when every check holds. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/task.h>
#include <viperdos/sched.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)
#define MS 1000000ull

static u64 now_ns(void) { return vd_time_now_ns().r1; }
static void spin_ms(u64 ms) { u64 end = now_ns() + ms * MS; while (now_ns() < end) { } }

static struct vd_task_info infos[32];

static u64 runtime_of(u32 pid)
{
    vd_ret n = vd_task_list(infos, 32);
    for (u64 i = 0; i < n.r1; i++) if (infos[i].pid == pid) return infos[i].runtime_ns;
    return 0;
}

static struct vd_sched_param param(u32 policy, u32 prio, u64 rt, u64 dl, u64 per)
{
    struct vd_sched_param p = { policy, prio, rt, dl, per };
    return p;
}

/* A child that takes class `p`, then pins itself to `cpu` and spins `ms`
 * (class first: once pinned behind a real-time task it might never run). */
static u32 spinner(u32 cpu, struct vd_sched_param p, u64 ms)
{
    vd_ret f = vd_fork();
    if (f.r1 == 0) {
        if (vd_sched_setparam(0, &p).status != 0) vd_task_exit(99);
        vd_sched_setaffinity(0, 1u << cpu);
        spin_ms(ms);
        vd_task_exit(0);
    }
    return (u32)f.r1;
}

static void reap(u32 pid) { i32 st; vd_waitpid(pid, &st, 0); }

int main(void)
{
    struct vd_sched_param p;
    u32 me = (u32)vd_task_current().r1;

    /* defaults and round trips */
    CHECK(vd_sched_getparam(0, &p).status == 0);
    CHECK(p.policy == VD_SCHED_FAIR && p.priority == 128 && p.runtime_ns == 0 && p.period_ns == 0);
    p = param(VD_SCHED_FIFO, 40, 0, 0, 0);
    CHECK(vd_sched_setparam(0, &p).status == 0);
    memset(&p, 0xff, sizeof p);
    CHECK(vd_sched_getparam(me, &p).status == 0);
    CHECK(p.policy == VD_SCHED_FIFO && p.priority == 40);
    CHECK(vd_task_get_priority(0).r1 == 40);
    p = param(VD_SCHED_RR, 70, 0, 0, 0);
    CHECK(vd_sched_setparam(0, &p).status == 0);
    CHECK(vd_sched_getparam(0, &p).status == 0 && p.policy == VD_SCHED_RR && p.priority == 70);
    p = param(VD_SCHED_DEADLINE, 128, 1 * MS, 4 * MS, 8 * MS);
    CHECK(vd_sched_setparam(0, &p).status == 0);
    CHECK(vd_sched_getparam(0, &p).status == 0);
    CHECK(p.policy == VD_SCHED_DEADLINE && p.runtime_ns == 1 * MS && p.deadline_ns == 4 * MS && p.period_ns == 8 * MS);
    p = param(VD_SCHED_FAIR, 128, 0, 0, 0);
    CHECK(vd_sched_setparam(0, &p).status == 0);
    CHECK(vd_sched_getparam(0, &p).status == 0 && p.policy == VD_SCHED_FAIR && p.runtime_ns == 0);

    /* error paths */
    p = param(5, 128, 0, 0, 0);
    CHECK(vd_sched_setparam(0, &p).status == VERR_INVALID_ARG);
    p = param(VD_SCHED_FIFO, 256, 0, 0, 0);
    CHECK(vd_sched_setparam(0, &p).status == VERR_INVALID_ARG);
    p = param(VD_SCHED_DEADLINE, 128, 5 * MS, 2 * MS, 10 * MS); /* runtime > deadline */
    CHECK(vd_sched_setparam(0, &p).status == VERR_INVALID_ARG);
    p = param(VD_SCHED_DEADLINE, 128, 1 * MS, 20 * MS, 10 * MS); /* deadline > period */
    CHECK(vd_sched_setparam(0, &p).status == VERR_INVALID_ARG);
    p = param(VD_SCHED_DEADLINE, 128, 0, 0, 0);
    CHECK(vd_sched_setparam(0, &p).status == VERR_INVALID_ARG);
    CHECK(vd_sched_setparam(0, (const struct vd_sched_param *)0).status == VERR_INVALID_ARG);
    CHECK(vd_sched_setparam(0, (const struct vd_sched_param *)0x10).status == VERR_INVALID_ARG);
    CHECK(vd_sched_getparam(0, (struct vd_sched_param *)0x1000).status == VERR_INVALID_ARG);
    p = param(VD_SCHED_FIFO, 10, 0, 0, 0);
    CHECK(vd_sched_setparam(9999, &p).status == VERR_TASK_NOT_FOUND);
    CHECK(vd_sched_getparam(9999, &p).status == VERR_TASK_NOT_FOUND);
    CHECK(vd_sched_getparam(0, &p).status == 0 && p.policy == VD_SCHED_FAIR); /* failures changed nothing */

    /* a child may read but not change its parent's task; the parent may change the child's */
    vd_ret f = vd_fork();
    if (f.r1 == 0) {
        struct vd_sched_param q = param(VD_SCHED_FIFO, 1, 0, 0, 0);
        int bad = 0;
        if (vd_sched_setparam(me, &q).status != VERR_PERMISSION) bad |= 1;
        if (vd_sched_getparam(me, &q).status != 0 || q.policy != VD_SCHED_FAIR) bad |= 2;
        vd_sleep(20);
        if (vd_sched_getparam(0, &q).status != 0 || q.policy != VD_SCHED_RR || q.priority != 33) bad |= 4;
        vd_task_exit(bad);
    }
    u32 child_pid = (u32)f.r1;
    vd_sleep(2);
    {
        vd_ret n = vd_task_list(infos, 32);
        u32 ctid = 0;
        for (u64 i = 0; i < n.r1; i++) if (infos[i].pid == child_pid) ctid = infos[i].tid;
        p = param(VD_SCHED_RR, 33, 0, 0, 0);
        CHECK(ctid != 0 && vd_sched_setparam(ctid, &p).status == 0);
        i32 st = -1;
        vd_waitpid(child_pid, &st, 0);
        CHECK(st == 0);
        if (st != 0) printf("child checks: 0x%x\n", st);
    }

    /* deadline admission: at most 0.95 x 4 CPUs of reservations */
    {
        u32 pids[4], tids[4];
        for (int i = 0; i < 4; i++) {
            vd_ret g = vd_fork();
            if (g.r1 == 0) { vd_sleep(30); vd_task_exit(0); }
            pids[i] = (u32)g.r1;
        }
        vd_sleep(2);
        vd_ret n = vd_task_list(infos, 32);
        for (int i = 0; i < 4; i++)
            for (u64 j = 0; j < n.r1; j++) if (infos[j].pid == pids[i]) tids[i] = infos[j].tid;
        p = param(VD_SCHED_DEADLINE, 128, 10 * MS, 10 * MS, 10 * MS); /* one whole CPU each */
        CHECK(vd_sched_setparam(tids[0], &p).status == 0);
        CHECK(vd_sched_setparam(tids[1], &p).status == 0);
        CHECK(vd_sched_setparam(tids[2], &p).status == 0);
        CHECK(vd_sched_setparam(tids[3], &p).status == VERR_BUSY);
        p = param(VD_SCHED_DEADLINE, 128, 5 * MS, 10 * MS, 10 * MS); /* half a CPU still fits */
        CHECK(vd_sched_setparam(tids[3], &p).status == 0);
        for (int i = 0; i < 4; i++) reap(pids[i]);
    }

    /* FIFO on CPU 1 runs to completion before a fair task queued there */
    {
        u32 fifo = spinner(1, param(VD_SCHED_FIFO, 50, 0, 0, 0), 20);
        u32 fair = spinner(1, param(VD_SCHED_FAIR, 128, 0, 0, 0), 20);
        vd_sleep(12);
        u64 rf = runtime_of(fifo), rn = runtime_of(fair);
        CHECK(rf > 5 * MS);
        CHECK(rn < rf / 4);
        if (!(rn < rf / 4)) printf("fifo %llu fair %llu\n", (unsigned long long)rf, (unsigned long long)rn);
        reap(fifo);
        reap(fair);
    }

    /* two RR tasks of one level on CPU 2 take turns by slices (level 1: 18 ms) */
    {
        u32 a = spinner(2, param(VD_SCHED_RR, 50, 0, 0, 0), 40);
        u32 b = spinner(2, param(VD_SCHED_RR, 50, 0, 0, 0), 40);
        vd_sleep(30);
        u64 ra = runtime_of(a), rb = runtime_of(b);
        CHECK(ra > 5 * MS && rb > 5 * MS);
        if (!(ra > 5 * MS && rb > 5 * MS)) printf("rr %llu %llu\n", (unsigned long long)ra, (unsigned long long)rb);
        reap(a);
        reap(b);
    }

    /* a deadline reservation of 2 ms every 10 ms on CPU 3: throttled between budgets */
    {
        u32 d = spinner(3, param(VD_SCHED_DEADLINE, 128, 2 * MS, 10 * MS, 10 * MS), 60);
        vd_sleep(41);
        u64 rd = runtime_of(d);
        CHECK(rd >= 6 * MS && rd <= 14 * MS);
        if (!(rd >= 6 * MS && rd <= 14 * MS)) printf("deadline runtime %llu\n", (unsigned long long)rd);
        reap(d);
    }

    printf(failures ? "schedpolicy: %d failures\n" : "schedpolicy: ok\n", failures);
    return failures;
}
