/* The printf family. One formatter writes through `struct out`, which is
 * either a bounded string (snprintf) or a stream (fprintf).
 *
 * Floating point (%f %e %g %a) is exact: the double m * 2^e is turned into
 * its full decimal expansion with a small bignum (m * 2^e, or m * 5^-e
 * shifted by e decimal places), then rounded to nearest, ties to even, on
 * those exact digits -- the digits glibc prints in its default rounding
 * mode. (glibc follows a changed FPCR rounding mode; we always round to
 * nearest.) Precision is capped at 1000 digits. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out {
    FILE *f;       /* stream, or NULL for a string */
    char *buf;     /* string destination */
    size_t cap;    /* its size, including the NUL */
    size_t len;    /* characters produced so far (the return value) */
    char tmp[128]; /* stream staging buffer */
    size_t tlen;
};

static void out_flush(struct out *o)
{
    if (o->f && o->tlen) fwrite(o->tmp, 1, o->tlen, o->f);
    o->tlen = 0;
}

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, o->len++) {
        if (o->f) {
            if (o->tlen == sizeof o->tmp) out_flush(o);
            o->tmp[o->tlen++] = s[i];
        } else if (o->len + 1 < o->cap) {
            o->buf[o->len] = s[i];
        }
    }
}

static void pad(struct out *o, char c, int n)
{
    for (; n > 0; n--) put(o, &c, 1);
}

enum { F_LEFT = 1, F_PLUS = 2, F_SPACE = 4, F_ALT = 8, F_ZERO = 16 };

/* Emit prefix (sign, 0x), then `zeros` zeros, then body, padded to width. */
static void emit(struct out *o, const char *prefix, int zeros, const char *body, int blen, int width, int flags)
{
    int plen = (int)strlen(prefix);
    int total = plen + zeros + blen;
    if (!(flags & F_LEFT) && !(flags & F_ZERO)) pad(o, ' ', width - total);
    put(o, prefix, (size_t)plen);
    if (!(flags & F_LEFT) && (flags & F_ZERO)) pad(o, '0', width - total);
    pad(o, '0', zeros);
    put(o, body, (size_t)blen);
    if (flags & F_LEFT) pad(o, ' ', width - total);
}

static void fmt_int(struct out *o, unsigned long long v, int neg, int base, int upper, int prec, int width, int flags, char conv)
{
    char digits[32];
    int n = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (v) {
        digits[sizeof digits - 1 - n++] = set[v % (unsigned)base];
        v /= (unsigned)base;
    }
    char prefix[4] = "";
    if (neg) strcpy(prefix, "-");
    else if (flags & F_PLUS && (conv == 'd' || conv == 'i')) strcpy(prefix, "+");
    else if (flags & F_SPACE && (conv == 'd' || conv == 'i')) strcpy(prefix, " ");
    int zeros = prec > n ? prec - n : 0;
    if (prec < 0 && n == 0) zeros = 1; /* the value 0 with the default precision */
    if (flags & F_ALT) {
        if (base == 16 && n) strcpy(prefix, upper ? "0X" : "0x");
        if (base == 8 && zeros == 0) zeros = 1; /* %#o: the first digit is 0 */
    }
    if (prec >= 0) flags &= ~F_ZERO;
    emit(o, prefix, zeros, digits + sizeof digits - n, n, width, flags);
}

/* --- exact decimal expansion ------------------------------------------------ */

#define LIMBS 96 /* base 1e9: 864 digits >= 767 needed for m * 5^1074 */
#define MAXDIG 800
#define MAXPREC 1000

/* Decimal digits of m * 2^e (m != 0) into d (no leading zeros); value = 0.d * 10^*dexp. */
static int exact_digits(uint64_t m, int e, char *d, int *dexp)
{
    uint32_t limb[LIMBS];
    int nl = 0;
    while (m) {
        limb[nl++] = (uint32_t)(m % 1000000000u);
        m /= 1000000000u;
    }
    int k = e > 0 ? e : -e;
    while (k > 0) {
        uint64_t mul;
        int step;
        if (e > 0) {
            step = k < 29 ? k : 29;
            mul = (uint64_t)1 << step;
        } else {
            step = k < 13 ? k : 13;
            mul = 1;
            for (int i = 0; i < step; i++) mul *= 5;
        }
        uint64_t carry = 0;
        for (int i = 0; i < nl; i++) {
            uint64_t t = limb[i] * mul + carry;
            limb[i] = (uint32_t)(t % 1000000000u);
            carry = t / 1000000000u;
        }
        while (carry) {
            limb[nl++] = (uint32_t)(carry % 1000000000u);
            carry /= 1000000000u;
        }
        k -= step;
    }
    int n = 0;
    char tmp[10];
    for (int i = nl - 1; i >= 0; i--) {
        uint32_t v = limb[i];
        int t = 0;
        for (int j = 0; j < 9; j++) {
            tmp[t++] = (char)('0' + v % 10);
            v /= 10;
        }
        while (i == nl - 1 && t > 1 && tmp[t - 1] == '0') t--; /* no leading zeros */
        while (t) d[n++] = tmp[--t];
    }
    *dexp = e >= 0 ? n : n + e;
    while (n > 1 && d[n - 1] == '0') n--;
    return n;
}

/* Round the digits d[0..*n) to `keep` digits, nearest-even; may bump *dexp. n = 0 means zero. */
static void round_digits(char *d, int *n, int *dexp, int keep)
{
    if (keep >= *n) return;
    if (keep < 0) {
        *n = 0;
        return;
    }
    int up;
    if (d[keep] != '5') up = d[keep] > '5';
    else {
        int rest = 0;
        for (int i = keep + 1; i < *n; i++) rest |= d[i] != '0';
        up = rest || (keep > 0 && (d[keep - 1] - '0') % 2 == 1);
    }
    *n = keep;
    if (!up) {
        while (*n > 0 && d[*n - 1] == '0') (*n)--;
        return;
    }
    int i = keep - 1;
    while (i >= 0 && d[i] == '9') i--;
    if (i < 0) {
        d[0] = '1';
        *n = 1;
        (*dexp)++;
        return;
    }
    d[i]++;
    *n = i + 1;
}

static char digit_at(const char *d, int n, int i) { return i >= 0 && i < n ? d[i] : '0'; }

/* %f body for digits (value 0.d * 10^dexp) with prec fraction digits. */
static int body_f(char *b, const char *d, int n, int dexp, int prec, int alt)
{
    int len = 0;
    if (dexp <= 0) b[len++] = '0';
    for (int i = 0; i < dexp; i++) b[len++] = digit_at(d, n, i);
    if (prec > 0 || alt) b[len++] = '.';
    for (int i = 0; i < prec; i++) b[len++] = digit_at(d, n, dexp + i);
    return len;
}

static int body_e(char *b, const char *d, int n, int x, int prec, int alt, int upper)
{
    int len = 0;
    b[len++] = digit_at(d, n, 0);
    if (prec > 0 || alt) b[len++] = '.';
    for (int i = 1; i <= prec; i++) b[len++] = digit_at(d, n, i);
    b[len++] = upper ? 'E' : 'e';
    b[len++] = x < 0 ? '-' : '+';
    unsigned ax = (unsigned)(x < 0 ? -x : x);
    char t[8];
    int tn = 0;
    do {
        t[tn++] = (char)('0' + ax % 10);
        ax /= 10;
    } while (ax);
    if (tn < 2) t[tn++] = '0';
    while (tn) b[len++] = t[--tn];
    return len;
}

static int body_a(char *b, uint64_t bits, int prec, int alt, int upper)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int bexp = (int)((bits >> 52) & 0x7ff);
    uint64_t frac = bits & 0xfffffffffffffull;
    int lead = bexp != 0;
    int x = bexp ? bexp - 1023 : (frac ? -1022 : 0);
    int nd = 13;
    if (prec >= 0 && prec < 13) {
        int shift = 4 * (13 - prec);
        uint64_t rem = frac & (((uint64_t)1 << shift) - 1), half = (uint64_t)1 << (shift - 1);
        frac >>= shift;
        /* ties to even on the last kept digit, which is the leading one at precision 0 */
        if (rem > half || (rem == half && ((prec == 0 ? (uint64_t)lead : frac) & 1))) frac++;
        if (prec == 0 ? frac != 0 : (frac >> (4 * prec)) != 0) {
            lead++;
            frac &= prec == 0 ? 0 : (((uint64_t)1 << (4 * prec)) - 1);
        }
        nd = prec;
    } else if (prec < 0) {
        while (nd > 0 && (frac & 0xf) == 0) {
            frac >>= 4;
            nd--;
        }
    }
    int len = 0;
    b[len++] = '0';
    b[len++] = upper ? 'X' : 'x';
    b[len++] = (char)('0' + lead);
    if (nd > 0 || prec > 0 || alt) b[len++] = '.';
    for (int i = nd - 1; i >= 0; i--) b[len++] = set[(frac >> (4 * i)) & 0xf];
    for (int i = nd; i < prec; i++) b[len++] = '0';
    b[len++] = upper ? 'P' : 'p';
    b[len++] = x < 0 ? '-' : '+';
    unsigned ax = (unsigned)(x < 0 ? -x : x);
    char t[8];
    int tn = 0;
    do {
        t[tn++] = (char)('0' + ax % 10);
        ax /= 10;
    } while (ax);
    while (tn) b[len++] = t[--tn];
    return len;
}

static void fmt_float(struct out *o, double v, char conv, int prec, int width, int flags)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    int neg = (int)(bits >> 63);
    int upper = conv >= 'A' && conv <= 'Z';
    char lc = (char)(conv | 0x20);
    const char *prefix = neg ? "-" : flags & F_PLUS ? "+" : flags & F_SPACE ? " " : "";
    static char b[MAXPREC + 400];
    int blen;
    if (((bits >> 52) & 0x7ff) == 0x7ff) {
        const char *s = (bits & 0xfffffffffffffull) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        emit(o, prefix, 0, s, 3, width, flags & ~F_ZERO);
        return;
    }
    if (prec > MAXPREC) prec = MAXPREC;
    int alt = (flags & F_ALT) != 0;
    if (lc == 'a') {
        blen = body_a(b, bits, prec, alt, upper);
        emit(o, prefix, 0, b, blen, width, flags);
        return;
    }
    if (prec < 0) prec = 6;
    char d[MAXDIG];
    int n = 0, dexp = 1;
    uint64_t mant = bits & 0xfffffffffffffull;
    int bexp = (int)((bits >> 52) & 0x7ff);
    if (bexp) mant |= (uint64_t)1 << 52;
    if (mant) n = exact_digits(mant, (bexp ? bexp : 1) - 1075, d, &dexp);
    if (lc == 'f') {
        if (n) round_digits(d, &n, &dexp, dexp + prec);
        blen = body_f(b, d, n, dexp, prec, alt);
    } else if (lc == 'e') {
        if (n) round_digits(d, &n, &dexp, prec + 1);
        blen = body_e(b, d, n, n ? dexp - 1 : 0, prec, alt, upper);
    } else { /* g */
        int p = prec == 0 ? 1 : prec;
        if (n) round_digits(d, &n, &dexp, p);
        int x = n ? dexp - 1 : 0;
        if (p > x && x >= -4) blen = body_f(b, d, n, dexp, p - 1 - x, alt);
        else blen = body_e(b, d, n, x, p - 1, alt, upper);
        if (!alt) {
            char *dot = memchr(b, '.', (size_t)blen);
            if (dot) {
                char *epos = memchr(b, upper ? 'E' : 'e', (size_t)blen);
                int end = epos ? (int)(epos - b) : blen;
                int cut = end;
                while (cut > 0 && b[cut - 1] == '0') cut--;
                if (b + cut - 1 == dot) cut--;
                memmove(b + cut, b + end, (size_t)(blen - end));
                blen -= end - cut;
            }
        }
    }
    emit(o, prefix, 0, b, blen, width, flags);
}

/* --- the formatter ------------------------------------------------------------ */

static void format(struct out *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            const char *s = fmt;
            while (fmt[1] && fmt[1] != '%') fmt++;
            put(o, s, (size_t)(fmt - s + 1));
            continue;
        }
        fmt++;
        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-') flags |= F_LEFT;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '#') flags |= F_ALT;
            else if (*fmt == '0') flags |= F_ZERO;
            else break;
        }
        int width = 0, prec = -1;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                if (prec < 0) prec = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
            }
        }
        if (flags & F_LEFT) flags &= ~F_ZERO;
        int len = 0; /* 1 h, 2 hh, 3 l/ll/z/j/t */
        if (*fmt == 'h') {
            len = 1;
            if (*++fmt == 'h') {
                len = 2;
                fmt++;
            }
        } else if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't') {
            len = 3;
            if (*fmt++ == 'l' && *fmt == 'l') fmt++;
        }
        char conv = *fmt;
        switch (conv) {
        case 'd':
        case 'i': {
            long long v = len == 3 ? va_arg(ap, long long) : va_arg(ap, int);
            if (len == 1) v = (short)v;
            if (len == 2) v = (signed char)v;
            unsigned long long mag = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
            fmt_int(o, mag, v < 0, 10, 0, prec, width, flags, conv);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            unsigned long long v = len == 3 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            if (len == 1) v = (unsigned short)v;
            if (len == 2) v = (unsigned char)v;
            fmt_int(o, v, 0, conv == 'o' ? 8 : conv == 'u' ? 10 : 16, conv == 'X', prec, width, flags, conv);
            break;
        }
        case 'p': {
            void *p = va_arg(ap, void *);
            if (!p) emit(o, "", 0, "(nil)", 5, width, flags & ~F_ZERO);
            else fmt_int(o, (uintptr_t)p, 0, 16, 0, prec, width, flags | F_ALT, 'p');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit(o, "", 0, &c, 1, width, flags & ~F_ZERO);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
            emit(o, "", 0, s, n, width, flags & ~F_ZERO);
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
            fmt_float(o, va_arg(ap, double), conv, prec, width, flags);
            break;
        case 'n':
            *va_arg(ap, int *) = (int)o->len;
            break;
        case '%':
            put(o, "%", 1);
            break;
        default: /* unknown or truncated conversion: print it as written */
            put(o, "%", 1);
            if (!conv) return;
            put(o, &conv, 1);
            break;
        }
    }
}

int vsnprintf(char *restrict s, size_t n, const char *restrict fmt, va_list ap)
{
    struct out o = {0};
    o.buf = s;
    o.cap = n;
    format(&o, fmt, ap);
    if (n) s[o.len < n ? o.len : n - 1] = 0;
    return (int)o.len;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
    struct out o;
    o.f = f;
    o.len = o.tlen = 0;
    format(&o, fmt, ap);
    out_flush(&o);
    return (int)o.len;
}

int vsprintf(char *restrict s, const char *restrict fmt, va_list ap) { return vsnprintf(s, (size_t)-1 >> 1, fmt, ap); }
int vprintf(const char *restrict fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int sprintf(char *restrict s, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsprintf(s, fmt, ap);
    va_end(ap);
    return r;
}

int snprintf(char *restrict s, size_t n, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(s, n, fmt, ap);
    va_end(ap);
    return r;
}
