/* ping: ICMP echo through the kernel's PING call.
 *   ping HOST [-c COUNT] [-W TIMEOUT_MS]
 * HOST is a dotted quad or a name (resolved through DNS). Prints one line per
 * reply and a summary; exits 0 when every echo was answered, 5 when some were
 * lost, 10 when none were (or HOST is unknown). Times are virtual. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/net.h>

int main(int argc, char **argv)
{
    const char *host = 0;
    long count = 4, timeout = 1000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) count = atol(argv[++i]);
        else if (strcmp(argv[i], "-W") == 0 && i + 1 < argc) timeout = atol(argv[++i]);
        else if (argv[i][0] != '-' && !host) host = argv[i];
        else {
            printf("usage: ping HOST [-c COUNT] [-W TIMEOUT_MS]\n");
            return 20;
        }
    }
    if (!host) {
        printf("usage: ping HOST [-c COUNT] [-W TIMEOUT_MS]\n");
        return 20;
    }
    if (count < 1) count = 1;
    if (timeout < 1) timeout = 1;
    u32 ip;
    long r = vd_lookup(host, &ip);
    char text[16];
    if (r != 0) {
        printf("ping: %s: %s\n", host, vd_error_message(r));
        return 10;
    }
    printf("PING %s (%s)\n", host, vd_format_ip(ip, text));
    long got = 0;
    u64 min = ~0ull, max = 0, sum = 0;
    for (long seq = 1; seq <= count; seq++) {
        vd_ret p = vd_ping(ip, (u32)timeout);
        if (p.status == 0) {
            u64 us = (u64)p.r1;
            got++;
            sum += us;
            if (us < min) min = us;
            if (us > max) max = us;
            printf("reply from %s: seq=%ld time=%lu.%03lu ms\n", text, seq, (unsigned long)(us / 1000), (unsigned long)(us % 1000));
        } else {
            printf("no reply from %s: seq=%ld (%s)\n", text, seq, vd_error_message(p.status));
        }
    }
    printf("--- %s: %ld sent, %ld received, %ld%% lost\n", host, count, got, (count - got) * 100 / count);
    if (got) {
        u64 avg = sum / (u64)got;
        printf("rtt min/avg/max = %lu.%03lu/%lu.%03lu/%lu.%03lu ms (virtual)\n", (unsigned long)(min / 1000), (unsigned long)(min % 1000),
               (unsigned long)(avg / 1000), (unsigned long)(avg % 1000), (unsigned long)(max / 1000), (unsigned long)(max % 1000));
    }
    return got == count ? 0 : got ? 5 : 10;
}
