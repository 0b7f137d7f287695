// Exclusive-monitor paths, for exclusive.c. Each function returns the
// STXR status results packed as bits (1 = store failed) plus loaded data.

    .text
    .globl ex_no_reservation
    .type ex_no_reservation, %function
// STXR with no preceding LDXR must fail and leave memory unchanged.
ex_no_reservation:      // x0 = address
    clrex
    mov     x9, #0x1111
    stxr    w10, x9, [x0]
    ldr     x11, [x0]
    lsl     x0, x11, #8
    orr     x0, x0, x10
    ret

    .globl ex_clrex
    .type ex_clrex, %function
// LDXR; CLREX; STXR fails.
ex_clrex:
    ldxr    x9, [x0]
    clrex
    add     x9, x9, #1
    stxr    w10, x9, [x0]
    ldr     x11, [x0]
    lsl     x0, x11, #8
    orr     x0, x0, x10
    ret

    .globl ex_success_then_fail
    .type ex_success_then_fail, %function
// LDXR; STXR succeeds (0); a second STXR without a new LDXR fails (1).
ex_success_then_fail:
    ldaxr   w9, [x0]
    add     w9, w9, #5
    stlxr   w10, w9, [x0]
    add     w9, w9, #100
    stxr    w12, w9, [x0]
    ldr     w11, [x0]
    lsl     x0, x11, #8
    orr     x0, x0, x10
    orr     x0, x0, x12, lsl #1
    ret

    .globl ex_pair
    .type ex_pair, %function
// LDXP/STXP on a 16-byte aligned pair: swap the halves.
ex_pair:
    ldxp    x9, x10, [x0]
    stxp    w11, x10, x9, [x0]
    ldxp    x9, x10, [x0]
    clrex
    stxp    w12, x9, x9, [x0]
    ldp     x13, x14, [x0]
    sub     x0, x13, x14
    lsl     x0, x0, #2
    orr     x0, x0, x11
    orr     x0, x0, x12, lsl #1
    ret

    .globl ex_bytes
    .type ex_bytes, %function
// Byte and halfword exclusives zero-extend and store only their size.
ex_bytes:
    ldxrb   w9, [x0]
    add     w9, w9, #0x80
    stxrb   w10, w9, [x0]
    add     x14, x0, #2
    ldxrh   w11, [x14]
    add     w11, w11, #0x8000
    stxrh   w12, w11, [x14]
    ldr     x13, [x0]
    lsl     x0, x13, #2
    orr     x0, x0, x10
    orr     x0, x0, x12, lsl #1
    ret

    .section .note.GNU-stack, "", %progbits
