#ifndef _FENV_H
#define _FENV_H
/* Rounding modes are FPCR.RMode (bits 23:22) values shifted into place, as in glibc. */
#define FE_TONEAREST 0x000000
#define FE_UPWARD 0x400000
#define FE_DOWNWARD 0x800000
#define FE_TOWARDZERO 0xc00000
/* Cumulative exception flags are FPSR bits 4:0. */
#define FE_INVALID 0x01
#define FE_DIVBYZERO 0x02
#define FE_OVERFLOW 0x04
#define FE_UNDERFLOW 0x08
#define FE_INEXACT 0x10
#define FE_ALL_EXCEPT 0x1f
int fegetround(void);
int fesetround(int mode);
int fetestexcept(int excepts);
int feclearexcept(int excepts);
#endif
