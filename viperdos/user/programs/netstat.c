/* netstat: the network interface and every socket in the system, with the
 * TCP state, congestion window, ssthresh, smoothed RTT and congestion control
 * of each connection.
 *   netstat [-i]      (-i: the interface only) */
#include <stdio.h>
#include <string.h>
#include <viperdos/net.h>

static void endpoint(char *out, u32 ip, u16 port)
{
    char text[16];
    if (port == 0 && ip == 0) {
        strcpy(out, "*:*");
        return;
    }
    vd_format_ip(ip, text);
    sprintf(out, "%s:%u", ip ? text : "*", (unsigned)vd_ntohs(port));
}

int main(int argc, char **argv)
{
    int iface_only = argc > 1 && strcmp(argv[1], "-i") == 0;
    struct vd_net_stats st;
    vd_ret r = vd_net_stats(&st);
    if (r.status != 0) {
        printf("netstat: %s\n", vd_error_message(r.status));
        return 10;
    }
    char ip[16], gw[16], dns[16];
    printf("Interface eth0  %02x:%02x:%02x:%02x:%02x:%02x  link %s\n", st.mac[0], st.mac[1], st.mac[2], st.mac[3], st.mac[4], st.mac[5],
           st.link_up ? "up" : "down");
    printf("  inet %s  gateway %s  dns %s\n", vd_format_ip(st.ip, ip), vd_format_ip(st.gateway, gw), vd_format_ip(st.dns, dns));
    printf("  rx %lu packets %lu bytes (%lu dropped)  tx %lu packets %lu bytes\n", (unsigned long)st.rx_packets, (unsigned long)st.rx_bytes,
           (unsigned long)st.rx_dropped, (unsigned long)st.tx_packets, (unsigned long)st.tx_bytes);
    printf("  tcp segments out %lu, retransmitted %lu; ARP entries %u\n", (unsigned long)st.tcp_segments_out, (unsigned long)st.tcp_retransmits,
           st.arp_entries);
    if (iface_only) return 0;
    static struct vd_socket_info info[64];
    vd_ret l = vd_socket_info(info, 64);
    if (l.status != 0) {
        printf("netstat: %s\n", vd_error_message(l.status));
        return 10;
    }
    printf("\nProto Local                 Remote                State         Cwnd    Ssthresh  SRTT(ms)  CC\n");
    for (long i = 0; i < l.r1; i++) {
        struct vd_socket_info *s = &info[i];
        char local[24], remote[24], ss[16];
        endpoint(local, s->local_ip, s->local_port);
        endpoint(remote, s->remote_ip, s->remote_port);
        if (s->ssthresh >= 0x7fffffffu) strcpy(ss, "inf");
        else sprintf(ss, "%u", s->ssthresh);
        const char *state = s->proto == VD_SOCK_DGRAM ? "-" : vd_tcp_state_name(s->tcp_state);
        printf("%-5s %-21s %-21s %-12s %6u %10s  %4u.%03u  %s\n", s->proto == VD_SOCK_STREAM ? "tcp" : "udp", local, remote, state, s->cwnd, ss,
               s->srtt_us / 1000, s->srtt_us % 1000, s->proto == VD_SOCK_DGRAM ? "-" : s->cc == VD_CC_CUBIC ? "cubic" : "newreno");
    }
    if (l.r1 == 0) printf("(no sockets)\n");
    return 0;
}
