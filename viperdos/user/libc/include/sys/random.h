#ifndef _SYS_RANDOM_H
#define _SYS_RANDOM_H
#include <stddef.h>
typedef long ssize_t;
ssize_t getrandom(void *buf, size_t len, unsigned flags);
#endif
