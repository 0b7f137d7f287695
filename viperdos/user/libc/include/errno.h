#ifndef _ERRNO_H
#define _ERRNO_H
/* Single-threaded libc: errno is a plain global. Values are Linux's. */
extern int errno;
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22
#define ERANGE 34
#define ENOSYS 38
#endif
