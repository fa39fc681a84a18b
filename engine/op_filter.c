/* op_filter.c - WHERE: passes a row on only when the predicate is TRUE (not NULL). */
#include "op_int.h"

/* On a stream a failing row is dropped.  On a table's changelog (HAVING)
 * it becomes a tombstone: the key no longer has a row, as in ksqlDB. */
static int filter_push(Operator *op, Row *row, EddyError *err)
{
    bool changelog = op->plan->u.filter.changelog;
    if (row->tombstone)   /* a null value never passes a filter */
        return changelog ? op_push(op->downstream, row, err) : 0;
    if (expr_eval_pred(op->plan->u.filter.pred, row, &op->ctx->eval))
        return op_push(op->downstream, row, err);
    if (!changelog)
        return 0;
    Row t = *row;
    t.tombstone = true;
    return op_push(op->downstream, &t, err);
}

static const OperatorOps filter_ops = {
    .name = "filter",
    .push = filter_push,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .close = op_generic_close,
};

Operator *op_filter_create(const Plan *p, OpCtx *ctx)
{
    return op_alloc(sizeof(Operator), &filter_ops, p, ctx);
}
