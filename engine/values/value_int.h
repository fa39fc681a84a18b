/*
 * value_int.h - private to engine/values (value.c, value_text.c,
 * value_cast.c): the number helpers comparison, hashing, CAST and the
 * text forms share.
 *
 * DECIMAL values are unscaled * 10^-scale with 0 <= scale <= precision <= 18
 * (value.h), so value_pow10 covers every scale.
 */
#ifndef EDDY_VALUE_INT_H
#define EDDY_VALUE_INT_H

#include "eddy/value.h"

#define MS_PER_DAY 86400000LL

/* 10^0 .. 10^18 (value_text.c). */
extern const int64_t value_pow10[19];

static inline bool is_numeric_kind(TypeKind k)
{
    return k == TYPE_INT || k == TYPE_BIGINT || k == TYPE_DOUBLE || k == TYPE_DECIMAL;
}

/* The integer of an INT or BIGINT value. */
static inline int64_t value_as_i64(const Value *v)
{
    return v->kind == TYPE_INT ? v->u.i32 : v->u.i64;
}

/* ---- DECIMAL arithmetic (value_text.c) ----------------------------------- */

static inline bool dec_is_integral(int64_t unscaled, int scale)
{
    return scale <= 0 || unscaled % value_pow10[scale] == 0;
}

/* Truncated toward zero, as BigDecimal.longValue() does for in-range values. */
static inline int64_t dec_trunc(int64_t unscaled, int scale)
{
    return scale <= 0 ? unscaled : unscaled / value_pow10[scale];
}

/* Correctly rounded, as BigDecimal.doubleValue(). */
double value_dec_to_double(int64_t unscaled, int scale);

/* Fits the decimal number  (neg ? -1 : 1) * digits * 10^-dscale  into
 * DECIMAL(p, s): digits are ASCII '0'..'9' (leading zeros allowed);
 * half_up rounds extra fraction digits half up, else they must be zero.
 * DEC_OK with *out, or a DecParseResult error. */
int value_dec_fit(bool neg, const char *digits, size_t nd, long dscale, int p, int s, bool half_up,
                  int64_t *out);

/* DOUBLE -> DECIMAL(p, s) as ksqlDB's DecimalUtil.cast(double): the exact
 * binary value rounded half up to p significant digits, then to scale s. */
int value_dec_from_double(double d, int p, int s, int64_t *out);

/* ---- Java's number parsing (value_text.c) -------------------------------- */

/* Double.parseDouble on s[0..n): surrounding blanks (<= ' ') ignored,
 * optional sign, "NaN", "Infinity", decimal digits with an optional point
 * and exponent, an optional f/F/d/D suffix.  Hex floats are not accepted. */
bool value_parse_double(const char *s, size_t n, double *out);

#endif
