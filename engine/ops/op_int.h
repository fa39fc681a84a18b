/* op_int.h - private helpers shared by the operator files. */
#ifndef EDDY_OP_INT_H
#define EDDY_OP_INT_H

#include "eddy/engine/operator.h"

Operator *op_alloc(size_t size, const OperatorOps *ops, const Plan *p, OpCtx *ctx);

#endif
