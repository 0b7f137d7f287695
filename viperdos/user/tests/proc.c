/* Processes: fork with copy-on-write, wait/waitpid with exit statuses,
 * sleep in virtual time, getpid/getppid, demand-paged heap, and the error
 * paths of bad pointers. Prints "proc: ok" and exits 0 when every check
 * holds; otherwise prints the failed check and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/syscall.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static int shared_value = 42;

int main(void)
{
    i64 me = vd_getpid().r1;
    CHECK(me >= 1);

    /* fork: the child sees the parent's memory, its writes stay private (COW). */
    vd_ret f = vd_fork();
    CHECK(f.status == 0);
    if (f.r1 == 0) {
        CHECK(vd_getppid().r1 == (u64)me);
        CHECK(shared_value == 42);
        shared_value = 7;
        vd_task_exit(shared_value + 10);
    }
    i32 status = -1;
    vd_ret w = vd_wait(&status);
    CHECK(w.status == 0 && w.r1 == f.r1);
    CHECK(status == 17);
    CHECK(shared_value == 42);

    /* waitpid with no children left: not found; WNOHANG with a running child: 0. */
    CHECK(vd_wait(&status).status == VERR_TASK_NOT_FOUND);
    vd_ret f2 = vd_fork();
    if (f2.r1 == 0) { vd_sleep(5); vd_task_exit(5); }
    CHECK(vd_waitpid((i64)f2.r1, &status, 1).r1 == 0);
    CHECK(vd_waitpid((i64)f2.r1, &status, 0).r1 == f2.r1 && status == 5);

    /* sleep: at least the requested virtual time passes. */
    u64 t0 = vd_time_now_ns().r1;
    CHECK(vd_sleep(3).status == 0);
    u64 slept = vd_time_now_ns().r1 - t0;
    CHECK(slept >= 3000000 && slept < 5000000);

    /* a demand-paged heap: 4 MiB touched page by page. */
    char *big = malloc(4 << 20);
    CHECK(big != 0);
    for (int i = 0; i < (4 << 20); i += 4096) big[i] = (char)i;
    CHECK(big[8192] == (char)8192);
    free(big);

    /* bad pointers give errors, never a crash. */
    CHECK(vd_write(1, (const void *)0, 5).status == VERR_INVALID_ARG);
    CHECK(vd_write(1, (const void *)0x1000, 5).status == VERR_INVALID_ARG);
    CHECK(vd_get_args((char *)0x7000000000, 100).status < 0);
    CHECK(vd_sys0(0xfff).status == VERR_NOT_SUPPORTED);

    printf(failures ? "proc: %d failures\n" : "proc: ok\n", failures);
    return failures ? 1 : 0;
}
