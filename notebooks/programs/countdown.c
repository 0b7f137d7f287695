/* countdown: a small program for notebooks/01-boot-and-shell.ipynb.
 *   countdown N [CODE]   prints N, N-1, ..., 1 one line per 10 ms of virtual
 *                        time, then exits with status CODE (default 0)
 * The shell turns the exit status into its return code: 0 OK, 5 WARN,
 * 10 ERROR, 20 FAIL (AmigaDOS's levels); `Why` then says which program
 * returned what. Bad arguments: a usage line and status 20. */
#include <stdio.h>
#include <stdlib.h>
#include <viperdos/syscall.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : -1;
    if (argc < 2 || argc > 3 || n < 0 || n > 1000) {
        printf("usage: countdown N [CODE]   (N 0..1000)\n");
        return 20;
    }
    int code = argc == 3 ? atoi(argv[2]) : 0;
    for (int i = n; i >= 1; i--) {
        printf("%d\n", i);
        vd_sleep(10);
    }
    printf("countdown: done, exiting with status %d\n", code);
    return code;
}
