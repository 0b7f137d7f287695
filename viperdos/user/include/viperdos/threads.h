/* Threads (hand-written; the kernel side is viperdos/kernel/proc/threads.ts).
 *
 * THREAD_CREATE takes a fourth register of ours, x3 = the argument the new
 * thread finds in x0; the generated vd_thread_create() passes only three,
 * so use vd_thread_start() below. A thread starts at `entry` with SP =
 * stack_top (16-byte aligned, inside a writable mapping) and TPIDR_EL0 =
 * tls, every other register zero. Its entry must not return (x30 is 0):
 * it ends with vd_thread_exit(retval). The last thread to exit ends the
 * process with exit code (i32) retval; vd_task_exit ends every thread.
 * Our libc is not thread-safe: threads other than main should not printf
 * or malloc. */
#ifndef VIPERDOS_THREADS_H
#define VIPERDOS_THREADS_H

#include <viperdos/syscall.h>

typedef void (*vd_thread_entry)(void *arg);

/* Start a thread; r1 = its tid. Errors: VERR_INVALID_ARG (entry or stack),
 * VERR_NO_RESOURCE (64 live threads already). */
static inline vd_ret vd_thread_start(vd_thread_entry entry, void *stack_top, void *tls, void *arg)
{
    return vd_sys4(SYS_THREAD_CREATE, (long)entry, (long)stack_top, (long)tls, (long)arg);
}

/* This thread's TPIDR_EL0 (its thread-local block). */
static inline void *vd_tls(void)
{
    void *p;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(p));
    return p;
}

#endif
