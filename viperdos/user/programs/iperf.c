/* iperf: TCP throughput between two ViperDOS machines, or a machine and a
 * host peer, in virtual time.
 *   iperf -s [-p PORT] [-k]                       server: receive, report, reply
 *   iperf -c HOST [-p PORT] [-n BYTES] [-l BLOCK] [-C newreno|cubic]
 * The client sends BYTES (default 1 MiB) of a fixed pattern, half-closes, and
 * waits for the server's reply line "OK <bytes> <fnv1a>". Both sides print
 * bytes, virtual time, throughput in bytes per virtual second and the FNV-1a
 * (32-bit) checksum of the stream. Default port 5201. The server serves one
 * client (-k: keep serving). Exits 0 on success, 10 on a failure, 20 on usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/net.h>

#define FNV_OFFSET 0x811c9dc5u
#define FNV_PRIME 0x01000193u

static u32 fnv1a(u32 h, const u8 *p, usize n)
{
    for (usize i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

/* Byte i of the stream: the same pattern host tests generate (see test/net-e2e.test.ts). */
static void pattern(u8 *buf, u64 offset, usize n)
{
    for (usize i = 0; i < n; i++) {
        u64 x = offset + i;
        buf[i] = (u8)((x * 131u + (x >> 10)) & 0xff);
    }
}

static u64 now_ns(void) { return (u64)vd_time_now_ns().r1; }

static void report(const char *who, u64 bytes, u64 ns, u32 sum)
{
    u64 bps = ns ? bytes * 1000000000ull / ns : 0;
    printf("%s: %lu bytes in %lu.%06lu ms virtual: %lu bytes/virtual s (%lu.%02lu Mbit/s), fnv1a 0x%08x\n", who, (unsigned long)bytes,
           (unsigned long)(ns / 1000000), (unsigned long)(ns % 1000000), (unsigned long)bps, (unsigned long)(bps * 8 / 1000000),
           (unsigned long)(bps * 8 / 10000 % 100), sum);
}

static int serve_one(i32 ls)
{
    vd_ret a;
    for (;;) {
        a = vd_socket_accept(ls);
        if (a.status == 0) break;
        if (a.status != VERR_WOULD_BLOCK) {
            printf("iperf: accept: %s\n", vd_error_message(a.status));
            return 10;
        }
        long w = vd_sock_wait(ls, VD_POLL_READ, -1);
        if (w < 0) {
            printf("iperf: wait: %s\n", vd_error_message(w));
            return 10;
        }
    }
    i32 s = (i32)a.r1;
    char peer[16];
    printf("iperf: connection from %s:%u\n", vd_format_ip((u32)a.r2, peer), (unsigned)vd_ntohs((u16)a.r3));
    static u8 buf[65536];
    u64 total = 0, t0 = 0;
    u32 sum = FNV_OFFSET;
    for (;;) {
        long n = vd_recv_wait(s, buf, sizeof buf, 60000);
        if (n < 0) {
            printf("iperf: receive: %s after %lu bytes\n", vd_error_message(n), (unsigned long)total);
            vd_socket_close(s);
            return 10;
        }
        if (n == 0) break;
        if (total == 0) t0 = now_ns();
        sum = fnv1a(sum, buf, (usize)n);
        total += (u64)n;
    }
    u64 ns = now_ns() - t0;
    report("iperf server", total, ns, sum);
    char line[64];
    int len = snprintf(line, sizeof line, "OK %lu %08x\n", (unsigned long)total, sum);
    vd_send_all(s, line, (usize)len);
    vd_socket_close(s);
    return 0;
}

static int server(u16 port, int keep)
{
    vd_ret c = vd_socket_create();
    if (c.status != 0) {
        printf("iperf: socket: %s\n", vd_error_message(c.status));
        return 10;
    }
    i32 ls = (i32)c.r1;
    long r = vd_socket_bind(ls, 0, vd_htons(port)).status;
    if (r == 0) r = vd_socket_listen(ls, 8).status;
    if (r != 0) {
        printf("iperf: listen on %u: %s\n", (unsigned)port, vd_error_message(r));
        return 10;
    }
    printf("iperf: listening on port %u\n", (unsigned)port);
    int rc;
    do rc = serve_one(ls);
    while (keep && rc == 0);
    vd_socket_close(ls);
    return rc;
}

static int client(const char *host, u16 port, u64 bytes, usize block, int cc)
{
    u32 ip;
    long r = vd_lookup(host, &ip);
    if (r != 0) {
        printf("iperf: %s: %s\n", host, vd_error_message(r));
        return 10;
    }
    vd_ret c = vd_socket_create();
    if (c.status != 0) {
        printf("iperf: socket: %s\n", vd_error_message(c.status));
        return 10;
    }
    i32 s = (i32)c.r1;
    if (cc >= 0) vd_socket_setopt(s, VD_SOCKOPT_CONGESTION, (u32)cc);
    char text[16];
    u64 t0 = now_ns();
    r = vd_socket_connect(s, ip, vd_htons(port)).status;
    if (r != 0) {
        printf("iperf: connect to %s:%u: %s\n", vd_format_ip(ip, text), (unsigned)port, vd_error_message(r));
        return 10;
    }
    u64 t1 = now_ns();
    printf("iperf: connected to %s:%u in %lu us virtual\n", vd_format_ip(ip, text), (unsigned)port, (unsigned long)((t1 - t0) / 1000));
    static u8 buf[65536];
    if (block > sizeof buf) block = sizeof buf;
    u64 sent = 0;
    u32 sum = FNV_OFFSET;
    while (sent < bytes) {
        usize n = bytes - sent < block ? (usize)(bytes - sent) : block;
        pattern(buf, sent, n);
        sum = fnv1a(sum, buf, n);
        r = vd_send_all(s, buf, n);
        if (r != 0) {
            printf("iperf: send: %s after %lu bytes\n", vd_error_message(r), (unsigned long)sent);
            return 10;
        }
        sent += n;
    }
    vd_socket_setopt(s, VD_SOCKOPT_SHUTDOWN, 1);
    char reply[64];
    usize got = 0;
    while (got < sizeof reply - 1) {
        long n = vd_recv_wait(s, reply + got, sizeof reply - 1 - got, 60000);
        if (n <= 0) break;
        got += (usize)n;
        if (memchr(reply, '\n', got)) break;
    }
    reply[got] = 0;
    u64 ns = now_ns() - t1;
    report("iperf client", sent, ns, sum);
    vd_socket_close(s);
    unsigned long rbytes = 0;
    unsigned rsum = 0;
    if (got < 3 || memcmp(reply, "OK ", 3) != 0) {
        printf("iperf: no report from the server\n");
        return 10;
    }
    char *p = reply + 3;
    rbytes = strtoul(p, &p, 10);
    rsum = (unsigned)strtoul(p, &p, 16);
    printf("iperf: server received %lu bytes, fnv1a 0x%08x: %s\n", rbytes, rsum, rbytes == sent && rsum == sum ? "match" : "MISMATCH");
    return rbytes == sent && rsum == sum ? 0 : 10;
}

int main(int argc, char **argv)
{
    int is_server = 0, keep = 0, cc = -1;
    const char *host = 0;
    unsigned long port = 5201, block = 16384;
    u64 bytes = 1u << 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : 0;
        if (strcmp(a, "-s") == 0) is_server = 1;
        else if (strcmp(a, "-k") == 0) keep = 1;
        else if (strcmp(a, "-c") == 0 && v) host = v, i++;
        else if (strcmp(a, "-p") == 0 && v) port = strtoul(v, 0, 10), i++;
        else if (strcmp(a, "-n") == 0 && v) bytes = strtoull(v, 0, 10), i++;
        else if (strcmp(a, "-l") == 0 && v) block = strtoul(v, 0, 10), i++;
        else if (strcmp(a, "-C") == 0 && v) cc = strcmp(v, "cubic") == 0 ? VD_CC_CUBIC : VD_CC_NEWRENO, i++;
        else {
            printf("usage: iperf -s [-p PORT] [-k] | iperf -c HOST [-p PORT] [-n BYTES] [-l BLOCK] [-C newreno|cubic]\n");
            return 20;
        }
    }
    if (port == 0 || port > 65535 || block == 0 || (!is_server && !host)) {
        printf("usage: iperf -s [-p PORT] [-k] | iperf -c HOST [-p PORT] [-n BYTES] [-l BLOCK] [-C newreno|cubic]\n");
        return 20;
    }
    return is_server ? server((u16)port, keep) : client(host, (u16)port, bytes, block, cc);
}
