/*
 * expr.h - bound (analysed, typed) expressions and their evaluator.
 *
 * The analyzer turns an AstExpr into a BExpr: names resolved to column
 * indexes of the input row, every node typed, implicit casts made
 * explicit (BX_CAST nodes), functions resolved to a ResolvedCall.  The
 * evaluator (engine/expr/expr.c) is a tree walk over BExpr with SQL's
 * three-valued logic; a per-row error (bad cast, division by zero in
 * integers) yields NULL and is counted, as in ksqlDB.
 *
 * Ownership: a BExpr tree lives in the arena the analyzer was given (the
 * plan's) and is read-only afterwards: the evaluator never writes to it,
 * so one tree serves any number of rows.
 */
#ifndef EDDY_EXPR_H
#define EDDY_EXPR_H

#include "eddy/base.h"
#include "eddy/engine/functions.h"
#include "eddy/types.h"
#include "eddy/value.h"

typedef enum BExprKind {
    BX_CONST,        /* u.constant */
    BX_COLUMN,       /* u.column: index into Row.cols */
    BX_PSEUDO,       /* u.pseudo: ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND */
    BX_CAST,         /* u.unary.a to e->type */
    BX_NEG, BX_NOT,  /* u.unary.a */
    BX_ARITH,        /* u.binary: op in {OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD}; operands already cast to e->type */
    BX_CONCAT,       /* u.binary: string concatenation */
    BX_CMP,          /* u.binary: op in {OP_EQ..OP_GE}; operands cast to a common type */
    BX_AND, BX_OR,   /* u.binary */
    BX_IS_NULL,      /* u.unary.a, negated */
    BX_DISTINCT,     /* u.binary: IS [NOT] DISTINCT FROM; negated = IS NOT DISTINCT */
    BX_LIKE,         /* u.like */
    BX_BETWEEN,      /* u.between */
    BX_IN,           /* u.in */
    BX_CASE,         /* u.case_ (searched; simple CASE is rewritten to searched) */
    BX_FUNC,         /* u.func */
    BX_DEREF,        /* u.deref: struct field by index */
    BX_SUBSCRIPT,    /* u.binary: array[int] 1-based (negative from end) or map[key] */
    BX_ARRAY,        /* u.list */
    BX_MAP,          /* u.map */
    BX_STRUCT,       /* u.list in type field order */
    BX_LAMBDA_VAR,   /* u.column: the slot of a lambda parameter (EvalCtx.vars) */
    BX_LAMBDA_CALL   /* u.lambda: TRANSFORM, FILTER or REDUCE over an array or a map */
} BExprKind;

typedef enum LambdaFn { LAMBDA_TRANSFORM, LAMBDA_FILTER, LAMBDA_REDUCE } LambdaFn;

/* Lambda parameters live in EvalCtx.vars while a lambda body runs; each
 * lambda of an expression has its own slots (nested ones after their
 * outer ones), so at most this many parameters are in scope at once. */
#define EXPR_MAX_LAMBDA_VARS 16

typedef enum PseudoCol { PSEUDO_ROWTIME, PSEUDO_ROWPARTITION, PSEUDO_ROWOFFSET,
                         PSEUDO_WINDOWSTART, PSEUDO_WINDOWEND } PseudoCol;

typedef struct BExpr BExpr;
struct BExpr {
    BExprKind kind;
    const SqlType *type;
    SrcPos pos;
    bool negated;
    union {
        Value constant;
        int column;
        PseudoCol pseudo;
        struct { BExpr *a; } unary;
        struct { int op; BExpr *a, *b; } binary;
        struct { BExpr *a, *pattern; char escape; } like;
        struct { BExpr *a, *lo, *hi; } between;
        struct { BExpr *a; BExpr **list; int n; } in;
        struct { BExpr **whens, **thens; int n; BExpr *else_; } case_;
        struct { ResolvedCall call; BExpr **args; int nargs; } func;
        struct { BExpr *a; int field; } deref;
        struct { BExpr **items; int n; } list;
        struct { BExpr **keys, **vals; int n; } map;
        /* coll: the ARRAY or MAP (map says which); init: REDUCE's initial
         * state; body[0]: the lambda, body[1]: TRANSFORM's value lambda over
         * a map.  The parameters are slots slot, slot + 1, ...: the element
         * (array), or key and value (map), after REDUCE's state. */
        struct { LambdaFn fn; bool map; BExpr *coll, *init, *body[2]; int slot; } lambda;
    } u;
};

typedef struct EvalCtx {
    Arena *arena;            /* borrowed: results live here (the batch arena) */
    int64_t errors;          /* per-row evaluation errors so far */
    EddyError last_error;    /* the most recent one, for the log */
    Value vars[EXPR_MAX_LAMBDA_VARS];   /* lambda parameters being evaluated */
} EvalCtx;

/* Evaluates e over row (both borrowed); never fails: errors give NULL and
 * bump ctx->errors.  *out may borrow from row (a column's string), from e
 * (a constant) and from ctx->arena: it is valid while all three are, so a
 * caller keeping it past the batch copies it (value_copy). */
void expr_eval(const BExpr *e, const Row *row, EvalCtx *ctx, Value *out);
/* WHERE / HAVING: true only for a non-null TRUE. */
bool expr_eval_pred(const BExpr *e, const Row *row, EvalCtx *ctx);
/* Is the expression free of columns (a constant that can be folded)? */
bool expr_is_constant(const BExpr *e);

#endif
