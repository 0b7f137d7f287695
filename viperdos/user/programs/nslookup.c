/* nslookup: resolve names to IPv4 addresses (A records) through the DNS
 * server at 10.0.2.3 (the kernel's resolver: cache, retries).
 *   nslookup NAME...
 * Exits 0 when every name resolved, 10 otherwise. */
#include <stdio.h>
#include <viperdos/net.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: nslookup NAME...\n");
        return 20;
    }
    int rc = 0;
    char text[16];
    printf("Server:  10.0.2.3\n");
    for (int i = 1; i < argc; i++) {
        u32 ip;
        vd_ret r = vd_dns_resolve(argv[i], &ip);
        if (r.status != 0) {
            printf("%s: %s\n", argv[i], vd_error_message(r.status));
            rc = 10;
            continue;
        }
        printf("Name:    %s\nAddress: %s\n", argv[i], vd_format_ip(ip, text));
    }
    return rc;
}
