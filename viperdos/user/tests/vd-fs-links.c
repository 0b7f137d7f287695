/* Symbolic links and cold reads from user space (test/kernel-fs-links.test.ts).
 * The host puts D1:t/data.bin (65536 bytes, byte i = (i * 7 + 3) & 0xff) on
 * the user disk; this program reads it cold in 4 KiB READs (each miss is an
 * interrupt-driven disk read: the task blocks until the device's IRQ), then
 * checks SYMLINK/READLINK and path resolution through links: relative,
 * absolute, assign targets, directory links in the middle of a path,
 * creation through a dangling link, the 8-hop limit and loops (-512), and
 * the error cases. Prints "vd-fs-links: ok" and exits 0 when every check holds. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>

struct vd_stat { u64 ino; u32 mode; u32 links; u64 size; u64 blocks; u64 atime; u64 mtime; u64 ctime; };

#define O_RDONLY 0
#define O_WRONLY 1
#define O_CREAT 0x40
#define E_INVALID_ARG -2
#define E_NOT_FOUND -4
#define E_EXISTS -5
#define E_LOOP -512

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static unsigned char buf[4096];

/* Sum of every byte of `path` read in 4 KiB READs, or -1. Also checks the pattern when `pattern`. */
static long sum_file(const char *path, int pattern)
{
    vd_ret o = vd_open(path, O_RDONLY);
    if (o.status != 0) return -1;
    int fd = (int)o.r1;
    long sum = 0, at = 0;
    for (;;) {
        vd_ret r = vd_read(fd, buf, sizeof buf);
        if (r.status != 0) { sum = -1; break; }
        if (r.r1 == 0) break;
        for (long i = 0; i < (long)r.r1; i++, at++) {
            sum += buf[i];
            if (pattern && buf[i] != (unsigned char)((at * 7 + 3) & 0xff)) { printf("FAIL byte %ld\n", at); failures++; pattern = 0; }
        }
    }
    vd_close(fd);
    return sum;
}

int main(void)
{
    long expect = 0;
    for (long i = 0; i < 65536; i++) expect += (i * 7 + 3) & 0xff;
    CHECK(sum_file("D1:t/data.bin", 1) == expect);

    /* Relative link, READLINK (not NUL-terminated, truncated to len). */
    CHECK(vd_symlink("data.bin", "D1:t/ln1").status == 0);
    CHECK(sum_file("D1:t/ln1", 1) == expect);
    char t[300];
    memset(t, 'Z', sizeof t);
    vd_ret rl = vd_readlink("D1:t/ln1", t, sizeof t);
    CHECK(rl.status == 0 && rl.r1 == 8 && memcmp(t, "data.bin", 8) == 0 && t[8] == 'Z');
    rl = vd_readlink("D1:t/ln1", t, 4);
    CHECK(rl.status == 0 && rl.r1 == 4);
    struct vd_stat a, b;
    CHECK(vd_stat("D1:t/ln1", &a).status == 0 && vd_stat("D1:t/data.bin", &b).status == 0 && a.ino == b.ino && a.size == 65536);

    /* Absolute (volume root) and assign targets; a directory link in the middle of a path. */
    CHECK(vd_symlink("/s", "D1:t/sdir").status == 0);
    CHECK(vd_stat("D1:t/sdir/startup", &a).status == 0 && vd_stat("S:startup", &b).status == 0 && a.ino == b.ino);
    CHECK(vd_symlink("C:vd-hello.prg", "D1:t/hello").status == 0);
    CHECK(vd_stat("D1:t/hello", &a).status == 0 && vd_stat("C:vd-hello.prg", &b).status == 0 && a.ino == b.ino);
    CHECK(vd_mkdir("D1:t/sdir/sub").status == 0);
    CHECK(vd_stat("S:sub", &a).status == 0);
    CHECK(vd_chdir("D1:t/sdir").status == 0);
    char cwd[64];
    CHECK(vd_getcwd(cwd, sizeof cwd).status == 0 && strcmp(cwd, "D1:s") == 0);
    CHECK(vd_chdir("D1:").status == 0);

    /* Creation through a dangling link makes the target. */
    CHECK(vd_symlink("made-by-link", "D1:t/dang").status == 0);
    CHECK(vd_stat("D1:t/dang", &a).status == E_NOT_FOUND);
    vd_ret o = vd_open("D1:t/dang", O_WRONLY | O_CREAT);
    CHECK(o.status == 0);
    if (o.status == 0) {
        CHECK(vd_write((int)o.r1, "via link", 8).status == 0);
        vd_close((int)o.r1);
    }
    CHECK(vd_stat("D1:t/made-by-link", &a).status == 0 && a.size == 8);

    /* Chains: 8 hops resolve, 9 are a loop (-512); so is a real cycle. */
    char name[32], target[32];
    CHECK(vd_symlink("data.bin", "D1:t/c0").status == 0);
    for (int i = 1; i <= 8; i++) {
        snprintf(name, sizeof name, "D1:t/c%d", i);
        snprintf(target, sizeof target, "c%d", i - 1);
        CHECK(vd_symlink(target, name).status == 0);
    }
    CHECK(vd_stat("D1:t/c7", &a).status == 0 && a.size == 65536);
    CHECK(vd_stat("D1:t/c8", &a).status == E_LOOP);
    CHECK(vd_symlink("loopb", "D1:t/loopa").status == 0);
    CHECK(vd_symlink("loopa", "D1:t/loopb").status == 0);
    CHECK(vd_open("D1:t/loopa", O_RDONLY).status == E_LOOP);
    CHECK(vd_stat("D1:t/loopa/x", &a).status == E_LOOP);

    /* A slow link (target longer than the 120 bytes an inode holds). */
    char longt[200];
    memset(longt, 'x', sizeof longt);
    memcpy(longt, "/t/", 3);
    longt[199] = 0;
    CHECK(vd_symlink(longt, "D1:t/long").status == 0);
    rl = vd_readlink("D1:t/long", t, sizeof t);
    CHECK(rl.status == 0 && rl.r1 == 199 && memcmp(t, longt, 199) == 0);

    /* Errors: existing name, READLINK of a non-link, empty target; unlink removes the link, not the target. */
    CHECK(vd_symlink("data.bin", "D1:t/ln1").status == E_EXISTS);
    CHECK(vd_readlink("D1:t/data.bin", t, sizeof t).status == E_INVALID_ARG);
    CHECK(vd_readlink("D1:t/nope", t, sizeof t).status == E_NOT_FOUND);
    CHECK(vd_symlink("", "D1:t/empty").status == E_INVALID_ARG);
    CHECK(vd_unlink("D1:t/ln1").status == 0);
    CHECK(vd_stat("D1:t/ln1", &a).status == E_NOT_FOUND && vd_stat("D1:t/data.bin", &a).status == 0);
    CHECK(vd_unlink("D1:t/loopa").status == 0);

    if (failures) {
        printf("vd-fs-links: %d failures\n", failures);
        return 1;
    }
    printf("vd-fs-links: ok\n");
    return 0;
}
