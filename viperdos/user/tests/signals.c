/* Signals: a handler runs and returns through the kernel's trampoline;
 * sigprocmask holds a signal until it is unblocked; ignored and
 * default-ignored signals; KILL to a child (default action, interrupted
 * sleep, process group); a blocked WAIT interrupted; SIGSEGV caught from a
 * wild read; SIGKILL cannot be caught or blocked; corrupted frames and a
 * stray SIGRETURN kill; error paths. Prints "signals: ok" and exits 0. */
#include <stdio.h>
#include <viperdos/syscall.h>
#include <viperdos/signal.h>
#include <viperdos/threads.h>

_Static_assert(sizeof(struct vd_sigframe) == 832, "frame layout");

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static volatile int hits[VD_NSIG + 1];
static volatile u64 last_ret_addr;
static volatile u32 mask_in_handler;

static void on_signal(int sig, u64 addr, struct vd_sigframe *f)
{
    (void)addr;
    hits[sig]++;
    last_ret_addr = (u64)__builtin_return_address(0);
    u32 m;
    vd_sigprocmask(VD_SIG_BLOCK, 0, &m);
    mask_in_handler = m;
    if (f->magic != VD_SIGFRAME_MAGIC || f->signum != (u32)sig) hits[0]++;
}

static void on_segv(int sig, u64 addr, struct vd_sigframe *f)
{
    (void)f;
    vd_task_exit(sig == VD_SIGSEGV && addr == 0x123456789000ul ? 77 : 1);
}

static void corrupt_frame(int sig, u64 addr, struct vd_sigframe *f)
{
    (void)sig; (void)addr;
    f->magic = 0; /* SIGRETURN must refuse this frame */
}

static void bad_pc(int sig, u64 addr, struct vd_sigframe *f)
{
    (void)sig; (void)addr;
    f->pc = 0x1000; /* below user space */
}

static int wait_status(u64 pid)
{
    i32 status = -12345;
    vd_ret w;
    do w = vd_waitpid((i64)pid, &status, 0); while (w.status == VD_EINTR);
    return w.status == 0 ? status : -99999;
}

/* Fork a child that runs f() and exits with its value. */
static u64 child(int (*f)(void))
{
    vd_ret r = vd_fork();
    if (r.r1 == 0) vd_task_exit(f());
    return r.r1;
}

static int sleep_long(void) { vd_sleep(1000); return 3; }
static int sleep_interrupted(void)
{
    vd_ret s = vd_sleep(1000);
    return s.status == VD_EINTR && hits[VD_SIGUSR1] == 1 ? 33 : 4;
}
static int wild_read(void)
{
    CHECK(vd_signal(VD_SIGSEGV, on_segv, 0, 0).status == 0);
    volatile long *p = (volatile long *)0x123456789000ul;
    return (int)*p;
}
static int bad_frame(void)
{
    vd_signal(VD_SIGUSR2, corrupt_frame, 0, 0);
    vd_kill((i64)vd_getpid().r1, VD_SIGUSR2);
    return 5; /* not reached */
}
static int bad_frame_pc(void)
{
    vd_signal(VD_SIGUSR2, bad_pc, 0, 0);
    vd_kill((i64)vd_getpid().r1, VD_SIGUSR2);
    return 5;
}
static int stray_sigreturn(void)
{
    vd_sigreturn();
    return 6;
}
static int reset_hand(void)
{
    int before = hits[VD_SIGUSR2];
    vd_signal(VD_SIGUSR2, on_signal, VD_SA_RESETHAND, 0);
    vd_kill((i64)vd_getpid().r1, VD_SIGUSR2);
    if (hits[VD_SIGUSR2] != before + 1) return 7;
    vd_kill((i64)vd_getpid().r1, VD_SIGUSR2); /* default now: terminate */
    return 8;
}
static int group_leader(void)
{
    vd_setpgid(0, 0); /* a new group: our pid */
    return sleep_interrupted();
}
static int signal_parent(void)
{
    vd_sleep(2);
    vd_kill((i64)vd_getppid().r1, VD_SIGUSR1);
    return 9;
}

static char thread_stack[16384] __attribute__((aligned(16)));
static volatile int thread_ready;

/* Unblocks SIGUSR1 (its mask is inherited from main, which blocks it) and waits for the handler to run here. */
static void taker(void *arg)
{
    int before = (int)(long)arg;
    u32 set = VD_SIGBIT(VD_SIGUSR1);
    vd_sigprocmask(VD_SIG_UNBLOCK, &set, 0);
    thread_ready = 1;
    while (hits[VD_SIGUSR1] == before) { }
    vd_thread_exit(vd_thread_self().r1);
}

int main(void)
{
    i64 me = (i64)vd_getpid().r1;

    /* 1. A handler runs on KILL to ourselves and returns through the trampoline. */
    CHECK(vd_signal(VD_SIGUSR1, on_signal, 0, VD_SIGBIT(VD_SIGUSR2)).status == 0);
    long keep = 12345;
    CHECK(vd_kill(me, VD_SIGUSR1).status == 0);
    CHECK(hits[VD_SIGUSR1] == 1);
    CHECK(last_ret_addr == VD_SIGTRAMP);
    CHECK(mask_in_handler == (VD_SIGBIT(VD_SIGUSR1) | VD_SIGBIT(VD_SIGUSR2)));
    CHECK(hits[0] == 0);
    CHECK(keep == 12345);
    u32 m = 99;
    CHECK(vd_sigprocmask(VD_SIG_BLOCK, 0, &m).status == 0 && m == 0); /* the old mask is back */
    struct vd_sigaction old;
    CHECK(vd_sigaction(VD_SIGUSR1, 0, &old).status == 0 && old.handler == (u64)(unsigned long)on_signal && old.mask == VD_SIGBIT(VD_SIGUSR2));

    /* 2. Blocked: pending until unblocked, then delivered at once. */
    CHECK(vd_signal(VD_SIGUSR2, on_signal, 0, 0).status == 0);
    u32 set = VD_SIGBIT(VD_SIGUSR2);
    CHECK(vd_sigprocmask(VD_SIG_BLOCK, &set, 0).status == 0);
    CHECK(vd_kill(me, VD_SIGUSR2).status == 0);
    CHECK(hits[VD_SIGUSR2] == 0);
    u32 pend = 0;
    CHECK(vd_sigpending(&pend).status == 0 && pend == VD_SIGBIT(VD_SIGUSR2));
    CHECK(vd_sigprocmask(VD_SIG_UNBLOCK, &set, 0).status == 0);
    CHECK(hits[VD_SIGUSR2] == 1);
    CHECK(vd_sigpending(&pend).status == 0 && pend == 0);

    /* 3. Ignored and default-ignored signals do nothing. */
    struct vd_sigaction ign = {VD_SIG_IGN, 0, 0};
    CHECK(vd_sigaction(VD_SIGTERM, &ign, 0).status == 0);
    CHECK(vd_kill(me, VD_SIGTERM).status == 0);
    CHECK(vd_kill(me, VD_SIGCHLD).status == 0);
    CHECK(vd_kill(me, 0).status == 0);

    /* 4. SIGKILL: not catchable, not blockable. */
    CHECK(vd_signal(VD_SIGKILL, on_signal, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_sigaction(VD_SIGKILL, &ign, 0).status == VERR_INVALID_ARG);
    u32 all = 0xffffffffu;
    CHECK(vd_sigprocmask(VD_SIG_SETMASK, &all, &m).status == 0);
    CHECK(vd_sigprocmask(VD_SIG_SETMASK, &m, &all).status == 0 && all == ~(VD_SIGBIT(VD_SIGKILL) | VD_SIGBIT(VD_SIGSTOP)));
    u64 k = child(sleep_long);
    vd_sleep(2);
    CHECK(vd_kill((i64)k, VD_SIGKILL).status == 0);
    CHECK(wait_status(k) == 128 + VD_SIGKILL);

    /* 5. KILL to a child: default action (terminate), and a handled one interrupting its sleep. */
    k = child(sleep_long);
    vd_sleep(2);
    CHECK(vd_kill((i64)k, VD_SIGINT).status == 0);
    CHECK(wait_status(k) == 128 + VD_SIGINT);
    hits[VD_SIGUSR1] = 0;
    k = child(sleep_interrupted);
    vd_sleep(2);
    CHECK(vd_kill((i64)k, VD_SIGUSR1).status == 0);
    CHECK(wait_status(k) == 33);
    CHECK(hits[VD_SIGUSR1] == 0); /* the child's handler ran in the child */

    /* 6. A process group: the child and ourselves. */
    k = child(sleep_interrupted);
    vd_sleep(2);
    CHECK(vd_kill(0, VD_SIGUSR1).status == 0);
    CHECK(hits[VD_SIGUSR1] == 1);
    CHECK(wait_status(k) == 33);
    hits[VD_SIGUSR1] = 0;
    k = child(group_leader);
    vd_sleep(2);
    CHECK(vd_getpgid((i64)k).r1 == k);
    CHECK(vd_kill(-(i64)k, VD_SIGUSR1).status == 0);
    CHECK(wait_status(k) == 33);
    CHECK(hits[VD_SIGUSR1] == 0); /* we are not in that group */

    /* 7. A blocked WAIT is interrupted by a handled signal. */
    k = child(signal_parent);
    i32 st;
    vd_ret w = vd_waitpid((i64)k, &st, 0);
    CHECK(w.status == VD_EINTR);
    CHECK(hits[VD_SIGUSR1] == 1);
    CHECK(wait_status(k) == 9);

    /* 8. SIGSEGV caught from a wild read; without a handler the kernel's fault kill (-1). */
    CHECK(wait_status(child(wild_read)) == 77);

    /* 9. Corrupted frames and a stray SIGRETURN end the process like SIGSEGV; SA_RESETHAND. */
    CHECK(wait_status(child(bad_frame)) == 128 + VD_SIGSEGV);
    CHECK(wait_status(child(bad_frame_pc)) == 128 + VD_SIGSEGV);
    CHECK(wait_status(child(stray_sigreturn)) == 128 + VD_SIGSEGV);
    CHECK(wait_status(child(reset_hand)) == 128 + VD_SIGUSR2);

    /* 10. A process-directed signal goes to a thread that does not block it. */
    u32 usr1 = VD_SIGBIT(VD_SIGUSR1);
    CHECK(vd_sigprocmask(VD_SIG_BLOCK, &usr1, 0).status == 0);
    int before = hits[VD_SIGUSR1];
    vd_ret th = vd_thread_start(taker, thread_stack + sizeof thread_stack, 0, (void *)(long)before);
    CHECK(th.status == 0);
    while (!thread_ready) vd_task_yield();
    CHECK(vd_kill(me, VD_SIGUSR1).status == 0);
    vd_ret tj = vd_thread_join((u32)th.r1);
    CHECK(tj.status == 0 && tj.r1 == th.r1);
    CHECK(hits[VD_SIGUSR1] == before + 1);
    CHECK(vd_sigpending(&pend).status == 0 && pend == 0);
    CHECK(vd_sigprocmask(VD_SIG_UNBLOCK, &usr1, &m).status == 0 && m == usr1);

    /* 11. Error paths. */
    CHECK(vd_signal(0, on_signal, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_signal(33, on_signal, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_signal(VD_SIGUSR1, (vd_sighandler)0x1000, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_signal(VD_SIGUSR1, (vd_sighandler)0x123456789000ul, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_signal(VD_SIGUSR1, on_signal, 0x80, 0).status == VERR_INVALID_ARG);
    CHECK(vd_sigaction(VD_SIGUSR1, (const struct vd_sigaction *)0x10, 0).status == VERR_INVALID_ARG);
    CHECK(vd_sigprocmask(7, &set, 0).status == VERR_INVALID_ARG);
    CHECK(vd_sigprocmask(VD_SIG_BLOCK, (const u32 *)0x123456789000ul, 0).status < 0);
    CHECK(vd_kill(me, 0).status == 0);
    CHECK(vd_kill(me, 33).status == VERR_INVALID_ARG);
    CHECK(vd_kill(me, -1).status == VERR_INVALID_ARG);
    CHECK(vd_kill(99999, VD_SIGUSR1).status == VERR_TASK_NOT_FOUND);
    CHECK(vd_kill(-99999, VD_SIGUSR1).status == VERR_TASK_NOT_FOUND);
    CHECK(vd_kill(-1, VD_SIGUSR1).status == VERR_NOT_SUPPORTED);
    CHECK(vd_sigpending((u32 *)0x10).status == VERR_INVALID_ARG);

    printf(failures ? "signals: %d failures\n" : "signals: ok\n", failures);
    return failures ? 1 : 0;
}
