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
 * Box entry: u8 flags (1 tombstone, 4 muted), then 8 bytes each: rowtime,
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
    StrBuf key, row;
    Value *keyvals;
} ExchangeOp;

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
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
    sb_reset(&x->row);
    if (rowcodec_encode(row->cols, row->ncols, &x->row) != 0)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "exchange: a row that cannot be encoded");
    StrBuf *box = &ctx->exchange->box[ctx->task * ctx->exchange->ntasks + to];
    sb_putc(box, (char)((row->tombstone ? 1 : 0) | (ctx->muted && *ctx->muted ? 4 : 0)));
    sb_put_be64(box, (uint64_t)row->rowtime);
    sb_put_be64(box, (uint64_t)(int64_t)row->partition);
    sb_put_be64(box, (uint64_t)row->offset);
    sb_put_be64(box, (uint64_t)row->window_start);
    sb_put_be64(box, (uint64_t)row->window_end);
    sb_put_be64(box, (uint64_t)row->ncols);
    sb_put_be64(box, (uint64_t)x->row.len);
    sb_append(box, x->row.data, x->row.len);
    return 0;
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
            if (end - p < 57)
                return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "exchange: a cut entry");
            Row row = {0};
            int flags = p[0];
            row.rowtime = (int64_t)be64_get(p + 1);
            row.partition = (int32_t)(int64_t)be64_get(p + 9);
            row.offset = (int64_t)be64_get(p + 17);
            row.window_start = (int64_t)be64_get(p + 25);
            row.window_end = (int64_t)be64_get(p + 33);
            int cap = (int)be64_get(p + 41);
            size_t len = (size_t)be64_get(p + 49);
            p += 57;
            if ((size_t)(end - p) < len)
                return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "exchange: a cut row");
            int n = 0;
            row.cols = arena_alloc(ctx->eval.arena, sizeof(Value) * (size_t)(cap + 1));
            if (rowcodec_decode(p, len, row.cols, cap, &n, ctx->eval.arena, err) != 0)
                return -1;
            p += len;
            row.ncols = n;
            row.tombstone = flags & 1;
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
