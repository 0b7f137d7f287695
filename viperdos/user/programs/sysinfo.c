/* sysinfo: the system at a glance (uname, CPUs, memory, uptime, tasks). */
#include <stdio.h>
#include <viperdos/syscall.h>

int main(void)
{
    char u[5 * 65];
    if (vd_uname(u).status == 0) printf("System:  %s %s on %s\n", u, u + 2 * 65, u + 4 * 65);
    printf("CPUs:    %ld\n", vd_cpu_count().r1);
    vd_ret m = vd_mem_info(0);
    if (m.status == 0) printf("Memory:  %ld KiB total, %ld KiB free\n", m.r1 / 1024, m.r2 / 1024);
    long ms = vd_uptime().r1;
    printf("Uptime:  %ld.%03ld s\n", ms / 1000, ms % 1000);
    printf("Tasks:   %ld\n", vd_task_list(0, 0).r1);
    return 0;
}
