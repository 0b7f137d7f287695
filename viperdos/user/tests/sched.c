/* Priorities and affinity: set/get with their error paths, four busy
 * children pinned one per CPU (TASK_LIST shows where they ran), and a
 * high-priority task getting more CPU than a low-priority one sharing a CPU.
 * Prints "sched: ok" and exits 0 when every check holds. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/task.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static void spin_ms(u64 ms)
{
    u64 end = vd_time_now_ns().r1 + ms * 1000000;
    while (vd_time_now_ns().r1 < end) { }
}

static struct vd_task_info infos[32];

static const struct vd_task_info *find(u32 pid)
{
    vd_ret n = vd_task_list(infos, 32);
    for (u64 i = 0; i < n.r1; i++) if (infos[i].pid == pid) return &infos[i];
    return 0;
}

int main(void)
{
    u64 me = vd_task_current().r1;
    CHECK(vd_task_get_priority(0).r1 == 128);
    CHECK(vd_task_set_priority(0, 100).status == 0);
    CHECK(vd_task_get_priority((u32)me).r1 == 100);
    CHECK(vd_task_set_priority(0, 256).status == VERR_INVALID_ARG);
    CHECK(vd_task_set_priority(9999, 10).status == VERR_TASK_NOT_FOUND);
    CHECK(vd_sched_getaffinity(0).r1 == 0xf);
    CHECK(vd_sched_setaffinity(0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_sched_setaffinity(0, 1u << 7).status == VERR_INVALID_ARG);
    CHECK(vd_sched_setaffinity(0, 1).status == 0);
    CHECK(vd_sched_getaffinity(0).r1 == 1);

    /* four children, each pinned to one CPU, spinning 20 ms */
    u32 pids[4];
    for (int c = 0; c < 4; c++) {
        vd_ret f = vd_fork();
        if (f.r1 == 0) {
            vd_sched_setaffinity(0, 1u << c);
            spin_ms(20);
            vd_task_exit(0);
        }
        pids[c] = (u32)f.r1;
    }
    vd_sleep(5);
    for (int c = 0; c < 4; c++) {
        const struct vd_task_info *ti = find(pids[c]);
        CHECK(ti != 0 && ti->cpu == c && ti->affinity == (1u << c));
    }
    for (int c = 0; c < 4; c++) { i32 st; vd_waitpid(pids[c], &st, 0); }

    /* two children on CPU 1: priority 20 (RR... fair weights) vs 240 */
    u32 hi = 0, lo = 0;
    for (int k = 0; k < 2; k++) {
        vd_ret f = vd_fork();
        if (f.r1 == 0) {
            vd_sched_setaffinity(0, 2);
            vd_task_set_priority(0, k == 0 ? 20 : 240);
            spin_ms(30);
            vd_task_exit(0);
        }
        if (k == 0) hi = (u32)f.r1; else lo = (u32)f.r1;
    }
    vd_sleep(15);
    const struct vd_task_info *th = find(hi);
    u64 hi_rt = th ? th->runtime_ns : 0;
    const struct vd_task_info *tl = find(lo);
    u64 lo_rt = tl ? tl->runtime_ns : 0;
    CHECK(hi_rt > 2 * lo_rt);
    for (int k = 0; k < 2; k++) { i32 st; vd_wait(&st); }

    printf(failures ? "sched: %d failures\n" : "sched: ok\n", failures);
    return failures ? 1 : 0;
}
