/* The file system from user space, on a machine with sys.img and user.img:
 * create/write/read back, lseek, stat sizes, dup, directories (mkdir,
 * readdir, rename, unlink, rmdir), the current directory, assigns, the
 * handle-based calls, error paths (no such file, not a directory, bad fd,
 * bad pointer), and spawning hello from C:. Leaves T:keep.txt and
 * D1:made/moved.txt for the host to check. Prints "fs: ok" and exits 0 when
 * every check holds. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>

/* Layouts from viperdos/kernel/syscall/fs.ts. */
struct vd_stat { u64 ino; u32 mode; u32 links; u64 size; u64 blocks; u64 atime; u64 mtime; u64 ctime; };
struct vd_fs_dirent { u64 ino; u64 size; u32 type; u32 name_len; char name[256]; };
struct vd_assign_info { char name[32]; char target[224]; };

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0x40
#define O_EXCL 0x80
#define O_TRUNC 0x200
#define O_APPEND 0x400

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static char big[10000];

/* Does directory `path` list `name`? (READDIR records: u64 ino, u16 reclen, u8 type, u8 namelen, name) */
static int lists(const char *path, const char *name, int *type)
{
    vd_ret o = vd_open(path, O_RDONLY);
    if (o.status != 0) return 0;
    int fd = (int)o.r1, found = 0;
    char buf[128]; /* small: forces several READDIR calls */
    for (;;) {
        vd_ret r = vd_readdir(fd, buf, sizeof buf);
        if (r.status != 0 || r.r1 == 0) break;
        for (long at = 0; at < (long)r.r1;) {
            u16 reclen = *(u16 *)(buf + at + 8);
            if (strcmp(buf + at + 12, name) == 0) { found = 1; if (type) *type = (u8)buf[at + 10]; }
            at += reclen;
        }
    }
    vd_close(fd);
    return found;
}

int main(void)
{
    char buf[256];
    struct vd_stat st;

    /* --- create, write, read back --- */
    vd_ret o = vd_open("T:a.txt", O_RDWR | O_CREAT);
    CHECK(o.status == 0 && o.r1 >= 3);
    int fd = (int)o.r1;
    CHECK(vd_write(fd, "hello, disk", 11).status == 0);
    CHECK(vd_lseek(fd, 0, 0).r1 == 0);
    vd_ret r = vd_read(fd, buf, sizeof buf);
    CHECK(r.status == 0 && r.r1 == 11 && memcmp(buf, "hello, disk", 11) == 0);
    CHECK(vd_read(fd, buf, sizeof buf).r1 == 0); /* end of file */
    /* lseek: overwrite in the middle, extend past the end */
    CHECK(vd_lseek(fd, 7, 0).r1 == 7);
    CHECK(vd_write(fd, "DISK", 4).r1 == 4);
    CHECK(vd_lseek(fd, -2, 2).r1 == 9);
    CHECK(vd_lseek(fd, 0, 1).r1 == 9);
    CHECK(vd_lseek(fd, -100, 1).status == VERR_INVALID_ARG);
    CHECK(vd_fstat(fd, &st).status == 0 && st.size == 11 && (st.mode & 0xf000) == 0x8000);
    /* a multi-block file */
    for (int i = 0; i < (int)sizeof big; i++) big[i] = (char)(i * 7);
    CHECK(vd_lseek(fd, 0, 2).r1 == 11);
    CHECK(vd_write(fd, big, sizeof big).r1 == sizeof big);
    CHECK(vd_stat("T:a.txt", &st).status == 0 && st.size == 11 + sizeof big);
    CHECK(vd_lseek(fd, 11 + 4090, 0).status == 0);
    r = vd_read(fd, buf, 16);
    CHECK(r.r1 == 16 && memcmp(buf, big + 4090, 16) == 0);
    /* dup shares the position */
    vd_ret d = vd_dup(fd);
    CHECK(d.status == 0 && (int)d.r1 != fd);
    CHECK(vd_lseek((int)d.r1, 0, 0).status == 0);
    r = vd_read(fd, buf, 5);
    CHECK(r.r1 == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(vd_dup2(fd, 20).r1 == 20);
    CHECK(vd_close(20).status == 0);
    CHECK(vd_close((int)d.r1).status == 0);
    CHECK(vd_fsync(fd).status == 0);
    CHECK(vd_close(fd).status == 0);
    CHECK(vd_close(fd).status == VERR_INVALID_HANDLE);

    /* O_TRUNC, O_APPEND, O_EXCL, read-only descriptors */
    o = vd_open("T:a.txt", O_WRONLY | O_TRUNC);
    CHECK(o.status == 0);
    CHECK(vd_write((int)o.r1, "abc", 3).r1 == 3);
    vd_close((int)o.r1);
    o = vd_open("T:a.txt", O_WRONLY | O_APPEND);
    CHECK(vd_write((int)o.r1, "def", 3).r1 == 3);
    vd_close((int)o.r1);
    CHECK(vd_stat("T:a.txt", &st).status == 0 && st.size == 6);
    CHECK(vd_open("T:a.txt", O_RDWR | O_CREAT | O_EXCL).status == VERR_EXISTS);
    o = vd_open("T:a.txt", O_RDONLY);
    CHECK(vd_write((int)o.r1, "x", 1).status == VERR_PERMISSION);
    r = vd_read((int)o.r1, buf, sizeof buf);
    CHECK(r.r1 == 6 && memcmp(buf, "abcdef", 6) == 0);
    vd_close((int)o.r1);

    /* --- directories --- */
    CHECK(vd_mkdir("D1:made").status == 0);
    CHECK(vd_mkdir("D1:made").status == VERR_EXISTS);
    CHECK(vd_mkdir("D1:nope/sub").status == VERR_NOT_FOUND);
    o = vd_open("D1:made/f.txt", O_WRONLY | O_CREAT);
    CHECK(o.status == 0);
    CHECK(vd_write((int)o.r1, "moved", 5).r1 == 5);
    vd_close((int)o.r1);
    int type = 0;
    CHECK(lists("D1:made", "f.txt", &type) && type == 1);
    CHECK(lists("D1:", "made", &type) && type == 2);
    CHECK(vd_rename("D1:made/f.txt", "D1:made/moved.txt").status == 0);
    CHECK(!lists("D1:made", "f.txt", 0) && lists("D1:made", "moved.txt", 0));
    CHECK(vd_rename("D1:made/none", "D1:made/x").status == VERR_NOT_FOUND);
    CHECK(vd_rename("T:a.txt", "SYS:a.txt").status == VERR_CROSS_DEVICE);
    CHECK(vd_rmdir("D1:made").status == VERR_NOT_EMPTY);
    CHECK(vd_mkdir("D1:made/sub").status == 0);
    CHECK(vd_rename("D1:made/sub", "T:sub2").status == 0); /* a directory moves to another parent */
    CHECK(lists("T:", "sub2", 0));
    CHECK(vd_rename("T:sub2", "T:sub2/inner").status == VERR_INVALID_ARG);
    CHECK(vd_unlink("T:sub2").status == VERR_IS_DIR);
    CHECK(vd_rmdir("T:a.txt").status == VERR_NOT_DIR);
    CHECK(vd_rmdir("T:sub2").status == 0);
    CHECK(vd_unlink("T:a.txt").status == 0);
    CHECK(vd_stat("T:a.txt", &st).status == VERR_NOT_FOUND);
    CHECK(vd_open("T:a.txt", O_RDONLY).status == VERR_NOT_FOUND);
    CHECK(vd_open("T:a.txt/x", O_RDWR | O_CREAT).status == VERR_NOT_FOUND);

    /* --- current directory and relative paths --- */
    vd_ret c = vd_getcwd(buf, sizeof buf);
    CHECK(c.status == 0 && strcmp(buf, "SYS:") == 0);
    CHECK(vd_chdir("C:").status == 0);
    CHECK(vd_getcwd(buf, sizeof buf).status == 0 && strcmp(buf, "D1:c") == 0);
    CHECK(vd_stat("vd-hello.prg", &st).status == 0 && st.size > 0);
    CHECK(vd_chdir("../t").status == 0);
    o = vd_open("keep.txt", O_WRONLY | O_CREAT);
    CHECK(o.status == 0);
    CHECK(vd_write((int)o.r1, "kept by fs.c\n", 13).r1 == 13);
    vd_close((int)o.r1);
    CHECK(vd_chdir("keep.txt").status == VERR_NOT_DIR);
    CHECK(vd_chdir("/").status == 0 && vd_getcwd(buf, sizeof buf).status == 0 && strcmp(buf, "D1:") == 0);
    CHECK(vd_getcwd(buf, 2).status == VERR_INVALID_ARG);
    CHECK(vd_chdir("SYS:").status == 0);

    /* --- assigns --- */
    vd_ret h = vd_assign_get("T");
    CHECK(h.status == 0);
    CHECK(vd_assign_set("WORK", (u32)h.r1, 0).status == 0);
    CHECK(vd_stat("WORK:keep.txt", &st).status == 0 && st.size == 13);
    CHECK(vd_assign_set("SYS", (u32)h.r1, 0).status == VERR_PERMISSION);
    vd_ret n = vd_assign_list(0, 0);
    CHECK(n.status == 0 && n.r1 >= 9);
    struct vd_assign_info infos[16];
    vd_ret l = vd_assign_list(infos, 16);
    int saw = 0;
    for (unsigned i = 0; i < l.r1; i++) if (strcmp(infos[i].name, "WORK") == 0 && strcmp(infos[i].target, "D1:t") == 0) saw = 1;
    CHECK(saw);
    CHECK(vd_assign_remove("WORK").status == 0);
    CHECK(vd_assign_remove("WORK").status == VERR_NO_ASSIGN);
    CHECK(vd_stat("WORK:keep.txt", &st).status == VERR_NO_ASSIGN);
    vd_ret res = vd_assign_resolve("T:keep.txt", O_RDONLY);
    CHECK(res.status == 0);
    r = vd_io_read((u32)res.r1, buf, sizeof buf);
    CHECK(r.status == 0 && r.r1 == 13 && memcmp(buf, "kept by fs.c\n", 13) == 0);
    CHECK(vd_io_write((u32)res.r1, "x", 1).status == VERR_PERMISSION);
    CHECK(vd_fs_close((u32)res.r1).status == 0);

    /* --- handle-based directory walk --- */
    vd_ret root = vd_fs_open_root();
    CHECK(root.status == 0);
    struct vd_fs_dirent de;
    int entries = 0, sawVinit = 0;
    while (vd_fs_read_dir((u32)root.r1, &de).r1 == 1) { entries++; if (strcmp(de.name, "vinit.sys") == 0) sawVinit = 1; }
    CHECK(entries > 0 && sawVinit);
    CHECK(vd_fs_rewind_dir((u32)root.r1).status == 0);
    CHECK(vd_fs_read_dir((u32)root.r1, &de).r1 == 1);
    vd_ret fh = vd_fs_open((u32)root.r1, "vinit.sys", 9, O_RDONLY);
    CHECK(fh.status == 0);
    CHECK(vd_io_seek((u32)fh.r1, 0, 2).r1 == 4);
    CHECK(vd_fs_close((u32)fh.r1).status == 0);
    CHECK(vd_fs_close((u32)h.r1).status == 0);
    CHECK(vd_fs_close((u32)root.r1).status == 0);

    /* --- error paths --- */
    CHECK(vd_open("SYS:no-such-file", O_RDONLY).status == VERR_NOT_FOUND);
    CHECK(vd_open("NOPE:x", O_RDONLY).status == VERR_NO_ASSIGN);
    CHECK(vd_open("SYS:vinit.sys/x", O_RDONLY).status == VERR_NOT_DIR);
    CHECK(vd_open("C:", O_WRONLY).status == VERR_IS_DIR);
    CHECK(vd_read(99, buf, 4).status == VERR_INVALID_HANDLE);
    CHECK(vd_write(42, buf, 4).status == VERR_INVALID_HANDLE);
    CHECK(vd_lseek(7, 0, 0).status == VERR_INVALID_HANDLE);
    CHECK(vd_open((const char *)0, O_RDONLY).status == VERR_INVALID_ARG);
    CHECK(vd_open((const char *)0x1000, O_RDONLY).status == VERR_INVALID_ARG);
    CHECK(vd_stat("SYS:vinit.sys", (struct vd_stat *)0x10).status == VERR_INVALID_ARG);
    o = vd_open("SYS:vinit.sys", O_RDONLY);
    CHECK(vd_read((int)o.r1, (void *)0x20, 4).status == VERR_INVALID_ARG);
    r = vd_read((int)o.r1, buf, 4); /* the failed read did not move the position */
    CHECK(r.r1 == 4 && memcmp(buf, "VSYS", 4) == 0);
    vd_close((int)o.r1);

    /* --- spawn from C: --- */
    vd_ret sp = vd_task_spawn("vd-hello", 0, "from-disk");
    CHECK(sp.status == 0);
    i32 status = 0;
    CHECK(vd_waitpid((i64)sp.r1, &status, 0).status == 0 && status == 3);
    CHECK(vd_task_spawn("C:no-such-program", 0, 0).status == VERR_NOT_FOUND);

    if (failures == 0) printf("fs: ok\n");
    return failures == 0 ? 0 : 1;
}
