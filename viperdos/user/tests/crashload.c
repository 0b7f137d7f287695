/* The crash harness's workload (test/fs-crash.test.ts): a fixed sequence of
 * steps on the user disk under D1:w, each ONE mutating file system call
 * (mkdir, create, write, append, truncate, rename, unlink, rmdir), each
 * followed by FSYNC and then the marker line "STEP <n>" written straight to
 * the console (fd 1, unbuffered), so the harness knows which steps were
 * durable at every point of the disk's write log. File contents are
 * pattern(len, seed): byte i is 'a' + (i * 7 + seed) % 26; the harness
 * models the same steps on the host. Prints "crashload: ok" and exits 0, or
 * "FAIL step <n>" and exits 1. */
#include <string.h>
#include <viperdos/syscall.h>

#define O_WRONLY 1
#define O_CREAT 0x40
#define O_TRUNC 0x200
#define O_APPEND 0x400

static char buf[20000];
static int sync_fd = -1;
static int step;

static void say(const char *s) { vd_write(1, s, strlen(s)); }

static void fail(void)
{
    char m[32] = "FAIL step ";
    int n = step, at = 10;
    if (n >= 10) m[at++] = (char)('0' + n / 10);
    m[at++] = (char)('0' + n % 10);
    m[at++] = '\n';
    vd_write(1, m, (usize)at);
    vd_task_exit(1);
}

/* End of a step: its call's status must be 0; FSYNC; then the marker. */
static void done(long status)
{
    step++;
    if (status != 0 || vd_fsync(sync_fd).status != 0) fail();
    char m[16] = "STEP ";
    int at = 5;
    if (step >= 10) m[at++] = (char)('0' + step / 10);
    m[at++] = (char)('0' + step % 10);
    m[at++] = '\n';
    vd_write(1, m, (usize)at);
}

static const char *pattern(int len, int seed)
{
    for (int i = 0; i < len; i++) buf[i] = (char)('a' + (i * 7 + seed) % 26);
    return buf;
}

static int create(const char *path)
{
    vd_ret o = vd_open(path, O_WRONLY | O_CREAT);
    done(o.status);
    return (int)o.r1;
}

static void write_all(int fd, int len, int seed)
{
    vd_ret r = vd_write(fd, pattern(len, seed), (usize)len);
    done(r.status != 0 ? r.status : (long)r.r1 - len);
}

static int open_flags(const char *path, int flags)
{
    vd_ret o = vd_open(path, flags);
    if (o.status != 0) fail();
    return (int)o.r1;
}

int main(void)
{
    vd_ret root = vd_open("D1:", 0);
    if (root.status != 0) fail();
    sync_fd = (int)root.r1;

    done(vd_mkdir("D1:w").status);                    /* 1 */
    int a = create("D1:w/a");                         /* 2 */
    write_all(a, 5000, 1);                            /* 3 */
    int b = create("D1:w/b");                         /* 4 */
    write_all(b, 300, 2);                             /* 5 */
    vd_close(b);
    vd_close(a);
    a = open_flags("D1:w/a", O_WRONLY | O_APPEND);
    write_all(a, 9000, 3);                            /* 6 */
    vd_close(a);
    done(vd_mkdir("D1:w/d").status);                  /* 7 */
    done(vd_rename("D1:w/b", "D1:w/d/b2").status);    /* 8 */
    int c = create("D1:w/c");                         /* 9 */
    write_all(c, 20000, 4);                           /* 10 */
    vd_close(c);
    done(vd_unlink("D1:w/a").status);                 /* 11 */
    c = open_flags("D1:w/c", O_WRONLY | O_APPEND);
    write_all(c, 100, 5);                             /* 12 */
    vd_close(c);
    done(vd_rename("D1:w/d", "D1:w/e").status);       /* 13 */
    int f = create("D1:w/e/f");                       /* 14 */
    write_all(f, 4096, 6);                            /* 15 */
    vd_close(f);
    done(vd_unlink("D1:w/e/b2").status);              /* 16 */
    c = open_flags("D1:w/c", O_WRONLY | O_TRUNC);     /* 17: the truncation is the change */
    done(0);
    write_all(c, 7000, 7);                            /* 18 */
    vd_close(c);
    done(vd_rename("D1:w/e/f", "D1:w/f").status);     /* 19 */
    done(vd_rmdir("D1:w/e").status);                  /* 20 */
    vd_close(sync_fd);
    say("crashload: ok\n");
    return 0;
}
