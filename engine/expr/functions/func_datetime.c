/*
 * func_datetime.c - date and time functions of the builtin registry (the
 * table is in functions.c), on top of datetime.c's patterns and zones.
 *
 * In:  argument Values cast to the overload's parameter types
 *      (TIMESTAMP = ms since the epoch, DATE = days, TIME = ms of day).
 * Out: a Value, or -1 with ctx->err set ("Failed to parse timestamp ...").
 *
 * ksqlDB formats and parses with the JVM's default zone where no zone is
 * given (TIMESTAMPTOSTRING, STRINGTOTIMESTAMP, UNIX_DATE()); eddy's
 * default zone is UTC, whatever the host's TZ, so results do not depend
 * on where the engine runs.  FORMAT_TIMESTAMP/PARSE_TIMESTAMP default to
 * GMT in ksqlDB too.
 */
#include "eddy/datetime.h"
#include "func_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MS_PER_DAY 86400000LL


static bool any_null(const Value *a, int n)
{
    for (int i = 0; i < n; i++)
        if (v_is_null(&a[i]))
            return true;
    return false;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* ---- formatting -------------------------------------------------------- */

/* Formats ms with pattern/tz restricted to `fields` into a STRING value. */
static int format_value(int64_t ms, const Value *pattern, const char *tz, unsigned fields, const char *what,
                        Value *out, FuncCtx *ctx)
{
    StrBuf *sb = func_scratch();
    EddyError e;
    eddy_error_clear(&e);
    if (dt_format_fields(ms, pattern->u.str.ptr, tz, fields, sb, &e) != 0) {
        if (tz)
            return func_fail(ctx, "Failed to format %s at timeZone '%s' with formatter '%s': %s", what, tz,
                             pattern->u.str.ptr, e.msg);
        return func_fail(ctx, "Failed to format %s with formatter '%s': %s", what, pattern->u.str.ptr, e.msg);
    }
    *out = v_string(ctx->arena, sb->data ? sb->data : "", (int32_t)sb->len);
    return 0;
}

/* TIMESTAMPTOSTRING(BIGINT ms, pattern[, tz]) */
int fn_timestamptostring(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    return format_value(a[0].u.i64, &a[1], n > 2 ? a[2].u.str.ptr : NULL, DT_FIELDS_ALL, "timestamp", out, ctx);
}

/* FORMAT_TIMESTAMP(TIMESTAMP, pattern[, tz]); without tz ksqlDB formats in
 * the zone "GMT" (visible only through the VV and z letters). */
int fn_format_timestamp(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    return format_value(a[0].u.i64, &a[1], n > 2 ? a[2].u.str.ptr : "GMT", DT_FIELDS_ALL, "timestamp", out, ctx);
}

/* FORMAT_DATE(DATE, pattern): like LocalDate.format, time fields are an error. */
int fn_format_date(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    return format_value((int64_t)a[0].u.i32 * MS_PER_DAY, &a[1], NULL, DT_FIELDS_DATE, "date", out, ctx);
}

/* DATETOSTRING(INT days, pattern): the deprecated spelling of FORMAT_DATE. */
int fn_datetostring(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    return fn_format_date(a, n, out, ctx);
}

/* FORMAT_TIME(TIME, pattern): like LocalTime.format, date fields are an error. */
int fn_format_time(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    return format_value(a[0].u.i32, &a[1], NULL, DT_FIELDS_TIME, "time", out, ctx);
}

/* ---- parsing ----------------------------------------------------------- */

static int parse_ms(const Value *text, const Value *pattern, const char *tz, const char *what, int64_t *ms,
                    FuncCtx *ctx)
{
    EddyError e;
    eddy_error_clear(&e);
    if (dt_parse(text->u.str.ptr, pattern->u.str.ptr, tz, ms, &e) != 0) {
        if (tz)
            return func_fail(ctx, "Failed to parse %s '%s' at timezone '%s' with formatter '%s': %s", what,
                             text->u.str.ptr, tz, pattern->u.str.ptr, e.msg);
        return func_fail(ctx, "Failed to parse %s '%s' with formatter '%s': %s", what, text->u.str.ptr,
                         pattern->u.str.ptr, e.msg);
    }
    return 0;
}

/* STRINGTOTIMESTAMP(text, pattern[, tz]) -> BIGINT */
int fn_stringtotimestamp(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    int64_t ms;
    if (parse_ms(&a[0], &a[1], n > 2 ? a[2].u.str.ptr : NULL, "timestamp", &ms, ctx) != 0)
        return -1;
    *out = v_bigint(ms);
    return 0;
}

/* PARSE_TIMESTAMP(text, pattern[, tz]) -> TIMESTAMP */
int fn_parse_timestamp(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    int64_t ms;
    if (parse_ms(&a[0], &a[1], n > 2 ? a[2].u.str.ptr : NULL, "timestamp", &ms, ctx) != 0)
        return -1;
    *out = v_timestamp(ms);
    return 0;
}

static int parse_days(const Value *a, bool strict, int32_t *days, FuncCtx *ctx)
{
    int64_t ms;
    if (parse_ms(&a[0], &a[1], NULL, "date", &ms, ctx) != 0)
        return -1;
    if (strict && ms % MS_PER_DAY != 0)
        return func_fail(ctx, "Failed to parse date '%s' with formatter '%s': Date format contains time field.",
                         a[0].u.str.ptr, a[1].u.str.ptr);
    int64_t d = floor_div(ms, MS_PER_DAY);
    if (d > INT32_MAX || d < INT32_MIN)
        return func_fail(ctx, "Failed to parse date '%s': out of range", a[0].u.str.ptr);
    *days = (int32_t)d;
    return 0;
}

/* PARSE_DATE(text, pattern) -> DATE; a time of day other than midnight is an error. */
int fn_parse_date(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    int32_t d;
    if (parse_days(a, true, &d, ctx) != 0)
        return -1;
    *out = v_date(d);
    return 0;
}

/* STRINGTODATE(text, pattern) -> INT days since the epoch (time fields ignored). */
int fn_stringtodate(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    int32_t d;
    if (parse_days(a, false, &d, ctx) != 0)
        return -1;
    *out = v_int(d);
    return 0;
}

/* PARSE_TIME(text, pattern) -> TIME; date fields in the pattern are an error. */
int fn_parse_time(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    unsigned fields = 0;
    EddyError e;
    if (dt_pattern_fields(a[1].u.str.ptr, &fields, &e) != 0)
        return func_fail(ctx, "Failed to parse time '%s' with formatter '%s': %s", a[0].u.str.ptr,
                         a[1].u.str.ptr, e.msg);
    if (fields & DT_FIELDS_DATE)
        return func_fail(ctx, "Failed to parse time '%s' with formatter '%s': Time format contains date field.",
                         a[0].u.str.ptr, a[1].u.str.ptr);
    int64_t ms;
    if (parse_ms(&a[0], &a[1], NULL, "time", &ms, ctx) != 0)
        return -1;
    /* An offset in the text may move the instant off 1970-01-01; keep the time of day. */
    ms %= MS_PER_DAY;
    if (ms < 0)
        ms += MS_PER_DAY;
    *out = v_time((int32_t)ms);
    return 0;
}

/* ---- conversions ----------------------------------------------------- */

int fn_unix_timestamp(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    if (n == 0) {
        *out = v_bigint(eddy_now_ms());
        return 0;
    }
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = v_bigint(a[0].u.i64);
    return 0;
}

int fn_unix_date(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    if (n == 0) {
        *out = v_int((int32_t)floor_div(eddy_now_ms(), MS_PER_DAY));
        return 0;
    }
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = v_int(a[0].u.i32);
    return 0;
}

int fn_from_unixtime(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = v_timestamp(a[0].u.i64);
    return 0;
}

int fn_from_days(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = v_date(a[0].u.i32);
    return 0;
}

/* CONVERT_TZ(ts, from, to): shifts the instant by offset(to) - offset(from),
 * both taken at ts (ksqlDB's TimeZone.getOffset arithmetic).  A TIME is
 * taken on 1970-01-01 and the result wraps around midnight, as ksqlDB's
 * convert-tz.json shows. */
int fn_convert_tz(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (any_null(a, n))
        RETURN_NULL;
    bool time = a[0].kind == TYPE_TIME;
    int64_t ts = time ? a[0].u.i32 : a[0].u.i64;
    int32_t off_from, off_to;
    EddyError e;
    if (dt_zone_offset(a[1].u.str.ptr, ts, &off_from, &e) != 0 ||
        dt_zone_offset(a[2].u.str.ptr, ts, &off_to, &e) != 0)
        return func_fail(ctx, "Invalid time zone: %s", e.msg);
    int64_t moved = ts + ((int64_t)off_to - off_from) * 1000;
    *out = time ? v_time((int32_t)(((moved % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY)) : v_timestamp(moved);
    return 0;
}

/* ---- DATEADD / TIMEADD / TIMESTAMPADD and their SUBs ----------------------- */

static int shift_ms(const Value *a, int64_t sign, int64_t *delta, FuncCtx *ctx)
{
    *delta = 0;
    int64_t ms = dt_unit_ms(a[0].u.str.ptr);
    if (ms == 0)
        return eddy_error(ctx->err, ERR_RUNTIME, (SrcPos){0}, "unknown time unit %s", a[0].u.str.ptr);
    int64_t n = a[1].kind == TYPE_INT ? a[1].u.i32 : a[1].u.i64;
    if (__builtin_mul_overflow(n, ms, delta))
        return eddy_error(ctx->err, ERR_RUNTIME, (SrcPos){0}, "interval out of range");
    *delta *= sign;
    return 0;
}

static int date_add(const Value *a, Value *out, FuncCtx *ctx, int64_t sign)
{
    int64_t d;
    if (shift_ms(a, sign, &d, ctx) != 0)
        return -1;
    if (d % MS_PER_DAY != 0)
        return eddy_error(ctx->err, ERR_RUNTIME, (SrcPos){0}, "a DATE moves by whole days only, not %s",
                          a[0].u.str.ptr);
    *out = v_date((int32_t)(a[2].u.i32 + d / MS_PER_DAY));
    return 0;
}

static int time_add(const Value *a, Value *out, FuncCtx *ctx, int64_t sign)
{
    int64_t d;
    if (shift_ms(a, sign, &d, ctx) != 0)
        return -1;
    int64_t t = ((int64_t)a[2].u.i32 + d % MS_PER_DAY + MS_PER_DAY) % MS_PER_DAY;
    *out = v_time((int32_t)t);
    return 0;
}

static int timestamp_add(const Value *a, Value *out, FuncCtx *ctx, int64_t sign)
{
    int64_t d;
    if (shift_ms(a, sign, &d, ctx) != 0)
        return -1;
    *out = v_timestamp(a[2].u.i64 + d);
    return 0;
}

int fn_dateadd(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return date_add(a, out, ctx, 1); }
int fn_datesub(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return date_add(a, out, ctx, -1); }
int fn_timeadd(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return time_add(a, out, ctx, 1); }
int fn_timesub(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return time_add(a, out, ctx, -1); }
int fn_timestampadd(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return timestamp_add(a, out, ctx, 1); }
int fn_timestampsub(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return timestamp_add(a, out, ctx, -1); }
