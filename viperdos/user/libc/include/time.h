#ifndef _TIME_H
#define _TIME_H
typedef long time_t;
typedef long clock_t;
typedef int clockid_t;
struct timespec { time_t tv_sec; long tv_nsec; };
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCKS_PER_SEC 1000000L
int clock_gettime(clockid_t clock, struct timespec *ts);
time_t time(time_t *t);
clock_t clock(void);
#endif
