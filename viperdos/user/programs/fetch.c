/* fetch: plain HTTP/1.1 GET (TLS comes later).
 *   fetch [-i] http://HOST[:PORT]/PATH
 * Prints the body (chunked transfer coding decoded); -i prints the status
 * line and headers first. Exits 0 for a 2xx answer, 5 for another status, 10
 * when the request failed, 20 on usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/net.h>

#define TIMEOUT_MS 30000

static i32 sock;
static u8 rbuf[8192];
static usize rpos, rlen;
static int reof;

/* Next byte of the response, or -1 at end of stream / error. */
static int next_byte(void)
{
    if (rpos == rlen) {
        if (reof) return -1;
        long n = vd_recv_wait(sock, rbuf, sizeof rbuf, TIMEOUT_MS);
        if (n <= 0) {
            reof = 1;
            if (n < 0) printf("fetch: receive: %s\n", vd_error_message(n));
            return -1;
        }
        rpos = 0;
        rlen = (usize)n;
    }
    return rbuf[rpos++];
}

/* One header line without CR LF into buf; returns its length or -1 at end of stream. */
static long read_line(char *buf, usize cap)
{
    usize n = 0;
    for (;;) {
        int c = next_byte();
        if (c < 0) return n ? (long)n : -1;
        if (c == '\n') break;
        if (c != '\r' && n + 1 < cap) buf[n++] = (char)c;
    }
    buf[n] = 0;
    return (long)n;
}

static int ieq_prefix(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char a = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
        if (a != *prefix) return 0;
    }
    return 1;
}

/* Copy `n` body bytes (or up to end of stream when n < 0) to stdout; returns bytes copied. */
static long copy_body(long n)
{
    long done = 0;
    while (n < 0 || done < n) {
        if (rpos == rlen) {
            int c = next_byte();
            if (c < 0) break;
            rpos--;
        }
        usize take = rlen - rpos;
        if (n >= 0 && (long)take > n - done) take = (usize)(n - done);
        fwrite(rbuf + rpos, 1, take, stdout);
        rpos += take;
        done += (long)take;
    }
    return done;
}

int main(int argc, char **argv)
{
    int show_headers = 0;
    const char *url = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-i") == 0) show_headers = 1;
        else if (!url) url = argv[i];
    }
    if (!url || strncmp(url, "http://", 7) != 0) {
        printf(url && strncmp(url, "https://", 8) == 0 ? "fetch: https is not supported yet (TLS comes later)\n"
                                                      : "usage: fetch [-i] http://HOST[:PORT]/PATH\n");
        return 20;
    }
    char host[256];
    const char *p = url + 7;
    usize h = 0;
    while (*p && *p != '/' && *p != ':' && h + 1 < sizeof host) host[h++] = *p++;
    host[h] = 0;
    unsigned long port = 80;
    if (*p == ':') port = strtoul(p + 1, (char **)&p, 10);
    const char *path = *p == '/' ? p : "/";
    if (h == 0 || port == 0 || port > 65535) {
        printf("fetch: bad URL %s\n", url);
        return 20;
    }
    u32 ip;
    long r = vd_lookup(host, &ip);
    if (r != 0) {
        printf("fetch: %s: %s\n", host, vd_error_message(r));
        return 10;
    }
    vd_ret c = vd_socket_create();
    if (c.status != 0) {
        printf("fetch: socket: %s\n", vd_error_message(c.status));
        return 10;
    }
    sock = (i32)c.r1;
    r = vd_socket_connect(sock, ip, vd_htons((u16)port)).status;
    if (r != 0) {
        char text[16];
        printf("fetch: connect to %s:%lu: %s\n", vd_format_ip(ip, text), port, vd_error_message(r));
        return 10;
    }
    static char req[1024];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ViperDOS-Fetch/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n", path, host);
    if (len <= 0 || (usize)len >= sizeof req || vd_send_all(sock, req, (usize)len) != 0) {
        printf("fetch: cannot send the request\n");
        return 10;
    }
    static char line[2048];
    if (read_line(line, sizeof line) < 0 || strncmp(line, "HTTP/1.", 7) != 0) {
        printf("fetch: no HTTP response\n");
        vd_socket_close(sock);
        return 10;
    }
    int status = atoi(line + 9);
    if (show_headers) printf("%s\n", line);
    long content_length = -1;
    int chunked = 0;
    for (;;) {
        long n = read_line(line, sizeof line);
        if (n <= 0) break;
        if (show_headers) printf("%s\n", line);
        if (ieq_prefix(line, "content-length:")) content_length = atol(line + 15);
        if (ieq_prefix(line, "transfer-encoding:") && strstr(line, "chunked")) chunked = 1;
    }
    if (show_headers) printf("\n");
    if (chunked) {
        for (;;) {
            if (read_line(line, sizeof line) < 0) break;
            long size = (long)strtoul(line, 0, 16);
            if (size <= 0) break;
            copy_body(size);
            read_line(line, sizeof line); /* the CR LF after the chunk */
        }
    } else {
        copy_body(content_length);
    }
    fflush(stdout);
    vd_socket_close(sock);
    if (status < 200 || status > 299) {
        printf("\nfetch: HTTP status %d\n", status);
        return 5;
    }
    return 0;
}
