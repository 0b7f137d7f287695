/* Channels, handle transfer, rights, revoke, poll with timeouts, timers and
 * shared memory between two processes. The parent spawns ipc_child (from the
 * boot image) and talks to it over the bootstrap channel. Prints "ipc: ok"
 * and exits 0 when every check holds. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static char big[8193];

int main(void)
{
    /* --- one process: queue rules and error paths --- */
    vd_ret ch = vd_channel_create();
    CHECK(ch.status == 0);
    u32 a = (u32)ch.r1, b = (u32)ch.r2;
    char buf[64];
    u32 hs[4], hn = 4;
    CHECK(vd_channel_recv(b, buf, sizeof buf, hs, &hn).status == VERR_WOULD_BLOCK);
    CHECK(vd_channel_send(a, "ping", 4, 0, 0).status == 0);
    hn = 4;
    vd_ret r = vd_channel_recv(b, buf, sizeof buf, hs, &hn);
    CHECK(r.status == 0 && r.r1 == 4 && memcmp(buf, "ping", 4) == 0 && hn == 0);
    CHECK(vd_channel_send(a, big, sizeof big, 0, 0).status == VERR_MSG_TOO_LARGE);
    int sent = 0;
    while (vd_channel_send(a, "x", 1, 0, 0).status == 0) sent++;
    CHECK(sent == 16);
    CHECK(vd_channel_send(a, "x", 1, 0, 0).status == VERR_WOULD_BLOCK);

    /* rights: a derived read-only handle cannot send; widening is refused. */
    vd_ret ro = vd_cap_derive(a, VD_RIGHT_READ);
    CHECK(ro.status == 0);
    CHECK(vd_channel_send((u32)ro.r1, "y", 1, 0, 0).status == VERR_PERMISSION);
    CHECK(vd_cap_derive((u32)ro.r1, VD_RIGHT_READ | VD_RIGHT_WRITE).status < 0);
    struct vd_cap_info info;
    CHECK(vd_cap_query((u32)ro.r1, &info).status == 0 && info.kind == VD_KIND_CHANNEL && info.rights == VD_RIGHT_READ);
    /* revoke takes the derived handle with it. */
    vd_ret d2 = vd_cap_derive(a, VD_RIGHT_READ | VD_RIGHT_DERIVE);
    vd_ret d3 = vd_cap_derive((u32)d2.r1, VD_RIGHT_READ);
    CHECK(d3.status == 0);
    CHECK(vd_cap_revoke((u32)d2.r1).status == 0);
    CHECK(vd_cap_query((u32)d3.r1, &info).status < 0);
    /* closing the peer (every handle to it: a and the derived ro): the other
     * side sees -301 once its queue is empty. */
    CHECK(vd_channel_close(a).status == 0);
    hn = 4;
    CHECK(vd_channel_recv(b, buf, sizeof buf, hs, &hn).status == 0); /* ro keeps the endpoint alive */
    CHECK(vd_channel_close((u32)ro.r1).status == 0);
    CHECK(vd_cap_query(a, &info).status < 0); /* stale handle */
    for (int i = 0; i < 15; i++) { hn = 4; CHECK(vd_channel_recv(b, buf, sizeof buf, hs, &hn).status == 0); }
    hn = 4;
    CHECK(vd_channel_recv(b, buf, sizeof buf, hs, &hn).status == VERR_CHANNEL_CLOSED);
    vd_channel_close(b);

    /* --- poll: a timeout, then a timer event --- */
    vd_ret ps = vd_poll_create();
    vd_ret c2 = vd_channel_create();
    CHECK(vd_poll_add((u32)ps.r1, (u32)c2.r2, VD_POLL_READ).status == 0);
    struct vd_poll_event ev[4];
    u64 t0 = vd_time_now_ns().r1;
    vd_ret w = vd_poll_wait((u32)ps.r1, ev, 4, 5);
    u64 waited = vd_time_now_ns().r1 - t0;
    CHECK(w.status == 0 && w.r1 == 0);
    CHECK(waited >= 5000000 && waited < 7000000);
    vd_ret tm = vd_timer_create(2);
    CHECK(vd_poll_add((u32)ps.r1, (u32)tm.r1, VD_POLL_TIMER).status == 0);
    w = vd_poll_wait((u32)ps.r1, ev, 4, -1);
    CHECK(w.status == 0 && w.r1 == 1 && ev[0].handle == (u32)tm.r1 && (ev[0].events & VD_POLL_TIMER));

    /* --- two processes: bootstrap channel, handle transfer, shared memory --- */
    vd_ret sp = vd_task_spawn("C:ipc_child", "ipc_child", "");
    CHECK(sp.status == 0);
    u32 boot = (u32)sp.r3;
    vd_ret shm = vd_shm_create(8192);
    CHECK(shm.status == 0);
    volatile u32 *mem = (volatile u32 *)shm.r2;
    mem[0] = 0;
    vd_ret c3 = vd_channel_create();            /* a private channel for the reply */
    u32 give[2] = { (u32)c3.r2, (u32)shm.r1 };
    CHECK(vd_channel_send(boot, "hello child", 11, give, 2).status == 0);
    /* the handles moved: they are gone from our table */
    CHECK(vd_cap_query((u32)c3.r2, &info).status < 0);
    /* wait for the reply on our end of the private channel */
    vd_ret p2 = vd_poll_create();
    vd_poll_add((u32)p2.r1, (u32)c3.r1, VD_POLL_READ);
    w = vd_poll_wait((u32)p2.r1, ev, 4, 1000);
    CHECK(w.status == 0 && w.r1 == 1);
    hn = 4;
    r = vd_channel_recv((u32)c3.r1, buf, sizeof buf, hs, &hn);
    CHECK(r.status == 0 && r.r1 == 5 && memcmp(buf, "done!", 5) == 0);
    CHECK(mem[0] == 0xC0FFEE); /* the child wrote through its mapping */
    i32 status = -1;
    CHECK(vd_wait(&status).status == 0 && status == 0);

    printf(failures ? "ipc: %d failures\n" : "ipc: ok\n", failures);
    return failures ? 1 : 0;
}
