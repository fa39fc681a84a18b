/*
 * agg_numeric.c - COUNT, SUM, AVG, MIN, MAX, STDDEV_SAMP, STDDEV_SAMPLE and
 * CORRELATION.
 *
 * In:  states and arguments (cast to AggCall.params).  Out: new states
 *      and results in the caller's arena (aggregates.h's ownership rule).
 *
 * States (the exact shape AggCall.state_type names):
 *   COUNT          BIGINT
 *   SUM            the column's type (INT, BIGINT, DOUBLE, DECIMAL(p, s))
 *   AVG            STRUCT<SUM A, COUNT BIGINT>
 *   MIN, MAX       NULL until a non-NULL value, then that value
 *   STDDEV_*       STRUCT<SUM A, COUNT BIGINT, M2 DOUBLE>
 *   CORRELATION    STRUCT<X_SUM, Y_SUM, X_SQUARED_SUM, Y_SQUARED_SUM, XY_SUM DOUBLE, COUNT BIGINT>
 *
 * Arithmetic is ksqlDB's, to the bit, because its QTT expectations print
 * every digit: INT sums live in a Java int and BIGINT sums in a long, and
 * overflow wraps there; AVG divides the sum by the count as doubles and
 * is 0.0 with no values; the standard deviations run the Youngs-Cramer
 * update of ksqlDB's StandardDeviationSamp(le)Udaf step for step.  Two of
 * its quirks are kept on purpose, since conformance is measured against
 * its tests: STDDEV_SAMP returns the sample variance (its tests say so),
 * and STDDEV_SAMP's merge of INT/BIGINT states subtracts the means in
 * integer division.  STDDEV_SAMPLE is the corrected function.
 *
 * One departure: SUM of a DECIMAL that no longer fits DECIMAL(p, s) fails
 * the record in ksqlDB ("Numeric field overflow"); AggFns cannot report
 * an error, so that row is left out of the sum.
 *
 * Undo: COUNT, SUM, AVG, STDDEV_*, CORRELATION (ksqlDB's TableUdafs);
 * MIN and MAX cannot undo.  Every function here merges.
 */
#include "agg_int.h"

#include <math.h>

static const int64_t pow10_tab[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

static TypeKind arg_kind(const AggCall *c)
{
    return c->nargs > 0 ? c->params[0]->kind : TYPE_BIGINT;
}

static double as_double(const Value *v)
{
    switch (v->kind) {
    case TYPE_INT: return v->u.i32;
    case TYPE_BIGINT: return (double)v->u.i64;
    case TYPE_DOUBLE: return v->u.d;
    case TYPE_DECIMAL:
        if (v->u.dec.scale >= 0 && v->u.dec.scale <= 18)
            return (double)v->u.dec.unscaled / (double)pow10_tab[v->u.dec.scale];
        return 0.0;
    default: return 0.0;
    }
}

/* Java's long division, without C's traps (x / 0, INT64_MIN / -1). */
static int64_t java_div64(int64_t x, int64_t y)
{
    if (y == 0)
        return 0;
    if (y == -1)
        return agg_wrap_sub64(0, x);
    return x / y;
}

/* Field i of a STRUCT state with n fields, or NULL if the state is not one. */
static const Value *field(const Value *state, int32_t n, int32_t i)
{
    static const Value null_value = {TYPE_NULL, {0}};
    if (state->kind != TYPE_STRUCT || state->u.st.n != n)
        return &null_value;
    return &state->u.st.fields[i];
}

/* ---- COUNT -------------------------------------------------------------------- */

static int64_t count_of(const Value *state)
{
    return state->kind == TYPE_BIGINT ? state->u.i64 : 0;
}

static void count_init(const AggCall *c, Value *state, Arena *a)
{
    *state = v_bigint(0);
}

static void count_star_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime,
                            int64_t offset, Arena *a)
{
    *state = v_bigint(agg_wrap_add64(count_of(state), 1));
}

static void count_star_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    *state = v_bigint(agg_wrap_sub64(count_of(state), 1));
}

static void count_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                       Arena *a)
{
    if (!v_is_null(&args[0]))
        *state = v_bigint(agg_wrap_add64(count_of(state), 1));
}

static void count_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    if (!v_is_null(&args[0]))
        *state = v_bigint(agg_wrap_sub64(count_of(state), 1));
}

static void count_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    *state = v_bigint(agg_wrap_add64(count_of(state), count_of(other)));
}

static void count_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    *out = v_bigint(count_of(state));
}

const AggFns agg_count_star_fns = {count_init, count_star_step, count_star_undo, count_merge, count_result};
const AggFns agg_count_fns = {count_init, count_step, count_undo, count_merge, count_result};

/* ---- sums shared by SUM, AVG and STDDEV_* -------------------------------------- */

/* Zero of the column type. */
static Value zero_of(const AggCall *c)
{
    switch (arg_kind(c)) {
    case TYPE_INT: return v_int(0);
    case TYPE_DOUBLE: return v_double(0.0);
    case TYPE_DECIMAL: return v_decimal(0, c->params[0]->precision, c->params[0]->scale);
    default: return v_bigint(0);
    }
}

/* The unscaled value of decimal v at `scale` (HALF_UP when shortening);
 * false if it does not fit an int64. */
static bool dec_at_scale(const Value *v, int scale, int64_t *out)
{
    int from = v->u.dec.scale;
    __int128 u = v->u.dec.unscaled;
    if (from < 0 || from > 18 || scale < 0 || scale > 18)
        return false;
    if (from < scale) {
        u *= pow10_tab[scale - from];
    } else if (from > scale) {
        int64_t p = pow10_tab[from - scale];
        __int128 q = u / p, r = u % p;
        if (2 * (r < 0 ? -r : r) >= p)
            q += u < 0 ? -1 : 1;
        u = q;
    }
    if (u > INT64_MAX || u < INT64_MIN)
        return false;
    *out = (int64_t)u;
    return true;
}

/* sum +/- v for the column type; false (sum untouched) when a DECIMAL sum
 * leaves DECIMAL(p, s). */
static bool add_to(const AggCall *c, Value *sum, const Value *v, bool subtract)
{
    Value s = sum->kind == TYPE_NULL ? zero_of(c) : *sum;
    switch (arg_kind(c)) {
    case TYPE_INT: {
        int32_t x = s.kind == TYPE_INT ? s.u.i32 : 0, y = (int32_t)agg_i64(v);
        *sum = v_int(subtract ? agg_wrap_sub32(x, y) : agg_wrap_add32(x, y));
        return true;
    }
    case TYPE_DOUBLE: {
        double x = s.kind == TYPE_DOUBLE ? s.u.d : 0.0, y = as_double(v);
        *sum = v_double(subtract ? x - y : x + y);
        return true;
    }
    case TYPE_DECIMAL: {
        int p = c->params[0]->precision, sc = c->params[0]->scale;
        int64_t x = 0, y;
        if (s.kind == TYPE_DECIMAL && !dec_at_scale(&s, sc, &x))
            return false;
        if (v->kind != TYPE_DECIMAL || !dec_at_scale(v, sc, &y) || p < 1 || p > 18)
            return false;
        __int128 r = (__int128)x + (subtract ? -(__int128)y : (__int128)y);
        if (r >= pow10_tab[p] || r <= -pow10_tab[p])
            return false;   /* ksqlDB: "Numeric field overflow" */
        *sum = v_decimal((int64_t)r, p, sc);
        return true;
    }
    default: {
        int64_t x = s.kind == TYPE_BIGINT ? s.u.i64 : 0, y = agg_i64(v);
        *sum = v_bigint(subtract ? agg_wrap_sub64(x, y) : agg_wrap_add64(x, y));
        return true;
    }
    }
}

/* ---- SUM ------------------------------------------------------------------------ */

static void sum_init(const AggCall *c, Value *state, Arena *a)
{
    *state = zero_of(c);
}

static void sum_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                     Arena *a)
{
    if (!v_is_null(&args[0]))
        add_to(c, state, &args[0], false);
}

static void sum_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    if (!v_is_null(&args[0]))
        add_to(c, state, &args[0], true);
}

static void sum_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    if (!v_is_null(other))
        add_to(c, state, other, false);
}

static void sum_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    *out = v_is_null(state) ? zero_of(c) : *state;
}

const AggFns agg_sum_fns = {sum_init, sum_step, sum_undo, sum_merge, sum_result};

/* ---- AVG: STRUCT<SUM A, COUNT BIGINT> --------------------------------------------- */

static Value avg_make(Arena *a, Value sum, int64_t count)
{
    Value st = agg_struct(a, 2);
    st.u.st.fields[0] = sum;
    st.u.st.fields[1] = v_bigint(count);
    return st;
}

static void avg_init(const AggCall *c, Value *state, Arena *a)
{
    *state = avg_make(a, zero_of(c), 0);
}

static void avg_add(const AggCall *c, Value *state, const Value *v, bool subtract, Arena *a)
{
    Value sum = *field(state, 2, 0);
    int64_t count = count_of(field(state, 2, 1));
    add_to(c, &sum, v, subtract);
    *state = avg_make(a, sum, subtract ? agg_wrap_sub64(count, 1) : agg_wrap_add64(count, 1));
}

static void avg_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                     Arena *a)
{
    if (!v_is_null(&args[0]))
        avg_add(c, state, &args[0], false, a);
}

static void avg_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    if (!v_is_null(&args[0]))
        avg_add(c, state, &args[0], true, a);
}

static void avg_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    Value sum = *field(state, 2, 0);
    const Value *osum = field(other, 2, 0);
    if (!v_is_null(osum))
        add_to(c, &sum, osum, false);
    *state = avg_make(a, sum, agg_wrap_add64(count_of(field(state, 2, 1)), count_of(field(other, 2, 1))));
}

static void avg_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    int64_t count = count_of(field(state, 2, 1));
    *out = v_double(count == 0 ? 0.0 : as_double(field(state, 2, 0)) / (double)count);
}

const AggFns agg_avg_fns = {avg_init, avg_step, avg_undo, avg_merge, avg_result};

/* ---- MIN, MAX ------------------------------------------------------------------ */

static void extreme_init(const AggCall *c, Value *state, Arena *a)
{
    *state = v_null();
}

/* Keeps v if it beats the state (sign -1: smaller, +1: larger). */
static void extreme_offer(Value *state, const Value *v, int sign)
{
    if (v_is_null(v))
        return;
    if (v_is_null(state) || agg_compare(v, state) * sign > 0)
        *state = *v;
}

static void min_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                     Arena *a)
{
    extreme_offer(state, &args[0], -1);
}

static void min_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    extreme_offer(state, other, -1);
}

static void max_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                     Arena *a)
{
    extreme_offer(state, &args[0], 1);
}

static void max_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    extreme_offer(state, other, 1);
}

static void extreme_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    *out = *state;
}

const AggFns agg_min_fns = {extreme_init, min_step, NULL, min_merge, extreme_result};
const AggFns agg_max_fns = {extreme_init, max_step, NULL, max_merge, extreme_result};

/* ---- STDDEV_SAMP, STDDEV_SAMPLE: STRUCT<SUM A, COUNT BIGINT, M2 DOUBLE> ------------ */

static Value sd_make(Arena *a, Value sum, int64_t count, double m2)
{
    Value st = agg_struct(a, 3);
    st.u.st.fields[0] = sum;
    st.u.st.fields[1] = v_bigint(count);
    st.u.st.fields[2] = v_double(m2);
    return st;
}

static double m2_of(const Value *state)
{
    const Value *m2 = field(state, 3, 2);
    return m2->kind == TYPE_DOUBLE ? m2->u.d : 0.0;
}

/* ksqlDB's createDelta: v * (count + 1) - (sum + v), in the column's Java
 * arithmetic (the int sum wraps before it widens to long). */
static double sd_delta(const AggCall *c, const Value *state, const Value *v)
{
    const Value *sum = field(state, 3, 0);
    int64_t count = count_of(field(state, 3, 1));
    switch (arg_kind(c)) {
    case TYPE_INT: {
        int32_t x = (int32_t)agg_i64(v), s = sum->kind == TYPE_INT ? sum->u.i32 : 0;
        return (double)agg_wrap_sub64(agg_wrap_mul64(x, agg_wrap_add64(count, 1)), agg_wrap_add32(s, x));
    }
    case TYPE_DOUBLE: {
        double x = as_double(v), s = sum->kind == TYPE_DOUBLE ? sum->u.d : 0.0;
        return x * (double)agg_wrap_add64(count, 1) - (s + x);
    }
    default: {
        int64_t x = agg_i64(v), s = sum->kind == TYPE_BIGINT ? sum->u.i64 : 0;
        return (double)agg_wrap_sub64(agg_wrap_mul64(x, agg_wrap_add64(count, 1)), agg_wrap_add64(s, x));
    }
    }
}

static void sd_init(const AggCall *c, Value *state, Arena *a)
{
    *state = sd_make(a, zero_of(c), 0, 0.0);
}

static void sd_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                    Arena *a)
{
    if (v_is_null(&args[0]))
        return;
    int64_t n = agg_wrap_add64(count_of(field(state, 3, 1)), 1);
    double m2 = 0.0;
    if (agg_wrap_sub64(n, 1) > 0) {
        double delta = sd_delta(c, state, &args[0]);
        m2 = delta * delta / (double)agg_wrap_mul64(n, n - 1);
    }
    Value sum = *field(state, 3, 0);
    add_to(c, &sum, &args[0], false);
    *state = sd_make(a, sum, n, m2 + m2_of(state));
}

static void sd_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    if (v_is_null(&args[0]))
        return;
    int64_t n = agg_wrap_sub64(count_of(field(state, 3, 1)), 1);
    double m2 = 0.0;
    if (n > 0) {
        double delta = sd_delta(c, state, &args[0]);
        m2 = delta * delta / (double)agg_wrap_mul64(n, agg_wrap_add64(n, 1));
    }
    Value sum = *field(state, 3, 0);
    add_to(c, &sum, &args[0], true);
    *state = sd_make(a, sum, n, m2_of(state) - m2);
}

/* Difference of the two means, as ksqlDB's mergeInner computes it. */
static double sd_mean_diff(const AggCall *c, const Value *s1, const Value *s2, bool integer_division)
{
    int64_t n1 = count_of(field(s1, 3, 1)), n2 = count_of(field(s2, 3, 1));
    const Value *sum1 = field(s1, 3, 0), *sum2 = field(s2, 3, 0);
    if (arg_kind(c) != TYPE_DOUBLE && integer_division) {
        int64_t x1 = sum1->kind == TYPE_INT ? sum1->u.i32 : agg_i64(sum1);
        int64_t x2 = sum2->kind == TYPE_INT ? sum2->u.i32 : agg_i64(sum2);
        return (double)agg_wrap_sub64(java_div64(x1, n1), java_div64(x2, n2));
    }
    return as_double(sum1) / (double)n1 - as_double(sum2) / (double)n2;
}

static void sd_merge_with(const AggCall *c, Value *state, const Value *other, bool integer_division, Arena *a)
{
    int64_t n1 = count_of(field(state, 3, 1)), n2 = count_of(field(other, 3, 1));
    int64_t n = agg_wrap_add64(n1, n2);
    double m2 = m2_of(state) + m2_of(other);
    if (n1 != 0 && n2 != 0) {
        double inner = sd_mean_diff(c, state, other, integer_division);
        m2 = m2_of(state) + m2_of(other) + (double)agg_wrap_mul64(n1, n2) * inner * inner / (double)n;
    }
    Value sum = *field(state, 3, 0);
    const Value *osum = field(other, 3, 0);
    if (!v_is_null(osum))
        add_to(c, &sum, osum, false);
    *state = sd_make(a, sum, n, m2);
}

static void sd_samp_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    sd_merge_with(c, state, other, true, a);
}

static void sd_sample_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    sd_merge_with(c, state, other, false, a);
}

static void sd_samp_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    int64_t n = count_of(field(state, 3, 1));
    *out = v_double(n < 2 ? 0.0 : m2_of(state) / (double)(n - 1));
}

static void sd_sample_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    int64_t n = count_of(field(state, 3, 1));
    *out = v_double(n < 2 ? 0.0 : sqrt(m2_of(state) / (double)(n - 1)));
}

const AggFns agg_stddev_samp_fns = {sd_init, sd_step, sd_undo, sd_samp_merge, sd_samp_result};
const AggFns agg_stddev_sample_fns = {sd_init, sd_step, sd_undo, sd_sample_merge, sd_sample_result};

/* ---- CORRELATION: STRUCT<X_SUM, Y_SUM, X_SQUARED_SUM, Y_SQUARED_SUM, XY_SUM, COUNT> -- */

enum { C_X, C_Y, C_XX, C_YY, C_XY, C_COUNT, C_NFIELDS };

static void corr_init(const AggCall *c, Value *state, Arena *a)
{
    Value st = agg_struct(a, C_NFIELDS);
    for (int i = 0; i < C_COUNT; i++)
        st.u.st.fields[i] = v_double(0.0);
    st.u.st.fields[C_COUNT] = v_bigint(0);
    *state = st;
}

/* state + sign * (x, y) terms, or + sign * other's sums when other != NULL. */
static void corr_add(Value *state, double x, double y, const Value *other, double sign, Arena *a)
{
    double d[C_COUNT];
    for (int i = 0; i < C_COUNT; i++)
        d[i] = as_double(field(state, C_NFIELDS, i));
    int64_t n = count_of(field(state, C_NFIELDS, C_COUNT)), dn;
    if (other) {
        for (int i = 0; i < C_COUNT; i++)
            d[i] += as_double(field(other, C_NFIELDS, i));
        dn = count_of(field(other, C_NFIELDS, C_COUNT));
    } else {
        d[C_X] += sign * x;
        d[C_Y] += sign * y;
        d[C_XX] += sign * (x * x);
        d[C_YY] += sign * (y * y);
        d[C_XY] += sign * (x * y);
        dn = sign > 0 ? 1 : -1;
    }
    Value st = agg_struct(a, C_NFIELDS);
    for (int i = 0; i < C_COUNT; i++)
        st.u.st.fields[i] = v_double(d[i]);
    st.u.st.fields[C_COUNT] = v_bigint(agg_wrap_add64(n, dn));
    *state = st;
}

static void corr_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                      Arena *a)
{
    if (!v_is_null(&args[0]) && !v_is_null(&args[1]))
        corr_add(state, as_double(&args[0]), as_double(&args[1]), NULL, 1.0, a);
}

static void corr_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    if (!v_is_null(&args[0]) && !v_is_null(&args[1]))
        corr_add(state, as_double(&args[0]), as_double(&args[1]), NULL, -1.0, a);
}

static void corr_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    corr_add(state, 0, 0, other, 1.0, a);
}

/* The single-pass Pearson formula, as ksqlDB computes it: NaN below two rows. */
static void corr_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    double sx = as_double(field(state, C_NFIELDS, C_X)), sy = as_double(field(state, C_NFIELDS, C_Y));
    double sxx = as_double(field(state, C_NFIELDS, C_XX)), syy = as_double(field(state, C_NFIELDS, C_YY));
    double sxy = as_double(field(state, C_NFIELDS, C_XY));
    double n = (double)count_of(field(state, C_NFIELDS, C_COUNT));
    double num = n * sxy - sx * sy;
    double den = sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    *out = v_double(num / den);
}

const AggFns agg_correlation_fns = {corr_init, corr_step, corr_undo, corr_merge, corr_result};
