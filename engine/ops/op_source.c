/*
 * op_source.c - turns a Kafka record into a row: decodes the key columns
 * with the key format and the value columns with the value format,
 * takes event time from the record timestamp or the TIMESTAMP= column
 * (parsed with TIMESTAMP_FORMAT when it is a string), and attaches
 * ROWTIME, ROWPARTITION and ROWOFFSET.
 *
 * A windowed source's key is decoded with its window (serde_decode_key):
 * the bounds go to Row.window_start/end (WINDOWSTART, WINDOWEND) and, for
 * a source inside a join, also to the value columns after the key
 * columns (Plan.u.source.window_cols).
 *
 * A stream record with a null value becomes a "null row" (Row.tombstone):
 * filters drop it, projections and PARTITION BY pass it on as a null
 * value, as ksqlDB does.
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
#include "eddy/engine/serde.h"
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
    SerdeReader *reader;        /* value columns: only those the query reads */
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
    const CatSource *src = p->u.source.src;
    const Schema *sc = src->schema;
    int nk = sc->nkeys, wc = p->u.source.window_cols ? 2 : 0, nvals = sc->ncols - nk;
    bool *need = NULL;
    if (p->u.source.used) {
        need = calloc((size_t)(nvals > 0 ? nvals : 1), sizeof *need);
        if (need == NULL)
            EDDY_PANIC("out of memory");
        for (int i = 0; i < nvals; i++)
            need[i] = p->u.source.used[nk + wc + i] || i + nk == src->timestamp_col;
    }
    s->reader = serde_reader_create(src->value_format, &src->value_opts, sc->cols + nk, nvals, need);
    free(need);
    return s;
}

void op_source_destroy(SourceOp *s)
{
    if (s) {
        sb_free(&s->buf);
        serde_reader_destroy(s->reader);
    }
    free(s);
}

/* The table's previous row for this key, or NULL; then stores the new one. */
static int table_upsert(SourceOp *s, const TransportRecord *rec, Row *row, EddyError *err)
{
    const Schema *sc = s->plan->schema;
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
        /* the same key bytes: the same window */
        prior->window_start = row->window_start;
        prior->window_end = row->window_end;
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

int op_source_event_time(const Value *v, const char *col, const char *format, int64_t *out,
                         EddyError *err)
{
    switch (v->kind) {
    case TYPE_NULL:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "timestamp column %s is null", col);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        *out = v->u.i64;
        break;
    case TYPE_INT:
        *out = v->u.i32;
        break;
    case TYPE_STRING:
        if (format) {
            if (dt_parse(v->u.str.ptr, format, NULL, out, err) != 0)
                return -1;
        } else if (dt_parse_timestamp_iso(v->u.str.ptr, out) != 0) {
            return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                              "timestamp column %s: cannot parse '%s'", col, v->u.str.ptr);
        }
        break;
    default:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "timestamp column %s has type %s", col,
                          type_kind_name(v->kind));
    }
    if (*out < 0)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "negative event time %lld",
                          (long long)*out);
    return 0;
}

int op_source_record(SourceOp *s, const TransportRecord *rec, EddyError *err)
{
    const CatSource *src = s->plan->u.source.src;
    const Schema *sc = src->schema;
    Arena *arena = s->ctx->eval.arena;
    if (src->is_table && rec->key == NULL)
        return 0;   /* a table row needs a key */
    int nk = sc->nkeys, wc = s->plan->u.source.window_cols ? 2 : 0;
    Row row = {0};
    row.ncols = sc->ncols + wc;
    row.cols = arena_alloc(arena, sizeof(Value) * (size_t)(row.ncols + 1));
    row.partition = rec->partition;
    row.offset = rec->offset;
    row.rowtime = rec->timestamp;
    row.window_start = row.window_end = -1;

    if (rec->key == NULL) {
        for (int i = 0; i < nk; i++)
            row.cols[i] = v_null();
    } else if ((nk > 0 || src->window_kind != WKIND_NONE) &&
               serde_decode_key(src->key_format, &src->key_opts, sc->cols, nk, src->window_kind,
                                src->window_size_ms, rec->key, rec->key_len, row.cols,
                                &row.window_start, &row.window_end, arena, err) != 0) {
        char reason[sizeof err->msg];
        snprintf(reason, sizeof reason, "%s", err->msg);
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "key: %s", reason);
        return 1;
    }
    if (wc) {
        row.cols[nk] = row.window_start >= 0 ? v_bigint(row.window_start) : v_null();
        row.cols[nk + 1] = row.window_start >= 0 ? v_bigint(row.window_end) : v_null();
    }
    int nvals = sc->ncols - nk;
    Value *vals = row.cols + nk + wc;
    if (rec->value == NULL) {
        for (int i = 0; i < nvals; i++)
            vals[i] = v_null();
        row.tombstone = true;
    } else if (serde_reader_decode(s->reader, rec->value, rec->value_len, vals, arena, err) != 0) {
        return 1;
    }
    if (src->timestamp_col >= 0 && !row.tombstone) {
        int tc = src->timestamp_col < nk ? src->timestamp_col : src->timestamp_col + wc;
        if (op_source_event_time(&row.cols[tc], sc->cols[src->timestamp_col].name,
                                 src->timestamp_format, &row.rowtime, err) != 0)
            return 1;
    }
    if (src->is_table && table_upsert(s, rec, &row, err) != 0)
        return -1;
    return op_push(s->downstream, &row, err) == 0 ? 0 : -1;
}
