/* mkfile: writes a file for notebooks/05-file-system.ipynb.
 *   mkfile PATH BYTES [WORD]   creates (or truncates) PATH and writes BYTES
 *                              bytes (0..262144): WORD and a line number on
 *                              each line (default "viperfs"), in 4 KiB writes
 * Each write is one journal transaction in the kernel; the program prints how
 * many writes it made. Exits 0, 10 when a call fails (with the error code),
 * 20 for bad arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viperdos/syscall.h>

#define O_WRONLY 1
#define O_CREAT 0x40
#define O_TRUNC 0x200

static char chunk[4096];

int main(int argc, char **argv)
{
    long bytes = argc >= 3 ? atol(argv[2]) : -1;
    if (argc < 3 || argc > 4 || bytes < 0 || bytes > 262144) {
        printf("usage: mkfile PATH BYTES [WORD]   (BYTES 0..262144)\n");
        return 20;
    }
    const char *word = argc == 4 ? argv[3] : "viperfs";
    vd_ret o = vd_open(argv[1], O_WRONLY | O_CREAT | O_TRUNC);
    if (o.status != 0) {
        printf("mkfile: cannot create %s (error %lld)\n", argv[1], (long long)o.status);
        return 10;
    }
    i32 fd = (i32)o.r1;
    long left = bytes, line = 1;
    int writes = 0, at = 0;
    while (left > 0) {
        /* fill the chunk with whole lines "WORD NNNNN\n" (the last one may be cut) */
        at = 0;
        while (at < (int)sizeof chunk) {
            char l[64];
            int n = snprintf(l, sizeof l, "%s %05ld\n", word, line++);
            if (at + n > (int)sizeof chunk) n = (int)sizeof chunk - at;
            memcpy(chunk + at, l, (size_t)n);
            at += n;
        }
        long n = left < (long)sizeof chunk ? left : (long)sizeof chunk;
        vd_ret w = vd_write(fd, chunk, (u64)n);
        if (w.status != 0 || (long)w.r1 != n) {
            printf("mkfile: write to %s failed (error %lld)\n", argv[1], (long long)w.status);
            return 10;
        }
        writes++;
        left -= n;
    }
    vd_close(fd);
    printf("mkfile: wrote %ld bytes to %s in %d writes\n", bytes, argv[1], writes);
    return 0;
}
