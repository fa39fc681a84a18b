/*
 * serde_delimited.c - the DELIMITED format (ksqlDB's
 * KsqlDelimitedDeserializer/Serializer over Apache Commons CSV).
 *
 * RFC 4180 quoting, only the first record of the text is read, an empty
 * field is NULL whatever its type, the field count must match;
 * TIMESTAMP/TIME/DATE as numbers, BYTES base64.  Only primitive types
 * (serde_check).
 */
#include "serde_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- DELIMITED ---------------------------------------------------------------- */

typedef struct Field {
    const char *p;
    size_t n;
    bool quoted_escapes;       /* contains "" pairs to collapse */
} Field;

/* Splits the first record of buf into fields (Apache Commons CSV's default
 * format, which ksqlDB uses): a field starting with a quote runs to the
 * closing quote, "" inside it is one quote, and only blanks may follow it;
 * quotes elsewhere are literal; an unquoted CR or LF ends the record;
 * leading empty lines are skipped.  Fills up to `max` fields and returns
 * the total count, or -1 with err. */
static int delim_split(const char *buf, size_t len, char delim, Field *fields, int max,
                       EddyError *err)
{
    size_t pos = 0;
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
        pos++;
    if (pos == len)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "no fields in record");
    int count = 0;
    for (;;) {
        Field f = {buf + pos, 0, false};
        if (pos < len && buf[pos] == '"') {
            size_t start = ++pos;
            for (;;) {
                if (pos >= len)
                    return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                                      "field %d: unterminated quoted value", count + 1);
                if (buf[pos] == '"') {
                    if (pos + 1 < len && buf[pos + 1] == '"') {
                        f.quoted_escapes = true;
                        pos += 2;
                        continue;
                    }
                    break;
                }
                pos++;
            }
            f.p = buf + start;
            f.n = pos - start;
            pos++;   /* closing quote */
            while (pos < len && buf[pos] != delim && buf[pos] != '\r' && buf[pos] != '\n') {
                if (buf[pos] != ' ' && buf[pos] != '\t')
                    return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                                      "field %d: unexpected character after a quoted value",
                                      count + 1);
                pos++;
            }
        } else {
            while (pos < len && buf[pos] != delim && buf[pos] != '\r' && buf[pos] != '\n')
                pos++;
            f.n = (size_t)(buf + pos - f.p);
        }
        if (count < max)
            fields[count] = f;
        count++;
        if (pos < len && buf[pos] == delim) {
            pos++;
            continue;
        }
        return count;
    }
}

static int delim_field_fail(const Column *c, const char *p, size_t n, EddyError *err)
{
    int shown = n > 40 ? 40 : (int)n;
    return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "field %s: cannot convert '%.*s%s' to %s",
                      c->name, shown, p, n > 40 ? "..." : "", type_kind_name(c->type->kind));
}

static int delim_value(const Column *c, const Field *f, Arena *a, Value *out, EddyError *err)
{
    const char *p = f->p;
    size_t n = f->n;
    if (f->quoted_escapes) {
        char *u = arena_alloc(a, n + 1);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            u[k++] = p[i];
            if (p[i] == '"')
                i++;   /* skip the second quote of "" */
        }
        u[k] = '\0';
        p = u;
        n = k;
    }
    if (n == 0) {   /* ksqlDB: an empty field is NULL for every type */
        *out = v_null();
        return 0;
    }
    const SqlType *t = c->type;
    int64_t i;
    switch (t->kind) {
    case TYPE_BOOLEAN:   /* Boolean.parseBoolean: "true" in any case, else false */
        *out = v_bool(n == 4 && strncasecmp(p, "true", 4) == 0);
        return 0;
    case TYPE_INT:
        if (!value_parse_long(p, n, INT32_MIN, INT32_MAX, &i))
            return delim_field_fail(c, p, n, err);
        *out = v_int((int32_t)i);
        return 0;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        if (!value_parse_long(p, n, INT64_MIN, INT64_MAX, &i))
            return delim_field_fail(c, p, n, err);
        *out = t->kind == TYPE_BIGINT ? v_bigint(i) : v_timestamp(i);
        return 0;
    case TYPE_DATE:
        if (!value_parse_long(p, n, INT32_MIN, INT32_MAX, &i))
            return delim_field_fail(c, p, n, err);
        *out = v_date((int32_t)i);
        return 0;
    case TYPE_TIME:
        if (!value_parse_long(p, n, 0, MS_PER_DAY - 1, &i))
            return delim_field_fail(c, p, n, err);
        *out = v_time((int32_t)i);
        return 0;
    case TYPE_DOUBLE: {   /* Double.parseDouble: CAST's parser */
        Value s = v_string_borrow(p, (int32_t)n);
        if (value_cast(&s, t, a, out, NULL) != 0)
            return delim_field_fail(c, p, n, err);
        return 0;
    }
    case TYPE_DECIMAL: {
        int64_t u;
        int rc = value_parse_decimal(p, n, t->precision, t->scale, false, &u);
        if (rc != DEC_OK) {
            JPath path = {NULL, c->name, 0};
            return serde_decimal_fail(rc, p, n, t, &path, err);
        }
        *out = v_decimal(u, t->precision, t->scale);
        return 0;
    }
    case TYPE_STRING:
        *out = v_string(a, p, (int32_t)n);
        return 0;
    case TYPE_BYTES:
        if (value_base64_decode(p, n, a, out) != 0)
            return delim_field_fail(c, p, n, err);
        return 0;
    default:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                          "field %s: the 'DELIMITED' format does not support type %s", c->name,
                          type_kind_name(t->kind));
    }
}

int serde_delim_decode(const SerdeOptions *opts, const Column *cols, int ncols, const void *buf,
                       size_t len, Value *out, Arena *arena, EddyError *err)
{
    return serde_delim_decode_some(opts, cols, ncols, NULL, buf, len, out, arena, err);
}

/* The field count must match whatever the query reads (ksqlDB rejects the
 * record otherwise), so the split always runs to the record's end; a
 * field not needed is converted only where that can fail, and a STRING
 * or BOOLEAN one (which cannot) costs nothing. */
int serde_delim_decode_some(const SerdeOptions *opts, const Column *cols, int ncols,
                            const bool *need, const void *buf, size_t len, Value *out,
                            Arena *arena, EddyError *err)
{
    char delim = opts->delimiter ? opts->delimiter : ',';
    Field small[32];
    Field *fields = ncols <= 32 ? small : arena_alloc(arena, sizeof(Field) * (size_t)ncols);
    int n = delim_split(buf, len, delim, fields, ncols, err);
    if (n < 0)
        return -1;
    if (n != ncols)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                          "column count mismatch: expected %d fields, got %d", ncols, n);
    for (int i = 0; i < ncols; i++) {
        TypeKind k = cols[i].type->kind;
        if (need && !need[i] && (k == TYPE_STRING || k == TYPE_BOOLEAN)) {
            out[i] = v_null();
            continue;
        }
        if (delim_value(&cols[i], &fields[i], arena, &out[i], err) != 0)
            return -1;
        if (need && !need[i])
            out[i] = v_null();
    }
    return 0;
}

/* Does a field need quotes?  ksqlDB writes DELIMITED with Apache Commons
 * CSV's minimal quoting (the version it ships), and so do we: a field
 * holding the delimiter, a quote, CR or LF; one starting with a character
 * up to '#' (space, '!', '"', '#', controls) or ending with one up to a
 * space; and the first field of a record when it is empty or does not
 * start with a letter or digit ("-5", "/a", "_x" are quoted there).  A
 * NULL field is written empty, unquoted. */
static bool delim_needs_quotes(const char *s, size_t n, char delim, bool first)
{
    if (n == 0)
        return first;
    unsigned char c = (unsigned char)s[0];
    if (first && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
        return true;
    if (c <= '#')
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == delim || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return (unsigned char)s[n - 1] <= ' ';
}

/* Appends s quoted, each quote doubled. */
static void delim_put_quoted(StrBuf *out, const char *s, size_t n)
{
    sb_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            sb_append(out, s + run, i + 1 - run);   /* through the quote, */
            sb_putc(out, '"');                      /* then its double */
            run = i + 1;
        }
    sb_append(out, s + run, n - run);
    sb_putc(out, '"');
}

/* Quotes out->data[start..] in place when the field needs it. */
static void delim_quote_from(StrBuf *out, size_t start, char delim, bool first)
{
    size_t n = out->len - start;
    if (!delim_needs_quotes(out->data ? out->data + start : "", n, delim, first))
        return;
    StrBuf copy;
    sb_init(&copy);
    sb_append(&copy, out->data ? out->data + start : "", n);
    out->len = start;
    delim_put_quoted(out, copy.data ? copy.data : "", n);
    sb_free(&copy);
}

int serde_delim_encode(const SerdeOptions *opts, const Column *cols, int ncols, const Value *vals,
                       StrBuf *out, EddyError *err)
{
    char delim = opts->delimiter ? opts->delimiter : ',';
    for (int i = 0; i < ncols; i++) {
        if (i)
            sb_putc(out, delim);
        const Value *v = &vals[i];
        size_t start = out->len;
        switch (v->kind) {
        case TYPE_NULL:
            continue;
        case TYPE_STRING:
            sb_append(out, v->u.str.ptr, (size_t)v->u.str.len);
            break;
        case TYPE_BYTES:
            value_base64_encode(v->u.str.ptr, (size_t)v->u.str.len, out);
            break;
        case TYPE_ARRAY:
        case TYPE_MAP:
        case TYPE_STRUCT:
            return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                              "column %s: the 'DELIMITED' format does not support type %s",
                              cols[i].name, type_kind_name(v->kind));
        case TYPE_TIMESTAMP:
            value_format_long(v->u.i64, out);
            break;
        case TYPE_DATE:
        case TYPE_TIME:
            value_format_long(v->u.i32, out);
            break;
        default:   /* numbers, booleans: their (short) text */
            value_format(v, out);
            break;
        }
        delim_quote_from(out, start, delim, i == 0);
    }
    return 0;
}
