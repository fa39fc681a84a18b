/*
 * serde_json.c - the JSON format: record bytes <-> Values, and JSON <->
 * Value for INSERT VALUES and the test runner (json_to_value,
 * value_to_json).
 *
 * Decoding follows ksqlDB's KsqlJsonDeserializer/JsonSerdeUtils: a field
 * matches its column by exact name, else by its upper-cased name; missing
 * fields are NULL, extra ones ignored; numbers may come as numeric
 * strings, STRING takes any value's text, DECIMAL a number or a string and
 * must fit without rounding, TIMESTAMP/TIME/DATE are ms/ms/days numbers
 * (or ISO text), BYTES base64.  A top-level JSON null gives all NULLs.
 * Where jansson cannot follow Jackson (it parses numbers to int64/double):
 * integers beyond 64 bits or reals beyond DOUBLE's range make the record
 * invalid, and a real read as STRING or DECIMAL keeps its shortest
 * round-trip digits ("1.50" becomes "1.5").
 *
 * Encoding writes text directly, never through json_t (the hot path);
 * strings are escaped per RFC 8259 with invalid UTF-8 bytes as U+FFFD.
 */
#include "serde_int.h"
#include "eddy/datetime.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text helpers -------------------------------------------------- */

/* A real's text where Jackson would print the number as read: plain
 * notation from the shortest round-trip digits ("1.5", "0.00001",
 * "10000000.0"); very large or small magnitudes keep Java's E form. */
void serde_real_text(double d, StrBuf *out)
{
    StrBuf j;
    sb_init(&j);
    value_format_double(d, &j);
    const char *e = memchr(j.data, 'E', j.len);
    if (e == NULL) {
        sb_append(out, j.data, j.len);
        sb_free(&j);
        return;
    }
    int exp = atoi(e + 1);
    if (exp > 20 || exp < -20) {
        sb_append(out, j.data, j.len);
        sb_free(&j);
        return;
    }
    char digits[32];
    int nd = 0;
    const char *p = j.data;
    if (*p == '-') {
        sb_putc(out, '-');
        p++;
    }
    for (; p < e; p++)
        if (*p >= '0' && *p <= '9' && nd < (int)sizeof digits)
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (exp >= 0) {
        for (int i = 0; i <= exp; i++)
            sb_putc(out, i < nd ? digits[i] : '0');
        sb_putc(out, '.');
        if (nd > exp + 1)
            sb_append(out, digits + exp + 1, (size_t)(nd - exp - 1));
        else
            sb_putc(out, '0');
    } else {
        sb_puts(out, "0.");
        for (int i = 0; i < -exp - 1; i++)
            sb_putc(out, '0');
        sb_append(out, digits, (size_t)nd);
    }
    sb_free(&j);
}

/* Copies s[0..n) into out with invalid UTF-8 replaced, for jansson, which
 * refuses invalid strings. */
static void utf8_sanitize(const char *str, size_t n, StrBuf *out)
{
    size_t i = 0, run = 0;
    while (i < n) {
        size_t len = utf8_seq_len(str + i, n - i);
        if (len > 0) {
            i += len;
            continue;
        }
        sb_append(out, str + run, i - run);
        sb_puts(out, "\xEF\xBF\xBD");
        i++;
        run = i;
    }
    sb_append(out, str + run, n - run);
}

/* ---- JSON -> Value ---------------------------------------------------------- */

static void path_format(const JPath *p, StrBuf *sb)
{
    if (p == NULL)
        return;
    path_format(p->up, sb);
    if (p->name) {
        if (p->up)
            sb_putc(sb, '.');
        sb_puts(sb, p->name);
    } else {
        sb_printf(sb, "[%d]", (int)p->index);
    }
}

static void json_describe(const json_t *j, StrBuf *sb)
{
    switch (json_typeof(j)) {
    case JSON_STRING: {
        size_t n = json_string_length(j);
        sb_printf(sb, "'%.*s%s'", (int)(n > 40 ? 40 : n), json_string_value(j), n > 40 ? "..." : "");
        return;
    }
    case JSON_INTEGER: sb_printf(sb, "%lld", (long long)json_integer_value(j)); return;
    case JSON_REAL: serde_real_text(json_real_value(j), sb); return;
    case JSON_TRUE: sb_puts(sb, "true"); return;
    case JSON_FALSE: sb_puts(sb, "false"); return;
    case JSON_NULL: sb_puts(sb, "null"); return;
    case JSON_OBJECT: sb_puts(sb, "an object"); return;
    case JSON_ARRAY: sb_puts(sb, "an array"); return;
    }
}

static int conv_fail(const JPath *path, EddyError *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int conv_fail(const JPath *path, EddyError *err, const char *fmt, ...)
{
    StrBuf sb;
    sb_init(&sb);
    if (path) {
        sb_puts(&sb, "field ");
        path_format(path, &sb);
        sb_puts(&sb, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "%s", sb.data);
    sb_free(&sb);
    return -1;
}

static int conv_mismatch(const json_t *j, const SqlType *t, const JPath *path, EddyError *err)
{
    StrBuf d, ts;
    sb_init(&d);
    sb_init(&ts);
    json_describe(j, &d);
    type_format(t, &ts);
    conv_fail(path, err, "cannot convert %s to %s", d.data, ts.data);
    sb_free(&d);
    sb_free(&ts);
    return -1;
}

int serde_decimal_fail(int rc, const char *text, size_t n, const SqlType *t, const JPath *path,
                       EddyError *err)
{
    int shown = n > 40 ? 40 : (int)n;
    if (rc == DEC_ERR_OVERFLOW)
        return conv_fail(path, err, "%.*s does not fit DECIMAL(%d, %d)", shown, text, t->precision,
                         t->scale);
    if (rc == DEC_ERR_ROUNDING)
        return conv_fail(path, err, "cannot fit %.*s into DECIMAL(%d, %d) without rounding", shown,
                         text, t->precision, t->scale);
    return conv_fail(path, err, "cannot convert '%.*s' to DECIMAL(%d, %d)", shown, text,
                     t->precision, t->scale);
}

static void json_compact(const json_t *j, StrBuf *out);

/* ksqlDB's processString: an object's JSON text, an array as "[a, b]" of
 * its elements' string forms, any scalar's text. */
static void json_as_text(const json_t *j, StrBuf *out)
{
    switch (json_typeof(j)) {
    case JSON_STRING:
        sb_append(out, json_string_value(j), json_string_length(j));
        return;
    case JSON_OBJECT:
        json_compact(j, out);
        return;
    case JSON_ARRAY: {
        sb_putc(out, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                sb_puts(out, ", ");
            json_as_text(json_array_get(j, i), out);
        }
        sb_putc(out, ']');
        return;
    }
    case JSON_INTEGER: value_format_long(json_integer_value(j), out); return;
    case JSON_REAL: serde_real_text(json_real_value(j), out); return;
    case JSON_TRUE: sb_puts(out, "true"); return;
    case JSON_FALSE: sb_puts(out, "false"); return;
    case JSON_NULL: sb_puts(out, "null"); return;
    }
}

/* Compact JSON text of a parsed value (as Jackson writes it back). */
static void json_compact(const json_t *j, StrBuf *out)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        size_t klen;
        json_t *val;
        bool first = true;
        sb_putc(out, '{');
        json_object_keylen_foreach((json_t *)j, key, klen, val) {
            if (!first)
                sb_putc(out, ',');
            first = false;
            sb_put_json_string(out, key, klen);
            sb_putc(out, ':');
            json_compact(val, out);
        }
        sb_putc(out, '}');
        return;
    }
    case JSON_ARRAY:
        sb_putc(out, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                sb_putc(out, ',');
            json_compact(json_array_get(j, i), out);
        }
        sb_putc(out, ']');
        return;
    case JSON_STRING:
        sb_put_json_string(out, json_string_value(j), json_string_length(j));
        return;
    default:
        json_as_text(j, out);
        return;
    }
}

/* An integral number of a JSON value: integers as they are, reals
 * truncated toward zero (Jackson's asLong), numeric strings parsed. */
static bool json_integral(const json_t *j, int64_t lo, int64_t hi, int64_t *out)
{
    if (json_is_integer(j)) {
        json_int_t v = json_integer_value(j);
        if (v < lo || v > hi)
            return false;
        *out = v;
        return true;
    }
    if (json_is_real(j)) {
        double d = trunc(json_real_value(j));
        if (!(d >= (double)lo && d <= (double)hi) || d >= 9223372036854775808.0)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (json_is_string(j))
        return value_parse_long(json_string_value(j), json_string_length(j), lo, hi, out);
    return false;
}

static int json_conv(const json_t *j, const SqlType *t, Arena *a, Value *out, const JPath *path,
                     EddyError *err);

/* A temporal value from a string that is not a number: the ISO form. */
static bool temporal_from_iso(const json_t *j, const SqlType *t, Value *out)
{
    if (!json_is_string(j))
        return false;
    Value s = v_string_borrow(json_string_value(j), (int32_t)json_string_length(j));
    return value_cast(&s, t, NULL, out, NULL) == 0;
}

static int conv_struct(const json_t *j, const SqlType *t, Arena *a, Value *out, const JPath *path,
                       EddyError *err);
static int conv_map(const json_t *j, const SqlType *t, Arena *a, Value *out, const JPath *path,
                    EddyError *err);

static int json_conv(const json_t *j, const SqlType *t, Arena *a, Value *out, const JPath *path,
                     EddyError *err)
{
    if (j == NULL || json_is_null(j)) {
        *out = v_null();
        return 0;
    }
    int64_t i;
    switch (t->kind) {
    case TYPE_BOOLEAN:
        if (!json_is_boolean(j))
            return conv_mismatch(j, t, path, err);
        *out = v_bool(json_is_true(j));
        return 0;
    case TYPE_INT:
        if (!json_integral(j, INT32_MIN, INT32_MAX, &i))
            return conv_mismatch(j, t, path, err);
        *out = v_int((int32_t)i);
        return 0;
    case TYPE_BIGINT:
        if (!json_integral(j, INT64_MIN, INT64_MAX, &i))
            return conv_mismatch(j, t, path, err);
        *out = v_bigint(i);
        return 0;
    case TYPE_DOUBLE:
        if (json_is_real(j))
            *out = v_double(json_real_value(j));
        else if (json_is_integer(j))
            *out = v_double((double)json_integer_value(j));
        else if (json_is_string(j)) {
            Value s = v_string_borrow(json_string_value(j), (int32_t)json_string_length(j));
            if (value_cast(&s, t, a, out, NULL) != 0)
                return conv_mismatch(j, t, path, err);
        } else
            return conv_mismatch(j, t, path, err);
        return 0;
    case TYPE_DECIMAL: {
        StrBuf num;
        const char *text;
        size_t n;
        sb_init(&num);
        if (json_is_string(j)) {
            text = json_string_value(j);
            n = json_string_length(j);
        } else if (json_is_integer(j)) {
            value_format_long(json_integer_value(j), &num);
            text = num.data;
            n = num.len;
        } else if (json_is_real(j)) {
            /* The digits the producer most likely wrote. */
            value_format_double(json_real_value(j), &num);
            text = num.data;
            n = num.len;
        } else {
            sb_free(&num);
            return conv_mismatch(j, t, path, err);
        }
        int64_t u;
        int rc = value_parse_decimal(text, n, t->precision, t->scale, false, &u);
        if (rc != DEC_OK) {
            serde_decimal_fail(rc, text, n, t, path, err);
            sb_free(&num);
            return -1;
        }
        sb_free(&num);
        *out = v_decimal(u, t->precision, t->scale);
        return 0;
    }
    case TYPE_STRING:
        if (json_is_string(j)) {
            *out = v_string(a, json_string_value(j), (int32_t)json_string_length(j));
        } else {
            StrBuf sb;
            sb_init(&sb);
            json_as_text(j, &sb);
            *out = v_string(a, sb.data ? sb.data : "", (int32_t)sb.len);
            sb_free(&sb);
        }
        return 0;
    case TYPE_BYTES:
        if (!json_is_string(j)
            || value_base64_decode(json_string_value(j), json_string_length(j), a, out) != 0)
            return conv_mismatch(j, t, path, err);
        return 0;
    case TYPE_TIMESTAMP:
        if (json_integral(j, INT64_MIN, INT64_MAX, &i))
            *out = v_timestamp(i);
        else if (!temporal_from_iso(j, t, out))
            return conv_mismatch(j, t, path, err);
        return 0;
    case TYPE_TIME:
        if (json_integral(j, INT64_MIN, INT64_MAX, &i)) {
            if (i < 0 || i >= MS_PER_DAY)
                return conv_fail(path, err, "TIME must be 0 to %lld ms since midnight, got %lld",
                                 MS_PER_DAY - 1, (long long)i);
            *out = v_time((int32_t)i);
        } else if (!temporal_from_iso(j, t, out))
            return conv_mismatch(j, t, path, err);
        return 0;
    case TYPE_DATE:
        if (json_integral(j, INT32_MIN, INT32_MAX, &i))
            *out = v_date((int32_t)i);
        else if (!temporal_from_iso(j, t, out))
            return conv_mismatch(j, t, path, err);
        return 0;
    case TYPE_ARRAY: {
        if (!json_is_array(j))
            return conv_mismatch(j, t, path, err);
        size_t n = json_array_size(j);
        Value r;
        r.kind = TYPE_ARRAY;
        r.u.i64 = 0;
        r.u.arr.n = (int32_t)n;
        r.u.arr.items = arena_alloc(a, sizeof(Value) * (n ? n : 1));
        for (size_t k = 0; k < n; k++) {
            JPath p = {path, NULL, (int32_t)k};
            if (json_conv(json_array_get(j, k), t->elem, a, &r.u.arr.items[k], &p, err) != 0)
                return -1;
        }
        *out = r;
        return 0;
    }
    case TYPE_MAP:
        return conv_map(j, t, a, out, path, err);
    case TYPE_STRUCT:
        return conv_struct(j, t, a, out, path, err);
    case TYPE_NULL:
    case TYPE__COUNT:
        break;
    }
    return conv_mismatch(j, t, path, err);
}

static int conv_map(const json_t *j, const SqlType *t, Arena *a, Value *out, const JPath *path,
                    EddyError *err)
{
    if (!json_is_object(j))
        return conv_mismatch(j, t, path, err);
    size_t n = json_object_size(j);
    const SqlType *kt = t->key ? t->key : type_prim(TYPE_STRING);
    Value r;
    r.kind = TYPE_MAP;
    r.u.i64 = 0;
    r.u.map.n = (int32_t)n;
    r.u.map.keys = arena_alloc(a, sizeof(Value) * (n ? n : 1));
    r.u.map.vals = arena_alloc(a, sizeof(Value) * (n ? n : 1));
    const char *key;
    size_t klen;
    json_t *val;
    int32_t k = 0;
    json_object_keylen_foreach((json_t *)j, key, klen, val) {
        JPath p = {path, key, 0};
        Value ks = v_string(a, key, (int32_t)klen);
        if (kt->kind == TYPE_STRING)
            r.u.map.keys[k] = ks;
        else if (value_cast(&ks, kt, a, &r.u.map.keys[k], NULL) != 0)
            return conv_fail(&p, err, "map key cannot be converted to %s", type_kind_name(kt->kind));
        if (json_conv(val, t->elem, a, &r.u.map.vals[k], &p, err) != 0)
            return -1;
        k++;
    }
    *out = r;
    return 0;
}

/* A field of a JSON object by SQL name: the exact name, else the first
 * key whose upper-cased form is the name.  That is ksqlDB's rule
 * (KsqlJsonDeserializer looks up the name, then the upper-cased keys), so
 * "City" fills CITY, but a back-quoted `city` matches only "city". */
static bool upper_equals(const char *key, const char *name)
{
    for (; *key && *name; key++, name++)
        if (toupper((unsigned char)*key) != (unsigned char)*name)
            return false;
    return *key == *name;
}

static json_t *object_field(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    if (v)
        return v;
    const char *key;
    json_object_foreach((json_t *)obj, key, v) {
        if (upper_equals(key, name))
            return v;
    }
    return NULL;
}

static int conv_struct(const json_t *j, const SqlType *t, Arena *a, Value *out, const JPath *path,
                       EddyError *err)
{
    if (!json_is_object(j))
        return conv_mismatch(j, t, path, err);
    Value r;
    r.kind = TYPE_STRUCT;
    r.u.i64 = 0;
    r.u.st.n = t->nfields;
    r.u.st.fields = arena_alloc(a, sizeof(Value) * (size_t)(t->nfields > 0 ? t->nfields : 1));
    for (int f = 0; f < t->nfields; f++) {
        JPath p = {path, t->fields[f].name, 0};
        if (json_conv(object_field(j, t->fields[f].name), t->fields[f].type, a, &r.u.st.fields[f], &p,
                      err) != 0)
            return -1;
    }
    *out = r;
    return 0;
}

int json_to_value(const struct json_t *j, const SqlType *type, Arena *arena, Value *out,
                  EddyError *err)
{
    return json_conv(j, type, arena, out, NULL, err);
}

static const char *json_kind_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

int serde_json_decode(const SerdeOptions *opts, const Column *cols, int ncols, const void *buf,
                      size_t len, Value *out, Arena *arena, EddyError *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (root == NULL)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "invalid JSON at byte %d: %s",
                          jerr.position, jerr.text);
    int rc = 0;
    if (ncols == 1 && !opts->wrap_single) {
        JPath p = {NULL, cols[0].name, 0};
        rc = json_conv(root, cols[0].type, arena, &out[0], &p, err);
    } else if (json_is_null(root)) {
        for (int i = 0; i < ncols; i++)
            out[i] = v_null();
    } else if (!json_is_object(root)) {
        rc = eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                        "expected a JSON object with the columns as fields, got %s",
                        json_kind_name(root));
    } else {
        for (int i = 0; i < ncols && rc == 0; i++) {
            JPath p = {NULL, cols[i].name, 0};
            rc = json_conv(object_field(root, cols[i].name), cols[i].type, arena, &out[i], &p, err);
        }
    }
    json_decref(root);
    return rc;
}

/* ---- Value -> JSON text (the hot path: no json_t) --------------------------- */

/* rest: TIMESTAMP, DATE and TIME as ISO text (ksqlDB's REST API) rather
 * than numbers (its JSON format). */
static void json_write(const Value *v, const SqlType *t, bool rest, StrBuf *out)
{
    if (rest && (v->kind == TYPE_TIMESTAMP || v->kind == TYPE_DATE || v->kind == TYPE_TIME)) {
        sb_putc(out, '"');
        if (v->kind == TYPE_TIMESTAMP)
            dt_format_timestamp_iso(v->u.i64, out);
        else if (v->kind == TYPE_DATE)
            dt_format_date_iso(v->u.i32, out);
        else
            dt_format_time_iso(v->u.i32, out);
        sb_putc(out, '"');
        return;
    }
    switch (v->kind) {
    case TYPE_NULL:
        sb_puts(out, "null");
        return;
    case TYPE_BOOLEAN:
        sb_puts(out, v->u.b ? "true" : "false");
        return;
    case TYPE_INT:
    case TYPE_DATE:
    case TYPE_TIME:
        value_format_long(v->u.i32, out);
        return;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        value_format_long(v->u.i64, out);
        return;
    case TYPE_DOUBLE:
        if (isfinite(v->u.d)) {
            value_format_double(v->u.d, out);
        } else {
            /* Not JSON numbers: written as Jackson's quoted names, which
             * read back as DOUBLE through the numeric-string rule. */
            sb_putc(out, '"');
            value_format_double(v->u.d, out);
            sb_putc(out, '"');
        }
        return;
    case TYPE_DECIMAL:
        value_format_decimal(v->u.dec.unscaled, v->u.dec.scale, out);
        return;
    case TYPE_STRING:
        sb_put_json_string(out, v->u.str.ptr, (size_t)v->u.str.len);
        return;
    case TYPE_BYTES:
        sb_putc(out, '"');
        value_base64_encode(v->u.str.ptr, (size_t)v->u.str.len, out);
        sb_putc(out, '"');
        return;
    case TYPE_ARRAY: {
        const SqlType *et = t && t->kind == TYPE_ARRAY ? t->elem : NULL;
        sb_putc(out, '[');
        for (int32_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                sb_putc(out, ',');
            json_write(&v->u.arr.items[i], et, rest, out);
        }
        sb_putc(out, ']');
        return;
    }
    case TYPE_MAP: {
        const SqlType *vt = t && t->kind == TYPE_MAP ? t->elem : NULL;
        sb_putc(out, '{');
        for (int32_t i = 0; i < v->u.map.n; i++) {
            if (i)
                sb_putc(out, ',');
            const Value *k = &v->u.map.keys[i];
            if (k->kind == TYPE_STRING) {
                sb_put_json_string(out, k->u.str.ptr, (size_t)k->u.str.len);
            } else {
                StrBuf ks;
                sb_init(&ks);
                value_format(k, &ks);
                sb_put_json_string(out, ks.data ? ks.data : "", ks.len);
                sb_free(&ks);
            }
            sb_putc(out, ':');
            json_write(&v->u.map.vals[i], vt, rest, out);
        }
        sb_putc(out, '}');
        return;
    }
    case TYPE_STRUCT: {
        bool named = t && t->kind == TYPE_STRUCT && t->nfields == v->u.st.n;
        sb_putc(out, '{');
        for (int32_t i = 0; i < v->u.st.n; i++) {
            if (i)
                sb_putc(out, ',');
            if (named) {
                sb_put_json_string(out, t->fields[i].name, strlen(t->fields[i].name));
            } else {
                char name[16];
                int n = snprintf(name, sizeof name, "F%d", (int)i + 1);
                sb_put_json_string(out, name, (size_t)n);
            }
            sb_putc(out, ':');
            json_write(&v->u.st.fields[i], named ? t->fields[i].type : NULL, rest, out);
        }
        sb_putc(out, '}');
        return;
    }
    case TYPE__COUNT:
        break;
    }
    EDDY_PANIC("json_write: bad kind %d", (int)v->kind);
}

void value_write_rest_json(const Value *v, const SqlType *type, StrBuf *out)
{
    json_write(v, type, true, out);
}

int serde_json_encode(const SerdeOptions *opts, const Column *cols, int ncols, const Value *vals,
                      StrBuf *out)
{
    if (ncols == 1 && !opts->wrap_single) {
        json_write(&vals[0], cols[0].type, false, out);
        return 0;
    }
    sb_putc(out, '{');
    for (int i = 0; i < ncols; i++) {
        if (i)
            sb_putc(out, ',');
        sb_put_json_string(out, cols[i].name, strlen(cols[i].name));
        sb_putc(out, ':');
        json_write(&vals[i], cols[i].type, false, out);
    }
    sb_putc(out, '}');
    return 0;
}

/* ---- Value -> json_t (INSERT VALUES, the test runner) --------------------- */

static json_t *json_string_safe(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    StrBuf sb;
    sb_init(&sb);
    utf8_sanitize(s, n, &sb);
    j = json_stringn(sb.data ? sb.data : "", sb.len);
    sb_free(&sb);
    return j;
}

static void object_set_safe(json_t *obj, const char *k, size_t n, json_t *v)
{
    if (json_object_setn_new(obj, k, n, v) == 0)
        return;
    StrBuf sb;
    sb_init(&sb);
    utf8_sanitize(k, n, &sb);
    json_object_setn_new(obj, sb.data ? sb.data : "", sb.len, v);
    sb_free(&sb);
}

struct json_t *value_to_json(const Value *v, const SqlType *type)
{
    switch (v->kind) {
    case TYPE_NULL:
        return json_null();
    case TYPE_BOOLEAN:
        return json_boolean(v->u.b);
    case TYPE_INT:
    case TYPE_DATE:
    case TYPE_TIME:
        return json_integer(v->u.i32);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        return json_integer(v->u.i64);
    case TYPE_DOUBLE:
        if (isfinite(v->u.d))
            return json_real(v->u.d);
        return json_string(isnan(v->u.d) ? "NaN" : v->u.d > 0 ? "Infinity" : "-Infinity");
    case TYPE_DECIMAL: {
        if (v->u.dec.scale <= 0) {
            Value i;
            value_cast(v, type_prim(TYPE_BIGINT), NULL, &i, NULL);
            return json_integer(i.u.i64);
        }
        Value d;
        value_cast(v, type_prim(TYPE_DOUBLE), NULL, &d, NULL);
        return json_real(d.u.d);
    }
    case TYPE_STRING:
        return json_string_safe(v->u.str.ptr, (size_t)v->u.str.len);
    case TYPE_BYTES: {
        StrBuf sb;
        sb_init(&sb);
        value_base64_encode(v->u.str.ptr, (size_t)v->u.str.len, &sb);
        json_t *j = json_stringn(sb.data ? sb.data : "", sb.len);
        sb_free(&sb);
        return j;
    }
    case TYPE_ARRAY: {
        const SqlType *et = type && type->kind == TYPE_ARRAY ? type->elem : NULL;
        json_t *arr = json_array();
        for (int32_t i = 0; i < v->u.arr.n; i++)
            json_array_append_new(arr, value_to_json(&v->u.arr.items[i], et));
        return arr;
    }
    case TYPE_MAP: {
        const SqlType *vt = type && type->kind == TYPE_MAP ? type->elem : NULL;
        json_t *obj = json_object();
        for (int32_t i = 0; i < v->u.map.n; i++) {
            StrBuf ks;
            sb_init(&ks);
            value_format(&v->u.map.keys[i], &ks);
            object_set_safe(obj, ks.data ? ks.data : "", ks.len, value_to_json(&v->u.map.vals[i], vt));
            sb_free(&ks);
        }
        return obj;
    }
    case TYPE_STRUCT: {
        bool named = type && type->kind == TYPE_STRUCT && type->nfields == v->u.st.n;
        json_t *obj = json_object();
        for (int32_t i = 0; i < v->u.st.n; i++) {
            char name[16];
            const char *k = name;
            if (named)
                k = type->fields[i].name;
            else
                snprintf(name, sizeof name, "F%d", (int)i + 1);
            object_set_safe(obj, k, strlen(k),
                            value_to_json(&v->u.st.fields[i], named ? type->fields[i].type : NULL));
        }
        return obj;
    }
    case TYPE__COUNT:
        break;
    }
    EDDY_PANIC("value_to_json: bad kind %d", (int)v->kind);
}
