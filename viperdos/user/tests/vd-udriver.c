/* A user-space virtio-rng driver: finds the entropy device with
 * DEVICE_ENUM, maps its virtio-mmio registers (MAP_DEVICE), builds a
 * virtqueue in a DMA buffer (DMA_ALLOC, VIRT_TO_PHYS), and reads random
 * bytes by kicking the queue and sleeping in IRQ_WAIT until the device's
 * interrupt fires (then InterruptACK in the device and IRQ_ACK to the
 * kernel). Error paths: no rights (-6, in a child that dropped them),
 * not a device (-4), bad pointers and sizes (-2), a device claimed by
 * another process (-8), timeouts (-9).
 * Prints "udriver: ok" and exits 0 when every check holds. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <viperdos/syscall.h>
#include <viperdos/device.h>
#include <viperdos/threads.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

/* virtio-mmio registers (virtio 1.x section 4.2.2) */
enum {
    R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014,
    R_DRV_FEATURES = 0x020, R_DRV_FEATURES_SEL = 0x024, R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034,
    R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044, R_QUEUE_NOTIFY = 0x050, R_INT_STATUS = 0x060, R_INT_ACK = 0x064,
    R_STATUS = 0x070, R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_AVAIL_LO = 0x090, R_AVAIL_HI = 0x094,
    R_USED_LO = 0x0a0, R_USED_HI = 0x0a4,
};
enum { S_ACK = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8 };
#define QSZ 8

struct desc { u64 addr; u32 len; u16 flags; u16 next; };
struct avail { u16 flags; u16 idx; u16 ring[QSZ]; u16 used_event; };
struct used_elem { u32 id; u32 len; };
struct used { u16 flags; u16 idx; struct used_elem ring[QSZ]; u16 avail_event; };

static volatile u32 *regs;
static u32 rd(u32 off) { return regs[off / 4]; }
static void wr(u32 off, u32 v) { regs[off / 4] = v; }
#define BARRIER() __asm__ volatile("dmb sy" ::: "memory")

static struct vd_device_enum_info devs[32];

/* One request of `len` bytes into the buffer at offset 0x800; returns the length the device wrote, or -1. */
static int request(volatile struct desc *d, volatile struct avail *av, volatile struct used *us, u64 pa, u32 irq, u32 len)
{
    u16 slot = av->idx % QSZ;
    d[slot].addr = pa + 0x800;
    d[slot].len = len;
    d[slot].flags = 2; /* VIRTQ_DESC_F_WRITE */
    d[slot].next = 0;
    av->ring[slot] = slot;
    BARRIER();
    u16 want = av->idx + 1;
    av->idx = want;
    BARRIER();
    wr(R_QUEUE_NOTIFY, 0);
    vd_ret w = vd_irq_wait(irq, 1000);
    if (w.status != 0) { printf("irq_wait: %ld\n", (long)w.status); return -1; }
    u32 cause = rd(R_INT_STATUS);
    wr(R_INT_ACK, cause);
    CHECK(cause & 1);
    CHECK(vd_irq_ack(irq).status == 0);
    BARRIER();
    if (us->idx != want) return -1;
    return (int)us->ring[(want - 1) % QSZ].len;
}

/* Device initialisation (virtio 1.x section 3.1.1), queue 0 in the DMA page at `pa`. */
static void virtio_init(u64 pa)
{
    wr(R_STATUS, 0);
    wr(R_STATUS, S_ACK);
    wr(R_STATUS, S_ACK | S_DRIVER);
    wr(R_DEV_FEATURES_SEL, 1);
    CHECK(rd(R_DEV_FEATURES) & 1); /* VIRTIO_F_VERSION_1 */
    wr(R_DRV_FEATURES_SEL, 1);
    wr(R_DRV_FEATURES, 1);
    wr(R_DRV_FEATURES_SEL, 0);
    wr(R_DRV_FEATURES, 0);
    wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK(rd(R_STATUS) & S_FEATURES_OK);
    wr(R_QUEUE_SEL, 0);
    CHECK(rd(R_QUEUE_NUM_MAX) >= QSZ);
    wr(R_QUEUE_NUM, QSZ);
    wr(R_DESC_LO, (u32)pa);
    wr(R_DESC_HI, (u32)(pa >> 32));
    wr(R_AVAIL_LO, (u32)(pa + 0x100));
    wr(R_AVAIL_HI, (u32)((pa + 0x100) >> 32));
    wr(R_USED_LO, (u32)(pa + 0x200));
    wr(R_USED_HI, (u32)((pa + 0x200) >> 32));
    wr(R_QUEUE_READY, 1);
    wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* `vd-udriver bench N`: N 64-byte requests through the whole path (kick,
 * device, GIC, IRQ_WAIT wake-up, InterruptACK, IRQ_ACK); prints
 * "udbench requests=N ns=T" with T the guest's TIME_NOW_NS delta. */
static int bench(u64 count)
{
    vd_ret n = vd_device_enum(devs, 32);
    int rng = -1;
    for (u64 i = 0; i < n.r1; i++) if (devs[i].device_id == 4 && !(devs[i].flags & VD_DEV_KERNEL)) rng = (int)i;
    if (rng < 0) { printf("udbench error=no-device\n"); return 1; }
    u32 irq = devs[rng].irq;
    vd_ret m = vd_map_device(devs[rng].phys, 0x200, 0);
    u64 pa = 0;
    vd_ret dma = vd_dma_alloc(4096, &pa);
    if (m.status != 0 || dma.status != 0 || vd_irq_register(irq).status != 0) { printf("udbench error=setup\n"); return 1; }
    regs = (volatile u32 *)m.r1;
    u8 *buf = (u8 *)dma.r1;
    virtio_init(pa);
    u64 t0 = vd_time_now_ns().r1;
    for (u64 i = 0; i < count; i++) {
        if (request((volatile struct desc *)buf, (volatile struct avail *)(buf + 0x100), (volatile struct used *)(buf + 0x200), pa, irq, 64) != 64) {
            printf("udbench error=request\n");
            return 1;
        }
    }
    u64 t1 = vd_time_now_ns().r1;
    printf("udbench requests=%llu ns=%llu\n", (unsigned long long)count, (unsigned long long)(t1 - t0));
    return failures;
}

/* A thread waiting forever on the line; it exits with IRQ_WAIT's status. */
static u8 waiter_stack[8192] __attribute__((aligned(16)));
static void waiter(void *arg)
{
    vd_ret w = vd_irq_wait((u32)(unsigned long)arg, 0);
    vd_thread_exit((u64)(i64)w.status);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "bench") == 0) return bench(strtoull(argv[2], 0, 10));
    /* enumerate: the entropy device, not driven by the kernel */
    vd_ret n = vd_device_enum(0, 0);
    CHECK(n.status == 0 && n.r1 >= 1);
    n = vd_device_enum(devs, 32);
    int rng = -1;
    for (u64 i = 0; i < n.r1; i++) if (devs[i].device_id == 4 && !(devs[i].flags & VD_DEV_KERNEL)) rng = (int)i;
    CHECK(rng >= 0);
    if (rng < 0) return 1;
    u64 phys = devs[rng].phys;
    u32 irq = devs[rng].irq;
    CHECK(irq == 48 + devs[rng].slot && devs[rng].size == 0x200);
    CHECK(vd_device_enum((struct vd_device_enum_info *)0x10, 4).status == VERR_INVALID_ARG);

    /* error paths before anything is set up */
    CHECK(vd_map_device(0x09000000, 0x1000, 0).status == VERR_NOT_FOUND); /* the UART: not a user device */
    CHECK(vd_map_device(0x08000000, 0x1000, 0).status == VERR_NOT_FOUND); /* the GIC */
    CHECK(vd_map_device(phys + 0x3e00, 0x200, 0).status == VERR_NOT_FOUND); /* an empty slot */
    CHECK(vd_map_device(phys, 0, 0).status == VERR_INVALID_ARG);
    CHECK(vd_map_device(phys, 0x200, 0x1234).status == VERR_INVALID_ARG); /* virt outside the device area */
    CHECK(vd_irq_register(33).status == VERR_NOT_FOUND); /* the UART's line */
    CHECK(vd_irq_wait(irq, 0).status == VERR_NOT_FOUND); /* not registered */
    CHECK(vd_irq_ack(irq).status == VERR_NOT_FOUND);
    u64 pa_out = 0;
    CHECK(vd_dma_alloc(4096, (u64 *)0x10).status == VERR_INVALID_ARG);
    CHECK(vd_dma_alloc(0, &pa_out).status == VERR_INVALID_ARG);
    CHECK(vd_dma_alloc(64ull << 20, &pa_out).status == VERR_INVALID_ARG);
    CHECK(vd_dma_free(VD_DMA_VA_BASE + 0x100000).status == VERR_NOT_FOUND);
    CHECK(vd_virt_to_phys(0).status == VERR_INVALID_ARG);

    /* map the registers */
    vd_ret m = vd_map_device(phys, 0x200, 0);
    CHECK(m.status == 0 && m.r1 >= VD_DEVICE_VA_BASE && m.r1 < VD_DMA_VA_BASE);
    if (m.status != 0) return 1;
    regs = (volatile u32 *)m.r1;
    CHECK(rd(R_MAGIC) == 0x74726976 && rd(R_VERSION) == 2 && rd(R_DEVICE_ID) == 4);
    /* a second mapping of the same registers at an address of our choosing */
    u64 at = VD_DEVICE_VA_BASE + 0x100000;
    vd_ret m2 = vd_map_device(phys, 0x200, at);
    CHECK(m2.status == 0 && m2.r1 == at + (phys & 0xfff));
    if (m2.status == 0) CHECK(((volatile u32 *)m2.r1)[R_DEVICE_ID / 4] == 4);
    CHECK(vd_map_device(phys, 0x200, at).status == VERR_EXISTS);
    CHECK(vd_map_device(phys, 0x200, at + 1).status == VERR_INVALID_ARG);
    CHECK(vd_irq_register(irq).status == 0);
    CHECK(vd_irq_register(irq).status == VERR_EXISTS);

    /* the DMA page: descriptors at 0, avail ring at 0x100, used ring at 0x200, data at 0x800 */
    vd_ret dma = vd_dma_alloc(4096, &pa_out);
    CHECK(dma.status == 0 && dma.r1 >= VD_DMA_VA_BASE && dma.r2 == pa_out && pa_out != 0);
    if (dma.status != 0) return 1;
    u8 *buf = (u8 *)dma.r1;
    u64 pa = pa_out;
    CHECK(vd_virt_to_phys(dma.r1).r1 == pa);
    CHECK(vd_virt_to_phys(dma.r1 + 0x804).r1 == pa + 0x804);
    volatile struct desc *d = (volatile struct desc *)buf;
    volatile struct avail *av = (volatile struct avail *)(buf + 0x100);
    volatile struct used *us = (volatile struct used *)(buf + 0x200);

    virtio_init(pa);

    /* nothing requested yet: the wait times out */
    CHECK(vd_irq_wait(irq, 5).status == VERR_TIMEOUT);

    /* two requests of 64 bytes: random, and different */
    u8 first[64];
    memset(buf + 0x800, 0, 64);
    CHECK(request(d, av, us, pa, irq, 64) == 64);
    memcpy(first, buf + 0x800, 64);
    int nonzero = 0;
    for (int i = 0; i < 64; i++) nonzero += first[i] != 0;
    CHECK(nonzero > 32);
    memset(buf + 0x800, 0, 64);
    CHECK(request(d, av, us, pa, irq, 64) == 64);
    CHECK(memcmp(first, buf + 0x800, 64) != 0);
    /* the kernel keeps the line masked from the interrupt until IRQ_ACK: a
     * third request completes, but its interrupt is held back until then */
    {
        u16 slot = av->idx % QSZ;
        d[slot].addr = pa + 0x800; d[slot].len = 16; d[slot].flags = 2; d[slot].next = 0;
        av->ring[slot] = slot;
        BARRIER();
        u16 want = av->idx + 1;
        av->idx = want;
        BARRIER();
        wr(R_QUEUE_NOTIFY, 0);
        CHECK(vd_irq_wait(irq, 1000).status == 0);
        wr(R_INT_ACK, rd(R_INT_STATUS));
        /* no IRQ_ACK yet: a fourth request's interrupt stays masked */
        slot = av->idx % QSZ;
        d[slot].addr = pa + 0x800; d[slot].len = 16; d[slot].flags = 2; d[slot].next = 0;
        av->ring[slot] = slot;
        BARRIER();
        av->idx = want + 1;
        BARRIER();
        wr(R_QUEUE_NOTIFY, 0);
        CHECK(vd_irq_wait(irq, 5).status == VERR_TIMEOUT);
        CHECK(us->idx == (u16)(want + 1)); /* the device did complete it */
        CHECK(vd_irq_ack(irq).status == 0);  /* unmasked: the held interrupt arrives */
        CHECK(vd_irq_wait(irq, 1000).status == 0);
        wr(R_INT_ACK, rd(R_INT_STATUS));
        CHECK(vd_irq_ack(irq).status == 0);
    }

    printf("random:");
    for (int i = 0; i < 8; i++) printf(" %02x", first[i]);
    printf("\n");

    /* a child: the device is ours (-8), its mappings are not inherited, and once it drops its rights every call says -6 */
    vd_ret f = vd_fork();
    if (f.r1 == 0) {
        int bad = 0;
        u64 p2;
        if (vd_map_device(phys, 0x200, 0).status != VERR_BUSY) bad |= 1;
        if (vd_irq_register(irq).status != VERR_BUSY) bad |= 2;
        if (vd_irq_ack(irq).status != VERR_PERMISSION) bad |= 4; /* another process's line */
        /* fork did not copy the parent's device mapping or DMA buffer */
        if (vd_virt_to_phys(dma.r1).status != VERR_INVALID_ARG) bad |= 512;
        if (vd_virt_to_phys((u64)regs).status != VERR_INVALID_ARG) bad |= 1024;
        vd_cap_drop_bound(0x400 | 0x800 | 0x1000);
        if (vd_map_device(phys, 0x200, 0).status != VERR_PERMISSION) bad |= 8;
        if (vd_irq_register(irq).status != VERR_PERMISSION) bad |= 16;
        if (vd_irq_wait(irq, 1).status != VERR_PERMISSION) bad |= 32;
        if (vd_dma_alloc(4096, &p2).status != VERR_PERMISSION) bad |= 64;
        if (vd_virt_to_phys(dma.r1).status != VERR_PERMISSION) bad |= 128;
        /* a grandchild inherits the smaller bounding set */
        vd_ret g = vd_fork();
        if (g.r1 == 0) vd_task_exit(vd_dma_alloc(4096, &p2).status == VERR_PERMISSION ? 0 : 1);
        i32 gst = -1;
        vd_waitpid(g.r1, &gst, 0);
        if (gst != 0) bad |= 256;
        vd_task_exit(bad);
    }
    i32 st = -1;
    vd_waitpid(f.r1, &st, 0);
    CHECK(st == 0);
    if (st != 0) printf("child checks: 0x%x\n", st);

    /* teardown: a thread still waiting on the line wakes with -4 when it is unregistered */
    vd_ret wt = vd_thread_start(waiter, waiter_stack + sizeof waiter_stack, 0, (void *)(unsigned long)irq);
    CHECK(wt.status == 0);
    vd_sleep(3);
    CHECK(vd_irq_unregister(irq).status == 0);
    vd_ret j = vd_thread_join((u32)wt.r1);
    CHECK(j.status == 0 && (i64)j.r1 == VERR_NOT_FOUND);
    CHECK(vd_irq_unregister(irq).status == VERR_NOT_FOUND);
    CHECK(vd_dma_free(dma.r1).status == 0);
    CHECK(vd_dma_free(dma.r1).status == VERR_NOT_FOUND);

    /* a second DMA buffer and IRQ left for the kernel to release at exit */
    CHECK(vd_dma_alloc(3 * 4096, &pa_out).status == 0);
    CHECK(vd_irq_register(irq).status == 0);

    printf(failures ? "udriver: %d failures\n" : "udriver: ok\n", failures);
    return failures;
}
