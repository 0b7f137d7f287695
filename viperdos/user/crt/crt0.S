// Process entry for static AArch64 programs (Linux and, later, ViperDOS).
// At _start the kernel has left SP 16-byte aligned and pointing at argc,
// followed by argv[], NULL, envp[], NULL, auxv pairs (see the ELF loader).
// X0 may hold a termination function in the ELF ABI; static programs ignore it.

    .text
    .globl _start
    .type _start, %function
_start:
    mov     x29, #0             // outermost frame: end of the frame-pointer chain
    mov     x30, #0
    mov     x0, sp              // __libc_start(initial stack); does not return
    bl      __libc_start
    brk     #0x1                // unreachable
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
