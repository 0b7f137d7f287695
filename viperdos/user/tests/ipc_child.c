/* ipc.c's child: receives a channel and a shared memory handle on its
 * bootstrap channel (handle 0), writes 0xC0FFEE into the shared page and
 * replies "done!" on the received channel. */
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>

int main(void)
{
    char buf[64];
    u32 hs[4];
    u32 hn = 4;
    vd_ret ps = vd_poll_create();
    vd_poll_add((u32)ps.r1, 0, VD_POLL_READ);
    struct vd_poll_event ev[2];
    vd_poll_wait((u32)ps.r1, ev, 2, -1);
    vd_ret r = vd_channel_recv(0, buf, sizeof buf, hs, &hn);
    if (r.status != 0 || hn != 2) return 10;
    vd_ret m = vd_shm_map(hs[1]);
    if (m.status != 0) return 11;
    *(volatile u32 *)m.r1 = 0xC0FFEE;
    if (vd_channel_send(hs[0], "done!", 5, 0, 0).status != 0) return 12;
    return 0;
}
