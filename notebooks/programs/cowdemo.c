/* cowdemo: demand paging and copy-on-write in slow motion, for
 * notebooks/02-memory-and-page-tables.ipynb. Phases 100 ms of virtual time
 * apart, so %pt between %advance steps shows each one:
 *   0 ms    sbrk 8 pages (a heap VMA, nothing resident yet)
 *   100 ms  write the 8 pages (8 demand-zero faults, 8 resident pages)
 *   200 ms  fork (the child shares every page, both sides read-only + COW)
 *   300 ms  the parent writes 4 pages (4 COW copies; the child keeps the originals)
 * then both sleep 10 s and exit 0. */
#include <stdio.h>
#include <viperdos/syscall.h>

#define PAGES 8

int main(void)
{
    vd_ret b = vd_sbrk(PAGES * 4096);
    if (b.status != 0) return 1;
    volatile char *heap = (volatile char *)b.r1;
    printf("cowdemo: heap of %d pages at %p, untouched\n", PAGES, (void *)heap);
    vd_sleep(100);
    for (int i = 0; i < PAGES; i++) heap[i * 4096] = (char)i;
    printf("cowdemo: touched %d heap pages (demand paging)\n", PAGES);
    vd_sleep(100);
    vd_ret f = vd_fork();
    if (f.status != 0) return 1;
    if (f.r1 == 0) {
        vd_sleep(10000);
        vd_task_exit(0);
    }
    printf("cowdemo: forked child %lld (pages now shared copy-on-write)\n", (long long)f.r1);
    vd_sleep(100);
    for (int i = 0; i < PAGES / 2; i++) heap[i * 4096] = 'p';
    printf("cowdemo: parent wrote %d heap pages (COW copies)\n", PAGES / 2);
    vd_sleep(10000);
    i32 st = -1;
    vd_wait(&st);
    return 0;
}
