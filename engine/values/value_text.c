/*
 * value_text.c - the text forms of values: numbers as Java writes and
 * reads them (Double.toString / parseDouble, Long.parseLong, BigDecimal),
 * DECIMAL arithmetic on those digits, base64 for BYTES, and value_format.
 *
 * In:  Values and numbers; text (s[0..n), not NUL-terminated) to parse.
 * Out: text appended to a StrBuf; parsed numbers; BYTES in a caller's arena.
 * Invariant: text never depends on the process locale (LC_NUMERIC may be
 * set by the REPL): floating-point conversions run under the "C" locale.
 */
#define _GNU_SOURCE   /* strtod_l */
#include "value_int.h"

#include "eddy/datetime.h"

#include <ctype.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int64_t value_pow10[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

/* ---- the "C" locale for floating-point text ------------------------------ */

static locale_t c_loc;
static pthread_once_t c_loc_once = PTHREAD_ONCE_INIT;

static void c_loc_init(void)
{
    c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c_loc == (locale_t)0)
        EDDY_PANIC("newlocale(C) failed");
}

static locale_t c_locale(void)
{
    pthread_once(&c_loc_once, c_loc_init);
    return c_loc;
}

/* strtod on s[0..n) (not NUL-terminated) in the C locale; the caller has
 * checked the syntax, so the whole text converts. */
static double strtod_n(const char *s, size_t n)
{
    char small[128];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (buf == NULL)
        EDDY_PANIC("out of memory");
    memcpy(buf, s, n);
    buf[n] = '\0';
    double d = strtod_l(buf, NULL, c_locale());
    if (buf != small)
        free(buf);
    return d;
}

/* ---- decimals ------------------------------------------------------------- */

double value_dec_to_double(int64_t unscaled, int scale)
{
    if (scale <= 0)
        return (double)unscaled;
    if (unscaled <= (1LL << 53) && unscaled >= -(1LL << 53))
        return (double)unscaled / (double)value_pow10[scale];   /* both exact: one rounding */
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%lldE-%d", (long long)unscaled, scale);
    return strtod_n(buf, (size_t)n);
}

void value_format_decimal(int64_t unscaled, int scale, StrBuf *out)
{
    char digits[24];
    /* Magnitude as unsigned: INT64_MIN has no positive int64. */
    uint64_t mag = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    if (unscaled < 0)
        sb_putc(out, '-');
    if (scale <= 0) {
        sb_append(out, digits, (size_t)n);
        for (int i = 0; i < -scale; i++)
            sb_putc(out, '0');
        return;
    }
    if (n <= scale) {
        sb_puts(out, "0.");
        for (int i = n; i < scale; i++)
            sb_putc(out, '0');
        sb_append(out, digits, (size_t)n);
    } else {
        sb_append(out, digits, (size_t)(n - scale));
        sb_putc(out, '.');
        sb_append(out, digits + n - scale, (size_t)scale);
    }
}

int value_dec_fit(bool neg, const char *digits, size_t nd, long dscale, int p, int s, bool half_up,
                  int64_t *out)
{
    if (p < 1 || p > 18 || s < 0 || s > p)
        return DEC_ERR_OVERFLOW;
    while (nd > 0 && *digits == '0') {
        digits++;
        nd--;
    }
    if (nd == 0) {
        *out = 0;
        return DEC_OK;
    }
    /* Integer digits of a number with no leading zeros: |v| >= 10^(int-1). */
    long intdigits = (long)nd - dscale;
    if (intdigits > p - s)
        return DEC_ERR_OVERFLOW;
    /* Keep the digits down to 10^-s; "keep" may be <= 0 (all fraction). */
    long keep = (long)nd - (dscale - s);
    int64_t v = 0;
    bool round_up = false;
    if (keep >= (long)nd) {
        for (size_t i = 0; i < nd; i++)
            v = v * 10 + (digits[i] - '0');
        for (long i = (long)nd; i < keep; i++)
            v *= 10;
    } else {
        for (long i = 0; i < keep; i++)
            v = v * 10 + (digits[i] - '0');
        size_t first = keep < 0 ? 0 : (size_t)keep;
        if (keep < 0) {
            /* Dropped part starts with -keep implicit zeros: below one half. */
            round_up = false;
        } else {
            round_up = digits[first] >= '5';
        }
        if (!half_up) {
            for (size_t i = first; i < nd; i++)
                if (digits[i] != '0')
                    return DEC_ERR_ROUNDING;
        }
        if (half_up && round_up)
            v++;
        if (v >= value_pow10[p])
            return DEC_ERR_OVERFLOW;   /* 9.995 -> 10.00 in DECIMAL(3, 2) */
    }
    *out = neg ? -v : v;
    return DEC_OK;
}

int value_parse_decimal(const char *s, size_t n, int precision, int scale, bool half_up,
                        int64_t *unscaled)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    /* Collect the significand digits without the point into a buffer;
     * long inputs are rare, so they may use the heap. */
    char small[64];
    char *digits = small;
    size_t cap = sizeof small, nd = 0;
    long frac = 0;
    bool seen_point = false, any = false;
    int rc = DEC_OK;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (nd == cap) {
                size_t ncap = cap * 2;
                char *nb = malloc(ncap);
                if (nb == NULL)
                    EDDY_PANIC("out of memory");
                memcpy(nb, digits, nd);
                if (digits != small)
                    free(digits);
                digits = nb;
                cap = ncap;
            }
            digits[nd++] = c;
            any = true;
            if (seen_point)
                frac++;
        } else if (c == '.' && !seen_point) {
            seen_point = true;
        } else {
            break;
        }
    }
    long exp = 0;
    if (!any)
        rc = DEC_ERR_SYNTAX;
    else if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= n)
            rc = DEC_ERR_SYNTAX;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (exp < 100000000)
                exp = exp * 10 + (s[i] - '0');
        if (eneg)
            exp = -exp;
    }
    if (rc == DEC_OK && i != n)
        rc = DEC_ERR_SYNTAX;
    if (rc == DEC_OK)
        rc = value_dec_fit(neg, digits, nd, frac - exp, precision, scale, half_up, unscaled);
    if (digits != small)
        free(digits);
    return rc;
}

int value_dec_from_double(double d, int p, int s, int64_t *out)
{
    if (!isfinite(d))
        return DEC_ERR_SYNTAX;
    if (p < 1 || p > 18)
        return DEC_ERR_OVERFLOW;
    /* 780 fraction digits hold any double's exact expansion (<= 767 significant). */
    char buf[820];
    locale_t old = uselocale(c_locale());
    int n = snprintf(buf, sizeof buf, "%.780e", fabs(d));
    uselocale(old);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return DEC_ERR_SYNTAX;
    /* buf = D.DDDD...e[+-]XX */
    char digits[800];
    size_t nd = 0;
    const char *q = buf;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9')
            digits[nd++] = *q;
    long e10 = *q == 'e' ? strtol(q + 1, NULL, 10) : 0;
    long dscale = (long)nd - 1 - e10;
    /* Round to p significant digits (MathContext(p), HALF_UP). */
    size_t lead = 0;
    while (lead < nd && digits[lead] == '0')
        lead++;
    if (lead == nd) {
        *out = 0;
        return DEC_OK;
    }
    if (nd - lead > (size_t)p) {
        size_t cut = lead + (size_t)p;
        bool up = digits[cut] >= '5';
        dscale -= (long)(nd - cut);
        nd = cut;
        if (up) {
            size_t k = nd;
            while (k > lead && digits[k - 1] == '9')
                digits[--k] = '0';
            if (k > lead)
                digits[k - 1]++;
            else {
                /* 999 -> 1000: all rounded to zeros; shift right for the new 1. */
                memmove(digits + lead + 1, digits + lead, nd - lead);
                digits[lead] = '1';
                nd++;
            }
        }
    }
    return value_dec_fit(signbit(d) != 0, digits, nd, dscale, p, s, true, out);
}

/* ---- numbers as Java prints them ------------------------------------------ */

/* Shortest decimal digits that read back as d (finite, > 0): digits[0..n)
 * with digits[0] != '0', the value being d1.d2d3... x 10^exp10.
 * Among the shortest, the closest to d (what Java's Double.toString picks). */
static int shortest_digits(double d, char *digits, int *exp10)
{
    char buf[40];
    locale_t old = uselocale(c_locale());
    int p;
    if (d >= DBL_MIN) {
        /* For a normal double, if some p <= 15 digits round-trip, the nearest
         * 15-digit decimal is that one padded with zeros (the 15-digit grid is
         * finer than half an ulp apart from it), so 15, 16, 17 suffice. */
        for (p = 15; p < 17; p++) {
            snprintf(buf, sizeof buf, "%.*e", p - 1, d);
            if (strtod_l(buf, NULL, c_loc) == d)
                break;
        }
        if (p == 17)
            snprintf(buf, sizeof buf, "%.*e", 16, d);
    } else {
        /* Subnormal: few significant bits, search every length.  Java keeps
         * two digits when one would do if the two-digit one is closer. */
        for (p = 1; p < 17; p++) {
            snprintf(buf, sizeof buf, "%.*e", p - 1, d);
            if (strtod_l(buf, NULL, c_loc) == d)
                break;
        }
        if (p == 1)
            p = 2;
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
    }
    uselocale(old);
    int n = 0;
    const char *q = buf;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9')
            digits[n++] = *q;
    *exp10 = *q == 'e' ? (int)strtol(q + 1, NULL, 10) : 0;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
}

/* shortest_digits without printf or strtod for d in Java's plain range
 * [1e-3, 1e7), giving the same digits: the same search (15, 16, then 17
 * digits, each the nearest p-digit decimal, ties to even as printf
 * rounds), done in exact integer arithmetic.  There d = m * 2^-sh with
 * m < 2^53, sh in [30, 63], and d * 10^s for the s needed (8..19) is
 * m * 10^s / 2^sh with m * 10^s < 2^117: every quantity fits 128 bits.
 * A p-digit decimal D * 10^-s reads back as d (what strtod would say)
 * when it lies in d's rounding interval: |D * 2^sh - m * 10^s| below half
 * of 10^s (a quarter on the narrow side of a power of two), a tie going
 * to the even mantissa.  Returns the digit count, or 0 if d is outside
 * that range (the caller then searches with printf). */
static int plain_digits(double d, char *digits, int *exp10)
{
    typedef unsigned __int128 u128;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    int be = (int)(bits >> 52 & 0x7FF);
    uint64_t m = (bits & ((1ULL << 52) - 1)) | 1ULL << 52;
    int sh = 1075 - be;
    if (!(d >= 1e-3 && d < 1e7) || sh < 1 || sh > 63)
        return 0;
    /* E = floor(log10(d)), exactly: 10^E <= d < 10^(E+1) */
    int E = d >= 1 ? (d >= 1e4 ? 4 : 0) : -3;
    for (;;) {
        int up = E + 1;
        u128 lhs = (u128)m * (u128)value_pow10[up < 0 ? -up : 0];
        u128 rhs = (u128)value_pow10[up > 0 ? up : 0] << sh;
        if (lhs < rhs)
            break;
        E++;
    }
    for (int p = 15; p <= 17; p++) {
        int s = p - 1 - E;   /* 8..19 */
        u128 ten_s = s <= 18 ? (u128)value_pow10[s] : (u128)value_pow10[18] * 10;
        u128 y = (u128)m * ten_s;
        u128 dd = y >> sh, rem = y & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);
        if (rem > half || (rem == half && (dd & 1)))
            dd++;
        if (p < 17) {
            u128 x = dd << sh;
            bool above = x >= y;
            u128 diff = above ? x - y : y - x;
            bool narrow = !above && m == 1ULL << 52;
            u128 lim = narrow ? diff * 4 : diff * 2;
            bool even = (m & 1) == 0;
            if (!(lim < ten_s || (lim == ten_s && even)))
                continue;
        }
        uint64_t v = (uint64_t)dd;
        int e = E;
        if (v == (uint64_t)(p <= 18 ? value_pow10[p] : 0)) {   /* 9.99..95 rounded up to 10 */
            v /= 10;
            e++;
        }
        char tmp[20];
        for (int i = p - 1; i >= 0; i--) {
            tmp[i] = (char)('0' + v % 10);
            v /= 10;
        }
        int n = p;
        while (n > 1 && tmp[n - 1] == '0')
            n--;
        memcpy(digits, tmp, (size_t)n);
        *exp10 = e;
        return n;
    }
    return 0;
}

/* Appends v in decimal (no printf: this runs per value on the encode path). */
static void put_u64(StrBuf *out, uint64_t v)
{
    char buf[20];
    int i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_append(out, buf + i, sizeof buf - (size_t)i);
}

void value_format_long(int64_t v, StrBuf *out)
{
    if (v < 0) {
        sb_putc(out, '-');
        put_u64(out, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(out, (uint64_t)v);
    }
}

/* The common case of value_format_double without printf: d (positive, in
 * Java's plain range) equals M / 10^k for the smallest k <= 9.  M / 10^k
 * is then exactly what strtod makes of "M e-k" (M < 2^50 and 10^k are
 * exact, the division rounds once), so those digits round-trip; no
 * shorter ones do (k is smallest), and below 2^50 no other k-digit
 * decimal lies within half an ulp, so it is also the closest.  Returns
 * false to fall back to the general search. */
static bool format_plain_fast(double d, StrBuf *out)
{
    for (int k = 0; k <= 9; k++) {
        double p = d * (double)value_pow10[k];
        if (p >= 1125899906842624.0)   /* 2^50 */
            return false;
        double m = nearbyint(p);
        if (m / (double)value_pow10[k] != d)
            continue;
        uint64_t mi = (uint64_t)m;
        put_u64(out, mi / (uint64_t)value_pow10[k]);
        sb_putc(out, '.');
        if (k == 0) {
            sb_putc(out, '0');
            return true;
        }
        char frac[10];
        uint64_t f = mi % (uint64_t)value_pow10[k];
        for (int i = k - 1; i >= 0; i--) {
            frac[i] = (char)('0' + f % 10);
            f /= 10;
        }
        sb_append(out, frac, (size_t)k);
        return true;
    }
    return false;
}

void value_format_double(double d, StrBuf *out)
{
    if (isnan(d)) {
        sb_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        sb_puts(out, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (d == 0) {
        sb_puts(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    if (d < 0) {
        sb_putc(out, '-');
        d = -d;
    }
    if (d >= 1e-3 && d < 1e7 && format_plain_fast(d, out))
        return;
    char digits[24];
    int e;
    int n = plain_digits(d, digits, &e);
    if (n == 0)
        n = shortest_digits(d, digits, &e);
    if (d >= 1e-3 && d < 1e7) {
        if (e >= 0) {
            /* integer part: digits[0..e], padded with zeros */
            for (int i = 0; i <= e; i++)
                sb_putc(out, i < n ? digits[i] : '0');
            sb_putc(out, '.');
            if (n > e + 1)
                sb_append(out, digits + e + 1, (size_t)(n - e - 1));
            else
                sb_putc(out, '0');
        } else {
            sb_puts(out, "0.");
            for (int i = 0; i < -e - 1; i++)
                sb_putc(out, '0');
            sb_append(out, digits, (size_t)n);
        }
    } else {
        sb_putc(out, digits[0]);
        sb_putc(out, '.');
        if (n > 1)
            sb_append(out, digits + 1, (size_t)(n - 1));
        else
            sb_putc(out, '0');
        sb_printf(out, "E%d", e);
    }
}

/* ---- numbers as Java parses them ------------------------------------------ */

bool value_parse_double(const char *s, size_t n, double *out)
{
    while (n > 0 && (unsigned char)s[0] <= ' ') {
        s++;
        n--;
    }
    while (n > 0 && (unsigned char)s[n - 1] <= ' ')
        n--;
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (n - i == 3 && memcmp(s + i, "NaN", 3) == 0) {
        *out = NAN;
        return true;
    }
    if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    size_t start = i, ndig = 0;
    while (i < n && isdigit((unsigned char)s[i])) {
        i++;
        ndig++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i])) {
            i++;
            ndig++;
        }
    }
    if (ndig == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && isdigit((unsigned char)s[i])) {
            i++;
            ed++;
        }
        if (ed == 0)
            return false;
    }
    size_t end = i;
    if (i < n && (s[i] == 'f' || s[i] == 'F' || s[i] == 'd' || s[i] == 'D'))
        i++;
    if (i != n)
        return false;
    double d = strtod_n(s + start, end - start);
    *out = neg ? -d : d;
    return true;
}

bool value_parse_long(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    /* Accumulate negatively so INT64_MIN parses. */
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int dgt = s[i] - '0';
        if (v < (INT64_MIN + dgt) / 10)
            return false;
        v = v * 10 - dgt;
    }
    if (!neg) {
        if (v == INT64_MIN)
            return false;
        v = -v;
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* ---- base64 ---------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void value_base64_encode(const void *p, size_t n, StrBuf *out)
{
    const unsigned char *b = p;
    char quad[4];
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t w = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        quad[0] = b64_alphabet[w >> 18];
        quad[1] = b64_alphabet[(w >> 12) & 63];
        quad[2] = b64_alphabet[(w >> 6) & 63];
        quad[3] = b64_alphabet[w & 63];
        sb_append(out, quad, 4);
    }
    if (i < n) {
        uint32_t w = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0);
        quad[0] = b64_alphabet[w >> 18];
        quad[1] = b64_alphabet[(w >> 12) & 63];
        quad[2] = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
        quad[3] = '=';
        sb_append(out, quad, 4);
    }
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int value_base64_decode(const char *s, size_t n, Arena *a, Value *out)
{
    /* Padding is optional (java.util.Base64's decoder); once it starts only
     * padding may follow, and a lone trailing sextet is invalid. */
    size_t body = n;
    size_t pad = 0;
    while (body > 0 && s[body - 1] == '=' && pad < 2) {
        body--;
        pad++;
    }
    if (pad > 0 && (body + pad) % 4 != 0)
        return -1;
    if (body % 4 == 1)
        return -1;
    size_t outlen = body / 4 * 3 + (body % 4 == 0 ? 0 : body % 4 - 1);
    unsigned char *buf = arena_alloc(a, outlen + 1);
    size_t o = 0;
    uint32_t w = 0;
    int bits = 0;
    for (size_t i = 0; i < body; i++) {
        int v = b64_val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        w = w << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(w >> bits);
            w &= (1u << bits) - 1;
        }
    }
    buf[o] = '\0';
    out->kind = TYPE_BYTES;
    out->u.i64 = 0;
    out->u.str.ptr = (const char *)buf;
    out->u.str.len = (int32_t)o;
    return 0;
}

/* ---- text ------------------------------------------------------------------- */

void value_format_typed(const Value *v, const SqlType *type, StrBuf *out)
{
    switch (v->kind) {
    case TYPE_NULL:
        sb_puts(out, "null");
        return;
    case TYPE_BOOLEAN:
        sb_puts(out, v->u.b ? "true" : "false");
        return;
    case TYPE_INT:
        value_format_long(v->u.i32, out);
        return;
    case TYPE_BIGINT:
        value_format_long(v->u.i64, out);
        return;
    case TYPE_DOUBLE:
        value_format_double(v->u.d, out);
        return;
    case TYPE_DECIMAL:
        value_format_decimal(v->u.dec.unscaled, v->u.dec.scale, out);
        return;
    case TYPE_STRING:
        sb_append(out, v->u.str.ptr, (size_t)v->u.str.len);
        return;
    case TYPE_BYTES:
        value_base64_encode(v->u.str.ptr, (size_t)v->u.str.len, out);
        return;
    case TYPE_TIMESTAMP:
        dt_format_timestamp_iso(v->u.i64, out);
        return;
    case TYPE_DATE:
        dt_format_date_iso(v->u.i32, out);
        return;
    case TYPE_TIME:
        dt_format_time_iso(v->u.i32, out);
        return;
    case TYPE_ARRAY: {
        const SqlType *et = type && type->kind == TYPE_ARRAY ? type->elem : NULL;
        sb_putc(out, '[');
        for (int32_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                sb_puts(out, ", ");
            value_format_typed(&v->u.arr.items[i], et, out);
        }
        sb_putc(out, ']');
        return;
    }
    case TYPE_MAP: {
        const SqlType *kt = type && type->kind == TYPE_MAP ? type->key : NULL;
        const SqlType *vt = type && type->kind == TYPE_MAP ? type->elem : NULL;
        sb_putc(out, '{');
        for (int32_t i = 0; i < v->u.map.n; i++) {
            if (i)
                sb_puts(out, ", ");
            value_format_typed(&v->u.map.keys[i], kt, out);
            sb_putc(out, '=');
            value_format_typed(&v->u.map.vals[i], vt, out);
        }
        sb_putc(out, '}');
        return;
    }
    case TYPE_STRUCT: {
        bool named = type && type->kind == TYPE_STRUCT && type->nfields == v->u.st.n;
        sb_putc(out, '{');
        for (int32_t i = 0; i < v->u.st.n; i++) {
            if (i)
                sb_puts(out, ", ");
            if (named) {
                sb_puts(out, type->fields[i].name);
                sb_putc(out, '=');
            }
            value_format_typed(&v->u.st.fields[i], named ? type->fields[i].type : NULL, out);
        }
        sb_putc(out, '}');
        return;
    }
    case TYPE__COUNT:
        break;
    }
    EDDY_PANIC("value_format: bad kind %d", (int)v->kind);
}

void value_format(const Value *v, StrBuf *out)
{
    value_format_typed(v, NULL, out);
}

