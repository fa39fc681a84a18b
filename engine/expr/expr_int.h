/*
 * expr_int.h - private to engine/expr/: what the evaluator's files share.
 */
#ifndef EDDY_EXPR_INT_H
#define EDDY_EXPR_INT_H

#include "eddy/engine/expr.h"

/* Evaluates a BX_LAMBDA_CALL over row (expr_lambda.c): never fails; a
 * per-row error gives NULL and is counted in ctx. */
Value expr_eval_lambda(const BExpr *e, const Row *row, EvalCtx *ctx);

#endif
