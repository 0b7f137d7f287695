/* ViperDOS user-space driver structures and addresses (the layouts
 * viperdos/kernel/drivers/user-device.ts defines). */
#ifndef VIPERDOS_DEVICE_H
#define VIPERDOS_DEVICE_H
#include <viperdos/types.h>

/* Where MAP_DEVICE and DMA_ALLOC place their mappings. */
#define VD_DEVICE_VA_BASE 0x6100000000ull
#define VD_DMA_VA_BASE    0x6800000000ull

/* vd_device_enum_info.flags */
enum { VD_DEV_KERNEL = 1, VD_DEV_CLAIMED = 2, VD_DEV_MINE = 4 };

struct vd_device_enum_info {
    u64 phys;         /* MMIO base */
    u32 size;         /* MMIO window (0x200 for virtio-mmio) */
    u32 irq;          /* GIC INTID */
    u32 slot;         /* virtio-mmio slot */
    u32 device_id;    /* virtio device type (4 = entropy) */
    u32 vendor_id;
    u32 flags;        /* VD_DEV_* */
    char name[32];
};

#endif
