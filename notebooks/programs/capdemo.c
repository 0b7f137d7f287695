/* capdemo: a small capability table to look at with %caps, for
 * notebooks/04-capabilities-and-ipc.ipynb. Creates a channel (two
 * endpoint handles), derives a narrower handle from one endpoint
 * (READ|WRITE|DERIVE) and a read-only one from that (a chain of two
 * derivation edges), shows that widening is refused, then sleeps 10 s of
 * virtual time so the notebook can inspect it. Exits 0. */
#include <stdio.h>
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>

int main(void)
{
    vd_ret ch = vd_channel_create();
    if (ch.status != 0) return 1;
    u32 a = (u32)ch.r1, b = (u32)ch.r2;
    vd_ret rw = vd_cap_derive(a, VD_RIGHT_READ | VD_RIGHT_WRITE | VD_RIGHT_DERIVE);
    if (rw.status != 0) return 1;
    vd_ret ro = vd_cap_derive((u32)rw.r1, VD_RIGHT_READ);
    if (ro.status != 0) return 1;
    vd_ret wide = vd_cap_derive((u32)ro.r1, VD_RIGHT_READ | VD_RIGHT_WRITE);
    printf("capdemo: channel endpoints 0x%x 0x%x, derived 0x%llx (rw + derive), 0x%llx (read-only)\n", a, b,
           (unsigned long long)rw.r1, (unsigned long long)ro.r1);
    printf("capdemo: widening the read-only handle returns %lld\n", (long long)wide.status);
    vd_sleep(10000);
    return 0;
}
