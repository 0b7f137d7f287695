/* Drives flags_ops.S: NZCV after each flag-setting instruction for edge
 * operands and every NZCV input, printed per instruction. */
#include "common.h"

typedef uint64_t (*flag_fn)(uint64_t a, uint64_t b, uint64_t nzcv);
#define FN(n) uint64_t n(uint64_t, uint64_t, uint64_t);
#define LIST(X)                                                                                                   \
    X(f_adds64) X(f_adds32) X(f_subs64) X(f_subs32) X(f_adcs64) X(f_adcs32) X(f_sbcs64) X(f_sbcs32) X(f_ands64)  \
    X(f_ands32) X(f_bics64) X(f_bics32) X(f_negs64) X(f_ngcs32) X(f_addsi64) X(f_subsi32) X(f_addssh64)          \
    X(f_subsext64) X(f_andsi64) X(f_tst32) X(f_cmn64) X(f_ccmp64_eq) X(f_ccmp32_lt) X(f_ccmn64_hi)               \
    X(f_ccmpi64_vs) X(f_adc_noflags) X(f_sbc32_noflags) X(f_csinc_ge) X(f_csneg_le) X(f_fcmp) X(f_fcmpe_s)       \
    X(f_fccmp_ne) X(f_fcmp_zero)
LIST(FN)
#define ENTRY(n) {#n, n},
static const struct { const char *name; flag_fn fn; } fns[] = {LIST(ENTRY)};

static const uint64_t V[] = {
    0, 1, 0x7f, 0x80, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffff000ull, 31, 0x3ff0000000000000ull,
    0x7ff8000000000000ull, 0x7fc00000,
};
#define NV (sizeof V / sizeof V[0])

int main(void)
{
    for (unsigned f = 0; f < sizeof fns / sizeof fns[0]; f++) {
        uint64_t h = 0xcbf29ce484222325ull;
        for (unsigned i = 0; i < NV; i++)
            for (unsigned k = 0; k < NV; k++)
                for (uint64_t nz = 0; nz < 16; nz += 5) {
                    uint64_t r = fns[f].fn(V[i], V[k], nz << 28);
                    h = (h ^ r) * 0x100000001b3ull;
                    mix(r);
                }
        printf("%-16s %016llx\n", fns[f].name, (unsigned long long)h);
    }
    printf("flags checksum %016llx\n", (unsigned long long)checksum);
    return 0;
}
