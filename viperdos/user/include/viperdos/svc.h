/* The ViperDOS system-call instruction (hand-written).
 *
 * ABI (shared/VIPERDOS.md): `svc #0` with the call number in x8 and up to six
 * arguments in x0..x5. On return x0 holds the status (0 OK, negative error
 * code, see <viperdos/errors.h>) and x1..x3 hold the call's results; the
 * kernel leaves every other register as it was.
 *
 * vd_sysN(number, a0..aN-1) issue one call and return all four result
 * registers. Typed wrappers for every call are in <viperdos/syscall.h>. */
#ifndef VIPERDOS_SVC_H
#define VIPERDOS_SVC_H

/* x0..x3 after a system call: status, then up to three results. */
typedef struct vd_ret {
    long status;
    long r1, r2, r3;
} vd_ret;

static inline vd_ret vd_sys6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    register long x3 __asm__("x3") = a3;
    register long x4 __asm__("x4") = a4;
    register long x5 __asm__("x5") = a5;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     : "r"(x8), "r"(x4), "r"(x5)
                     : "memory");
    vd_ret r = {x0, x1, x2, x3};
    return r;
}

static inline vd_ret vd_sys0(long nr) { return vd_sys6(nr, 0, 0, 0, 0, 0, 0); }
static inline vd_ret vd_sys1(long nr, long a0) { return vd_sys6(nr, a0, 0, 0, 0, 0, 0); }
static inline vd_ret vd_sys2(long nr, long a0, long a1) { return vd_sys6(nr, a0, a1, 0, 0, 0, 0); }
static inline vd_ret vd_sys3(long nr, long a0, long a1, long a2) { return vd_sys6(nr, a0, a1, a2, 0, 0, 0); }
static inline vd_ret vd_sys4(long nr, long a0, long a1, long a2, long a3) { return vd_sys6(nr, a0, a1, a2, a3, 0, 0); }
static inline vd_ret vd_sys5(long nr, long a0, long a1, long a2, long a3, long a4)
{
    return vd_sys6(nr, a0, a1, a2, a3, a4, 0);
}

#endif
