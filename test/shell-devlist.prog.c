/* DEVICE_LIST (0xE3) through the syscall, for test/shell-programs.test.ts:
 * the count with buf NULL, a short list (max 2), a full list, and bad
 * pointers (below the user area, unmapped) that must give an error, never a
 * crash. Prints one line per check: "<what> status=<s> count=<n>", then the
 * first record's name and irq. */
#include <stdio.h>
#include <viperdos/syscall.h>

struct vd_device_info { char name[32]; char type[16]; u32 flags; u32 irq; };

int main(void)
{
    static struct vd_device_info devs[64];
    vd_ret all = vd_device_list(0, 0);
    printf("count status=%ld count=%ld\n", all.status, all.r1);
    vd_ret two = vd_device_list(devs, 2);
    printf("max2 status=%ld count=%ld\n", two.status, two.r1);
    vd_ret full = vd_device_list(devs, 64);
    printf("full status=%ld count=%ld first=%s irq=%u\n", full.status, full.r1, devs[0].name, devs[2].irq);
    vd_ret low = vd_device_list((struct vd_device_info *)0x1000, 64);
    printf("low status=%ld\n", low.status);
    vd_ret unmapped = vd_device_list((struct vd_device_info *)0x5000000000ull, 64);
    printf("unmapped status=%ld\n", unmapped.status);
    return 0;
}
