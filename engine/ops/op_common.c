/* op_common.c - the defaults most operators share: no time-driven work, nothing to flush. */
#include "eddy/engine/operator.h"

#include <stdlib.h>

void op_generic_close(Operator *op)
{
    free(op);
}

int op_generic_advance(Operator *op, int64_t t, EddyError *err)
{
    return op->downstream ? op->downstream->ops->advance(op->downstream, t, err) : 0;
}

int op_generic_flush(Operator *op, EddyError *err)
{
    return op->downstream ? op->downstream->ops->flush(op->downstream, err) : 0;
}

/* Allocates an operator of `size` bytes (its struct embeds Operator first). */
Operator *op_alloc(size_t size, const OperatorOps *ops, const Plan *p, OpCtx *ctx)
{
    Operator *op = calloc(1, size);
    if (op == NULL)
        EDDY_PANIC("out of memory");
    op->ops = ops;
    op->plan = p;
    op->ctx = ctx;
    return op;
}
