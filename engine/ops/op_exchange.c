/*
 * op_exchange.c - hands each row to the task that owns its group, below
 * an aggregate that groups by something other than its input's key in a
 * query split into tasks (engine/README.md, "Tasks and threads").
 *
 * A task's rows come from its input partitions; the groups are divided
 * among the tasks by a hash of the group's key bytes (the key codec's
 * encoding of the GROUP BY values), so each group's state lives in one
 * task's store view.  A row whose group is the task's own goes straight
 * up; any other is copied into the box from this task to the owner
 * (Exchange.box[from * ntasks + to]), and the owner pushes it up in the
 * drain that ends the round (op_exchange_drain, after every task polled),
 * so at every checkpoint the boxes are empty and state reflects exactly
 * the records before the offsets.  Rows of one partition and group all
 * take the same path, in order.  A row carries its time, partition,
 * offset, window, tombstone and muted flag (a REPLAY's muted output
 * stays muted on the other task).
 *
 * Remote exchange (tasks shared by an application's members; engine/
 * README.md, "Scale-out", repartition topics): the entry for another task
 * is the value of a record to that task's partition of the query's
 * repartition topic, keyed by the group's key bytes; the owner reads the
 * topic as one more input and hands each entry to op_exchange_receive
 * (after dropping one its source record was already counted for, by the
 * source partition and offset the entry carries: op_exchange_origin).
 *
 * Entry: u8 flags (1 tombstone, 4 muted), then 8 bytes each: rowtime,
 * partition, offset, window start, window end, column count, byte count;
 * then the row codec's bytes of the columns.
 */
#include "eddy/codec.h"
#include "op_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct ExchangeOp {
    Operator base;
    const Plan *agg;              /* the aggregate above: its GROUP BY routes */
    StrBuf key, row, entry;
    Value *keyvals;
} ExchangeOp;

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

#define ENTRY_HEAD 57

/* Appends row's exchange entry to out. */
static int put_entry(ExchangeOp *x, const Row *row, StrBuf *out, EddyError *err)
{
    OpCtx *ctx = x->base.ctx;
    sb_reset(&x->row);
    if (rowcodec_encode(row->cols, row->ncols, &x->row) != 0)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "exchange: a row that cannot be encoded");
    sb_putc(out, (char)((row->tombstone ? 1 : 0) | (ctx->muted && *ctx->muted ? 4 : 0)));
    sb_put_be64(out, (uint64_t)row->rowtime);
    sb_put_be64(out, (uint64_t)(int64_t)row->partition);
    sb_put_be64(out, (uint64_t)row->offset);
    sb_put_be64(out, (uint64_t)row->window_start);
    sb_put_be64(out, (uint64_t)row->window_end);
    sb_put_be64(out, (uint64_t)row->ncols);
    sb_put_be64(out, (uint64_t)x->row.len);
    sb_append(out, x->row.data, x->row.len);
    return 0;
}

/* Decodes the entry at p (at most end): *row (columns in the batch
 * arena), *flags, *used its length.  1 for bytes that are not an entry
 * (err says why), -1 with err. */
static int get_entry(OpCtx *ctx, const unsigned char *p, const unsigned char *end, Row *row,
                     int *flags, size_t *used, EddyError *err)
{
    if (end - p < ENTRY_HEAD) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a cut entry");
        return 1;
    }
    *row = (Row){0};
    *flags = p[0];
    row->rowtime = (int64_t)be64_get(p + 1);
    row->partition = (int32_t)(int64_t)be64_get(p + 9);
    row->offset = (int64_t)be64_get(p + 17);
    row->window_start = (int64_t)be64_get(p + 25);
    row->window_end = (int64_t)be64_get(p + 33);
    uint64_t cap = be64_get(p + 41), len = be64_get(p + 49);
    if ((uint64_t)(end - p - ENTRY_HEAD) < len || cap > 4096) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a cut row");
        return 1;
    }
    int n = 0;
    row->cols = arena_alloc(ctx->eval.arena, sizeof(Value) * (size_t)(cap + 1));
    if (rowcodec_decode(p + ENTRY_HEAD, (size_t)len, row->cols, (int)cap, &n, ctx->eval.arena,
                        err) != 0)
        return 1;
    row->ncols = n;
    row->tombstone = *flags & 1;
    *used = ENTRY_HEAD + (size_t)len;
    return 0;
}

static int exchange_push(Operator *op, Row *row, EddyError *err)
{
    ExchangeOp *x = (ExchangeOp *)op;
    OpCtx *ctx = op->ctx;
    const Plan *p = x->agg;
    int nk = p->u.aggregate.nkeys;
    for (int i = 0; i < nk; i++)
        expr_eval(p->u.aggregate.keys[i], row, &ctx->eval, &x->keyvals[i]);
    sb_reset(&x->key);
    int to = 0;
    if (keycodec_encode(x->keyvals, nk, &x->key) == 0)
        to = (int)(fnv1a(x->key.data, x->key.len) % (uint64_t)ctx->exchange->ntasks);
    if (to == ctx->task)
        return op_push(op->downstream, row, err);
    if (ctx->exchange->remote) {
        /* To the owner's partition of the repartition topic, keyed by the
         * group (engine/README.md, "Scale-out"). */
        sb_reset(&x->entry);
        if (put_entry(x, row, &x->entry, err) != 0)
            return -1;
        return ctx->out.repartition(ctx->out.ud, to, x->key.data, x->key.len, x->entry.data,
                                    x->entry.len, row->rowtime, err);
    }
    return put_entry(x, row, &ctx->exchange->box[ctx->task * ctx->exchange->ntasks + to], err);
}

bool op_exchange_origin(const void *value, size_t len, int32_t *partition, int64_t *offset)
{
    const unsigned char *p = value;
    if (p == NULL || len < ENTRY_HEAD)
        return false;
    *partition = (int32_t)(int64_t)be64_get(p + 9);
    *offset = (int64_t)be64_get(p + 17);
    return *partition >= 0 && *offset >= 0;
}

int op_exchange_receive(Operator *op, const void *value, size_t len, EddyError *err)
{
    const unsigned char *p = value;
    Row row;
    int flags;
    size_t used;
    int rc = get_entry(op->ctx, p, p + len, &row, &flags, &used, err);
    if (rc != 0)
        return rc;
    if (used != len) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: bytes after the entry");
        return 1;
    }
    return op_push(op->downstream, &row, err) == 0 ? 0 : -1;
}

int op_exchange_drain(Operator *op, EddyError *err)
{
    OpCtx *ctx = op->ctx;
    Exchange *ex = ctx->exchange;
    for (int from = 0; from < ex->ntasks; from++) {
        if (from == ctx->task)
            continue;
        StrBuf *box = &ex->box[from * ex->ntasks + ctx->task];
        const unsigned char *p = (const unsigned char *)box->data, *end = p + box->len;
        int rc = 0;
        while (rc == 0 && p < end) {
            Row row;
            int flags;
            size_t used;
            if (get_entry(ctx, p, end, &row, &flags, &used, err) != 0) {
                err->kind = ERR_INTERNAL;   /* our own bytes */
                return -1;
            }
            p += used;
            if (ctx->muted)
                *ctx->muted = (flags & 4) != 0;
            rc = op_push(op->downstream, &row, err);
        }
        sb_reset(box);
        if (rc != 0)
            return rc;
    }
    if (ctx->muted)
        *ctx->muted = false;
    return 0;
}

static void exchange_close(Operator *op)
{
    ExchangeOp *x = (ExchangeOp *)op;
    sb_free(&x->key);
    sb_free(&x->row);
    sb_free(&x->entry);
    free(x->keyvals);
    free(x);
}

static const OperatorOps exchange_ops = {
    .name = "exchange",
    .push = exchange_push,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .close = exchange_close,
};

Operator *op_exchange_create(const Plan *agg, OpCtx *ctx)
{
    ExchangeOp *x = (ExchangeOp *)op_alloc(sizeof(ExchangeOp), &exchange_ops, agg, ctx);
    x->agg = agg;
    x->keyvals = calloc((size_t)agg->u.aggregate.nkeys + 1, sizeof(Value));
    if (x->keyvals == NULL)
        EDDY_PANIC("out of memory");
    return &x->base;
}
