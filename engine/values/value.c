/*
 * value.c - runtime values: construction, copy, SQL comparison and hashing,
 * CAST, and the textual forms ksqlDB prints.
 *
 * In:  Values (value.h encodings), SqlTypes.  Out: new Values in a caller's
 * arena, text appended to StrBufs.
 * Invariants:
 *  - numbers compare by value across INT/BIGINT/DOUBLE/DECIMAL, and values
 *    that compare equal hash equal (integral numbers hash as their int64,
 *    the rest as their double);
 *  - CAST follows ksqlDB's CastEvaluator table; Java's conversions where
 *    ksqlDB calls them (BIGINT -> INT keeps the low 32 bits like
 *    Long.intValue(), DOUBLE -> INT truncates and saturates like (int)d);
 *  - text never depends on the process locale (LC_NUMERIC may be set by
 *    the REPL): floating-point conversions run under the "C" locale.
 */
#define _GNU_SOURCE   /* strtod_l */
#include "eddy/value.h"

#include "eddy/datetime.h"

#include <ctype.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MS_PER_DAY 86400000LL

static const int64_t pow10_tab[19] = {
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

/* ---- constructors --------------------------------------------------------- */

Value v_string_borrow(const char *s, int32_t len)
{
    Value v;
    v.kind = TYPE_STRING;
    v.u.i64 = 0;
    v.u.str.ptr = s;
    v.u.str.len = len;
    return v;
}

Value v_string(Arena *a, const char *s, int32_t len)
{
    return v_string_borrow(arena_strndup(a, s, (size_t)len), len);
}

Value v_string_cstr(Arena *a, const char *s)
{
    return v_string(a, s, (int32_t)strlen(s));
}

Value v_bytes(Arena *a, const void *p, int32_t len)
{
    Value v = v_string(a, (const char *)p, len);
    v.kind = TYPE_BYTES;
    return v;
}

Value v_decimal(int64_t unscaled, int precision, int scale)
{
    Value v;
    v.kind = TYPE_DECIMAL;
    memset(&v.u, 0, sizeof v.u);
    v.u.dec.unscaled = unscaled;
    v.u.dec.precision = precision;
    v.u.dec.scale = scale;
    return v;
}

Value value_copy(Arena *a, const Value *v)
{
    Value out = *v;
    switch (v->kind) {
    case TYPE_STRING:
    case TYPE_BYTES:
        out.u.str.ptr = arena_strndup(a, v->u.str.ptr, (size_t)v->u.str.len);
        break;
    case TYPE_ARRAY:
        out.u.arr.items = arena_alloc(a, sizeof(Value) * (size_t)v->u.arr.n);
        for (int32_t i = 0; i < v->u.arr.n; i++)
            out.u.arr.items[i] = value_copy(a, &v->u.arr.items[i]);
        break;
    case TYPE_MAP:
        out.u.map.keys = arena_alloc(a, sizeof(Value) * (size_t)v->u.map.n);
        out.u.map.vals = arena_alloc(a, sizeof(Value) * (size_t)v->u.map.n);
        for (int32_t i = 0; i < v->u.map.n; i++) {
            out.u.map.keys[i] = value_copy(a, &v->u.map.keys[i]);
            out.u.map.vals[i] = value_copy(a, &v->u.map.vals[i]);
        }
        break;
    case TYPE_STRUCT:
        out.u.st.fields = arena_alloc(a, sizeof(Value) * (size_t)v->u.st.n);
        for (int32_t i = 0; i < v->u.st.n; i++)
            out.u.st.fields[i] = value_copy(a, &v->u.st.fields[i]);
        break;
    default:
        break;
    }
    return out;
}

const SqlType *value_prim_type(const Value *v)
{
    switch (v->kind) {
    case TYPE_DECIMAL:
        if (v->u.dec.precision >= 1 && v->u.dec.precision <= 18 && v->u.dec.scale >= 0
            && v->u.dec.scale <= v->u.dec.precision)
            return type_decimal(NULL, v->u.dec.precision, v->u.dec.scale);
        return NULL;
    case TYPE_ARRAY:
    case TYPE_MAP:
    case TYPE_STRUCT:
    case TYPE__COUNT:
        return NULL;
    default:
        return type_prim(v->kind);
    }
}

/* ---- decimals ------------------------------------------------------------- */

static bool dec_is_integral(int64_t unscaled, int scale)
{
    return scale <= 0 || unscaled % pow10_tab[scale] == 0;
}

/* Truncated toward zero, as BigDecimal.longValue() does for in-range values. */
static int64_t dec_trunc(int64_t unscaled, int scale)
{
    return scale <= 0 ? unscaled : unscaled / pow10_tab[scale];
}

/* Correctly rounded, as BigDecimal.doubleValue(). */
static double dec_to_double(int64_t unscaled, int scale)
{
    if (scale <= 0)
        return (double)unscaled;
    if (unscaled <= (1LL << 53) && unscaled >= -(1LL << 53))
        return (double)unscaled / (double)pow10_tab[scale];   /* both exact: one rounding */
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

/* Fits the decimal number  (neg ? -1 : 1) * digits * 10^-dscale  into
 * DECIMAL(p, s).  digits are ASCII '0'..'9' (leading zeros allowed).
 * half_up: round extra fraction digits half up, else require them zero. */
static int dec_fit(bool neg, const char *digits, size_t nd, long dscale, int p, int s,
                   bool half_up, int64_t *out)
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
        if (v >= pow10_tab[p])
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
        rc = dec_fit(neg, digits, nd, frac - exp, precision, scale, half_up, unscaled);
    if (digits != small)
        free(digits);
    return rc;
}

/* DOUBLE -> DECIMAL as ksqlDB's DecimalUtil.cast(double): the exact binary
 * value rounded half up to `p` significant digits, then to scale s. */
static int dec_from_double(double d, int p, int s, int64_t *out)
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
    return dec_fit(signbit(d) != 0, digits, nd, dscale, p, s, true, out);
}

/* ---- doubles as Java prints them ------------------------------------------ */

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

static void put_i64(StrBuf *out, int64_t v)
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
        double p = d * (double)pow10_tab[k];
        if (p >= 1125899906842624.0)   /* 2^50 */
            return false;
        double m = nearbyint(p);
        if (m / (double)pow10_tab[k] != d)
            continue;
        uint64_t mi = (uint64_t)m;
        put_u64(out, mi / (uint64_t)pow10_tab[k]);
        sb_putc(out, '.');
        if (k == 0) {
            sb_putc(out, '0');
            return true;
        }
        char frac[10];
        uint64_t f = mi % (uint64_t)pow10_tab[k];
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
    int n = shortest_digits(d, digits, &e);
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

/* Java's Double.parseDouble on s[0..n): surrounding blanks (<= ' ') ignored,
 * optional sign, "NaN", "Infinity", decimal digits with an optional point
 * and exponent, an optional f/F/d/D suffix.  Hex floats are not accepted. */
static bool parse_java_double(const char *s, size_t n, double *out)
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

/* Java's Integer.parseInt / Long.parseLong: optional sign, digits, range. */
static bool parse_java_long(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
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
        put_i64(out, v->u.i32);
        return;
    case TYPE_BIGINT:
        put_i64(out, v->u.i64);
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

/* ---- comparison ---------------------------------------------------------- */

static bool is_numeric_kind(TypeKind k)
{
    return k == TYPE_INT || k == TYPE_BIGINT || k == TYPE_DOUBLE || k == TYPE_DECIMAL;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Total order on doubles: -0.0 == 0.0, NaN equals NaN and sorts above
 * everything (as Java's Double.compare puts it). */
static int cmp_double(double a, double b)
{
    bool an = isnan(a), bn = isnan(b);
    if (an || bn)
        return an - bn;
    return (a > b) - (a < b);
}

/* Exact int64 vs double. */
static int cmp_i64_double(int64_t a, double b)
{
    if (isnan(b))
        return -1;
    if (b >= 9223372036854775808.0)
        return -1;
    if (b < -9223372036854775808.0)
        return 1;
    double f = floor(b);
    int64_t bi = (int64_t)f;   /* exact: |f| < 2^63 */
    if (a != bi)
        return a < bi ? -1 : 1;
    return b > f ? -1 : 0;
}

static int64_t value_as_i64(const Value *v)
{
    return v->kind == TYPE_INT ? v->u.i32 : v->u.i64;
}

static int cmp_dec_dec(int64_t ua, int sa, int64_t ub, int sb)
{
    __int128 a = ua, b = ub;
    for (int i = sa; i < sb; i++)
        a *= 10;
    for (int i = sb; i < sa; i++)
        b *= 10;
    return (a > b) - (a < b);
}

static int cmp_dec_double(int64_t u, int s, double d)
{
    if (isnan(d))
        return -1;
    if (dec_is_integral(u, s))
        return cmp_i64_double(dec_trunc(u, s), d);
    return cmp_double(dec_to_double(u, s), d);
}

static int cmp_numeric(const Value *a, const Value *b)
{
    TypeKind ka = a->kind, kb = b->kind;
    bool ai = ka == TYPE_INT || ka == TYPE_BIGINT, bi = kb == TYPE_INT || kb == TYPE_BIGINT;
    if (ai && bi)
        return cmp_i64(value_as_i64(a), value_as_i64(b));
    if (ka == TYPE_DOUBLE && kb == TYPE_DOUBLE)
        return cmp_double(a->u.d, b->u.d);
    if (ai && kb == TYPE_DOUBLE)
        return cmp_i64_double(value_as_i64(a), b->u.d);
    if (ka == TYPE_DOUBLE && bi)
        return -cmp_i64_double(value_as_i64(b), a->u.d);
    /* At least one decimal. */
    if (ka == TYPE_DECIMAL && kb == TYPE_DECIMAL)
        return cmp_dec_dec(a->u.dec.unscaled, a->u.dec.scale, b->u.dec.unscaled, b->u.dec.scale);
    if (ka == TYPE_DECIMAL && bi)
        return cmp_dec_dec(a->u.dec.unscaled, a->u.dec.scale, value_as_i64(b), 0);
    if (ai && kb == TYPE_DECIMAL)
        return cmp_dec_dec(value_as_i64(a), 0, b->u.dec.unscaled, b->u.dec.scale);
    if (ka == TYPE_DECIMAL)
        return cmp_dec_double(a->u.dec.unscaled, a->u.dec.scale, b->u.d);
    return -cmp_dec_double(b->u.dec.unscaled, b->u.dec.scale, a->u.d);
}

static int cmp_bytes(const Value *a, const Value *b)
{
    int32_t la = a->u.str.len, lb = b->u.str.len;
    int c = memcmp(a->u.str.ptr, b->u.str.ptr, (size_t)(la < lb ? la : lb));
    if (c != 0)
        return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

static int64_t temporal_ms(const Value *v)
{
    return v->kind == TYPE_DATE ? (int64_t)v->u.i32 * MS_PER_DAY : v->u.i64;
}

static int compare_rec(const Value *a, const Value *b, bool *ok);

/* Maps have no order in SQL; this gives equality (same entries, any order)
 * and, for unequal maps, a deterministic antisymmetric answer. */
static bool map_contains(const Value *m, const Value *k, const Value *v)
{
    for (int32_t i = 0; i < m->u.map.n; i++) {
        bool ok = true;
        if (compare_rec(&m->u.map.keys[i], k, &ok) == 0 && ok) {
            ok = true;
            return compare_rec(&m->u.map.vals[i], v, &ok) == 0 && ok;
        }
    }
    return false;
}

static int compare_maps(const Value *a, const Value *b, bool *ok)
{
    if (a->u.map.n != b->u.map.n)
        return a->u.map.n < b->u.map.n ? -1 : 1;
    bool equal = true;
    for (int32_t i = 0; i < a->u.map.n && equal; i++)
        equal = map_contains(b, &a->u.map.keys[i], &a->u.map.vals[i]);
    if (equal)
        return 0;
    uint64_t ha = value_hash(a), hb = value_hash(b);
    if (ha != hb)
        return ha < hb ? -1 : 1;
    for (int32_t i = 0; i < a->u.map.n; i++) {
        int c = compare_rec(&a->u.map.keys[i], &b->u.map.keys[i], ok);
        if (c == 0)
            c = compare_rec(&a->u.map.vals[i], &b->u.map.vals[i], ok);
        if (c != 0)
            return c;
    }
    return 1;   /* unreachable in practice: equal entries in order are equal maps */
}

static int compare_seq(const Value *a, int32_t na, const Value *b, int32_t nb, bool *ok)
{
    int32_t n = na < nb ? na : nb;
    for (int32_t i = 0; i < n; i++) {
        int c = compare_rec(&a[i], &b[i], ok);
        if (c != 0 || !*ok)
            return c;
    }
    return (na > nb) - (na < nb);
}

/* NULLs inside composites sort first and equal each other. */
static int compare_rec(const Value *a, const Value *b, bool *ok)
{
    if (a->kind == TYPE_NULL || b->kind == TYPE_NULL)
        return (b->kind == TYPE_NULL) - (a->kind == TYPE_NULL);
    if (is_numeric_kind(a->kind) && is_numeric_kind(b->kind))
        return cmp_numeric(a, b);
    if ((a->kind == TYPE_TIMESTAMP || a->kind == TYPE_DATE)
        && (b->kind == TYPE_TIMESTAMP || b->kind == TYPE_DATE))
        return cmp_i64(temporal_ms(a), temporal_ms(b));
    if (a->kind != b->kind) {
        *ok = false;
        return 0;
    }
    switch (a->kind) {
    case TYPE_BOOLEAN:
        return (int)a->u.b - (int)b->u.b;
    case TYPE_STRING:
    case TYPE_BYTES:
        return cmp_bytes(a, b);
    case TYPE_TIME:
        return cmp_i64(a->u.i32, b->u.i32);
    case TYPE_ARRAY:
        return compare_seq(a->u.arr.items, a->u.arr.n, b->u.arr.items, b->u.arr.n, ok);
    case TYPE_STRUCT:
        return compare_seq(a->u.st.fields, a->u.st.n, b->u.st.fields, b->u.st.n, ok);
    case TYPE_MAP:
        return compare_maps(a, b, ok);
    default:
        *ok = false;
        return 0;
    }
}

int value_compare(const Value *a, const Value *b, bool *ok)
{
    bool dummy = true;
    if (ok == NULL)
        ok = &dummy;
    *ok = true;
    int c = compare_rec(a, b, ok);
    if (!*ok)
        return 0;
    return c < 0 ? -1 : c > 0;
}

bool value_equal(const Value *a, const Value *b)
{
    bool ok = true;
    return value_compare(a, b, &ok) == 0 && ok;
}

/* ---- hashing ------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_combine(uint64_t h, uint64_t x)
{
    return mix64(h ^ (x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = mix64(h ^ w) * 0xff51afd7ed558ccdULL;
        b += 8;
        n -= 8;
    }
    uint64_t t = 0;
    memcpy(&t, b, n);
    return mix64(h ^ t ^ n);
}

enum { H_NULL = 1, H_NUM, H_BOOL, H_STR, H_BYTES, H_TEMPORAL, H_TIME, H_ARRAY, H_MAP, H_STRUCT };

static uint64_t hash_i64(int64_t v)
{
    return mix64((uint64_t)v ^ ((uint64_t)H_NUM << 56));
}

static uint64_t hash_double(double d)
{
    if (isnan(d))
        return mix64(0x7ff8000000000000ULL);
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        return hash_i64((int64_t)d);   /* also folds -0.0 into 0 */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return mix64(bits ^ ((uint64_t)H_NUM << 56));
}

uint64_t value_hash(const Value *v)
{
    switch (v->kind) {
    case TYPE_NULL:
        return mix64(H_NULL);
    case TYPE_BOOLEAN:
        return mix64(((uint64_t)H_BOOL << 56) | v->u.b);
    case TYPE_INT:
        return hash_i64(v->u.i32);
    case TYPE_BIGINT:
        return hash_i64(v->u.i64);
    case TYPE_DOUBLE:
        return hash_double(v->u.d);
    case TYPE_DECIMAL:
        if (dec_is_integral(v->u.dec.unscaled, v->u.dec.scale))
            return hash_i64(dec_trunc(v->u.dec.unscaled, v->u.dec.scale));
        return hash_double(dec_to_double(v->u.dec.unscaled, v->u.dec.scale));
    case TYPE_STRING:
        return hash_bytes(v->u.str.ptr, (size_t)v->u.str.len, H_STR);
    case TYPE_BYTES:
        return hash_bytes(v->u.str.ptr, (size_t)v->u.str.len, H_BYTES);
    case TYPE_TIMESTAMP:
    case TYPE_DATE:
        return mix64((uint64_t)temporal_ms(v) ^ ((uint64_t)H_TEMPORAL << 56));
    case TYPE_TIME:
        return mix64((uint64_t)(int64_t)v->u.i32 ^ ((uint64_t)H_TIME << 56));
    case TYPE_ARRAY: {
        uint64_t h = mix64(H_ARRAY);
        for (int32_t i = 0; i < v->u.arr.n; i++)
            h = hash_combine(h, value_hash(&v->u.arr.items[i]));
        return h;
    }
    case TYPE_STRUCT: {
        uint64_t h = mix64(H_STRUCT);
        for (int32_t i = 0; i < v->u.st.n; i++)
            h = hash_combine(h, value_hash(&v->u.st.fields[i]));
        return h;
    }
    case TYPE_MAP: {
        /* Order-independent: equal maps may list their entries differently. */
        uint64_t sum = 0;
        for (int32_t i = 0; i < v->u.map.n; i++)
            sum += hash_combine(value_hash(&v->u.map.keys[i]), value_hash(&v->u.map.vals[i]));
        return mix64(sum ^ ((uint64_t)H_MAP << 56));
    }
    case TYPE__COUNT:
        break;
    }
    EDDY_PANIC("value_hash: bad kind %d", (int)v->kind);
}

/* ---- CAST ----------------------------------------------------------------- */

/* "'abc'" for error messages, shortened. */
static void quote_for_error(const Value *v, char *buf, size_t size)
{
    int n = v->u.str.len > 40 ? 40 : v->u.str.len;
    snprintf(buf, size, "'%.*s%s'", n, v->u.str.ptr, v->u.str.len > 40 ? "..." : "");
}

static int cast_fail(const Value *v, const SqlType *to, EddyError *err)
{
    char what[64];
    if (v->kind == TYPE_STRING)
        quote_for_error(v, what, sizeof what);
    else {
        StrBuf sb;
        sb_init(&sb);
        value_format(v, &sb);
        snprintf(what, sizeof what, "%.40s", sb.data ? sb.data : "");
        sb_free(&sb);
    }
    StrBuf t;
    sb_init(&t);
    type_format(to, &t);
    eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "cannot cast %s to %s", what, t.data);
    sb_free(&t);
    return -1;
}

static int cast_unsupported(TypeKind from, const SqlType *to, EddyError *err)
{
    StrBuf t;
    sb_init(&t);
    type_format(to, &t);
    eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "Cast of %s to %s is not supported",
               type_kind_name(from), t.data);
    sb_free(&t);
    return -1;
}

static int dec_error(int rc, const Value *v, const SqlType *to, EddyError *err)
{
    if (rc == DEC_ERR_OVERFLOW) {
        StrBuf sb;
        sb_init(&sb);
        value_format(v, &sb);
        eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                   "numeric overflow: %.40s does not fit DECIMAL(%d, %d)", sb.data, to->precision,
                   to->scale);
        sb_free(&sb);
        return -1;
    }
    return cast_fail(v, to, err);
}

/* Java's (int) and (long) casts of a double: truncate, saturate, NaN -> 0. */
static int32_t java_d2i(double d)
{
    if (isnan(d))
        return 0;
    if (d >= 2147483647.0)
        return INT32_MAX;
    if (d <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)d;
}

static int64_t java_d2l(double d)
{
    if (isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

/* Low 32 bits, as Java's Long.intValue(). */
static int32_t low32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

static int cast_to_decimal(const Value *v, const SqlType *to, int64_t *out)
{
    int p = to->precision, s = to->scale;
    switch (v->kind) {
    case TYPE_INT:
    case TYPE_BIGINT: {
        char buf[24];
        int64_t i = value_as_i64(v);
        uint64_t mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
        int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)mag);
        return dec_fit(i < 0, buf, (size_t)n, 0, p, s, true, out);
    }
    case TYPE_DOUBLE:
        return dec_from_double(v->u.d, p, s, out);
    case TYPE_DECIMAL: {
        char buf[24];
        int64_t u = v->u.dec.unscaled;
        uint64_t mag = u < 0 ? (uint64_t)0 - (uint64_t)u : (uint64_t)u;
        int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)mag);
        return dec_fit(u < 0, buf, (size_t)n, v->u.dec.scale, p, s, true, out);
    }
    default:
        return DEC_ERR_SYNTAX;
    }
}

/* Trims Java's whitespace (chars <= ' '), as String.trim(). */
static void java_trim(const char **s, size_t *n)
{
    while (*n > 0 && (unsigned char)(*s)[0] <= ' ') {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && (unsigned char)(*s)[*n - 1] <= ' ')
        (*n)--;
}

/* ksqlDB's SqlBooleans.parseBoolean: a non-empty prefix of "true" or "yes"
 * (any case) is true, anything else false. */
static bool sql_parse_boolean(const char *s, size_t n)
{
    if (n == 0)
        return false;
    return (n <= 4 && strncasecmp(s, "true", n) == 0) || (n <= 3 && strncasecmp(s, "yes", n) == 0);
}

static int cast_from_string(const Value *v, const SqlType *to, Arena *a, Value *out, EddyError *err)
{
    const char *s = v->u.str.ptr;
    size_t n = (size_t)v->u.str.len;
    java_trim(&s, &n);
    switch (to->kind) {
    case TYPE_BOOLEAN:
        *out = v_bool(sql_parse_boolean(s, n));
        return 0;
    case TYPE_INT: {
        int64_t i;
        if (!parse_java_long(s, n, INT32_MIN, INT32_MAX, &i))
            return cast_fail(v, to, err);
        *out = v_int((int32_t)i);
        return 0;
    }
    case TYPE_BIGINT: {
        int64_t i;
        if (!parse_java_long(s, n, INT64_MIN, INT64_MAX, &i))
            return cast_fail(v, to, err);
        *out = v_bigint(i);
        return 0;
    }
    case TYPE_DOUBLE: {
        double d;
        if (!parse_java_double(s, n, &d))
            return cast_fail(v, to, err);
        *out = v_double(d);
        return 0;
    }
    case TYPE_DECIMAL: {
        int64_t u;
        int rc = value_parse_decimal(s, n, to->precision, to->scale, true, &u);
        if (rc != DEC_OK)
            return dec_error(rc, v, to, err);
        *out = v_decimal(u, to->precision, to->scale);
        return 0;
    }
    case TYPE_TIMESTAMP:
    case TYPE_DATE:
    case TYPE_TIME: {
        /* The parsers want a NUL-terminated string; no valid ISO text is
         * this long, so no arena is needed (json serde passes none). */
        char buf[64];
        if (n >= sizeof buf)
            return cast_fail(v, to, err);
        memcpy(buf, s, n);
        buf[n] = '\0';
        int rc;
        if (to->kind == TYPE_TIMESTAMP) {
            int64_t ms = 0;
            rc = dt_parse_timestamp_iso(buf, &ms);
            *out = v_timestamp(ms);
        } else if (to->kind == TYPE_DATE) {
            int32_t days = 0;
            rc = dt_parse_date_iso(buf, &days);
            *out = v_date(days);
        } else {
            int32_t ms = 0;
            rc = dt_parse_time_iso(buf, &ms);
            *out = v_time(ms);
        }
        if (rc != 0)
            return cast_fail(v, to, err);
        return 0;
    }
    case TYPE_BYTES:
        if (value_base64_decode(s, n, a, out) != 0)
            return cast_fail(v, to, err);
        return 0;
    default:
        return cast_unsupported(TYPE_STRING, to, err);
    }
}

static int cast_to_string(const Value *v, const SqlType *from, Arena *a, Value *out)
{
    StrBuf sb;
    sb_init(&sb);
    value_format_typed(v, from, &sb);
    *out = v_string(a, sb.data ? sb.data : "", (int32_t)sb.len);
    sb_free(&sb);
    return 0;
}

static int cast_numeric(const Value *v, const SqlType *to, Value *out, EddyError *err)
{
    switch (to->kind) {
    case TYPE_INT:
        switch (v->kind) {
        case TYPE_BIGINT: *out = v_int(low32(v->u.i64)); return 0;
        case TYPE_DOUBLE: *out = v_int(java_d2i(v->u.d)); return 0;
        case TYPE_DECIMAL: *out = v_int(low32(dec_trunc(v->u.dec.unscaled, v->u.dec.scale))); return 0;
        default: *out = *v; return 0;
        }
    case TYPE_BIGINT:
        switch (v->kind) {
        case TYPE_INT: *out = v_bigint(v->u.i32); return 0;
        case TYPE_DOUBLE: *out = v_bigint(java_d2l(v->u.d)); return 0;
        case TYPE_DECIMAL: *out = v_bigint(dec_trunc(v->u.dec.unscaled, v->u.dec.scale)); return 0;
        default: *out = *v; return 0;
        }
    case TYPE_DOUBLE:
        switch (v->kind) {
        case TYPE_INT: *out = v_double(v->u.i32); return 0;
        case TYPE_BIGINT: *out = v_double((double)v->u.i64); return 0;
        case TYPE_DECIMAL: *out = v_double(dec_to_double(v->u.dec.unscaled, v->u.dec.scale)); return 0;
        default: *out = *v; return 0;
        }
    case TYPE_DECIMAL: {
        if (v->kind == TYPE_DECIMAL && v->u.dec.precision == to->precision
            && v->u.dec.scale == to->scale) {
            *out = *v;
            return 0;
        }
        int64_t u;
        int rc = cast_to_decimal(v, to, &u);
        if (rc != DEC_OK)
            return dec_error(rc, v, to, err);
        *out = v_decimal(u, to->precision, to->scale);
        return 0;
    }
    default:
        return cast_unsupported(v->kind, to, err);
    }
}

static int cast_array(const Value *v, const SqlType *from, const SqlType *to, Arena *a, Value *out,
                      EddyError *err)
{
    const SqlType *fe = from && from->kind == TYPE_ARRAY ? from->elem : NULL;
    Value r;
    r.kind = TYPE_ARRAY;
    r.u.i64 = 0;
    r.u.arr.n = v->u.arr.n;
    r.u.arr.items = arena_alloc(a, sizeof(Value) * (size_t)v->u.arr.n);
    for (int32_t i = 0; i < v->u.arr.n; i++)
        if (value_cast_from(&v->u.arr.items[i], fe, to->elem, a, &r.u.arr.items[i], err) != 0)
            return -1;
    *out = r;
    return 0;
}

static int cast_map(const Value *v, const SqlType *from, const SqlType *to, Arena *a, Value *out,
                    EddyError *err)
{
    bool fm = from && from->kind == TYPE_MAP;
    const SqlType *kt = to->key ? to->key : type_prim(TYPE_STRING);
    Value r;
    r.kind = TYPE_MAP;
    r.u.i64 = 0;
    r.u.map.n = v->u.map.n;
    r.u.map.keys = arena_alloc(a, sizeof(Value) * (size_t)v->u.map.n);
    r.u.map.vals = arena_alloc(a, sizeof(Value) * (size_t)v->u.map.n);
    for (int32_t i = 0; i < v->u.map.n; i++) {
        if (value_cast_from(&v->u.map.keys[i], fm ? from->key : NULL, kt, a, &r.u.map.keys[i], err)
            || value_cast_from(&v->u.map.vals[i], fm ? from->elem : NULL, to->elem, a,
                               &r.u.map.vals[i], err))
            return -1;
    }
    *out = r;
    return 0;
}

static int cast_struct(const Value *v, const SqlType *from, const SqlType *to, Arena *a,
                       Value *out, EddyError *err)
{
    bool named = from && from->kind == TYPE_STRUCT && from->nfields == v->u.st.n;
    Value r;
    r.kind = TYPE_STRUCT;
    r.u.i64 = 0;
    r.u.st.n = to->nfields;
    r.u.st.fields = arena_alloc(a, sizeof(Value) * (size_t)(to->nfields > 0 ? to->nfields : 1));
    for (int i = 0; i < to->nfields; i++) {
        int src = -1;
        if (named) {
            for (int j = 0; j < from->nfields; j++)
                if (strcmp(from->fields[j].name, to->fields[i].name) == 0) {
                    src = j;
                    break;
                }
        } else if (i < v->u.st.n) {
            src = i;
        }
        if (src < 0) {
            r.u.st.fields[i] = v_null();
            continue;
        }
        if (value_cast_from(&v->u.st.fields[src], named ? from->fields[src].type : NULL,
                            to->fields[i].type, a, &r.u.st.fields[i], err) != 0)
            return -1;
    }
    *out = r;
    return 0;
}

int value_cast_from(const Value *v, const SqlType *from, const SqlType *to, Arena *a, Value *out,
                    EddyError *err)
{
    if (v->kind == TYPE_NULL) {
        *out = *v;
        return 0;
    }
    switch (to->kind) {
    case TYPE_STRING:
        if (v->kind == TYPE_STRING) {
            *out = *v;
            return 0;
        }
        if (v->kind == TYPE_BYTES)   /* ksqlDB: "any except BYTES" */
            return cast_unsupported(v->kind, to, err);
        return cast_to_string(v, from, a, out);
    case TYPE_ARRAY:
        if (v->kind != TYPE_ARRAY)
            return cast_unsupported(v->kind, to, err);
        return cast_array(v, from, to, a, out, err);
    case TYPE_MAP:
        if (v->kind != TYPE_MAP)
            return cast_unsupported(v->kind, to, err);
        return cast_map(v, from, to, a, out, err);
    case TYPE_STRUCT:
        if (v->kind != TYPE_STRUCT)
            return cast_unsupported(v->kind, to, err);
        return cast_struct(v, from, to, a, out, err);
    default:
        break;
    }
    if (v->kind == TYPE_STRING)
        return cast_from_string(v, to, a, out, err);
    if (is_numeric_kind(v->kind) && is_numeric_kind(to->kind))
        return cast_numeric(v, to, out, err);
    if (v->kind == to->kind && to->kind != TYPE_DECIMAL) {
        *out = *v;
        return 0;
    }
    switch (v->kind) {
    case TYPE_TIMESTAMP:
        if (to->kind == TYPE_DATE) {
            int64_t ms = v->u.i64;
            int64_t days = ms / MS_PER_DAY - (ms % MS_PER_DAY < 0);
            *out = v_date((int32_t)days);
            return 0;
        }
        if (to->kind == TYPE_TIME) {
            int64_t r = v->u.i64 % MS_PER_DAY;
            *out = v_time((int32_t)(r < 0 ? r + MS_PER_DAY : r));
            return 0;
        }
        break;
    case TYPE_DATE:
        if (to->kind == TYPE_TIMESTAMP) {
            *out = v_timestamp((int64_t)v->u.i32 * MS_PER_DAY);
            return 0;
        }
        break;
    default:
        break;
    }
    return cast_unsupported(v->kind, to, err);
}

int value_cast(const Value *v, const SqlType *to, Arena *a, Value *out, EddyError *err)
{
    return value_cast_from(v, NULL, to, a, out, err);
}

/* ---- schemas ---------------------------------------------------------------- */

Schema *schema_create(Arena *a, int ncols)
{
    Schema *s = arena_alloc(a, sizeof *s);
    s->ncols = ncols;
    s->cols = arena_alloc(a, sizeof(Column) * (size_t)(ncols > 0 ? ncols : 1));
    s->nkeys = 0;
    return s;
}

int schema_find(const Schema *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (s->cols[i].name && strcmp(s->cols[i].name, name) == 0)
            return i;
    return -1;
}

int schema_find_ci(const Schema *s, const char *name)
{
    int exact = schema_find(s, name);
    if (exact >= 0)
        return exact;
    for (int i = 0; i < s->ncols; i++)
        if (str_ieq(s->cols[i].name, name))
            return i;
    return -1;
}

Schema *schema_copy(Arena *a, const Schema *s)
{
    Schema *c = schema_create(a, s->ncols);
    c->nkeys = s->nkeys;
    for (int i = 0; i < s->ncols; i++) {
        c->cols[i].name = arena_strdup(a, s->cols[i].name);
        c->cols[i].type = type_copy(a, s->cols[i].type);
        c->cols[i].role = s->cols[i].role;
    }
    return c;
}
