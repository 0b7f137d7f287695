/* Declarations vinit's modules share: vinit.c (commands, the command loop)
 * and lineedit.c (reading a line with editing and completion). */
#ifndef VINIT_SHELL_H
#define VINIT_SHELL_H
#include <stdio.h>
#include <string.h>
#include <viperdos/syscall.h>

#define LINE_MAX_LEN 512
#define HISTORY_MAX 32
#define O_RDONLY 0

/* Layout from viperdos/kernel/syscall/fs.ts (ASSIGN_LIST). */
struct vd_assign_info { char name[32]; char target[224]; };

/* A built-in command: name (matched case-insensitively), most arguments taken (-1 any), usage line. */
struct builtin {
    const char *name;
    int max_args;
    const char *usage;
};
/* Every built-in, ended by a zero entry. */
extern const struct builtin builtins[];

/* Lines entered, oldest first (History, Up/Down). */
extern char history[HISTORY_MAX][LINE_MAX_LEN];
extern int history_len;
/* The prompt being shown ("SYS:> "): the line editor redraws it. */
extern char prompt[LINE_MAX_LEN + 4];

/* Output of the shell: to the console, or captured while `read` pages a command. */
void out_write(const char *p, usize n);
int out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int out_putchar(int c);
#define printf out_printf
#define putchar out_putchar

/* The current directory in assign form ("C:", "T:sub"); "?" when unknown. */
void cwd(char *buf, usize len);
/* Case-insensitive equality of two names. */
int ieq(const char *a, const char *b);
/* Read one edited line into buf (len bytes with the NUL); returns 0 when the console cannot be read. */
int read_line(char *buf, int len);

#endif
