/* Socket-call fuzzer (test/net-socket-fuzz.test.ts): random socket, DNS, ping
 * and NET_STATS calls with arguments from live handles, stale and invented
 * handles, small and huge numbers, NULL, pointers into our buffer, unmapped
 * and kernel-range addresses. argv[1] = seed, argv[2] = iterations.
 * Prints "fuzz done N" when it ran every call. */
#include <stdio.h>
#include <stdlib.h>
#include <viperdos/net.h>

static unsigned long long state;
static unsigned long long next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* Large, so that no length the fuzzer passes (at most ~70000 bytes from up to 4 KiB in) writes past it. */
static char buf[1 << 18];
static long socks[8];

static long arg(void)
{
    switch (next() % 12) {
    case 0: return 0;
    case 1: return -1;
    case 2: return (long)(next() % 70000);
    case 3: return (long)next();
    case 4: return (long)buf + (long)(next() % 4096);
    case 5: return 0x1000;                 /* below user space */
    case 6: return (long)0xffff000000000000ull; /* kernel range */
    case 7: return 0x300000000;            /* unmapped */
    case 8: return socks[next() % 8];
    case 9: return (long)vd_ip(127, 0, 0, 1);
    case 10: return vd_htons((u16)(7000 + next() % 4));
    default: return (long)(next() % 16);
    }
}

int main(int argc, char **argv)
{
    state = argc > 1 ? strtoull(argv[1], 0, 10) * 2654435761u + 1 : 1;
    long iters = argc > 2 ? atol(argv[2]) : 2000;
    static const long calls[] = {
        SYS_SOCKET_CREATE, SYS_SOCKET_CONNECT, SYS_SOCKET_SEND, SYS_SOCKET_RECV, SYS_SOCKET_CLOSE, SYS_DNS_RESOLVE,
        SYS_SOCKET_POLL, SYS_SOCKET_BIND, SYS_SOCKET_LISTEN, SYS_SOCKET_ACCEPT, SYS_SOCKET_OPEN, SYS_SOCKET_SENDTO,
        SYS_SOCKET_RECVFROM, SYS_SOCKET_SETOPT, SYS_SOCKET_INFO, SYS_NET_STATS, SYS_PING,
    };
    long ok = 0;
    for (long i = 0; i < iters; i++) {
        long num = calls[next() % (sizeof calls / sizeof calls[0])];
        /* Keep blocking calls short: non-blocking sockets, short ping timeouts, loopback peers. */
        long a0 = arg(), a1 = arg(), a2 = arg(), a3 = arg(), a4 = arg();
        if (num == SYS_PING) a1 = (long)(next() % 50);
        if (num == SYS_SOCKET_CONNECT) a1 = (long)vd_ip(127, 0, 0, 1);
        if (num == SYS_DNS_RESOLVE && next() % 2) a0 = (long)"localhost";
        if (num == SYS_SOCKET_SETOPT && a1 == VD_SOCKOPT_NONBLOCK) a2 = 1; /* a blocking send to a peer that never reads would wait forever */
        vd_ret r = vd_sys6(num, a0, a1, a2, a3, a4, arg());
        if (r.status == 0) ok++;
        if ((num == SYS_SOCKET_CREATE || num == SYS_SOCKET_OPEN || num == SYS_SOCKET_ACCEPT) && r.status == 0) {
            long slot = (long)(next() % 8);
            socks[slot] = r.r1;
            vd_socket_setopt((i32)r.r1, VD_SOCKOPT_NONBLOCK, 1);
        }
    }
    for (int i = 0; i < 8; i++) vd_socket_close((i32)socks[i]);
    printf("fuzz done %ld (%ld ok)\n", iters, ok);
    return 0;
}
