/*
 * op_sink.c - the end of a query: hands each row to the runtime's output
 * function (produce to the sink topic, or deliver to a client), and stops
 * a transient query at its LIMIT.
 */
#include "op_int.h"

typedef struct SinkOp {
    Operator base;
    int64_t emitted;
} SinkOp;

static int sink_push(Operator *op, Row *row, EddyError *err)
{
    SinkOp *s = (SinkOp *)op;
    int64_t limit = op->plan->u.sink.limit;
    if (limit >= 0 && s->emitted >= limit)
        return 0;
    if (op->ctx->output(op->ctx->output_ud, op->plan, row, err) != 0)
        return -1;
    s->emitted++;
    if (op->ctx->emitted)
        (*op->ctx->emitted)++;
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

static const OperatorOps sink_ops = {
    .name = "sink",
    .push = sink_push,
    .advance = sink_advance,
    .flush = sink_flush,
    .close = op_generic_close,
};

Operator *op_sink_create(const Plan *p, OpCtx *ctx)
{
    return op_alloc(sizeof(SinkOp), &sink_ops, p, ctx);
}
