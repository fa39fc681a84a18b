/*
 * op_sink.c - the end of a query: turns each finished row into a record of
 * the sink's topic and hands it to the runtime (OpCtx.out.produce), or
 * hands a transient query's row to its client (OpCtx.out.deliver); stops
 * a transient query at its LIMIT.
 *
 * In:  rows of the sink's schema (key columns first; Row.window_start/end
 *      for a windowed result; Row.tombstone for a deletion).
 * Out: one record per row: the key columns in the sink's key format, and
 *      for a windowed sink its window after them (serde_encode_key, Kafka
 *      Streams' layouts); the value columns in its value format, none for
 *      a tombstone; no key when the sink has no key columns and no window,
 *      or its one key is NULL.  The timestamp is ROWTIME, or for CREATE
 *      ... AS SELECT WITH (TIMESTAMP=col) that column of the row (ksqlDB's
 *      sink timestamp); a row whose column gives no valid time is not
 *      written: it counts as an expression error, as ksqlDB drops it.
 *
 * A table's sink keeps the table's current rows in the query's store
 * "materialized" for pull queries (pull.c): key = key codec of the key
 * columns [| window] (state/codec.c's window suffixes), value = row codec
 * of [rowtime, window start, window end, value columns]; a tombstone
 * deletes.  A key the key codec cannot order is not kept for lookups.
 *
 * An output that cannot be encoded or produced fails the push (-1): the
 * row would be lost if the query went on, so the runtime stops it.  The
 * encode buffers belong to the sink and are reused, so a record costs no
 * malloc here.
 */
#include "eddy/codec.h"
#include "eddy/store.h"
#include "op_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct SinkOp {
    Operator base;
    int64_t emitted;
    Store *materialized;          /* a table sink's rows, for pull queries; else NULL */
    StrBuf key, value;            /* the record being produced */
    StrBuf mkey, mval;            /* its entry in "materialized" */
} SinkOp;

/* The record's timestamp; false if the row is not to be written. */
static bool output_time(SinkOp *s, const Row *row, int64_t *ts)
{
    const Plan *p = s->base.plan;
    const CatSource *dst = p->u.sink.sink;
    *ts = row->rowtime;
    if (!p->u.sink.sink_timestamp || row->tombstone)
        return true;
    int c = dst->timestamp_col;
    EddyError terr;
    if (op_source_event_time(&row->cols[c], p->schema->cols[c].name, dst->timestamp_format, ts,
                             &terr) == 0)
        return true;
    EvalCtx *ev = &s->base.ctx->eval;
    ev->errors++;
    eddy_error(&ev->last_error, ERR_RUNTIME, (SrcPos){0}, "record not written to %s: %s",
               dst->topic, terr.msg);
    return false;
}

static int materialize(SinkOp *s, const Row *row)
{
    const Schema *sc = s->base.plan->schema;
    const CatSource *dst = s->base.plan->u.sink.sink;
    sb_reset(&s->mkey);
    if (keycodec_encode(row->cols, sc->nkeys, &s->mkey) != 0)
        return 0;
    if (dst->window_kind == WKIND_SESSION)
        keycodec_session(&s->mkey, row->window_end, row->window_start);
    else if (dst->window_kind != WKIND_NONE)
        keycodec_window(&s->mkey, row->window_start);
    if (row->tombstone)
        return store_delete(s->materialized, s->mkey.data, s->mkey.len);
    int nv = sc->ncols - sc->nkeys;
    Value vals[3 + 64];
    if (nv > 64)
        return 0;
    vals[0] = v_bigint(row->rowtime);
    vals[1] = v_bigint(row->window_start);
    vals[2] = v_bigint(row->window_end);
    memcpy(vals + 3, row->cols + sc->nkeys, sizeof(Value) * (size_t)nv);
    sb_reset(&s->mval);
    if (rowcodec_encode(vals, 3 + nv, &s->mval) != 0)
        return 0;
    return store_put(s->materialized, s->mkey.data, s->mkey.len, s->mval.data, s->mval.len);
}

/* Encodes row as a record of the sink's topic and produces it. */
static int write_record(SinkOp *s, const Row *row, EddyError *err)
{
    const Schema *sc = s->base.plan->schema;
    const CatSource *dst = s->base.plan->u.sink.sink;
    int64_t ts;
    if (!output_time(s, row, &ts))
        return 0;
    sb_reset(&s->key);
    sb_reset(&s->value);
    bool null_key = serde_key_absent(row->cols, sc->nkeys, dst->window_kind);
    if (!null_key &&
        serde_encode_key(dst->key_format, &dst->key_opts, sc->cols, sc->nkeys, row->cols,
                         dst->window_kind, row->window_start, row->window_end, &s->key, err) != 0)
        return -1;
    if (!row->tombstone &&
        serde_encode(dst->value_format, &dst->value_opts, sc->cols + sc->nkeys,
                     sc->ncols - sc->nkeys, row->cols + sc->nkeys, &s->value, err) != 0)
        return -1;
    if (s->materialized && materialize(s, row) != 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot update the materialised table %s",
                          dst->name);
    const OpOutput *out = &s->base.ctx->out;
    return out->produce(out->ud, dst->topic, null_key ? NULL : s->key.data,
                        null_key ? 0 : s->key.len, row->tombstone ? NULL : s->value.data,
                        row->tombstone ? 0 : s->value.len, ts, err);
}

static int sink_push(Operator *op, Row *row, EddyError *err)
{
    SinkOp *s = (SinkOp *)op;
    const Plan *p = op->plan;
    OpCtx *ctx = op->ctx;
    if (p->u.sink.limit >= 0 && s->emitted >= p->u.sink.limit)
        return 0;
    if (p->u.sink.sink == NULL)
        ctx->out.deliver(ctx->out.ud, p->schema, row);
    else if (write_record(s, row, err) != 0)
        return -1;
    s->emitted++;
    if (ctx->emitted)
        (*ctx->emitted)++;
    return 0;
}

static int sink_advance(Operator *op, int64_t t, EddyError *err)
{
    return 0;
}

static int sink_flush(Operator *op, EddyError *err)
{
    return 0;
}

static void sink_close(Operator *op)
{
    SinkOp *s = (SinkOp *)op;
    sb_free(&s->key);
    sb_free(&s->value);
    sb_free(&s->mkey);
    sb_free(&s->mval);
    free(s);
}

static const OperatorOps sink_ops = {
    .name = "sink",
    .push = sink_push,
    .advance = sink_advance,
    .flush = sink_flush,
    .close = sink_close,
};

Operator *op_sink_create(const Plan *p, OpCtx *ctx, EddyError *err)
{
    SinkOp *s = (SinkOp *)op_alloc(sizeof(SinkOp), &sink_ops, p, ctx);
    const CatSource *dst = p->u.sink.sink;
    if (dst && dst->is_table && ctx->state &&
        (s->materialized = op_store(ctx, "materialized", err)) == NULL) {
        sink_close(&s->base);
        return NULL;
    }
    return &s->base;
}
