/*
 * ddl.c - statements that change the catalog or start queries: CREATE
 * STREAM/TABLE, CREATE ... AS SELECT, INSERT INTO (SELECT and VALUES),
 * DROP, TERMINATE, and push queries for a client.
 *
 * Each statement is checked completely before anything changes, so a
 * rejected statement leaves the catalog and the topics as they were.
 * WITH properties follow ksqlDB's names: KAFKA_TOPIC, KEY_FORMAT,
 * VALUE_FORMAT, FORMAT, PARTITIONS, REPLICAS, TIMESTAMP,
 * TIMESTAMP_FORMAT, VALUE_DELIMITER, KEY_DELIMITER, WRAP_SINGLE_VALUE, and
 * on CREATE STREAM/TABLE over a topic WINDOW_TYPE and WINDOW_SIZE (a
 * query's output inherits its windowing instead).
 */
#include "engine_int.h"
#include "eddy/datetime.h"
#include "eddy/engine/runtime.h"
#include "eddy/engine/serde.h"
#include "replay.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- WITH properties ------------------------------------------------------ */

typedef struct Props {
    const char *topic, *key_format, *value_format, *format, *timestamp, *timestamp_format;
    const char *value_delimiter, *key_delimiter;
    const char *window_type, *window_size;
    int partitions, replicas;
    int wrap_single;              /* -1 = not given */
    SrcPos pos_topic, pos_format, pos_timestamp, pos_timestamp_format, pos_window_type, pos_window_size;
} Props;

static const char *prop_text(Arena *a, const AstExpr *v)
{
    switch (v->kind) {
    case EXPR_STRING: return v->u.text;
    case EXPR_INT: return arena_sprintf(a, "%lld", (long long)v->u.i);
    case EXPR_BOOL: return v->u.b ? "true" : "false";
    case EXPR_COLUMN: return v->u.col.name;
    default: return NULL;
    }
}

static int parse_props(const PtrVec *props, bool for_create_as, Arena *a, Props *out,
                       EddyError *err)
{
    memset(out, 0, sizeof *out);
    out->wrap_single = -1;
    for (int i = 0; i < props->n; i++) {
        const AstProperty *p = props->items[i];
        const char *v = prop_text(a, p->value);
        if (v == NULL)
            return eddy_error(err, ERR_ANALYSIS, p->pos, "property %s needs a literal value", p->name);
        const char *n = p->name;
        if (str_ieq(n, "KAFKA_TOPIC")) {
            out->topic = v;
            out->pos_topic = p->pos;
        } else if (str_ieq(n, "KEY_FORMAT")) {
            out->key_format = v;
            out->pos_format = p->pos;
        } else if (str_ieq(n, "VALUE_FORMAT")) {
            out->value_format = v;
            out->pos_format = p->pos;
        } else if (str_ieq(n, "FORMAT")) {
            out->format = v;
            out->pos_format = p->pos;
        } else if (str_ieq(n, "PARTITIONS") || str_ieq(n, "REPLICAS")) {
            if (p->value->kind != EXPR_INT || p->value->u.i < 1 || p->value->u.i > 100000)
                return eddy_error(err, ERR_ANALYSIS, p->pos, "%s must be a positive integer", n);
            if (str_ieq(n, "PARTITIONS"))
                out->partitions = (int)p->value->u.i;
            else
                out->replicas = (int)p->value->u.i;
        } else if (str_ieq(n, "TIMESTAMP")) {
            out->timestamp = v;
            out->pos_timestamp = p->pos;
        } else if (str_ieq(n, "TIMESTAMP_FORMAT")) {
            out->pos_timestamp_format = p->pos;
            out->timestamp_format = v;
        } else if (str_ieq(n, "VALUE_DELIMITER")) {
            out->value_delimiter = v;
        } else if (str_ieq(n, "KEY_DELIMITER")) {
            out->key_delimiter = v;
        } else if (str_ieq(n, "WRAP_SINGLE_VALUE")) {
            if (!str_ieq(v, "true") && !str_ieq(v, "false"))
                return eddy_error(err, ERR_ANALYSIS, p->pos, "WRAP_SINGLE_VALUE must be true or false");
            out->wrap_single = str_ieq(v, "true");
        } else if ((str_ieq(n, "WINDOW_TYPE") || str_ieq(n, "WINDOW_SIZE")) && for_create_as) {
            /* ksqlDB's CREATE ... AS SELECT properties have no windowing:
             * the query's own WINDOW (or its windowed input) decides it. */
            return eddy_error(err, ERR_ANALYSIS, p->pos,
                              "invalid config variable in the WITH clause: %s (the output of a query is windowed when the query or its input is)",
                              n);
        } else if (str_ieq(n, "WINDOW_TYPE")) {
            out->window_type = v;
            out->pos_window_type = p->pos;
        } else if (str_ieq(n, "WINDOW_SIZE")) {
            out->window_size = v;
            out->pos_window_size = p->pos;
        } else if (str_ieq(n, "VALUE_SCHEMA_ID") || str_ieq(n, "KEY_SCHEMA_ID") ||
                   str_ieq(n, "VALUE_AVRO_SCHEMA_FULL_NAME") || str_ieq(n, "RETENTION_MS") ||
                   str_ieq(n, "CLEANUP_POLICY")) {
            return eddy_error(err, ERR_UNSUPPORTED, p->pos, "property %s is not supported yet", n);
        } else {
            return eddy_error(err, ERR_ANALYSIS, p->pos,
                              "invalid config variable in the WITH clause: %s", n);
        }
    }
    return 0;
}

/* WINDOW_SIZE: '<number> <unit>', the units of a WINDOW clause. */
static int parse_window_size(const char *v, int64_t *out)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        {"MILLISECOND", 1}, {"MILLISECONDS", 1}, {"SECOND", 1000}, {"SECONDS", 1000},
        {"MINUTE", 60000}, {"MINUTES", 60000}, {"HOUR", 3600000}, {"HOURS", 3600000},
        {"DAY", 86400000}, {"DAYS", 86400000},
    };
    char unit[16];
    long long n;
    int used = 0;
    if (sscanf(v, " %lld %15s %n", &n, unit, &used) != 2 || v[used] != '\0' || n <= 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (str_ieq(unit, units[i].unit)) {
            if (n > INT64_MAX / units[i].ms)
                return -1;
            *out = n * units[i].ms;
            return 0;
        }
    return -1;
}

/* WINDOW_TYPE and WINDOW_SIZE of a source declared over a windowed topic
 * (ksqlDB's CreateSourceProperties rules and messages). */
static int apply_window(CatSource *src, const Props *p, EddyError *err)
{
    src->window_kind = WKIND_NONE;
    src->window_size_ms = 0;
    if (p->window_type == NULL) {
        if (p->window_size)
            return eddy_error(err, ERR_ANALYSIS, p->pos_window_size,
                              "WINDOW_SIZE needs the WINDOW_TYPE property");
        return 0;
    }
    if (window_kind_parse(p->window_type, &src->window_kind) != 0)
        return eddy_error(err, ERR_ANALYSIS, p->pos_window_type,
                          "invalid value %s for property WINDOW_TYPE: must be one of SESSION, HOPPING, TUMBLING",
                          p->window_type);
    if (src->window_kind == WKIND_SESSION) {
        if (p->window_size)
            return eddy_error(err, ERR_ANALYSIS, p->pos_window_size,
                              "'WINDOW_SIZE' should not be set for SESSION windows.");
        return 0;
    }
    if (p->window_size == NULL)
        return eddy_error(err, ERR_ANALYSIS, p->pos_window_type,
                          "Tumbling and Hopping window types should set WINDOW_SIZE in the WITH clause");
    if (parse_window_size(p->window_size, &src->window_size_ms) != 0)
        return eddy_error(err, ERR_ANALYSIS, p->pos_window_size,
                          "invalid WINDOW_SIZE property: %s; WINDOW_SIZE should be a string with two literals, window size (a number) and window size unit (a time unit), for example '10 SECONDS'",
                          p->window_size);
    return 0;
}

static int parse_delimiter(const char *v, char *out, SrcPos pos, EddyError *err)
{
    if (v == NULL) {
        *out = ',';
        return 0;
    }
    if (str_ieq(v, "TAB")) {
        *out = '\t';
        return 0;
    }
    if (str_ieq(v, "SPACE")) {
        *out = ' ';
        return 0;
    }
    if (strlen(v) != 1)
        return eddy_error(err, ERR_ANALYSIS, pos,
                          "a delimiter must be one character, TAB or SPACE, not '%s'", v);
    *out = v[0];
    return 0;
}

static int resolve_format(const char *name, Format dflt, Format *out, SrcPos pos, EddyError *err)
{
    if (name == NULL) {
        *out = dflt;
        return 0;
    }
    if (format_parse(name, out) != 0) {
        if (str_ieq(name, "AVRO") || str_ieq(name, "PROTOBUF") || str_ieq(name, "JSON_SR") ||
            str_ieq(name, "PROTOBUF_NOSR"))
            return eddy_error(err, ERR_UNSUPPORTED, pos, "format %s is not supported yet", name);
        return eddy_error(err, ERR_ANALYSIS, pos, "unknown format %s", name);
    }
    return 0;
}

/* PARTITION BY NULL makes a stream without key columns, whose key
 * format is NONE: naming another KEY_FORMAT (or FORMAT) is refused, in
 * ksqlDB's words. */
static int partition_by_null_key_format(const AstSelect *sel, const Props *p, EddyError *err)
{
    if (sel->partition_by.n != 1 || ((const AstExpr *)sel->partition_by.items[0])->kind != EXPR_NULL)
        return 0;
    const char *fmt = p->key_format ? p->key_format : p->format;
    if (fmt == NULL || str_ieq(fmt, "NONE"))
        return 0;
    return eddy_error(err, ERR_ANALYSIS, p->pos_format,
                      "Key format specified for stream without key columns. (PARTITION BY NULL leaves the records without a key: drop %s='%s')",
                      p->key_format ? "KEY_FORMAT" : "FORMAT", fmt);
}

/* ksqlDB's "The query used to build `OUTPUT` must include ...": the
 * analyzer does not know the sink's name.  Returns -1. */
static int name_sink_in_error(EddyError *err, const char *sink)
{
    static const char from[] = "The query must include";
    char *at = strstr(err->msg, from);
    if (at == NULL)
        return -1;
    char rest[sizeof err->msg];
    snprintf(rest, sizeof rest, "%s", at + 10);   /* "must include ..." */
    size_t head = (size_t)(at - err->msg);
    snprintf(at, sizeof err->msg - head, "The query used to build `%s` %s", sink, rest);
    return -1;
}

/* ksql.persistence.wrap.single.values as SET: 1, 0, or -1 when not set. */
static int wrap_single_prop(Engine *e)
{
    const char *v = catalog_prop(&e->cat, "ksql.persistence.wrap.single.values", NULL);
    return v == NULL ? -1 : str_ieq(v, "true") ? 1 : 0;
}

/* ksql.persistence.default.format.key as SET (KAFKA when not set, or not
 * a format eddy writes keys in): the key format of a CREATE without
 * KEY_FORMAT, and of a query that gives keys to a source without any. */
static Format default_key_format(Engine *e)
{
    const char *v = catalog_prop(&e->cat, "ksql.persistence.default.format.key", NULL);
    Format f;
    return v && format_parse(v, &f) == 0 && f != FMT_NONE ? f : FMT_KAFKA;
}

/* "`A` INT, `B` STRING" (each followed by suffix), as ksqlDB lists columns
 * in its format errors. */
static void format_columns(const Column *cols, int n, const char *suffix, StrBuf *sb)
{
    for (int i = 0; i < n; i++) {
        sb_printf(sb, "%s`%s` ", i ? ", " : "", cols[i].name);
        type_format(cols[i].type, sb);
        sb_puts(sb, suffix);
    }
}

/* Formats and serde options of a new source; `inherit` gives CSAS defaults.
 * key_fallback: default_key_format, also taken where the query's source has
 * KEY_FORMAT NONE but its result has key columns (PARTITION BY, GROUP BY,
 * a join), as ksqlDB does. */
static int apply_formats(CatSource *src, const Props *p, const CatSource *inherit, int wrap_default,
                         Format key_fallback, SrcPos pos, EddyError *err)
{
    Format key_default = !inherit ? key_fallback
                       : inherit->key_format == FMT_NONE && src->schema->nkeys > 0 ? key_fallback
                       : inherit->key_format;
    Format value_default = inherit ? inherit->value_format : FMT_NONE;
    if (p->format && (p->key_format || p->value_format))
        return eddy_error(err, ERR_ANALYSIS, p->pos_format,
                          "FORMAT cannot be combined with KEY_FORMAT or VALUE_FORMAT");
    if (p->format) {
        if (resolve_format(p->format, FMT_NONE, &src->value_format, p->pos_format, err) ||
            resolve_format(p->format, FMT_NONE, &src->key_format, p->pos_format, err))
            return -1;
    } else {
        if (resolve_format(p->key_format, key_default, &src->key_format, p->pos_format, err) ||
            resolve_format(p->value_format, value_default, &src->value_format, p->pos_format, err))
            return -1;
    }
    if (src->value_format == FMT_NONE && (p->format || p->value_format)) {
        /* Given, not missing: NONE carries no columns (ksqlDB's words too). */
        StrBuf sb;
        sb_init(&sb);
        format_columns(src->schema->cols + src->schema->nkeys, src->schema->ncols - src->schema->nkeys, "", &sb);
        eddy_error(err, ERR_ANALYSIS, p->pos_format,
                   "VALUE_FORMAT NONE cannot carry value columns: The 'NONE' format can only be used when no columns are defined. Got: [%s]",
                   sb.data);
        sb_free(&sb);
        return -1;
    }
    if (src->value_format == FMT_NONE)
        return eddy_error(err, ERR_ANALYSIS, pos,
                          "missing required property VALUE_FORMAT (or FORMAT) in the WITH clause");
    if (src->value_format == FMT_KAFKA && src->schema->ncols - src->schema->nkeys > 1)
        return eddy_error(err, ERR_ANALYSIS, p->pos_format,
                          "the KAFKA format supports a single column only");
    src->key_opts.wrap_single = false;
    /* WRAP_SINGLE_VALUE, else ksql.persistence.wrap.single.values when SET,
     * else the source's (CREATE ... AS SELECT) or wrapped. */
    src->value_opts.wrap_single = p->wrap_single >= 0 ? p->wrap_single == 1
                                : wrap_default >= 0 ? wrap_default == 1
                                : inherit ? inherit->value_opts.wrap_single : true;
    /* DELIMITED and KAFKA values are never wrapped (ksqlDB). */
    if (p->wrap_single == 1 && (src->value_format == FMT_DELIMITED || src->value_format == FMT_KAFKA))
        return eddy_error(err, ERR_ANALYSIS, pos, "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.",
                          format_name(src->value_format));
    if (p->wrap_single >= 0 && src->schema->ncols - src->schema->nkeys != 1)
        return eddy_error(err, ERR_ANALYSIS, pos,
                          "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas: %s has %d value columns",
                          src->name, src->schema->ncols - src->schema->nkeys);
    if (parse_delimiter(p->value_delimiter, &src->value_opts.delimiter, pos, err) ||
        parse_delimiter(p->key_delimiter, &src->key_opts.delimiter, pos, err))
        return -1;
    if (inherit && p->value_delimiter == NULL && inherit->value_format == src->value_format)
        src->value_opts.delimiter = inherit->value_opts.delimiter;
    if (src->schema->nkeys > 0 && src->key_format == FMT_NONE) {
        /* ksqlDB's words too: "... Got: [`K` STRING KEY]" */
        StrBuf sb;
        sb_init(&sb);
        format_columns(src->schema->cols, src->schema->nkeys, " KEY", &sb);
        eddy_error(err, ERR_ANALYSIS, pos,
                   "KEY_FORMAT NONE cannot carry key columns: The 'NONE' format can only be used when no columns are defined. Got: [%s]",
                   sb.data);
        sb_free(&sb);
        return -1;
    }
    if (serde_check(src->key_format, src->schema->cols, src->schema->nkeys, true, err) != 0 ||
        serde_check(src->value_format, src->schema->cols + src->schema->nkeys,
                    src->schema->ncols - src->schema->nkeys, false, err) != 0) {
        if (err->pos.line == 0)
            err->pos = pos;
        return -1;
    }
    return 0;
}

static int apply_timestamp(CatSource *src, const Props *p, Arena *a, EddyError *err)
{
    src->timestamp_col = -1;
    if (p->timestamp_format && p->timestamp == NULL)
        return eddy_error(err, ERR_ANALYSIS, p->pos_timestamp,
                          "TIMESTAMP_FORMAT needs the TIMESTAMP property");
    if (p->timestamp == NULL)
        return 0;
    const char *name = p->timestamp;
    int idx = schema_find(src->schema, name);
    if (idx < 0)
        idx = schema_find_ci(src->schema, name);
    if (idx < 0)
        return eddy_error(err, ERR_ANALYSIS, p->pos_timestamp,
                          "the TIMESTAMP column %s is not a column of %s", name, src->name);
    TypeKind k = src->schema->cols[idx].type->kind;
    if (k == TYPE_STRING) {
        /* ISO text when no format is given. */
    } else if (k != TYPE_BIGINT && k != TYPE_TIMESTAMP) {
        return eddy_error(err, ERR_ANALYSIS, p->pos_timestamp,
                          "the TIMESTAMP column %s must be BIGINT, TIMESTAMP or STRING, not %s",
                          name, type_kind_name(k));
    }
    if (p->timestamp_format && k != TYPE_STRING)
        return eddy_error(err, ERR_ANALYSIS, p->pos_timestamp,
                          "TIMESTAMP_FORMAT applies only to a STRING timestamp column");
    if (p->timestamp_format) {   /* a bad pattern is refused now, not per record */
        unsigned fields;
        if (dt_pattern_fields(p->timestamp_format, &fields, err) != 0) {
            err->pos = p->pos_timestamp_format;
            return -1;
        }
    }
    src->timestamp_col = idx;
    src->timestamp_format = p->timestamp_format ? arena_strdup(a, p->timestamp_format) : NULL;
    return 0;
}

static bool reserved_name(const char *n)
{
    static const char *const r[] = {"ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND"};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (str_ieq(n, r[i]))
            return true;
    return false;
}

/* Makes sure the topic exists: creates it with PARTITIONS, else requires it. */
static int ensure_topic(Engine *e, CatSource *src, const Props *p, int default_partitions,
                        SrcPos pos, EddyError *err)
{
    int have = e->t->ops->topic_partitions(e->t, src->topic);
    if (have > 0) {
        if (p->partitions > 0 && p->partitions != have)
            return eddy_error(err, ERR_ANALYSIS, p->pos_topic,
                              "topic %s already exists with %d partitions, not the %d given",
                              src->topic, have, p->partitions);
        src->partitions = have;
        return 0;
    }
    int parts = p->partitions > 0 ? p->partitions : default_partitions;
    if (parts <= 0 && e->auto_create_topics)
        parts = 1;
    if (parts <= 0)
        return eddy_error(err, ERR_ANALYSIS, p->topic ? p->pos_topic : pos,
                          "topic '%s' does not exist; to create it, give the PARTITIONS property",
                          src->topic);
    if (e->replaying)
        return 0;
    int got = e->t->ops->topic_ensure(e->t, src->topic, parts, p->replicas, err);
    if (got < 0)
        return -1;
    src->partitions = got > 0 ? got : parts;   /* what the broker made, if it says */
    return 0;
}

static const char *copy_name(Engine *e, const char *n)
{
    return arena_strdup(e->cat.arena, n);
}

/* 0: a new name; 1: it exists and IF NOT EXISTS says skip; 2: CREATE OR
 * REPLACE ... AS SELECT of a query's sink (an in-place upgrade). */
static int check_new_name(Engine *e, const AstStmt *s, const char *kind, EddyError *err)
{
    CatSource *old = catalog_find(&e->cat, s->u.create.name.name);
    if (old == NULL)
        return 0;
    if (s->u.create.if_not_exists)
        return 1;
    if (s->u.create.or_replace && (old->read_only || s->u.create.is_source))
        return eddy_error(err, ERR_ANALYSIS, s->u.create.name.pos,
                          "cannot add %s '%s': CREATE OR REPLACE is not supported on source streams or tables.",
                          kind, old->name);
    if (s->u.create.or_replace && s->kind == STMT_CREATE_AS && old->writer)
        return 2;
    if (s->u.create.or_replace && s->kind == STMT_CREATE_AS)
        return eddy_error(err, ERR_ANALYSIS, s->u.create.name.pos,
                          "cannot replace %s %s: no running query writes it (only a query's output can be upgraded in place)",
                          old->is_table ? "table" : "stream", old->name);
    if (s->u.create.or_replace)
        return eddy_error(err, ERR_UNSUPPORTED, s->u.create.name.pos,
                          "CREATE OR REPLACE of an existing %s is not supported yet",
                          old->is_table ? "table" : "stream");
    return eddy_error(err, ERR_ANALYSIS, s->u.create.name.pos,
                      "cannot add %s %s: a %s with the same name already exists", kind,
                      s->u.create.name.name, old->is_table ? "table" : "stream");
}

int exec_create_source(Engine *e, const AstStmt *s, EddyError *err)
{
    bool is_table = s->u.create.is_table;
    const char *kind = is_table ? "table" : "stream";
    int rc = check_new_name(e, s, kind, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    Arena *a = e->cat.arena;
    Props p;
    if (parse_props(&s->u.create.props, false, a, &p, err) != 0)
        return -1;
    if (p.topic == NULL)
        return eddy_error(err, ERR_ANALYSIS, s->pos,
                          "missing required property KAFKA_TOPIC in the WITH clause");
    int ncols = s->u.create.columns.n;
    if (ncols == 0)
        return eddy_error(err, ERR_UNSUPPORTED, s->u.create.name.pos,
                          "%s %s has no columns: schema inference needs a schema registry, which is not supported",
                          kind, s->u.create.name.name);
    CatSource *src = arena_alloc(a, sizeof *src);
    src->name = copy_name(e, s->u.create.name.name);
    src->is_table = is_table;
    src->topic = copy_name(e, p.topic);
    src->read_only = s->u.create.is_source;
    src->sql = arena_strdup(a, s->text);
    src->schema = schema_create(a, ncols);
    int nk = 0;
    for (int pass = 0; pass < 2; pass++)   /* key columns first */
        for (int i = 0; i < ncols; i++) {
            const AstColumnDef *c = s->u.create.columns.items[i];
            bool key = c->role == COLROLE_KEY || c->role == COLROLE_PRIMARY_KEY;
            if (c->role == COLROLE_HEADERS)
                return eddy_error(err, ERR_UNSUPPORTED, c->name.pos, "HEADER columns are not supported yet");
            if ((pass == 0) != key)
                continue;
            if (pass == 0) {
                if (is_table && c->role == COLROLE_KEY)
                    return eddy_error(err, ERR_ANALYSIS, c->name.pos,
                                      "column %s is a KEY column: please use PRIMARY KEY for tables",
                                      c->name.name);
                if (!is_table && c->role == COLROLE_PRIMARY_KEY)
                    return eddy_error(err, ERR_ANALYSIS, c->name.pos,
                                      "column %s is a PRIMARY KEY column: please use KEY for streams",
                                      c->name.name);
            }
            if (reserved_name(c->name.name))
                return eddy_error(err, ERR_ANALYSIS, c->name.pos,
                                  "%s is a reserved column name", c->name.name);
            for (int j = 0; j < i; j++) {
                const AstColumnDef *o = s->u.create.columns.items[j];
                if (strcmp(o->name.name, c->name.name) == 0)
                    return eddy_error(err, ERR_ANALYSIS, c->name.pos, "duplicate column name %s",
                                      c->name.name);
            }
            if (pass == 0)
                nk++;
        }
    /* Fill in order: keys, then values. */
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ncols; i++) {
            const AstColumnDef *c = s->u.create.columns.items[i];
            bool key = c->role == COLROLE_KEY || c->role == COLROLE_PRIMARY_KEY;
            if ((pass == 0) != key)
                continue;
            src->schema->cols[k].name = copy_name(e, c->name.name);
            src->schema->cols[k].type = type_copy(a, c->type);
            src->schema->cols[k].role = key ? COL_KEY : COL_VALUE;
            k++;
        }
    src->schema->nkeys = nk;
    if (is_table && nk == 0)
        return eddy_error(err, ERR_ANALYSIS, s->u.create.name.pos,
                          "tables require a PRIMARY KEY column");
    if (nk == ncols)
        return eddy_error(err, ERR_ANALYSIS, s->u.create.name.pos,
                          "%s %s has no value columns", kind, src->name);
    if (apply_formats(src, &p, NULL, wrap_single_prop(e), default_key_format(e), s->pos, err) || apply_timestamp(src, &p, a, err) ||
        apply_window(src, &p, err))
        return -1;
    if (ensure_topic(e, src, &p, 0, s->pos, err) != 0)
        return -1;
    if (engine_persist(e, s->text, err) != 0)
        return -1;
    strmap_put(e->cat.sources, src->name, src);
    char buf[600];
    snprintf(buf, sizeof buf, "%s %s created.\n", is_table ? "Table" : "Stream", src->name);
    engine_text(e, buf);
    return 0;
}

static OffsetReset offset_reset(Engine *e)
{
    return str_ieq(catalog_prop(&e->cat, "auto.offset.reset", "latest"), "earliest")
               ? RESET_EARLIEST : RESET_LATEST;
}

static int64_t commit_interval(Engine *e)
{
    return strtoll(catalog_prop(&e->cat, "commit.interval.ms", "2000"), NULL, 10);
}

/* Starts a persistent query writing to sink (once the command log is
 * read, when it is being replayed: replay.c). */
static int start_query(Engine *e, Query *q, EddyError *err)
{
    return engine_start_query(e, q, offset_reset(e), commit_interval(e), err);
}

/* Undoes start_query of a query whose statement could not be recorded:
 * its runtime and any state it made go (nothing was checkpointed for it
 * yet: checkpoints run between statements). */
static void unstart_query(Engine *e, Query *q)
{
    if (q->rt) {
        runtime_drop_state(q->rt);
        runtime_stop(q->rt);
        q->rt = NULL;
    }
    q->state = QSTATE_TERMINATED;
}

static Query *new_query(Engine *e, QueryKind kind, const char *sink_name, const AstStmt *s,
                        const SelectAnalysis *an, Plan *sink_plan)
{
    Arena *a = e->cat.arena;
    Query *q = arena_alloc(a, sizeof *q);
    int num = e->cat.next_query_num++;
    const char *prefix = kind == QUERY_PERSISTENT_CSAS ? "CSAS" : kind == QUERY_PERSISTENT_CTAS ? "CTAS" : "INSERTQUERY";
    q->id = kind == QUERY_INSERT ? arena_sprintf(a, "%s_%d", prefix, num)
                                 : arena_sprintf(a, "%s_%s_%d", prefix, sink_name, num);
    q->kind = kind;
    q->sql = arena_strdup(a, s->text);
    q->plan = sink_plan;
    q->inputs = an->inputs;
    q->ninputs = an->ninputs;
    query_capture_props(&e->cat, q);
    return q;
}

/* The aggregation node of a plan, if any. */
static const Plan *find_aggregate(const Plan *p)
{
    for (; p; p = p->input)
        if (p->tag == PLAN_AGGREGATE)
            return p;
    return NULL;
}

/* "not windowed", "SESSION-windowed", "TUMBLING-windowed (60000 ms)". */
static const char *windowing_text(Arena *a, WindowKind k, int64_t size_ms)
{
    if (k == WKIND_NONE)
        return "not windowed";
    if (k == WKIND_SESSION)
        return "SESSION-windowed";
    return arena_sprintf(a, "%s-windowed (%lld ms)", window_kind_name(k), (long long)size_ms);
}

/* The windowing of a query's result: its WINDOW clause, else that of its
 * (first) input, as ksqlDB keeps a windowed source's key format. */
static void result_window(const SelectAnalysis *an, WindowKind *kind, int64_t *size_ms)
{
    const Plan *agg = find_aggregate(an->plan);
    if (agg) {
        *kind = agg->u.aggregate.window.kind;
        *size_ms = agg->u.aggregate.window.size_ms;
    } else {
        *kind = an->inputs[0]->window_kind;
        *size_ms = an->inputs[0]->window_size_ms;
    }
}

int exec_create_as(Engine *e, const AstStmt *s, EddyError *err)
{
    bool is_table = s->u.create.is_table;
    int rc = check_new_name(e, s, is_table ? "table" : "stream", err);
    if (rc < 0 || rc == 1)
        return rc < 0 ? -1 : 0;
    CatSource *replaced = rc == 2 ? catalog_find(&e->cat, s->u.create.name.name) : NULL;
    Arena *a = e->cat.arena;
    Props p;
    if (parse_props(&s->u.create.props, true, a, &p, err) != 0)
        return -1;
    SelectAnalysis an;
    if (analyze_select(&e->cat, s->u.create.select, true, a, &an, err) != 0)
        return name_sink_in_error(err, s->u.create.name.name);
    if (s->u.create.select->limit >= 0)
        return eddy_error(err, ERR_ANALYSIS, s->u.create.select->pos,
                          "LIMIT is not allowed in a persistent query");
    CatSource *in = an.inputs[0];
    const Plan *agg = find_aggregate(an.plan);
    bool produces_table = agg != NULL || in->is_table;
    if (produces_table && !is_table)
        return eddy_error(err, ERR_ANALYSIS, s->pos,
                          "invalid result type: your SELECT query produces a TABLE; please use CREATE TABLE AS SELECT");
    if (!produces_table && is_table)
        return eddy_error(err, ERR_ANALYSIS, s->pos,
                          "invalid result type: your SELECT query produces a STREAM; please use CREATE STREAM AS SELECT");
    CatSource *src = arena_alloc(a, sizeof *src);
    src->is_table = is_table;
    result_window(&an, &src->window_kind, &src->window_size_ms);
    src->name = copy_name(e, s->u.create.name.name);
    src->topic = copy_name(e, p.topic ? p.topic : src->name);
    src->sql = arena_strdup(a, s->text);
    src->schema = (Schema *)an.plan->schema;
    if (catalog_find(&e->cat, src->name) == NULL) {
        for (size_t it = 0;;) {   /* a topic written by another query's sink cannot be shared */
            const char *k;
            void *v;
            if (!strmap_next(e->cat.sources, &it, &k, &v))
                break;
            CatSource *o = v;
            if (strcmp(o->topic, src->topic) == 0 && o->writer)
                return eddy_error(err, ERR_ANALYSIS, s->pos,
                                  "topic %s is already written by query %s", src->topic, o->writer->id);
        }
    }
    for (int i = 0; i < src->schema->ncols; i++)
        if (reserved_name(src->schema->cols[i].name))
            return eddy_error(err, ERR_ANALYSIS, s->u.create.select->pos,
                              "%s is a reserved column name; please use an alias",
                              src->schema->cols[i].name);
    if (partition_by_null_key_format(s->u.create.select, &p, err) != 0 ||
        apply_formats(src, &p, in, wrap_single_prop(e), default_key_format(e), s->pos, err) || apply_timestamp(src, &p, a, err))
        return -1;
    if (replaced)
        return exec_replace_query(e, s, replaced, src, &an, err);
    int in_parts = in->partitions > 0 ? in->partitions : e->t->ops->topic_partitions(e->t, in->topic);
    if (ensure_topic(e, src, &p, in_parts > 0 ? in_parts : 1, s->pos, err) != 0)
        return -1;
    if (e->validating)   /* checked before the command topic: no query id taken */
        return engine_persist(e, s->text, err);
    Plan *sink = plan_sink(a, an.plan, src, src->timestamp_col >= 0, -1);
    Query *q = new_query(e, is_table ? QUERY_PERSISTENT_CTAS : QUERY_PERSISTENT_CSAS, src->name, s,
                         &an, sink);
    q->sink = src;
    /* Recorded only once it runs: a statement that failed (a full disk
     * while creating its stores) must not come back at the next start. */
    if (start_query(e, q, err) != 0)
        return -1;
    if (engine_persist(e, s->text, err) != 0) {
        unstart_query(e, q);
        return -1;
    }
    src->writer = q;
    strmap_put(e->cat.sources, src->name, src);
    ptrvec_push(a, &e->cat.queries, q);
    char buf[600];
    snprintf(buf, sizeof buf, "Created query with ID %s\n", q->id);
    engine_text(e, buf);
    return 0;
}

int exec_insert_select(Engine *e, const AstStmt *s, EddyError *err)
{
    CatSource *dst = catalog_find(&e->cat, s->u.insert.target.name);
    if (dst == NULL)
        return eddy_error(err, ERR_ANALYSIS, s->u.insert.target.pos,
                          "Source `%s` does not exist: no stream of that name", s->u.insert.target.name);
    if (dst->is_table)
        return eddy_error(err, ERR_ANALYSIS, s->u.insert.target.pos,
                          "INSERT INTO can only be used to insert into a stream. %s is a table.",
                          dst->name);
    if (dst->read_only)
        return eddy_error(err, ERR_ANALYSIS, s->u.insert.target.pos,
                          "cannot insert into read-only stream: %s (it was created with CREATE SOURCE STREAM)",
                          dst->name);
    Arena *a = e->cat.arena;
    SelectAnalysis an;
    if (analyze_select(&e->cat, s->u.insert.select, true, a, &an, err) != 0)
        return -1;
    for (int i = 0; i < an.ninputs; i++)
        if (an.inputs[i] == dst)
            return eddy_error(err, ERR_ANALYSIS, s->u.insert.target.pos,
                              "cannot insert into %s: the query also reads from it", dst->name);
    const Schema *got = an.plan->schema, *want = dst->schema;
    bool same = got->ncols == want->ncols && got->nkeys == want->nkeys;
    for (int i = 0; same && i < got->ncols; i++)
        same = strcmp(got->cols[i].name, want->cols[i].name) == 0 &&
               type_equal(got->cols[i].type, want->cols[i].type);
    if (!same) {
        StrBuf g, w;
        sb_init(&g);
        sb_init(&w);
        for (int i = 0; i < got->ncols; i++) {
            sb_printf(&g, "%s%s %s%s", i ? ", " : "", got->cols[i].name,
                      type_to_string(a, got->cols[i].type), i < got->nkeys ? " KEY" : "");
        }
        for (int i = 0; i < want->ncols; i++) {
            sb_printf(&w, "%s%s %s%s", i ? ", " : "", want->cols[i].name,
                      type_to_string(a, want->cols[i].type), i < want->nkeys ? " KEY" : "");
        }
        eddy_error(err, ERR_ANALYSIS, s->u.insert.select->pos,
                   "incompatible schema between results and sink: result schema is [%s], sink schema is [%s]",
                   g.data ? g.data : "", w.data ? w.data : "");
        sb_free(&g);
        sb_free(&w);
        return -1;
    }
    /* The sink's key bytes carry the result's window, so its windowing
     * must be the sink's (ksqlDB compares the key formats). */
    WindowKind wk;
    int64_t wsize;
    result_window(&an, &wk, &wsize);
    if (wk != dst->window_kind || (wk != WKIND_SESSION && wk != WKIND_NONE && wsize != dst->window_size_ms))
        return eddy_error(err, ERR_ANALYSIS, s->u.insert.select->pos,
                          "incompatible key formats between results and sink: the result is %s, %s is %s",
                          windowing_text(a, wk, wsize), dst->name,
                          windowing_text(a, dst->window_kind, dst->window_size_ms));
    /* INSERT INTO has no WITH clause: records keep ROWTIME as their
     * timestamp, as in ksqlDB, whatever TIMESTAMP the sink declares. */
    if (e->validating)
        return engine_persist(e, s->text, err);
    Plan *sink = plan_sink(a, an.plan, dst, false, -1);
    Query *q = new_query(e, QUERY_INSERT, dst->name, s, &an, sink);
    q->sink = dst;
    if (start_query(e, q, err) != 0)
        return -1;
    if (engine_persist(e, s->text, err) != 0) {
        unstart_query(e, q);
        return -1;
    }
    ptrvec_push(a, &e->cat.queries, q);
    char buf[600];
    snprintf(buf, sizeof buf, "Created query with ID %s\n", q->id);
    engine_text(e, buf);
    return 0;
}

/* Puts value v of column col (-2 ROWTIME, -3 WINDOWSTART, -4 WINDOWEND)
 * into an insert's row or times; a null time keeps the default. */
static void insert_put(int col, const Value *v, Value *row, int64_t *ts, int64_t *wstart,
                       int64_t *wend)
{
    if (col == -2)
        *ts = v->kind == TYPE_NULL ? *ts : v->u.i64;
    else if (col == -3)
        *wstart = v->kind == TYPE_NULL ? -1 : v->u.i64;
    else if (col == -4)
        *wend = v->kind == TYPE_NULL ? -1 : v->u.i64;
    else
        row[col] = *v;
}

/* The column of dst an insert names: -2 ROWTIME, -3 WINDOWSTART, -4
 * WINDOWEND (a windowed source's), -1 none.  INSERT VALUES' names match
 * exactly (the parser upper-cased those not quoted); with any_case a name
 * that matches no column exactly may match one without regard to case,
 * when only one does (ksqlDB's /inserts-stream takes {"city": ...} for
 * CITY).  No column is named like the three (reserved_name), so the
 * order of the lookups changes nothing. */
static int insert_column(const CatSource *dst, const char *name, bool any_case)
{
    const Schema *sc = dst->schema;
    int col = schema_find(sc, name);
    if (col >= 0)
        return col;
    bool windowed = dst->window_kind != WKIND_NONE;
    if (any_case ? str_ieq(name, "ROWTIME") : strcmp(name, "ROWTIME") == 0)
        return -2;
    if (windowed && (any_case ? str_ieq(name, "WINDOWSTART") : strcmp(name, "WINDOWSTART") == 0))
        return -3;
    if (windowed && (any_case ? str_ieq(name, "WINDOWEND") : strcmp(name, "WINDOWEND") == 0))
        return -4;
    int found = 0;
    for (int i = 0; any_case && i < sc->ncols; i++)
        if (str_ieq(sc->cols[i].name, name)) {
            col = i;
            found++;
        }
    return found == 1 ? col : -1;
}

/* The stream or table INSERT VALUES and /inserts-stream write to; NULL
 * with err at pos when there is none or it is read-only. */
static CatSource *insert_target(Engine *e, const char *name, SrcPos pos, EddyError *err)
{
    CatSource *dst = catalog_find(&e->cat, name);
    if (dst == NULL) {
        eddy_error(err, ERR_ANALYSIS, pos,
                   "Source `%s` does not exist: no stream or table of that name", name);
        return NULL;
    }
    if (dst->read_only) {
        eddy_error(err, ERR_ANALYSIS, pos,
                   "cannot insert values into read-only %s: %s (it was created with CREATE SOURCE %s)",
                   dst->is_table ? "table" : "stream", dst->name, dst->is_table ? "TABLE" : "STREAM");
        return NULL;
    }
    return dst;
}

/* Writes one row of dst (every column in row[], nulls where not given) to
 * its topic with timestamp ts: INSERT VALUES and eddy server's
 * /inserts-stream.  wstart/wend: a windowed source's window (-1: not
 * given).  0, or -1 with err at pos. */
static int insert_row(Engine *e, const CatSource *dst, const Value *row, int64_t ts,
                      int64_t wstart, int64_t wend, SrcPos pos, EddyError *err)
{
    const Schema *sc = dst->schema;
    int rc;
    /* A windowed source's key carries its window (ksqlDB: INSERT INTO w
     * (k, ..., WINDOWSTART, WINDOWEND) VALUES ...). */
    if (dst->window_kind != WKIND_NONE) {
        if (wstart < 0 || (dst->window_kind == WKIND_SESSION && wend < 0)) {
            eddy_error(err, ERR_ANALYSIS, pos,
                       "%s is %s-windowed: give WINDOWSTART%s in the column list", dst->name,
                       window_kind_name(dst->window_kind),
                       dst->window_kind == WKIND_SESSION ? " and WINDOWEND" : "");
            return -1;
        }
        if (dst->window_kind != WKIND_SESSION) {
            int64_t end = wstart > INT64_MAX - dst->window_size_ms ? INT64_MAX
                                                                   : wstart + dst->window_size_ms;
            if (wend >= 0 && wend != end) {
                eddy_error(err, ERR_ANALYSIS, pos,
                           "WINDOWEND of a %s window of %s must be WINDOWSTART + %lld ms (%lld)",
                           window_kind_name(dst->window_kind), dst->name,
                           (long long)dst->window_size_ms, (long long)end);
                return -1;
            }
            wend = end;
        }
    }
    StrBuf kb, vb;
    sb_init(&kb);
    sb_init(&vb);
    bool null_key = serde_key_absent(row, sc->nkeys, dst->window_kind);
    if ((!null_key && serde_encode_key(dst->key_format, &dst->key_opts, sc->cols, sc->nkeys, row,
                                       dst->window_kind, wstart, wend, &kb, err) != 0) ||
        serde_encode(dst->value_format, &dst->value_opts, sc->cols + sc->nkeys, sc->ncols - sc->nkeys,
                     row + sc->nkeys, &vb, err) != 0) {
        err->pos = pos;
        sb_free(&kb);
        sb_free(&vb);
        return -1;
    }
    rc = e->t->ops->produce(e->t, dst->topic, -1, null_key ? NULL : kb.data, null_key ? 0 : kb.len,
                            vb.data ? vb.data : "", vb.len, ts, err);
    if (rc == 0)
        rc = e->t->ops->flush(e->t, 10000, err);
    sb_free(&kb);
    sb_free(&vb);
    return rc;
}

int exec_insert_values(Engine *e, const AstStmt *s, EddyError *err)
{
    if (e->replaying)
        return 0;   /* the records are in the topic already */
    CatSource *dst = insert_target(e, s->u.insert.target.name, s->u.insert.target.pos, err);
    if (dst == NULL)
        return -1;
    const Schema *sc = dst->schema;
    int ncols = s->u.insert.columns.n;
    int nvals = s->u.insert.values.n;
    Arena *a = arena_create(0);
    Value *row = arena_alloc(a, sizeof(Value) * (size_t)(sc->ncols + 1));
    for (int i = 0; i < sc->ncols; i++)
        row[i] = v_null();
    int64_t ts = e->deterministic ? 0 : eddy_now_ms();
    int64_t wstart = -1, wend = -1;
    int rc = -1;
    if (ncols == 0 && nvals != sc->ncols) {
        eddy_error(err, ERR_ANALYSIS, s->pos,
                   "expected a value for each of the %d columns of %s, got %d", sc->ncols,
                   dst->name, nvals);
        goto out;
    }
    if (ncols > 0 && ncols != nvals) {
        eddy_error(err, ERR_ANALYSIS, s->pos, "expected %d values (one per column listed), got %d",
                   ncols, nvals);
        goto out;
    }
    Scope empty = {0};
    for (int i = 0; i < nvals; i++) {
        const AstExpr *ve = s->u.insert.values.items[i];
        int col;
        const char *cname;
        if (ncols > 0) {
            const AstName *n = s->u.insert.columns.items[i];
            cname = n->name;
            col = insert_column(dst, cname, false);
            if (col == -1) {
                eddy_error(err, ERR_ANALYSIS, n->pos, "unknown column %s in %s", cname, dst->name);
                goto out;
            }
        } else {
            col = i;
            cname = sc->cols[i].name;
        }
        BExpr *b;
        if (analyze_expr(&empty, ve, a, &b, err) != 0)
            goto out;
        const SqlType *want = col < 0 ? type_prim(TYPE_BIGINT) : sc->cols[col].type;
        if (!analyze_assignable(b->type, want)) {
            eddy_error(err, ERR_ANALYSIS, ve->pos, "expected type %s for column %s, got %s",
                       type_to_string(a, want), cname, type_to_string(a, b->type));
            goto out;
        }
        b = analyze_coerce(a, b, want);
        EvalCtx ctx = {.arena = a};
        Row empty_row = {0};
        Value v;
        expr_eval(b, &empty_row, &ctx, &v);
        if (ctx.errors > 0) {
            eddy_error(err, ERR_ANALYSIS, ve->pos, "cannot compute the value of %s: %s", cname,
                       ctx.last_error.msg);
            goto out;
        }
        insert_put(col, &v, row, &ts, &wstart, &wend);
    }
    rc = insert_row(e, dst, row, ts, wstart, wend, s->pos, err);
out:
    arena_destroy(a);
    return rc;
}

int engine_insert_json(Engine *e, const char *target, const struct json_t *row, EddyError *err)
{
    SrcPos nopos = {0};
    CatSource *dst = insert_target(e, target, nopos, err);
    if (dst == NULL)
        return -1;
    if (!json_is_object(row))
        return eddy_error(err, ERR_ANALYSIS, nopos, "a row must be a JSON object");
    const Schema *sc = dst->schema;
    Arena *a = arena_create(0);
    Value *vals = arena_alloc(a, sizeof(Value) * (size_t)(sc->ncols + 1));
    for (int i = 0; i < sc->ncols; i++)
        vals[i] = v_null();
    int64_t ts = e->deterministic ? 0 : eddy_now_ms();
    int64_t wstart = -1, wend = -1;
    int rc = 0, n = 0;
    const char *k;
    json_t *jv;
    json_object_foreach((json_t *)row, k, jv) {
        int col = insert_column(dst, k, true);
        if (col == -1) {
            rc = eddy_error(err, ERR_ANALYSIS, nopos, "unknown column %s in %s", k, dst->name);
            break;
        }
        const SqlType *want = col < 0 ? type_prim(TYPE_BIGINT) : sc->cols[col].type;
        Value v;
        if (json_to_value(jv, want, a, &v, err) != 0) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            rc = eddy_error(err, ERR_ANALYSIS, nopos, "column %s: %s",
                            col >= 0 ? sc->cols[col].name : k, why);
            break;
        }
        n++;
        insert_put(col, &v, vals, &ts, &wstart, &wend);
    }
    if (rc == 0 && n == 0)
        rc = eddy_error(err, ERR_ANALYSIS, nopos, "a row needs at least one column");
    if (rc == 0)
        rc = insert_row(e, dst, vals, ts, wstart, wend, nopos, err);
    arena_destroy(a);
    return rc;
}

int exec_drop(Engine *e, const AstStmt *s, EddyError *err)
{
    if (s->u.drop.is_type)
        return exec_drop_type(e, s, err);
    const char *name = s->u.drop.name.name;
    CatSource *src = catalog_find(&e->cat, name);
    const char *kind = s->u.drop.is_table ? "table" : "stream";
    if (src == NULL) {
        if (s->u.drop.if_exists)
            return 0;
        return eddy_error(err, ERR_ANALYSIS, s->u.drop.name.pos, "%s %s does not exist", kind, name);
    }
    if (src->is_table != s->u.drop.is_table)
        return eddy_error(err, ERR_ANALYSIS, s->u.drop.name.pos, "%s is a %s, not a %s", name,
                          src->is_table ? "table" : "stream", kind);
    if (s->u.drop.delete_topic && src->read_only)
        return eddy_error(err, ERR_ANALYSIS, s->u.drop.name.pos,
                          "cannot delete topic for read-only source: %s (drop it without DELETE TOPIC)", name);
    StrBuf readers;
    sb_init(&readers);
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->state != QSTATE_RUNNING || q == src->writer)
            continue;
        for (int k = 0; k < q->ninputs; k++)
            if (q->inputs[k] == src)
                sb_printf(&readers, "%s%s", readers.len ? ", " : "", q->id);
    }
    if (readers.len) {
        eddy_error(err, ERR_ANALYSIS, s->u.drop.name.pos,
                   "cannot drop %s: queries %s read from it; terminate them first", name, readers.data);
        sb_free(&readers);
        return -1;
    }
    sb_free(&readers);
    if (engine_persist(e, s->text, err) != 0)
        return -1;
    /* As in ksqlDB, dropping a query's sink terminates the query. */
    if (src->writer)
        engine_terminate_query(e, src->writer);
    strmap_del(e->cat.sources, name);
    src->dropped = true;
    if (s->u.drop.delete_topic && !e->replaying)   /* said once, when it ran */
        engine_log(e, 1, "DELETE TOPIC: deleting topics is not supported yet; topic %s is kept",
                   src->topic);
    char buf[600];
    snprintf(buf, sizeof buf, "Source `%s` (topic: %s) was dropped.\n", name, src->topic);
    engine_text(e, buf);
    return 0;
}

int exec_terminate(Engine *e, const AstStmt *s, EddyError *err)
{
    if (s->u.terminate.all) {
        if (engine_persist(e, s->text, err) != 0)
            return -1;
        for (int i = 0; i < e->cat.queries.n; i++) {
            Query *q = e->cat.queries.items[i];
            if (q->state == QSTATE_RUNNING)
                engine_terminate_query(e, q);
        }
        engine_text(e, "All queries terminated.\n");
        return 0;
    }
    Query *q = engine_find_query(e, s->u.terminate.query_id);
    int ti = q == NULL ? transient_find(e, s->u.terminate.query_id) : -1;
    if (ti >= 0) {
        /* A client's push query, as ksqlDB lets TERMINATE end one: nothing
         * to log (it is not in the catalog); its client sees its end. */
        char buf[300];
        snprintf(buf, sizeof buf, "Query %s terminated.\n", e->transients[ti].q->id);
        transient_free(e, ti);
        engine_text(e, buf);
        return 0;
    }
    if (q == NULL || q->state != QSTATE_RUNNING)
        return eddy_error(err, ERR_ANALYSIS, s->pos, "unknown query id %s (or not running)",
                          s->u.terminate.query_id);
    if (engine_persist(e, s->text, err) != 0)
        return -1;
    engine_terminate_query(e, q);
    char buf[300];
    snprintf(buf, sizeof buf, "Query %s terminated.\n", q->id);
    engine_text(e, buf);
    return 0;
}

/* ---- push queries for a client ------------------------------------------- */

/* What a transient query's rows are delivered with (in its arena). */
typedef struct ClientRows {
    Engine *e;
    const char *query_id;
} ClientRows;

static void client_rows(void *ud, const Schema *schema, const Row *row)
{
    ClientRows *cr = ud;
    Engine *e = cr->e;
    engine_json_row(e, cr->query_id, schema, row->cols, schema->ncols);
    if (e->out.row == NULL)
        return;
    const char *cells[256] = {0};
    StrBuf bufs[256];
    int n = schema->ncols < 256 ? schema->ncols : 256;
    for (int i = 0; i < n; i++) {
        sb_init(&bufs[i]);
        value_format(&row->cols[i], &bufs[i]);
        cells[i] = bufs[i].data ? bufs[i].data : "";
    }
    e->out.row(e->out.ud, cells, n, false);
    for (int i = 0; i < n; i++)
        sb_free(&bufs[i]);
}

/* transient_<SOURCE>_<number>, as ksqlDB names a push query; the number is
 * the start time in ms, moved on by one where two starts share a ms, so
 * ids never repeat within a run (a client closes a query by its id). */
static char *transient_id(Engine *e, Arena *a, const char *source)
{
    int64_t num = eddy_now_ms();
    if (num <= e->transient_num)
        num = e->transient_num + 1;
    e->transient_num = num;
    return arena_sprintf(a, "transient_%s_%lld", source, (long long)num);
}

static int select_failed(Arena *a)
{
    arena_destroy(a);
    return -1;
}

int exec_select(Engine *e, const AstStmt *s, EddyError *err)
{
    if (e->replaying)
        return 0;
    const AstSelect *sel = s->u.select;
    CatSource *from = catalog_find(&e->cat, sel->from.name.name);
    if (from && from->is_table && sel->emit == EMIT_NONE)
        return exec_pull(e, s, from, err);
    Arena *a = arena_create(0);
    SelectAnalysis an;
    if (analyze_select(&e->cat, sel, false, a, &an, err) != 0)
        return select_failed(a);   /* a bad SELECT leaves the running ones be */
    /* One push query at a time replaces the running one (the REPL, eddy
     * run); a server runs each client's beside the others. */
    if (!e->many_transients && engine_has_transient(e))
        engine_cancel_transient(e);
    Plan *sink = plan_sink(a, an.plan, NULL, false, sel->limit);
    Query *q = arena_alloc(a, sizeof *q);
    q->id = transient_id(e, a, an.inputs[0]->name);
    q->kind = QUERY_TRANSIENT;
    q->sql = arena_strdup(a, s->text);
    q->plan = sink;
    q->inputs = an.inputs;
    q->ninputs = an.ninputs;
    /* A SELECT on a stream without EMIT CHANGES reads what is there now,
     * from the beginning, and ends; EMIT CHANGES follows auto.offset.reset
     * and runs until LIMIT or cancel. */
    OffsetReset reset = sel->emit == EMIT_NONE ? RESET_EARLIEST : offset_reset(e);
    models_attach(e, q, a);
    ClientRows *cr = arena_alloc(a, sizeof *cr);
    *cr = (ClientRows){e, q->id};
    q->rt = runtime_start(q, e->t, e->scratch, reset, client_rows, cr, &e->out, 1000000000, 1,
                          err);
    if (q->rt == NULL)
        return select_failed(a);
    runtime_set_max_task_idle(q->rt, strtoll(catalog_prop(&e->cat, "max.task.idle.ms", "500"), NULL, 10));
    q->state = QSTATE_RUNNING;
    if (e->ntransients == e->transients_cap) {
        e->transients_cap = e->transients_cap ? 2 * e->transients_cap : 8;
        e->transients = realloc(e->transients, sizeof(Transient) * (size_t)e->transients_cap);
        if (e->transients == NULL)
            EDDY_PANIC("out of memory");
    }
    e->transients[e->ntransients++] = (Transient){q, a};
    engine_json_header(e, q->id, sink->schema);
    if (e->out.row) {
        const char *cells[256] = {0};
        int n = sink->schema->ncols < 256 ? sink->schema->ncols : 256;
        for (int i = 0; i < n; i++)
            cells[i] = sink->schema->cols[i].name;
        e->out.row(e->out.ud, cells, n, true);
    }
    if (sel->emit == EMIT_NONE) {
        /* Drain to the end now. */
        for (int idle = 0; idle < 50;) {
            int n = runtime_poll(q->rt, 100, err);
            if (n < 0) {
                transient_free(e, transient_find(e, q->id));
                return -1;
            }
            if (runtime_done(q->rt) || (n == 0 && runtime_at_end(q->rt)))
                break;
            idle = n == 0 ? idle + 1 : 0;
        }
        /* The footer a pull query has too, also (above all) when nothing matched. */
        char buf[300];
        snprintf(buf, sizeof buf, "(%lld row%s from %s)\n", (long long)q->records_out,
                 q->records_out == 1 ? "" : "s", an.inputs[0]->name);
        transient_free(e, transient_find(e, q->id));
        engine_text(e, buf);
    }
    return 0;
}
