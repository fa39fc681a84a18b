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
 * The geo index: a table that is not windowed and has DOUBLE value
 * columns LAT and LNG (or LON, or LATITUDE and LONGITUDE;
 * op_geo_columns) also keeps store "geo", for pull queries with
 * GEO_DISTANCE(lat, lng, ...) < r (pull.c): key = the row's geohash cell
 * (4 bytes, codec.h's geocell_key) + its key in "materialized", value =
 * its lat and lng (two doubles, host order: state never leaves its
 * machine).  A row that moves deletes its old entry (the old position is
 * read from "materialized" before the row is replaced); a row with a NULL
 * position has none.  The entry OP_GEO_MARKER (it sorts after every cell)
 * says the index covers every row: a sink that finds the table's rows
 * without it (state from before the index, a restored snapshot of then)
 * indexes them all when it opens.
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
    Store *geo;                   /* the geo index, or NULL */
    int lat_col, lng_col;         /* their indexes in the row */
    StrBuf old, gkey;             /* the replaced row; a geo entry's key */
    Arena *scratch;               /* the replaced row's decoded values */
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

bool op_geo_columns(const Schema *s, bool windowed, int *lat, int *lng)
{
    static const char *const names[][2] = {{"LAT", "LNG"}, {"LAT", "LON"}, {"LATITUDE", "LONGITUDE"}};
    if (windowed)
        return false;
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        *lat = *lng = -1;
        for (int i = s->nkeys; i < s->ncols; i++) {
            if (s->cols[i].type->kind != TYPE_DOUBLE)
                continue;
            if (str_ieq(s->cols[i].name, names[n][0]))
                *lat = i;
            else if (str_ieq(s->cols[i].name, names[n][1]))
                *lng = i;
        }
        if (*lat >= 0 && *lng >= 0)
            return true;
    }
    return false;
}

/* The geo entry of the row with key mkey at (lat, lng): its key in
 * s->gkey, its value in val. */
static void geo_entry(SinkOp *s, const void *mkey, size_t mklen, double lat, double lng,
                      double val[2])
{
    int li, gi;
    unsigned char cell[4];
    geocell_axes(lat, lng, &li, &gi);
    geocell_key(li, gi, cell);
    sb_reset(&s->gkey);
    sb_append(&s->gkey, (const char *)cell, 4);
    sb_append(&s->gkey, mkey, mklen);
    val[0] = lat;
    val[1] = lng;
}

/* A materialised value's position: false when it has none (a NULL). */
static bool stored_position(SinkOp *s, const void *v, size_t vl, double *lat, double *lng)
{
    const Schema *sc = s->base.plan->schema;
    int nv = sc->ncols - sc->nkeys, n = 0;
    EddyError err;
    arena_reset(s->scratch);
    Value *vals = arena_alloc(s->scratch, sizeof(Value) * (size_t)(nv + 3));
    if (rowcodec_decode(v, vl, vals, nv + 3, &n, s->scratch, &err) != 0 || n != nv + 3)
        return false;
    const Value *a = &vals[3 + s->lat_col - sc->nkeys], *b = &vals[3 + s->lng_col - sc->nkeys];
    if (a->kind != TYPE_DOUBLE || b->kind != TYPE_DOUBLE)
        return false;
    *lat = a->u.d;
    *lng = b->u.d;
    return true;
}

/* Before the row with key s->mkey becomes `row` (NULL: deleted): its old
 * geo entry out, its new one in. */
static int geo_update(SinkOp *s, const Row *row)
{
    EddyError err;
    double lat, lng, val[2];
    int found = store_get(s->materialized, s->mkey.data, s->mkey.len, &s->old, &err);
    if (found < 0)
        return -1;
    if (found == 1 && stored_position(s, s->old.data, s->old.len, &lat, &lng)) {
        geo_entry(s, s->mkey.data, s->mkey.len, lat, lng, val);
        if (store_delete(s->geo, s->gkey.data, s->gkey.len) != 0)
            return -1;
    }
    if (row == NULL || row->cols[s->lat_col].kind != TYPE_DOUBLE ||
        row->cols[s->lng_col].kind != TYPE_DOUBLE)
        return 0;
    geo_entry(s, s->mkey.data, s->mkey.len, row->cols[s->lat_col].u.d,
              row->cols[s->lng_col].u.d, val);
    return store_put(s->geo, s->gkey.data, s->gkey.len, val, sizeof(double) * 2);
}

/* Indexes every row of "materialized" unless the marker says the index
 * has them (the header). */
static int geo_complete(SinkOp *s, EddyError *err)
{
    int found = store_get(s->geo, OP_GEO_MARKER, 1, &s->old, err);
    if (found != 0)
        return found < 0 ? -1 : 0;
    StoreIter *it = store_iter(s->materialized, NULL, 0, NULL, 0);
    const void *k, *v;
    size_t kl, vl;
    int rc = 0;
    while (rc == 0 && store_iter_next(it, &k, &kl, &v, &vl)) {
        double lat, lng, val[2];
        if (!stored_position(s, v, vl, &lat, &lng))
            continue;
        geo_entry(s, k, kl, lat, lng, val);
        if (store_put(s->geo, s->gkey.data, s->gkey.len, val, sizeof(double) * 2) != 0)
            rc = eddy_error(err, ERR_IO, (SrcPos){0}, "cannot build the geo index of %s",
                            s->base.plan->u.sink.sink->name);
    }
    if (rc == 0 && store_iter_error(it, err) != 0)
        rc = -1;
    store_iter_close(it);
    if (rc == 0 && store_put(s->geo, OP_GEO_MARKER, 1, "", 0) != 0)
        rc = eddy_error(err, ERR_IO, (SrcPos){0}, "cannot build the geo index of %s",
                        s->base.plan->u.sink.sink->name);
    return rc;
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
    if (s->geo && geo_update(s, row->tombstone ? NULL : row) != 0)
        return -1;
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
    sb_free(&s->old);
    sb_free(&s->gkey);
    if (s->scratch)
        arena_destroy(s->scratch);
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
    if (s->materialized &&
        op_geo_columns(p->schema, dst->window_kind != WKIND_NONE, &s->lat_col, &s->lng_col)) {
        s->scratch = arena_create(4096);
        if ((s->geo = op_store(ctx, "geo", err)) == NULL || geo_complete(s, err) != 0) {
            sink_close(&s->base);
            return NULL;
        }
    }
    return &s->base;
}
