/*
 * func_math.c - numeric functions of the builtin registry (the table is in
 * functions.c): ABS, CEIL, FLOOR, ROUND, TRUNC, SIGN, SQRT, CBRT, EXP, LN,
 * LOG, POWER, trigonometry, RANDOM, GREATEST/LEAST, GEO_DISTANCE.
 *
 * In:  argument Values cast to the overload's parameter types.
 * Out: a Value, or -1 with ctx->err set.
 *
 * Rounding follows ksqlDB: ROUND(x) is Java's Math.round (half toward
 * positive infinity: ROUND(-1.5) = -1); ROUND(x, n) rounds the shortest
 * decimal text of a DOUBLE (BigDecimal.valueOf) HALF_UP for positive and
 * HALF_DOWN for negative values, so ROUND(2.675, 2) = 2.68 although the
 * binary double is slightly below 2.675.  DECIMAL arithmetic is exact on
 * the unscaled int64; a result that no longer fits the type's precision is
 * an error rather than a wrong number.
 */
#include "func_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NULL_ARG(i) (v_is_null(&a[i]))

static const int64_t pow10_i64[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

/* Java's Math.round(double): floor(x + 0.5) without the 0.49999999999999994
 * error, NaN -> 0, saturating at the long range. */
static int64_t java_round(double x)
{
    if (isnan(x))
        return 0;
    double f = floor(x);
    double r = x - f >= 0.5 ? f + 1 : f;
    if (r >= 9223372036854775807.0)
        return INT64_MAX;
    if (r <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)r;
}

/* Java's (long) cast: truncation toward zero, NaN -> 0, saturating. */
static int64_t java_long(double x)
{
    if (isnan(x))
        return 0;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

/* ---- DECIMAL helpers --------------------------------------------------- */

typedef enum RoundMode { RM_ROUND, RM_TRUNC, RM_CEIL, RM_FLOOR } RoundMode;

/* Rounds unscaled (at scale s) to `places` decimal places, returning the
 * new unscaled value still at scale s.  RM_ROUND is HALF_UP for positive
 * and HALF_DOWN for negative values (Math.round's direction). */
static int64_t dec_round(int64_t unscaled, int s, int64_t places, RoundMode mode)
{
    if (places >= s)
        return unscaled;
    int64_t k = s - places;                 /* digits to drop */
    if (k > 18) {
        /* |unscaled| < 10^18: everything is dropped and below one half. */
        if (mode == RM_CEIL && unscaled > 0)
            return INT64_MAX;               /* caller's overflow check rejects */
        if (mode == RM_FLOOR && unscaled < 0)
            return INT64_MIN;
        return 0;
    }
    int64_t p = pow10_i64[k];
    int64_t q = unscaled / p, r = unscaled % p;  /* truncation toward zero */
    switch (mode) {
    case RM_ROUND: {
        int64_t half = p / 2;
        if (unscaled > 0 && r >= half)
            q++;
        else if (unscaled < 0 && -r > half)
            q--;
        break;
    }
    case RM_CEIL:
        if (r > 0)
            q++;
        break;
    case RM_FLOOR:
        if (r < 0)
            q--;
        break;
    case RM_TRUNC:
        break;
    }
    /* Back to scale s: q * 10^k, guarding overflow (callers check precision). */
    if (q > INT64_MAX / p || q < INT64_MIN / p)
        return q > 0 ? INT64_MAX : INT64_MIN;
    return q * p;
}

static bool dec_fits(int64_t unscaled, int precision)
{
    if (unscaled == INT64_MIN || unscaled == INT64_MAX)
        return false;
    int64_t a = unscaled < 0 ? -unscaled : unscaled;
    return precision >= 19 || a < pow10_i64[precision];
}

static int dec_result(int64_t unscaled, int precision, int scale, const char *fname, Value *out, FuncCtx *ctx)
{
    if (!dec_fits(unscaled, precision))
        return func_fail(ctx, "%s: result does not fit DECIMAL(%d, %d)", fname, precision, scale);
    *out = v_decimal(unscaled, precision, scale);
    return 0;
}

/* Shortest decimal form of a finite double as digits D and scale s, so
 * that x = D * 10^-s (BigDecimal.valueOf(x)).  D has no sign. */
static int shortest_decimal(double x, char *digits, size_t cap, int64_t *scale)
{
    StrBuf *sb = func_scratch();
    value_format_double(fabs(x), sb);       /* "123.45", "1.0E-5", "1.2345E10" */
    const char *p = sb->data ? sb->data : "0";
    size_t nd = 0;
    int64_t frac = 0, exp = 0;
    bool after_point = false;
    for (; *p && *p != 'E'; p++) {
        if (*p == '.') {
            after_point = true;
            continue;
        }
        if (nd + 1 < cap)
            digits[nd++] = *p;
        if (after_point)
            frac++;
    }
    if (*p == 'E')
        exp = strtoll(p + 1, NULL, 10);
    digits[nd] = '\0';
    *scale = frac - exp;
    return (int)nd;
}

/* ROUND(x, n) / TRUNC(x, n) for DOUBLE through its shortest decimal text. */
static int double_places(double x, int64_t places, bool trunc, double *res, FuncCtx *ctx, const char *fname)
{
    if (!isfinite(x))
        return func_fail(ctx, "%s: cannot round %s", fname, isnan(x) ? "NaN" : "Infinity");
    char d[64];
    int64_t s;
    int nd = shortest_decimal(x, d, sizeof d, &s);
    if (places >= s) {
        *res = x;
        return 0;
    }
    int64_t drop = s - places;
    int64_t keep = nd - drop;
    if (keep < 0) {
        /* Every digit is dropped and the first dropped one is a leading zero. */
        *res = 0.0;
        return 0;
    }
    bool up = false;
    if (!trunc) {
        int first = keep < nd ? d[keep] - '0' : 0;
        bool rest_nonzero = false;
        for (int64_t i = keep + 1; i < nd; i++)
            if (d[i] != '0')
                rest_nonzero = true;
        if (x > 0)
            up = first >= 5;
        else
            up = first > 5 || (first == 5 && rest_nonzero);
    }
    /* Build "<kept digits(+1)>e<-places>" and convert (no decimal point: locale-proof). */
    char buf[96];
    size_t bl = 0;
    if (x < 0)
        buf[bl++] = '-';
    if (keep == 0) {
        buf[bl++] = up ? '1' : '0';
    } else {
        char kept[64];
        memcpy(kept, d, (size_t)keep);
        int64_t i = keep - 1;
        if (up) {
            while (i >= 0 && kept[i] == '9')
                kept[i--] = '0';
            if (i >= 0)
                kept[i]++;
            else
                buf[bl++] = '1';
        }
        memcpy(buf + bl, kept, (size_t)keep);
        bl += (size_t)keep;
    }
    snprintf(buf + bl, sizeof buf - bl, "e%lld", (long long)-places);
    *res = strtod(buf, NULL);
    if (*res == 0)
        *res = 0.0;   /* BigDecimal has no negative zero */
    return 0;
}

/* ---- ABS, CEIL, FLOOR, SIGN ---------------------------------------- */

int fn_abs(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    switch (a[0].kind) {
    case TYPE_INT: *out = v_int((int32_t)(a[0].u.i32 < 0 ? 0u - (uint32_t)a[0].u.i32 : (uint32_t)a[0].u.i32)); return 0;
    case TYPE_BIGINT: *out = v_bigint((int64_t)(a[0].u.i64 < 0 ? 0u - (uint64_t)a[0].u.i64 : (uint64_t)a[0].u.i64)); return 0;
    case TYPE_DOUBLE: *out = v_double(fabs(a[0].u.d)); return 0;
    case TYPE_DECIMAL:
        *out = a[0];
        if (out->u.dec.unscaled < 0)
            out->u.dec.unscaled = -out->u.dec.unscaled;
        return 0;
    default: RETURN_NULL;
    }
}

static int ceil_floor(const Value *a, Value *out, FuncCtx *ctx, bool up)
{
    switch (a[0].kind) {
    case TYPE_INT:
    case TYPE_BIGINT:
        *out = a[0];
        return 0;
    case TYPE_DOUBLE:
        *out = v_double(up ? ceil(a[0].u.d) : floor(a[0].u.d));
        return 0;
    case TYPE_DECIMAL: {
        int p = a[0].u.dec.precision, s = a[0].u.dec.scale;
        return dec_result(dec_round(a[0].u.dec.unscaled, s, 0, up ? RM_CEIL : RM_FLOOR), p, s,
                          up ? "CEIL" : "FLOOR", out, ctx);
    }
    default: RETURN_NULL;
    }
}

int fn_ceil(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return ceil_floor(a, out, ctx, true);
}

int fn_floor(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return ceil_floor(a, out, ctx, false);
}

int fn_sign(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    switch (a[0].kind) {
    case TYPE_INT: *out = v_int((a[0].u.i32 > 0) - (a[0].u.i32 < 0)); return 0;
    case TYPE_BIGINT: *out = v_int((a[0].u.i64 > 0) - (a[0].u.i64 < 0)); return 0;
    case TYPE_DOUBLE: *out = v_int((a[0].u.d > 0) - (a[0].u.d < 0)); return 0;   /* NaN -> 0 */
    case TYPE_DECIMAL: *out = v_int((a[0].u.dec.unscaled > 0) - (a[0].u.dec.unscaled < 0)); return 0;
    default: RETURN_NULL;
    }
}

/* ---- ROUND, TRUNC --------------------------------------------------- */

static int round_trunc(const Value *a, int n, Value *out, FuncCtx *ctx, bool trunc)
{
    const char *fname = trunc ? "TRUNC" : "ROUND";
    if (NULL_ARG(0) || (n > 1 && NULL_ARG(1)))
        RETURN_NULL;
    if (n == 1) {
        switch (a[0].kind) {
        case TYPE_INT: *out = v_bigint(a[0].u.i32); return 0;
        case TYPE_BIGINT: *out = v_bigint(a[0].u.i64); return 0;
        case TYPE_DOUBLE: *out = v_bigint(trunc ? java_long(a[0].u.d) : java_round(a[0].u.d)); return 0;
        case TYPE_DECIMAL: {
            int p = a[0].u.dec.precision, s = a[0].u.dec.scale;
            int64_t r = dec_round(a[0].u.dec.unscaled, s, 0, trunc ? RM_TRUNC : RM_ROUND);
            int64_t whole = r == INT64_MAX || r == INT64_MIN ? r : r / pow10_i64[s];
            int np = p - s < 1 ? 1 : p - s;
            return dec_result(whole, np, 0, fname, out, ctx);
        }
        default: RETURN_NULL;
        }
    }
    int64_t places = a[1].u.i32;
    if (a[0].kind == TYPE_DECIMAL) {
        /* ksqlDB keeps the input's scale (and type) for ROUND(decimal, n). */
        int p = a[0].u.dec.precision, s = a[0].u.dec.scale;
        return dec_result(dec_round(a[0].u.dec.unscaled, s, places, trunc ? RM_TRUNC : RM_ROUND), p, s,
                          fname, out, ctx);
    }
    double x = a[0].kind == TYPE_DOUBLE ? a[0].u.d : a[0].kind == TYPE_BIGINT ? (double)a[0].u.i64 : a[0].u.i32;
    double r = 0;
    if (double_places(x, places, trunc, &r, ctx, fname) != 0)
        return -1;
    *out = v_double(r);
    return 0;
}

int fn_round(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    return round_trunc(a, n, out, ctx, false);
}

int fn_trunc(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    return round_trunc(a, n, out, ctx, true);
}

/* ---- DOUBLE -> DOUBLE functions ----------------------------------------- */

#define DOUBLE_FN(name, expr)                                            \
    int name(const Value *a, int n, Value *out, FuncCtx *ctx)            \
    {                                                                    \
        (void)n, (void)ctx;                                              \
        if (NULL_ARG(0))                                                 \
            RETURN_NULL;                                                 \
        double x = a[0].u.d;                                             \
        *out = v_double(expr);                                           \
        return 0;                                                        \
    }

DOUBLE_FN(fn_sqrt, sqrt(x))
/* glibc's cbrt is not always correctly rounded (cbrt(27) = 3.0000000000000004);
 * Java's gives exact roots of perfect cubes, so snap to them. */
static double exact_cbrt(double x)
{
    double r = cbrt(x), n = nearbyint(r);
    return n * n * n == x ? n : r;
}

DOUBLE_FN(fn_cbrt, exact_cbrt(x))
DOUBLE_FN(fn_exp, exp(x))
DOUBLE_FN(fn_ln, log(x))
DOUBLE_FN(fn_acos, acos(x))
DOUBLE_FN(fn_asin, asin(x))
DOUBLE_FN(fn_atan, atan(x))
DOUBLE_FN(fn_cos, cos(x))
DOUBLE_FN(fn_cosh, cosh(x))
DOUBLE_FN(fn_cot, 1.0 / tan(x))
DOUBLE_FN(fn_sin, sin(x))
DOUBLE_FN(fn_sinh, sinh(x))
DOUBLE_FN(fn_tan, tan(x))
DOUBLE_FN(fn_tanh, tanh(x))
DOUBLE_FN(fn_degrees, x * (180.0 / M_PI))
DOUBLE_FN(fn_radians, x / 180.0 * M_PI)

int fn_atan2(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (NULL_ARG(0) || NULL_ARG(1))
        RETURN_NULL;
    *out = v_double(atan2(a[0].u.d, a[1].u.d));
    return 0;
}

int fn_pi(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)a, (void)n, (void)ctx;
    *out = v_double(M_PI);
    return 0;
}

/* LOG(x) is the natural logarithm, as ksqlDB's implementation computes it
 * (Math.log); LOG(base, x) = ln(x) / ln(base), NaN for base <= 0 or 1. */
int fn_log(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    for (int i = 0; i < n; i++)
        if (NULL_ARG(i))
            RETURN_NULL;
    if (n == 1) {
        *out = v_double(log(a[0].u.d));
        return 0;
    }
    double base = a[0].u.d, x = a[1].u.d;
    *out = v_double(base <= 0 || base == 1 ? NAN : log(x) / log(base));
    return 0;
}

/* Java's Math.pow differs from C's pow where C returns 1: pow(1, NaN)
 * and pow(+-1, +-Infinity) are NaN in Java. */
int fn_power(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (NULL_ARG(0) || NULL_ARG(1))
        RETURN_NULL;
    double x = a[0].u.d, y = a[1].u.d;
    if (isnan(y) || (isinf(y) && fabs(x) == 1.0))
        *out = v_double(NAN);
    else
        *out = v_double(pow(x, y));
    return 0;
}

int fn_random(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)a, (void)n, (void)ctx;
    *out = v_double((double)(func_random_u64() >> 11) * 0x1.0p-53);
    return 0;
}

/* ---- GREATEST, LEAST ---------------------------------------------------- */

static int extreme(const Value *a, int n, Value *out, FuncCtx *ctx, int sign)
{
    const Value *best = NULL;
    for (int i = 0; i < n; i++) {
        if (v_is_null(&a[i]))
            continue;
        if (best == NULL) {
            best = &a[i];
            continue;
        }
        bool ok = true;
        int c = value_compare(&a[i], best, &ok);
        if (!ok)
            return func_fail(ctx, "%s: values are not comparable", sign > 0 ? "GREATEST" : "LEAST");
        if (c * sign > 0)
            best = &a[i];
    }
    *out = best ? *best : v_null();
    return 0;
}

int fn_greatest(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    return extreme(a, n, out, ctx, 1);
}

int fn_least(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    return extreme(a, n, out, ctx, -1);
}

/* ---- GEO_DISTANCE ------------------------------------------------------- */

/* Haversine great-circle distance with ksqlDB's effective earth radius:
 * 6371 km or 3959 miles. */
int fn_geo_distance(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    for (int i = 0; i < 4; i++)
        if (NULL_ARG(i))
            RETURN_NULL;
    double lat1 = a[0].u.d, lon1 = a[1].u.d, lat2 = a[2].u.d, lon2 = a[3].u.d;
    if (lat1 < -90 || lat2 < -90 || lat1 > 90 || lat2 > 90)
        return func_fail(ctx, "valid latitude values for GeoDistance function are in the range of -90 to 90"
                         " decimal degrees");
    if (lon1 < -180 || lon2 < -180 || lon1 > 180 || lon2 > 180)
        return func_fail(ctx, "valid longitude values for GeoDistance function are in the range of -180 to +180"
                         " decimal degrees");
    double radius = 6371.0;
    if (n > 4 && !NULL_ARG(4)) {
        /* Trimmed, case-insensitive unit name; blank means the default (km). */
        const char *u = a[4].u.str.ptr;
        size_t len = (size_t)a[4].u.str.len;
        while (len > 0 && (unsigned char)*u <= ' ')
            u++, len--;
        while (len > 0 && (unsigned char)u[len - 1] <= ' ')
            len--;
        char unit[16];
        if (len > 0) {
            if (len >= sizeof unit)
                len = sizeof unit - 1;
            memcpy(unit, u, len);
            unit[len] = '\0';
            static const char *const miles[] = {"mi", "mile", "miles"};
            static const char *const kms[] = {"km", "kilometer", "kilometers", "kilometre", "kilometres"};
            bool found = false;
            for (int i = 0; i < 3 && !found; i++)
                if (str_ieq(unit, miles[i]))
                    radius = 3959.0, found = true;
            for (int i = 0; i < 5 && !found; i++)
                if (str_ieq(unit, kms[i]))
                    found = true;
            if (!found)
                return func_fail(ctx, "GeoDistance function units parameter must be one of mi, mile, miles, km, "
                                 "kilometer, kilometers, kilometre or kilometres. Values are case-insensitive.");
        }
    }
    double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double h = pow(sin(dlat / 2), 2) + pow(sin(dlon / 2), 2) * cos(lat1 * rad) * cos(lat2 * rad);
    *out = v_double(2 * asin(sqrt(h)) * radius);
    return 0;
}
