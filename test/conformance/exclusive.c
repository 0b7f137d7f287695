/* Drives exclusive.S: exclusive-monitor success and failure paths. */
#include "common.h"

uint64_t ex_no_reservation(uint64_t *p);
uint64_t ex_clrex(uint64_t *p);
uint64_t ex_success_then_fail(uint32_t *p);
uint64_t ex_pair(uint64_t *p);
uint64_t ex_bytes(uint64_t *p);

int main(void)
{
    static uint64_t q = 0x42, pair[2] __attribute__((aligned(16))) = {0x1000, 0x0fff}, mixed = 0x00ff00fe00fd00fcull;
    static uint32_t w = 7;
    printf("no reservation %llx\n", (unsigned long long)ex_no_reservation(&q));
    printf("clrex          %llx\n", (unsigned long long)ex_clrex(&q));
    printf("success/fail   %llx\n", (unsigned long long)ex_success_then_fail(&w));
    printf("pair           %llx\n", (unsigned long long)ex_pair(pair));
    printf("bytes          %llx\n", (unsigned long long)ex_bytes(&mixed));
    return 0;
}
