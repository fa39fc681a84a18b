/*
 * op_rekey.c - PARTITION BY: computes the new key columns and moves every
 * input column to the value side.  Output layout: [new keys][input cols].
 * The repartitioning itself happens at the sink (records are produced by
 * the new key) or, inside a multi-stage query, through an internal topic.
 */
#include "op_int.h"

static int rekey_push(Operator *op, Row *row, EddyError *err)
{
    const Plan *p = op->plan;
    int nk = p->u.rekey.nkeys, n = nk + row->ncols;
    Row out = *row;
    out.cols = arena_alloc(op->ctx->eval.arena, sizeof(Value) * (size_t)n);
    out.ncols = n;
    /* A null-value stream record stays one (its new key computed over
     * null columns): ksqlDB's partition-by.json "nulls" writes it out as
     * a null value under a null key. */
    out.tombstone = row->tombstone;
    out.prior = NULL;   /* ksqlDB: the rekeyed row carries the old key as a value */
    for (int i = 0; i < nk; i++)
        expr_eval(p->u.rekey.keys[i], row, &op->ctx->eval, &out.cols[i]);
    for (int i = 0; i < row->ncols; i++)
        out.cols[nk + i] = row->cols[i];
    return op_push(op->downstream, &out, err);
}

static const OperatorOps rekey_ops = {
    .name = "rekey",
    .push = rekey_push,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .close = op_generic_close,
};

Operator *op_rekey_create(const Plan *p, OpCtx *ctx)
{
    return op_alloc(sizeof(Operator), &rekey_ops, p, ctx);
}
