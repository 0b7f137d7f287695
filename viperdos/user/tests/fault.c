/* A program that dereferences a wild pointer: the kernel must kill it with
 * a report and carry on. */
#include <stdio.h>

int main(void)
{
    printf("about to fault\n");
    volatile int *p = (volatile int *)0x123456789000;
    return *p;
}
