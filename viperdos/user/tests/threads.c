/* Threads: four threads add to one counter with C11 atomics (LDXR/STXR at
 * -march=armv8-a, LDADD with LSE) and must reach the exact total; join
 * returns each thread's value; TPIDR_EL0 gives each its own block; error
 * paths of create/join/detach. Prints "threads: ok" and exits 0 when every
 * check holds. With argument "last" the main thread exits first and the
 * last thread's value becomes the exit code; with "taskexit" TASK_EXIT ends
 * a spinning thread; with "fault" a thread's wild read kills the process. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/threads.h>

#define NTHREADS 4
#define ITERS 100000

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static long counter;
static char stacks[NTHREADS + 2][16384] __attribute__((aligned(16)));

struct tls { long id; long checked; };
static struct tls blocks[NTHREADS];

static void *top(int i) { return stacks[i] + sizeof stacks[i]; }

static void worker(void *arg)
{
    long id = (long)arg;
    struct tls *me = vd_tls();
    for (int i = 0; i < ITERS; i++) __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    me->checked = (me->id == id); /* our TPIDR_EL0 points at our own block */
    vd_thread_exit(1000 + id);
}

static void sleeper(void *arg)
{
    vd_sleep((long)arg);
    vd_thread_exit(42);
}

static void spinner(void *arg)
{
    (void)arg;
    for (;;) __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
}

static void faulter(void *arg)
{
    (void)arg;
    vd_sleep(1);
    volatile long *wild = (volatile long *)0x123456789000;
    vd_thread_exit(*wild);
}

/* Joins a thread that is still sleeping (the blocking path), then exits with its value + 1. */
static void joiner(void *arg)
{
    vd_ret j = vd_thread_join((u32)(long)arg);
    vd_thread_exit(j.status == 0 ? j.r1 + 1 : 0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "last") == 0) {
        CHECK(vd_thread_start(sleeper, top(0), 0, (void *)3).status == 0);
        printf("main exits first\n");
        vd_thread_exit(7); /* the process lives on until the sleeper exits with 42 */
    }
    if (strcmp(mode, "taskexit") == 0) {
        CHECK(vd_thread_start(spinner, top(0), 0, 0).status == 0);
        CHECK(vd_thread_start(spinner, top(1), 0, 0).status == 0);
        vd_sleep(2);
        printf("spinners ran: %d\n", counter > 0);
        vd_task_exit(5);
    }
    if (strcmp(mode, "fault") == 0) {
        CHECK(vd_thread_start(faulter, top(0), 0, 0).status == 0);
        for (;;) vd_sleep(1);
    }

    /* Four workers, each with its own stack and thread-local block. */
    u32 tids[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) {
        blocks[i].id = i;
        vd_ret r = vd_thread_start(worker, top(i), &blocks[i], (void *)i);
        CHECK(r.status == 0);
        tids[i] = (u32)r.r1;
        printf("worker %ld tid %u\n", i, tids[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        vd_ret j = vd_thread_join(tids[i]);
        CHECK(j.status == 0 && j.r1 == (u64)(1000 + i));
        CHECK(blocks[i].checked == 1);
    }
    printf("counter %ld\n", counter);
    CHECK(counter == (long)NTHREADS * ITERS);

    /* Join: a joined thread is gone; yourself, a non-thread: errors. */
    CHECK(vd_thread_join(tids[0]).status == VERR_TASK_NOT_FOUND);
    CHECK(vd_thread_join((u32)vd_thread_self().r1).status == VERR_INVALID_ARG);
    CHECK(vd_thread_self().r1 == vd_task_current().r1);
    CHECK(vd_thread_join(99999).status == VERR_TASK_NOT_FOUND);
    CHECK(vd_thread_join((u32)vd_getpid().r1 + 5000).status == VERR_TASK_NOT_FOUND);

    /* A thread blocked in join on a sleeping thread wakes with its value. */
    vd_ret s = vd_thread_start(sleeper, top(0), 0, (void *)2);
    vd_ret jr = vd_thread_start(joiner, top(1), 0, (void *)s.r1);
    CHECK(s.status == 0 && jr.status == 0);
    vd_ret jj = vd_thread_join((u32)jr.r1);
    CHECK(jj.status == 0 && jj.r1 == 43);
    CHECK(vd_thread_join((u32)s.r1).status == VERR_TASK_NOT_FOUND); /* the joiner took it */

    /* Detach: joining a detached thread is an error; detaching twice too. */
    vd_ret d = vd_thread_start(sleeper, top(2), 0, (void *)1);
    CHECK(vd_thread_detach((u32)d.r1).status == 0);
    CHECK(vd_thread_detach((u32)d.r1).status == VERR_INVALID_ARG);
    CHECK(vd_thread_join((u32)d.r1).status == VERR_INVALID_ARG);
    CHECK(vd_thread_detach(99999).status == VERR_TASK_NOT_FOUND);
    vd_sleep(3); /* it exits; its record goes */
    CHECK(vd_thread_join((u32)d.r1).status == VERR_TASK_NOT_FOUND);

    /* Bad stacks and entries. */
    CHECK(vd_thread_start(worker, (char *)top(3) - 8, 0, 0).status == VERR_INVALID_ARG);        /* unaligned */
    CHECK(vd_thread_start(worker, (void *)0x300000000, 0, 0).status == VERR_INVALID_ARG);       /* unmapped */
    CHECK(vd_thread_start(worker, (void *)0x1000, 0, 0).status == VERR_INVALID_ARG);            /* below user space */
    CHECK(vd_thread_start((vd_thread_entry)0x123456789000, top(3), 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_thread_start((vd_thread_entry)((char *)worker + 2), top(3), 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_thread_start((vd_thread_entry)(void *)&counter, top(3), 0, 0).status == VERR_INVALID_ARG); /* data, not code */

    printf(failures ? "threads: %d failures\n" : "threads: ok\n", failures);
    return failures ? 1 : 0;
}
