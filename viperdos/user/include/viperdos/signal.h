/* Signals (hand-written; the kernel side and the full rules are in
 * viperdos/kernel/proc/signals.ts).
 *
 * Numbers are Linux's; a set is a u32 with bit (sig - 1). A handler is
 * called as handler(sig, fault_address, frame) with SP at the signal frame
 * and x30 = the kernel's return trampoline (SIGRETURN), so returning from
 * it resumes the interrupted code. Default actions: SIGCHLD, SIGCONT,
 * SIGURG, SIGWINCH and the stop signals are ignored; the others end the
 * process with exit code 128 + sig. A blocking call a handled signal
 * interrupts returns VD_EINTR. */
#ifndef VIPERDOS_SIGNAL_H
#define VIPERDOS_SIGNAL_H

#include <viperdos/syscall.h>

#define VD_SIGHUP 1
#define VD_SIGINT 2
#define VD_SIGQUIT 3
#define VD_SIGILL 4
#define VD_SIGTRAP 5
#define VD_SIGABRT 6
#define VD_SIGBUS 7
#define VD_SIGFPE 8
#define VD_SIGKILL 9
#define VD_SIGUSR1 10
#define VD_SIGSEGV 11
#define VD_SIGUSR2 12
#define VD_SIGPIPE 13
#define VD_SIGALRM 14
#define VD_SIGTERM 15
#define VD_SIGCHLD 17
#define VD_SIGCONT 18
#define VD_SIGSTOP 19
#define VD_NSIG 32

#define VD_SIGBIT(s) (1u << ((s) - 1))

#define VD_SIG_DFL 0ul
#define VD_SIG_IGN 1ul
#define VD_SA_NODEFER 1u
#define VD_SA_RESETHAND 2u
#define VD_SIG_BLOCK 0
#define VD_SIG_UNBLOCK 1
#define VD_SIG_SETMASK 2

/* What an interrupted blocking call returns (errors.h has no EINTR). */
#define VD_EINTR VERR_UNKNOWN
/* Where the return trampoline page is mapped. */
#define VD_SIGTRAMP 0x7ffffffff000ul
#define VD_SIGFRAME_MAGIC 0x4d52464749534456ul /* "VDSIGFRM" */

struct vd_sigaction {
    u64 handler; /* VD_SIG_DFL, VD_SIG_IGN or a function */
    u32 flags;   /* VD_SA_* */
    u32 mask;    /* also blocked while the handler runs */
};

/* The frame the kernel pushes (832 bytes, 16-aligned); SIGRETURN restores it. */
struct vd_sigframe {
    u64 magic;
    u64 x[31];
    u64 sp, pc;
    u32 nzcv, fpcr, fpsr, mask, signum, pad0;
    u64 pad1;
    unsigned char v[32][16];
    u64 fault_address;
    u64 pad2;
};

typedef void (*vd_sighandler)(int sig, u64 fault_address, struct vd_sigframe *frame);

/* Install `h` for `sig` (flags VD_SA_*, extra blocked `mask`). */
static inline vd_ret vd_signal(int sig, vd_sighandler h, u32 flags, u32 mask)
{
    struct vd_sigaction a = {(u64)(unsigned long)h, flags, mask};
    return vd_sigaction(sig, &a, 0);
}

#endif
