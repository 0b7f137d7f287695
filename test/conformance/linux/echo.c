/* Copies stdin to stdout in upper case, then reports the byte count. */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    int c;
    long n = 0;
    while ((c = getchar()) != EOF) {
        putchar(toupper(c));
        n++;
    }
    printf("[%ld bytes]\n", n);
    return 0;
}
