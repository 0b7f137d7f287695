// Process entry for ViperDOS programs. The kernel starts a process at the
// ELF entry with SP 16-byte aligned at the top of its 1 MiB stack and no
// arguments on it (upstream's convention): a program asks for its argument
// string with GET_ARGS. _start zeroes BSS (see link.ld), ends the
// frame-pointer chain and calls __viperdos_start (libc/sys/viperdos.c),
// which builds argc/argv/envp and runs main. Does not return.

    .section .text._start, "ax", %progbits
    .globl _start
    .type _start, %function
_start:
    mov     x29, #0             // outermost frame: end of the frame-pointer chain
    mov     x30, #0
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1              // BSS is 16-byte aligned at both ends (link.ld)
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:  bl      __viperdos_start    // SP stays as the kernel left it (aligned)
    brk     #0x1                // unreachable
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
