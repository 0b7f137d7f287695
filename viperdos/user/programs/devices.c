/* devices: the machine's devices from DEVICE_LIST (0xE3): name (kind and
 * MMIO base), type, GIC interrupt (INTID) and whether a kernel driver serves
 * it. Exits 0, or 10 when the kernel cannot list them. The record is
 * upstream's layout (viperdos/kernel/syscall/device-list.ts). */
#include <stdio.h>
#include <viperdos/syscall.h>

struct vd_device_info { char name[32]; char type[16]; u32 flags; u32 irq; };

#define DEVICE_FLAG_ACTIVE 0x1
#define DEVICE_FLAG_VIRTUAL 0x2
#define MAX_DEVICES 48

int main(void)
{
    static struct vd_device_info devs[MAX_DEVICES];
    vd_ret r = vd_device_list(devs, MAX_DEVICES);
    if (r.status != 0) {
        printf("devices: cannot list devices: %s (error %ld)\n", vd_error_message(r.status), r.status);
        return 10;
    }
    printf("  %-24s %-14s %5s  %s\n", "DEVICE", "TYPE", "IRQ", "STATE");
    int virtio = 0;
    for (long i = 0; i < r.r1; i++) {
        struct vd_device_info *d = &devs[i];
        char irq[12];
        if (d->irq) snprintf(irq, sizeof irq, "%u", d->irq);
        else snprintf(irq, sizeof irq, "-");
        printf("  %-24s %-14s %5s  %s\n", d->name, d->type, irq, d->flags & DEVICE_FLAG_ACTIVE ? "driver" : "idle");
        if (d->flags & DEVICE_FLAG_VIRTUAL) virtio++;
    }
    printf("%ld device%s, %d on virtio-mmio\n", r.r1, r.r1 == 1 ? "" : "s", virtio);
    return 0;
}
