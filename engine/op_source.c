/*
 * op_source.c - turns a Kafka record into a row: decodes the key columns
 * with the key format and the value columns with the value format,
 * takes event time from the record timestamp or the TIMESTAMP= column
 * (parsed with TIMESTAMP_FORMAT when it is a string), and attaches
 * ROWTIME, ROWPARTITION and ROWOFFSET.
 *
 * A stream record with a null value becomes a "null row" (Row.tombstone):
 * filters drop it, projections pass it on as a null value, PARTITION BY
 * turns it into a row of null values, as ksqlDB does.
 *
 * A table is materialised in the query's store "source" (key bytes ->
 * row encoding of [rowtime, columns]): each record is an upsert (a null
 * value deletes) and the row it replaces travels with it as Row.prior, so
 * filters, HAVING and aggregations can retract it.  Records with a null
 * key are dropped, as ksqlDB does.  A record that does not decode, or whose event
 * time cannot be extracted, is bad input: the caller counts and logs it.
 */
#include "eddy/codec.h"
#include "eddy/datetime.h"
#include "eddy/serde.h"
#include "eddy/store.h"
#include "op_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct SourceOp {
    const Plan *plan;
    OpCtx *ctx;
    Operator *downstream;
    Store *table;               /* materialised table rows (tables only) */
    int index;                  /* this source's number in the query */
    StrBuf buf;
};

SourceOp *op_source_create(const Plan *p, OpCtx *ctx, Operator *downstream, int index)
{
    SourceOp *s = calloc(1, sizeof *s);
    if (s == NULL)
        EDDY_PANIC("out of memory");
    s->plan = p;
    s->ctx = ctx;
    s->downstream = downstream;
    s->index = index;
    return s;
}

void op_source_destroy(SourceOp *s)
{
    if (s)
        sb_free(&s->buf);
    free(s);
}

/* The table's previous row for this key, or NULL; then stores the new one. */
static int table_upsert(SourceOp *s, const TransportRecord *rec, Row *row, EddyError *err)
{
    const Schema *sc = s->plan->u.source.src->schema;
    Arena *arena = s->ctx->eval.arena;
    if (s->table == NULL) {
        char name[32];
        if (s->index == 0)
            snprintf(name, sizeof name, "source");
        else
            snprintf(name, sizeof name, "source%d", s->index);
        if ((s->table = op_store(s->ctx, name, err)) == NULL)
            return -1;
    }
    int rc = store_get(s->table, rec->key, rec->key_len, &s->buf, err);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        Value *vals = arena_alloc(arena, sizeof(Value) * (size_t)(sc->ncols + 2));
        int n = 0;
        if (rowcodec_decode(s->buf.data, s->buf.len, vals, sc->ncols + 1, &n, arena, err) != 0)
            return -1;
        Row *prior = arena_alloc(arena, sizeof *prior);
        prior->cols = vals + 1;
        prior->ncols = sc->ncols;
        prior->rowtime = vals[0].u.i64;
        prior->window_start = prior->window_end = -1;
        row->prior = prior;
    }
    if (row->tombstone)
        return store_delete(s->table, rec->key, rec->key_len) == 0 ? 0 : -1;
    Value *vals = arena_alloc(arena, sizeof(Value) * (size_t)(sc->ncols + 2));
    vals[0] = v_bigint(row->rowtime);
    memcpy(vals + 1, row->cols, sizeof(Value) * (size_t)sc->ncols);
    sb_reset(&s->buf);
    rowcodec_encode(vals, sc->ncols + 1, &s->buf);
    return store_put(s->table, rec->key, rec->key_len, s->buf.data, s->buf.len) == 0 ? 0 : -1;
}

static int event_time(const CatSource *src, const Row *row, int64_t *out, EddyError *err)
{
    const Value *v = &row->cols[src->timestamp_col];
    const char *col = src->schema->cols[src->timestamp_col].name;
    switch (v->kind) {
    case TYPE_NULL:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "timestamp column %s is null", col);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        *out = v->u.i64;
        return 0;
    case TYPE_INT:
        *out = v->u.i32;
        return 0;
    case TYPE_STRING:
        if (src->timestamp_format)
            return dt_parse(v->u.str.ptr, src->timestamp_format, NULL, out, err);
        if (dt_parse_timestamp_iso(v->u.str.ptr, out) == 0)
            return 0;
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "timestamp column %s: cannot parse '%s'", col, v->u.str.ptr);
    default:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "timestamp column %s has type %s", col,
                          type_kind_name(v->kind));
    }
}

int op_source_record(SourceOp *s, const TransportRecord *rec, EddyError *err)
{
    const CatSource *src = s->plan->u.source.src;
    const Schema *sc = src->schema;
    Arena *arena = s->ctx->eval.arena;
    if (src->is_table && rec->key == NULL)
        return 0;   /* a table row needs a key */
    Row row = {0};
    row.ncols = sc->ncols;
    row.cols = arena_alloc(arena, sizeof(Value) * (size_t)(sc->ncols + 1));
    row.partition = rec->partition;
    row.offset = rec->offset;
    row.rowtime = rec->timestamp;
    row.window_start = row.window_end = -1;

    if (sc->nkeys > 0) {
        if (rec->key == NULL) {
            for (int i = 0; i < sc->nkeys; i++)
                row.cols[i] = v_null();
        } else if (serde_decode(src->key_format, &src->key_opts, sc->cols, sc->nkeys, rec->key,
                                rec->key_len, row.cols, arena, err) != 0) {
            char reason[sizeof err->msg];
            snprintf(reason, sizeof reason, "%s", err->msg);
            eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "key: %s", reason);
            return 1;
        }
    }
    int nvals = sc->ncols - sc->nkeys;
    if (rec->value == NULL) {
        for (int i = 0; i < nvals; i++)
            row.cols[sc->nkeys + i] = v_null();
        row.tombstone = true;
    } else if (serde_decode(src->value_format, &src->value_opts, sc->cols + sc->nkeys, nvals,
                            rec->value, rec->value_len, row.cols + sc->nkeys, arena, err) != 0) {
        return 1;
    }
    if (src->timestamp_col >= 0 && !row.tombstone) {
        if (event_time(src, &row, &row.rowtime, err) != 0)
            return 1;
        if (row.rowtime < 0) {
            eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "negative event time %lld",
                       (long long)row.rowtime);
            return 1;
        }
    }
    if (src->is_table && table_upsert(s, rec, &row, err) != 0)
        return -1;
    return op_push(s->downstream, &row, err) == 0 ? 0 : -1;
}
