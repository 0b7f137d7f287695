/* ViperDOS network structures and socket helpers (hand-written). The layouts
 * are the ones viperdos/kernel/syscall/net.ts reads and writes; the calls are
 * the generated vd_socket_* wrappers of <viperdos/syscall.h>.
 *
 * Addresses in syscalls are u32 in network byte order as stored in memory
 * (first octet in the low byte); ports are u16 in network byte order. */
#ifndef VIPERDOS_NET_H
#define VIPERDOS_NET_H
#include <viperdos/types.h>
#include <viperdos/ipc.h>
#include <viperdos/syscall.h>

struct vd_sockaddr { u32 ip; u16 port; u16 pad; };

struct vd_socket_info {
    u32 id;
    u8 proto;      /* VD_SOCK_STREAM, VD_SOCK_DGRAM */
    u8 state;      /* VD_SOCKSTATE_* */
    u8 tcp_state;  /* VD_TCP_* (RFC 9293 order) */
    u8 cc;         /* VD_CC_NEWRENO, VD_CC_CUBIC */
    u32 local_ip;
    u16 local_port;
    u16 remote_port;
    u32 remote_ip;
    u32 cwnd;      /* bytes */
    u32 ssthresh;  /* bytes; 0x7FFFFFFF or more: not set yet */
    u32 srtt_us;
    u32 rto_ms;
    u32 retransmits;
    u64 bytes_sent;
    u64 bytes_received;
    u32 in_flight;
    i32 error;
};

struct vd_net_stats {
    u32 ip, netmask, gateway, dns;
    u8 mac[6];
    u16 link_up;
    u64 rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped;
    u64 tcp_segments_out, tcp_retransmits;
    u32 sockets, arp_entries;
    u64 reserved;
};

enum { VD_SOCK_STREAM = 1, VD_SOCK_DGRAM = 2 };
enum { VD_SOCKOPT_CONGESTION = 1, VD_SOCKOPT_NODELAY = 2, VD_SOCKOPT_NONBLOCK = 3, VD_SOCKOPT_SHUTDOWN = 4 /* half close: FIN after queued data */ };
enum { VD_CC_NEWRENO = 0, VD_CC_CUBIC = 1 };
enum { VD_SOCKPOLL_READABLE = 0x1, VD_SOCKPOLL_WRITABLE = 0x2, VD_SOCKPOLL_CLOSED = 0x4, VD_SOCKPOLL_ERROR = 0x8 };
enum {
    VD_SOCKSTATE_NEW, VD_SOCKSTATE_BOUND, VD_SOCKSTATE_LISTENING, VD_SOCKSTATE_CONNECTING,
    VD_SOCKSTATE_CONNECTED, VD_SOCKSTATE_CLOSED, VD_SOCKSTATE_FAILED,
};
enum {
    VD_TCP_CLOSED, VD_TCP_LISTEN, VD_TCP_SYN_SENT, VD_TCP_SYN_RECEIVED, VD_TCP_ESTABLISHED,
    VD_TCP_FIN_WAIT_1, VD_TCP_FIN_WAIT_2, VD_TCP_CLOSE_WAIT, VD_TCP_CLOSING, VD_TCP_LAST_ACK, VD_TCP_TIME_WAIT,
};

static inline const char *vd_tcp_state_name(unsigned s)
{
    static const char *const names[] = { "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
        "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT" };
    return s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static inline u16 vd_htons(u16 v) { return (u16)((v << 8) | (v >> 8)); }
static inline u16 vd_ntohs(u16 v) { return vd_htons(v); }

/* The syscall form of a.b.c.d. */
static inline u32 vd_ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (u32)(a & 255) | (u32)(b & 255) << 8 | (u32)(c & 255) << 16 | (u32)(d & 255) << 24;
}

/* Parse "a.b.c.d" into *ip (syscall form); returns 1 on success, 0 otherwise. */
static inline int vd_parse_ip(const char *s, u32 *ip)
{
    unsigned part[4];
    for (int i = 0; i < 4; i++) {
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) v = v * 10 + (unsigned)(*s++ - '0'), digits++;
        if (digits == 0 || digits > 3 || v > 255) return 0;
        part[i] = v;
        if (i < 3 && *s++ != '.') return 0;
    }
    if (*s != 0) return 0;
    *ip = vd_ip(part[0], part[1], part[2], part[3]);
    return 1;
}

/* "a.b.c.d" of a syscall-form address into buf (at least 16 bytes); returns buf. */
static inline char *vd_format_ip(u32 ip, char *buf)
{
    char *p = buf;
    for (int i = 0; i < 4; i++) {
        unsigned v = (ip >> (8 * i)) & 255;
        char tmp[4];
        int n = 0;
        do tmp[n++] = (char)('0' + v % 10), v /= 10; while (v);
        while (n) *p++ = tmp[--n];
        if (i < 3) *p++ = '.';
    }
    *p = 0;
    return buf;
}

/* An address for a name: dotted quad, or resolved through DNS. Returns 0 or an error code. */
static inline long vd_lookup(const char *name, u32 *ip)
{
    if (vd_parse_ip(name, ip)) return 0;
    return vd_dns_resolve(name, ip).status;
}

/* Wait up to timeout_ms (-1: forever) until `sock` is ready for `events` (VD_POLL_*).
 * Returns the ready events, 0 on timeout, or an error code. One poll set per program. */
static inline long vd_sock_wait(i32 sock, u32 events, i64 timeout_ms)
{
    static long set = -1;
    if (set < 0) {
        vd_ret r = vd_poll_create();
        if (r.status != 0) return r.status;
        set = r.r1;
    }
    vd_ret a = vd_poll_add((u32)set, (u32)sock, events | VD_POLL_NETWORK);
    if (a.status != 0) return a.status;
    struct vd_poll_event ev;
    vd_ret w = vd_poll_wait((u32)set, &ev, 1, timeout_ms);
    vd_poll_remove((u32)set, (u32)sock);
    if (w.status != 0) return w.status;
    return w.r1 ? (long)ev.events : 0;
}

/* Receive up to len bytes, waiting up to timeout_ms for some. Returns bytes (0: end of
 * stream) or an error code (VERR_TIMEOUT when nothing came). */
static inline long vd_recv_wait(i32 sock, void *buf, usize len, i64 timeout_ms)
{
    for (;;) {
        vd_ret r = vd_socket_recv(sock, buf, len);
        if (r.status == 0) return (long)r.r1;
        if (r.status != VERR_WOULD_BLOCK) return r.status;
        long w = vd_sock_wait(sock, VD_POLL_READ, timeout_ms);
        if (w < 0) return w;
        if (w == 0) return VERR_TIMEOUT;
    }
}

/* Send all len bytes (SOCKET_SEND blocks while the buffer is full). Returns 0 or an error code. */
static inline long vd_send_all(i32 sock, const void *buf, usize len)
{
    const u8 *p = (const u8 *)buf;
    while (len > 0) {
        vd_ret r = vd_socket_send(sock, p, len);
        if (r.status != 0) return r.status;
        p += r.r1;
        len -= (usize)r.r1;
    }
    return 0;
}

#endif
