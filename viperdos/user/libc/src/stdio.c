/* <stdio.h> streams: stdout is line-buffered, stderr unbuffered, stdin read
 * through a small buffer. Formatting lives in printf.c. */
#include <stdio.h>
#include <string.h>
#include "../sys/sys.h"

struct __file {
    int fd;
    int unbuffered;
    size_t len;  /* bytes buffered (output) or available (input) */
    size_t pos;  /* input read position */
    int eof;
    unsigned char buf[BUFSIZ];
};

static struct __file files[3] = {{0, 0, 0, 0, 0, {0}}, {1, 0, 0, 0, 0, {0}}, {2, 1, 0, 0, 0, {0}}};
FILE *const stdin = &files[0];
FILE *const stdout = &files[1];
FILE *const stderr = &files[2];

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        long r = __sys_write(fd, p, n);
        if (r <= 0) return EOF;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int fflush(FILE *f)
{
    if (!f) {
        fflush(stdout);
        return fflush(stderr);
    }
    if (f->fd == 0 || f->len == 0) return 0;
    int r = write_all(f->fd, f->buf, f->len);
    f->len = 0;
    return r;
}

size_t fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f)
{
    size_t total = size * n;
    const unsigned char *s = p;
    if (total == 0) return 0;
    if (f->unbuffered) return write_all(f->fd, s, total) == 0 ? n : 0;
    if (f->len + total > BUFSIZ) {
        if (fflush(f) < 0) return 0;
        if (total > BUFSIZ) return write_all(f->fd, s, total) == 0 ? n : 0;
    }
    memcpy(f->buf + f->len, s, total);
    f->len += total;
    if (memchr(s, '\n', total) && fflush(f) < 0) return 0;
    return n;
}

int fputc(int c, FILE *f)
{
    unsigned char ch = (unsigned char)c;
    return fwrite(&ch, 1, 1, f) == 1 ? ch : EOF;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

int fputs(const char *s, FILE *f)
{
    size_t n = strlen(s);
    return fwrite(s, 1, n, f) == n || n == 0 ? 0 : EOF;
}

int puts(const char *s)
{
    if (fputs(s, stdout) == EOF) return EOF;
    return putchar('\n') == EOF ? EOF : 0;
}

int fgetc(FILE *f)
{
    if (f->fd != 0) return EOF;
    if (f->pos == f->len) {
        if (f->eof) return EOF;
        fflush(stdout); /* prompts appear before input is read */
        long r = __sys_read(0, f->buf, BUFSIZ);
        if (r <= 0) {
            f->eof = 1;
            return EOF;
        }
        f->len = (size_t)r;
        f->pos = 0;
    }
    return f->buf[f->pos++];
}

int getc(FILE *f) { return fgetc(f); }
int getchar(void) { return fgetc(stdin); }

char *fgets(char *restrict s, int n, FILE *restrict f)
{
    int i = 0;
    while (i < n - 1) {
        int c = fgetc(f);
        if (c == EOF) break;
        s[i++] = (char)c;
        if (c == '\n') break;
    }
    if (i == 0) return NULL;
    s[i] = 0;
    return s;
}

size_t fread(void *restrict p, size_t size, size_t n, FILE *restrict f)
{
    unsigned char *d = p;
    size_t total = size * n, got = 0;
    while (got < total) {
        int c = fgetc(f);
        if (c == EOF) break;
        d[got++] = (unsigned char)c;
    }
    return size ? got / size : 0;
}
