/* fsinfo: the assigns and what they point at; `fsinfo PATH...` also stats
 * each path. Exits 10 when a path cannot be found. */
#include <stdio.h>
#include <viperdos/syscall.h>

struct vd_stat { u64 ino; u32 mode; u32 links; u64 size; u64 blocks; u64 atime; u64 mtime; u64 ctime; };
struct vd_assign_info { char name[32]; char target[224]; };

int main(int argc, char **argv)
{
    static struct vd_assign_info infos[32];
    vd_ret l = vd_assign_list(infos, 32);
    printf("Assigns:\n");
    for (long i = 0; l.status == 0 && i < l.r1; i++) printf("  %-8s -> %s\n", infos[i].name, infos[i].target);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct vd_stat st;
        vd_ret r = vd_stat(argv[i], &st);
        if (r.status != 0) {
            printf("%s: %s\n", argv[i], vd_error_message(r.status));
            rc = 10;
            continue;
        }
        printf("%s: inode %lu, %s, %lu bytes, %lu blocks\n", argv[i], (unsigned long)st.ino,
               (st.mode & 0xf000) == 0x4000 ? "directory" : "file", (unsigned long)st.size, (unsigned long)st.blocks);
    }
    return rc;
}
