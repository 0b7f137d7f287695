/* ViperDOS task structures (the layouts the kernel's
 * viperdos/kernel/syscall/dispatch.ts writes). */
#ifndef VIPERDOS_TASK_H
#define VIPERDOS_TASK_H
#include <viperdos/types.h>

enum { VD_TASK_READY = 0, VD_TASK_RUNNING = 1, VD_TASK_BLOCKED = 2, VD_TASK_EXITED = 3 };

struct vd_task_info {
    u32 tid;
    u32 pid;
    u32 state;
    i32 cpu;        /* running on, or last ran on; -1 never ran */
    u32 priority;
    u32 affinity;
    u64 runtime_ns;
    u64 switches;
    char name[32];
};

#endif
