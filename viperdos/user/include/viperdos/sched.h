/* ViperDOS scheduling parameters: struct vd_sched_param as SCHED_SETPARAM
 * (0xE5) and SCHED_GETPARAM (0xE7) carry it; the layout belongs to
 * viperdos/kernel/sched/params.ts. */
#ifndef VIPERDOS_SCHED_H
#define VIPERDOS_SCHED_H
#include <viperdos/types.h>

/* Policy codes (Linux's SCHED_* values). */
enum { VD_SCHED_FAIR = 0, VD_SCHED_FIFO = 1, VD_SCHED_RR = 2, VD_SCHED_DEADLINE = 6 };

struct vd_sched_param {
    u32 policy;       /* VD_SCHED_* */
    u32 priority;     /* 0 (highest) .. 255, default 128 */
    u64 runtime_ns;   /* deadline class: CPU time per period */
    u64 deadline_ns;  /* deadline class: relative deadline (runtime <= deadline <= period) */
    u64 period_ns;    /* deadline class: period */
};

#endif
