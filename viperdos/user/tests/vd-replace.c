/* REPLACE (exec): failed replaces leave the caller running with an error
 * code (no such program, not an ELF, bad pointers, a listed handle that is
 * not open, too many handles); a forked child with two channels and a
 * second thread replaces itself by this same program from the file system
 * ("phase2"): same pid, one task, new arguments through GET_ARGS, the
 * listed channel kept under its handle values and working, the other
 * closed. Prints "replace: ok" and exits 0 when every check holds; phase 2
 * exits 42. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>
#include <viperdos/task.h>
#include <viperdos/threads.h>
#include <viperdos/signal.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static struct vd_task_info infos[32];

static int tasks_of(u32 pid)
{
    vd_ret n = vd_task_list(infos, 32);
    int c = 0;
    for (u64 i = 0; i < n.r1; i++) c += infos[i].pid == pid;
    return c;
}

/* After the replace: argv = phase2 <keep0> <keep1> <dropped> <pid>. */
static int phase2(int argc, char **argv)
{
    if (argc != 6) { printf("phase2: argc=%d\n", argc); return 1; }
    u32 k0 = (u32)strtoul(argv[2], 0, 10), k1 = (u32)strtoul(argv[3], 0, 10), dropped = (u32)strtoul(argv[4], 0, 10);
    u32 pid = (u32)strtoul(argv[5], 0, 10);
    struct vd_cap_info ci;
    CHECK(vd_getpid().r1 == pid);
    CHECK(tasks_of(pid) == 1);
    CHECK(vd_cap_query(k0, &ci).status == 0 && ci.kind == VD_KIND_CHANNEL);
    CHECK(vd_cap_query(k1, &ci).status == 0);
    CHECK(vd_cap_query(dropped, &ci).status < 0);
    CHECK(vd_channel_send(k0, "kept", 5, 0, 0).status == 0);
    char buf[8] = {0};
    u32 hc = 0;
    CHECK(vd_channel_recv(k1, buf, sizeof buf, 0, &hc).r1 == 5 && strcmp(buf, "kept") == 0);
    char args[128];
    CHECK(vd_get_args(args, sizeof args).status == 0 && strncmp(args, "phase2 ", 7) == 0);
    /* a handler does not survive exec (its code is gone); an ignored signal stays ignored */
    struct vd_sigaction old;
    CHECK(vd_sigaction(VD_SIGUSR1, 0, &old).status == 0 && old.handler == VD_SIG_DFL);
    CHECK(vd_sigaction(VD_SIGUSR2, 0, &old).status == 0 && old.handler == VD_SIG_IGN);
    printf(failures ? "phase2: %d failures\n" : "phase2: ok\n", failures);
    return failures ? 1 : 42;
}

static u8 stack[16384] __attribute__((aligned(16)));
static void spinner(void *arg) { (void)arg; for (;;) vd_task_yield(); }
static void on_usr1(int sig, u64 addr, struct vd_sigframe *f) { (void)sig; (void)addr; (void)f; }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "phase2") == 0) return phase2(argc, argv);
    /* `chain N [T0]`: replace itself N times (the bench's exec figure); prints the total virtual time */
    if (argc > 2 && strcmp(argv[1], "chain") == 0) {
        u64 left = strtoull(argv[2], 0, 10);
        u64 t0 = argc > 3 ? strtoull(argv[3], 0, 10) : vd_time_now_ns().r1;
        if (left == 0) {
            printf("replace chain ns=%llu\n", (unsigned long long)(vd_time_now_ns().r1 - t0));
            return 0;
        }
        char next[64];
        snprintf(next, sizeof next, "chain %llu %llu", (unsigned long long)(left - 1), (unsigned long long)t0);
        vd_ret r = vd_replace("vd-replace", 0, 0, next);
        printf("replace chain: error %ld\n", (long)r.status);
        return 1;
    }

    vd_ret a = vd_channel_create();
    u32 keep[2] = { (u32)a.r1, (u32)a.r2 };
    /* errors: the caller carries on */
    CHECK(vd_replace("C:no-such-program", 0, 0, 0).status == VERR_NOT_FOUND);
    CHECK(vd_replace("S:startup", 0, 0, 0).status == VERR_INVALID_ARG); /* not an ELF */
    CHECK(vd_replace(0, 0, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_replace((const char *)0x10, 0, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_replace("C:vd-replace.prg", (const u32 *)0x10, 1, 0).status == VERR_INVALID_ARG);
    CHECK(vd_replace("C:vd-replace.prg", keep, 100000, 0).status == VERR_INVALID_ARG);
    u32 stale[2] = { keep[0], 0x00ab0033 };
    CHECK(vd_replace("C:vd-replace.prg", stale, 2, 0).status == VERR_INVALID_HANDLE);
    CHECK(vd_replace("C:vd-replace.prg", keep, 2, (const char *)0x10).status == VERR_INVALID_ARG);
    struct vd_cap_info ci;
    CHECK(vd_cap_query(keep[0], &ci).status == 0); /* nothing was closed by the failures */
    vd_channel_close(keep[0]);
    vd_channel_close(keep[1]);

    vd_ret f = vd_fork();
    if (f.r1 == 0) {
        vd_ret c1 = vd_channel_create();
        vd_ret c2 = vd_channel_create();
        u32 k[2] = { (u32)c1.r1, (u32)c1.r2 };
        vd_thread_start(spinner, stack + sizeof stack, 0, 0);
        vd_signal(VD_SIGUSR1, on_usr1, 0, 0);
        struct vd_sigaction ign = { VD_SIG_IGN, 0, 0 };
        vd_sigaction(VD_SIGUSR2, &ign, 0);
        u32 me = (u32)vd_getpid().r1;
        char args[96];
        snprintf(args, sizeof args, "phase2 %u %u %u %u", k[0], k[1], (u32)c2.r1, me);
        vd_ret r = vd_replace("C:vd-replace.prg", k, 2, args);
        printf("replace returned %ld\n", (long)r.status);
        vd_task_exit(1);
    }
    i32 st = -1;
    CHECK(vd_waitpid(f.r1, &st, 0).r1 == f.r1);
    CHECK(st == 42);
    printf(failures ? "replace: %d failures\n" : "replace: ok\n", failures);
    return failures;
}
