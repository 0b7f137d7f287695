// NZCV after every flag-setting form, for flags.c. Each function takes
// (a = x0, b = x1, nzcv_in = x2), sets NZCV to nzcv_in (for the carry-in
// and conditional forms), runs one instruction and returns
// x0 = NZCV (bits 31:28) | low 28 bits of the result's hash-free low word.

    .text
.macro FLAGFN name, insn:vararg
    .globl \name
    .type \name, %function
\name:
    msr     nzcv, x2
    \insn
    mrs     x0, nzcv
    ubfx    x9, x3, #0, #28
    orr     x0, x0, x9
    ret
    .size \name, . - \name
.endm

FLAGFN f_adds64, adds x3, x0, x1
FLAGFN f_adds32, adds w3, w0, w1
FLAGFN f_subs64, subs x3, x0, x1
FLAGFN f_subs32, subs w3, w0, w1
FLAGFN f_adcs64, adcs x3, x0, x1
FLAGFN f_adcs32, adcs w3, w0, w1
FLAGFN f_sbcs64, sbcs x3, x0, x1
FLAGFN f_sbcs32, sbcs w3, w0, w1
FLAGFN f_ands64, ands x3, x0, x1
FLAGFN f_ands32, ands w3, w0, w1
FLAGFN f_bics64, bics x3, x0, x1
FLAGFN f_bics32, bics w3, w0, w1
FLAGFN f_negs64, negs x3, x1
FLAGFN f_ngcs32, ngcs w3, w1
FLAGFN f_addsi64, adds x3, x0, #0xfff
FLAGFN f_subsi32, subs w3, w0, #1, lsl #12
FLAGFN f_addssh64, adds x3, x0, x1, asr #7
FLAGFN f_subsext64, subs x3, x0, w1, sxtb #2
FLAGFN f_andsi64, ands x3, x0, #0xff00ff00ff00ff00
FLAGFN f_tst32, tst w0, #0x80000001
FLAGFN f_cmn64, cmn x0, x1
FLAGFN f_ccmp64_eq, ccmp x0, x1, #0b1010, eq
FLAGFN f_ccmp32_lt, ccmp w0, w1, #0b0101, lt
FLAGFN f_ccmn64_hi, ccmn x0, x1, #0b1111, hi
FLAGFN f_ccmpi64_vs, ccmp x0, #31, #0b0000, vs
FLAGFN f_adc_noflags, adc x3, x0, x1
FLAGFN f_sbc32_noflags, sbc w3, w0, w1
FLAGFN f_csinc_ge, csinc x3, x0, x1, ge
FLAGFN f_csneg_le, csneg w3, w0, w1, le
// FP compares need the operands moved first (one macro argument per line).
.macro FPFN name, mov0, mov1, insn:vararg
    .globl \name
    .type \name, %function
\name:
    msr     nzcv, x2
    \mov0
    \mov1
    \insn
    mrs     x0, nzcv
    ret
    .size \name, . - \name
.endm

FPFN f_fcmp, "fmov d0, x0", "fmov d1, x1", fcmp d0, d1
FPFN f_fcmpe_s, "fmov s0, w0", "fmov s1, w1", fcmpe s0, s1
FPFN f_fccmp_ne, "fmov d0, x0", "fmov d1, x1", fccmp d0, d1, #0b0110, ne
FPFN f_fcmp_zero, "fmov d0, x0", "fmov d1, x1", fcmp d0, #0.0

    .section .note.GNU-stack, "", %progbits
