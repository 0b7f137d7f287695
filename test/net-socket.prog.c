/* Socket syscalls from a guest program, one line per check ("name value"),
 * read by test/net-socket.test.ts: error codes for bad use, UDP and TCP over
 * the loopback, poll readiness, SOCKET_INFO and SOCKET_POLL. */
#include <stdio.h>
#include <string.h>
#include <viperdos/net.h>

static void show(const char *name, long v) { printf("%s %ld\n", name, v); }

int main(void)
{
    u32 lo = vd_ip(127, 0, 0, 1);
    show("recv_bad_handle", vd_socket_recv(12345, 0, 1).status);
    i32 t = (i32)vd_socket_create().r1;
    char buf[256];
    show("recv_unconnected", vd_socket_recv(t, buf, sizeof buf).status);
    show("send_unconnected", vd_socket_send(t, "x", 1).status);
    show("setopt_bad_cc", vd_socket_setopt(t, VD_SOCKOPT_CONGESTION, 7).status);
    show("setopt_bad_opt", vd_socket_setopt(t, 99, 0).status);
    show("open_bad_type", vd_socket_open(9).status);
    show("dns_empty", vd_dns_resolve("", (u32 *)buf).status);
    show("dns_bad_pointer", vd_dns_resolve((const char *)16, (u32 *)buf).status);
    show("connect_refused", vd_socket_connect(t, lo, vd_htons(9)).status);

    /* UDP over the loopback. */
    i32 u = (i32)vd_socket_open(VD_SOCK_DGRAM).r1;
    show("udp_bind", vd_socket_bind(u, 0, vd_htons(7000)).status);
    show("udp_recv_empty", vd_socket_recvfrom(u, buf, sizeof buf, 0).status);
    static char big[2000];
    show("udp_too_large", vd_socket_sendto(u, big, sizeof big, lo, vd_htons(7000)).status);
    show("udp_send", vd_socket_sendto(u, "ping!", 5, lo, vd_htons(7000)).r1);
    show("udp_wait", vd_sock_wait(u, VD_POLL_READ, 1000));
    struct vd_sockaddr from;
    vd_ret r = vd_socket_recvfrom(u, buf, sizeof buf, &from);
    buf[r.status == 0 ? r.r1 : 0] = 0;
    printf("udp_got %s %ld %u\n", buf, (long)r.r1, (unsigned)vd_ntohs(from.port));
    show("udp_from_loopback", from.ip == lo);

    /* TCP over the loopback, non-blocking, driven by poll. */
    i32 l = (i32)vd_socket_create().r1;
    i32 l2 = (i32)vd_socket_create().r1;
    show("listen_bind", vd_socket_bind(l, 0, vd_htons(8000)).status);
    show("listen", vd_socket_listen(l, 4).status);
    show("bind_in_use", vd_socket_bind(l2, 0, vd_htons(8000)).status);
    show("accept_none", vd_socket_accept(l).status);
    i32 c = (i32)vd_socket_create().r1;
    vd_socket_setopt(c, VD_SOCKOPT_NONBLOCK, 1);
    show("connect_nonblock", vd_socket_connect(c, lo, vd_htons(8000)).status);
    show("accept_ready", vd_sock_wait(l, VD_POLL_READ, 1000));
    r = vd_socket_accept(l);
    show("accept", r.status);
    show("accept_peer_is_loopback", (u32)r.r2 == lo);
    i32 s = (i32)r.r1;
    show("client_ready", vd_sock_wait(c, VD_POLL_WRITE, 1000) & VD_POLL_WRITE);
    show("send", vd_socket_send(c, "hello, server", 13).r1);
    show("server_readable", vd_sock_wait(s, VD_POLL_READ, 1000) & VD_POLL_READ);
    u32 flags = 0, avail = 0;
    show("socket_poll", vd_socket_poll(s, &flags, &avail).status);
    show("poll_flags_readable", flags & VD_SOCKPOLL_READABLE);
    show("poll_avail", avail);
    long n = vd_recv_wait(s, buf, sizeof buf, 1000);
    buf[n > 0 ? n : 0] = 0;
    printf("tcp_got %s\n", buf);
    show("recv_empty", vd_socket_recv(s, buf, sizeof buf).status);
    static struct vd_socket_info info[16];
    vd_ret in = vd_socket_info(info, 16);
    long established = 0;
    for (long i = 0; i < in.r1; i++)
        if (info[i].proto == VD_SOCK_STREAM && info[i].tcp_state == VD_TCP_ESTABLISHED && info[i].cwnd > 0) established++;
    show("info_count", in.r1);
    show("info_established", established);
    show("close_client", vd_socket_close(c).status);
    show("server_eof", vd_recv_wait(s, buf, sizeof buf, 1000));
    show("close_twice", vd_socket_close(c).status);
    vd_socket_close(s);
    vd_socket_close(l);
    show("set_default_cc", vd_socket_setopt(-1, VD_SOCKOPT_CONGESTION, VD_CC_CUBIC).status);
    i32 c2 = (i32)vd_socket_create().r1;
    vd_ret in2 = vd_socket_info(info, 16);
    long cubic = 0;
    for (long i = 0; i < in2.r1; i++) if (info[i].cc == VD_CC_CUBIC) cubic++;
    show("new_socket_cubic", cubic >= 1);
    vd_socket_close(c2);
    printf("done\n");
    return 0;
}
