/* op_project.c - the select list: one expression per output column (keys first). */
#include "op_int.h"

static int project_push(Operator *op, Row *row, EddyError *err)
{
    const Plan *p = op->plan;
    int n = p->u.project.n;
    Row out = *row;
    out.cols = arena_alloc(op->ctx->eval.arena, sizeof(Value) * (size_t)(n + 1));
    out.ncols = n;
    out.prior = NULL;
    for (int i = 0; i < n; i++)
        expr_eval(p->u.project.exprs[i], row, &op->ctx->eval, &out.cols[i]);
    return op_push(op->downstream, &out, err);
}

static const OperatorOps project_ops = {
    .name = "project",
    .push = project_push,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .close = op_generic_close,
};

Operator *op_project_create(const Plan *p, OpCtx *ctx)
{
    return op_alloc(sizeof(Operator), &project_ops, p, ctx);
}
