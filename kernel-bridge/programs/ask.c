/* ask [QUESTION]: prints QUESTION (default "name?"), reads one line from the
 * console (fd 0, raw: no echo, so the line is echoed here), greets it and
 * exits 0; exits 1 when the console cannot be read. A program that needs
 * input, for the kernel's stdin (input_request) path. */
#include <stdio.h>
#include <viperdos/syscall.h>

int main(int argc, char **argv)
{
    char line[128];
    int n = 0;
    printf("%s ", argc > 1 ? argv[1] : "name?");
    fflush(stdout);
    for (;;) {
        char ch;
        vd_ret r = vd_read(0, &ch, 1);
        if (r.status != 0 || r.r1 != 1) return 1;
        if (ch == '\r' || ch == '\n') break;
        if (n < (int)sizeof line - 1) line[n++] = ch;
    }
    line[n] = 0;
    printf("%s\nhello, %s\n", line, line);
    return 0;
}
