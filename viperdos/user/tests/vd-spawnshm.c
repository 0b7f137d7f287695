/* TASK_SPAWN_SHM: a program read from the file system into a shared memory
 * object (at offset 4096) is started from there with arguments, while the
 * object's handle and mapping are already gone; the loader's checks apply
 * to shm images (corrupt and truncated ELFs are refused), and so do the
 * handle rules (stale, wrong kind, no READ right) and range checks.
 * Prints "spawnshm: ok" and exits 0 when every check holds. */
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>
#include <viperdos/ipc.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

int main(void)
{
    vd_ret o = vd_open("C:vd-hello.prg", 0);
    CHECK(o.status == 0);
    if (o.status != 0) return 1;
    i32 fd = (i32)o.r1;
    u64 size = vd_lseek(fd, 0, 2).r1;
    vd_lseek(fd, 0, 0);
    CHECK(size > 1000);

    vd_ret s = vd_shm_create(size + 8192);
    CHECK(s.status == 0);
    u32 shm = (u32)s.r1;
    u8 *base = (u8 *)s.r2;
    u64 got = 0;
    while (got < size) {
        vd_ret r = vd_read(fd, base + 4096 + got, size - got);
        if (r.status != 0 || r.r1 == 0) break;
        got += r.r1;
    }
    vd_close(fd);
    CHECK(got == size);

    /* range and argument errors */
    CHECK(vd_task_spawn_shm(shm, 4096, 0, "x", 0).status == VERR_INVALID_ARG);
    CHECK(vd_task_spawn_shm(shm, 4096, size + 8192, "x", 0).status == VERR_INVALID_ARG); /* past the end */
    CHECK(vd_task_spawn_shm(shm, ~0ull, 16, "x", 0).status == VERR_INVALID_ARG);
    CHECK(vd_task_spawn_shm(shm, 4096, size, (const char *)0x10, 0).status == VERR_INVALID_ARG);
    /* the loader's checks: a truncated image, a corrupt header, no ELF at all */
    CHECK(vd_task_spawn_shm(shm, 4096, 64, "x", 0).status == VERR_INVALID_ARG);
    CHECK(vd_task_spawn_shm(shm, 0, size, "x", 0).status == VERR_INVALID_ARG); /* zeros */
    base[4096 + 18] ^= 0xff; /* e_machine */
    CHECK(vd_task_spawn_shm(shm, 4096, size, "x", 0).status == VERR_INVALID_ARG);
    base[4096 + 18] ^= 0xff;
    /* handles: stale, wrong kind, without READ */
    CHECK(vd_task_spawn_shm(0x00123456, 4096, size, "x", 0).status == VERR_INVALID_HANDLE);
    vd_ret ch = vd_channel_create();
    CHECK(vd_task_spawn_shm((u32)ch.r1, 4096, size, "x", 0).status == VERR_WRONG_TYPE);
    vd_ret wonly = vd_cap_derive(shm, 0x2 /* WRITE */);
    CHECK(wonly.status == 0);
    CHECK(vd_task_spawn_shm((u32)wonly.r1, 4096, size, "x", 0).status == VERR_PERMISSION);

    /* the real thing, through a READ-only handle; the object goes away before the child runs */
    vd_ret ronly = vd_cap_derive(shm, 0x1 /* READ */);
    vd_ret sp = vd_task_spawn_shm((u32)ronly.r1, 4096, size, "hello-shm", "from shm");
    CHECK(sp.status == 0 && sp.r1 > 1);
    vd_shm_unmap((u64)base);
    vd_shm_close(shm);
    vd_shm_close((u32)wonly.r1);
    vd_shm_close((u32)ronly.r1);
    vd_channel_close((u32)ch.r1);
    vd_channel_close((u32)ch.r2);
    if (sp.r3 != 0xffffffffu) vd_channel_close((u32)sp.r3);
    i32 st = -1;
    CHECK(vd_waitpid(sp.r1, &st, 0).r1 == sp.r1);
    CHECK(st == 3); /* hello's exit code */

    printf(failures ? "spawnshm: %d failures\n" : "spawnshm: ok\n", failures);
    return failures;
}
