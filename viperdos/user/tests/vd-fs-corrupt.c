/* The workload test/kernel-fs-corrupt.test.ts runs on a machine whose user
 * disk (D1:) is a damaged image: it walks and reads what it can of D1:,
 * then creates, writes, renames, links and removes there, ignoring the
 * errors those calls may return (a damaged disk may refuse anything). The
 * system disk must be unharmed: every SYS: call must succeed, and the file
 * written there must read back. Prints "FAIL ..." for a SYS: failure, then
 * "corrupt: done <n>" (n: D1: calls that failed) and exits 0. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0x40
#define O_TRUNC 0x200

static int d1_errors, failures;
static char buf[8192];

static void try_d1(long status) { if (status != 0) d1_errors++; }

/* Read every file of directory `dir` (one level, a few directories deeper), discarding the bytes. */
static void walk(const char *dir, int depth)
{
    vd_ret o = vd_open(dir, O_RDONLY);
    try_d1(o.status);
    if (o.status != 0) return;
    int fd = (int)o.r1;
    char recs[512];
    for (int rounds = 0; rounds < 64; rounds++) {
        vd_ret r = vd_readdir(fd, recs, sizeof recs);
        try_d1(r.status);
        if (r.status != 0 || r.r1 == 0) break;
        for (long at = 0; at + 12 <= (long)r.r1;) {
            unsigned short reclen = (unsigned short)(recs[at + 8] | (recs[at + 9] << 8));
            unsigned char type = (unsigned char)recs[at + 10];
            char path[300];
            snprintf(path, sizeof path, "%s/%s", dir, recs + at + 12);
            if (type == 2 && depth < 3) walk(path, depth + 1);
            else {
                vd_ret f = vd_open(path, O_RDONLY);
                try_d1(f.status);
                if (f.status == 0) {
                    for (int k = 0; k < 16; k++) {
                        vd_ret rr = vd_read((int)f.r1, buf, sizeof buf);
                        try_d1(rr.status);
                        if (rr.status != 0 || rr.r1 == 0) break;
                    }
                    vd_close((int)f.r1);
                }
            }
            if (reclen < 12) break;
            at += reclen;
        }
    }
    vd_close(fd);
}

int main(void)
{
    walk("D1:", 0);
    struct { u64 a[7]; } st;
    try_d1(vd_stat("D1:t", (void *)&st).status);
    try_d1(vd_mkdir("D1:t/fuzz").status);
    vd_ret o = vd_open("D1:t/fuzz/new", O_RDWR | O_CREAT);
    try_d1(o.status);
    if (o.status == 0) {
        memset(buf, 'q', sizeof buf);
        try_d1(vd_write((int)o.r1, buf, sizeof buf).status);
        try_d1(vd_lseek((int)o.r1, 100, 0).status);
        try_d1(vd_read((int)o.r1, buf, 100).status);
        try_d1(vd_fsync((int)o.r1).status);
        vd_close((int)o.r1);
    }
    try_d1(vd_rename("D1:t/fuzz/new", "D1:t/renamed").status);
    try_d1(vd_symlink("renamed", "D1:t/fuzzlink").status);
    try_d1(vd_open("D1:t/fuzzlink", O_RDONLY).status);
    try_d1(vd_unlink("D1:t/renamed").status);
    try_d1(vd_unlink("D1:s/startup").status);
    try_d1(vd_rmdir("D1:t/fuzz").status);
    o = vd_open("D1:c/big", O_WRONLY | O_CREAT | O_TRUNC);
    try_d1(o.status);
    if (o.status == 0) {
        for (int i = 0; i < 8; i++) try_d1(vd_write((int)o.r1, buf, sizeof buf).status);
        vd_close((int)o.r1);
    }

    /* The system disk is another volume: it must not notice. */
    o = vd_open("SYS:fuzz-ok", O_RDWR | O_CREAT | O_TRUNC);
    if (o.status != 0) { printf("FAIL SYS open %ld\n", (long)o.status); failures++; }
    else {
        if (vd_write((int)o.r1, "sys ok", 6).status != 0) { printf("FAIL SYS write\n"); failures++; }
        vd_lseek((int)o.r1, 0, 0);
        char back[8] = {0};
        vd_ret r = vd_read((int)o.r1, back, 6);
        if (r.status != 0 || r.r1 != 6 || memcmp(back, "sys ok", 6) != 0) { printf("FAIL SYS read\n"); failures++; }
        vd_close((int)o.r1);
    }
    vd_ret v = vd_open("SYS:vinit.sys", O_RDONLY);
    if (v.status != 0) { printf("FAIL SYS vinit.sys %ld\n", (long)v.status); failures++; }
    else vd_close((int)v.r1);
    printf("corrupt: done %d\n", d1_errors);
    return failures ? 1 : 0;
}
