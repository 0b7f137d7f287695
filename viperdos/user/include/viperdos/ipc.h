/* ViperDOS IPC and capability structures (the layouts the kernel's
 * viperdos/kernel/syscall/ipc.ts reads and writes), rights and events. */
#ifndef VIPERDOS_IPC_H
#define VIPERDOS_IPC_H
#include <viperdos/types.h>

struct vd_poll_event { u32 handle; u32 events; };
struct vd_cap_info { u32 kind; u32 rights; u32 generation; u32 pad; };
struct vd_cap_entry { u32 handle; u32 kind; u32 rights; u32 pad; };

enum {
    VD_KIND_CHANNEL = 1, VD_KIND_POLL = 2, VD_KIND_TIMER = 3, VD_KIND_SHM = 4,
};

enum {
    VD_RIGHT_READ = 0x1, VD_RIGHT_WRITE = 0x2, VD_RIGHT_EXECUTE = 0x4, VD_RIGHT_LIST = 0x8,
    VD_RIGHT_CREATE = 0x10, VD_RIGHT_DELETE = 0x20, VD_RIGHT_DERIVE = 0x40, VD_RIGHT_TRANSFER = 0x80,
    VD_RIGHT_SPAWN = 0x100, VD_RIGHT_TRAVERSE = 0x200, VD_RIGHT_DEVICE = 0x400, VD_RIGHT_IRQ = 0x800,
    VD_RIGHT_DMA = 0x1000,
};

enum { VD_POLL_READ = 0x1, VD_POLL_WRITE = 0x2, VD_POLL_TIMER = 0x4, VD_POLL_CONSOLE = 0x8, VD_POLL_NETWORK = 0x10 };
#define VD_CONSOLE_HANDLE 0xFFFF0001u

#endif
