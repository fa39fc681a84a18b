/*
 * value_cast.c - CAST between SQL types (value_cast, value_cast_from).
 *
 * In:  a Value, its type when known, the target type.  Out: the converted
 *      Value (strings and composites in the caller's arena), or -1 with
 *      an ERR_RUNTIME message naming the value and the type.
 * Follows ksqlDB's CastEvaluator table, with Java's conversions where
 * ksqlDB calls them: BIGINT -> INT keeps the low 32 bits like
 * Long.intValue(), DOUBLE -> INT truncates and saturates like (int)d,
 * strings parse as Integer.parseInt / Double.parseDouble / BigDecimal after
 * String.trim(); DECIMAL targets round half up (the serdes' "fit without
 * rounding" rule is value_parse_decimal's half_up = false).
 */
#include "value_int.h"

#include "eddy/datetime.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
        return value_dec_fit(i < 0, buf, (size_t)n, 0, p, s, true, out);
    }
    case TYPE_DOUBLE:
        return value_dec_from_double(v->u.d, p, s, out);
    case TYPE_DECIMAL: {
        char buf[24];
        int64_t u = v->u.dec.unscaled;
        uint64_t mag = u < 0 ? (uint64_t)0 - (uint64_t)u : (uint64_t)u;
        int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)mag);
        return value_dec_fit(u < 0, buf, (size_t)n, v->u.dec.scale, p, s, true, out);
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
        if (!value_parse_long(s, n, INT32_MIN, INT32_MAX, &i))
            return cast_fail(v, to, err);
        *out = v_int((int32_t)i);
        return 0;
    }
    case TYPE_BIGINT: {
        int64_t i;
        if (!value_parse_long(s, n, INT64_MIN, INT64_MAX, &i))
            return cast_fail(v, to, err);
        *out = v_bigint(i);
        return 0;
    }
    case TYPE_DOUBLE: {
        double d;
        if (!value_parse_double(s, n, &d))
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
        case TYPE_DECIMAL: *out = v_double(value_dec_to_double(v->u.dec.unscaled, v->u.dec.scale)); return 0;
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

