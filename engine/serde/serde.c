/*
 * serde.c - record formats: bytes <-> Values for a list of columns.  This
 * file names the formats, checks that columns fit one (serde_check) and
 * dispatches to the codecs: serde_json.c, serde_delimited.c,
 * serde_kafka.c (and serde_window.c for windowed keys).
 *
 * In:  a record's bytes (key or value) and its columns; out: one Value per
 * column, strings in the caller's (batch) arena.  Encoding appends text or
 * bytes to a StrBuf.
 *
 * Behaviour follows ksqlDB's serdes (KsqlJsonDeserializer/JsonSerdeUtils,
 * KsqlDelimitedDeserializer/Serializer, KafkaSerdeFactory); each codec's
 * file says how.  Stricter than ksqlDB on purpose: an INT/BIGINT/TIME out
 * of range is an error (the data-types page says so), not Java's silent
 * wrap-around.
 */
#include "serde_int.h"

#include <string.h>

/* ---- format names --------------------------------------------------------- */

int format_parse(const char *name, Format *out)
{
    static const struct { const char *name; Format f; } names[] = {
        {"JSON", FMT_JSON}, {"DELIMITED", FMT_DELIMITED}, {"KAFKA", FMT_KAFKA}, {"NONE", FMT_NONE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (str_ieq(name, names[i].name)) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

const char *format_name(Format f)
{
    switch (f) {
    case FMT_NONE: return "NONE";
    case FMT_JSON: return "JSON";
    case FMT_DELIMITED: return "DELIMITED";
    case FMT_KAFKA: return "KAFKA";
    }
    return "?";
}

static const SerdeOptions default_opts = {.wrap_single = true, .delimiter = ','};

static void columns_text(const Column *cols, int ncols, StrBuf *sb)
{
    for (int i = 0; i < ncols; i++) {
        if (i)
            sb_puts(sb, ", ");
        sb_printf(sb, "`%s` ", cols[i].name);
        type_format(cols[i].type, sb);
    }
}

/* ---- serde_check ------------------------------------------------------------ */

static bool has_non_string_map_key(const SqlType *t)
{
    if (t == NULL)
        return false;
    switch (t->kind) {
    case TYPE_ARRAY:
        return has_non_string_map_key(t->elem);
    case TYPE_MAP:
        return (t->key && t->key->kind != TYPE_STRING) || has_non_string_map_key(t->elem);
    case TYPE_STRUCT:
        for (int i = 0; i < t->nfields; i++)
            if (has_non_string_map_key(t->fields[i].type))
                return true;
        return false;
    default:
        return false;
    }
}

static int check_error(EddyError *err, const char *fmt_name, const Column *c, const char *what)
{
    StrBuf t;
    sb_init(&t);
    type_format(c->type, &t);
    eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0}, "The '%s' format %s '%s', column: %s",
               fmt_name, what, t.data, c->name);
    sb_free(&t);
    return -1;
}

/* "The 'X' format does not support type 'ARRAY'": the base type, as
 * ksqlDB names it, then the column and its whole type. */
static int unsupported_type(EddyError *err, const char *fmt_name, const Column *c)
{
    StrBuf t;
    sb_init(&t);
    type_format(c->type, &t);
    eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0}, "The '%s' format does not support type '%s', column: %s (%s)",
               fmt_name, type_kind_name(c->type->kind), c->name, t.data);
    sb_free(&t);
    return -1;
}

int serde_check(Format fmt, const Column *cols, int ncols, bool is_key, EddyError *err)
{
    (void)is_key;
    switch (fmt) {
    case FMT_NONE:
        if (ncols > 0) {
            StrBuf sb;
            sb_init(&sb);
            columns_text(cols, ncols, &sb);
            eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0},
                       "The 'NONE' format can only be used when no columns are defined. Got: [%s]",
                       sb.data);
            sb_free(&sb);
            return -1;
        }
        return 0;
    case FMT_KAFKA:
        if (ncols > 1) {
            StrBuf sb;
            sb_init(&sb);
            columns_text(cols, ncols, &sb);
            eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0},
                       "The 'KAFKA' format only supports a single field. Got: [%s]", sb.data);
            sb_free(&sb);
            return -1;
        }
        for (int i = 0; i < ncols; i++) {
            TypeKind k = cols[i].type->kind;
            if (k != TYPE_INT && k != TYPE_BIGINT && k != TYPE_DOUBLE && k != TYPE_STRING
                && k != TYPE_BYTES)
                return unsupported_type(err, "KAFKA", &cols[i]);
        }
        return 0;
    case FMT_DELIMITED:
        for (int i = 0; i < ncols; i++) {
            TypeKind k = cols[i].type->kind;
            if (k == TYPE_ARRAY || k == TYPE_MAP || k == TYPE_STRUCT)
                return unsupported_type(err, "DELIMITED", &cols[i]);
        }
        return 0;
    case FMT_JSON:
        for (int i = 0; i < ncols; i++)
            if (has_non_string_map_key(cols[i].type))
                return check_error(err, "JSON", &cols[i], "only supports MAP types with STRING keys, got");
        return 0;
    }
    return eddy_error(err, ERR_INTERNAL, (SrcPos){0, 0}, "unknown format %d", (int)fmt);
}

/* ---- entry points ----------------------------------------------------------------- */

int serde_decode(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                 const void *buf, size_t len, Value *out, Arena *arena, EddyError *err)
{
    if (opts == NULL)
        opts = &default_opts;
    switch (fmt) {
    case FMT_NONE:
        for (int i = 0; i < ncols; i++)
            out[i] = v_null();
        return 0;
    case FMT_JSON:
        return serde_json_decode(opts, cols, ncols, buf, len, out, arena, err);
    case FMT_DELIMITED:
        return serde_delim_decode(opts, cols, ncols, buf, len, out, arena, err);
    case FMT_KAFKA:
        return serde_kafka_decode(cols, ncols, buf, len, out, arena, err);
    }
    return eddy_error(err, ERR_INTERNAL, (SrcPos){0, 0}, "unknown format %d", (int)fmt);
}

int serde_encode(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                 const Value *vals, StrBuf *out, EddyError *err)
{
    if (opts == NULL)
        opts = &default_opts;
    switch (fmt) {
    case FMT_NONE:
        return 0;
    case FMT_JSON:
        return serde_json_encode(opts, cols, ncols, vals, out);
    case FMT_DELIMITED:
        return serde_delim_encode(opts, cols, ncols, vals, out, err);
    case FMT_KAFKA:
        return serde_kafka_encode(cols, ncols, vals, out, err);
    }
    return eddy_error(err, ERR_INTERNAL, (SrcPos){0, 0}, "unknown format %d", (int)fmt);
}
