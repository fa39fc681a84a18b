/* op_filter.c - WHERE: passes a row on only when the predicate is TRUE (not NULL). */
#include "op_int.h"

/* On a stream a failing row is dropped.  On a table's changelog (WHERE on
 * a table, HAVING) ksqlDB's rule is: a matching row is an upsert; a row
 * that matched before (its prior) but not now, or was deleted, becomes a
 * tombstone; a row that never matched produces nothing. */
static int filter_push(Operator *op, Row *row, EddyError *err)
{
    const BExpr *pred = op->plan->u.filter.pred;
    EvalCtx *ev = &op->ctx->eval;
    if (!op->plan->u.filter.changelog) {
        if (row->tombstone || !expr_eval_pred(pred, row, ev))   /* a null value never passes */
            return 0;
        return op_push(op->downstream, row, err);
    }
    bool prior_passed = row->prior && !row->prior->tombstone && expr_eval_pred(pred, row->prior, ev);
    Row out = *row;
    out.prior = prior_passed ? row->prior : NULL;
    if (!row->tombstone && expr_eval_pred(pred, row, ev))
        return op_push(op->downstream, &out, err);
    if (!prior_passed)
        return 0;
    out.tombstone = true;
    return op_push(op->downstream, &out, err);
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
